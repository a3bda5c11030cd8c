"""Fixtures for the verifier tests (builders in verifier_fixtures.py)."""

from __future__ import annotations

import pytest
from verifier_fixtures import SnarkjsRun, Synthetic, build_snarkjs_run, synthetic_key


@pytest.fixture(scope="session")
def synthetic() -> Synthetic:
    """A 3-input verifying key with known trapdoors and its prover (fast, no node)."""
    return synthetic_key()


@pytest.fixture(scope="session")
def snarkjs_run() -> SnarkjsRun:
    """snarkjs setup and proofs of tests/verifier/circuits/mul.circom (cached; needs node)."""
    return build_snarkjs_run()
