"""Development setup timings: `.venv/bin/pytest bench/test_bench_setup.py --benchmark-enable`.

The brief's budget: a 2^16 ptau plus the 2x2 transfer circuit's zkey (19144 constraints, domain 2^15)
in under 60 s on 2 cores. Each stage runs once per round (these are seconds, not microseconds), so
the suite uses `benchmark.pedantic` with one round; the stage breakdown comes from the progress
callback and is printed (`-s`). With benchmarks disabled (the default addopts) each case still
runs once, as a smoke test; the 2^16 cases are marked slow and the transfer case needs
`make circuits`.

For comparison (same machine): `snarkjs powersoftau prepare phase2` alone takes over 20 minutes at
2^16, and `snarkjs zkey verify` of the transfer key about 5 minutes.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from bn254.constants import R
from prover import setup as S
from prover.formats.r1cs import R1CS, Coo, write_r1cs

ROOT = Path(__file__).resolve().parents[1]
TRANSFER_2X2 = ROOT / "build" / "circuits" / "transfer_2x2" / "transfer_2x2.r1cs"


class _Stages:
    """Progress callback that records wall and CPU seconds per stage."""

    def __init__(self) -> None:
        self.first: dict[str, tuple[float, float]] = {}
        self.last: dict[str, tuple[float, float]] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = (time.perf_counter(), time.process_time())
        self.first.setdefault(stage, now)
        self.last[stage] = now

    def report(self, title: str) -> None:
        parts = [f"{s} {self.last[s][0] - t[0]:.2f}s" for s, t in self.first.items()]
        print(f"\n{title}: " + ", ".join(parts))


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", S.DevSetupWarning)
        return fn(*args, **kwargs)


def _timed(fn, *args, **kwargs) -> tuple[object, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = _quiet(fn, *args, **kwargs)
    return out, time.perf_counter() - w, time.process_time() - c


@pytest.mark.parametrize("power", [10, pytest.param(16, marks=pytest.mark.slow)])
def test_powers_of_tau(benchmark, power: int, tmp_path: Path) -> None:
    _quiet(S.powers_of_tau, 4, tmp_path / "warm.ptau")  # compile the kernels outside the timing
    stages = _Stages()
    benchmark.pedantic(_quiet, args=(S.powers_of_tau, power, tmp_path / "b.ptau"), kwargs={"progress": stages},
                       rounds=1, iterations=1)
    stages.report(f"ptau 2^{power}")


def _synthetic_r1cs(path: Path, n_constraints: int, seed: int = 1) -> None:
    """A random R1CS with the transfer circuit's shape: per constraint about 2.4 A, 3.4 B and 6.4 C
    terms, 40% of them +-1 and the rest full-size coefficients."""
    g = np.random.default_rng(seed)
    n_wires = n_constraints + 10

    def coo(per_row: float) -> Coo:
        counts = g.poisson(per_row - 1, n_constraints) + 1
        rows = np.repeat(np.arange(n_constraints), counts)
        cols = g.integers(0, n_wires, rows.shape[0])
        coeffs = g.integers(0, 1 << 64, (rows.shape[0], 4), dtype=np.uint64)
        coeffs[:, 3] &= np.uint64((1 << 61) - 1)
        unit = g.random(rows.shape[0]) < 0.4
        coeffs[unit] = 0
        coeffs[unit, 0] = 1
        minus = unit & (g.random(rows.shape[0]) < 0.5)
        coeffs[minus] = [(R - 1 >> (64 * i)) & ((1 << 64) - 1) for i in range(4)]
        return Coo(rows, cols.astype(np.int64), coeffs)

    write_r1cs(R1CS(prime=R, n_wires=n_wires, n_pub_out=1, n_pub_in=7, n_prv_in=60, n_labels=n_wires,
                    n_constraints=n_constraints, A=coo(2.4), B=coo(3.4), C=coo(6.4)), path)


@pytest.fixture(scope="module")
def ptau16(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("ptau") / "b16.ptau"
    _quiet(S.powers_of_tau, 16, path)
    return path


@pytest.mark.slow
def test_groth16_setup_synthetic_2_15(benchmark, ptau16: Path, tmp_path: Path) -> None:
    r1cs = tmp_path / "synthetic.r1cs"
    _synthetic_r1cs(r1cs, 19144)
    stages = _Stages()
    benchmark.pedantic(_quiet, args=(S.groth16_setup, r1cs, ptau16, tmp_path / "s.zkey"),
                       kwargs={"progress": stages}, rounds=1, iterations=1)
    stages.report("zkey synthetic 19144 constraints")


@pytest.mark.slow
@pytest.mark.circuits
def test_budget_ptau16_plus_transfer_2x2(tmp_path: Path) -> None:
    """The brief's budget, end to end in one process (kernels compiled beforehand)."""
    if not TRANSFER_2X2.exists():
        pytest.skip("build/circuits/transfer_2x2 is missing: run `make circuits`")
    _quiet(S.powers_of_tau, 4, tmp_path / "warm.ptau")
    _, w1, c1 = _timed(S.powers_of_tau, 16, tmp_path / "t16.ptau")
    res, w2, c2 = _timed(S.groth16_setup, TRANSFER_2X2, tmp_path / "t16.ptau", tmp_path / "t.zkey")
    print(f"\nptau 2^16: {w1:.1f} s wall / {c1:.1f} s CPU; transfer 2x2 zkey (2^{res.domain_size.bit_length() - 1}):"
          f" {w2:.1f} s wall / {c2:.1f} s CPU; total {w1 + w2:.1f} s")
    # on a shared machine wall time lies; CPU seconds / 2 is what two dedicated cores would take
    assert w1 + w2 < 60 or c1 + c2 < 120, "over the 60 s budget on 2 cores"
    (_, zk), w3, c3 = _timed(S.dev_setup, TRANSFER_2X2, tmp_path / "d16.ptau", tmp_path / "d.zkey", power=16)
    print(f"dev_setup (both phases, fast path): {w3:.1f} s wall / {c3:.1f} s CPU")
    assert w3 < 60 or c3 < 120
