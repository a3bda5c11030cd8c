"""transfer.babyjub against circomlibjs vectors and the group's closed-form facts."""

from __future__ import annotations

import pytest

from transfer import babyjub as bj


def _pt(p):
    return (int(p[0]), int(p[1]))


def test_add_vectors(vectors):
    for c in vectors["babyjub"]["add"]:
        assert bj.add(_pt(c["p"]), _pt(c["q"])) == _pt(c["sum"])


def test_mul_vectors(vectors):
    """Scalars 0, 1, 2, 3, 8, l-1, l, l+1, random, 256-bit, 8l on Base8 and on the generator."""
    for c in vectors["babyjub"]["mul"]:
        assert bj.mul(_pt(c["p"]), int(c["k"])) == _pt(c["out"]), (c["base"], c["k"])


def test_point_predicates(vectors):
    for c in vectors["babyjub"]["points"]:
        p = _pt(c["p"])
        assert bj.on_curve(p) == c["in_curve"], c["name"]
        assert bj.in_subgroup(p) == c["in_subgroup"], c["name"]


def test_group_orders():
    assert bj.mul(bj.BASE8, bj.SUBORDER) == bj.IDENTITY
    assert bj.mul(bj.GENERATOR, bj.SUBORDER) != bj.IDENTITY
    assert bj.mul(bj.GENERATOR, bj.ORDER) == bj.IDENTITY
    assert bj.mul(bj.BASE8, bj.SUBORDER + 5) == bj.mul(bj.BASE8, 5)
    p = bj.mul(bj.BASE8, 123456789)
    assert bj.add(p, bj.neg(p)) == bj.IDENTITY
    assert bj.add(p, bj.IDENTITY) == p
    assert bj.double(p) == bj.mul(p, 2)


def test_scalar_distributes():
    a, b = 0xDEADBEEF, 0x1234567890
    assert bj.add(bj.mul(bj.BASE8, a), bj.mul(bj.BASE8, b)) == bj.mul(bj.BASE8, a + b)
    assert bj.mul(bj.mul(bj.BASE8, a), b) == bj.mul(bj.BASE8, a * b % bj.SUBORDER)


@pytest.mark.parametrize("p", [(1, 1), (bj.P, 1), (-1, 1), (0, bj.P + 1)])
def test_check_point_rejects(p):
    assert not bj.on_curve(p)
    with pytest.raises(ValueError, match="not a Baby Jubjub point"):
        bj.check_point("A", p)


@pytest.mark.parametrize("p", [(1,), (1, 2, 3), ("1", "2"), (True, 1), None])
def test_check_point_rejects_malformed(p):
    with pytest.raises(ValueError, match="expected a point"):
        bj.check_point("A", p)


def test_negative_scalar_rejected():
    with pytest.raises(ValueError, match=">= 0"):
        bj.mul(bj.BASE8, -1)
