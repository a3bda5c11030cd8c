# Hush — `make help` lists the targets.
SHELL := /bin/bash
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
NODE_STAMP := node_modules/.installed

.DEFAULT_GOAL := help

.PHONY: help venv node serve farm-services example demo demo-compliance demo-batch grpc test test-fast circuits contracts contracts-check bench rapidsnark bench-farm bench-wallet bench-ceremony lint vectors clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV_STAMP): pyproject.toml
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -e '.[dev]'
	$(PY) -m service.grpc_gen
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

venv: $(VENV_STAMP) ## create .venv and install Hush with its dev tools
node: $(NODE_STAMP) ## install circom2, circomlib, circomlibjs and snarkjs from the lockfile

circuits: $(VENV_STAMP) $(NODE_STAMP) ## compile the transfer circuits (only what changed) and check the manifest
	$(PY) -m circuits.build

contracts: $(VENV_STAMP) $(NODE_STAMP) ## generate Poseidon in Solidity and compile the contracts (only what changed)
	$(PY) -m contracts.poseidon_gen
	$(PY) -m contracts.build

contracts-check: $(VENV_STAMP) $(NODE_STAMP) ## check generated Solidity, artifacts and gRPC code against their sources
	$(PY) -m service.grpc_gen --check
	$(PY) -m contracts.poseidon_gen --check
	$(PY) -m contracts.build --check

serve: $(VENV_STAMP) $(NODE_STAMP) circuits ## run the prover farm on this machine: REST 127.0.0.1:8000, gRPC :50051
	.venv/bin/hush serve

farm-services: $(VENV_STAMP) ## start local Redis + PostgreSQL for a scale-out farm; writes build/farm/scaleout.env
	.ci/services.sh --farm >/dev/null

example: $(VENV_STAMP) $(NODE_STAMP) circuits ## prove and verify the example transfer in one process, no service
	.venv/bin/hush example

demo: $(VENV_STAMP) $(NODE_STAMP) circuits ## a private payment on anvil with farm proofs: deposit, pay, withdraw
	$(PY) -m wallet.demo --start-farm

demo-compliance: $(VENV_STAMP) $(NODE_STAMP) circuits ## compliant payment on anvil with farm proofs: registry, caps, K, auditor
	$(PY) -m wallet.compliance_demo --start-farm

demo-batch: $(VENV_STAMP) $(NODE_STAMP) circuits contracts ## 16 wallets' transfers settled in one transactBatch by the batching relayer
	$(PY) -m wallet.demo_batch

grpc: $(VENV_STAMP) ## regenerate the gRPC code from service/proto/hush.proto (also done at install)
	$(PY) -m service.grpc_gen

test: $(VENV_STAMP) $(NODE_STAMP) circuits contracts-check ## run the whole test suite
	.venv/bin/pytest -q

test-fast: $(VENV_STAMP) ## run the tests that need neither node nor compiled circuits
	.venv/bin/pytest -q -m "not slow and not interop and not circuits"

bench: $(VENV_STAMP) $(NODE_STAMP) circuits ## both circuits vs snarkjs (and rapidsnark if `make rapidsnark` built it): ratios
	$(PY) -m bench.compare --circuits transfer_2x2,transfer_16x2

rapidsnark: ## build rapidsnark from its public source into build/rapidsnark (git-ignored), for `make bench` only
	test -d build/rapidsnark/src || git clone --depth 1 --recursive https://github.com/iden3/rapidsnark build/rapidsnark/src
	bash bench/native/build_rapidsnark.sh

bench-farm: $(VENV_STAMP) $(NODE_STAMP) circuits ## load the farm: p50/p95/p99, throughput and refusals at nominal and 3x load
	$(PY) -m bench.farm_load

bench-wallet: $(VENV_STAMP) $(NODE_STAMP) circuits contracts ## wall time and peak memory of the wallet commands that do not prove
	$(PY) -m bench.wallet_cli

bench-ceremony: $(VENV_STAMP) $(NODE_STAMP) circuits ## time a ceremony contribution and a full zkey verify, Hush next to snarkjs
	$(PY) -m bench.ceremony

lint: $(VENV_STAMP) ## ruff
	.venv/bin/ruff check .

vectors: $(NODE_STAMP) ## regenerate the circomlibjs known-answer vectors (tests check they are unchanged)
	node tests/vectors/gen_circomlibjs.js > tests/vectors/circomlibjs.json

clean: ## remove build outputs and numba's kernel cache (keeps .venv and node_modules)
	rm -rf build .pytest_cache
	find bn254 prover verifier transfer hush -name '*.nbi' -delete -o -name '*.nbc' -delete
