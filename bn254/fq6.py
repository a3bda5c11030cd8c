"""Fq6 = Fq2[v]/(v^3 - xi), xi = 9 + u: numba kernels on triples of Fq2 elements.

An element is a tuple `(c0, c1, c2)` of Fq2 kernel elements (see `fq2`), meaning c0 + c1 v + c2 v^2;
arrays of Fq6 elements are `(n, 3, 2, 4)` uint64. This is the middle floor of the tower that
snarkjs (ffjavascript), py_ecc's reference and the EIP-197 precompiles share:
Fq12 = Fq6[w]/(w^2 - v), so w^6 = xi.

Multiplication and squaring follow Devegili, O hEigeartaigh, Scott, Dahab, "Multiplication and
squaring on pairing-friendly fields" (eprint 2006/471): Karatsuba (6 Fq2 products) and CH-SQR2
(2 squarings + 3 products). The Frobenius constants are computed here from q at import and checked.
"""

from __future__ import annotations

from numba import njit

from .constants import XI, Q
from .fq2 import (
    FQ2_ONE,
    FQ2_ZERO,
    fq2,
    fq2_add,
    fq2_conj,
    fq2_dbl,
    fq2_eq,
    fq2_ints,
    fq2_inv,
    fq2_is_zero,
    fq2_mul,
    fq2_mul_xi,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
)

FQ6_ZERO = (FQ2_ZERO, FQ2_ZERO, FQ2_ZERO)
FQ6_ONE = (FQ2_ONE, FQ2_ZERO, FQ2_ZERO)


# --- host Fq2 arithmetic on Python ints, for constants only -----------------------------------------


def _f2_mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


def _f2_pow(a: tuple[int, int], e: int) -> tuple[int, int]:
    acc = (1, 0)
    while e:
        if e & 1:
            acc = _f2_mul(acc, a)
        a = _f2_mul(a, a)
        e >>= 1
    return acc


def _frobenius_gammas(k: int) -> list[tuple[int, int]]:
    """gamma_{k,i} = w^(i (q^k - 1)) = xi^(i (q^k - 1)/6), i = 0..5: the factor the q^k-power map
    puts on the coefficient of w^i (the coefficient itself goes to its own q^k-th power)."""
    assert (Q**k - 1) % 6 == 0
    g = _f2_pow(XI, (Q**k - 1) // 6)
    return [_f2_pow(g, i) for i in range(6)]


GAMMA_INTS = {
    1: [
        (0x1,
         0x0),
        (0x1284b71c2865a7dfe8b99fdd76e68b605c521e08292f2176d60b35dadcc9e470,
         0x246996f3b4fae7e6a6327cfe12150b8e747992778eeec7e5ca5cf05f80f362ac),
        (0x2fb347984f7911f74c0bec3cf559b143b78cc310c2c3330c99e39557176f553d,
         0x16c9e55061ebae204ba4cc8bd75a079432ae2a1d0b7c9dce1665d51c640fcba2),
        (0x63cf305489af5dcdc5ec698b6e2f9b9dbaae0eda9c95998dc54014671a0135a,
         0x7c03cbcac41049a0704b5a7ec796f2b21807dc98fa25bd282d37f632623b0e3),
        (0x5b54f5e64eea80180f3c0b75a181e84d33365f7be94ec72848a1f55921ea762,
         0x2c145edbe7fd8aee9f3a80b03b0b1c923685d2ea1bdec763c13b4711cd2b8126),
        (0x183c1e74f798649e93a3661a4353ff4425c459b55aa1bd32ea2c810eab7692f,
         0x12acf2ca76fd0675a27fb246c7729f7db080cb99678e2ac024c6b8ee6e0c2c4b),
    ],
    2: [
        (0x1,
         0x0),
        (0x30644e72e131a0295e6dd9e7e0acccb0c28f069fbb966e3de4bd44e5607cfd49,
         0x0),
        (0x30644e72e131a0295e6dd9e7e0acccb0c28f069fbb966e3de4bd44e5607cfd48,
         0x0),
        (0x30644e72e131a029b85045b68181585d97816a916871ca8d3c208c16d87cfd46,
         0x0),
        (0x59e26bcea0d48bacd4f263f1acdb5c4f5763473177fffffe,
         0x0),
        (0x59e26bcea0d48bacd4f263f1acdb5c4f5763473177ffffff,
         0x0),
    ],
    3: [
        (0x1,
         0x0),
        (0x19dc81cfcc82e4bbefe9608cd0acaa90894cb38dbe55d24ae86f7d391ed4a67f,
         0xabf8b60be77d7306cbeee33576139d7f03a5e397d439ec7694aa2bf4c0c101),
        (0x856e078b755ef0abaff1c77959f25ac805ffd3d5d6942d37b746ee87bdcfb6d,
         0x4f1de41b3d1766fa9f30e6dec26094f0fdf31bf98ff2631380cab2baaa586de),
        (0x2a275b6d9896aa4cdbf17f1dca9e5ea3bbd689a3bea870f45fcc8ad066dce9ed,
         0x28a411b634f09b8fb14b900e9507e9327600ecc7d8cf6ebab94d0cb3b2594c64),
        (0xbc58c6611c08dab19bee0f7b5b2444ee633094575b06bcb0e1a92bc3ccbf066,
         0x23d5e999e1910a12feb0f6ef0cd21d04a44a9e08737f96e55fe3ed9d730c239f),
        (0x13c49044952c0905711699fa3b4d3f692ed68098967c84a5ebde847076261b43,
         0x16db366a59b1dd0b9fb1b2282a48633d3e2ddaea200280211f25041384282499),
    ],
}
"""Frobenius coefficients as Python ints, for k = 1, 2, 3 and the coefficient of w^0..w^5: the values
`_frobenius_gammas(k)` computes, written out because computing them (and the facts below) in pure
Python took 0.1-0.4 s of every process start; `check_tower()` recomputes and checks them (run by
tests/bn254/test_pairing.py, which also compares them with py_ecc's)."""


def check_tower() -> None:
    """Executable facts about the tower and its Frobenius constants (AssertionError if one fails)."""
    assert GAMMA_INTS == {k: _frobenius_gammas(k) for k in (1, 2, 3)}, "Frobenius constants"
    assert _f2_pow(XI, (Q * Q - 1) // 2) == (Q - 1, 0), "xi must be a non-square in Fq2"
    assert _f2_pow(XI, (Q * Q - 1) // 3) != (1, 0), "xi must be a non-cube in Fq2"
    assert all(g[1] == 0 for g in GAMMA_INTS[2]), "the q^2 coefficients lie in Fq"
    assert GAMMA_INTS[2][3] == (Q - 1, 0), "gamma_{2,3} = xi^((q^2 - 1)/2) = -1"
    assert all(_f2_mul(GAMMA_INTS[1][i], GAMMA_INTS[1][1]) == GAMMA_INTS[1][i + 1] for i in range(5))
    assert _f2_pow(XI, (Q**6 - 1) // 6) == (Q - 1, 0), "w^(q^6) = -w: conjugation is the q^6 map"


_G1 = tuple(fq2(*g) for g in GAMMA_INTS[1])
_G2 = tuple(fq2(*g) for g in GAMMA_INTS[2])
_G3 = tuple(fq2(*g) for g in GAMMA_INTS[3])
# Named kernel constants (globals captured by numba as compile-time tuples).
G1_0, G1_1, G1_2, G1_3, G1_4, G1_5 = _G1
G2_0, G2_1, G2_2, G2_3, G2_4, G2_5 = _G2
G3_0, G3_1, G3_2, G3_3, G3_4, G3_5 = _G3


# --- kernels --------------------------------------------------------------------------------------


@njit(cache=True)
def fq6_add(a, b):
    return (fq2_add(a[0], b[0]), fq2_add(a[1], b[1]), fq2_add(a[2], b[2]))


@njit(cache=True)
def fq6_sub(a, b):
    return (fq2_sub(a[0], b[0]), fq2_sub(a[1], b[1]), fq2_sub(a[2], b[2]))


@njit(cache=True)
def fq6_dbl(a):
    return (fq2_dbl(a[0]), fq2_dbl(a[1]), fq2_dbl(a[2]))


@njit(cache=True)
def fq6_neg(a):
    return (fq2_neg(a[0]), fq2_neg(a[1]), fq2_neg(a[2]))


@njit(cache=True)
def fq6_mul(a, b):
    """Karatsuba over Fq2: 6 Fq2 products."""
    a0, a1, a2 = a
    b0, b1, b2 = b
    t0 = fq2_mul(a0, b0)
    t1 = fq2_mul(a1, b1)
    t2 = fq2_mul(a2, b2)
    # c0 = t0 + xi ((a1 + a2)(b1 + b2) - t1 - t2)
    c0 = fq2_add(t0, fq2_mul_xi(fq2_sub(fq2_sub(fq2_mul(fq2_add(a1, a2), fq2_add(b1, b2)), t1), t2)))
    # c1 = (a0 + a1)(b0 + b1) - t0 - t1 + xi t2
    c1 = fq2_add(fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a1), fq2_add(b0, b1)), t0), t1), fq2_mul_xi(t2))
    # c2 = (a0 + a2)(b0 + b2) - t0 - t2 + t1
    c2 = fq2_add(fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a2), fq2_add(b0, b2)), t0), t2), t1)
    return (c0, c1, c2)


@njit(cache=True)
def fq6_sqr(a):
    """CH-SQR2: c0 = a0^2 + 2 xi a1 a2, c1 = 2 a0 a1 + xi a2^2, c2 = a1^2 + 2 a0 a2."""
    a0, a1, a2 = a
    s0 = fq2_sqr(a0)
    s1 = fq2_dbl(fq2_mul(a0, a1))
    s2 = fq2_sqr(fq2_add(fq2_sub(a0, a1), a2))
    s3 = fq2_dbl(fq2_mul(a1, a2))
    s4 = fq2_sqr(a2)
    c0 = fq2_add(s0, fq2_mul_xi(s3))
    c1 = fq2_add(s1, fq2_mul_xi(s4))
    c2 = fq2_sub(fq2_sub(fq2_add(fq2_add(s1, s2), s3), s0), s4)
    return (c0, c1, c2)


@njit(cache=True)
def fq6_mul_fq2(a, k):
    """Product with an element of the subfield Fq2: 3 Fq2 products."""
    return (fq2_mul(a[0], k), fq2_mul(a[1], k), fq2_mul(a[2], k))


@njit(cache=True)
def fq6_mul_by_01(a, b0, b1):
    """a (b0 + b1 v): the sparse product the line evaluations need (5 Fq2 products)."""
    a0, a1, a2 = a
    t0 = fq2_mul(a0, b0)
    t1 = fq2_mul(a1, b1)
    c0 = fq2_add(t0, fq2_mul_xi(fq2_mul(a2, b1)))
    c1 = fq2_sub(fq2_sub(fq2_mul(fq2_add(a0, a1), fq2_add(b0, b1)), t0), t1)
    c2 = fq2_add(t1, fq2_mul(a2, b0))
    return (c0, c1, c2)


@njit(cache=True)
def fq6_mul_by_v(a):
    """a v = xi a2 + a0 v + a1 v^2 (additions only)."""
    return (fq2_mul_xi(a[2]), a[0], a[1])


@njit(cache=True)
def fq6_inv(a):
    """1/a = (A + B v + C v^2)/F with A = a0^2 - xi a1 a2, B = xi a2^2 - a0 a1, C = a1^2 - a0 a2,
    F = a0 A + xi (a2 B + a1 C). The inverse of 0 is 0."""
    a0, a1, a2 = a
    A = fq2_sub(fq2_sqr(a0), fq2_mul_xi(fq2_mul(a1, a2)))
    B = fq2_sub(fq2_mul_xi(fq2_sqr(a2)), fq2_mul(a0, a1))
    C = fq2_sub(fq2_sqr(a1), fq2_mul(a0, a2))
    F = fq2_add(fq2_mul(a0, A), fq2_mul_xi(fq2_add(fq2_mul(a2, B), fq2_mul(a1, C))))
    t = fq2_inv(F)
    return (fq2_mul(A, t), fq2_mul(B, t), fq2_mul(C, t))


@njit(cache=True)
def fq6_frob1(a):
    """a^q: conjugate each coefficient, times gamma_{1, 2j} (v^j = w^2j)."""
    return (fq2_conj(a[0]), fq2_mul(fq2_conj(a[1]), G1_2), fq2_mul(fq2_conj(a[2]), G1_4))


@njit(cache=True)
def fq6_frob2(a):
    return (a[0], fq2_mul(a[1], G2_2), fq2_mul(a[2], G2_4))


@njit(cache=True)
def fq6_frob3(a):
    return (fq2_conj(a[0]), fq2_mul(fq2_conj(a[1]), G3_2), fq2_mul(fq2_conj(a[2]), G3_4))


@njit(cache=True)
def fq6_is_zero(a):
    return fq2_is_zero(a[0]) and fq2_is_zero(a[1]) and fq2_is_zero(a[2])


@njit(cache=True)
def fq6_eq(a, b):
    return fq2_eq(a[0], b[0]) and fq2_eq(a[1], b[1]) and fq2_eq(a[2], b[2])


@njit(cache=True)
def fq6_load(arr, i):
    """Element i of an (n, 3, 2, 4) uint64 array."""
    return (
        ((arr[i, 0, 0, 0], arr[i, 0, 0, 1], arr[i, 0, 0, 2], arr[i, 0, 0, 3]),
         (arr[i, 0, 1, 0], arr[i, 0, 1, 1], arr[i, 0, 1, 2], arr[i, 0, 1, 3])),
        ((arr[i, 1, 0, 0], arr[i, 1, 0, 1], arr[i, 1, 0, 2], arr[i, 1, 0, 3]),
         (arr[i, 1, 1, 0], arr[i, 1, 1, 1], arr[i, 1, 1, 2], arr[i, 1, 1, 3])),
        ((arr[i, 2, 0, 0], arr[i, 2, 0, 1], arr[i, 2, 0, 2], arr[i, 2, 0, 3]),
         (arr[i, 2, 1, 0], arr[i, 2, 1, 1], arr[i, 2, 1, 2], arr[i, 2, 1, 3])),
    )


@njit(cache=True)
def fq6_store(arr, i, v):
    for j in range(3):
        for k in range(2):
            c = v[j][k]
            arr[i, j, k, 0] = c[0]
            arr[i, j, k, 1] = c[1]
            arr[i, j, k, 2] = c[2]
            arr[i, j, k, 3] = c[3]


# --- host helpers ---------------------------------------------------------------------------------


def fq6(c0: tuple[int, int], c1: tuple[int, int], c2: tuple[int, int]) -> tuple:
    """Python ints ((a, b) meaning a + b u per coefficient) as an Fq6 kernel element."""
    return (fq2(*c0), fq2(*c1), fq2(*c2))


def fq6_ints(a) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    return (fq2_ints(a[0]), fq2_ints(a[1]), fq2_ints(a[2]))
