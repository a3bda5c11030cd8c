"""G2: the order-r subgroup of the sextic twist E'(Fq2): y^2 = x^3 + 3/(9 + u). Kernels and host helpers.

Fq2 elements are (c0, c1) meaning c0 + c1*u, u^2 = -1. The twist constant b2 = 3/(9 + u) is computed
here and checked at import (b2 * (9 + u) == 3, the generator on the twist).

Kernel values mirror `bn254.g1` with Fq2 coordinates (see `bn254.ec` for the formulas):
- Jacobian point `(X, Y, Z)` of Fq2 kernel elements; Z == 0 is infinity. `G2_INF` = (1, 1, 0).
- Affine point `(x, y)`; (0, 0) is infinity.
- Affine arrays `(n, 2, 2, 4)` uint64: x then y, each (c0, c1), Montgomery limbs, exactly the
  .zkey/.ptau layout, infinity as zeros. Jacobian arrays `(n, 3, 2, 4)`.
- Scalars are four standard-form uint64 limbs, used as integers in [0, 2^256).

The twist has points outside G2 (its order is r times a large cofactor), so untrusted points need the
subgroup check `g2_in_subgroup` (r * P == O); `g2_decode` does it, with range and curve checks, and
raises `PointError`. py_ecc-style ints: ((x0, x1), (y0, y1)), None for infinity.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numba import njit, prange

from . import ec
from .constants import G2_GEN, XI, Q, R, from_limbs, to_limbs
from .ec import (
    aff_load,
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
from .fields import QM, fq, fq_int, fr_from_mont_array
from .fq2 import FQ2_ONE, FQ2_ZERO, fq2

# --- the twist constant, in Python integers -------------------------------------------------------


def _f2mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def _f2inv(a: tuple[int, int]) -> tuple[int, int]:
    n = pow(a[0] * a[0] + a[1] * a[1], -1, Q)
    return (a[0] * n % Q, -a[1] * n % Q)


B2_INTS = _f2mul((3, 0), _f2inv(XI))
"""b2 = 3/(9 + u) as (c0, c1) ints: (27/82, -3/82) mod q."""
assert _f2mul(B2_INTS, XI) == (3, 0), "b2 * (9 + u) != 3"
assert B2_INTS == (27 * pow(82, -1, Q) % Q, -3 * pow(82, -1, Q) % Q)


def _on_twist(x: tuple[int, int], y: tuple[int, int]) -> bool:
    x3 = _f2mul(_f2mul(x, x), x)
    return _f2mul(y, y) == ((x3[0] + B2_INTS[0]) % Q, (x3[1] + B2_INTS[1]) % Q)


assert _on_twist(*G2_GEN), "G2 generator is not on the twist"

B2 = fq2(*B2_INTS)
"""The twist constant as an Fq2 kernel element."""
G2_INF = (FQ2_ONE, FQ2_ONE, FQ2_ZERO)
G2_GENERATOR = (fq2(*G2_GEN[0]), fq2(*G2_GEN[1]), FQ2_ONE)
R_LIMBS = as_kernel(to_limbs(R))

_MONT_INV = pow(1 << 256, -1, Q)

# --- kernels --------------------------------------------------------------------------------------


@njit(cache=True)
def g2_add(p, q):
    """P + Q (Jacobian), complete."""
    return jac_add(p, q)


@njit(cache=True)
def g2_dbl(p):
    return jac_dbl(p)


@njit(cache=True)
def g2_madd(p, a):
    """P (Jacobian) + A (affine, (0, 0) = infinity), complete."""
    return jac_madd(p, a)


@njit(cache=True)
def g2_neg(p):
    return jac_neg(p)


@njit(cache=True)
def g2_aff_neg(a):
    return aff_neg(a)


@njit(cache=True)
def g2_mul(p, k):
    """k * P, k as four standard-form uint64 limbs."""
    return jac_mul(p, k)


@njit(cache=True)
def g2_eq(p, q):
    return jac_eq(p, q)


@njit(cache=True)
def g2_is_inf(p):
    return jac_is_inf(p)


@njit(cache=True)
def g2_to_affine(p):
    return jac_to_aff(p)


@njit(cache=True)
def g2_from_affine(a):
    return aff_to_jac(a)


@njit(cache=True)
def g2_is_on_curve(a):
    """y^2 == x^3 + b2 for an affine point ((0, 0) is not on the twist)."""
    return aff_on_curve(a, B2)


@njit(cache=True)
def g2_is_on_curve_jac(p):
    return jac_on_curve(p, B2)


@njit(cache=True)
def g2_in_subgroup(p):
    """r * P == O. Callers check the curve equation first (a point off the twist is in no group)."""
    return jac_is_inf(jac_mul(p, R_LIMBS))


@njit(cache=True, parallel=True)
def _array_subgroup_flags(arr, bad):
    for i in prange(arr.shape[0]):
        bad[i] = not g2_in_subgroup(aff_to_jac(aff_load(arr, i)))


# --- arrays ---------------------------------------------------------------------------------------


def g2_batch_to_affine(jac: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """(n, 3, 2, 4) Jacobian array -> (n, 2, 2, 4) affine array (infinity as zeros)."""
    jac = check_array(jac, (3, 2, 4), "Jacobian G2")
    out = np.empty((jac.shape[0], 2, 2, 4), dtype=np.uint64)
    scratch = np.empty_like(jac)
    ec.batch_to_aff_parallel(jac, out, scratch, chunk)
    return out


def g2_fixed_base_batch(
    base, scalars: np.ndarray, *, montgomery: bool, window: int | None = None, chunk: int = 1024
) -> np.ndarray:
    """Affine (n, 2, 2, 4) array of scalars[i] * base (trusted setup); arguments as g1_fixed_base_batch."""
    base = _jacobian_arg(base)
    scalars = check_array(scalars, (4,), "scalar")
    if montgomery:
        scalars = fr_from_mont_array(scalars)
    n = scalars.shape[0]
    bits = ec.max_bits(scalars)
    w = window or ec.fixed_base_window(n, bits)
    nwin = max(1, -(-bits // w))
    table_jac = np.empty((nwin << w, 3, 2, 4), dtype=np.uint64)
    ec.fixed_base_table(base, w, nwin, table_jac)
    table = g2_batch_to_affine(table_jac)
    out = np.empty((n, 2, 2, 4), dtype=np.uint64)
    if n:
        ec.fixed_base_mul(table, w, nwin, scalars, out, chunk)
    return out


def g2_validate_array(
    arr: np.ndarray, *, allow_infinity: bool = True, subgroup: bool = False, what: str = "G2 point"
) -> None:
    """Raise PointError naming the first point of an (n, 2, 2, 4) affine Montgomery array with a limb
    value >= q, off the twist, infinity when not allowed, or (if `subgroup`; ~0.3 ms a point, in
    parallel) outside G2."""
    arr = check_array(arr, (2, 2, 4), "affine G2")
    i = ec.array_check(arr, B2, QM, allow_infinity)
    if i < 0 and subgroup and arr.shape[0]:
        bad = np.zeros(arr.shape[0], dtype=np.bool_)
        _array_subgroup_flags(arr, bad)
        hits = np.flatnonzero(bad)
        i = int(hits[0]) if hits.size else -1
    if i >= 0:
        raise PointError(f"{what} {i} of {arr.shape[0]} is not a valid G2 point: {g2_array_to_ints(arr[i : i + 1])[0]}")


# --- host helpers ---------------------------------------------------------------------------------

G2Ints = tuple[tuple[int, int], tuple[int, int]]


def g2_from_ints(xy: G2Ints | None) -> tuple:
    """Jacobian kernel point from ((x0, x1), (y0, y1)) ints in [0, q); None or all zeros is infinity.
    No curve or subgroup check: use g2_decode for untrusted input."""
    if xy is None:
        return G2_INF
    x, y = _coords(xy)
    if x == (0, 0) and y == (0, 0):
        return G2_INF
    return (fq2(*x), fq2(*y), FQ2_ONE)


def g2_to_ints(p) -> G2Ints | None:
    """((x0, x1), (y0, y1)) ints of a Jacobian kernel point, None for infinity."""
    if from_limbs(p[2][0]) == 0 and from_limbs(p[2][1]) == 0:
        return None
    z = (fq_int(p[2][0]), fq_int(p[2][1]))
    zi = _f2inv(z)
    zi2 = _f2mul(zi, zi)
    x = _f2mul((fq_int(p[0][0]), fq_int(p[0][1])), zi2)
    y = _f2mul((fq_int(p[1][0]), fq_int(p[1][1])), _f2mul(zi2, zi))
    return (x, y)


def g2_affine_to_ints(a) -> G2Ints | None:
    """((x0, x1), (y0, y1)) ints of an affine kernel point, None for all zeros."""
    if all(from_limbs(c) == 0 for e in a for c in e):
        return None
    return ((fq_int(a[0][0]), fq_int(a[0][1])), (fq_int(a[1][0]), fq_int(a[1][1])))


def g2_array(points: Iterable[G2Ints | None]) -> np.ndarray:
    """(n, 2, 2, 4) Montgomery affine array from ((x0, x1), (y0, y1)) ints; None is infinity (zeros)."""
    pts = list(points)
    out = np.zeros((len(pts), 2, 2, 4), dtype=np.uint64)
    for i, xy in enumerate(pts):
        if xy is None:
            continue
        for j, c in enumerate(_coords(xy)):
            out[i, j, 0] = fq(c[0])
            out[i, j, 1] = fq(c[1])
    return out


def g2_array_to_ints(arr: np.ndarray) -> list[G2Ints | None]:
    """((x0, x1), (y0, y1)) ints (None for zeros) of an (n, 2, 2, 4) Montgomery affine array."""
    arr = np.asarray(arr, dtype=np.uint64).reshape(-1, 2, 2, 4)
    out: list[G2Ints | None] = []
    for row in arr:
        v = [from_limbs(row[j, k]) for j in range(2) for k in range(2)]
        if not any(v):
            out.append(None)
            continue
        v = [c * _MONT_INV % Q for c in v]
        out.append(((v[0], v[1]), (v[2], v[3])))
    return out


def g2_decode(xy: G2Ints | None, *, allow_infinity: bool = False) -> tuple:
    """Strict decoder for untrusted G2 points: a Jacobian kernel point or PointError.

    Infinity (None or all zeros) is refused unless allowed; every coordinate must be an int in
    [0, q) (never reduced), the point on the twist and in the order-r subgroup."""
    if xy is not None:
        try:
            x, y = _coords(xy)
        except TypeError as e:
            raise PointError(str(e)) from None
    if xy is None or (x == (0, 0) and y == (0, 0)):
        if allow_infinity:
            return G2_INF
        raise PointError("expected a G2 point, got the point at infinity")
    p = (fq2(*x), fq2(*y), FQ2_ONE)
    if not g2_is_on_curve((p[0], p[1])):
        raise PointError(f"expected a point on the twist y^2 = x^3 + 3/(9+u), got ({x}, {y})")
    if not g2_in_subgroup(p):
        raise PointError(f"expected a point of the order-r subgroup G2, got one outside it: ({x}, {y})")
    return p


def g2_mul_int(p, k: int) -> tuple:
    """k * P for a Jacobian kernel point and a Python int k in [0, 2^256); returns a kernel point."""
    return as_kernel(g2_mul(_jacobian_arg(p), ec.scalar_limbs(k)))


def _is_pair(v) -> bool:
    return isinstance(v, Sequence) and not isinstance(v, str | bytes) and len(v) == 2


def _coords(xy) -> tuple[tuple[int, int], tuple[int, int]]:
    if not (_is_pair(xy) and _is_pair(xy[0]) and _is_pair(xy[1])):
        raise TypeError(f"expected ((x0, x1), (y0, y1)) ints, got {xy!r}")
    out = []
    for name, pair in zip(("x", "y"), xy, strict=True):
        cs = []
        for k, v in enumerate(pair):
            if not isinstance(v, int | np.integer) or isinstance(v, bool):
                raise TypeError(f"expected an int {name}{k} coordinate, got {type(v).__name__}")
            v = int(v)
            if not 0 <= v < Q:
                raise PointError(f"expected a {name}{k} coordinate in [0, q), got {v}")
            cs.append(v)
        out.append((cs[0], cs[1]))
    return out[0], out[1]


def _jacobian_arg(p) -> tuple:
    if isinstance(p, tuple) and len(p) == 3:
        return as_kernel(p)
    return g2_from_ints(p)


assert g2_to_ints(G2_GENERATOR) == G2_GEN
