# Hush — `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
NODE_STAMP := node_modules/.installed

.DEFAULT_GOAL := help

.PHONY: help serve test test-fast circuits keys bench lint clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV_STAMP) ## create .venv and install Hush with its dev tools
node: $(NODE_STAMP) ## install circom2, circomlib, circomlibjs and snarkjs from the lockfile

circuits: $(VENV_STAMP) $(NODE_STAMP) ## compile the transfer circuits (only what changed) and check the manifest
	$(PY) -m circuits.build

serve: $(VENV_STAMP) $(NODE_STAMP) circuits ## prove and verify the example transfer (the service comes later)
	.venv/bin/hush example

test: $(VENV_STAMP) $(NODE_STAMP) circuits ## run the whole test suite
	.venv/bin/pytest -q

test-fast: $(VENV_STAMP) ## run the tests that need neither node nor compiled circuits
	.venv/bin/pytest -q -m "not slow and not interop and not circuits"

bench: $(VENV_STAMP) $(NODE_STAMP) circuits ## benchmark kernels and proofs, compare with snarkjs
	$(PY) -m bench.compare

lint: $(VENV_STAMP) ## ruff
	.venv/bin/ruff check .

clean: ## remove build outputs (keeps .venv and node_modules)
	rm -rf build .pytest_cache
