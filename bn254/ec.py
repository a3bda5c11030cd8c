"""Short-Weierstrass group law (a = 0) in Jacobian coordinates, written once for G1 and G2.

Both BN254 groups are curves y^2 = x^3 + b with a = 0: E(Fq) with b = 3 and the twist E'(Fq2) with
b = 3/(9 + u). The formulas below are generic in the coordinate field; a small set of field operations
(`f_mul`, `f_add`, ..., from `field_ir`) emits the Fq or Fq2 arithmetic inline, chosen by the
element's numba type at compile time, so `bn254.g1` / `bn254.g2` are thin bindings.

Representations (kernel values are tuples, arrays are uint64 limbs in Montgomery form):
- Jacobian point (X, Y, Z) meaning (X/Z^2, Y/Z^3); Z == 0 is the point at infinity, whatever X, Y are.
  The canonical infinity is (1, 1, 0), as py_ecc writes it.
- Affine point (x, y); (0, 0) is the point at infinity. It is not on either curve (b != 0), and it
  is how snarkjs stores infinity in .zkey/.ptau sections.
- Arrays: an element (Fq or Fq2) sits at arr[i, j] of an (n, k, 4) array (Fq) or an (n, k, 2, 4)
  array (Fq2); k = 2 for affine arrays, k = 3 for Jacobian ones.

Host code: kernels called from Python hand tuples back as plain ints; rebuild them with `as_kernel`
before passing them to a kernel again (an int tuple would be typed int64 and not match).
`scalar_limbs(k)` turns a Python int in [0, 2^256) into the limbs `jac_mul` takes.

Also here, because they are generic too: `batch_to_aff` (Montgomery's trick), `array_check`, the
affine pair addition `aff_pair_den`/`aff_pair_sum` for batched inversions (used by the MSM), and
the fixed-base batch multiplication of the trusted setup (`fixed_base_table`, `fixed_base_mul`).

Numba caches compiled kernels per source file and does not notice when a callee in another file
changes: after editing this module, delete the `__pycache__/*.nbi|*.nbc` files of its users (or run
with a fresh NUMBA_CACHE_DIR) before trusting a test run.

Formulas: Bernstein-Lange, Explicit-Formulas Database, "dbl-2009-l", "add-2007-bl" and "madd-2007-bl"
for a = 0 Jacobian coordinates (https://hyperelliptic.org/EFD/g1p/auto-shortw-jacobian-0.html); the
exceptional cases the EFD formulas leave out (P == Q, P == -Q, either at infinity) are handled here,
so every addition is complete.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, get_thread_id, njit, prange, types
from numba.extending import overload

from .field_ir import f_add, f_dbl, f_eq, f_is_zero, f_mul, f_neg, f_sqr, f_sub
from .fields import Q_ONE, ZERO, fq_inv
from .fq2 import FQ2_ONE, FQ2_ZERO, fq2_inv

U0 = np.uint64(0)
U1 = np.uint64(1)

# --- field dispatch -------------------------------------------------------------------------------
# The arithmetic (f_add, f_sub, f_dbl, f_neg, f_mul, f_sqr, f_is_zero, f_eq) comes from `field_ir`:
# intrinsics whose LLVM IR lands inline in the calling formula (an overloaded call per operation
# left a real call with the tuples in memory; G2 formulas paid a third more for it). The rarer
# operations below are stubs overloaded per field; calling a stub from Python is an error.

_FQ_T = types.UniTuple(types.uint64, 4)
_FQ2_T = types.UniTuple(_FQ_T, 2)


def _field_of(t) -> int:
    """1 for an Fq element type, 2 for Fq2, 0 otherwise."""
    if t == _FQ_T:
        return 1
    if t == _FQ2_T:
        return 2
    return 0


def _make_stub(name: str):
    def stub(*args):
        raise TypeError(f"{name} is a field dispatch stub; it only runs inside numba kernels")

    stub.__name__ = stub.__qualname__ = name
    return stub


f_inv = _make_stub("f_inv")
f_one = _make_stub("f_one")
f_zero = _make_stub("f_zero")
el_load = _make_stub("el_load")
el_store = _make_stub("el_store")
canonical_point = _make_stub("canonical_point")


def _unary(stub, op1, op2):
    @overload(stub)
    def _impl(a):
        k = _field_of(a)
        if k == 1:
            return lambda a: op1(a)
        if k == 2:
            return lambda a: op2(a)
        return None


_unary(f_inv, fq_inv, fq2_inv)


@overload(f_one)
def _ov_one(a):
    """One of the field `a` belongs to (a is only a type witness)."""
    k = _field_of(a)
    if k == 1:
        return lambda a: Q_ONE
    if k == 2:
        return lambda a: FQ2_ONE
    return None


@overload(f_zero)
def _ov_zero(a):
    k = _field_of(a)
    if k == 1:
        return lambda a: ZERO
    if k == 2:
        return lambda a: FQ2_ZERO
    return None


@overload(el_load)
def _ov_el_load(arr, i, j):
    """Coordinate j of point i: an Fq element of an (n, k, 4) array or an Fq2 one of (n, k, 2, 4)."""
    if not isinstance(arr, types.Array):
        return None
    if arr.ndim == 3:
        return lambda arr, i, j: (arr[i, j, 0], arr[i, j, 1], arr[i, j, 2], arr[i, j, 3])
    if arr.ndim == 4:
        return lambda arr, i, j: (
            (arr[i, j, 0, 0], arr[i, j, 0, 1], arr[i, j, 0, 2], arr[i, j, 0, 3]),
            (arr[i, j, 1, 0], arr[i, j, 1, 1], arr[i, j, 1, 2], arr[i, j, 1, 3]),
        )
    return None


@overload(el_store)
def _ov_el_store(arr, i, j, v):
    if not isinstance(arr, types.Array):
        return None
    if arr.ndim == 3:

        def _store1(arr, i, j, v):
            arr[i, j, 0] = v[0]
            arr[i, j, 1] = v[1]
            arr[i, j, 2] = v[2]
            arr[i, j, 3] = v[3]

        return _store1
    if arr.ndim == 4:

        def _store2(arr, i, j, v):
            c0, c1 = v
            arr[i, j, 0, 0] = c0[0]
            arr[i, j, 0, 1] = c0[1]
            arr[i, j, 0, 2] = c0[2]
            arr[i, j, 0, 3] = c0[3]
            arr[i, j, 1, 0] = c1[0]
            arr[i, j, 1, 1] = c1[1]
            arr[i, j, 1, 2] = c1[2]
            arr[i, j, 1, 3] = c1[3]

        return _store2
    return None


# --- points in arrays -----------------------------------------------------------------------------


@njit(cache=True)
def aff_load(arr, i):
    """Affine point i of an (n, 2, ...) array."""
    return (el_load(arr, i, 0), el_load(arr, i, 1))


@njit(cache=True)
def aff_store(arr, i, a):
    el_store(arr, i, 0, a[0])
    el_store(arr, i, 1, a[1])


@njit(cache=True)
def jac_load(arr, i):
    """Jacobian point i of an (n, 3, ...) array."""
    return (el_load(arr, i, 0), el_load(arr, i, 1), el_load(arr, i, 2))


@njit(cache=True)
def jac_store(arr, i, p):
    el_store(arr, i, 0, p[0])
    el_store(arr, i, 1, p[1])
    el_store(arr, i, 2, p[2])


# --- the group law --------------------------------------------------------------------------------


@njit(cache=True)
def jac_infinity(like):
    """(1, 1, 0) in the field of the element `like`."""
    one = f_one(like)
    return (one, one, f_zero(like))


@njit(cache=True)
def jac_is_inf(p):
    return f_is_zero(p[2])


@njit(cache=True)
def aff_is_inf(a):
    return f_is_zero(a[0]) and f_is_zero(a[1])


@njit(cache=True)
def aff_to_jac(a):
    if aff_is_inf(a):
        return jac_infinity(a[0])
    return (a[0], a[1], f_one(a[0]))


@njit(cache=True)
def aff_neg(a):
    return (a[0], f_neg(a[1]))


@njit(cache=True)
def jac_neg(p):
    return (p[0], f_neg(p[1]), p[2])


@njit(cache=True)
def jac_dbl(p):
    """2P, dbl-2009-l: 2M + 5S. Z3 = 2*Y1*Z1 is 0 exactly when P is at infinity (no 2-torsion)."""
    x1, y1, z1 = p
    a = f_sqr(x1)
    b = f_sqr(y1)
    c = f_sqr(b)
    d = f_dbl(f_sub(f_sub(f_sqr(f_add(x1, b)), a), c))
    e = f_add(f_dbl(a), a)
    f = f_sqr(e)
    x3 = f_sub(f, f_dbl(d))
    c8 = f_dbl(f_dbl(f_dbl(c)))
    y3 = f_sub(f_mul(e, f_sub(d, x3)), c8)
    z3 = f_dbl(f_mul(y1, z1))
    return (x3, y3, z3)


@njit(cache=True)
def jac_add(p, q):
    """P + Q, add-2007-bl: 11M + 5S, complete (infinity, P == Q, P == -Q)."""
    if jac_is_inf(p):
        return q
    if jac_is_inf(q):
        return p
    x1, y1, z1 = p
    x2, y2, z2 = q
    z1z1 = f_sqr(z1)
    z2z2 = f_sqr(z2)
    u1 = f_mul(x1, z2z2)
    u2 = f_mul(x2, z1z1)
    s1 = f_mul(f_mul(y1, z2), z2z2)
    s2 = f_mul(f_mul(y2, z1), z1z1)
    h = f_sub(u2, u1)
    r = f_dbl(f_sub(s2, s1))
    if f_is_zero(h):
        # same x: either the same point (double it) or opposite points (sum at infinity)
        if f_is_zero(r):
            return jac_dbl(p)
        return jac_infinity(x1)
    i = f_sqr(f_dbl(h))
    j = f_mul(h, i)
    v = f_mul(u1, i)
    x3 = f_sub(f_sub(f_sqr(r), j), f_dbl(v))
    y3 = f_sub(f_mul(r, f_sub(v, x3)), f_dbl(f_mul(s1, j)))
    z3 = f_mul(f_sub(f_sub(f_sqr(f_add(z1, z2)), z1z1), z2z2), h)
    return (x3, y3, z3)


@njit(cache=True)
def jac_madd(p, a):
    """P + A for an affine A, madd-2007-bl: 7M + 4S, complete (A = (0, 0) is infinity)."""
    if aff_is_inf(a):
        return p
    x2, y2 = a
    if jac_is_inf(p):
        return (x2, y2, f_one(x2))
    x1, y1, z1 = p
    z1z1 = f_sqr(z1)
    u2 = f_mul(x2, z1z1)
    s2 = f_mul(f_mul(y2, z1), z1z1)
    h = f_sub(u2, x1)
    r = f_dbl(f_sub(s2, y1))
    if f_is_zero(h):
        if f_is_zero(r):
            return jac_dbl(p)
        return jac_infinity(x1)
    hh = f_sqr(h)
    i = f_dbl(f_dbl(hh))
    j = f_mul(h, i)
    v = f_mul(x1, i)
    x3 = f_sub(f_sub(f_sqr(r), j), f_dbl(v))
    y3 = f_sub(f_mul(r, f_sub(v, x3)), f_dbl(f_mul(y1, j)))
    z3 = f_sub(f_sub(f_sqr(f_add(z1, h)), z1z1), hh)
    return (x3, y3, z3)


# Affine addition in two halves, for batches that share one inversion (Montgomery's trick):
# `aff_pair_den` gives the denominator of the slope, the caller inverts all of them at once and
# `aff_pair_sum` finishes with 1M + 1S + 1M. Complete: infinity (0, 0), doubling and P + (-P).


@njit(cache=True)
def aff_pair_den(a1, a2):
    """x2 - x1 for distinct x; 2*y1 to double; 1 when no slope is needed (infinity, P + (-P))."""
    one = f_one(a1[0])
    if aff_is_inf(a1) or aff_is_inf(a2):
        return one
    if not f_eq(a1[0], a2[0]):
        return f_sub(a2[0], a1[0])
    if f_eq(a1[1], a2[1]):
        return f_dbl(a1[1])
    return one


@njit(cache=True)
def aff_pair_sum(a1, a2, den_inv):
    """a1 + a2 (affine) given den_inv = 1/aff_pair_den(a1, a2)."""
    if aff_is_inf(a1):
        return a2
    if aff_is_inf(a2):
        return a1
    x1, y1 = a1
    x2, y2 = a2
    if not f_eq(x1, x2):
        lam = f_mul(f_sub(y2, y1), den_inv)
    elif f_eq(y1, y2):
        x1x1 = f_sqr(x1)
        lam = f_mul(f_add(f_dbl(x1x1), x1x1), den_inv)
    else:
        z = f_zero(x1)
        return (z, z)
    x3 = f_sub(f_sub(f_sqr(lam), x1), x2)
    y3 = f_sub(f_mul(lam, f_sub(x1, x3)), y1)
    return (x3, y3)


@njit(cache=True)
def jac_eq(p, q):
    """Equality of the points (not of the representations): X1 Z2^2 == X2 Z1^2, Y1 Z2^3 == Y2 Z1^3."""
    pi = jac_is_inf(p)
    qi = jac_is_inf(q)
    if pi or qi:
        return pi and qi
    z1z1 = f_sqr(p[2])
    z2z2 = f_sqr(q[2])
    if not f_eq(f_mul(p[0], z2z2), f_mul(q[0], z1z1)):
        return False
    return f_eq(f_mul(p[1], f_mul(z2z2, q[2])), f_mul(q[1], f_mul(z1z1, p[2])))


@njit(cache=True)
def jac_to_aff(p):
    """(X/Z^2, Y/Z^3), or (0, 0) for infinity. One field inversion."""
    if jac_is_inf(p):
        z = f_zero(p[0])
        return (z, z)
    zi = f_inv(p[2])
    zi2 = f_sqr(zi)
    return (f_mul(p[0], zi2), f_mul(p[1], f_mul(zi2, zi)))


@njit(cache=True)
def aff_on_curve(a, b):
    """y^2 == x^3 + b for an affine point; (0, 0) is not on the curve (callers decide about infinity)."""
    x, y = a
    return f_eq(f_sqr(y), f_add(f_mul(f_sqr(x), x), b))


@njit(cache=True)
def jac_on_curve(p, b):
    """Y^2 == X^3 + b Z^6; infinity counts as on the curve."""
    if jac_is_inf(p):
        return True
    x, y, z = p
    z2 = f_sqr(z)
    z6 = f_mul(f_sqr(z2), z2)
    return f_eq(f_sqr(y), f_add(f_mul(f_sqr(x), x), f_mul(b, z6)))


@njit(cache=True)
def jac_mul(p, k):
    """k*P for k given as four little-endian uint64 limbs in standard (not Montgomery) form.

    k is the integer as given, not reduced mod r (for points of order r the two agree). Left-to-right
    double-and-add after one normalisation to affine, so each addition is a mixed one. Not constant
    time: the running time depends on k's bit pattern.
    """
    a = jac_to_aff(p)
    acc = jac_infinity(p[0])
    if aff_is_inf(a):
        return acc
    for li in range(3, -1, -1):
        w = k[li]
        for bit in range(63, -1, -1):
            acc = jac_dbl(acc)
            if (w >> np.uint64(bit)) & U1:
                acc = jac_madd(acc, a)
    return acc


@njit(cache=True)
def _lt(a, m):
    """a < m for four-limb integers."""
    for k in range(3, -1, -1):
        if a[k] != m[k]:
            return a[k] < m[k]
    return False


@overload(canonical_point)
def _ov_canonical(a, qm):
    """Every coordinate limb value of the affine point `a` is below q (given as limbs `qm`)."""
    k = _field_of(a[0]) if isinstance(a, types.BaseTuple) and len(a) == 2 else 0
    if k == 1:
        return lambda a, qm: _lt(a[0], qm) and _lt(a[1], qm)
    if k == 2:
        return lambda a, qm: _lt(a[0][0], qm) and _lt(a[0][1], qm) and _lt(a[1][0], qm) and _lt(a[1][1], qm)
    return None


@njit(cache=True)
def jac_mul_small(p, g):
    """g * P for a small non-negative int g (left-to-right from its top bit: about 2 log2(g) operations)."""
    if g <= 0:
        return jac_infinity(p[0])
    top = 0
    while (g >> (top + 1)) > 0:
        top += 1
    acc = p
    for bit in range(top - 1, -1, -1):
        acc = jac_dbl(acc)
        if (g >> bit) & 1:
            acc = jac_add(acc, p)
    return acc


# --- arrays ---------------------------------------------------------------------------------------


@njit(cache=True)
def batch_to_aff(jac, out, start, stop, scratch):
    """out[i] = affine jac[i] for i in [start, stop), with one inversion (Montgomery's trick).

    `scratch` is a Jacobian-shaped array at least as long as jac whose coordinate 0 rows in
    [start, stop) are overwritten with prefix products. Points at infinity come out as (0, 0) and do
    not poison the others.
    """
    if stop <= start:
        return
    like = el_load(jac, start, 2)
    acc = f_one(like)
    for i in range(start, stop):
        el_store(scratch, i, 0, acc)
        z = el_load(jac, i, 2)
        if not f_is_zero(z):
            acc = f_mul(acc, z)
    inv = f_inv(acc)
    zero = f_zero(like)
    for i in range(stop - 1, start - 1, -1):
        z = el_load(jac, i, 2)
        if f_is_zero(z):
            el_store(out, i, 0, zero)
            el_store(out, i, 1, zero)
            continue
        zi = f_mul(el_load(scratch, i, 0), inv)  # 1/Z_i
        inv = f_mul(inv, z)
        zi2 = f_sqr(zi)
        el_store(out, i, 0, f_mul(el_load(jac, i, 0), zi2))
        el_store(out, i, 1, f_mul(el_load(jac, i, 1), f_mul(zi2, zi)))


@njit(cache=True)
def array_check(arr, b, qm, allow_infinity):
    """Index of the first affine point of `arr` that is not canonical (a limb value >= q), not on the
    curve y^2 = x^3 + b, or at infinity when that is not allowed; -1 when all pass. `qm` is q's limbs."""
    n = arr.shape[0]
    for i in range(n):
        a = aff_load(arr, i)
        if not canonical_point(a, qm):
            return i
        if aff_is_inf(a):
            if allow_infinity:
                continue
            return i
        if not aff_on_curve(a, b):
            return i
    return -1


@njit(cache=True, parallel=True)
def batch_to_aff_parallel(jac, out, scratch, chunk):
    """batch_to_aff over the whole array in chunks of `chunk` points, the chunks spread over threads."""
    n = jac.shape[0]
    nchunks = (n + chunk - 1) // chunk
    for c in prange(nchunks):
        batch_to_aff(jac, out, c * chunk, min(n, (c + 1) * chunk), scratch)


# --- fixed-base batch multiplication --------------------------------------------------------------
# For the trusted setup: many scalars times one base. With a window of w bits and nwin = ceil(bits/w)
# windows the table holds T[j, d] = d * 2^(w j) * B for d < 2^w (affine, T[j, 0] = infinity), and
# k * B = sum_j T[j, k_j] for the base-2^w digits k_j of k: nwin mixed additions per scalar, no
# doublings. Building the table costs nwin * 2^w additions and one batch inversion.


@njit(cache=True, parallel=True)
def fixed_base_table(base, w, nwin, table_jac):
    """table_jac[(j << w) + d] = d * 2^(w j) * base (Jacobian) for a Jacobian base point."""
    size = 1 << w
    steps = np.empty((nwin, 3) + table_jac.shape[2:], dtype=np.uint64)
    p = base
    for j in range(nwin):
        jac_store(steps, j, p)
        for _ in range(w):
            p = jac_dbl(p)
    for j in prange(nwin):
        step = jac_load(steps, j)
        acc = jac_infinity(step[0])
        for d in range(size):
            jac_store(table_jac, (j << w) + d, acc)
            acc = jac_add(acc, step)


@njit(cache=True)
def _window(scalars, i, off, w):
    """Bits [off, off + w) of the 256-bit integer in row i of an (n, 4) uint64 array (w <= 32)."""
    limb = off >> 6
    sh = np.uint64(off & 63)
    v = scalars[i, limb] >> sh
    if (off & 63) + w > 64 and limb < 3:
        v |= scalars[i, limb + 1] << (np.uint64(64) - sh)
    return np.int64(v & ((U1 << np.uint64(w)) - U1))


@njit(cache=True, parallel=True)
def fixed_base_mul_kernel(table_aff, w, nwin, scalars, out, chunk, acc_bufs, scratch_bufs):
    """out[i] = affine scalars[i] * B, scalars as (n, 4) standard-form limbs, using the affine table
    of `fixed_base_table`; chunks of `chunk` points go to threads, each normalised with one inversion.

    acc_bufs and scratch_bufs are (threads, chunk, 3, ...) Jacobian-shaped buffers, one row per
    thread, reused chunk after chunk: allocating them per chunk maps and unmaps memory all the
    time, and the page faults and TLB shootdowns stall the other thread too."""
    n = scalars.shape[0]
    nchunks = (n + chunk - 1) // chunk
    for c in prange(nchunks):
        k = get_thread_id()
        acc_arr = acc_bufs[k]
        like = el_load(table_aff, 0, 0)
        lo = c * chunk
        hi = min(n, lo + chunk)
        for i in range(lo, hi):
            acc = jac_infinity(like)
            for j in range(nwin):
                d = _window(scalars, i, j * w, w)
                if d != 0:
                    acc = jac_madd(acc, aff_load(table_aff, (j << w) + d))
            jac_store(acc_arr, i - lo, acc)
        batch_to_aff(acc_arr, out[lo:hi], 0, hi - lo, scratch_bufs[k])


def fixed_base_mul(table_aff, w: int, nwin: int, scalars: np.ndarray, out: np.ndarray, chunk: int) -> None:
    """Host driver of `fixed_base_mul_kernel`: allocates the per-thread buffers and runs it."""
    shape = (get_num_threads(), chunk, 3, *out.shape[2:])
    acc_bufs = np.empty(shape, dtype=np.uint64)
    scratch_bufs = np.empty(shape, dtype=np.uint64)
    fixed_base_mul_kernel(table_aff, w, nwin, scalars, out, chunk, acc_bufs, scratch_bufs)


# --- host helpers ---------------------------------------------------------------------------------


def as_kernel(value):
    """Nested tuples of integers as nested tuples of np.uint64, the form kernels take.

    Kernels hand tuples back to Python as plain ints; passing those back in would type them as
    int64 (or a mix), so host code rebuilds them with this before calling a kernel again."""
    if isinstance(value, tuple):
        return tuple(as_kernel(v) for v in value)
    return np.uint64(value)


def scalar_limbs(k: int) -> tuple:
    """A Python int in [0, 2^256) as the four standard-form uint64 limbs `jac_mul` takes."""
    if not isinstance(k, int) or isinstance(k, bool):
        raise TypeError(f"expected an int scalar, got {type(k).__name__}")
    if not 0 <= k < 1 << 256:
        raise ValueError(f"expected a scalar in [0, 2^256), got {k}")
    return tuple(np.uint64((k >> (64 * i)) & 0xFFFFFFFFFFFFFFFF) for i in range(4))


def fixed_base_window(n: int, bits: int) -> int:
    """Window width minimising n * ceil(bits/w) mixed additions plus ceil(bits/w) * 2^w table
    additions (a table addition, full and then normalised, weighs about two mixed ones)."""
    best_w, best = 1, None
    for w in range(1, 17):
        nwin = -(-max(bits, 1) // w)
        cost = n * nwin + 2 * nwin * (1 << w)
        if best is None or cost < best:
            best_w, best = w, cost
    return best_w


def max_bits(scalars: np.ndarray) -> int:
    """Bit length of the largest 256-bit integer in an (n, 4) uint64 array (0 when empty or all zero)."""
    if scalars.shape[0] == 0:
        return 0
    acc = np.bitwise_or.reduce(scalars, axis=0)
    for k in range(3, -1, -1):
        if acc[k]:
            return 64 * k + int(acc[k]).bit_length()
    return 0


def check_array(arr: np.ndarray, tail: tuple[int, ...], what: str) -> np.ndarray:
    """arr as a C-contiguous uint64 array of shape (n, *tail), or ValueError saying what came."""
    if not isinstance(arr, np.ndarray) or arr.dtype != np.uint64 or arr.shape[1:] != tail or arr.ndim != len(tail) + 1:
        got = f"{arr.dtype} {arr.shape}" if isinstance(arr, np.ndarray) else type(arr).__name__
        raise ValueError(f"expected a {what} array of shape (n, {', '.join(map(str, tail))}) uint64, got {got}")
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)
