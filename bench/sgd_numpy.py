"""The benchmark's SGD step written plainly in numpy (what a researcher's script does):
logistic loss, minibatch of 32 with replacement, w -= lr * (mean gradient + l2 w).
Prints steps per second."""
import sys
import time

import numpy as np

n, d, batch, lr, l2 = 20000, 100, 32, 0.1, 1e-4
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
rng = np.random.default_rng(0)
y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
X = rng.standard_normal((n, d))
X[:, 0] += y
w = np.zeros(d)
t0 = time.perf_counter()
for _ in range(steps):
    idx = rng.integers(0, n, batch)
    A, b = X[idx], y[idx]
    z = -b * (A @ w)
    loss = np.logaddexp(0.0, z).mean()
    g = A.T @ (-b / (1.0 + np.exp(-z))) / batch + l2 * w
    w -= lr * g
print(f"{steps / (time.perf_counter() - t0):.1f}")
