# exprun: two commands do everything on a fresh machine.
#   make run    install what is missing, build, run configs/sea_omd.yaml
#   make test   install what is missing, build, run every test (Swift and Python)
# Also: make build, make data, make bench (bench-readme also rewrites the README speed table), make schema, make readme-catalogue, make clean,
#   make compare BASELINE=DIR (bit-identity of every config's results against DIR/<name>/results.h5).

SHELL := /bin/bash
SWIFT ?= swift
# One release build serves the CLI, the tests and the benchmarks (-enable-testing lets the
# test targets link against release modules).
BUILD_FLAGS := -c release -Xswiftc -enable-testing
EXPRUN := .build/release/exprun
APT_PACKAGES := libhdf5-dev hdf5-tools libopenblas-dev pkg-config librsvg2-bin chromium fonts-dejavu-core tmux
PY_MODULES := h5py pandas sklearn:scikit-learn jsonschema xarray pytest numpy scipy cma networkx
CONFIG ?= configs/sea_omd.yaml

.PHONY: run test fuzz build deps system-deps slurm-deps python-deps python-package data bench bench-readme schema readme-catalogue clean compare

run: build data
	$(EXPRUN) $(CONFIG)

test: build data slurm-deps
	$(SWIFT) test $(BUILD_FLAGS) --skip-build
	EXPRUN=$(EXPRUN) python3 -m pytest -q tests/python

# The config-loader fuzz test at full length (>= 100k mutated inputs; make test runs a few thousand).
fuzz: build
	EXPRUN=$(EXPRUN) EXPRUN_FUZZ_CASES=100000 python3 -m pytest -q tests/python/test_fuzz_config.py

build: deps
	$(SWIFT) build $(BUILD_FLAGS) --build-tests

deps: system-deps python-deps python-package

# System libraries: installed only when missing (root on the CI machine).
system-deps:
	@if ! pkg-config --exists hdf5 openblas || ! command -v h5dump >/dev/null || ! command -v rsvg-convert >/dev/null \
	     || ! command -v chromium >/dev/null || ! command -v tmux >/dev/null || [ ! -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
	  echo "installing $(APT_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

# SLURM daemons and clients for the real-cluster test (tests/slurm/cluster.sh starts them by hand).
SLURM_PACKAGES := slurmctld slurmd slurm-client
slurm-deps:
	@if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v sbatch >/dev/null; then \
	  echo "installing $(SLURM_PACKAGES)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(SLURM_PACKAGES) >/dev/null \
	    || echo "could not install SLURM: the SLURM test will be skipped"; \
	fi

# Python packages for the interop tests, the data export and the reference checks.
python-deps:
	@missing=""; for m in $(PY_MODULES); do mod=$${m%%:*}; pkg=$${m#*:}; \
	  python3 -c "import $$mod" 2>/dev/null || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then echo "pip install$$missing"; python3 -m pip install -q $$missing; fi

# The Python reader of results files (python/exprun), installed editable from this checkout.
python-package: python-deps
	@python3 -c "import exprun, sys; sys.exit(not exprun.__file__.startswith('$(CURDIR)/python/'))" 2>/dev/null \
	  || python3 -m pip install -q -e python/exprun

# The bundled scikit-learn data sets, exported once into data/ (git ignores it).
data: python-deps
	@python3 scripts/export_sklearn_data.py data

bench: build
	bash bench/run.sh

# make bench, then the README's speed table rewritten from its numbers.
bench-readme: build
	BENCH_README=1 bash bench/run.sh

schema: build
	$(EXPRUN) schema > schemas/exprun-config.schema.json

readme-catalogue: build
	python3 scripts/update_readme_catalogue.py $(EXPRUN)

clean:
	rm -rf .build runs/*/

# Bit-identity against earlier results: runs every config in configs/ with this build and
# compares each results.h5 with BASELINE/<config name>/results.h5 (timing and provenance
# left out; see scripts/compare_results.py). Use: make compare BASELINE=/path/to/baselines
BASELINE ?= /work/baseline
COMPARE_OUT ?= /tmp/exprun-compare
compare: build data
	@status=0; for c in configs/*.yaml; do n=$$(basename $$c .yaml); \
	  if [ ! -f $(BASELINE)/$$n/results.h5 ]; then echo "$$n: no baseline in $(BASELINE)"; status=1; continue; fi; \
	  rm -rf $(COMPARE_OUT)/$$n; $(EXPRUN) $$c --out $(COMPARE_OUT)/$$n --jobs 2 --quiet >/dev/null; \
	  python3 scripts/compare_results.py $(BASELINE)/$$n/results.h5 $(COMPARE_OUT)/$$n/results.h5 || status=1; \
	done; exit $$status
