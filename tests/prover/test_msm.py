"""MSM against a closed form (points k_i * G, so sum s_i P_i = (sum s_i k_i) * G by py_ecc) and against
the naive sum of scalar multiplications, for every window, both bucket fills, parallel and serial."""

from __future__ import annotations

import random

import numpy as np
import pytest
from py_ecc import optimized_bn128 as pe

from bn254 import g1, g2
from bn254.constants import R
from bn254.ec import as_kernel, scalar_limbs
from bn254.fields import array_to_ints, ints_to_array
from prover import msm

rng = random.Random(20261128)
TOP = (1 << 256) - 1
SPECIAL = [0, 1, 2, R - 1, R, R + 1, TOP, 1 << 255, 1 << 253]


def _ints(p, q) -> tuple | None:
    if pe.is_inf(p):
        return None
    x, y = pe.normalize(p)
    if isinstance(x, pe.FQ):
        return (int(x), int(y))
    return tuple((int(c.coeffs[0]) % q, int(c.coeffs[1]) % q) for c in (x, y))


GROUPS = {
    "g1": dict(
        gen=pe.G1,
        base=g1.G1_GENERATOR,
        fixed=g1.g1_fixed_base_batch,
        msm=msm.msm_g1,
        msm_ints=msm.msm_g1_ints,
        mul=g1.g1_mul,
        add=g1.g1_add,
        inf=g1.G1_INF,
        to_ints=g1.g1_to_ints,
        from_aff=g1.g1_from_affine,
    ),
    "g2": dict(
        gen=pe.G2,
        base=g2.G2_GENERATOR,
        fixed=g2.g2_fixed_base_batch,
        msm=msm.msm_g2,
        msm_ints=msm.msm_g2_ints,
        mul=g2.g2_mul,
        add=g2.g2_add,
        inf=g2.G2_INF,
        to_ints=g2.g2_to_ints,
        from_aff=g2.g2_from_affine,
    ),
}


def oracle(grp: str, k: int):
    return _ints(pe.multiply(GROUPS[grp]["gen"], k % R), pe.field_modulus)


ALL_CONFIGS = [(True, True), (True, False), (False, True), (False, False)]  # (affine, parallel)


def make_case(grp: str, n: int, *, infinities: bool = True):
    """Points k_i * G (duplicates, negatives and infinity mixed in) and scalars with the special values."""
    ks = [rng.randrange(1, R) for _ in range(n)]
    for i in range(n):
        roll = rng.random()
        if i and roll < 0.1:
            ks[i] = ks[rng.randrange(i)]  # duplicate point
        elif i and roll < 0.15:
            ks[i] = (R - ks[rng.randrange(i)]) % R  # its negative
        elif infinities and roll < 0.2:
            ks[i] = 0  # point at infinity, stored as zeros
    scalars = [rng.choice(SPECIAL) if rng.random() < 0.35 else rng.randrange(R) for _ in range(n)]
    for i in range(1, n):
        if rng.random() < 0.1:
            scalars[i] = scalars[i - 1]
    points = GROUPS[grp]["fixed"](GROUPS[grp]["base"], ints_to_array(ks, R, montgomery=False), montgomery=False)
    expected = oracle(grp, sum(k * s for k, s in zip(ks, scalars, strict=True)))
    return points, ints_to_array(scalars, 1 << 256, montgomery=False), scalars, expected


def naive(grp: str, points: np.ndarray, scalars: list[int]):
    """sum_i scalars[i] * points[i] by one scalar multiplication each (the kernels' slow twin)."""
    G = GROUPS[grp]
    acc = G["inf"]
    for i, s in enumerate(scalars):
        if grp == "g1":
            a = (tuple(points[i, 0]), tuple(points[i, 1]))
        else:
            a = tuple((tuple(points[i, j, 0]), tuple(points[i, j, 1])) for j in range(2))
        p = as_kernel(G["from_aff"](a))
        acc = as_kernel(G["add"](acc, as_kernel(G["mul"](p, scalar_limbs(s)))))
    return G["to_ints"](acc)


@pytest.mark.parametrize(
    "grp,n", [("g1", 1), ("g1", 2), ("g1", 7), ("g1", 64), ("g1", 300), ("g2", 1), ("g2", 45), ("g2", 130)]
)
def test_msm_every_window_both_fills_parallel_and_serial(grp: str, n: int) -> None:
    points, scalars, scalar_ints, expected = make_case(grp, n)
    assert naive(grp, points, scalar_ints) == expected
    run = GROUPS[grp]["msm_ints"]
    assert run(points, scalars) == expected  # the cost model's choice
    top = max(msm.msm_window(n, 256, a) for a in (True, False)) + 1
    for c in range(msm.MIN_WINDOW, top + 1):
        for affine in (True, False):
            for parallel in (True, False):
                got = run(points, scalars, window=c, affine=affine, parallel=parallel)
                assert got == expected, (c, affine, parallel)


@pytest.mark.parametrize("grp,n", [("g1", 33), ("g2", 12)])
def test_msm_every_window_the_model_may_choose(grp: str, n: int) -> None:
    """All windows up to MAX_WINDOW (the model's choice from about 2^19 points on), on small input:
    mostly empty buckets, so the running sums jump the gaps. From c = 12 on, two of the four
    configurations (the others run the same code)."""
    assert msm.msm_window(1 << 30) <= msm.MAX_WINDOW
    points, scalars, _, expected = make_case(grp, n)
    run = GROUPS[grp]["msm_ints"]
    for c in range(msm.MIN_WINDOW, msm.MAX_WINDOW + 1):
        configs = ALL_CONFIGS if c < 12 else [(True, True), (False, False)]
        for affine, parallel in configs:
            assert run(points, scalars, window=c, affine=affine, parallel=parallel) == expected, (c, affine)


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_msm_larger_size_affine_rounds(grp: str) -> None:
    """Enough points per bucket for several pairwise rounds (odd list lengths, many cancellations)."""
    n = 1500 if grp == "g1" else 600
    points, scalars, _, expected = make_case(grp, n)
    run = GROUPS[grp]["msm_ints"]
    for c in (3, 5, msm.msm_window(n)):
        assert run(points, scalars, window=c, affine=True) == expected
        assert run(points, scalars, window=c, affine=True, parallel=False) == expected
    assert run(points, scalars, affine=False) == expected


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_msm_doubling_and_cancelling_buckets(grp: str) -> None:
    """One point many times with one scalar (every bucket list doubles), P and -P with equal scalars
    (the sum cancels to infinity inside the buckets), all of it at once."""
    G = GROUPS[grp]
    k = rng.randrange(1, R)
    s = rng.randrange(R)
    ks = [k] * 40 + [R - k] * 40 + [k] * 7
    points = G["fixed"](G["base"], ints_to_array(ks, R, montgomery=False), montgomery=False)
    scalars = ints_to_array([s] * len(ks), R, montgomery=False)
    for c in (2, 4, 8):
        for affine in (True, False):
            assert G["msm_ints"](points, scalars, window=c, affine=affine) == oracle(grp, 7 * k * s)
            assert G["msm_ints"](points[:80], scalars[:80], window=c, affine=affine) is None


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_msm_trivial_inputs(grp: str) -> None:
    G = GROUPS[grp]
    tail = (2, 4) if grp == "g1" else (2, 2, 4)
    empty_points = np.zeros((0, *tail), dtype=np.uint64)
    assert G["msm_ints"](empty_points, np.zeros((0, 4), dtype=np.uint64)) is None
    points, scalars, _, _ = make_case(grp, 20, infinities=False)
    assert G["msm_ints"](points, np.zeros_like(scalars)) is None
    assert G["msm_ints"](np.zeros_like(points), scalars) is None  # every point at infinity
    ones = np.zeros_like(scalars)
    ones[:, 0] = 1
    expect = naive(grp, points, [1] * 20)
    assert G["msm_ints"](points, ones) == expect  # the direct sum of the ones
    assert G["msm_ints"](points, ones, parallel=False) == expect
    one = ones[:1]
    assert G["msm_ints"](points[:1], one) == naive(grp, points[:1], [1])
    assert G["msm_ints"](points[:1], scalars[:1]) == naive(grp, points[:1], array_to_ints(scalars[:1], R, False))


def test_msm_many_ones_split_in_chunks() -> None:
    """More ones than one chunk holds, mixed with general scalars: several summing tasks."""
    n = 3000
    ks = [rng.randrange(1, R) for _ in range(n)]
    scalars = [1 if rng.random() < 0.8 else rng.randrange(R) for _ in range(n)]
    points = g1.g1_fixed_base_batch(g1.G1_GENERATOR, ints_to_array(ks, R, montgomery=False), montgomery=False)
    s = ints_to_array(scalars, R, montgomery=False)
    expected = oracle("g1", sum(k * v for k, v in zip(ks, scalars, strict=True)))
    assert msm.msm_g1_ints(points, s) == expected
    assert msm.msm_g1_ints(points, s, parallel=False) == expected


def test_msm_result_is_a_kernel_point() -> None:
    points, scalars, _, expected = make_case("g1", 10)
    p = msm.msm_g1(points, scalars)
    assert all(isinstance(v, np.uint64) for c in p for v in c)
    assert g1.g1_to_ints(g1.g1_add(p, g1.G1_INF)) == expected  # usable by kernels as it is


def test_msm_input_errors() -> None:
    points, scalars, _, _ = make_case("g1", 5)
    with pytest.raises(ValueError, match="5 points, 4 scalars"):
        msm.msm_g1(points, scalars[:4])
    with pytest.raises(ValueError, match=r"shape \(n, 2, 4\)"):
        msm.msm_g1(points.astype(np.int64), scalars)
    with pytest.raises(ValueError, match=r"shape \(n, 2, 2, 4\)"):
        msm.msm_g2(points, scalars)
    with pytest.raises(ValueError, match="window"):
        msm.msm_g1(points, scalars, window=1)
    with pytest.raises(ValueError, match="window"):
        msm.msm_g1(points, scalars, window=msm.MAX_WINDOW + 1)


def test_window_model() -> None:
    """The model's window grows with the size, stays in range, and its digit count covers the bits."""
    last = 0
    for logm in range(0, 23):
        c = msm.msm_window(1 << logm)
        assert msm.MIN_WINDOW <= c <= msm.MAX_WINDOW and c >= last
        last = c
    assert 10 <= msm.msm_window(1 << 15) <= 14
    for c in range(msm.MIN_WINDOW, msm.MAX_WINDOW + 1):
        for bits in (1, 64, 253, 254, 256):
            nwin = msm.num_windows(c, bits)
            h = sum(1 << (c - 1 + c * j) for j in range(nwin))
            assert (1 << bits) - 1 + h < 1 << (c * nwin)  # t = s + H fits: the top digit is exact


def test_all_digits_match_window_by_window_and_rebuild_the_scalar() -> None:
    """`_all_digits` (every window in one pass) against `_window_digits` (its twin, one window at a
    time) for every window size, and sum_w d_w 2^(c w) == s for the special scalars and random ones."""
    values = SPECIAL + [rng.randrange(1 << 256) for _ in range(40)] + [rng.randrange(R) for _ in range(40)]
    scalars = ints_to_array(values, 1 << 256, montgomery=False)
    idx = np.arange(len(values) - 1, -1, -1, dtype=np.int64)  # a permutation, as `general` can be
    for c in range(msm.MIN_WINDOW, msm.MAX_WINDOW + 1):
        nwin = msm.num_windows(c, 256)
        off = msm._offset(c, nwin)
        h = np.array([(off >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(5)], dtype=np.uint64)
        table = np.empty((nwin, idx.size), dtype=np.int32)
        msm._all_digits(scalars, idx, c, nwin, h, table)
        par = np.empty_like(table)
        msm._all_digits_parallel(scalars, idx, c, nwin, h, par)  # the twin over both cores
        assert np.array_equal(par, table), c
        one = np.empty(idx.size, dtype=np.int32)
        for w in range(nwin):
            msm._window_digits(scalars, idx, w, c, h, one)
            assert np.array_equal(table[w], one), (c, w)
        assert table.min() >= -(1 << (c - 1)) and table.max() < 1 << (c - 1)
        for j, i in enumerate(idx):
            assert sum(int(table[w, j]) << (c * w) for w in range(nwin)) == values[i]
