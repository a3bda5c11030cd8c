"""Sparse linear combinations of curve points: out[s] = sum_k scalar_k * base[b_k] over the terms of s.

Phase 2 of the setup builds every query of a .zkey this way (snarkjs `zkey_new.js`
composeAndWritePoints): the A, B1, B2, IC and C points of a wire are combinations, with the R1CS
coefficients, of the Lagrange points of the constraints the wire appears in. Outputs have few terms
(one to a few dozen), so Pippenger's buckets do not pay; what does:

- coefficients 1 and r - 1 (half the terms of a circom circuit) are one mixed addition (subtraction);
- every other scalar k is split with an endomorphism into two halves of about 127 bits,
  k = k1 + k2 lambda (mod r), so the doubling chain is half as long (Gallant, Lambert, Vanstone,
  "Faster point multiplication on elliptic curves with efficient endomorphisms", CRYPTO 2001):
    G1: phi(x, y) = (beta x, y) = lambda P, beta a cube root of unity in Fq; k1, k2 from Babai
        rounding against a short basis of {(a, b): a + b lambda = 0 mod r} (signed halves);
    G2: psi(x, y) = (conj(x) xi^((q-1)/3), conj(y) xi^((q-1)/2)) = (q mod r) P (Galbraith, Lin,
        Scott, "Endomorphisms for faster elliptic curve cryptography on a large class of curves",
        EUROCRYPT 2009); q mod r has 127 bits, so k1 = k // (q mod r), k2 = k % (q mod r);
  both pairs (beta, lambda) and the eigenvalue of psi are checked at import;
- each half is recoded in width-5 NAF (odd digits in [-15, 15], one non-zero digit per six bits on
  average) over the table P, 3P, ..., 15P of its base (the endomorphism's table is the image of the
  first, one multiplication per entry), normalised to affine for all terms of a chunk with one
  inversion;
- the terms of one output share their doublings (Straus' interleaving): one chain per output.

Outputs are processed in chunks of consecutive outputs, chunks in parallel over numba's threads;
each chunk normalises its results with one inversion. The kernels serve G1 ((n, 2, 4) affine
arrays) and G2 ((n, 2, 2, 4)) through `bn254.ec`'s generic group law.

Not constant time: running time depends on the scalars. The setup's scalars are public (R1CS
coefficients) except the inverse of delta in a contribution, which runs on the contributor's own
machine (see `prover.setup` on side channels).
"""

from __future__ import annotations

from collections.abc import Callable
from math import isqrt

import numpy as np
from numba import njit, prange, types
from numba.extending import overload

from bn254.constants import G1_GEN, G2_GEN, XI, Q, R
from bn254.ec import (
    aff_load,
    aff_neg,
    aff_store,
    aff_to_jac,
    batch_to_aff,
    el_load,
    jac_add,
    jac_dbl,
    jac_infinity,
    jac_madd,
    jac_store,
)
from bn254.fields import fq, fq_mul, fq_neg
from bn254.fq2 import fq2, fq2_mul

from .setup_points import _f2_mul

__all__ = [
    "compose",
    "scale_all",
    "glv_split",
    "gls_split",
    "check_endomorphisms",
    "WNAF_WIDTH",
    "G1_BETA",
    "G1_LAMBDA",
    "G2_LAMBDA",
]

WNAF_WIDTH = 5
_TABLE = 1 << (WNAF_WIDTH - 2)  # odd multiples 1, 3, ..., 2^(w-1) - 1
_MAX_DIGITS = 136  # halves are below 2^130

KIND_ZERO = 0
KIND_ONE = 1
KIND_MINUS_ONE = 2
KIND_FULL = 3

U0 = np.uint64(0)
U1 = np.uint64(1)

# --- endomorphisms and scalar splitting (host, Python ints) -----------------------------------------

G1_BETA = 2203960485148121921418603742825762020974279258880205651966
"""A primitive cube root of unity in Fq: phi(x, y) = (beta x, y) maps G1 to itself."""
G1_LAMBDA = 4407920970296243842393367215006156084916469457145843978461
"""The cube root of unity mod r with phi(P) = lambda P for this beta."""
G2_LAMBDA = Q % R
"""psi(P) = (q mod r) P on G2."""


def _f2pow(a: tuple[int, int], e: int) -> tuple[int, int]:
    out = (1, 0)
    while e:
        if e & 1:
            out = _f2_mul(out, a)
        a = _f2_mul(a, a)
        e >>= 1
    return out


G2_PSI_X = _f2pow(XI, (Q - 1) // 3)
G2_PSI_Y = _f2pow(XI, (Q - 1) // 2)


def _short_basis(n: int, lam: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Two short vectors of the lattice {(a, b) : a + b lam = 0 mod n} (GLV, section 4: the extended
    Euclidean algorithm on (n, lam) stopped around sqrt(n))."""
    rs = [(n, 0), (lam, 1)]
    r0, r1, t0, t1 = n, lam, 0, 1
    while r1:
        qq = r0 // r1
        r0, r1 = r1, r0 - qq * r1
        t0, t1 = t1, t0 - qq * t1
        rs.append((r1, t1))
    m = max(i for i, (r, _) in enumerate(rs) if r >= isqrt(n))
    v1 = (rs[m + 1][0], -rs[m + 1][1])
    v2 = min(((rs[m][0], -rs[m][1]), (rs[m + 2][0], -rs[m + 2][1])), key=lambda v: v[0] ** 2 + v[1] ** 2)
    return v1, v2


(_A1, _B1), (_A2, _B2) = _short_basis(R, G1_LAMBDA)
_DET = _A1 * _B2 - _A2 * _B1


def glv_split(k: int) -> tuple[int, int]:
    """(k1, k2), |k1|, |k2| < 2^128, with k1 + k2 lambda = k (mod r) (Babai rounding)."""
    k %= R
    c1 = (2 * _B2 * k + _DET) // (2 * _DET)
    c2 = (-2 * _B1 * k + _DET) // (2 * _DET)
    return k - c1 * _A1 - c2 * _A2, -c1 * _B1 - c2 * _B2


def gls_split(k: int) -> tuple[int, int]:
    """(k1, k2) with k = k1 + k2 (q mod r) (mod r), both in [0, 2^127]."""
    k %= R
    return k % G2_LAMBDA, k // G2_LAMBDA


# Executable facts (the point checks need the curve kernels: see check_endomorphisms below).
assert pow(G1_BETA, 3, Q) == 1 and G1_BETA != 1
assert pow(G1_LAMBDA, 3, R) == 1 and G1_LAMBDA != 1
assert abs(_DET) == R and (_A1 + _B1 * G1_LAMBDA) % R == 0 and (_A2 + _B2 * G1_LAMBDA) % R == 0
assert max(abs(v).bit_length() for v in (_A1, _B1, _A2, _B2)) <= 128
assert G2_LAMBDA.bit_length() == 127 and (R // G2_LAMBDA).bit_length() <= 127


def check_endomorphisms() -> None:
    """phi(G1) == lambda G1 and psi(G2) == (q mod r) G2 on the generators (a test calls it; at import
    it would cost the compilation of two scalar-multiplication kernels)."""
    from bn254.g1 import G1_GENERATOR, g1_mul_int, g1_to_ints
    from bn254.g2 import G2_GENERATOR, g2_mul_int, g2_to_ints

    x, y = G1_GEN
    assert g1_to_ints(g1_mul_int(G1_GENERATOR, G1_LAMBDA)) == (G1_BETA * x % Q, y), "phi(G1) != lambda G1"
    (x0, x1), (y0, y1) = G2_GEN
    psi = (_f2_mul((x0, -x1 % Q), G2_PSI_X), _f2_mul((y0, -y1 % Q), G2_PSI_Y))
    assert g2_to_ints(g2_mul_int(G2_GENERATOR, G2_LAMBDA)) == psi, "psi(G2) != (q mod r) G2"


# --- the endomorphism in kernels -------------------------------------------------------------------

_FQ_T = types.UniTuple(types.uint64, 4)
_FQ2_T = types.UniTuple(_FQ_T, 2)


def endo(a, c):
    """phi / psi of an affine point a with constants c (stub; only inside kernels)."""
    raise TypeError("endo is a kernel stub")


@overload(endo, inline="always")
def _ov_endo(a, c):
    if a[0] == _FQ_T:

        def _phi(a, c):
            return (fq_mul(a[0], c[0]), a[1])

        return _phi
    if a[0] == _FQ2_T:

        def _psi(a, c):
            x, y = a
            xc = (x[0], fq_neg(x[1]))
            yc = (y[0], fq_neg(y[1]))
            return (fq2_mul(xc, c[0]), fq2_mul(yc, c[1]))

        return _psi
    return None


# The constants travel as one-point affine arrays (parallel kernels take no nested-tuple arguments).
_G1_ENDO = np.array([[fq(G1_BETA), fq(G1_BETA)]], dtype=np.uint64)
_G2_ENDO = np.array([[fq2(*G2_PSI_X), fq2(*G2_PSI_Y)]], dtype=np.uint64)


# --- kernels ----------------------------------------------------------------------------------------


@njit(cache=True)
def _wnaf(mags, i, digits, row, negate):
    """Width-5 NAF of the integer mags[i] (four limbs, below 2^255) into digits[row], least
    significant first, negated if asked; returns the number of digits."""
    k0, k1, k2, k3 = mags[i, 0], mags[i, 1], mags[i, 2], mags[i, 3]
    n = 0
    mask = np.uint64((1 << WNAF_WIDTH) - 1)
    half = np.uint64(1 << (WNAF_WIDTH - 1))
    full = np.uint64(1 << WNAF_WIDTH)
    while (k0 | k1 | k2 | k3) != U0:
        d = 0
        if k0 & U1:
            m = k0 & mask
            if m >= half:
                d = np.int64(m) - np.int64(full)  # k += 2^w - m, carrying through the limbs
                s = k0 + (full - m)
                if s < k0:
                    k1 += U1
                    if k1 == U0:
                        k2 += U1
                        if k2 == U0:
                            k3 += U1
                k0 = s
            else:
                d = np.int64(m)
                k0 -= m
        digits[row, n] = -d if negate else d
        n += 1
        k0 = (k0 >> U1) | (k1 << np.uint64(63))
        k1 = (k1 >> U1) | (k2 << np.uint64(63))
        k2 = (k2 >> U1) | (k3 << np.uint64(63))
        k3 = k3 >> U1
    return n


@njit(cache=True)
def _compose_chunk(bases, starts, base_idx, kinds, full_idx, mags, negs, econst_arr, lo, hi, out):
    """Outputs lo..hi-1 of `compose` into `out` (affine)."""
    like = el_load(bases, 0, 0)
    econst = aff_load(econst_arr, 0)
    nfull = 0
    for t in range(starts[lo], starts[hi]):
        if kinds[t] == KIND_FULL:
            nfull += 1
    cap = max(nfull, 1)
    tab_jac = np.empty((cap * _TABLE, 3) + bases.shape[2:], dtype=np.uint64)
    tab = np.empty((cap * 2 * _TABLE, 2) + bases.shape[2:], dtype=np.uint64)
    aff = np.empty((cap * _TABLE, 2) + bases.shape[2:], dtype=np.uint64)
    digits = np.zeros((cap * 2, _MAX_DIGITS), dtype=np.int8)
    ndig = np.zeros(cap * 2, dtype=np.int64)
    f = 0
    for t in range(starts[lo], starts[hi]):
        if kinds[t] != KIND_FULL:
            continue
        p = aff_to_jac(aff_load(bases, base_idx[t]))
        p2 = jac_dbl(p)
        acc = p
        for j in range(_TABLE):
            jac_store(tab_jac, f * _TABLE + j, acc)
            acc = jac_add(acc, p2)
        u = full_idx[t]
        ndig[2 * f] = _wnaf(mags, 2 * u, digits, 2 * f, negs[2 * u])
        ndig[2 * f + 1] = _wnaf(mags, 2 * u + 1, digits, 2 * f + 1, negs[2 * u + 1])
        f += 1
    if nfull:
        batch_to_aff(tab_jac, aff, 0, nfull * _TABLE, np.empty_like(tab_jac))
        for g in range(nfull):
            for j in range(_TABLE):
                a = aff_load(aff, g * _TABLE + j)
                aff_store(tab, (2 * g) * _TABLE + j, a)
                aff_store(tab, (2 * g + 1) * _TABLE + j, endo(a, econst))
    res = np.empty((hi - lo, 3) + bases.shape[2:], dtype=np.uint64)
    f = 0
    for s in range(lo, hi):
        t0 = starts[s]
        t1 = starts[s + 1]
        f0 = f
        top = 0
        for t in range(t0, t1):
            if kinds[t] == KIND_FULL:
                top = max(top, ndig[2 * f], ndig[2 * f + 1])
                f += 1
        f1 = f
        acc = jac_infinity(like)
        for bit in range(top - 1, -1, -1):
            acc = jac_dbl(acc)
            for g in range(2 * f0, 2 * f1):
                d = digits[g, bit]
                if d > 0:
                    acc = jac_madd(acc, aff_load(tab, g * _TABLE + (d - 1) // 2))
                elif d < 0:
                    acc = jac_madd(acc, aff_neg(aff_load(tab, g * _TABLE + (-d - 1) // 2)))
        for t in range(t0, t1):
            k = kinds[t]
            if k == KIND_ONE:
                acc = jac_madd(acc, aff_load(bases, base_idx[t]))
            elif k == KIND_MINUS_ONE:
                acc = jac_madd(acc, aff_neg(aff_load(bases, base_idx[t])))
        jac_store(res, s - lo, acc)
    batch_to_aff(res, out[lo:hi], 0, hi - lo, np.empty_like(res))
    digits[:] = 0  # the digits may be a secret scalar's (a contribution's 1/delta)


@njit(cache=True, parallel=True)
def _compose(bases, starts, base_idx, kinds, full_idx, mags, negs, econst, chunk_bounds, out):
    for c in prange(chunk_bounds.shape[0] - 1):
        _compose_chunk(bases, starts, base_idx, kinds, full_idx, mags, negs, econst,
                       chunk_bounds[c], chunk_bounds[c + 1], out)


# --- host side ----------------------------------------------------------------------------------------

_RM1 = np.array([((R - 1) >> (64 * i)) & ((1 << 64) - 1) for i in range(4)], dtype=np.uint64)
_M64 = (1 << 64) - 1


def _limbs(v: int) -> list[int]:
    return [(v >> (64 * i)) & _M64 for i in range(4)]


def _classify(scalars: np.ndarray) -> np.ndarray:
    zero = ~scalars.any(axis=1)
    one = (scalars[:, 0] == 1) & ~scalars[:, 1:].any(axis=1)
    minus_one = (scalars == _RM1).all(axis=1)
    kinds = np.full(scalars.shape[0], KIND_FULL, dtype=np.int8)
    kinds[zero] = KIND_ZERO
    kinds[one] = KIND_ONE
    kinds[minus_one] = KIND_MINUS_ONE
    return kinds


def _split(scalars: np.ndarray, g2: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Endomorphism halves of every distinct scalar: (inverse index, mags (2u, 4), negs (2u,))."""
    uniq, inverse = np.unique(scalars, axis=0, return_inverse=True)
    u = uniq.shape[0]
    mags = np.zeros((2 * u, 4), dtype=np.uint64)
    negs = np.zeros(2 * u, dtype=np.bool_)
    split = gls_split if g2 else glv_split
    raw = np.ascontiguousarray(uniq, dtype="<u8").tobytes()
    for i in range(u):
        k = int.from_bytes(raw[32 * i : 32 * i + 32], "little")
        for h, v in enumerate(split(k)):
            negs[2 * i + h] = v < 0
            mags[2 * i + h] = _limbs(abs(v))
    return inverse.reshape(-1).astype(np.int64), mags, negs


def _chunk_bounds(starts: np.ndarray, kinds: np.ndarray, n_out: int, work: int) -> np.ndarray:
    """Cut outputs into chunks of about `work` weighted terms (full terms weigh 40, others 1, and
    every output 20 for its doublings)."""
    weight = np.where(kinds == KIND_FULL, 40, 1).astype(np.int64)
    cum = np.concatenate([[0], np.cumsum(weight)])
    per_out = cum[starts] + 20 * np.arange(n_out + 1)
    targets = np.arange(work, int(per_out[-1]) + work, work)
    cuts = np.searchsorted(per_out, targets, side="left")
    return np.unique(np.concatenate([[0], np.clip(cuts, 0, n_out), [n_out]])).astype(np.int64)


def compose(
    bases: np.ndarray,
    out_idx: np.ndarray,
    base_idx: np.ndarray,
    scalars: np.ndarray,
    n_out: int,
    *,
    work_per_chunk: int = 100_000,
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Affine points out[s] = sum over terms k with out_idx[k] == s of scalars[k] * bases[base_idx[k]].

    `bases` is an affine (m, 2, 4) G1 or (m, 2, 2, 4) G2 array of points of the prime-order groups
    (infinity as zeros); `scalars` an (k, 4) uint64 array of standard-form integers below 2^256 (R1CS
    coefficients; used mod r). Outputs without terms (or whose terms cancel) are the point at
    infinity, stored as zeros. `progress(done, total)` is called with the number of outputs
    finished, about 20 times."""
    bases = np.ascontiguousarray(bases, dtype=np.uint64)
    if bases.ndim not in (3, 4) or bases.shape[1] != 2 or bases.shape[-1] != 4 or bases.shape[2] not in (2, 4):
        raise ValueError(f"expected affine bases of shape (m, 2, 4) or (m, 2, 2, 4), got {bases.shape}")
    g2 = bases.ndim == 4
    out_idx = np.asarray(out_idx, dtype=np.int64)
    base_idx = np.ascontiguousarray(base_idx, dtype=np.int64)
    scalars = np.ascontiguousarray(scalars, dtype=np.uint64)
    k = out_idx.shape[0]
    if out_idx.shape != (k,) or base_idx.shape != (k,) or scalars.shape != (k, 4):
        raise ValueError(
            f"terms disagree: {out_idx.shape} outputs, {base_idx.shape} base indices, scalars of shape {scalars.shape}"
        )
    if k and (out_idx.min() < 0 or out_idx.max() >= n_out):
        raise ValueError(f"an output index is outside [0, {n_out})")
    if k and (base_idx.min() < 0 or base_idx.max() >= bases.shape[0]):
        raise ValueError(f"a base index is outside [0, {bases.shape[0]})")
    out = np.zeros((n_out,) + bases.shape[1:], dtype=np.uint64)
    if n_out == 0 or k == 0:
        return out
    order = np.argsort(out_idx, kind="stable")
    base_idx = base_idx[order]
    scalars = scalars[order]
    starts = np.zeros(n_out + 1, dtype=np.int64)
    np.cumsum(np.bincount(out_idx, minlength=n_out), out=starts[1:])
    kinds = _classify(scalars)
    full = np.flatnonzero(kinds == KIND_FULL)
    full_idx = np.full(k, -1, dtype=np.int64)
    mags = np.zeros((2, 4), dtype=np.uint64)
    negs = np.zeros(2, dtype=np.bool_)
    if full.size:
        inverse, mags, negs = _split(scalars[full], g2)
        full_idx[full] = inverse
    econst = _G2_ENDO if g2 else _G1_ENDO
    bounds = _chunk_bounds(starts, kinds, n_out, work_per_chunk)
    n_chunks = bounds.shape[0] - 1
    step = max(1, -(-n_chunks // 20)) if progress is not None else n_chunks
    if progress is not None:
        progress(0, n_out)
    try:
        for c in range(0, n_chunks, step):
            _compose(bases, starts, base_idx, kinds, full_idx, mags, negs, econst, bounds[c : c + step + 1], out)
            if progress is not None:
                progress(int(bounds[min(c + step, n_chunks)]), n_out)
    finally:
        mags[:] = 0
        scalars[:] = 0  # our sorted copy
    return out


def scale_all(points: np.ndarray, scalar: int, *, work_per_chunk: int = 50_000) -> np.ndarray:
    """scalar * P for every affine point P of `points` (G1 or G2 array of prime-order points)."""
    n = points.shape[0]
    if not 0 <= scalar < 1 << 256:
        raise ValueError(f"expected a scalar in [0, 2^256), got {scalar}")
    scalars = np.empty((n, 4), dtype=np.uint64)
    scalars[:] = _limbs(scalar)
    try:
        return compose(points, np.arange(n), np.arange(n), scalars, n, work_per_chunk=work_per_chunk)
    finally:
        scalars[:] = 0

