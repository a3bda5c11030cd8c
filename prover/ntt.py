"""Radix-2 number-theoretic transforms over BN254's Fr, on the domains snarkjs uses.

r - 1 = 2^28 * t with t odd, so Fr holds the 2^k-th roots of unity for k <= 28 and evaluation
domains H_n = <w_n> of every size n = 2^k up to 2^28. The roots are the ones of ffjavascript's
`Fr.w[k]` (snarkjs' field library): 5 is the smallest quadratic non-residue of Fr, w_28 = 5^t has
order exactly 2^28, and w_k = w_28^(2^(28-k)). Using the same roots makes our evaluation domains
(and so the H points of a .zkey) line up with snarkjs' element for element.

Transforms (all in place on (n, 4) uint64 arrays of Montgomery-form elements, natural order in
and out unless a name says otherwise):

    ntt(x)                    coefficients -> evaluations at w_n^j          (forward DFT)
    intt(x)                   evaluations at w_n^j -> coefficients          (inverse DFT, with 1/n)
    coset_ntt(x, g)           coefficients -> evaluations at g * w_n^j
    coset_intt(x, g)          evaluations at g * w_n^j -> coefficients
    domain_to_coset(x, g)     evaluations at w_n^j -> evaluations at g * w_n^j  (fused, see below)

The butterflies are the textbook ones: decimation in time (Cooley-Tukey) from bit-reversed input
to natural output, and decimation in frequency (Gentleman-Sande) from natural input to
bit-reversed output (see e.g. Chu & George, "Inside the FFT Black Box", 2000, ch. 4-5).
`domain_to_coset` runs DIF with the inverse roots (natural -> bit-reversed coefficients), scales
coefficient i by g^i / n through a table stored in bit-reversed order, and runs DIT with the
forward roots (bit-reversed -> natural), so the QAP's three domain -> coset moves need no
bit-reversal pass at all.

Each kernel is written once and compiled twice: serially (tests, small sizes, callers that
already parallelise) and with numba's `prange` over both cores. A transform is two parallel
loops, not one per stage: the first DIT stages (last DIF stages) stay inside rows of 2^BLOCK_LOG
consecutive elements, which run one by one in cache; the later ones stay inside the columns of
elements equal modulo the row length, which run in groups of adjacent columns (`_dit_core`). So
a transform costs two fork/join barriers whatever its size, which matters when the two cores are
shared with other work. Twiddle tables (w_n^j, j < n/2) and coset tables are computed once per
size and cached.

Inputs must be reduced (every element below r); the kernels do not check, the producers do
(`prover.qap` checks witness and coefficients).
"""

from __future__ import annotations

import types
from functools import cache, lru_cache

import numpy as np
from numba import njit, prange

from bn254.constants import R
from bn254.field_ir import fr_mul_ir
from bn254.fields import R_ONE, RM, U0, U1, fr, fr_mul, fr_pow, load, store
from bn254.limbs import adc, sbb

__all__ = [
    "TWO_ADICITY",
    "MAX_LOG_N",
    "NONRESIDUE",
    "ROOT_OF_UNITY",
    "BLOCK_LOG",
    "PARALLEL_MIN_LOG",
    "root_of_unity",
    "log2_size",
    "twiddles",
    "coset_table",
    "ntt",
    "intt",
    "coset_ntt",
    "coset_intt",
    "domain_to_coset",
    "bit_reverse",
    "clear_caches",
    "compile_twins",
    "pick_kernel",
    "fr_add_nb",
    "fr_sub_nb",
]

TWO_ADICITY = 28
"""Largest k with 2^k | r - 1."""
MAX_LOG_N = TWO_ADICITY
NONRESIDUE = 5
"""ffjavascript's `Fr.nqr`: the smallest quadratic non-residue of Fr (its search starts at 2)."""
ROOT_OF_UNITY = pow(NONRESIDUE, (R - 1) >> TWO_ADICITY, R)
"""w_28 = 5^((r-1)/2^28), ffjavascript's `Fr.w[28]`: a primitive 2^28-th root of unity."""

# Executable facts: the field has the 2-adicity we claim, 5 is the first non-residue (so it is the
# nqr ffjavascript finds), and w_28 has order exactly 2^28 (w^(2^27) = -1, so w^(2^28) = 1 and no
# smaller power of two is its order).
assert (R - 1) % (1 << TWO_ADICITY) == 0 and ((R - 1) >> TWO_ADICITY) % 2 == 1, "2-adicity of r - 1 is not 28"
assert all(pow(a, (R - 1) // 2, R) == 1 for a in (2, 3, 4)), "2, 3 and 4 must be squares in Fr"
assert pow(NONRESIDUE, (R - 1) // 2, R) == R - 1, "5 must be a quadratic non-residue of Fr"
assert pow(ROOT_OF_UNITY, 1 << (TWO_ADICITY - 1), R) == R - 1, "w_28 does not have order 2^28"
assert ROOT_OF_UNITY == 19103219067921713944291392827692070036145651957329286315305642004821462161904

BLOCK_LOG = 10
"""Rows of 2^BLOCK_LOG elements (32 KiB): the stages inside a row run row by row, in cache."""
COL_LOG_MAX = 12
"""Columns longer than 2^COL_LOG_MAX elements make rows longer instead (n > 2^22)."""
PARALLEL_MIN_LOG = 11
"""Sizes from 2^PARALLEL_MIN_LOG on use the parallel kernels when the caller does not choose.

On an idle 2-core machine they halve the time; when other processes hold the cores, each fork/join
waits for the descheduled thread (a scheduler slice, milliseconds) and they can take twice the
serial time. A worker sharing its cores can set this above 28 to stay serial."""


def root_of_unity(log_n: int) -> int:
    """w_n for n = 2^log_n: ffjavascript's `Fr.w[log_n]`, a primitive n-th root of unity."""
    if not 0 <= log_n <= MAX_LOG_N:
        raise ValueError(f"expected a domain exponent in [0, {MAX_LOG_N}], got {log_n}")
    return pow(ROOT_OF_UNITY, 1 << (MAX_LOG_N - log_n), R)


def log2_size(n: int) -> int:
    """log2(n) for a domain size n = 2^k, 0 <= k <= 28; anything else is an error."""
    n = int(n)
    if n < 1 or n & (n - 1) or n > 1 << MAX_LOG_N:
        raise ValueError(f"expected a domain size 2^k with 0 <= k <= {MAX_LOG_N}, got {n}")
    return n.bit_length() - 1


# --- branch-free Fr addition and subtraction --------------------------------------------------------
# bn254.fields' fr_add/fr_sub choose the reduced result with a data-dependent branch; on the random
# values of a transform that branch mispredicts about half the time, and a butterfly (one
# multiplication, one addition, one subtraction) takes ~44 ns instead of ~36 ns. These select with
# masks instead (and so do not branch on witness-derived values either).


@njit(cache=True, inline="always")
def fr_add_nb(a, b):
    """a + b mod r without branches."""
    s0, c = adc(a[0], b[0], U0)
    s1, c = adc(a[1], b[1], c)
    s2, c = adc(a[2], b[2], c)
    s3, c = adc(a[3], b[3], c)
    d0, br = sbb(s0, RM[0], U0)
    d1, br = sbb(s1, RM[1], br)
    d2, br = sbb(s2, RM[2], br)
    d3, br = sbb(s3, RM[3], br)
    keep = U0 - (br & (c ^ U1))  # all ones when s < r (the subtraction borrowed and s did not carry)
    drop = ~keep
    return ((s0 & keep) | (d0 & drop), (s1 & keep) | (d1 & drop), (s2 & keep) | (d2 & drop), (s3 & keep) | (d3 & drop))


@njit(cache=True, inline="always")
def fr_sub_nb(a, b):
    """a - b mod r without branches: add r back under a mask when the subtraction borrowed."""
    d0, br = sbb(a[0], b[0], U0)
    d1, br = sbb(a[1], b[1], br)
    d2, br = sbb(a[2], b[2], br)
    d3, br = sbb(a[3], b[3], br)
    mask = U0 - br
    s0, c = adc(d0, RM[0] & mask, U0)
    s1, c = adc(d1, RM[1] & mask, c)
    s2, c = adc(d2, RM[2] & mask, c)
    s3, c = adc(d3, RM[3] & mask, c)
    return (s0, s1, s2, s3)


# --- kernels (each compiled serial and parallel from one function) ------------------------------


def compile_twins(core) -> tuple:
    """(serial, parallel) dispatchers of one kernel.

    numba's on-disk cache keys entries by file, qualified name and signature but not by the
    `parallel` flag, so each variant gets its own qualified name (and so its own cache file)."""
    out = []
    for suffix, parallel in (("_serial", False), ("_parallel", True)):
        f = types.FunctionType(core.__code__, core.__globals__, core.__name__ + suffix, core.__defaults__)
        f.__qualname__ = core.__qualname__ + suffix
        f.__doc__ = core.__doc__
        out.append(njit(cache=True, parallel=parallel)(f))
    return tuple(out)


@njit(cache=True)
def _reverse_bits(i, bits):
    r = 0
    for _ in range(bits):
        r = (r << 1) | (i & 1)
        i >>= 1
    return r


def _bit_reverse_core(x, log_n):
    """Swap rows i and rev(i) (log_n-bit reversal); each pair is swapped by its smaller index."""
    for i in prange(x.shape[0]):
        j = _reverse_bits(i, log_n)
        if i < j:
            for limb in range(4):
                t = x[i, limb]
                x[i, limb] = x[j, limb]
                x[j, limb] = t


@njit(cache=True, inline="always")
def _bf_dit(x, i0, i1, w):
    u = load(x, i0)
    v = fr_mul_ir(load(x, i1), w)
    store(x, i0, fr_add_nb(u, v))
    store(x, i1, fr_sub_nb(u, v))


@njit(cache=True, inline="always")
def _bf_add_sub(x, i0, i1):
    u = load(x, i0)
    v = load(x, i1)
    store(x, i0, fr_add_nb(u, v))
    store(x, i1, fr_sub_nb(u, v))


@njit(cache=True, inline="always")
def _bf_dif(x, i0, i1, w):
    u = load(x, i0)
    v = load(x, i1)
    store(x, i0, fr_add_nb(u, v))
    store(x, i1, fr_mul_ir(fr_sub_nb(u, v), w))


# Both transforms split n = 2^log_n into rows of 2^rows_log consecutive elements and columns of
# the elements equal mod 2^rows_log. DIT stages 1..rows_log pair elements inside a row; stages
# above pair i with i + m, m a multiple of the row length, so they keep each column to itself.
# So a transform is two parallel loops, over rows then over groups of COL_GROUP adjacent columns
# (whole cache lines), with no barrier per stage; DIF runs the same stages in the reverse order.
COL_GROUP = 8


@njit(cache=True, inline="always")
def _dit_row(x, tw, log_n, rows_log, row):
    """DIT stages 1..rows_log on one row."""
    base = row << rows_log
    half_row = (1 << rows_log) >> 1
    for k in range(half_row):  # stage 1: every twiddle is w^0 = 1
        _bf_add_sub(x, base + 2 * k, base + 2 * k + 1)
    for s in range(2, rows_log + 1):
        m = 1 << (s - 1)
        stride = log_n - s  # w_{2m}^j = w_n^(j n / 2m)
        for k in range(half_row):
            j = k & (m - 1)
            i0 = base + ((k >> (s - 1)) << s) + j
            _bf_dit(x, i0, i0 + m, load(tw, j << stride))


@njit(cache=True, inline="always")
def _dif_row(x, tw, log_n, rows_log, row):
    """DIF stages rows_log..1 on one row."""
    base = row << rows_log
    half_row = (1 << rows_log) >> 1
    for s in range(rows_log, 1, -1):
        m = 1 << (s - 1)
        stride = log_n - s
        for k in range(half_row):
            j = k & (m - 1)
            i0 = base + ((k >> (s - 1)) << s) + j
            _bf_dif(x, i0, i0 + m, load(tw, j << stride))
    for k in range(half_row):
        _bf_add_sub(x, base + 2 * k, base + 2 * k + 1)


@njit(cache=True, inline="always")
def _dit_columns(x, tw, log_n, rows_log, g):
    """DIT stages rows_log+1..log_n on the columns g*group .. (g+1)*group - 1."""
    n = x.shape[0]
    n_cols = 1 << rows_log
    group = min(COL_GROUP, n_cols)
    c0 = g * group
    for s in range(rows_log + 1, log_n + 1):
        m = 1 << (s - 1)
        stride = log_n - s
        for top in range(0, n, 2 * m):
            for jh in range(0, m, n_cols):
                for j in range(jh + c0, jh + c0 + group):
                    _bf_dit(x, top + j, top + j + m, load(tw, j << stride))


@njit(cache=True, inline="always")
def _dif_columns(x, tw, log_n, rows_log, g):
    """DIF stages log_n..rows_log+1 on the columns g*group .. (g+1)*group - 1."""
    n = x.shape[0]
    n_cols = 1 << rows_log
    group = min(COL_GROUP, n_cols)
    c0 = g * group
    for s in range(log_n, rows_log, -1):
        m = 1 << (s - 1)
        stride = log_n - s
        for top in range(0, n, 2 * m):
            for jh in range(0, m, n_cols):
                for j in range(jh + c0, jh + c0 + group):
                    _bf_dif(x, top + j, top + j + m, load(tw, j << stride))


def _dit_core(x, tw, log_n, rows_log):
    """Decimation in time: bit-reversed input -> natural-order DFT, tw[j] = w_n^j (j < n/2)."""
    n = x.shape[0]
    for row in prange(n >> rows_log):
        _dit_row(x, tw, log_n, rows_log, row)
    if rows_log < log_n:
        for g in prange((1 << rows_log) // min(COL_GROUP, 1 << rows_log)):
            _dit_columns(x, tw, log_n, rows_log, g)


def _coset_move_core(xs, tw_inv, tw, log_n, rows_log, table):
    """Evaluations on H_n -> on g H_n for each xs[p] of a (k, n, 4) stack, in three parallel loops.

    DIF with the inverse roots (natural -> bit-reversed coefficients, times n), the coset table
    (g^i / n in bit-reversed order), DIT with the forward roots (bit-reversed -> natural). The
    DIF's last stages and the DIT's first stages both stay inside rows, so each row runs them
    back to back, table product in between, while it sits in cache."""
    k = xs.shape[0]
    n = xs.shape[1]
    n_rows = n >> rows_log
    groups = (1 << rows_log) // min(COL_GROUP, 1 << rows_log)
    if rows_log < log_n:
        for t in prange(k * groups):
            _dif_columns(xs[t // groups], tw_inv, log_n, rows_log, t % groups)
    for t in prange(k * n_rows):
        x = xs[t // n_rows]
        row = t % n_rows
        _dif_row(x, tw_inv, log_n, rows_log, row)
        for i in range(row << rows_log, (row + 1) << rows_log):
            store(x, i, fr_mul_ir(load(x, i), load(table, i)))
        _dit_row(x, tw, log_n, rows_log, row)
    if rows_log < log_n:
        for t in prange(k * groups):
            _dit_columns(xs[t // groups], tw, log_n, rows_log, t % groups)


_POWERS_CHUNK = 1 << 12


def _scale_by_powers_core(x, first, ratio):
    """x[i] *= first * ratio^i. Chunks start from ratio^(chunk start), so they run in parallel."""
    n = x.shape[0]
    for c in prange((n + _POWERS_CHUNK - 1) // _POWERS_CHUNK):
        lo = c * _POWERS_CHUNK
        hi = min(n, lo + _POWERS_CHUNK)
        p = fr_mul(first, fr_pow(ratio, (np.uint64(lo), np.uint64(0), np.uint64(0), np.uint64(0))))
        for i in range(lo, hi):
            store(x, i, fr_mul_ir(load(x, i), p))
            p = fr_mul_ir(p, ratio)


_bit_reverse_k = compile_twins(_bit_reverse_core)
_dit_k = compile_twins(_dit_core)
_coset_move_k = compile_twins(_coset_move_core)
_scale_by_powers_k = compile_twins(_scale_by_powers_core)


# --- tables ----------------------------------------------------------------------------------------


def rows_log_for(log_n: int, block_log: int = BLOCK_LOG) -> int:
    """log2 of the row length the transforms of 2^log_n elements use (see `_dit_core`)."""
    if block_log < 1:
        raise ValueError(f"expected block_log >= 1, got {block_log}")
    return min(log_n, max(block_log, log_n - COL_LOG_MAX))


def pick_kernel(pair: tuple, parallel: bool | None, log_n: int):
    """The parallel twin when asked, or by default from 2^PARALLEL_MIN_LOG elements; else the serial one."""
    if parallel is None:
        parallel = log_n >= PARALLEL_MIN_LOG
    return pair[1] if parallel else pair[0]


def _powers(n: int, first: int, ratio: int) -> np.ndarray:
    """(n, 4) Montgomery array of first * ratio^i."""
    out = np.empty((n, 4), dtype=np.uint64)
    out[:] = np.array(R_ONE, dtype=np.uint64)
    pick_kernel(_scale_by_powers_k, None, max(n, 1).bit_length() - 1)(out, fr(first), fr(ratio))
    return out


def twiddles(log_n: int, inverse: bool = False) -> np.ndarray:
    """Read-only (n/2, 4) Montgomery table of w_n^j (or w_n^-j), j < n/2, computed once per size."""
    return _twiddles(int(log_n), bool(inverse))


@cache
def _twiddles(log_n: int, inverse: bool) -> np.ndarray:
    w = root_of_unity(log_n)
    if inverse:
        w = pow(w, -1, R)
    t = _powers((1 << log_n) >> 1, 1, w)
    t.setflags(write=False)
    return t


def coset_table(log_n: int, shift: int) -> np.ndarray:
    """Read-only (n, 4) table, in bit-reversed order, of shift^i / n: entry rev(i) scales coefficient i.

    It turns the bit-reversed output of an unscaled inverse DIF into the coefficients of the
    polynomial moved to the coset shift * H_n, ready for a forward DIT. Cached (16 entries)."""
    return _coset_table(int(log_n), _shift(shift))


@lru_cache(maxsize=16)
def _coset_table(log_n: int, shift: int) -> np.ndarray:
    n = 1 << log_n
    t = _powers(n, pow(n, -1, R), shift)
    pick_kernel(_bit_reverse_k, None, log_n)(t, log_n)
    t.setflags(write=False)
    return t


def clear_caches() -> None:
    """Drop the cached twiddle and coset tables (they hold n/2 + n elements per size used)."""
    _twiddles.cache_clear()
    _coset_table.cache_clear()


# --- transforms --------------------------------------------------------------------------------------


def _check(x: np.ndarray, whole: np.ndarray | None = None) -> int:
    """log2 of the size of an (n, 4) uint64 array that a transform may overwrite (or of a stack's rows)."""
    if not isinstance(x, np.ndarray) or x.dtype != np.uint64 or x.ndim != 2 or x.shape[1] != 4:
        got = f"{x.shape} {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
        raise ValueError(f"expected an (n, 4) uint64 array of Fr elements, got {got}")
    w = x if whole is None else whole
    if not w.flags.c_contiguous or not w.flags.writeable:
        raise ValueError("expected a C-contiguous, writeable array (transforms work in place)")
    return log2_size(x.shape[0])


def bit_reverse(x: np.ndarray, *, parallel: bool | None = None) -> np.ndarray:
    """Permute rows to bit-reversed order, in place; returns x."""
    log_n = _check(x)
    pick_kernel(_bit_reverse_k, parallel, log_n)(x, log_n)
    return x


def _shift(shift: int) -> int:
    g = int(shift) % R
    if g == 0:
        raise ValueError(f"a coset shift must be non-zero mod r, got {shift}")
    return g


# `parallel`: None picks the parallel kernels from 2^PARALLEL_MIN_LOG elements on; `block_log`: the
# size (log2) of the cache blocks in which the first DIT / last DIF stages run. Neither changes a
# result; tests run every combination against the same oracle.


def ntt(x: np.ndarray, *, parallel: bool | None = None, block_log: int = BLOCK_LOG) -> np.ndarray:
    """x[j] <- sum_i x[i] w_n^(ij): coefficients to evaluations on H_n, in place; returns x."""
    log_n = _check(x)
    pick_kernel(_bit_reverse_k, parallel, log_n)(x, log_n)
    pick_kernel(_dit_k, parallel, log_n)(x, twiddles(log_n), log_n, rows_log_for(log_n, block_log))
    return x


def intt(x: np.ndarray, *, parallel: bool | None = None, block_log: int = BLOCK_LOG) -> np.ndarray:
    """x[i] <- (1/n) sum_j x[j] w_n^(-ij): evaluations on H_n to coefficients, in place; returns x."""
    return coset_intt(x, 1, parallel=parallel, block_log=block_log)


def coset_ntt(x: np.ndarray, shift: int, *, parallel: bool | None = None, block_log: int = BLOCK_LOG) -> np.ndarray:
    """Coefficients to evaluations at shift * w_n^j, in place; returns x."""
    log_n = _check(x)
    g = _shift(shift)
    if g != 1:
        pick_kernel(_scale_by_powers_k, parallel, log_n)(x, fr(1), fr(g))
    return ntt(x, parallel=parallel, block_log=block_log)


def coset_intt(x: np.ndarray, shift: int, *, parallel: bool | None = None, block_log: int = BLOCK_LOG) -> np.ndarray:
    """Evaluations at shift * w_n^j to coefficients (x[i] / (n shift^i) after the inverse DFT), in place."""
    log_n = _check(x)
    g = _shift(shift)
    pick_kernel(_bit_reverse_k, parallel, log_n)(x, log_n)
    pick_kernel(_dit_k, parallel, log_n)(x, twiddles(log_n, True), log_n, rows_log_for(log_n, block_log))
    pick_kernel(_scale_by_powers_k, parallel, log_n)(x, fr(pow(x.shape[0], -1, R)), fr(pow(g, -1, R)))
    return x


def domain_to_coset(
    x: np.ndarray, shift: int, *, parallel: bool | None = None, block_log: int = BLOCK_LOG
) -> np.ndarray:
    """Evaluations on H_n to evaluations on shift * H_n (both natural order), in place; returns x.

    x is one (n, 4) array or a (k, n, 4) stack of k polynomials moved together (the QAP moves
    A, B and C at once: three parallel loops for all of them). Equal to
    `coset_ntt(intt(x), shift)`; computed as inverse DIF -> bit-reversed coset table -> forward
    DIT, with no bit-reversal pass; the table (shift^i / n) is cached per (n, shift)."""
    xs = x[None] if isinstance(x, np.ndarray) and x.ndim == 2 else x
    if not isinstance(xs, np.ndarray) or xs.ndim != 3 or xs.shape[0] == 0:
        raise ValueError(f"expected an (n, 4) array or a (k, n, 4) stack, got {getattr(x, 'shape', type(x))}")
    log_n = _check(xs[0], xs)
    g = _shift(shift)
    rows_log = rows_log_for(log_n, block_log)
    move = pick_kernel(_coset_move_k, parallel, log_n)
    move(xs, twiddles(log_n, True), twiddles(log_n), log_n, rows_log, coset_table(log_n, g))
    return x
