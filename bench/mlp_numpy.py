"""The MLP benchmark's training step written plainly in numpy (what a researcher's script
does): a 784-256-256-10 relu network, softmax cross-entropy, minibatch of 128 drawn with
replacement, hand-written backpropagation, w -= lr * grad. Same shapes as bench/mlp.yaml.
Run with OPENBLAS_NUM_THREADS=1 to compare with exprun on one BLAS thread.
Prints steps per second."""
import sys
import time

import numpy as np

n, d, widths, classes, batch, lr = 2048, 784, [256, 256], 10, 128, 0.01
steps = int(sys.argv[1]) if len(sys.argv) > 1 else 500
rng = np.random.default_rng(0)
X = rng.standard_normal((n, d))
y = rng.integers(0, classes, n)
sizes = [d] + widths + [classes]
# torch's layout: W is out x in; he initialisation, zero biases.
Ws = [rng.standard_normal((o, i)) * np.sqrt(2.0 / i) for i, o in zip(sizes[:-1], sizes[1:])]
bs = [np.zeros(o) for o in sizes[1:]]


def step(idx):
    A = X[idx]
    hs = [A]
    for W, b in zip(Ws[:-1], bs[:-1]):
        hs.append(np.maximum(hs[-1] @ W.T + b, 0.0))
    z = hs[-1] @ Ws[-1].T + bs[-1]
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    rows = np.arange(len(idx))
    loss = -np.log(p[rows, y[idx]]).mean()
    delta = p
    delta[rows, y[idx]] -= 1.0
    delta /= len(idx)
    for l in range(len(Ws) - 1, -1, -1):
        gW = delta.T @ hs[l]
        gb = delta.sum(axis=0)
        if l > 0:
            delta = (delta @ Ws[l]) * (hs[l] > 0)
        Ws[l] -= lr * gW
        bs[l] -= lr * gb
    return loss


for _ in range(20):  # warm-up
    step(rng.integers(0, n, batch))
t0 = time.perf_counter()
for _ in range(steps):
    step(rng.integers(0, n, batch))
print(f"{steps / (time.perf_counter() - t0):.1f}")
