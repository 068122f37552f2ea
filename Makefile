# alloyscreen: two commands for users (make demo, make test); the rest for developers and CI.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
# CPU build of PyTorch; any torch 2.x that chgnet/sevenn accept works elsewhere (see pyproject).
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.alloyscreen-installed
PYTEST_ARGS ?=

.PHONY: demo test dev dft slurm lint format clean-results help

help:
	@echo "make demo   - set up .venv if needed and run workflows/demo.toml (results in results/)"
	@echo "make test   - set up .venv if needed and run the whole test suite"

$(PY):
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel setuptools

# torch first, so that chgnet/sevenn do not pull a multi-GB CUDA build.
$(STAMP): pyproject.toml | $(PY)
	$(PIP) install -q "$(TORCH_SPEC)"
	$(PIP) install -q -e ".[ml,batched,hpc,cells,biologic,mp,test,dev]"
	touch $(STAMP)

dev: $(STAMP)

# GPAW (serial build) and its PAW setups, for real DFT runs and tests (needs apt: run as root).
dft: $(STAMP)
	scripts/install-gpaw.sh $(VENV)

# A single-node SLURM on this (Debian, root) machine, for the HPC tests and trying --engine slurm.
slurm:
	scripts/local-slurm.sh install
	scripts/local-slurm.sh start

demo: $(STAMP)
	HF_HUB_OFFLINE=1 $(VENV)/bin/alloyscreen run workflows/demo.toml

test: $(STAMP)
	HF_HUB_OFFLINE=1 $(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix . && $(VENV)/bin/ruff format .

clean-results:
	find results -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
