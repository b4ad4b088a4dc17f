"""A small external model that misbehaves on purpose, for tests/python/test_external_oracle.py.

f(x) = (1/|B|) sum_{i in B} 0.5 ||x - c_i||^2 over the batch's rows c_i of a fixed matrix (d = 4,
n = 50). MODE (argv[1]) picks the misbehaviour at call K = 6:
  clean    none                       noisy    prints to stdout and stderr on every call
  flaky    exits once (argv[2]: a marker file, so the restarted child behaves)
  crash    exits every time           garbage  writes garbage to the reply channel
  hang     sleeps far past the timeout  raises   raises ValueError
  huge     announces a dimension of 2^40 in its hello
  nan      answers a NaN loss at call 6, once (argv[2]: a marker file, as flaky)
  slow     sleeps 20 ms per call (for interrupt tests)
"""
import os
import struct
import sys
import time

import numpy as np

from exprun import oracle

mode = sys.argv[1]
marker = sys.argv[2] if len(sys.argv) > 2 else None
C = np.random.default_rng(5).normal(size=(50, 4))
calls = 0

if mode == "huge":
    os.write(4, oracle._frame(oracle.HELLO, struct.pack("<IIQQIIII", 1, 1, 1 << 40, 50, 1, 0, 0, 0)))
    time.sleep(30)
    sys.exit(0)


def loss_and_grad(x, idx):
    global calls
    calls += 1
    rows = C if idx is None else C[idx]
    diff = x - rows
    if mode == "noisy":
        print("EXOR garbage on stdout", calls, flush=True)
        sys.stdout.buffer.write(b"\x45\x58\x4f\x52\x00\x01binary noise\n")
        sys.stdout.flush()
        print("and on stderr", calls, file=sys.stderr, flush=True)
    if calls == 6:
        if mode == "flaky" and not os.path.exists(marker):
            open(marker, "w").close()
            print("flaky: exiting at call 6", file=sys.stderr, flush=True)
            os._exit(3)
        if mode == "crash":
            print("crash: exiting at call 6", file=sys.stderr, flush=True)
            os._exit(3)
        if mode == "garbage":
            os.write(4, b"this is not a frame" * 10)
            time.sleep(30)
        if mode == "hang":
            time.sleep(30)
        if mode == "raises":
            raise ValueError("the model cannot go on")
        if mode == "nan" and not os.path.exists(marker):
            open(marker, "w").close()
            return float("nan"), np.mean(diff, axis=0)
    if mode == "slow":
        time.sleep(0.02)
    return 0.5 * np.mean(np.sum(diff * diff, axis=1)), np.mean(diff, axis=0)


oracle.serve(loss_and_grad, np.ones(4), n=len(C))
