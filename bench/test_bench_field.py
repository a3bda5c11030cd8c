"""Field multiplication timings, plain kernels against the inline IR of `bn254.field_ir`:
`.venv/bin/pytest bench/test_bench_field.py --benchmark-enable`.

Each case times a compiled loop of 1000 dependent multiplications (divide by 1000 for one): Fq and
Fr (`fields.fq_mul` / `fr_mul`, a call per multiplication, against `f_mul` / `fr_mul_ir` emitted in
line), Fq2 (`fq2.fq2_mul`, three calls, against `f_mul` with lazy reduction) and Fq2 squaring.
With benchmarks disabled (the default addopts) each case runs once and checks that both ways agree.

`.venv/bin/python -m bench.test_bench_field` prints ns per operation.
"""

from __future__ import annotations

import time

import pytest
from numba import njit

from bn254 import field_ir as fi
from bn254.fields import fq, fq_mul, fr, fr_mul
from bn254.fq2 import fq2, fq2_mul, fq2_sqr

LOOP = 1000
# not cached: pytest and `python -m` import this file under different module names


@njit
def _fq_plain(a, b, n):
    for _ in range(n):
        a = fq_mul(a, b)
    return a


@njit
def _fr_plain(a, b, n):
    for _ in range(n):
        a = fr_mul(a, b)
    return a


@njit
def _fq2_plain(a, b, n):
    for _ in range(n):
        a = fq2_mul(a, b)
    return a


@njit
def _fq2_sqr_plain(a, b, n):
    for _ in range(n):
        a = fq2_sqr(a)
    return a


@njit
def _f_inline(a, b, n):  # Fq or Fq2 by the argument types
    for _ in range(n):
        a = fi.f_mul(a, b)
    return a


@njit
def _fr_inline(a, b, n):
    for _ in range(n):
        a = fi.fr_mul_ir(a, b)
    return a


@njit
def _sqr_inline(a, b, n):
    for _ in range(n):
        a = fi.f_sqr(a)
    return a


def _cases() -> dict:
    x, y = 0x1234567890ABCDEF1234567890ABCDEF, 0xFEDCBA0987654321FEDCBA0987654321
    return {
        "fq_mul": ((_fq_plain, _f_inline), (fq(x), fq(y))),
        "fr_mul": ((_fr_plain, _fr_inline), (fr(x), fr(y))),
        "fq2_mul": ((_fq2_plain, _f_inline), (fq2(x, y), fq2(y, x))),
        "fq2_sqr": ((_fq2_sqr_plain, _sqr_inline), (fq2(x, y), fq2(y, x))),
    }


@pytest.mark.parametrize("way", ["plain", "inline"])
@pytest.mark.parametrize("op", ["fq_mul", "fr_mul", "fq2_mul", "fq2_sqr"])
def test_field_op(benchmark, op: str, way: str) -> None:
    (plain, inline), (a, b) = _cases()[op]
    fn = plain if way == "plain" else inline
    assert plain(a, b, 50) == inline(a, b, 50)
    benchmark(fn, a, b, LOOP)


def main() -> None:
    n = 200_000
    for op, ((plain, inline), (a, b)) in _cases().items():
        row = [f"{op}:"]
        for way, fn in (("plain", plain), ("inline", inline)):
            fn(a, b, 10)
            best = min(_timed(fn, a, b, n) for _ in range(5))
            row.append(f"{way} {best / n * 1e9:.1f} ns")
        print("  ".join(row), flush=True)


def _timed(fn, a, b, n: int) -> float:
    t = time.thread_time()
    fn(a, b, n)
    return time.thread_time() - t


if __name__ == "__main__":
    main()
