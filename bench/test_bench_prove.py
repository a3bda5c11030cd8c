"""Whole warm Groth16 proofs per circuit: `.venv/bin/pytest bench/test_bench_prove.py --benchmark-enable`.

One warm `Prover` per circuit (proving key mapped, kernels compiled or loaded from numba's cache),
the example transfer's witness computed once; each round is `prove(witness)` with the self-check,
as a worker runs it. A circuit whose development key is missing (`hush setup circuit <name>`) is
skipped, not built here: the 16x2 setup takes minutes. With benchmarks disabled (the default
addopts) each case runs once as a smoke test and its proof is checked by the verifier.

`--benchmark-json bench/results/pytest_prove.json` keeps the figures beside `bench.compare`'s.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

CIRCUITS = ["transfer_2x2", "transfer_16x2", "compliant_2x2", "compliant_16x2"]

pytestmark = [pytest.mark.slow, pytest.mark.circuits]


@cache
def _prover_and_witness(name: str):
    from hush.artifacts import circuit_files
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator
    from transfer.compliant_example import warmup_example

    files = circuit_files(name)
    if not files.zkey.is_file() or not files.wasm.is_file():
        return None
    prover = Prover(files.zkey)
    prover.warm()
    witness = WitnessCalculator(files.wasm).calculate_limbs(warmup_example(name)[0])
    prover.prove(witness)  # first proof outside the timing (page-in of the key, thread pool start)
    return prover, witness


@pytest.mark.parametrize("name", CIRCUITS)
def test_warm_prove(benchmark, name: str) -> None:
    pw = _prover_and_witness(name)
    if pw is None:
        pytest.skip(f"no development key or witness calculator for {name} (`hush setup circuit {name}`)")
    prover, witness = pw
    result = benchmark(prover.prove, witness)
    # the prover's self-check ran the verifier; check the public signals against the witness too
    n_pub = prover.n_public
    expected = [int(v[0]) | int(v[1]) << 64 | int(v[2]) << 128 | int(v[3]) << 192 for v in witness[1 : n_pub + 1]]
    assert result.public_signals == expected
    assert set(result.timings) >= {"msm_a", "msm_b1", "msm_b2", "msm_c", "msm_h", "coset_ntt"}
    assert isinstance(witness, np.ndarray)
