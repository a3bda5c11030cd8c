"""Fq2 = Fq[u]/(u^2 + 1): numba kernels on pairs of Fq elements.

An element is a tuple `(c0, c1)` of Fq kernel elements (see `fields`), meaning c0 + c1*u.
Arrays of Fq2 elements are `(n, 2, 4)` uint64, the order snarkjs writes them (c0 then c1).
"""

from __future__ import annotations

from numba import njit

from .fields import (
    Q_ONE,
    ZERO,
    fq,
    fq_add,
    fq_dbl,
    fq_int,
    fq_inv,
    fq_mul,
    fq_neg,
    fq_sqr,
    fq_sub,
    is_zero,
)

FQ2_ZERO = (ZERO, ZERO)
FQ2_ONE = (Q_ONE, ZERO)


@njit(cache=True)
def fq2_add(a, b):
    return (fq_add(a[0], b[0]), fq_add(a[1], b[1]))


@njit(cache=True)
def fq2_sub(a, b):
    return (fq_sub(a[0], b[0]), fq_sub(a[1], b[1]))


@njit(cache=True)
def fq2_dbl(a):
    return (fq_dbl(a[0]), fq_dbl(a[1]))


@njit(cache=True)
def fq2_neg(a):
    return (fq_neg(a[0]), fq_neg(a[1]))


@njit(cache=True)
def fq2_conj(a):
    return (a[0], fq_neg(a[1]))


@njit(cache=True)
def fq2_mul(a, b):
    """Karatsuba: three Fq multiplications."""
    v0 = fq_mul(a[0], b[0])
    v1 = fq_mul(a[1], b[1])
    s = fq_mul(fq_add(a[0], a[1]), fq_add(b[0], b[1]))
    return (fq_sub(v0, v1), fq_sub(fq_sub(s, v0), v1))


@njit(cache=True)
def fq2_sqr(a):
    """(a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u: two Fq multiplications."""
    t = fq_mul(a[0], a[1])
    return (fq_mul(fq_add(a[0], a[1]), fq_sub(a[0], a[1])), fq_dbl(t))


@njit(cache=True)
def fq2_mul_fq(a, k):
    return (fq_mul(a[0], k), fq_mul(a[1], k))


@njit(cache=True)
def fq2_mul_xi(a):
    """Multiply by xi = 9 + u: (9 a0 - a1) + (a0 + 9 a1) u, with additions only."""
    a0, a1 = a
    n0 = fq_add(fq_dbl(fq_dbl(fq_dbl(a0))), a0)
    n1 = fq_add(fq_dbl(fq_dbl(fq_dbl(a1))), a1)
    return (fq_sub(n0, a1), fq_add(a0, n1))


@njit(cache=True)
def fq2_inv(a):
    """1/(a0 + a1 u) = (a0 - a1 u)/(a0^2 + a1^2); the inverse of 0 is 0."""
    t = fq_inv(fq_add(fq_sqr(a[0]), fq_sqr(a[1])))
    return (fq_mul(a[0], t), fq_neg(fq_mul(a[1], t)))


@njit(cache=True)
def fq2_is_zero(a):
    return is_zero(a[0]) and is_zero(a[1])


@njit(cache=True)
def fq2_eq(a, b):
    x, y = a[0], b[0]
    u, v = a[1], b[1]
    return (
        x[0] == y[0] and x[1] == y[1] and x[2] == y[2] and x[3] == y[3]
        and u[0] == v[0] and u[1] == v[1] and u[2] == v[2] and u[3] == v[3]
    )


@njit(cache=True)
def fq2_load(arr, i):
    """Element i of an (n, 2, 4) uint64 array."""
    return (
        (arr[i, 0, 0], arr[i, 0, 1], arr[i, 0, 2], arr[i, 0, 3]),
        (arr[i, 1, 0], arr[i, 1, 1], arr[i, 1, 2], arr[i, 1, 3]),
    )


@njit(cache=True)
def fq2_store(arr, i, v):
    for k in range(2):
        c = v[k]
        arr[i, k, 0] = c[0]
        arr[i, k, 1] = c[1]
        arr[i, k, 2] = c[2]
        arr[i, k, 3] = c[3]


def fq2(c0: int, c1: int) -> tuple:
    """Python ints as an Fq2 kernel element."""
    return (fq(c0), fq(c1))


def fq2_ints(a) -> tuple[int, int]:
    return (fq_int(a[0]), fq_int(a[1]))


