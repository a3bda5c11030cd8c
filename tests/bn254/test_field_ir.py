"""The inline-IR field arithmetic of bn254.field_ir against Python integers and the plain kernels of
bn254.fields / bn254.fq2 (its slow twins), on edge values and seeded random ones."""

from __future__ import annotations

import random

import pytest
from numba import njit
from numba.core.errors import TypingError

from bn254 import field_ir as fi
from bn254.constants import Q, R
from bn254.fields import fq, fq_int, fq_mul, fr, fr_int, fr_mul
from bn254.fq2 import fq2, fq2_ints, fq2_mul, fq2_sqr

rng = random.Random(20261125)
R2 = (1 << 512) % Q
EDGE_Q = [0, 1, 2, 3, Q - 1, Q - 2, (Q - 1) // 2, (Q + 1) // 2, R2, (1 << 255) % Q, (1 << 253) % Q]
EDGE_R = [0, 1, 2, R - 1, R - 2, (R - 1) // 2, (1 << 512) % R]


def _pairs(edge: list[int], m: int, n_random: int = 60) -> list[tuple[int, int]]:
    vals = edge + [rng.randrange(m) for _ in range(8)]
    out = [(x, y) for x in vals for y in vals]
    return out + [(rng.randrange(m), rng.randrange(m)) for _ in range(n_random)]


@njit(cache=True)
def _fq_ops(a, b):
    return (fi.f_mul(a, b), fi.f_sqr(a), fi.f_add(a, b), fi.f_sub(a, b), fi.f_dbl(a), fi.f_neg(a),
            fi.f_is_zero(a), fi.f_eq(a, b))


@njit(cache=True)
def _fq2_ops(a, b):
    return (fi.f_mul(a, b), fi.f_sqr(a), fi.f_add(a, b), fi.f_sub(a, b), fi.f_dbl(a), fi.f_neg(a),
            fi.f_is_zero(a), fi.f_eq(a, b))


@njit(cache=True)
def _fr_ops(a, b):
    return fi.fr_mul_ir(a, b), fi.fr_sqr_ir(a), fi.fr_add_ir(a, b), fi.fr_sub_ir(a, b), fi.fr_neg_ir(a)


@njit(cache=True)
def _fq_plain(a, b):
    return fq_mul(a, b)


@njit(cache=True)
def _fq2_plain(a, b):
    return fq2_mul(a, b), fq2_sqr(a)


@njit(cache=True)
def _fr_plain(a, b):
    return fr_mul(a, b)


def test_fq_against_integers_and_plain_kernel() -> None:
    for x, y in _pairs(EDGE_Q, Q):
        a, b = fq(x), fq(y)
        mul, sqr, add, sub, dbl, neg, isz, eq = _fq_ops(a, b)
        assert fq_int(mul) == x * y % Q
        assert tuple(mul) == tuple(_fq_plain(a, b))  # same limbs, so fully reduced like the plain kernel
        assert fq_int(sqr) == x * x % Q
        assert fq_int(add) == (x + y) % Q and fq_int(sub) == (x - y) % Q
        assert fq_int(dbl) == 2 * x % Q and fq_int(neg) == -x % Q
        assert isz == (x == 0) and eq == (x == y)
        for v in (mul, sqr, add, sub, dbl, neg):  # every result is the canonical representative
            assert sum(int(limb) << (64 * k) for k, limb in enumerate(v)) < Q


def test_fq2_against_integers_and_plain_kernel() -> None:
    for (x0, y0), (x1, y1) in zip(_pairs(EDGE_Q, Q), reversed(_pairs(EDGE_Q, Q)), strict=True):
        a, b = fq2(x0, x1), fq2(y0, y1)
        mul, sqr, add, sub, dbl, neg, isz, eq = _fq2_ops(a, b)
        pm, ps = _fq2_plain(a, b)
        assert mul == pm and sqr == ps
        # (x0 + x1 u)(y0 + y1 u) with u^2 = -1
        assert fq2_ints(mul) == ((x0 * y0 - x1 * y1) % Q, (x0 * y1 + x1 * y0) % Q)
        assert fq2_ints(sqr) == ((x0 * x0 - x1 * x1) % Q, 2 * x0 * x1 % Q)
        assert fq2_ints(add) == ((x0 + y0) % Q, (x1 + y1) % Q)
        assert fq2_ints(sub) == ((x0 - y0) % Q, (x1 - y1) % Q)
        assert fq2_ints(dbl) == (2 * x0 % Q, 2 * x1 % Q) and fq2_ints(neg) == (-x0 % Q, -x1 % Q)
        assert isz == (x0 == 0 and x1 == 0) and eq == (x0 == y0 and x1 == y1)


def test_fr_against_integers_and_plain_kernel() -> None:
    for x, y in _pairs(EDGE_R, R):
        a, b = fr(x), fr(y)
        mul, sqr, add, sub, neg = _fr_ops(a, b)
        assert tuple(mul) == tuple(_fr_plain(a, b))
        assert fr_int(mul) == x * y % R and fr_int(sqr) == x * x % R
        assert fr_int(add) == (x + y) % R and fr_int(sub) == (x - y) % R and fr_int(neg) == -x % R


def test_intrinsics_refuse_python_calls_and_wrong_types() -> None:
    with pytest.raises(NotImplementedError):
        fi.f_mul(fq(1), fq(2))  # intrinsics only run inside kernels

    @njit
    def mixed(a, b):
        return fi.f_mul(a, b)

    with pytest.raises(TypingError):
        mixed(fq(1), fq2(1, 2))

    @njit
    def fr_on_fq2(a, b):
        return fi.fr_mul_ir(a, b)

    with pytest.raises(TypingError):
        fr_on_fq2(fq2(1, 2), fq2(3, 4))
