"""G1/G2 group-law and MSM timings: `.venv/bin/pytest bench/test_bench_curve.py --benchmark-enable`.

Group-law cases time a compiled loop of 1000 operations (divide by 1000 for one). MSM cases use
random points (k_i * G from the fixed-base batch) and random scalars below r, the worst case: a
proof's witness is mostly bits, which the MSM sums directly. With benchmarks disabled (the default
addopts) each case runs once as a smoke test; sizes from 2^14 up are marked slow.

`.venv/bin/python -m bench.test_bench_curve` prints a table (wall and CPU time, parallel and serial).
"""

from __future__ import annotations

import random
import time
from functools import cache

import numpy as np
import pytest
from numba import njit

from bn254 import g1, g2
from bn254.constants import R
from bn254.ec import as_kernel, jac_add, jac_dbl, jac_madd, jac_to_aff
from bn254.fields import ints_to_array
from prover import msm

LOOP = 1000
# the loops below are not cached: pytest and `python -m` import this file under different module
# names, and numba's cache pickles the name
MSM_SIZES = list(range(10, 17))
MODES = {"parallel": True, "serial": False}


@njit
def _add_loop(p, q, n):
    for _ in range(n):
        p = jac_add(p, q)
    return p


@njit
def _madd_loop(p, a, n):
    for _ in range(n):
        p = jac_madd(p, a)
    return p


@njit
def _dbl_loop(p, n):
    for _ in range(n):
        p = jac_dbl(p)
    return p


@njit
def _affine(p):
    return jac_to_aff(p)


def _operands(grp: str) -> tuple:
    if grp == "g1":
        p, q = g1.g1_mul_int(g1.G1_GENERATOR, 7), g1.g1_mul_int(g1.G1_GENERATOR, 11)
    else:
        p, q = g2.g2_mul_int(g2.G2_GENERATOR, 7), g2.g2_mul_int(g2.G2_GENERATOR, 11)
    return p, q, as_kernel(_affine(q))


@cache
def _msm_inputs(grp: str, log_n: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(log_n)
    n = 1 << log_n
    ks = ints_to_array([rng.randrange(1, R) for _ in range(n)], R, montgomery=False)
    if grp == "g1":
        points = g1.g1_fixed_base_batch(g1.G1_GENERATOR, ks, montgomery=False)
    else:
        points = g2.g2_fixed_base_batch(g2.G2_GENERATOR, ks, montgomery=False)
    scalars = ints_to_array([rng.randrange(R) for _ in range(n)], R, montgomery=False)
    return points, scalars


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_add(benchmark, grp: str) -> None:
    p, q, _ = _operands(grp)
    benchmark(_add_loop, p, q, LOOP)


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_madd(benchmark, grp: str) -> None:
    p, _, a = _operands(grp)
    benchmark(_madd_loop, p, a, LOOP)


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_dbl(benchmark, grp: str) -> None:
    p, _, _ = _operands(grp)
    benchmark(_dbl_loop, p, LOOP)


def _size_params() -> list:
    out = []
    for log_n in MSM_SIZES:
        marks = [pytest.mark.slow] if log_n >= 14 else []
        out.append(pytest.param(log_n, marks=marks, id=f"2^{log_n}"))
    return out


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("log_n", _size_params())
@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_msm(benchmark, grp: str, log_n: int, mode: str) -> None:
    points, scalars = _msm_inputs(grp, log_n)
    run = msm.msm_g1 if grp == "g1" else msm.msm_g2
    run(points[:8], scalars[:8], parallel=MODES[mode])  # compiled before timing
    benchmark(run, points, scalars, parallel=MODES[mode])


def _best(fn, *args, repeat: int = 3, **kw) -> tuple[float, float]:
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn(*args, **kw)
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def main() -> None:
    for grp in ("g1", "g2"):
        p, q, a = _operands(grp)
        for name, fn, args in (("add", _add_loop, (p, q)), ("madd", _madd_loop, (p, a)), ("dbl", _dbl_loop, (p,))):
            fn(*args, 10)
            wall, _ = _best(fn, *args, 100_000)
            print(f"{grp} {name}: {wall / 100_000 * 1e9:.0f} ns")
    for grp in ("g1", "g2"):
        run = msm.msm_g1 if grp == "g1" else msm.msm_g2
        for log_n in MSM_SIZES:
            points, scalars = _msm_inputs(grp, log_n)
            row = [f"{grp} msm 2^{log_n} (c={msm.msm_window(1 << log_n)}):"]
            for mode, par in MODES.items():
                run(points[:8], scalars[:8], parallel=par)
                wall, cpu = _best(run, points, scalars, parallel=par)
                row.append(f"{mode} {wall * 1e3:.1f} ms wall / {cpu * 1e3:.1f} ms cpu")
            print("  ".join(row), flush=True)


if __name__ == "__main__":
    main()
