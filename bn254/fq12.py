"""Fq12 = Fq6[w]/(w^2 - v): numba kernels on pairs of Fq6 elements, the target group's field.

An element is a tuple `(g, h)` of Fq6 kernel elements meaning g + h w; over Fq2 its coordinates are
g0, h0, g1, h1, g2, h2 on the powers w^0, w^1, ..., w^5 (w^6 = xi = 9 + u). Arrays of Fq12 elements
are `(n, 2, 3, 2, 4)` uint64. snarkjs's `vk_alphabeta_12` uses this same tower and order.

Besides the field operations this module holds what the pairing needs: the product with a sparse
line value, the Frobenius maps, and Granger-Scott squaring in the cyclotomic subgroup
(Granger, Scott, "Faster squaring in the cyclotomic subgroup of sixth degree extensions", PKC 2010),
which the hard part of the final exponentiation uses for its three exponentiations by x.

py_ecc writes Fq12 differently: polynomials of degree < 12 over Fq modulo w^12 - 18 w^6 + 82, with
u = w^6 - 9. Its w is ours (w^6 = xi in both), so `to_poly12`/`from_poly12` are the field isomorphism
that lets tests compare pairing values with py_ecc's as field elements.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import X_BN, Q
from .fq2 import (
    fq2_add,
    fq2_conj,
    fq2_dbl,
    fq2_mul,
    fq2_mul_fq,
    fq2_mul_xi,
    fq2_sqr,
    fq2_sub,
)
from .fq6 import (
    FQ6_ONE,
    FQ6_ZERO,
    G1_1,
    G1_3,
    G1_5,
    G2_1,
    G2_2,
    G2_3,
    G2_4,
    G2_5,
    G3_1,
    G3_3,
    G3_5,
    fq6,
    fq6_add,
    fq6_eq,
    fq6_frob1,
    fq6_frob3,
    fq6_ints,
    fq6_inv,
    fq6_load,
    fq6_mul,
    fq6_mul_by_01,
    fq6_mul_by_v,
    fq6_mul_fq2,
    fq6_neg,
    fq6_store,
    fq6_sub,
)

FQ12_ONE = (FQ6_ONE, FQ6_ZERO)
FQ12_ZERO = (FQ6_ZERO, FQ6_ZERO)


def _naf(n: int) -> list[int]:
    """Non-adjacent form of n > 0, least significant digit first, digits in {-1, 0, 1}."""
    digits = []
    while n:
        if n & 1:
            d = 2 - (n & 3)
            n -= d
        else:
            d = 0
        digits.append(d)
        n >>= 1
    return digits


X_NAF = np.array(_naf(X_BN)[::-1], dtype=np.int8)
"""NAF digits of x, most significant first (63 digits, 24 non-zero against 28 set bits)."""
assert sum(int(d) << i for i, d in enumerate(X_NAF[::-1])) == X_BN and X_NAF[0] == 1


# --- field operations -----------------------------------------------------------------------------


@njit(cache=True)
def fq12_add(a, b):
    return (fq6_add(a[0], b[0]), fq6_add(a[1], b[1]))


@njit(cache=True)
def fq12_sub(a, b):
    return (fq6_sub(a[0], b[0]), fq6_sub(a[1], b[1]))


@njit(cache=True)
def fq12_mul(a, b):
    """Karatsuba over Fq6: 3 Fq6 products (18 Fq2)."""
    t0 = fq6_mul(a[0], b[0])
    t1 = fq6_mul(a[1], b[1])
    c1 = fq6_sub(fq6_sub(fq6_mul(fq6_add(a[0], a[1]), fq6_add(b[0], b[1])), t0), t1)
    return (fq6_add(t0, fq6_mul_by_v(t1)), c1)


@njit(cache=True)
def fq12_sqr(a):
    """Complex squaring: (g + h w)^2 = ((g + h)(g + v h) - t - v t) + 2 t w with t = g h (2 Fq6 products)."""
    g, h = a
    t = fq6_mul(g, h)
    c0 = fq6_sub(fq6_sub(fq6_mul(fq6_add(g, h), fq6_add(g, fq6_mul_by_v(h))), t), fq6_mul_by_v(t))
    return (c0, fq6_add(t, t))


@njit(cache=True)
def fq12_inv(a):
    """1/(g + h w) = (g - h w)/(g^2 - v h^2); the inverse of 0 is 0."""
    g, h = a
    d = fq6_sub(fq6_mul(g, g), fq6_mul_by_v(fq6_mul(h, h)))
    t = fq6_inv(d)
    return (fq6_mul(g, t), fq6_neg(fq6_mul(h, t)))


@njit(cache=True)
def fq12_conj(a):
    """g - h w: the q^6-power map, which is the inverse on the cyclotomic subgroup."""
    return (a[0], fq6_neg(a[1]))


@njit(cache=True)
def fq12_frob1(a):
    """a^q. The coefficient of w^i is conjugated and multiplied by gamma_{1,i} = xi^(i(q-1)/6)."""
    g, h = a
    h0 = fq2_mul(fq2_conj(h[0]), G1_1)
    h1 = fq2_mul(fq2_conj(h[1]), G1_3)
    h2 = fq2_mul(fq2_conj(h[2]), G1_5)
    return (fq6_frob1(g), (h0, h1, h2))


@njit(cache=True)
def fq12_frob2(a):
    """a^(q^2): the gammas lie in Fq, coefficients are fixed."""
    g, h = a
    h0 = fq2_mul_fq(h[0], G2_1[0])
    h1 = fq2_mul_fq(h[1], G2_3[0])
    h2 = fq2_mul_fq(h[2], G2_5[0])
    g1 = fq2_mul_fq(g[1], G2_2[0])
    g2 = fq2_mul_fq(g[2], G2_4[0])
    return ((g[0], g1, g2), (h0, h1, h2))


@njit(cache=True)
def fq12_frob3(a):
    g, h = a
    h0 = fq2_mul(fq2_conj(h[0]), G3_1)
    h1 = fq2_mul(fq2_conj(h[1]), G3_3)
    h2 = fq2_mul(fq2_conj(h[2]), G3_5)
    return (fq6_frob3(g), (h0, h1, h2))


@njit(cache=True)
def fq12_eq(a, b):
    return fq6_eq(a[0], b[0]) and fq6_eq(a[1], b[1])


@njit(cache=True)
def fq12_is_one(a):
    return fq12_eq(a, FQ12_ONE)


# --- pairing helpers ------------------------------------------------------------------------------


@njit(cache=True)
def fq12_mul_by_line(f, a0, b0, b1):
    """f * (a0 + b0 w + b1 w^3), the shape of every line value in the Miller loop (13 Fq2 products).

    As L0 + L1 w with L0 = a0 (in Fq2) and L1 = b0 + b1 v: f L = (g L0 + v h L1) + ((g + h)(L0 + L1)
    - g L0 - h L1) w."""
    g, h = f
    t0 = fq6_mul_fq2(g, a0)
    t1 = fq6_mul_by_01(h, b0, b1)
    c1 = fq6_sub(fq6_sub(fq6_mul_by_01(fq6_add(g, h), fq2_add(a0, b0), b1), t0), t1)
    return (fq6_add(t0, fq6_mul_by_v(t1)), c1)


@njit(cache=True)
def _fq4_sqr(a0, a1):
    """(a0 + a1 t)^2 in Fq4 = Fq2[t]/(t^2 - xi): (a0^2 + xi a1^2) + 2 a0 a1 t, three Fq2 squarings."""
    t0 = fq2_sqr(a0)
    t1 = fq2_sqr(a1)
    return (fq2_add(t0, fq2_mul_xi(t1)), fq2_sub(fq2_sub(fq2_sqr(fq2_add(a0, a1)), t0), t1))


@njit(cache=True)
def fq12_cyclotomic_sqr(f):
    """Square of an element of the cyclotomic subgroup (order q^4 - q^2 + 1) only: 9 Fq2 squarings.

    Granger-Scott view Fq12 = Fq4[s]/(s^3 - t) with s = w, t = w^3, so f = A + B s + C s^2 with
    A = g0 + h1 t, B = h0 + g2 t, C = g1 + h2 t. For f^(q^6 + 1) ... = 1 they show
    f^2 = (3 A^2 - 2 conj(A)) + (3 t C^2 + 2 conj(B)) s + (3 B^2 - 2 conj(C)) s^2, conj(a0 + a1 t) = a0 - a1 t.
    """
    g, h = f
    g0, g1, g2 = g
    h0, h1, h2 = h
    a0, a1 = _fq4_sqr(g0, h1)
    b0, b1 = _fq4_sqr(h0, g2)
    c0, c1 = _fq4_sqr(g1, h2)
    # A' = 3 A^2 - 2 conj(A): 3a0 - 2g0 = 2(a0 - g0) + a0, 3a1 + 2h1 = 2(a1 + h1) + a1
    ng0 = fq2_add(fq2_dbl(fq2_sub(a0, g0)), a0)
    nh1 = fq2_add(fq2_dbl(fq2_add(a1, h1)), a1)
    # B' = 3 t C^2 + 2 conj(B), t C^2 = xi c1 + c0 t
    xc1 = fq2_mul_xi(c1)
    nh0 = fq2_add(fq2_dbl(fq2_add(xc1, h0)), xc1)
    ng2 = fq2_add(fq2_dbl(fq2_sub(c0, g2)), c0)
    # C' = 3 B^2 - 2 conj(C)
    ng1 = fq2_add(fq2_dbl(fq2_sub(b0, g1)), b0)
    nh2 = fq2_add(fq2_dbl(fq2_add(b1, h2)), b1)
    return ((ng0, ng1, ng2), (nh0, nh1, nh2))


@njit(cache=True)
def fq12_cyclotomic_exp_x(f):
    """f^x for f in the cyclotomic subgroup, over the NAF of x (inverse = conjugate)."""
    fc = fq12_conj(f)
    acc = f
    for i in range(1, X_NAF.shape[0]):
        acc = fq12_cyclotomic_sqr(acc)
        d = X_NAF[i]
        if d == 1:
            acc = fq12_mul(acc, f)
        elif d == -1:
            acc = fq12_mul(acc, fc)
    return acc


@njit(cache=True)
def fq12_load(arr, i):
    """Element i of an (n, 2, 3, 2, 4) uint64 array."""
    return (fq6_load(arr[:, 0], i), fq6_load(arr[:, 1], i))


@njit(cache=True)
def fq12_store(arr, i, v):
    fq6_store(arr[:, 0], i, v[0])
    fq6_store(arr[:, 1], i, v[1])


# --- host helpers ---------------------------------------------------------------------------------

Fq12Ints = tuple[tuple[tuple[int, int], ...], tuple[tuple[int, int], ...]]


def fq12(g: tuple, h: tuple) -> tuple:
    """Python ints (two triples of (c0, c1) pairs) as an Fq12 kernel element."""
    return (fq6(*g), fq6(*h))


def fq12_ints(a) -> Fq12Ints:
    return (fq6_ints(a[0]), fq6_ints(a[1]))


def to_poly12(a) -> list[int]:
    """The 12 coefficients over Fq of a kernel element in py_ecc's basis 1, w, ..., w^11.

    Coefficient c = c0 + c1 u of w^i (u = w^6 - 9) contributes (c0 - 9 c1) w^i + c1 w^(i+6)."""
    (g0, g1, g2), (h0, h1, h2) = fq12_ints(a)
    by_power = [g0, h0, g1, h1, g2, h2]
    out = [0] * 12
    for i, (c0, c1) in enumerate(by_power):
        out[i] = (c0 - 9 * c1) % Q
        out[i + 6] = c1 % Q
    return out


def from_poly12(coeffs) -> tuple:
    """Inverse of `to_poly12`: py_ecc's 12 coefficients (ints) to a kernel element."""
    c = [int(x) % Q for x in coeffs]
    if len(c) != 12:
        raise ValueError(f"expected 12 coefficients, got {len(c)}")
    by_power = [((c[i] + 9 * c[i + 6]) % Q, c[i + 6]) for i in range(6)]
    g = (by_power[0], by_power[2], by_power[4])
    h = (by_power[1], by_power[3], by_power[5])
    return fq12(g, h)
