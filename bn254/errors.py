"""Typed errors of the curve core, so callers (verifier, file readers) can tell a bad point from a bug."""

from __future__ import annotations


class PointError(ValueError):
    """An encoded point was refused: a coordinate >= q, not on the curve, outside the prime-order
    subgroup, or the point at infinity where it is not allowed."""
