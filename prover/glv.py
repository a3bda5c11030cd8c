"""The GLV endomorphism of BN254 (Gallant, Lambert, Vanstone, CRYPTO 2001) for the MSMs.

Both curves, E: y^2 = x^3 + 3 over Fq and its twist E': y^2 = x^3 + 3/(9 + u) over Fq2, have
j-invariant 0, so phi(x, y) = (beta x, y) with beta a primitive cube root of unity of Fq is an
automorphism of order 3. On the order-r groups it is a scalar multiplication: phi(P) = lambda P
with lambda a cube root of unity of Fr, LAMBDA_G1 on G1 and LAMBDA_G2 = LAMBDA_G1^2 on G2 (the same
beta; which root goes with which group is checked against py_ecc in tests/prover/test_glv.py).

A scalar k (any integer below 2^256; not reduced mod r) is split as k = k1 + k2 lambda (mod r)
with |k1|, |k2| < 2^130 by rounding against a short basis (a1, b1), (a2, b2) of the lattice
{(x, y): x + y lambda = 0 mod r} (determinant r): c1 = floor(k g1 / 2^256), c2 = floor(k g2 / 2^256)
with g1 = floor(2^256 b2 / r), g2 = floor(-2^256 b1 / r), then k1 = k - c1 a1 - c2 a2 and
k2 = -c1 b1 - c2 b2. The exact identity k1 + k2 lambda = k - c1 (a1 + b1 lambda) - c2 (a2 + b2 lambda)
holds whatever c1, c2 are; the rounding only keeps k1, k2 short (each c is within 2 of the exact
quotient, so |k_i| <= 3 (|a1| + |a2|) < 2^130). The kernel computes k1, k2 modulo 2^192 and
reads the sign from the top bit, exact since |k_i| < 2^191.

An MSM of m points with 254-bit scalars becomes one of 2m points (P and phi(P), negated where
k1 or k2 is negative) with 128-bit scalars: the same number of bucket additions (twice the points,
half the windows) but half the windows' running sums and doublings, and a larger best window.
The extra points cost one Fq (G1) or two Fq (G2) multiplications each, made per call.

Measured (bench: interleaved A/B in one process, transfer_2x2's proving key and witness, sweeping
the window): on G2 the split MSM takes 0.82-0.90 of the plain one; on G1 it takes 1.03-1.15 (the
bucket fill, the bulk of the work, is unchanged, and twice the points are read from a twice larger
array). So `msm_g2` splits by default and `msm_g1` does not; `glv=True` forces it on either.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from bn254.constants import Q, R
from bn254.fields import QM, fq_mul
from bn254.limbs import mac, sbb

from .ntt import compile_twins

BETA = 0x30644E72E131A0295E6DD9E7E0ACCCB0C28F069FBB966E3DE4BD44E5607CFD48
"""A primitive cube root of unity in Fq: phi(x, y) = (BETA x, y)."""
LAMBDA_G1 = 21888242871839275217838484774961031246154997185409878258781734729429964517155
"""phi = [LAMBDA_G1] on G1."""
LAMBDA_G2 = LAMBDA_G1 * LAMBDA_G1 % R
"""phi = [LAMBDA_G2] on G2 (the other primitive cube root of unity of Fr)."""

# short bases (a1, b1, a2, b2) of {(x, y): x + y lambda = 0 mod r}, a1 b2 - a2 b1 = r
_A = 0x6F4D8248EEB859FC8211BBEB7D4F1128
_B = 0x89D3256894D213E3
_C = 0x6F4D8248EEB859FD0BE4E1541221250B
BASES = {"g1": (_A, -_B, _B, _C), "g2": (_B, -_A, _C, _B)}
LAMBDAS = {"g1": LAMBDA_G1, "g2": LAMBDA_G2}

GLV_MIN_POINTS = 64
"""Below this many general scalars the split is not worth its setup."""


def _limbs(x: int, n: int) -> np.ndarray:
    return np.array([(x >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(n)], dtype=np.uint64)


def _constants(group: str) -> np.ndarray:
    """(6, 3) uint64: g1, g2, a1, a2, |b1|, b2 as 3-limb integers (signs: b1 < 0 < a1, a2, b2)."""
    a1, b1, a2, b2 = BASES[group]
    assert a1 > 0 and a2 > 0 and b1 < 0 < b2 and a1 * b2 - a2 * b1 == R
    g1 = (b2 << 256) // R
    g2 = (-b1 << 256) // R
    return np.stack([_limbs(v, 3) for v in (g1, g2, a1, a2, -b1, b2)])


CONSTANTS = {g: _constants(g) for g in BASES}
BETA_MONT = _limbs(BETA * (1 << 256) % Q, 4)


def decompose_reference(k: int, group: str) -> tuple[int, int]:
    """(k1, k2) with k1 + k2 lambda = k (mod r), |k_i| < 2^130: the kernel's arithmetic on Python ints."""
    a1, b1, a2, b2 = BASES[group]
    g1 = (b2 << 256) // R
    g2 = (-b1 << 256) // R
    c1 = (k * g1) >> 256
    c2 = (k * g2) >> 256
    return k - c1 * a1 - c2 * a2, -c1 * b1 - c2 * b2


U0 = np.uint64(0)


@njit(cache=True)
def _mul_hi(k0, k1, k2, k3, g0, g1, g2):
    """floor(k g / 2^256) for k < 2^256 (4 limbs), g < 2^192 (3 limbs): limbs 4..6 of the product."""
    p0, c = mac(k0, g0, U0, U0)
    p1, c = mac(k1, g0, U0, c)
    p2, c = mac(k2, g0, U0, c)
    p3, c = mac(k3, g0, U0, c)
    p4 = c
    p1, c = mac(k0, g1, p1, U0)
    p2, c = mac(k1, g1, p2, c)
    p3, c = mac(k2, g1, p3, c)
    p4, c = mac(k3, g1, p4, c)
    p5 = c
    p2, c = mac(k0, g2, p2, U0)
    p3, c = mac(k1, g2, p3, c)
    p4, c = mac(k2, g2, p4, c)
    p5, c = mac(k3, g2, p5, c)
    p6 = c
    return p4, p5, p6


@njit(cache=True)
def _mul_lo3(x0, x1, x2, y0, y1, y2):
    """x y mod 2^192."""
    r0, c = mac(x0, y0, U0, U0)
    r1, c = mac(x1, y0, U0, c)
    r2 = c + x2 * y0
    r1, c = mac(x0, y1, r1, U0)
    r2 = r2 + c + x1 * y1
    r2 = r2 + x0 * y2
    return r0, r1, r2


@njit(cache=True)
def _sub3(x0, x1, x2, y0, y1, y2):
    """x - y mod 2^192."""
    d0, b = sbb(x0, y0, U0)
    d1, b = sbb(x1, y1, b)
    d2, b = sbb(x2, y2, b)
    return d0, d1, d2


@njit(cache=True)
def _abs3(x0, x1, x2):
    """(|x|, x < 0) for x a 192-bit two's complement integer."""
    if x2 >> np.uint64(63):
        return _sub3(U0, U0, U0, x0, x1, x2), True
    return (x0, x1, x2), False


@njit(cache=True)
def _decompose(k0, k1, k2, k3, cst):
    """((|k1|, k1 < 0), (|k2|, k2 < 0)) as 3-limb magnitudes; see the module doc."""
    c1 = _mul_hi(k0, k1, k2, k3, cst[0, 0], cst[0, 1], cst[0, 2])
    c2 = _mul_hi(k0, k1, k2, k3, cst[1, 0], cst[1, 1], cst[1, 2])
    t = _mul_lo3(c1[0], c1[1], c1[2], cst[2, 0], cst[2, 1], cst[2, 2])
    x = _sub3(k0, k1, k2, t[0], t[1], t[2])
    t = _mul_lo3(c2[0], c2[1], c2[2], cst[3, 0], cst[3, 1], cst[3, 2])
    x = _sub3(x[0], x[1], x[2], t[0], t[1], t[2])
    y = _mul_lo3(c1[0], c1[1], c1[2], cst[4, 0], cst[4, 1], cst[4, 2])
    t = _mul_lo3(c2[0], c2[1], c2[2], cst[5, 0], cst[5, 1], cst[5, 2])
    y = _sub3(y[0], y[1], y[2], t[0], t[1], t[2])
    return _abs3(x[0], x[1], x[2]), _abs3(y[0], y[1], y[2])


@njit(cache=True)
def decompose_array(scalars, cst, out, neg):
    """out[2j], out[2j+1] = |k1|, |k2| of scalars[j] (4-limb rows, top limb 0); neg the signs."""
    for j in range(scalars.shape[0]):
        (a, na), (b, nb) = _decompose(scalars[j, 0], scalars[j, 1], scalars[j, 2], scalars[j, 3], cst)
        out[2 * j, 0], out[2 * j, 1], out[2 * j, 2], out[2 * j, 3] = a[0], a[1], a[2], U0
        out[2 * j + 1, 0], out[2 * j + 1, 1], out[2 * j + 1, 2], out[2 * j + 1, 3] = b[0], b[1], b[2], U0
        neg[2 * j] = na
        neg[2 * j + 1] = nb


@njit(cache=True)
def _neg_fq(src, i, r, off, dst, o):
    """dst[o, r, off:off+4] = -src[i, r, off:off+4] (mod q; 0 stays 0)."""
    z = (src[i, r, off] | src[i, r, off + 1] | src[i, r, off + 2] | src[i, r, off + 3]) == U0
    if z:
        for t in range(4):
            dst[o, r, off + t] = U0
        return
    d0, b = sbb(QM[0], src[i, r, off], U0)
    d1, b = sbb(QM[1], src[i, r, off + 1], b)
    d2, b = sbb(QM[2], src[i, r, off + 2], b)
    d3, b = sbb(QM[3], src[i, r, off + 3], b)
    dst[o, r, off], dst[o, r, off + 1], dst[o, r, off + 2], dst[o, r, off + 3] = d0, d1, d2, d3


def _expand_core(points, scalars, general, ones, cst, beta, out_points, out_scalars):
    """The 2m + n1 points and scalars of the split MSM, points as (n, 2, w) views (w = 4 for G1,
    8 for G2: x then y, each w/4 Fq elements).

    Rows 2j and 2j+1 are +-P and +-phi(P) for P = points[general[j]] with the scalars |k1|, |k2|;
    rows 2m + t are points[ones[t]] with their scalar (1) unchanged."""
    m = general.shape[0]
    w = points.shape[2]
    beta_t = (beta[0], beta[1], beta[2], beta[3])
    for j in prange(m):
        i = general[j]
        (a, na), (b, nb) = _decompose(scalars[i, 0], scalars[i, 1], scalars[i, 2], scalars[i, 3], cst)
        o = 2 * j
        for t in range(w):
            out_points[o, 0, t] = points[i, 0, t]
        for off in range(0, w, 4):
            x = (points[i, 0, off], points[i, 0, off + 1], points[i, 0, off + 2], points[i, 0, off + 3])
            bx = fq_mul(x, beta_t)
            out_points[o + 1, 0, off] = bx[0]
            out_points[o + 1, 0, off + 1] = bx[1]
            out_points[o + 1, 0, off + 2] = bx[2]
            out_points[o + 1, 0, off + 3] = bx[3]
        for off in range(0, w, 4):
            if na:
                _neg_fq(points, i, 1, off, out_points, o)
            else:
                for t in range(4):
                    out_points[o, 1, off + t] = points[i, 1, off + t]
            if nb:
                _neg_fq(points, i, 1, off, out_points, o + 1)
            else:
                for t in range(4):
                    out_points[o + 1, 1, off + t] = points[i, 1, off + t]
        out_scalars[o, 0], out_scalars[o, 1], out_scalars[o, 2], out_scalars[o, 3] = a[0], a[1], a[2], U0
        out_scalars[o + 1, 0], out_scalars[o + 1, 1], out_scalars[o + 1, 2] = b[0], b[1], b[2]
        out_scalars[o + 1, 3] = U0
    for t in range(ones.shape[0]):
        i = ones[t]
        o = 2 * m + t
        for r in range(2):
            for s in range(w):
                out_points[o, r, s] = points[i, r, s]
        for s in range(4):
            out_scalars[o, s] = scalars[i, s]


_expand_serial, _expand_parallel = compile_twins(_expand_core)
expand = _expand_serial


def split_msm(
    points: np.ndarray, scalars: np.ndarray, general: np.ndarray, ones: np.ndarray, group: str,
    parallel: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(points', scalars', general', ones') of the equivalent MSM with half-length scalars."""
    n = points.shape[0]
    m, n1 = general.size, ones.size
    out_points = np.empty((2 * m + n1, *points.shape[1:]), dtype=np.uint64)
    out_scalars = np.empty((2 * m + n1, 4), dtype=np.uint64)
    kernel = _expand_parallel if parallel else _expand_serial
    kernel(points.reshape(n, 2, -1), scalars, general.astype(np.int64), ones.astype(np.int64), CONSTANTS[group],
           BETA_MONT, out_points.reshape(2 * m + n1, 2, -1), out_scalars)
    return out_points, out_scalars, np.arange(2 * m, dtype=np.int64), np.arange(2 * m, 2 * m + n1, dtype=np.int64)


__all__ = ["BETA", "LAMBDA_G1", "LAMBDA_G2", "BASES", "LAMBDAS", "GLV_MIN_POINTS", "CONSTANTS", "BETA_MONT",
           "decompose_reference", "decompose_array", "expand", "split_msm"]
