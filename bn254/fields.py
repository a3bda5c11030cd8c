"""Prime-field arithmetic for BN254's Fq and Fr: numba kernels on four 64-bit limbs.

An element is a `UniTuple(uint64, 4)`: little-endian limbs of x*2^256 mod m (Montgomery form), so
the bytes of a .zkey/.ptau coordinate are an element as they stand. Tuples stay in registers;
arrays of elements are `(n, 4)` uint64 arrays, read with `load` and written with `store`.

Multiplication is CIOS Montgomery (Koc, Acar, Kaliski, "Analyzing and comparing Montgomery
multiplication algorithms", 1996). Both moduli are below 2^254, so a sum of two reduced elements
never carries out of 256 bits and a product needs one conditional subtraction.

Each operation exists once, generic over the modulus (`_mont_mul(a, b, M, INV)`), and is bound to
Fq and Fr by thin wrappers whose constant arguments LLVM folds after inlining.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import Q_INV, Q_R1, Q_R2, R_INV, R_R1, R_R2, Q, R, from_limbs, to_limbs
from .limbs import adc, mac, sbb

U0 = np.uint64(0)
U1 = np.uint64(1)


def _u64x4(x: int) -> tuple:
    return tuple(np.uint64(v) for v in to_limbs(x))


QM = _u64x4(Q)
QINV = np.uint64(Q_INV)
Q_ONE = _u64x4(Q_R1)  # 1 in Montgomery form
Q_RR = _u64x4(Q_R2)  # R^2, to enter Montgomery form
Q_MINUS_2 = _u64x4(Q - 2)
Q_SQRT_EXP = _u64x4((Q + 1) // 4)

RM = _u64x4(R)
RINV = np.uint64(R_INV)
R_ONE = _u64x4(R_R1)
R_RR = _u64x4(R_R2)
R_MINUS_2 = _u64x4(R - 2)

ZERO = (U0, U0, U0, U0)
STD_ONE = (U1, U0, U0, U0)


# --- generic kernels ------------------------------------------------------------------------------


@njit(cache=True)
def _mont_round(t0, t1, t2, t3, t4, a, b_, m, inv):
    """One CIOS round: t += a*b_, then add k*m with k chosen to clear the low limb, shift."""
    t0, c = mac(a[0], b_, t0, U0)
    t1, c = mac(a[1], b_, t1, c)
    t2, c = mac(a[2], b_, t2, c)
    t3, c = mac(a[3], b_, t3, c)
    t4, t5 = adc(t4, c, U0)
    k = t0 * inv
    _, c = mac(k, m[0], t0, U0)
    t0, c = mac(k, m[1], t1, c)
    t1, c = mac(k, m[2], t2, c)
    t2, c = mac(k, m[3], t3, c)
    t3, c = adc(t4, c, U0)
    return t0, t1, t2, t3, t5 + c


@njit(cache=True)
def _mont_mul(a, b, m, inv):
    t0, t1, t2, t3, t4 = _mont_round(U0, U0, U0, U0, U0, a, b[0], m, inv)
    t0, t1, t2, t3, t4 = _mont_round(t0, t1, t2, t3, t4, a, b[1], m, inv)
    t0, t1, t2, t3, t4 = _mont_round(t0, t1, t2, t3, t4, a, b[2], m, inv)
    t0, t1, t2, t3, t4 = _mont_round(t0, t1, t2, t3, t4, a, b[3], m, inv)
    # t < 2m: subtract m once if t >= m.
    d0, br = sbb(t0, m[0], U0)
    d1, br = sbb(t1, m[1], br)
    d2, br = sbb(t2, m[2], br)
    d3, br = sbb(t3, m[3], br)
    if t4 != U0 or br == U0:
        return (d0, d1, d2, d3)
    return (t0, t1, t2, t3)


@njit(cache=True)
def _add(a, b, m):
    s0, c = adc(a[0], b[0], U0)
    s1, c = adc(a[1], b[1], c)
    s2, c = adc(a[2], b[2], c)
    s3, c = adc(a[3], b[3], c)
    d0, br = sbb(s0, m[0], U0)
    d1, br = sbb(s1, m[1], br)
    d2, br = sbb(s2, m[2], br)
    d3, br = sbb(s3, m[3], br)
    if c != U0 or br == U0:
        return (d0, d1, d2, d3)
    return (s0, s1, s2, s3)


@njit(cache=True)
def _sub(a, b, m):
    d0, br = sbb(a[0], b[0], U0)
    d1, br = sbb(a[1], b[1], br)
    d2, br = sbb(a[2], b[2], br)
    d3, br = sbb(a[3], b[3], br)
    if br == U0:
        return (d0, d1, d2, d3)
    s0, c = adc(d0, m[0], U0)
    s1, c = adc(d1, m[1], c)
    s2, c = adc(d2, m[2], c)
    s3, c = adc(d3, m[3], c)
    return (s0, s1, s2, s3)


@njit(cache=True)
def is_zero(a):
    return (a[0] | a[1] | a[2] | a[3]) == U0


@njit(cache=True)
def eq(a, b):
    return a[0] == b[0] and a[1] == b[1] and a[2] == b[2] and a[3] == b[3]


@njit(cache=True)
def _neg(a, m):
    if is_zero(a):
        return a
    return _sub(m, a, m)


@njit(cache=True)
def _pow(a, e, one, m, inv):
    """a^e for a 256-bit exponent given as four limbs (square-and-multiply, top bit first)."""
    acc = one
    for i in range(3, -1, -1):
        w = e[i]
        for j in range(63, -1, -1):
            acc = _mont_mul(acc, acc, m, inv)
            if (w >> np.uint64(j)) & U1:
                acc = _mont_mul(acc, a, m, inv)
    return acc


@njit(cache=True)
def load(arr, i):
    """Element i of an (n, 4) uint64 array."""
    return (arr[i, 0], arr[i, 1], arr[i, 2], arr[i, 3])


@njit(cache=True)
def store(arr, i, v):
    arr[i, 0] = v[0]
    arr[i, 1] = v[1]
    arr[i, 2] = v[2]
    arr[i, 3] = v[3]


# --- Fq -------------------------------------------------------------------------------------------


@njit(cache=True)
def fq_mul(a, b):
    return _mont_mul(a, b, QM, QINV)


@njit(cache=True)
def fq_sqr(a):
    return _mont_mul(a, a, QM, QINV)


@njit(cache=True)
def fq_add(a, b):
    return _add(a, b, QM)


@njit(cache=True)
def fq_sub(a, b):
    return _sub(a, b, QM)


@njit(cache=True)
def fq_neg(a):
    return _neg(a, QM)


@njit(cache=True)
def fq_dbl(a):
    return _add(a, a, QM)


@njit(cache=True)
def fq_inv(a):
    """a^(q-2); the inverse of 0 is 0 (callers check)."""
    return _pow(a, Q_MINUS_2, Q_ONE, QM, QINV)


@njit(cache=True)
def fq_sqrt_candidate(a):
    """a^((q+1)/4): a square root of a when one exists (q = 3 mod 4); callers square to check."""
    return _pow(a, Q_SQRT_EXP, Q_ONE, QM, QINV)


@njit(cache=True)
def fq_to_mont(a):
    return _mont_mul(a, Q_RR, QM, QINV)


@njit(cache=True)
def fq_from_mont(a):
    return _mont_mul(a, STD_ONE, QM, QINV)


# --- Fr -------------------------------------------------------------------------------------------


@njit(cache=True)
def fr_mul(a, b):
    return _mont_mul(a, b, RM, RINV)


@njit(cache=True)
def fr_sqr(a):
    return _mont_mul(a, a, RM, RINV)


@njit(cache=True)
def fr_add(a, b):
    return _add(a, b, RM)


@njit(cache=True)
def fr_sub(a, b):
    return _sub(a, b, RM)


@njit(cache=True)
def fr_neg(a):
    return _neg(a, RM)


@njit(cache=True)
def fr_inv(a):
    return _pow(a, R_MINUS_2, R_ONE, RM, RINV)


@njit(cache=True)
def fr_pow(a, e):
    return _pow(a, e, R_ONE, RM, RINV)


@njit(cache=True)
def fr_to_mont(a):
    return _mont_mul(a, R_RR, RM, RINV)


@njit(cache=True)
def fr_from_mont(a):
    return _mont_mul(a, STD_ONE, RM, RINV)


# --- array kernels --------------------------------------------------------------------------------


@njit(cache=True)
def fr_to_mont_array(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        store(out, i, fr_to_mont(load(x, i)))
    return out


@njit(cache=True)
def fr_from_mont_array(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        store(out, i, fr_from_mont(load(x, i)))
    return out


@njit(cache=True)
def fq_to_mont_array(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        store(out, i, fq_to_mont(load(x, i)))
    return out


@njit(cache=True)
def fq_from_mont_array(x):
    out = np.empty_like(x)
    for i in range(x.shape[0]):
        store(out, i, fq_from_mont(load(x, i)))
    return out


@njit(cache=True)
def fr_batch_inv(x):
    """Inverses of every element (Montgomery's trick: one inversion, 3(n-1) multiplications).

    Zeros map to zero and do not poison the others."""
    n = x.shape[0]
    out = np.empty_like(x)
    acc = R_ONE
    for i in range(n):
        store(out, i, acc)
        v = load(x, i)
        if not is_zero(v):
            acc = fr_mul(acc, v)
    inv = fr_inv(acc)
    for i in range(n - 1, -1, -1):
        v = load(x, i)
        if is_zero(v):
            store(out, i, ZERO)
            continue
        store(out, i, fr_mul(load(out, i), inv))
        inv = fr_mul(inv, v)
    return out


# --- host helpers (Python ints <-> limb arrays) ---------------------------------------------------


def ints_to_array(values, modulus: int, montgomery: bool = True) -> np.ndarray:
    """(n, 4) uint64 limbs of integers in [0, modulus), optionally in Montgomery form."""
    vals = list(values)
    out = np.empty((len(vals), 4), dtype=np.uint64)
    r1 = (1 << 256) % modulus
    for i, v in enumerate(vals):
        v = int(v)
        if not 0 <= v < modulus:
            raise ValueError(f"expected a field element in [0, {modulus}), got {v}")
        out[i] = to_limbs(v * r1 % modulus if montgomery else v)
    return out


def array_to_ints(arr: np.ndarray, modulus: int, montgomery: bool = True) -> list[int]:
    """Integers from (n, 4) uint64 limbs, leaving Montgomery form when asked."""
    rinv = pow(1 << 256, -1, modulus)
    out = []
    for row in np.asarray(arr, dtype=np.uint64).reshape(-1, 4):
        v = from_limbs(row)
        out.append(v * rinv % modulus if montgomery else v)
    return out


def fq(x: int) -> tuple:
    """A Python int as an Fq kernel element (Montgomery form)."""
    return _u64x4((x % Q) * Q_R1 % Q)


def fr(x: int) -> tuple:
    return _u64x4((x % R) * R_R1 % R)


def fq_int(a) -> int:
    return from_limbs(a) * pow(1 << 256, -1, Q) % Q


def fr_int(a) -> int:
    return from_limbs(a) * pow(1 << 256, -1, R) % R
