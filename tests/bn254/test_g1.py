"""G1 kernels against py_ecc (optimized_bn128 and bn128), edge scalars, EIP-196 vectors, strict decoders."""

from __future__ import annotations

import importlib.util
import json
import random
from pathlib import Path

import numpy as np
import pytest
from py_ecc import optimized_bn128 as pe

from bn254 import g1
from bn254.constants import G1_GEN, Q, R, to_limbs
from bn254.ec import as_kernel, jac_mul_small, scalar_limbs
from bn254.errors import PointError
from bn254.fields import fq, fq_int, fr_to_mont_array, ints_to_array

rng = random.Random(20261126)
VECTORS = Path(__file__).parents[1] / "vectors"

EDGE_SCALARS = [0, 1, 2, 3, R - 2, R - 1, R, R + 1, 2 * R, Q, 1 << 255, (1 << 256) - 1, (R + 1) // 2]


def oracle(k: int, base=pe.G1) -> tuple[int, int] | None:
    """k * base by py_ecc, as ints (None for infinity)."""
    p = pe.multiply(base, k)
    if pe.is_inf(p):
        return None
    x, y = pe.normalize(p)
    return (int(x), int(y))


def rescale(p: tuple, lam: int) -> tuple:
    """Another Jacobian representation of the same point: (lam^2 X, lam^3 Y, lam Z)."""
    x, y, z = (fq_int(c) for c in p)
    return (fq(x * lam**2), fq(y * lam**3), fq(z * lam))


def point(k: int) -> tuple:
    """k * G as a kernel point with Z != 1 (so the formulas see general input)."""
    return rescale(g1.g1_from_ints(oracle(k)), rng.randrange(2, Q)) if k % R else g1.G1_INF


def ints(p) -> tuple[int, int] | None:
    return g1.g1_to_ints(p)


def is_inf(p) -> bool:
    """The kernel's infinity test on a kernel result (kernels hand back plain ints: rebuild first)."""
    return bool(g1.g1_is_inf(as_kernel(p)))


def test_constants_and_generator() -> None:
    assert g1.g1_to_ints(g1.G1_GENERATOR) == G1_GEN == oracle(1)
    assert fq_int(g1.B1) == 3 == int(pe.b)
    assert g1.g1_is_on_curve(g1.G1_GENERATOR[:2])
    assert g1.g1_is_on_curve_jac(g1.G1_GENERATOR)
    assert g1.g1_is_inf(g1.G1_INF) and not g1.g1_is_inf(g1.G1_GENERATOR)


@pytest.mark.parametrize("a,b", [(1, 2), (5, 5), (7, R - 7), (R - 1, 1), (R - 1, R - 1), (123456789, 987654321)])
def test_add_double_madd_match_py_ecc(a: int, b: int) -> None:
    pa, pb = point(a), point(b)
    assert ints(g1.g1_add(pa, pb)) == oracle(a + b)
    assert ints(g1.g1_add(pb, pa)) == oracle(a + b)
    assert ints(g1.g1_dbl(pa)) == oracle(2 * a)
    affine_b = g1.g1_array([oracle(b)])
    bb = (tuple(affine_b[0, 0]), tuple(affine_b[0, 1]))
    assert ints(g1.g1_madd(pa, bb)) == oracle(a + b)


def test_exceptional_cases_of_addition() -> None:
    p = point(42)
    same = rescale(p, 99)  # P again, other representation: add must double
    assert ints(g1.g1_add(p, same)) == oracle(84)
    assert is_inf(g1.g1_add(p, as_kernel(g1.g1_neg(same))))  # P + (-P)
    assert ints(g1.g1_add(g1.G1_INF, p)) == oracle(42)
    assert ints(g1.g1_add(p, g1.G1_INF)) == oracle(42)
    odd_inf = (fq(5), fq(7), fq(0))  # any X, Y with Z = 0 is infinity
    assert ints(g1.g1_add(odd_inf, p)) == oracle(42)
    assert is_inf(g1.g1_add(g1.G1_INF, odd_inf))
    assert is_inf(g1.g1_dbl(g1.G1_INF))
    a = as_kernel(g1.g1_to_affine(p))
    zero_aff = (fq(0), fq(0))
    assert ints(g1.g1_madd(p, zero_aff)) == oracle(42)
    assert ints(g1.g1_madd(g1.G1_INF, a)) == oracle(42)
    assert ints(g1.g1_madd(same, a)) == oracle(84)  # P + P via mixed addition
    assert is_inf(g1.g1_madd(p, as_kernel(g1.g1_aff_neg(a))))
    assert is_inf(g1.g1_madd(g1.G1_INF, zero_aff))


@pytest.mark.parametrize("k", EDGE_SCALARS)
def test_mul_edge_scalars(k: int) -> None:
    """k is used as an integer (no reduction); py_ecc's multiply does the same."""
    assert ints(g1.g1_mul(g1.G1_GENERATOR, scalar_limbs(k))) == oracle(k)
    t = rng.randrange(1, R)
    assert ints(g1.g1_mul_int(point(t), k)) == oracle(t * k % R)
    assert is_inf(g1.g1_mul(g1.G1_INF, scalar_limbs(k)))


def test_mul_small() -> None:
    """The small-multiple kernel the MSM uses to jump runs of empty buckets."""
    t = rng.randrange(1, R)
    p = point(t)
    for g in [*range(0, 40), 255, 256, 257, (1 << 16) - 1, 1 << 20]:
        assert ints(jac_mul_small(p, g)) == oracle(t * g % R), g


def test_group_order() -> None:
    assert is_inf(g1.g1_mul_int(g1.G1_GENERATOR, R))
    assert g1.g1_eq(g1.g1_mul_int(g1.G1_GENERATOR, R - 1), as_kernel(g1.g1_neg(g1.G1_GENERATOR)))
    p = point(rng.randrange(1, R))
    assert is_inf(g1.g1_mul_int(p, R))


def test_equality_ignores_representation() -> None:
    p = point(1000)
    assert g1.g1_eq(p, rescale(p, 12345))
    assert not g1.g1_eq(p, point(1001))
    assert not g1.g1_eq(p, as_kernel(g1.g1_neg(p)))
    assert not g1.g1_eq(p, g1.G1_INF) and not g1.g1_eq(g1.G1_INF, p)
    assert g1.g1_eq(g1.G1_INF, (fq(3), fq(4), fq(0)))


def test_affine_conversions_and_batch() -> None:
    ks = [rng.randrange(1, R) for _ in range(9)]
    pts = [point(k) for k in ks]
    pts[2] = g1.G1_INF
    pts[7] = (fq(1), fq(1), fq(0))
    jac = np.zeros((len(pts), 3, 4), dtype=np.uint64)
    for i, p in enumerate(pts):
        for j in range(3):
            jac[i, j] = p[j]
    expect = [None if i in (2, 7) else oracle(k) for i, k in enumerate(ks)]
    for chunk in (1, 3, 4096):
        aff = g1.g1_batch_to_affine(jac, chunk=chunk)
        assert g1.g1_array_to_ints(aff) == expect
        assert not aff[2].any() and not aff[7].any()  # infinity as zeros, the snarkjs layout
    for p, e in zip(pts, expect, strict=True):
        assert g1.g1_affine_to_ints(g1.g1_to_affine(p)) == e
        back = g1.g1_from_affine(as_kernel(g1.g1_to_affine(p)))
        assert g1.g1_to_ints(back) == e
    assert g1.g1_array_to_ints(g1.g1_array(expect)) == expect


def test_on_curve_checks() -> None:
    assert not g1.g1_is_on_curve((fq(1), fq(3)))
    assert not g1.g1_is_on_curve((fq(0), fq(0)))
    assert g1.g1_is_on_curve_jac(point(77))
    assert g1.g1_is_on_curve_jac(g1.G1_INF)
    x, y, z = point(77)
    assert not g1.g1_is_on_curve_jac((x, fq(fq_int(y) + 1), z))


def test_strict_decoder() -> None:
    p = oracle(31337)
    assert g1.g1_to_ints(g1.g1_decode(p)) == p
    assert g1.g1_to_ints(g1.g1_decode(list(p))) == p
    for bad in [(p[0] + Q, p[1]), (p[0], p[1] + Q), (1 + Q, 2), (1, 2 + Q), (Q, 0), (-1, 2), (1, 1 << 256)]:
        with pytest.raises(PointError, match=r"\[0, q\)"):
            g1.g1_decode(bad)
    with pytest.raises(PointError, match="y\\^2 = x\\^3 \\+ 3"):
        g1.g1_decode((1, 3))
    with pytest.raises(PointError, match="y\\^2"):
        g1.g1_decode((0, 2))
    for inf in (None, (0, 0)):
        with pytest.raises(PointError, match="infinity"):
            g1.g1_decode(inf)
        assert is_inf(g1.g1_decode(inf, allow_infinity=True))
    for bad in [(1.0, 2), (True, 2), ("1", "2"), (1, 2, 3), b"12", 5]:
        with pytest.raises(PointError):
            g1.g1_decode(bad)
    assert isinstance(PointError("x"), ValueError)


def test_array_validation() -> None:
    pts = [oracle(k) for k in (1, 2, 3)] + [None]
    arr = g1.g1_array(pts)
    g1.g1_validate_array(arr)
    with pytest.raises(PointError, match="point 3 of 4"):
        g1.g1_validate_array(arr, allow_infinity=False)
    bad = arr.copy()
    bad[1, 1] = fq(5)
    with pytest.raises(PointError, match="point 1 of 4"):
        g1.g1_validate_array(bad)
    raw = arr.copy()
    raw[2, 0] = np.array(to_limbs(Q), dtype=np.uint64)  # Montgomery limbs >= q: not canonical
    with pytest.raises(PointError, match="point 2 of 4"):
        g1.g1_validate_array(raw)
    with pytest.raises(ValueError, match=r"shape \(n, 2, 4\)"):
        g1.g1_validate_array(np.zeros((3, 2, 2, 4), dtype=np.uint64))


def test_scalar_limbs_range() -> None:
    assert scalar_limbs((1 << 256) - 1) == tuple(np.uint64((1 << 64) - 1) for _ in range(4))
    for bad in (-1, 1 << 256):
        with pytest.raises(ValueError, match=r"\[0, 2\^256\)"):
            scalar_limbs(bad)
    with pytest.raises(TypeError):
        scalar_limbs(True)


@pytest.mark.parametrize("window", [None, 1, 3, 8])
def test_fixed_base_batch(window: int | None) -> None:
    ks = [0, 1, 2, R - 1, R, (1 << 256) - 1] + [rng.randrange(R) for _ in range(10)]
    base_k = rng.randrange(1, R)
    base = oracle(base_k)
    out = g1.g1_fixed_base_batch(
        base,
        ints_to_array([k % (1 << 256) for k in ks], 1 << 256, montgomery=False),
        montgomery=False,
        window=window,
        chunk=5,
    )
    assert g1.g1_array_to_ints(out) == [oracle(base_k * k % R) for k in ks]
    # Montgomery-form Fr input, as the setup's Fr kernels produce it
    fr_ks = [k % R for k in ks]
    mont = fr_to_mont_array(ints_to_array(fr_ks, R, montgomery=False))
    out2 = g1.g1_fixed_base_batch(g1.g1_from_ints(base), mont, montgomery=True, window=window)
    assert np.array_equal(out, out2)
    g1.g1_validate_array(out)


def test_fixed_base_empty_and_zero() -> None:
    assert g1.g1_fixed_base_batch((1, 2), np.zeros((0, 4), dtype=np.uint64), montgomery=False).shape == (0, 2, 4)
    assert not g1.g1_fixed_base_batch((1, 2), np.zeros((3, 4), dtype=np.uint64), montgomery=False).any()


# --- EIP-196 precompiles, emulated with the strict decoder and the kernels ------------------------


def _words(data: bytes, size: int) -> list[int]:
    data = data[:size].ljust(size, b"\0")
    return [int.from_bytes(data[i : i + 32], "big") for i in range(0, size, 32)]


def _encode(p) -> str:
    xy = g1.g1_to_ints(p)
    x, y = xy if xy is not None else (0, 0)
    return x.to_bytes(32, "big").hex() + y.to_bytes(32, "big").hex()


def ec_add(data: bytes) -> str:
    x1, y1, x2, y2 = _words(data, 128)
    p = g1.g1_decode((x1, y1), allow_infinity=True)
    q = g1.g1_decode((x2, y2), allow_infinity=True)
    return _encode(g1.g1_add(p, q))


def ec_mul(data: bytes) -> str:
    x, y, k = _words(data, 96)
    return _encode(g1.g1_mul(g1.g1_decode((x, y), allow_infinity=True), scalar_limbs(k)))


def _eip196_cases() -> list[dict]:
    return json.loads((VECTORS / "eip196.json").read_text())["cases"]


@pytest.mark.parametrize("case", _eip196_cases(), ids=lambda c: f"{c['Op']}-{c['Name']}")
def test_eip196_vectors(case: dict) -> None:
    run = ec_add if case["Op"] == "add" else ec_mul
    data = bytes.fromhex(case["Input"])
    if "ExpectedError" in case:
        with pytest.raises(PointError):
            run(data)
    else:
        assert run(data) == case["Expected"]


def test_eip196_vectors_are_regenerated_identically() -> None:
    spec = importlib.util.spec_from_file_location("gen_eip196", VECTORS / "gen_eip196.py")
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    cases = _eip196_cases()
    assert gen.build() == cases
    assert sum("ExpectedError" in c for c in cases) >= 10 and sum("Expected" in c for c in cases) >= 40
