"""NTT and QAP timings: `.venv/bin/pytest bench/test_bench_ntt.py --benchmark-enable`.

Sizes are the transfer circuits' domains (2^15, 2^16). The QAP cases time the prover's whole H
step on a synthetic circuit with about 3 A and 3 B terms per constraint: evaluations (scatter +
product) and the three domain -> odd-coset moves with the join. With benchmarks disabled (the
default addopts) each case runs once as a smoke test.
"""

from __future__ import annotations

import numpy as np
import pytest

from prover import ntt as N
from prover import qap as P

SIZES = [15, 16]
MODES = {"serial": False, "parallel": True}


def _random_elements(n: int, seed: int) -> np.ndarray:
    g = np.random.default_rng(seed)
    x = g.integers(0, 1 << 64, size=(n, 4), dtype=np.uint64)
    x[:, 3] &= np.uint64((1 << 61) - 1)  # below r
    return x


def _circuit(log_n: int, terms_per_row: int = 6) -> tuple[np.ndarray, np.ndarray]:
    n = 1 << log_n
    m = terms_per_row * n
    g = np.random.default_rng(log_n)
    recs = np.zeros(m, dtype=P.COEFF_DTYPE)
    recs["matrix"] = g.integers(0, 2, m)
    recs["constraint"] = np.sort(g.integers(0, n, m))  # snarkjs writes records row by row
    recs["signal"] = g.integers(0, n, m)
    recs["value"] = _random_elements(m, 1)
    return recs, _random_elements(n, 2)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("log_n", SIZES)
def test_ntt(benchmark, log_n: int, mode: str) -> None:
    x = _random_elements(1 << log_n, log_n)
    N.twiddles(log_n)  # warm: tables are built once per size
    benchmark(N.ntt, x, parallel=MODES[mode])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("log_n", SIZES)
def test_domain_to_odd_coset(benchmark, log_n: int, mode: str) -> None:
    x = _random_elements(1 << log_n, log_n)
    shift = P.odd_coset_shift(1 << log_n)
    N.domain_to_coset(x, shift)
    benchmark(N.domain_to_coset, x, shift, parallel=MODES[mode])


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("log_n", SIZES)
def test_qap_h(benchmark, log_n: int, mode: str) -> None:
    recs, w = _circuit(log_n)
    parallel = MODES[mode]
    P.compute_h(recs, w, 1 << log_n, parallel=parallel)
    benchmark(P.compute_h, recs, w, 1 << log_n, parallel=parallel)


@pytest.mark.parametrize("mode", MODES)
def test_qap_h_from_evaluations(benchmark, mode: str) -> None:
    """The 3 iNTT + 3 coset NTT + join of a 2^15 domain alone (the brief's < 100 ms budget)."""
    n = 1 << 15
    a, b = _random_elements(n, 3), _random_elements(n, 4)
    c = _random_elements(n, 5)
    P.h_odd_coset(a, b, c)
    benchmark(P.h_odd_coset, a, b, c, parallel=MODES[mode])
