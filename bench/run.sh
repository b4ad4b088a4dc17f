#!/usr/bin/env bash
# make bench: measured numbers, printed as a table (see bench/bench.py).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p bench/out
gcc -O3 -march=native -o bench/out/sgd_loop bench/sgd_loop.c -lm
gcc -O2 -o bench/out/hdf5_floor bench/hdf5_floor.c $(pkg-config --cflags --libs hdf5)
python3 bench/bench.py "$@"
