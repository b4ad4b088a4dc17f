"""The external model `make bench` times (bench/oracle_bench.py): f(x) = 0.5 ||x - c||^2 in
d = 1000 (the gradient x - c: about a microsecond of numpy), served by exprun.oracle. It
records when each call arrives and when its computation ends, and writes both to argv[1] when
exprun ends the run, so the bench reads the round trip of every call."""
import sys
import time

import numpy as np

from exprun import oracle

D, N = 1000, 1000
c = np.random.default_rng(0).normal(size=D)
arrivals, done = [], []
clock = time.perf_counter


def loss_and_grad(x, idx):
    arrivals.append(clock())
    g = x - c
    value = 0.5 * float(g @ g)
    done.append(clock())
    return value, g


oracle.serve(loss_and_grad, np.zeros(D), n=N)
np.save(sys.argv[1], np.array([arrivals, done]))
