"""Fq, Fr and Fq2 kernels against Python integers and py_ecc, on edge values and seeded randoms."""

from __future__ import annotations

import random

import numpy as np
import pytest
from numba import njit
from py_ecc.fields import bn128_FQ2 as PyFQ2

from bn254 import fields as F
from bn254 import fq2 as F2
from bn254.constants import Q, R, from_limbs, to_limbs
from bn254.limbs import adc, mac, mul_wide, sbb

M64 = (1 << 64) - 1


@njit
def _limb_ops(a, b, c, d):
    """Intrinsics only run inside compiled code."""
    return mac(a, b, c, d), mul_wide(a, b), adc(a, b, np.uint64(1)), sbb(a, b, np.uint64(1))
rng = random.Random(20261125)


def edge_values(m: int) -> list[int]:
    return [0, 1, 2, m - 1, m - 2, (m - 1) // 2, 1 << 64, (1 << 192) - 1, *(rng.randrange(m) for _ in range(6))]


@pytest.mark.parametrize("a,b,c,d", [(0, 0, 0, 0), (M64, M64, M64, M64), (M64, 1, 0, M64), (12345, 678, 9, 10)])
def test_limb_intrinsics(a: int, b: int, c: int, d: int) -> None:
    u = np.uint64
    (lo, hi), (lo2, hi2), (s, carry), (diff, borrow) = _limb_ops(u(a), u(b), u(c), u(d))
    assert lo | hi << 64 == a * b + c + d
    assert lo2 | hi2 << 64 == a * b
    assert s | carry << 64 == a + b + 1
    assert diff == (a - b - 1) % (1 << 64) and borrow == int(a - b - 1 < 0)


FIELDS = [
    ("fq", Q, F.fq, F.fq_int, F.fq_mul, F.fq_add, F.fq_sub, F.fq_neg, F.fq_inv),
    ("fr", R, F.fr, F.fr_int, F.fr_mul, F.fr_add, F.fr_sub, F.fr_neg, F.fr_inv),
]


@pytest.mark.parametrize("name,m,enc,dec,mul,add,sub,neg,inv", FIELDS, ids=[f[0] for f in FIELDS])
def test_field_ops_match_integers(name, m, enc, dec, mul, add, sub, neg, inv) -> None:
    vals = edge_values(m)
    for a in vals:
        for b in vals:
            assert dec(mul(enc(a), enc(b))) == a * b % m
            assert dec(add(enc(a), enc(b))) == (a + b) % m
            assert dec(sub(enc(a), enc(b))) == (a - b) % m
        assert dec(neg(enc(a))) == -a % m
        if a % m:
            assert dec(inv(enc(a))) * a % m == 1
    assert dec(inv(enc(0))) == 0
    # the py_func twin runs the same code uncompiled: same answers
    assert dec(mul.py_func(enc(m - 1), enc(m - 1))) == 1


def test_results_are_canonical() -> None:
    """Every result is fully reduced (< m), so limbs compare equal iff values do."""
    for a in edge_values(Q):
        for b in edge_values(Q):
            assert from_limbs(F.fq_mul(F.fq(a), F.fq(b))) < Q
            assert from_limbs(F.fq_add(F.fq(a), F.fq(b))) < Q


def test_montgomery_conversion_and_arrays() -> None:
    vals = edge_values(R)
    std = F.ints_to_array(vals, R, montgomery=False)
    mont = F.fr_to_mont_array(std)
    assert F.array_to_ints(mont, R) == vals
    assert F.array_to_ints(F.fr_from_mont_array(mont), R, montgomery=False) == vals
    assert np.array_equal(mont, F.ints_to_array(vals, R))
    qvals = edge_values(Q)
    qmont = F.fq_to_mont_array(F.ints_to_array(qvals, Q, montgomery=False))
    assert F.array_to_ints(qmont, Q) == qvals


@pytest.mark.parametrize("bad", [-1, R, R + 1, 1 << 256])
def test_ints_to_array_rejects_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="expected a field element"):
        F.ints_to_array([1, bad], R)


def test_batch_inverse_with_zeros() -> None:
    vals = [0, 1, R - 1, 0, *(rng.randrange(1, R) for _ in range(50)), 0]
    inv = F.array_to_ints(F.fr_batch_inv(F.ints_to_array(vals, R)), R)
    for v, w in zip(vals, inv, strict=True):
        assert (v * w % R == 1) if v else w == 0


def test_sqrt_candidate() -> None:
    for a in edge_values(Q):
        s = F.fq_int(F.fq_sqrt_candidate(F.fq(a)))
        is_square = a == 0 or pow(a, (Q - 1) // 2, Q) == 1
        assert (s * s % Q == a) == is_square


def test_fq2_against_py_ecc() -> None:
    vals = [(0, 0), (1, 0), (0, 1), (Q - 1, Q - 1), *((rng.randrange(Q), rng.randrange(Q)) for _ in range(5))]
    for a in vals:
        pa = PyFQ2(list(a))
        for b in vals:
            pb = PyFQ2(list(b))
            A, B = F2.fq2(*a), F2.fq2(*b)
            assert F2.fq2_ints(F2.fq2_mul(A, B)) == tuple(int(c) for c in (pa * pb).coeffs)
            assert F2.fq2_ints(F2.fq2_add(A, B)) == tuple(int(c) for c in (pa + pb).coeffs)
            assert F2.fq2_ints(F2.fq2_sub(A, B)) == tuple(int(c) for c in (pa - pb).coeffs)
        assert F2.fq2_ints(F2.fq2_sqr(F2.fq2(*a))) == tuple(int(c) for c in (pa * pa).coeffs)
        xi = tuple(int(c) for c in (pa * PyFQ2([9, 1])).coeffs)
        assert F2.fq2_ints(F2.fq2_mul_xi(F2.fq2(*a))) == xi
        if a != (0, 0):
            inv = F2.fq2_ints(F2.fq2_inv(F2.fq2(*a)))
            assert F2.fq2_ints(F2.fq2_mul(F2.fq2(*inv), F2.fq2(*a))) == (1, 0)


def test_to_limbs_bounds() -> None:
    assert from_limbs(to_limbs((1 << 256) - 1)) == (1 << 256) - 1
    with pytest.raises(ValueError):
        to_limbs(1 << 256)
    with pytest.raises(ValueError):
        to_limbs(-1)
