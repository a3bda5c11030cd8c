"""G2 kernels against py_ecc.optimized_bn128: group law, edge scalars, twist constant, subgroup check."""

from __future__ import annotations

import random

import numpy as np
import pytest
from py_ecc import optimized_bn128 as pe
from py_ecc.fields import optimized_bn128_FQ2 as FQ2

from bn254 import g2
from bn254.constants import G2_GEN, Q, R, to_limbs
from bn254.ec import as_kernel, scalar_limbs
from bn254.errors import PointError
from bn254.fields import fq, fr_to_mont_array, ints_to_array
from bn254.fq2 import fq2, fq2_ints

rng = random.Random(20261127)

EDGE_SCALARS = [0, 1, 2, R - 1, R, R + 1, Q, (1 << 256) - 1]
G2Ints = tuple[tuple[int, int], tuple[int, int]]


def _fq2_ints(a) -> tuple[int, int]:
    return (int(a.coeffs[0]) % Q, int(a.coeffs[1]) % Q)


def pe_ints(p) -> G2Ints | None:
    if pe.is_inf(p):
        return None
    x, y = pe.normalize(p)
    return (_fq2_ints(x), _fq2_ints(y))


def to_pe(xy: G2Ints):
    return (FQ2(list(xy[0])), FQ2(list(xy[1])), FQ2.one())


def oracle(k: int, base=pe.G2) -> G2Ints | None:
    return pe_ints(pe.multiply(base, k))


def rescale(p: tuple, lam: tuple[int, int]) -> tuple:
    """(lam^2 X, lam^3 Y, lam Z) for an Fq2 scalar lam: the same point."""
    x, y, z = (FQ2(list(fq2_ints(c))) for c in p)
    lm = FQ2(list(lam))
    return tuple(fq2(*_fq2_ints(v)) for v in (x * lm**2, y * lm**3, z * lm))


def point(k: int) -> tuple:
    if k % R == 0:
        return g2.G2_INF
    return rescale(g2.g2_from_ints(oracle(k)), (rng.randrange(Q), rng.randrange(1, Q)))


def is_inf(p) -> bool:
    return bool(g2.g2_is_inf(as_kernel(p)))


def fq2_sqrt(a: FQ2) -> FQ2 | None:
    """A square root in Fq2 for q = 3 mod 4 (Adj, Rodriguez-Henriquez 2012, Alg. 9), None if none."""
    a1 = a ** ((Q - 3) // 4)
    alpha = a1 * a1 * a
    a0 = alpha**Q * alpha
    if a0 == -FQ2.one():
        return None
    x0 = a1 * a
    if alpha == -FQ2.one():
        x = FQ2([0, 1]) * x0
    else:
        x = (FQ2.one() + alpha) ** ((Q - 1) // 2) * x0
    assert x * x == a
    return x


def twist_point_outside_g2() -> G2Ints:
    """A point on the twist with random x, y solved from the curve equation, not cofactor-cleared."""
    b2 = FQ2(list(g2.B2_INTS))
    while True:
        x = FQ2([rng.randrange(Q), rng.randrange(Q)])
        y = fq2_sqrt(x**3 + b2)
        if y is not None:
            return (_fq2_ints(x), _fq2_ints(y))


def test_twist_constant() -> None:
    assert g2.B2_INTS == _fq2_ints(pe.b2)
    assert fq2_ints(g2.B2) == g2.B2_INTS
    assert g2.g2_to_ints(g2.G2_GENERATOR) == G2_GEN == oracle(1)
    assert g2.g2_is_on_curve(g2.G2_GENERATOR[:2]) and g2.g2_is_on_curve_jac(g2.G2_GENERATOR)


@pytest.mark.parametrize("a,b", [(1, 2), (9, 9), (5, R - 5), (R - 1, R - 1), (31415926, 27182818)])
def test_add_double_madd_match_py_ecc(a: int, b: int) -> None:
    pa, pb = point(a), point(b)
    assert g2.g2_to_ints(g2.g2_add(pa, pb)) == oracle(a + b)
    assert g2.g2_to_ints(g2.g2_dbl(pa)) == oracle(2 * a)
    arr = g2.g2_array([oracle(b)])
    ab = ((tuple(arr[0, 0, 0]), tuple(arr[0, 0, 1])), (tuple(arr[0, 1, 0]), tuple(arr[0, 1, 1])))
    assert g2.g2_to_ints(g2.g2_madd(pa, ab)) == oracle(a + b)


def test_exceptional_cases_of_addition() -> None:
    p = point(4242)
    same = rescale(p, (3, 5))
    assert g2.g2_to_ints(g2.g2_add(p, same)) == oracle(8484)
    assert is_inf(g2.g2_add(p, as_kernel(g2.g2_neg(same))))
    assert g2.g2_to_ints(g2.g2_add(g2.G2_INF, p)) == oracle(4242)
    assert g2.g2_to_ints(g2.g2_add(p, g2.G2_INF)) == oracle(4242)
    a = as_kernel(g2.g2_to_affine(p))
    zero = (fq2(0, 0), fq2(0, 0))
    assert g2.g2_to_ints(g2.g2_madd(p, zero)) == oracle(4242)
    assert g2.g2_to_ints(g2.g2_madd(same, a)) == oracle(8484)
    assert is_inf(g2.g2_madd(p, as_kernel(g2.g2_aff_neg(a))))
    assert g2.g2_to_ints(g2.g2_madd(g2.G2_INF, a)) == oracle(4242)
    assert g2.g2_eq(p, same) and not g2.g2_eq(p, point(4243)) and not g2.g2_eq(p, g2.G2_INF)


@pytest.mark.parametrize("k", EDGE_SCALARS)
def test_mul_edge_scalars(k: int) -> None:
    assert g2.g2_to_ints(g2.g2_mul(g2.G2_GENERATOR, scalar_limbs(k))) == oracle(k)
    t = rng.randrange(1, R)
    assert g2.g2_to_ints(g2.g2_mul_int(point(t), k)) == oracle(t * k % R)


def test_group_order() -> None:
    assert is_inf(g2.g2_mul_int(g2.G2_GENERATOR, R))
    assert g2.g2_eq(g2.g2_mul_int(g2.G2_GENERATOR, R - 1), as_kernel(g2.g2_neg(g2.G2_GENERATOR)))
    assert g2.g2_in_subgroup(g2.G2_GENERATOR) and g2.g2_in_subgroup(point(rng.randrange(1, R)))
    assert g2.g2_in_subgroup(g2.G2_INF)


def test_subgroup_check_rejects_twist_points_outside_g2() -> None:
    cofactor = 2 * Q - R  # #E'(Fq2) = r * (2q - r) for BN curves; checked on the point below
    for _ in range(3):
        xy = twist_point_outside_g2()
        p = g2.g2_from_ints(xy)
        assert g2.g2_is_on_curve(p[:2])
        # the oracle agrees that the point is outside G2, and that r * cofactor kills it
        assert not pe.is_inf(pe.multiply(to_pe(xy), R))
        assert pe.is_inf(pe.multiply(pe.multiply(to_pe(xy), cofactor), R))
        assert not g2.g2_in_subgroup(p)
        with pytest.raises(PointError, match="subgroup"):
            g2.g2_decode(xy)
        cleared = g2.g2_mul_int(p, cofactor)  # cofactor clearing lands in G2: accepted
        assert g2.g2_in_subgroup(cleared)
        assert g2.g2_to_ints(g2.g2_decode(g2.g2_to_ints(cleared))) == g2.g2_to_ints(cleared)
        arr = g2.g2_array([oracle(3), xy, oracle(5)])
        g2.g2_validate_array(arr)  # on the twist: passes without the subgroup check
        with pytest.raises(PointError, match="point 1 of 3"):
            g2.g2_validate_array(arr, subgroup=True)


def test_strict_decoder() -> None:
    p = oracle(2718)
    assert g2.g2_to_ints(g2.g2_decode(p)) == p
    (x0, x1), (y0, y1) = p
    for bad in [
        ((x0 + Q, x1), (y0, y1)),
        ((x0, x1 + Q), (y0, y1)),
        ((x0, x1), (y0 + Q, y1)),
        ((x0, x1), (y0, y1 + Q)),
        ((x0, -1), (y0, y1)),
    ]:
        with pytest.raises(PointError, match=r"\[0, q\)"):
            g2.g2_decode(bad)
    with pytest.raises(PointError, match="twist"):
        g2.g2_decode(((x0, x1), (y0, (y1 + 1) % Q)))
    with pytest.raises(PointError, match="twist"):
        g2.g2_decode(((x1, x0), (y1, y0)))  # the EVM's swapped order is not ours
    for inf in (None, ((0, 0), (0, 0))):
        with pytest.raises(PointError, match="infinity"):
            g2.g2_decode(inf)
        assert is_inf(g2.g2_decode(inf, allow_infinity=True))
    for bad in [(x0, y0), ((x0, x1), (y0,)), ((1.0, 0), (0, 0)), "point"]:
        with pytest.raises(PointError):
            g2.g2_decode(bad)


def test_arrays_and_batch_affine() -> None:
    ks = [rng.randrange(1, R) for _ in range(7)]
    expect = [oracle(k) for k in ks]
    expect[4] = None
    arr = g2.g2_array(expect)
    assert arr.shape == (7, 2, 2, 4) and not arr[4].any()
    assert g2.g2_array_to_ints(arr) == expect
    jac = np.zeros((7, 3, 2, 4), dtype=np.uint64)
    for i, k in enumerate(ks):
        p = point(k) if expect[i] is not None else g2.G2_INF
        for j in range(3):
            jac[i, j, 0], jac[i, j, 1] = p[j]
    for chunk in (2, 4096):
        assert g2.g2_array_to_ints(g2.g2_batch_to_affine(jac, chunk=chunk)) == expect
    g2.g2_validate_array(arr)
    with pytest.raises(PointError, match="point 4 of 7"):
        g2.g2_validate_array(arr, allow_infinity=False)
    raw = arr.copy()
    raw[1, 1, 0] = np.array(to_limbs(Q + 5), dtype=np.uint64)
    with pytest.raises(PointError, match="point 1 of 7"):
        g2.g2_validate_array(raw)
    bad = arr.copy()
    bad[2, 0, 0] = fq(7)
    with pytest.raises(PointError, match="point 2 of 7"):
        g2.g2_validate_array(bad)


@pytest.mark.parametrize("window", [None, 2, 7])
def test_fixed_base_batch(window: int | None) -> None:
    ks = [0, 1, R - 1, R, (1 << 256) - 1] + [rng.randrange(R) for _ in range(6)]
    base_k = rng.randrange(1, R)
    std = ints_to_array(ks, 1 << 256, montgomery=False)
    out = g2.g2_fixed_base_batch(oracle(base_k), std, montgomery=False, window=window, chunk=4)
    assert g2.g2_array_to_ints(out) == [oracle(base_k * k % R) for k in ks]
    mont = fr_to_mont_array(ints_to_array([k % R for k in ks], R, montgomery=False))
    assert np.array_equal(g2.g2_fixed_base_batch(g2.g2_from_ints(oracle(base_k)), mont, montgomery=True), out)
