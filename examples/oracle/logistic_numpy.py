"""Binary logistic regression in numpy, served to exprun as an `external` model.

    models:
      ext: {kind: external, command: [python3, examples/oracle/logistic_numpy.py, data.csv, "0.001"]}

f(x) = (1/|B|) sum_{i in B} log(1 + exp(-y_i a_i . x)) + (l2/2)||x||^2 over the minibatch B
exprun sends (labels -1/+1 in the CSV's last column, no header), the same objective as the
built-in `logistic` model on a `csv` data set of that file: tests/python/test_external_oracle.py
checks that both give the same trajectories to 1e-12.
"""
import sys

import numpy as np

from exprun import oracle

data = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
A, y = np.ascontiguousarray(data[:, :-1]), data[:, -1]
l2 = float(sys.argv[2]) if len(sys.argv) > 2 and not sys.argv[2].startswith("--") else 0.0
n, d = A.shape


def pieces(x, idx):
    """Rows, labels and t = -y (a . x) of the batch; e = exp(-|t|) (the stable forms exprun uses)."""
    a, b = (A, y) if idx is None else (A[idx], y[idx])
    t = -b * (a @ x)
    return a, b, t, np.exp(-np.abs(t))


def loss(x, idx):
    _, _, t, e = pieces(x, idx)
    return np.mean(np.maximum(t, 0) + np.log1p(e)) + 0.5 * l2 * (x @ x)


def loss_and_grad(x, idx):
    a, b, t, e = pieces(x, idx)
    s = np.where(t >= 0, 1 / (1 + e), e / (1 + e))   # sigmoid(t)
    value = np.mean(np.maximum(t, 0) + np.log1p(e)) + 0.5 * l2 * (x @ x)
    return value, a.T @ (-b * s) / len(b) + l2 * x


def train_accuracy(x):
    return float(np.mean(y * (A @ x) > 0))   # a zero margin is a miss, as in exprun


print(f"logistic_numpy: n={n} d={d} l2={l2}")  # goes to the run's log, not the protocol channel
if "--values-only" in sys.argv:   # a model without gradients: zeroth-order and population methods only
    oracle.serve(None, np.zeros(d), n=n, loss=loss, values_only=True)
else:
    oracle.serve(loss_and_grad, np.zeros(d), n=n, loss=loss, metrics={"train_accuracy": train_accuracy})
