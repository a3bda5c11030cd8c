"""Range checks over limb arrays (numba), shared by the format readers."""

from __future__ import annotations

import numpy as np
from numba import njit

from bn254.fields import QM, RM

__all__ = ["below", "first_not_below", "first_not_below_q", "first_not_below_r"]


@njit(cache=True)
def below(x0, x1, x2, x3, m):
    """(x0, x1, x2, x3) < m, both little-endian 64-bit limbs."""
    if x3 != m[3]:
        return x3 < m[3]
    if x2 != m[2]:
        return x2 < m[2]
    if x1 != m[1]:
        return x1 < m[1]
    return x0 < m[0]


@njit(cache=True)
def first_not_below(x, m):
    """Index of the first row of an (n, 4) uint64 array that is >= m, or -1."""
    for i in range(x.shape[0]):
        if not below(x[i, 0], x[i, 1], x[i, 2], x[i, 3], m):
            return i
    return -1


def first_not_below_r(x: np.ndarray) -> int:
    """First element of an (..., 4) limb array that is not a canonical Fr element, or -1."""
    return int(first_not_below(x.reshape(-1, 4), RM))


def first_not_below_q(x: np.ndarray) -> int:
    """First element (coordinate) of an (..., 4) limb array that is not a canonical Fq element, or -1."""
    return int(first_not_below(x.reshape(-1, 4), QM))
