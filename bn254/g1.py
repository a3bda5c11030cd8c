"""G1 = E(Fq): y^2 = x^3 + 3, prime order r, cofactor 1: numba kernels and host helpers.

Kernel values (see `bn254.ec` for the generic formulas):
- Jacobian point `(X, Y, Z)`, each an Fq kernel element (four uint64 limbs, Montgomery form);
  Z == 0 is the point at infinity. `G1_INF` = (1, 1, 0).
- Affine point `(x, y)`; (0, 0) is infinity.
- Affine arrays `(n, 2, 4)` uint64 (x then y, Montgomery limbs) are exactly snarkjs's .zkey/.ptau
  layout, infinity stored as zeros; Jacobian arrays are `(n, 3, 4)`.
- Scalars for `g1_mul` are four little-endian uint64 limbs in standard form (not Montgomery), used
  as integers in [0, 2^256) without reduction mod r (for points of G1 the two agree).

Kernels return tuples of plain Python ints when called from Python; pass them through `as_kernel`
before handing them to another kernel. `g1_from_ints`/`g1_to_ints` convert to and from py_ecc-style
integer pairs (None is infinity). `g1_decode` is the strict decoder for untrusted input (verifier):
coordinates in [0, q), on the curve, infinity only when allowed; it raises `PointError`. Since the
cofactor is 1, a point on the curve is in the subgroup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numba import njit

from . import ec
from .constants import B_G1, G1_GEN, Q, R, from_limbs, to_limbs
from .ec import (
    aff_neg,
    aff_on_curve,
    aff_to_jac,
    as_kernel,
    check_array,
    jac_add,
    jac_dbl,
    jac_eq,
    jac_is_inf,
    jac_madd,
    jac_mul,
    jac_neg,
    jac_on_curve,
    jac_to_aff,
)
from .errors import PointError
from .fields import Q_ONE, QM, ZERO, fq, fq_int, fr_from_mont_array

B1 = fq(B_G1)
"""The curve constant b = 3 as an Fq kernel element."""
G1_INF = (Q_ONE, Q_ONE, ZERO)
G1_GENERATOR = (fq(G1_GEN[0]), fq(G1_GEN[1]), Q_ONE)
R_LIMBS = as_kernel(to_limbs(R))

_MONT_INV = pow(1 << 256, -1, Q)

# --- kernels --------------------------------------------------------------------------------------


@njit(cache=True)
def g1_add(p, q):
    """P + Q (Jacobian), complete."""
    return jac_add(p, q)


@njit(cache=True)
def g1_dbl(p):
    return jac_dbl(p)


@njit(cache=True)
def g1_madd(p, a):
    """P (Jacobian) + A (affine, (0, 0) = infinity), complete."""
    return jac_madd(p, a)


@njit(cache=True)
def g1_neg(p):
    return jac_neg(p)


@njit(cache=True)
def g1_aff_neg(a):
    return aff_neg(a)


@njit(cache=True)
def g1_mul(p, k):
    """k * P, k as four standard-form uint64 limbs."""
    return jac_mul(p, k)


@njit(cache=True)
def g1_eq(p, q):
    """P == Q as points (Jacobian representations may differ)."""
    return jac_eq(p, q)


@njit(cache=True)
def g1_is_inf(p):
    return jac_is_inf(p)


@njit(cache=True)
def g1_to_affine(p):
    """(x, y), or (0, 0) for infinity."""
    return jac_to_aff(p)


@njit(cache=True)
def g1_from_affine(a):
    """Jacobian from affine; (0, 0) becomes infinity."""
    return aff_to_jac(a)


@njit(cache=True)
def g1_is_on_curve(a):
    """y^2 == x^3 + 3 for an affine point ((0, 0) is not on the curve)."""
    return aff_on_curve(a, B1)


@njit(cache=True)
def g1_is_on_curve_jac(p):
    """Y^2 == X^3 + 3 Z^6 (infinity counts as on the curve)."""
    return jac_on_curve(p, B1)


# --- arrays ---------------------------------------------------------------------------------------


def g1_batch_to_affine(jac: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(n, 3, 4) Jacobian array -> (n, 2, 4) affine array (infinity as zeros), one inversion per chunk,
    chunks in parallel."""
    jac = check_array(jac, (3, 4), "Jacobian G1")
    out = np.empty((jac.shape[0], 2, 4), dtype=np.uint64)
    scratch = np.empty_like(jac)
    ec.batch_to_aff_parallel(jac, out, scratch, chunk)
    return out


def g1_fixed_base_batch(
    base, scalars: np.ndarray, *, montgomery: bool, window: int | None = None, chunk: int = 1024
) -> np.ndarray:
    """Affine (n, 2, 4) array of scalars[i] * base, for the trusted setup.

    `base` is a Jacobian kernel point or an (x, y) int pair; `scalars` an (n, 4) uint64 array of Fr
    elements, in Montgomery form if `montgomery` (as Fr kernels produce them, values < r) else in
    standard form (any integers < 2^256). Windowed precomputed table (see `ec.fixed_base_window`),
    chunks in parallel.
    """
    base = _jacobian_arg(base)
    scalars = check_array(scalars, (4,), "scalar")
    if montgomery:
        scalars = fr_from_mont_array(scalars)
    n = scalars.shape[0]
    bits = ec.max_bits(scalars)
    w = window or ec.fixed_base_window(n, bits)
    nwin = max(1, -(-bits // w))
    table_jac = np.empty((nwin << w, 3, 4), dtype=np.uint64)
    ec.fixed_base_table(base, w, nwin, table_jac)
    table = g1_batch_to_affine(table_jac)
    out = np.empty((n, 2, 4), dtype=np.uint64)
    if n:
        ec.fixed_base_mul(table, w, nwin, scalars, out, chunk)
    return out


def g1_validate_array(arr: np.ndarray, *, allow_infinity: bool = True, what: str = "G1 point") -> None:
    """Raise PointError naming the first point of an (n, 2, 4) affine Montgomery array that has a limb
    value >= q, is off the curve, or is infinity (zeros) when that is not allowed."""
    arr = check_array(arr, (2, 4), "affine G1")
    i = ec.array_check(arr, B1, QM, allow_infinity)
    if i >= 0:
        raise PointError(f"{what} {i} of {arr.shape[0]} is not a valid G1 point: {g1_array_to_ints(arr[i : i + 1])[0]}")


# --- host helpers ---------------------------------------------------------------------------------


def g1_from_ints(xy: tuple[int, int] | None) -> tuple:
    """Jacobian kernel point from an (x, y) pair of ints in [0, q), None (or (0, 0)) for infinity.
    No curve check: use g1_decode for untrusted input."""
    if xy is None:
        return G1_INF
    x, y = _coords(xy)
    if x == 0 and y == 0:
        return G1_INF
    return (fq(x), fq(y), Q_ONE)


def g1_to_ints(p) -> tuple[int, int] | None:
    """(x, y) ints of a Jacobian kernel point, None for infinity."""
    z = from_limbs(p[2])
    if z == 0:
        return None
    zi = pow(fq_int(p[2]), -1, Q)
    x = fq_int(p[0]) * zi * zi % Q
    y = fq_int(p[1]) * zi * zi * zi % Q
    return (x, y)


def g1_affine_to_ints(a) -> tuple[int, int] | None:
    """(x, y) ints of an affine kernel point, None for (0, 0)."""
    if from_limbs(a[0]) == 0 and from_limbs(a[1]) == 0:
        return None
    return (fq_int(a[0]), fq_int(a[1]))


def g1_array(points: Iterable[tuple[int, int] | None]) -> np.ndarray:
    """(n, 2, 4) Montgomery affine array from (x, y) int pairs; None is infinity (stored as zeros)."""
    pts = list(points)
    out = np.zeros((len(pts), 2, 4), dtype=np.uint64)
    for i, xy in enumerate(pts):
        if xy is None:
            continue
        x, y = _coords(xy)
        out[i, 0] = fq(x)
        out[i, 1] = fq(y)
    return out


def g1_array_to_ints(arr: np.ndarray) -> list[tuple[int, int] | None]:
    """(x, y) int pairs (None for zeros) of an (n, 2, 4) Montgomery affine array."""
    arr = np.asarray(arr, dtype=np.uint64).reshape(-1, 2, 4)
    out: list[tuple[int, int] | None] = []
    for row in arr:
        x, y = from_limbs(row[0]), from_limbs(row[1])
        out.append(None if x == 0 and y == 0 else (x * _MONT_INV % Q, y * _MONT_INV % Q))
    return out


def g1_decode(xy: tuple[int, int] | None, *, allow_infinity: bool = False) -> tuple:
    """Strict decoder for untrusted G1 points: a Jacobian kernel point or PointError.

    Infinity may be written None or (0, 0) (the EIP-196 encoding) and is refused unless allowed.
    Coordinates must be ints in [0, q) (never reduced) and the point on the curve."""
    if xy is not None:
        try:
            x, y = _coords(xy)
        except TypeError as e:
            raise PointError(str(e)) from None
    if xy is None or (x == 0 and y == 0):
        if allow_infinity:
            return G1_INF
        raise PointError("expected a G1 point, got the point at infinity")
    p = (fq(x), fq(y), Q_ONE)
    if not g1_is_on_curve((p[0], p[1])):
        raise PointError(f"expected a point on y^2 = x^3 + 3, got ({x}, {y})")
    return p


def g1_mul_int(p, k: int) -> tuple:
    """k * P for a Jacobian kernel point and a Python int k in [0, 2^256); returns a kernel point."""
    return as_kernel(g1_mul(_jacobian_arg(p), ec.scalar_limbs(k)))


def _is_pair(v) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, str | bytes) and len(v) == 2


def _coords(xy) -> tuple[int, int]:
    if not _is_pair(xy):
        raise TypeError(f"expected an (x, y) pair of ints, got {xy!r}")
    out = []
    for name, v in zip(("x", "y"), xy, strict=True):
        if not isinstance(v, int | np.integer) or isinstance(v, bool):
            raise TypeError(f"expected an int {name} coordinate, got {type(v).__name__}")
        v = int(v)
        if not 0 <= v < Q:
            raise PointError(f"expected a {name} coordinate in [0, q), got {v}")
        out.append(v)
    return out[0], out[1]


def _jacobian_arg(p) -> tuple:
    """A Jacobian kernel point from a kernel point (ints or uint64) or an (x, y) int pair."""
    if isinstance(p, tuple) and len(p) == 3:
        return as_kernel(p)
    return g1_from_ints(p)


# Executable facts: the generator is on the curve in kernel arithmetic too.
assert g1_to_ints(G1_GENERATOR) == G1_GEN
