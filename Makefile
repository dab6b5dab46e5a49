# Two commands do everything on a fresh machine: `make demo` (the main job) and `make test`.
# Set-up is idempotent: a .venv and node_modules inside the repository, re-installed only when
# pyproject.toml or package-lock.json change.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.installed

.PHONY: setup system-packages build demo test test-contracts test-python lint devnet clean browser api image image-smoke

setup: system-packages $(PY_STAMP) $(NODE_STAMP) browser

# Debian packages: bubblewrap isolates task code (nnc.sandbox). Installed when missing and
# apt-get can run (root); without it the sandbox falls back to limits without isolation.
# espeak-ng says the clips of the generated speech dataset spoken-digits (nnc.training.speech).
system-packages:
	@command -v bwrap >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends bubblewrap; } \
		|| echo "warning: could not install bubblewrap: task code will run without isolation"
	@command -v espeak-ng >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends espeak-ng; } \
		|| echo "warning: could not install espeak-ng: speech datasets cannot be generated here"

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

# torch is pinned to the CPU wheel shipped with this kind of machine (see ../shared/STACK.md);
# installing it first keeps pip from resolving a CUDA build. The `runtimes` extra adds the optional
# training runtimes (transformers, peft, diffusers, jax) so that every runtime's tests run, and
# `datasets` the dataset formats (pyarrow, pillow, safetensors).
$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q torch==2.13.0
	$(BIN)/pip install --disable-pip-version-check -q -e '.[dev,runtimes,datasets]'
	touch $@

build: setup
	$(BIN)/nnc build

demo: build
	$(BIN)/nnc demo

devnet: build
	$(BIN)/nnc devnet up

# The worker's OCI image (packaging/oci; Debian and PyPI packages only, ~2 min) and the demo with
# its workers run from it (~30 s). Not part of `make test`: podman and mmdebstrap come from apt.
image: build
	scripts/build-image

image-smoke: image
	scripts/image-smoke

test: test-contracts test-python

test-contracts: setup
	cd contracts && ../node_modules/.bin/forge test

# `--check`: compiles like `nnc build`, but fails on a checked-in mirror (nnc/chain/generated.py,
# frontend/js/generated/protocol.js) that differs from the contracts instead of rewriting it.
# Two pytest processes (pytest-xdist), each taking whole modules (tests/conftest.py): most tests
# keep one core busy, so two halve the wall time on this 2-core machine. PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
test-python: setup
	$(BIN)/nnc build --check
	$(BIN)/pytest $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadscope)

# forge build --sizes fails when a protocol contract passes the EIP-170 limit (24,576 bytes).
lint: setup
	$(BIN)/ruff check nnc tests bench
	$(BIN)/mypy
	cd contracts && ../node_modules/.bin/forge build --sizes src > /dev/null

clean:
	rm -rf build .nnc

# The web app's browser tests drive Debian's chromium (playwright-core downloads no browser).
# Installed only when missing; needs root or sudo, as apt-get does.
browser:
	@command -v chromium >/dev/null || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get -o DPkg::Lock::Timeout=600 update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -q --no-install-recommends chromium; }

api: build
	$(BIN)/nnc api
