"""The GLV endomorphism and scalar split (prover/glv.py) against py_ecc, and the split MSM against the
plain one and the closed-form oracle of test_msm, with the edge scalars 0, 1, r - 1, r, 2^256 - 1
and points at infinity."""

from __future__ import annotations

import random

import numpy as np
import pytest
from py_ecc import optimized_bn128 as pe
from test_msm import GROUPS, make_case, naive, oracle

from bn254.constants import Q, R
from bn254.fields import ints_to_array
from prover import glv

rng = random.Random(20261204)
EDGE = [0, 1, 2, R - 1, R, R + 1, (1 << 256) - 1, 1 << 255, 1 << 128, (1 << 128) - 1, glv.LAMBDA_G1, glv.LAMBDA_G2]


def _phi(p, grp: str):
    x, y = pe.normalize(p)
    beta = pe.FQ(glv.BETA) if grp == "g1" else pe.FQ2([glv.BETA, 0])
    return (x * beta, y, y.one())


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_endomorphism_is_lambda_on_the_group(grp: str) -> None:
    assert pow(glv.BETA, 3, Q) == 1 and glv.BETA != 1
    lam = glv.LAMBDAS[grp]
    assert pow(lam, 3, R) == 1 and lam != 1
    gen = GROUPS[grp]["gen"]
    for k in (1, 2, rng.randrange(R)):
        p = pe.multiply(gen, k)
        assert pe.eq(_phi(p, grp), pe.multiply(p, lam))
        other = lam * lam % R  # the other root is not it: the choice matters
        assert not pe.eq(_phi(p, grp), pe.multiply(p, other))


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_split_identity_and_bound(grp: str) -> None:
    lam = glv.LAMBDAS[grp]
    ks = EDGE + [rng.getrandbits(256) for _ in range(3000)] + [rng.randrange(R) for _ in range(3000)]
    for k in ks:
        k1, k2 = glv.decompose_reference(k, grp)
        assert (k1 + k2 * lam - k) % R == 0
        assert abs(k1) < 1 << 130 and abs(k2) < 1 << 130
    # the kernel's 192-bit arithmetic gives the same (|k1|, |k2|, signs)
    arr = ints_to_array(ks, 1 << 256, montgomery=False)
    out = np.empty((2 * len(ks), 4), dtype=np.uint64)
    neg = np.empty(2 * len(ks), dtype=np.bool_)
    glv.decompose_array(arr, glv.CONSTANTS[grp], out, neg)
    for j, k in enumerate(ks):
        k1, k2 = glv.decompose_reference(k, grp)
        for t, v in enumerate((k1, k2)):
            row = out[2 * j + t]
            got = int(row[0]) | int(row[1]) << 64 | int(row[2]) << 128 | int(row[3]) << 192
            assert got == abs(v) and bool(neg[2 * j + t]) == (v < 0), (k, t)


@pytest.mark.parametrize("grp,n", [("g1", 1), ("g1", 9), ("g1", 200), ("g2", 3), ("g2", 70)])
def test_split_msm_matches_plain_and_oracle(grp: str, n: int) -> None:
    points, scalars, scalar_ints, expected = make_case(grp, n)
    run = GROUPS[grp]["msm_ints"]
    assert run(points, scalars, glv=False) == expected
    for parallel in (True, False):
        for affine in (True, False):
            assert run(points, scalars, glv=True, parallel=parallel, affine=affine) == expected
    for c in (2, 5, 9):
        assert run(points, scalars, glv=True, window=c) == expected
    if n <= 9:
        assert naive(grp, points, scalar_ints) == expected


@pytest.mark.parametrize("grp", ["g1", "g2"])
def test_split_msm_edge_scalars_each_alone(grp: str) -> None:
    """Every edge scalar on its own point (k1 or k2 zero, negative, or both), and all together."""
    G = GROUPS[grp]
    ks = [rng.randrange(1, R) for _ in EDGE]
    points = G["fixed"](G["base"], ints_to_array(ks, R, montgomery=False), montgomery=False)
    scalars = ints_to_array(EDGE, 1 << 256, montgomery=False)
    for i, s in enumerate(EDGE):
        got = G["msm_ints"](points[i : i + 1], scalars[i : i + 1], glv=True)
        assert got == oracle(grp, ks[i] * s), s
    total = oracle(grp, sum(k * s for k, s in zip(ks, EDGE, strict=True)))
    assert G["msm_ints"](points, scalars, glv=True) == total
    # points at infinity among them are skipped
    pts = points.copy()
    pts[3] = 0
    total = oracle(grp, sum(k * s for i, (k, s) in enumerate(zip(ks, EDGE, strict=True)) if i != 3))
    assert G["msm_ints"](pts, scalars, glv=True) == total
    assert G["msm_ints"](np.zeros_like(points), scalars, glv=True) is None

