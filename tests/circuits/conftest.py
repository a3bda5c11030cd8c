"""Fixtures for the circuit tests: the transfer mains (built by `circuits.build`, a no-op when up to
date) and the gadget test mains (compiled on demand into build/circuits-test/).

These tests need node and the compiled circuits; they fail loudly, never skip, when either is
missing (CI runs `make circuits` first)."""

from __future__ import annotations

import sys
from pathlib import Path

# `circuits` is not (yet) among pyproject's installed packages: make the repository root importable.
_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import pytest  # noqa: E402
from circuit_harness import Circuit  # noqa: E402

from circuits import MAIN_DIR, TEST_DIR  # noqa: E402
from circuits.build import compile_cached, ensure_built  # noqa: E402


def _main(name: str) -> Circuit:
    return Circuit(ensure_built(name, log=False), _forge_src=MAIN_DIR / f"{name}.circom")


@pytest.fixture(scope="session")
def transfer_2x2() -> Circuit:
    return _main("transfer_2x2")


@pytest.fixture(scope="session")
def transfer_16x2() -> Circuit:
    return _main("transfer_16x2")


_gadgets: dict[str, Circuit] = {}


@pytest.fixture(scope="session")
def gadget():
    """gadget(name) -> Circuit of circuits/test/<name>_test.circom. The forging (.wat) build is a second,
    separate compile, made on first use: circom2 runs out of its 2 GiB wasm memory writing both."""

    def get(name: str) -> Circuit:
        if name not in _gadgets:
            src = TEST_DIR / f"{name}_test.circom"
            _gadgets[name] = Circuit(compile_cached(src), _forge_src=src)
        return _gadgets[name]

    return get


@pytest.fixture(scope="session")
def compliant_2x2() -> Circuit:
    return _main("compliant_2x2")


@pytest.fixture(scope="session")
def compliant_16x2() -> Circuit:
    return _main("compliant_16x2")
