"""Point encodings of snarkjs transcripts, hashing to G2, and the setup's closed-form scalars.

Three representations of an affine point meet in a ceremony (ffjavascript / wasmcurves
`build_curve_jacobian_a0.js`):

- LEM, stored in .ptau/.zkey sections: x then y, each little-endian in Montgomery form (Fq2 as
  c0 then c1). Infinity is all zero bytes. This is the `(n, 2, 4)` / `(n, 2, 2, 4)` uint64 layout
  of the curve kernels, so nothing here converts it.
- U (uncompressed, hashed): the standard-form coordinates byte-reversed, i.e. big-endian; an Fq2
  element reversed as a whole, so it reads c1 (big-endian) then c0. Infinity is all zeros.
- C (compressed, hashed into the response of a powers-of-tau contribution): U's x alone, with bit
  0x80 of the first byte set when y is "negative", and infinity as 0x40 followed by zeros.
  y is negative when its standard form exceeds (q - 1)/2; for Fq2 the sign is c1's unless c1 is 0.

`hash_to_g2` is snarkjs' `keypair.js` hashToG2: a ChaCha stream seeded by a BLAKE2b digest
samples x in Fq2 (raw 254-bit words taken as *Montgomery* representations, as ffjavascript's
`F1.fromRng` does), a sign bit, and retries until x^3 + b is a square; y is the root of that
sign; the point is multiplied by the cofactor of G2. The prover of a contribution and every
verifier derive the same point, which is what binds a proof of knowledge to its transcript.

`lagrange_scalars` gives L_j(tau) for the 2^p-element domains of snarkjs' roots of unity: the
values whose multiples of the generators fill sections 12-15 of a prepared .ptau (see
`prover.setup`).
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from bn254.constants import Q, R
from bn254.ec import as_kernel, jac_mul, jac_to_aff, scalar_limbs
from bn254.fields import (
    R_ONE,
    ZERO,
    fq_from_mont,
    fr_batch_inv,
    fr_mul,
    fr_sub,
    load,
    store,
)
from bn254.fq2 import fq2
from bn254.g2 import B2_INTS

from .setup_hash import ChaCha

__all__ = [
    "G1_U_BYTES",
    "G1_C_BYTES",
    "G2_U_BYTES",
    "G2_C_BYTES",
    "g1_to_u",
    "g1_to_c",
    "g2_to_u",
    "g2_to_c",
    "G2_COFACTOR",
    "fq2_sqrt",
    "hash_to_g2",
    "lagrange_scalars",
]

G1_U_BYTES = 64
G1_C_BYTES = 32
G2_U_BYTES = 128
G2_C_BYTES = 64

_HALF_Q = (Q - 1) // 2
_HALF_LIMBS = np.array([(_HALF_Q >> (64 * i)) & ((1 << 64) - 1) for i in range(4)], dtype=np.uint64)


# --- encodings (numba) ----------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _put_be(out, i, off, v):
    """Write the four-limb integer v big-endian into out[i, off:off+32]."""
    for limb in range(4):
        w = v[3 - limb]
        for b in range(8):
            out[i, off + 8 * limb + b] = np.uint8((w >> np.uint64(56 - 8 * b)) & np.uint64(0xFF))


@njit(cache=True, inline="always")
def _gt_half(v, half):
    """v > (q - 1)/2 for a standard-form four-limb integer."""
    for k in range(3, -1, -1):
        if v[k] != half[k]:
            return v[k] > half[k]
    return False


@njit(cache=True, inline="always")
def _is_zero4(v):
    return (v[0] | v[1] | v[2] | v[3]) == np.uint64(0)


@njit(cache=True, parallel=True)
def _g1_to_u(aff, out):
    for i in prange(aff.shape[0]):
        x = (aff[i, 0, 0], aff[i, 0, 1], aff[i, 0, 2], aff[i, 0, 3])
        y = (aff[i, 1, 0], aff[i, 1, 1], aff[i, 1, 2], aff[i, 1, 3])
        _put_be(out, i, 0, fq_from_mont(x))  # from_mont(0) = 0: infinity stays all zero
        _put_be(out, i, 32, fq_from_mont(y))


@njit(cache=True, parallel=True)
def _g1_to_c(aff, out, half):
    for i in prange(aff.shape[0]):
        x = (aff[i, 0, 0], aff[i, 0, 1], aff[i, 0, 2], aff[i, 0, 3])
        y = (aff[i, 1, 0], aff[i, 1, 1], aff[i, 1, 2], aff[i, 1, 3])
        if _is_zero4(x) and _is_zero4(y):
            for b in range(32):
                out[i, b] = np.uint8(0)
            out[i, 0] = np.uint8(0x40)
            continue
        _put_be(out, i, 0, fq_from_mont(x))
        if _gt_half(fq_from_mont(y), half):
            out[i, 0] |= np.uint8(0x80)


@njit(cache=True, parallel=True)
def _g2_to_u(aff, out):
    for i in prange(aff.shape[0]):
        for c in range(2):  # coordinate x, then y
            c0 = (aff[i, c, 0, 0], aff[i, c, 0, 1], aff[i, c, 0, 2], aff[i, c, 0, 3])
            c1 = (aff[i, c, 1, 0], aff[i, c, 1, 1], aff[i, c, 1, 2], aff[i, c, 1, 3])
            _put_be(out, i, 64 * c, fq_from_mont(c1))
            _put_be(out, i, 64 * c + 32, fq_from_mont(c0))


@njit(cache=True, parallel=True)
def _g2_to_c(aff, out, half):
    for i in prange(aff.shape[0]):
        x0 = (aff[i, 0, 0, 0], aff[i, 0, 0, 1], aff[i, 0, 0, 2], aff[i, 0, 0, 3])
        x1 = (aff[i, 0, 1, 0], aff[i, 0, 1, 1], aff[i, 0, 1, 2], aff[i, 0, 1, 3])
        y0 = (aff[i, 1, 0, 0], aff[i, 1, 0, 1], aff[i, 1, 0, 2], aff[i, 1, 0, 3])
        y1 = (aff[i, 1, 1, 0], aff[i, 1, 1, 1], aff[i, 1, 1, 2], aff[i, 1, 1, 3])
        if _is_zero4(x0) and _is_zero4(x1) and _is_zero4(y0) and _is_zero4(y1):
            for b in range(64):
                out[i, b] = np.uint8(0)
            out[i, 0] = np.uint8(0x40)
            continue
        _put_be(out, i, 0, fq_from_mont(x1))
        _put_be(out, i, 32, fq_from_mont(x0))
        s1 = fq_from_mont(y1)
        neg = _gt_half(s1, half) if not _is_zero4(s1) else _gt_half(fq_from_mont(y0), half)
        if neg:
            out[i, 0] |= np.uint8(0x80)


def _points(aff: np.ndarray, tail: tuple[int, ...], what: str) -> np.ndarray:
    a = np.asarray(aff)
    if a.dtype != np.uint64 or a.shape[1:] != tail:
        want = ", ".join(map(str, tail))
        raise ValueError(f"{what}: expected a uint64 array of shape (n, {want}), got {a.dtype} {a.shape}")
    return np.ascontiguousarray(a)


def g1_to_u(aff: np.ndarray) -> np.ndarray:
    """(n, 2, 4) affine Montgomery G1 points -> (n, 64) uint8 uncompressed encodings."""
    a = _points(aff, (2, 4), "G1 points")
    out = np.empty((a.shape[0], G1_U_BYTES), dtype=np.uint8)
    _g1_to_u(a, out)
    return out


def g1_to_c(aff: np.ndarray) -> np.ndarray:
    """(n, 2, 4) affine Montgomery G1 points -> (n, 32) uint8 compressed encodings."""
    a = _points(aff, (2, 4), "G1 points")
    out = np.empty((a.shape[0], G1_C_BYTES), dtype=np.uint8)
    _g1_to_c(a, out, _HALF_LIMBS)
    return out


def g2_to_u(aff: np.ndarray) -> np.ndarray:
    """(n, 2, 2, 4) affine Montgomery G2 points -> (n, 128) uint8 uncompressed encodings."""
    a = _points(aff, (2, 2, 4), "G2 points")
    out = np.empty((a.shape[0], G2_U_BYTES), dtype=np.uint8)
    _g2_to_u(a, out)
    return out


def g2_to_c(aff: np.ndarray) -> np.ndarray:
    """(n, 2, 2, 4) affine Montgomery G2 points -> (n, 64) uint8 compressed encodings."""
    a = _points(aff, (2, 2, 4), "G2 points")
    out = np.empty((a.shape[0], G2_C_BYTES), dtype=np.uint8)
    _g2_to_c(a, out, _HALF_LIMBS)
    return out


# --- hashing to G2 (snarkjs keypair.js) -------------------------------------------------------------


def _f2_mul(a: tuple[int, int], b: tuple[int, int]) -> tuple[int, int]:
    return ((a[0] * b[0] - a[1] * b[1]) % Q, (a[0] * b[1] + a[1] * b[0]) % Q)


G2_COFACTOR = 2 * Q - R
"""#E'(Fq2) / r, ffjavascript's `cofactorG2` (0x30644e72...c0f9fa8d)."""

assert G2_COFACTOR == 0x30644E72E131A029B85045B68181585E06CEECDA572A2489345F2299C0F9FA8D


def _sqrt_fq(a: int) -> int | None:
    s = pow(a, (Q + 1) // 4, Q)  # q = 3 mod 4
    return s if s * s % Q == a % Q else None


def fq2_sqrt(a: tuple[int, int]) -> tuple[int, int] | None:
    """A square root of a = a0 + a1 u in Fq2 (u^2 = -1), or None when a is not a square.

    a is a square iff its norm a0^2 + a1^2 is a square in Fq. With n = sqrt(norm), x0^2 = (a0 + n)/2
    (or (a0 - n)/2 when that is not a square in Fq) and x1 = a1 / (2 x0). Which of the two roots
    comes out does not matter to callers, who fix the sign themselves."""
    a0, a1 = a[0] % Q, a[1] % Q
    if a1 == 0:
        r0 = _sqrt_fq(a0)
        if r0 is not None:
            return (r0, 0)
        r1 = _sqrt_fq(-a0 % Q)  # sqrt(a0) = u * sqrt(-a0)
        return (0, r1) if r1 is not None else None
    n = _sqrt_fq((a0 * a0 + a1 * a1) % Q)
    if n is None:
        return None
    half = pow(2, -1, Q)
    d = (a0 + n) * half % Q
    x0 = _sqrt_fq(d)
    if x0 is None:
        x0 = _sqrt_fq((a0 - n) * half % Q)
        if x0 is None:
            return None
    x1 = a1 * pow(2 * x0, -1, Q) % Q
    root = (x0, x1)
    return root if _f2_mul(root, root) == (a0, a1) else None


def _fq_is_negative(a: int) -> bool:
    return a > _HALF_Q


def _fq2_is_negative(a: tuple[int, int]) -> bool:
    """wasmcurves' f2m_isNegative: the sign of c1, or of c0 when c1 is 0."""
    return _fq_is_negative(a[1]) if a[1] else _fq_is_negative(a[0])


_RINV_Q = pow(1 << 256, -1, Q)
_MASK254 = (1 << Q.bit_length()) - 1


def _fq_from_rng(rng: ChaCha) -> int:
    """ffjavascript F1Field.fromRng on the base field: 4 u64 words (low word first), masked to 254
    bits, retried while >= q; the raw words are a Montgomery representation, so the value is v/R."""
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= _MASK254
        if v < Q:
            return v * _RINV_Q % Q


def hash_to_g2(digest: bytes) -> tuple:
    """snarkjs hashToG2(digest): an affine G2 kernel point in the order-r subgroup."""
    rng = ChaCha.from_hash(digest)
    while True:
        x = (_fq_from_rng(rng), _fq_from_rng(rng))  # F2.fromRng: c0, then c1
        greatest = rng.next_bool()
        x3b = _f2_mul(_f2_mul(x, x), x)
        x3b = ((x3b[0] + B2_INTS[0]) % Q, (x3b[1] + B2_INTS[1]) % Q)
        y = fq2_sqrt(x3b)
        if y is not None:
            break
    if greatest ^ _fq2_is_negative(y):
        y = (-y[0] % Q, -y[1] % Q)
    jac = jac_mul((fq2(*x), fq2(*y), fq2(1, 0)), scalar_limbs(G2_COFACTOR))
    return as_kernel(jac_to_aff(as_kernel(jac)))


# --- Lagrange basis values ----------------------------------------------------------------------------


@njit(cache=True)
def _lagrange_core(tau, tau_n, w, inv_n, out, scratch):
    """out[j] = L_j(tau) = w^j (tau^n - 1) / (n (tau - w^j)) for the n = out.shape[0] roots w^j.

    Every argument is a Montgomery Fr element / array; tau must not be a root of unity of the domain
    (the caller checks). `scratch` receives tau - w^j before the batch inversion."""
    n = out.shape[0]
    wj = R_ONE
    for j in range(n):
        store(scratch, j, fr_sub(tau, wj))
        store(out, j, wj)
        wj = fr_mul(wj, w)
    inv = fr_batch_inv(scratch)
    c = fr_mul(fr_sub(tau_n, R_ONE), inv_n)
    for j in range(n):
        store(out, j, fr_mul(fr_mul(load(out, j), load(inv, j)), c))
        store(inv, j, ZERO)
        store(scratch, j, ZERO)


def lagrange_scalars(tau: int, log_n: int, drop_top_power: bool = False) -> np.ndarray:
    """(2^log_n, 4) Montgomery limbs of L_j(tau), j < 2^log_n, over snarkjs' domain <w_{log_n}>.

    With `drop_top_power`, the values snarkjs' preparephase2 computes for the last block of the
    tauG1 Lagrange section, whose input lacks tau^(n-1) (the ptau stops at tau^(n-2)): the inverse
    DFT of (1, tau, ..., tau^(n-2), 0), i.e. L_j(tau) - w^j tau^(n-1) / n. Callers must wipe the
    returned array when done: it is as secret as tau."""
    from bn254.fields import fr as to_fr

    from .ntt import root_of_unity

    n = 1 << log_n
    w = root_of_unity(log_n)
    if pow(tau, n, R) == 1:
        raise ValueError("tau is a root of unity of the domain; draw another tau")
    out = np.empty((n, 4), dtype=np.uint64)
    scratch = np.empty((n, 4), dtype=np.uint64)
    inv_n = pow(n, -1, R)
    _lagrange_core(to_fr(tau), to_fr(pow(tau, n, R)), to_fr(w), to_fr(inv_n), out, scratch)
    if drop_top_power:
        _drop_top(out, to_fr(pow(tau, n - 1, R) * inv_n % R), to_fr(w))
    return out


@njit(cache=True)
def _drop_top(out, c, w):
    """out[j] -= c * w^j."""
    t = c
    for j in range(out.shape[0]):
        store(out, j, fr_sub(load(out, j), t))
        t = fr_mul(t, w)
