"""The optimal ate pairing on BN254: e(P, Q) = f_{6x+2,Q}(P) l_{T,pi(Q)}(P) l_{T',-pi^2(Q)}(P), to the
power (q^12 - 1)/r.

References: Vercauteren, "Optimal pairings" (IEEE TIT 2010) for the loop over 6x + 2 and the two
Frobenius correction lines; Costello, Lange, Naehrig, "Faster pairing computations on curves with
high-degree twists" (PKC 2010) and Aranha, Karabina, Longa, Gebotys, Lopez, "Faster explicit
formulas for computing pairings over ordinary curves" (Eurocrypt 2011) for the doubling and mixed
addition steps in homogeneous projective coordinates on the D-type twist; Scott, Benger, Charlemagne,
Dominguez Perez, Kachisa, "On the final exponentiation for calculating pairings on ordinary elliptic
curves" (Pairing 2009) for the hard part. The result is the canonical reduced pairing, equal as a
field element to py_ecc's `final_exponentiate(pairing(Q, P))` (tests check it).

Geometry. Q = (x', y') lives on the twist E': y^2 = x^3 + b' with b' = 3/xi; it maps into E(Fq12) as
(x' w^2, y' w^3) (w^6 = xi). Every line through points of the untwisted T and Q, evaluated at
P = (xP, yP) in E(Fq) and scaled by an Fq2 factor (which the final exponentiation kills), has the
form  c0 yP + c1 xP w + c2 w^3,  so a line is three Fq2 coefficients (c0, c1, c2) that depend on Q
only, and `fq12_mul_by_line` multiplies by it in 13 Fq2 products. For a fixed Q (the verifying key's
beta, gamma, delta) the coefficients of all `N_LINES` lines are computed once (`prepare_g2`) and the
Miller loop only scales them by xP, yP.

Kernel inputs are affine Montgomery arrays as `bn254.g1`/`bn254.g2` write them: G1 (n, 2, 4),
G2 (n, 2, 2, 4), infinity as zeros. A pair with a point at infinity contributes 1. The Miller loop
does not validate points: callers check curve and subgroup membership first (`multi_pairing_is_one`
does unless told the points were checked).

Also here: the EIP-197 pairing-check precompile (`eip197_pairing_check`) with the one place the EVM's
G2 word order is written (`g2_to_evm`/`g2_from_evm`), and snarkjs' GT convention (`snarkjs_gt`), which
its vk_alphabeta_12 uses.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .constants import X_BN, Q, R
from .ec import as_kernel, check_array
from .errors import PointError
from .fields import is_zero, load
from .fq2 import (
    FQ2_ONE,
    fq2,
    fq2_add,
    fq2_conj,
    fq2_dbl,
    fq2_eq,
    fq2_is_zero,
    fq2_load,
    fq2_mul,
    fq2_mul_fq,
    fq2_neg,
    fq2_sqr,
    fq2_sub,
)
from .fq6 import G1_2, G1_3, G2_2, G3_2, G3_3, GAMMA_INTS, fq6_load, fq6_store
from .fq12 import (
    FQ12_ONE,
    _naf,
    fq12_conj,
    fq12_cyclotomic_exp_x,
    fq12_cyclotomic_sqr,
    fq12_frob1,
    fq12_frob2,
    fq12_frob3,
    fq12_inv,
    fq12_is_one,
    fq12_mul,
    fq12_mul_by_line,
    fq12_sqr,
)
from .g1 import g1_array, g1_validate_array
from .g2 import B2_INTS, g2_array, g2_array_to_ints, g2_validate_array

ATE_LOOP = 6 * X_BN + 2
ATE_NAF = np.array(_naf(ATE_LOOP)[::-1], dtype=np.int8)
"""NAF digits of 6x + 2, most significant first (66 digits, 22 non-zero; binary has 37 ones)."""
assert sum(int(d) << i for i, d in enumerate(ATE_NAF[::-1])) == ATE_LOOP and ATE_NAF[0] == 1

N_LINES = (len(ATE_NAF) - 1) + int(np.count_nonzero(ATE_NAF[1:])) + 2
"""Lines per G2 point: one doubling per digit after the first, one addition per non-zero digit, the
two Frobenius lines."""

_B3 = tuple((3 * c) % Q for c in B2_INTS)
B3_TWIST = fq2(*_B3)
"""3 b' = 9/xi, the constant of the doubling step."""

# pi(x, y) = (conj(x) gamma_{1,2}, conj(y) gamma_{1,3}) is the q-power Frobenius carried to the twist
# (w^(2(q-1)) = gamma_{1,2}, w^(3(q-1)) = gamma_{1,3}); pi^2(x, y) = (x gamma_{2,2}, y gamma_{2,3}) with
# gamma_{2,3} = -1, so -pi^2(Q) = (x gamma_{2,2}, y).
assert GAMMA_INTS[2][3] == (Q - 1, 0)

# Executable fact: the hard part of the final exponentiation, written in base q as
# l0 + l1 q + l2 q^2 + l3 q^3 (Scott et al.), is exactly (q^4 - q^2 + 1)/r.
_x = X_BN
assert (
    (-36 * _x**3 - 30 * _x**2 - 18 * _x - 2)
    + (-36 * _x**3 - 18 * _x**2 - 12 * _x + 1) * Q
    + (6 * _x**2 + 1) * Q**2
    + Q**3
) * R == Q**4 - Q**2 + 1
del _x


# --- Miller loop steps ----------------------------------------------------------------------------


@njit(cache=True)
def _dbl_step(t):
    """2T for T = (X, Y, Z) homogeneous on the twist, and the tangent line at T.

    With B = Y^2, C = Z^2, E = 3 b' C, F = 3 E, H = (Y + Z)^2 - B - C = 2 Y Z:
    2T = (2 X Y (B - F), (B + F)^2 - 12 E^2, 4 B H)   (four times the usual (X3, Y3, Z3), which avoids
    halving), line = -H yP + 3 X^2 xP w + (E - B) w^3 (the tangent times -2YZ, using Y^2 Z = X^3 + b'Z^3).
    """
    X, Y, Z = t
    B = fq2_sqr(Y)
    C = fq2_sqr(Z)
    E = fq2_mul(C, B3_TWIST)
    F = fq2_add(fq2_dbl(E), E)
    H = fq2_sub(fq2_sub(fq2_sqr(fq2_add(Y, Z)), B), C)
    X2 = fq2_sqr(X)
    X3 = fq2_dbl(fq2_mul(fq2_mul(X, Y), fq2_sub(B, F)))
    E2 = fq2_sqr(E)
    E12 = fq2_dbl(fq2_dbl(fq2_add(fq2_dbl(E2), E2)))
    Y3 = fq2_sub(fq2_sqr(fq2_add(B, F)), E12)
    Z3 = fq2_dbl(fq2_dbl(fq2_mul(B, H)))
    return (X3, Y3, Z3), fq2_neg(H), fq2_add(fq2_dbl(X2), X2), fq2_sub(E, B)


@njit(cache=True)
def _add_step(t, x2, y2):
    """T + Q for T homogeneous and Q = (x2, y2) affine on the twist, and the line through them.

    theta = Y - y2 Z, lam = X - x2 Z (the slope is theta/lam); with E = lam^3, F = Z theta^2,
    G = X lam^2, H = E + F - 2G: T + Q = (lam H, theta (G - H) - Y E, Z E),
    line = lam yP - theta xP w + (theta x2 - lam y2) w^3 (the chord times lam)."""
    X, Y, Z = t
    theta = fq2_sub(Y, fq2_mul(y2, Z))
    lam = fq2_sub(X, fq2_mul(x2, Z))
    D = fq2_sqr(lam)
    E = fq2_mul(D, lam)
    F = fq2_mul(Z, fq2_sqr(theta))
    G = fq2_mul(X, D)
    H = fq2_sub(fq2_add(E, F), fq2_dbl(G))
    X3 = fq2_mul(lam, H)
    Y3 = fq2_sub(fq2_mul(theta, fq2_sub(G, H)), fq2_mul(Y, E))
    Z3 = fq2_mul(Z, E)
    c2 = fq2_sub(fq2_mul(theta, x2), fq2_mul(lam, y2))
    return (X3, Y3, Z3), lam, fq2_neg(theta), c2


@njit(cache=True)
def _twist_frob(x, y):
    """pi(Q) on the twist."""
    return fq2_mul(fq2_conj(x), G1_2), fq2_mul(fq2_conj(y), G1_3)


@njit(cache=True)
def _twist_frob2_neg(x, y):
    """-pi^2(Q) on the twist."""
    return fq2_mul(x, G2_2), y


@njit(cache=True)
def _line(f, c0, c1, c2, xP, yP):
    """f * (c0 yP + c1 xP w + c2 w^3)."""
    return fq12_mul_by_line(f, fq2_mul_fq(c0, yP), fq2_mul_fq(c1, xP), c2)


@njit(cache=True)
def _store_line(lines, k, c0, c1, c2):
    for j in range(4):
        lines[k, 0, 0, j] = c0[0][j]
        lines[k, 0, 1, j] = c0[1][j]
        lines[k, 1, 0, j] = c1[0][j]
        lines[k, 1, 1, j] = c1[1][j]
        lines[k, 2, 0, j] = c2[0][j]
        lines[k, 2, 1, j] = c2[1][j]


@njit(cache=True)
def _load_line(lines, k):
    return fq2_load(lines[k], 0), fq2_load(lines[k], 1), fq2_load(lines[k], 2)


@njit(cache=True)
def _q_of(q_aff, j):
    return fq2_load(q_aff[j], 0), fq2_load(q_aff[j], 1)


@njit(cache=True)
def _p_of(p_aff, j):
    x = (p_aff[j, 0, 0], p_aff[j, 0, 1], p_aff[j, 0, 2], p_aff[j, 0, 3])
    y = (p_aff[j, 1, 0], p_aff[j, 1, 1], p_aff[j, 1, 2], p_aff[j, 1, 3])
    return x, y


@njit(cache=True)
def _ends_at_minus_frob3(t, x2, y2):
    """T == -pi^3(Q) for T homogeneous (Z != 0) and Q = (x2, y2): the end of a Miller chain of a point
    of G2, see `miller_loop`."""
    X, Y, Z = t
    ax = fq2_mul(fq2_conj(x2), G3_2)
    ay = fq2_neg(fq2_mul(fq2_conj(y2), G3_3))
    return (not fq2_is_zero(Z)) and fq2_eq(X, fq2_mul(ax, Z)) and fq2_eq(Y, fq2_mul(ay, Z))


@njit(cache=True)
def prepare_g2_lines(q_aff, out):
    """Fill out (N_LINES, 3, 2, 4) with the line coefficients of the Miller loop of the affine twist
    point q_aff (a (1, 2, 2, 4) array, not infinity), in the order `miller_loop` consumes them.
    Returns whether the point is in G2 (the membership test of `miller_loop`)."""
    x2, y2 = _q_of(q_aff, 0)
    ny2 = fq2_neg(y2)
    t = (x2, y2, FQ2_ONE)
    k = 0
    for i in range(1, ATE_NAF.shape[0]):
        t, c0, c1, c2 = _dbl_step(t)
        _store_line(out, k, c0, c1, c2)
        k += 1
        d = ATE_NAF[i]
        if d != 0:
            if d > 0:
                t, c0, c1, c2 = _add_step(t, x2, y2)
            else:
                t, c0, c1, c2 = _add_step(t, x2, ny2)
            _store_line(out, k, c0, c1, c2)
            k += 1
    q1x, q1y = _twist_frob(x2, y2)
    t, c0, c1, c2 = _add_step(t, q1x, q1y)
    _store_line(out, k, c0, c1, c2)
    k += 1
    q2x, q2y = _twist_frob2_neg(x2, y2)
    t, c0, c1, c2 = _add_step(t, q2x, q2y)
    _store_line(out, k, c0, c1, c2)
    return _ends_at_minus_frob3(t, x2, y2)


@njit(cache=True)
def _g1_is_inf(p_aff, j):
    return is_zero(load(p_aff[j], 0)) and is_zero(load(p_aff[j], 1))


@njit(cache=True)
def _g2_is_inf(q_aff, j):
    x, y = _q_of(q_aff, j)
    return fq2_is_zero(x) and fq2_is_zero(y)


@njit(cache=True)
def miller_loop(p_dyn, q_dyn, p_pre, lines_pre, q_in_g2):
    """prod_j f_j(P_j) over all pairs: (p_dyn[j], q_dyn[j]) with lines computed on the fly, and
    (p_pre[j], the G2 point whose `prepare_g2_lines` are lines_pre[j]). One shared Fq12 squaring per
    step for all pairs (the multi-Miller loop); pairs with a point at infinity contribute 1.

    p_dyn (n, 2, 4), q_dyn (n, 2, 2, 4), p_pre (m, 2, 4), lines_pre (m, N_LINES, 3, 2, 4).

    G2 membership of the on-the-fly points, almost free: q_in_g2 (n,) bool receives, for each q_dyn[j]
    (assumed on the twist), whether it lies in G2. The chain of T computes (6x + 2)Q + pi(Q) - pi^2(Q),
    which for Q in G2 is -pi^3(Q) (6x + 2 + q - q^2 + q^3 = 0 mod r). phi = [6x + 2] + psi - psi^2 + psi^3
    kills G2 and is injective on the rest of E'(Fq2) (cyclic of square-free order 2q - r; checked
    prime by prime in tests/bn254/test_pairing.py), so "T ends at -pi^3(Q)" is a subgroup test.
    Exceptional steps (T = +-Q, T at infinity: only possible for points of small order) leave Z = 0 for
    good, and Z = 0 at the end fails the test. Q at infinity is in G2; its T chain is skipped, and a
    pair with P at infinity still runs its T chain (without lines) for the test."""
    n = p_dyn.shape[0]
    m = p_pre.shape[0]
    run = np.empty(n, dtype=np.bool_)
    live = np.empty(n, dtype=np.bool_)
    t_arr = np.empty((max(n, 1), 3, 2, 4), dtype=np.uint64)
    for j in range(n):
        run[j] = not _g2_is_inf(q_dyn, j)
        live[j] = run[j] and not _g1_is_inf(p_dyn, j)
        q_in_g2[j] = not run[j]
        if run[j]:
            x2, y2 = _q_of(q_dyn, j)
            fq6_store(t_arr, j, (x2, y2, FQ2_ONE))
    live_pre = np.empty(m, dtype=np.bool_)
    for j in range(m):
        live_pre[j] = not _g1_is_inf(p_pre, j)
    f = FQ12_ONE
    k = 0
    for i in range(1, ATE_NAF.shape[0]):
        if i > 1:
            f = fq12_sqr(f)
        for j in range(n):
            if run[j]:
                t, c0, c1, c2 = _dbl_step(fq6_load(t_arr, j))
                fq6_store(t_arr, j, t)
                if live[j]:
                    xP, yP = _p_of(p_dyn, j)
                    f = _line(f, c0, c1, c2, xP, yP)
        for j in range(m):
            if live_pre[j]:
                xP, yP = _p_of(p_pre, j)
                c0, c1, c2 = _load_line(lines_pre[j], k)
                f = _line(f, c0, c1, c2, xP, yP)
        k += 1
        d = ATE_NAF[i]
        if d != 0:
            for j in range(n):
                if run[j]:
                    x2, y2 = _q_of(q_dyn, j)
                    if d < 0:
                        y2 = fq2_neg(y2)
                    t, c0, c1, c2 = _add_step(fq6_load(t_arr, j), x2, y2)
                    fq6_store(t_arr, j, t)
                    if live[j]:
                        xP, yP = _p_of(p_dyn, j)
                        f = _line(f, c0, c1, c2, xP, yP)
            for j in range(m):
                if live_pre[j]:
                    xP, yP = _p_of(p_pre, j)
                    c0, c1, c2 = _load_line(lines_pre[j], k)
                    f = _line(f, c0, c1, c2, xP, yP)
            k += 1
    for j in range(n):
        if run[j]:
            x2, y2 = _q_of(q_dyn, j)
            q1x, q1y = _twist_frob(x2, y2)
            t, a0, a1, a2 = _add_step(fq6_load(t_arr, j), q1x, q1y)
            q2x, q2y = _twist_frob2_neg(x2, y2)
            t, b0, b1, b2 = _add_step(t, q2x, q2y)
            q_in_g2[j] = _ends_at_minus_frob3(t, x2, y2)
            if live[j]:
                xP, yP = _p_of(p_dyn, j)
                f = _line(f, a0, a1, a2, xP, yP)
                f = _line(f, b0, b1, b2, xP, yP)
    for j in range(m):
        if live_pre[j]:
            xP, yP = _p_of(p_pre, j)
            c0, c1, c2 = _load_line(lines_pre[j], k)
            f = _line(f, c0, c1, c2, xP, yP)
            c0, c1, c2 = _load_line(lines_pre[j], k + 1)
            f = _line(f, c0, c1, c2, xP, yP)
    return f


# --- final exponentiation -------------------------------------------------------------------------


@njit(cache=True)
def final_exponentiation(f):
    """f^((q^12 - 1)/r) = (f^((q^6 - 1)(q^2 + 1)))^((q^4 - q^2 + 1)/r).

    Easy part: conj(f)/f, then times its own q^2 power; the result lies in the cyclotomic subgroup,
    where conj is the inverse and squarings are Granger-Scott's. Hard part: Scott et al.'s chain for
    f^(l0 + l1 q + l2 q^2 + q^3) from f^x, f^(x^2), f^(x^3) (the decomposition is asserted at import;
    the chain itself is checked against py_ecc in the tests)."""
    t = fq12_mul(fq12_conj(f), fq12_inv(f))
    f = fq12_mul(fq12_frob2(t), t)
    fx = fq12_cyclotomic_exp_x(f)
    fx2 = fq12_cyclotomic_exp_x(fx)
    fx3 = fq12_cyclotomic_exp_x(fx2)
    y0 = fq12_mul(fq12_mul(fq12_frob1(f), fq12_frob2(f)), fq12_frob3(f))
    y1 = fq12_conj(f)
    y2 = fq12_frob2(fx2)
    y3 = fq12_conj(fq12_frob1(fx))
    y4 = fq12_conj(fq12_mul(fx, fq12_frob1(fx2)))
    y5 = fq12_conj(fx2)
    y6 = fq12_conj(fq12_mul(fx3, fq12_frob1(fx3)))
    t0 = fq12_mul(fq12_mul(fq12_cyclotomic_sqr(y6), y4), y5)
    t1 = fq12_mul(fq12_mul(y3, y5), t0)
    t0 = fq12_mul(t0, y2)
    t1 = fq12_cyclotomic_sqr(fq12_mul(fq12_cyclotomic_sqr(t1), t0))
    t0 = fq12_mul(t1, y1)
    t1 = fq12_mul(t1, y0)
    return fq12_mul(fq12_cyclotomic_sqr(t0), t1)


@njit(cache=True)
def pairing_product_is_one(p_dyn, q_dyn, p_pre, lines_pre, f_extra, q_in_g2):
    """final_exponentiation(miller_loop(...) * f_extra) == 1: one final exponentiation for the whole
    product. f_extra is a Miller-loop value computed earlier (FQ12_ONE for none). q_in_g2 receives the
    G2 membership of each q_dyn point (see `miller_loop`); callers must look at it before trusting
    the answer, which means nothing for points outside G2."""
    f = fq12_mul(miller_loop(p_dyn, q_dyn, p_pre, lines_pre, q_in_g2), f_extra)
    return fq12_is_one(final_exponentiation(f))


# --- host API -------------------------------------------------------------------------------------

_EMPTY_G1 = np.zeros((0, 2, 4), dtype=np.uint64)
_EMPTY_G2 = np.zeros((0, 2, 2, 4), dtype=np.uint64)
_EMPTY_LINES = np.zeros((0, N_LINES, 3, 2, 4), dtype=np.uint64)


def _depth(v) -> int:
    d = 0
    while isinstance(v, tuple | list) and len(v):
        v = v[0]
        d += 1
    return d


def g1_affine(p) -> np.ndarray:
    """One G1 point as a (2, 4) affine Montgomery array, from: such an array; an affine (x, y) or
    Jacobian (X, Y, Z) kernel tuple; an (x, y) pair of ints; None (infinity, zeros)."""
    from .g1 import g1_to_affine

    if isinstance(p, np.ndarray):
        if p.shape != (2, 4) or p.dtype != np.uint64:
            raise ValueError(f"expected a (2, 4) uint64 G1 array, got {p.dtype} {p.shape}")
        return p
    if p is None:
        return np.zeros((2, 4), dtype=np.uint64)
    if _depth(p) == 1:
        return g1_array([p])[0]
    if len(p) == 3:
        p = g1_to_affine(as_kernel(tuple(p)))
    return np.array(as_kernel(tuple(p)), dtype=np.uint64).reshape(2, 4)


def g2_affine(q) -> np.ndarray:
    """One G2 point as a (2, 2, 4) affine Montgomery array, from the same kinds of input as `g1_affine`
    (ints as ((x0, x1), (y0, y1)))."""
    from .g2 import g2_to_affine

    if isinstance(q, np.ndarray):
        if q.shape != (2, 2, 4) or q.dtype != np.uint64:
            raise ValueError(f"expected a (2, 2, 4) uint64 G2 array, got {q.dtype} {q.shape}")
        return q
    if q is None:
        return np.zeros((2, 2, 4), dtype=np.uint64)
    if _depth(q) == 2:
        return g2_array([q])[0]
    if len(q) == 3:
        q = g2_to_affine(as_kernel(tuple(q)))
    return np.array(as_kernel(tuple(q)), dtype=np.uint64).reshape(2, 2, 4)


def _g1_stack(points) -> np.ndarray:
    if isinstance(points, np.ndarray):
        return check_array(points.reshape(-1, 2, 4) if points.ndim == 2 else points, (2, 4), "affine G1")
    arrs = [g1_affine(p) for p in points]
    return np.stack(arrs) if arrs else _EMPTY_G1


def _g2_stack(points) -> np.ndarray:
    if isinstance(points, np.ndarray):
        return check_array(points.reshape(-1, 2, 2, 4) if points.ndim == 3 else points, (2, 2, 4), "affine G2")
    arrs = [g2_affine(q) for q in points]
    return np.stack(arrs) if arrs else _EMPTY_G2


def prepare_g2(q) -> np.ndarray:
    """The (N_LINES, 3, 2, 4) line coefficients of a fixed G2 point (any form `g2_affine` takes), for
    `miller_loop`'s precomputed pairs. The point must not be infinity (its pairings are all 1) and must
    be on the twist (callers decode it with `bn254.g2`); one outside G2 raises PointError."""
    a = g2_affine(q)
    if not a.any():
        raise ValueError("expected a G2 point, got the point at infinity")
    out = np.empty((N_LINES, 3, 2, 4), dtype=np.uint64)
    if not prepare_g2_lines(a.reshape(1, 2, 2, 4), out):
        raise PointError("expected a point of the order-r subgroup G2, got one outside it")
    return out


def pairing(p, q) -> tuple:
    """e(P, Q) as an Fq12 kernel element (np.uint64 limbs; `fq12.fq12_ints`, `fq12.to_poly12` read it).
    P in G1, Q in G2 in any form `g1_affine`/`g2_affine` take; not validated."""
    f = miller_loop(_g1_stack([p]), _g2_stack([q]), _EMPTY_G1, _EMPTY_LINES, np.empty(1, dtype=np.bool_))
    return as_kernel(final_exponentiation(as_kernel(f)))


def multi_miller_loop(g1_points, g2_points) -> tuple:
    """prod_i f_{6x+2,Q_i}(P_i) with the Frobenius lines, before the final exponentiation."""
    p, q = _g1_stack(g1_points), _g2_stack(g2_points)
    if p.shape[0] != q.shape[0]:
        raise ValueError(f"expected as many G2 points as G1 points ({p.shape[0]}), got {q.shape[0]}")
    return as_kernel(miller_loop(p, q, _EMPTY_G1, _EMPTY_LINES, np.empty(q.shape[0], dtype=np.bool_)))


def multi_pairing_is_one(g1_points, g2_points, *, check: bool = True) -> bool:
    """prod_i e(P_i, Q_i) == 1 with one final exponentiation (the EIP-197 pairing check).

    Points: (n, 2, 4) / (n, 2, 2, 4) affine Montgomery arrays or sequences of anything `g1_affine` /
    `g2_affine` take; infinity allowed (its pairs contribute 1); an empty product is 1. With `check`
    (the default) every point is range- and curve-checked first, G2 points are subgroup-checked by the
    Miller loop itself (see `miller_loop`), and a bad point raises `bn254.errors.PointError` before
    the product is looked at. check=False skips all of it: only for points checked already."""
    p, q = _g1_stack(g1_points), _g2_stack(g2_points)
    if p.shape[0] != q.shape[0]:
        raise ValueError(f"expected as many G2 points as G1 points ({p.shape[0]}), got {q.shape[0]}")
    if check:
        g1_validate_array(p, allow_infinity=True)
        g2_validate_array(q, allow_infinity=True, subgroup=False)
    in_g2 = np.empty(q.shape[0], dtype=np.bool_)
    ok = bool(pairing_product_is_one(p, q, _EMPTY_G1, _EMPTY_LINES, FQ12_ONE, in_g2))
    if check and not in_g2.all():
        i = int(np.flatnonzero(~in_g2)[0])
        got = g2_array_to_ints(q[i : i + 1])[0]
        raise PointError(f"G2 point {i} of {q.shape[0]}: expected a point of the order-r subgroup G2, got {got}")
    return ok


# --- EVM encoding (EIP-197) -----------------------------------------------------------------------


def g2_to_evm(q: tuple[tuple[int, int], tuple[int, int]]) -> tuple[int, int, int, int]:
    """((x0, x1), (y0, y1)) -> the EVM word order (x1, x0, y1, y0): imaginary part first.

    The one place the G2 coordinate swap of EIP-197 and Solidity verifiers is written (with its
    inverse `g2_from_evm`); snarkjs JSON and .zkey files keep (c0, c1)."""
    (x0, x1), (y0, y1) = q
    return (x1, x0, y1, y0)


def g2_from_evm(words) -> tuple[tuple[int, int], tuple[int, int]]:
    """(x1, x0, y1, y0) EVM words -> ((x0, x1), (y0, y1))."""
    x1, x0, y1, y0 = (int(w) for w in words)
    return ((x0, x1), (y0, y1))


def eip197_pairing_check(data: bytes) -> bytes:
    """The BN254 pairing-check precompile (address 0x08): 32 bytes, 1 if prod e(P_i, Q_i) == 1 else 0.

    Input: k * 192 bytes, per pair x, y (G1) and x1, x0, y1, y0 (G2), 32-byte big-endian words, zeros
    for infinity. A bad length raises ValueError; a coordinate >= q, a point off its curve or a G2
    point outside the subgroup raises `bn254.errors.PointError` (the precompile fails)."""
    if len(data) % 192:
        raise ValueError(f"expected a multiple of 192 bytes, got {len(data)}")
    ps, qs = [], []
    for off in range(0, len(data), 192):
        w = [int.from_bytes(data[off + 32 * k : off + 32 * k + 32], "big") for k in range(6)]
        ps.append((w[0], w[1]))  # (0, 0) and all-zero G2 words are infinity, as in the arrays
        qs.append(g2_from_evm(w[2:]))
    ok = multi_pairing_is_one(g1_array(ps), g2_array(qs), check=True)
    return (1 if ok else 0).to_bytes(32, "big")


# --- snarkjs' GT convention -----------------------------------------------------------------------

SNARKJS_GT_EXPONENT = 2 * X_BN * (6 * X_BN**2 + 3 * X_BN + 1)
"""snarkjs (wasmcurves) ends its pairing with the final exponentiation of Fuentes-Castaneda, Knapp,
Rodriguez-Henriquez ("Faster hashing to G2", SAC 2011), which computes this fixed power of the
canonical reduced pairing; `vk_alphabeta_12` in its verification keys is e(alpha, beta) to this power."""
assert SNARKJS_GT_EXPONENT % R != 0


def snarkjs_gt(e) -> tuple:
    """e^(2x(6x^2 + 3x + 1)) = e^(12 x^3) e^(6 x^2) e^(2x) for e in GT (the cyclotomic subgroup): the
    value snarkjs prints for the pairing whose canonical value is e. Three exponentiations by x."""
    e = as_kernel(e)
    fx = as_kernel(fq12_cyclotomic_exp_x(e))
    fx2 = as_kernel(fq12_cyclotomic_exp_x(fx))
    fx3 = as_kernel(fq12_cyclotomic_exp_x(fx2))
    t = as_kernel(fq12_mul(as_kernel(fq12_cyclotomic_sqr(fx3)), fx2))  # x^3 * 2 + x^2
    t = as_kernel(fq12_mul(as_kernel(fq12_cyclotomic_sqr(t)), fx2))  # 4 x^3 + 3 x^2
    t = as_kernel(fq12_mul(t, fx))  # 4 x^3 + 3 x^2 + x
    t = as_kernel(fq12_cyclotomic_sqr(t))  # 8 x^3 + 6 x^2 + 2x
    t4 = as_kernel(fq12_cyclotomic_sqr(as_kernel(fq12_cyclotomic_sqr(fx3))))  # 4 x^3
    return as_kernel(fq12_mul(t, t4))
