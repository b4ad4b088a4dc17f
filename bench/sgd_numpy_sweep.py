"""bench/sgd_logistic.yaml's whole sweep written as a plain numpy script, end to end: generate
the data set once, run 20 seeds of 20,000 SGD steps (batch 32, lr 0.1, l2 1e-4), record the
minibatch loss at two log points, and write every run's curve to one HDF5 file with h5py; what
a researcher's script does instead of exprun. `--jobs N` runs the seeds in N worker processes
(multiprocessing, as joblib would), each on one BLAS thread. Prints the wall seconds."""
import argparse
import os
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import h5py  # noqa: E402
import numpy as np  # noqa: E402

N, D, BATCH, LR, L2, STEPS, SEEDS = 20000, 100, 32, 0.1, 1e-4, 20000, 20
LOG_AT = (0, STEPS - 1)


def make_data():
    rng = np.random.default_rng(0)
    y = np.where(rng.random(N) < 0.5, -1.0, 1.0)
    X = rng.standard_normal((N, D))
    X[:, 0] += y
    return X, y


def run(args):
    seed, X, y = args
    rng = np.random.default_rng(seed + 1)
    w = np.zeros(D)
    curve = []
    for t in range(STEPS):
        idx = rng.integers(0, N, BATCH)
        A, b = X[idx], y[idx]
        z = -b * (A @ w)
        if t in LOG_AT:
            curve.append(np.logaddexp(0.0, z).mean())
        g = A.T @ (-b / (1.0 + np.exp(-z))) / BATCH + L2 * w
        w -= LR * g
    return seed, np.array(curve)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=1)
    jobs = parser.parse_args().jobs
    t0 = time.perf_counter()
    X, y = make_data()
    tasks = [(s, X, y) for s in range(SEEDS)]
    if jobs > 1:
        import multiprocessing
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(run, tasks)
    else:
        results = [run(t) for t in tasks]
    with tempfile.TemporaryDirectory() as out:
        with h5py.File(os.path.join(out, "results.h5"), "w") as f:
            for seed, curve in results:
                g = f.create_group(f"runs/seed{seed}")
                g.attrs["seed"] = seed
                g.create_dataset("step", data=np.array(LOG_AT))
                g.create_dataset("batch_loss", data=curve)
    print(f"{time.perf_counter() - t0:.3f}")


if __name__ == "__main__":
    main()
