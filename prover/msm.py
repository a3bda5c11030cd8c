"""Multi-scalar multiplication sum_i s_i * P_i over G1 and G2: Pippenger's bucket method.

Inputs are what the .zkey holds and the witness gives: affine points as an (n, 2, 4) uint64 array
(G1) or (n, 2, 2, 4) (G2), Montgomery limbs, infinity stored as zeros; scalars as an (n, 4) uint64
array of standard-form limbs (integers in [0, 2^256), used as they are, not reduced mod r).

The method (Pippenger 1976, in the form pairing libraries use, e.g. gnark-crypto's MultiExp):
1. Triage. Points at infinity and zero scalars are dropped. Scalars equal to 1 (most wires of a
   transfer circuit are bits) are summed directly with mixed additions. The m others go on; on G2
   (by default; `glv` chooses) they are first split by the GLV endomorphism into 2m points with
   128-bit scalars (`prover.glv`, which says why G1 does not split by default).
2. Signed digits. Each scalar s is written in base 2^c with digits d_j in [-2^(c-1), 2^(c-1)):
   with H = sum_j 2^(c-1) 2^(c j), the base-2^c digits t_j of t = s + H give d_j = t_j - 2^(c-1)
   (no carries to propagate, so each window computes its digits on its own). One bucket serves
   d and -d (adding -P = (x, -y)), so a window needs 2^(c-1) buckets instead of 2^c - 1.
3. Buckets. In window j, bucket b collects every P_i with |d_ij| = b + 1. Two ways to fill them:
   - affine (default): sort the window's points by bucket, then add each bucket's list pairwise in
     rounds, every round sharing one inversion among all its additions (Montgomery's trick): 6
     multiplications per addition; see `_buckets_affine`;
   - Jacobian: one mixed Jacobian + affine addition per point, 11 multiplications; the simple twin.
   The window sum sum_b (b + 1) B_b then comes from two running sums from the top bucket down.
4. Windows are combined by Horner's rule: c doublings and one addition per window.

Parallelism: the windows and chunks of the scalars equal to 1 are independent tasks handed to
threads by one prange (dynamically, one task at a time); every task has its own buckets, and every
thread its own scratch arrays, allocated once per call. The task body is one function;
`parallel=False` runs it from a plain loop (tests compare the two).

Cost model for the window c, in units of one mixed Jacobian addition (measured on G1; G2 has
about the same ratios): with N(c) windows, m points and 2^(c-1) buckets,
    cost(c) = N(c) * (f * m + (1 + 1.4) * 2^(c-1) + 0.75 * c)
where f is the fill cost per point (1 for Jacobian buckets, 0.6 for affine ones: 6 of 11
multiplications plus sorting), the second term the running sums (a mixed and a full addition per
bucket) and the last Horner's doublings. Small c means many windows, large c many buckets; the best
c grows like log2(m) - 4 (m = 2^15 gives c = 11). The affine fill only pays when buckets hold
several points and its per-round inversions are shared widely, so the default uses it from
AFFINE_MIN_POINTS = 256 general scalars on.
"""

from __future__ import annotations

import numpy as np
from numba import get_num_threads, get_thread_id, njit, parallel_chunksize, prange

from bn254.ec import (
    aff_is_inf,
    aff_load,
    aff_neg,
    aff_pair_den,
    aff_pair_sum,
    aff_store,
    as_kernel,
    check_array,
    el_load,
    el_store,
    f_inv,
    f_mul,
    f_one,
    jac_add,
    jac_dbl,
    jac_infinity,
    jac_is_inf,
    jac_load,
    jac_madd,
    jac_mul_small,
    jac_store,
    max_bits,
)
from bn254.g1 import G1_INF, g1_to_ints
from bn254.g2 import G2_INF, g2_to_ints
from bn254.limbs import adc

from .glv import GLV_MIN_POINTS, split_msm
from .ntt import compile_twins

U0 = np.uint64(0)
U1 = np.uint64(1)

MIN_WINDOW = 2  # c = 1 cannot hold signed digits in [-1, 0]
MAX_WINDOW = 16  # the model picks 16 from about 2^19 points on; 2^15 G2 buckets are 6 MB per thread

# relative costs (one mixed Jacobian addition = 1), measured with bench/test_bench_curve.py
_COST_FILL_AFFINE = 0.6
_COST_ADD = 1.4
_COST_DBL = 0.75

SKIP, ONE, GENERAL = 0, 1, 2

# --- triage ---------------------------------------------------------------------------------------


@njit(cache=True)
def _triage(points, scalars, kinds):
    """kinds[i] = SKIP for a zero scalar or a point at infinity, ONE for the scalar 1, else GENERAL."""
    for i in range(points.shape[0]):
        s1 = scalars[i, 1] | scalars[i, 2] | scalars[i, 3]
        s0 = scalars[i, 0]
        if (s1 == U0 and s0 == U0) or aff_is_inf(aff_load(points, i)):
            kinds[i] = SKIP
        elif s1 == U0 and s0 == U1:
            kinds[i] = ONE
        else:
            kinds[i] = GENERAL


# --- signed digits --------------------------------------------------------------------------------


@njit(cache=True)
def _limb5(t0, t1, t2, t3, t4, k):
    if k == 0:
        return t0
    if k == 1:
        return t1
    if k == 2:
        return t2
    if k == 3:
        return t3
    if k == 4:
        return t4
    return U0


@njit(cache=True)
def _window_digits(scalars, idx, w, c, h, digits):
    """digits[j] = signed digit w (base 2^c) of scalars[idx[j]]: window w of t = s + H, minus 2^(c-1)."""
    off = w * c
    k = off >> 6
    sh = off & 63
    mask = (U1 << np.uint64(c)) - U1
    half = np.int64(1) << (c - 1)
    for j in range(idx.shape[0]):
        i = idx[j]
        t0, cy = adc(scalars[i, 0], h[0], U0)
        t1, cy = adc(scalars[i, 1], h[1], cy)
        t2, cy = adc(scalars[i, 2], h[2], cy)
        t3, cy = adc(scalars[i, 3], h[3], cy)
        t4 = h[4] + cy
        v = _limb5(t0, t1, t2, t3, t4, k) >> np.uint64(sh)
        if sh + c > 64:
            v |= _limb5(t0, t1, t2, t3, t4, k + 1) << np.uint64(64 - sh)
        digits[j] = np.int64(v & mask) - half


def _all_digits_core(scalars, idx, c, nwin, h, digits):
    """digits[w, j] = signed digit w of scalars[idx[j]] for every window w < nwin at once: what
    `_window_digits` gives window by window, with t = s + H computed once per scalar and each
    scalar's limbs read once (per window, the carries and the scattered reads cost ~5% of an MSM)."""
    mask = (U1 << np.uint64(c)) - U1
    half = np.int64(1) << (c - 1)
    for j in prange(idx.shape[0]):
        i = idx[j]
        t0, cy = adc(scalars[i, 0], h[0], U0)
        t1, cy = adc(scalars[i, 1], h[1], cy)
        t2, cy = adc(scalars[i, 2], h[2], cy)
        t3, cy = adc(scalars[i, 3], h[3], cy)
        t4 = h[4] + cy
        for w in range(nwin):
            off = w * c
            k = off >> 6
            sh = off & 63
            v = _limb5(t0, t1, t2, t3, t4, k) >> np.uint64(sh)
            if sh + c > 64:
                v |= _limb5(t0, t1, t2, t3, t4, k + 1) << np.uint64(64 - sh)
            digits[w, j] = np.int64(v & mask) - half


_all_digits_serial, _all_digits_parallel = compile_twins(_all_digits_core)
_all_digits = _all_digits_serial  # the name the tests use


# --- buckets --------------------------------------------------------------------------------------


@njit(cache=True)
def _buckets_jacobian(points, idx, digits, c):
    """sum_j digits[j] * points[idx[j]]: Jacobian buckets filled by mixed additions, then running sums."""
    nb = 1 << (c - 1)
    buckets = np.zeros((nb, 3) + points.shape[2:], dtype=np.uint64)  # Z = 0: all at infinity
    top = -1
    for j in range(idx.shape[0]):
        d = digits[j]
        if d == 0:
            continue
        a = aff_load(points, idx[j])
        if d < 0:
            b = -d - 1
            a = aff_neg(a)
        else:
            b = d - 1
        jac_store(buckets, b, jac_madd(jac_load(buckets, b), a))
        if b > top:
            top = b
    # sum_b (b + 1) B_b: running = B_top + ... + B_b, total += running, from the top bucket down;
    # over a run of g empty buckets running stays put, so total += g * running at once
    running = jac_infinity(el_load(points, 0, 0))
    total = running
    gap = 0
    for b in range(top, -1, -1):
        bucket = jac_load(buckets, b)
        if jac_is_inf(bucket):
            gap += 1
            continue
        if gap:
            total = jac_add(total, jac_mul_small(running, gap))
            gap = 0
        running = jac_add(running, bucket)
        total = jac_add(total, running)
    if gap:
        total = jac_add(total, jac_mul_small(running, gap))
    return total


@njit(cache=True)
def _buckets_affine(points, idx, digits, c, work, pairs):
    """sum_j digits[j] * points[idx[j]] as `_buckets_jacobian` computes it, buckets filled in affine.

    The points of the window are sorted by bucket (counting sort), then every bucket's list is
    summed pairwise in rounds: each round adds all pairs of all buckets with one shared inversion
    (Montgomery's trick), halving every list, until each bucket holds one point. An affine addition
    then costs 6 multiplications (3 for its share of the batch inversion, 3 for the slope and the
    result) instead of 11 for a mixed Jacobian one. No collisions can occur, since a pair is
    always two distinct entries of one list.

    `work` (at least m rows, point-shaped) and `pairs` (at least m // 2 + 1 rows) are scratch
    arrays owned by the calling thread and reused from task to task: fresh multi-megabyte arrays
    per window would be mapped and unmapped each time, and the page faults and TLB shootdowns of
    two threads doing that stall both.
    """
    nb = 1 << (c - 1)
    m = idx.shape[0]
    counts = np.zeros(nb, dtype=np.int64)
    top = -1  # the highest bucket in use
    for j in range(m):
        d = digits[j]
        if d != 0:
            b = abs(d) - 1
            counts[b] += 1
            if b > top:
                top = b
    start = np.empty(nb, dtype=np.int64)
    total = 0
    for b in range(top + 1):
        start[b] = total
        total += counts[b]
    fill = start.copy()
    for j in range(m):
        d = digits[j]
        if d == 0:
            continue
        a = aff_load(points, idx[j])
        if d < 0:
            b = -d - 1
            a = aff_neg(a)
        else:
            b = d - 1
        aff_store(work, fill[b], a)
        fill[b] += 1
    length = counts  # entries left in each bucket's list
    active = np.empty(nb, dtype=np.int64)
    na = 0
    for b in range(top + 1):
        if length[b] > 1:
            active[na] = b
            na += 1
    # pairs row k: prefix product before pair k (column 0), then its denominator, then the inverse (column 1)
    like = el_load(points, 0, 0)
    while na > 0:
        acc = f_one(like)
        k = 0
        for t in range(na):
            b = active[t]
            s0 = start[b]
            for p in range(length[b] // 2):
                den = aff_pair_den(aff_load(work, s0 + 2 * p), aff_load(work, s0 + 2 * p + 1))
                el_store(pairs, k, 0, acc)
                el_store(pairs, k, 1, den)
                acc = f_mul(acc, den)
                k += 1
        inv = f_inv(acc)
        for kk in range(k - 1, -1, -1):
            den = el_load(pairs, kk, 1)
            el_store(pairs, kk, 1, f_mul(el_load(pairs, kk, 0), inv))
            inv = f_mul(inv, den)
        # forward, in place: pair p of a list lands at entry p, never ahead of an unread entry
        k = 0
        na_next = 0
        for t in range(na):
            b = active[t]
            s0 = start[b]
            n_b = length[b]
            for p in range(n_b // 2):
                a1 = aff_load(work, s0 + 2 * p)
                a2 = aff_load(work, s0 + 2 * p + 1)
                aff_store(work, s0 + p, aff_pair_sum(a1, a2, el_load(pairs, k, 1)))
                k += 1
            if n_b & 1:
                aff_store(work, s0 + n_b // 2, aff_load(work, s0 + n_b - 1))
            n_b = (n_b + 1) // 2
            length[b] = n_b
            if n_b > 1:
                active[na_next] = b
                na_next += 1
        na = na_next
    # the running sums of `_buckets_jacobian`, with affine buckets (a list may have summed to infinity,
    # which counts as empty)
    running = jac_infinity(like)
    total = running
    gap = 0
    for b in range(top, -1, -1):
        if length[b] == 0 or aff_is_inf(aff_load(work, start[b])):
            gap += 1
            continue
        if gap:
            total = jac_add(total, jac_mul_small(running, gap))
            gap = 0
        running = jac_madd(running, aff_load(work, start[b]))
        total = jac_add(total, running)
    if gap:
        total = jac_add(total, jac_mul_small(running, gap))
    return total


# --- tasks ----------------------------------------------------------------------------------------


@njit(cache=True)
def _sum_range(points, idx, lo, hi):
    """sum of points[idx[lo:hi]] (mixed additions)."""
    acc = jac_infinity(el_load(points, 0, 0))
    for j in range(lo, hi):
        acc = jac_madd(acc, aff_load(points, idx[j]))
    return acc


@njit(cache=True)
def _task(points, scalars, general, ones, c, h, nwin, affine, chunk, t, out, digits, work, pairs):
    """Task t: window t of the general scalars when t < nwin, else chunk t - nwin of the ones.
    digits is the (nwin, m) table of `_all_digits`; work and pairs are the calling thread's scratch."""
    if t < nwin:
        row = digits[t]
        if affine:
            jac_store(out, t, _buckets_affine(points, general, row, c, work, pairs))
        else:
            jac_store(out, t, _buckets_jacobian(points, general, row, c))
    else:
        lo = (t - nwin) * chunk
        jac_store(out, t, _sum_range(points, ones, lo, min(ones.shape[0], lo + chunk)))


@njit(cache=True, parallel=True)
def _tasks_parallel(points, scalars, general, ones, c, h, nwin, affine, chunk, out, digits, work, pairs):
    for t in prange(out.shape[0]):
        k = get_thread_id()
        _task(points, scalars, general, ones, c, h, nwin, affine, chunk, t, out, digits, work[k], pairs[k])


@njit(cache=True)
def _tasks_serial(points, scalars, general, ones, c, h, nwin, affine, chunk, out, digits, work, pairs):
    for t in range(out.shape[0]):
        _task(points, scalars, general, ones, c, h, nwin, affine, chunk, t, out, digits, work[0], pairs[0])


@njit(cache=True)
def _combine(out, nwin, c, points):
    """Horner's rule over the window sums out[:nwin] (sum_w 2^(c w) out[w]), plus the sums out[nwin:]."""
    acc = jac_infinity(el_load(points, 0, 0))
    for w in range(nwin - 1, -1, -1):
        for _ in range(c):
            acc = jac_dbl(acc)
        acc = jac_add(acc, jac_load(out, w))
    for t in range(nwin, out.shape[0]):
        acc = jac_add(acc, jac_load(out, t))
    return acc


# --- host side ------------------------------------------------------------------------------------


def num_windows(c: int, bits: int) -> int:
    """Fewest windows N for which every scalar below 2^bits has signed base-2^c digits:
    s + H(N) < 2^(c N), H(N) = sum_{j<N} 2^(c-1) 2^(c j)."""
    if c < MIN_WINDOW:
        raise ValueError(f"expected a window of at least {MIN_WINDOW} bits, got {c}")
    n = max(1, -(-bits // c))
    while (1 << bits) - 1 + _offset(c, n) >= 1 << (c * n):
        n += 1
    return n


def _offset(c: int, nwin: int) -> int:
    return sum(1 << (c - 1 + c * j) for j in range(nwin))


def msm_cost(m: int, bits: int, c: int, affine: bool = True) -> float:
    """The cost model of the module doc, in mixed additions."""
    fill = _COST_FILL_AFFINE if affine else 1.0
    return num_windows(c, bits) * (fill * m + (1 + _COST_ADD) * (1 << (c - 1)) + _COST_DBL * c)


def msm_window(m: int, bits: int = 254, affine: bool = True) -> int:
    """The window c in [MIN_WINDOW, MAX_WINDOW] minimising `msm_cost` for m non-trivial scalars."""
    return min(range(MIN_WINDOW, MAX_WINDOW + 1), key=lambda c: msm_cost(m, bits, c, affine))


AFFINE_MIN_POINTS = 256
"""Below this many general scalars the Jacobian fill is used (the affine rounds' inversions and
sorting do not pay off)."""


def _msm(
    points: np.ndarray,
    scalars: np.ndarray,
    inf: tuple,
    window: int | None,
    parallel: bool,
    affine: bool | None,
    glv: bool | None = False,
    group: str = "g1",
) -> tuple:
    n = points.shape[0]
    if scalars.shape[0] != n:
        raise ValueError(f"expected one scalar per point: {n} points, {scalars.shape[0]} scalars")
    if n == 0:
        return inf
    kinds = np.empty(n, dtype=np.int8)
    _triage(points, scalars, kinds)
    ones = np.flatnonzero(kinds == ONE)
    general = np.flatnonzero(kinds == GENERAL)
    m = general.size
    if m == 0 and ones.size == 0:
        return inf
    if glv is None:  # by default on G2 only: on G1 the split measured 5-15% slower (see glv.py)
        glv = group == "g2" and m >= GLV_MIN_POINTS
    if glv and m:
        points, scalars, general, ones = split_msm(points, scalars, general, ones, group, parallel)
        m = general.size
    c, nwin = MIN_WINDOW, 0
    h = np.zeros(5, dtype=np.uint64)
    if m:
        if affine is None:
            affine = m >= AFFINE_MIN_POINTS
        bits = max_bits(scalars[general])
        c = window if window is not None else msm_window(m, bits, affine)
        if not MIN_WINDOW <= c <= MAX_WINDOW:
            raise ValueError(f"expected a window in [{MIN_WINDOW}, {MAX_WINDOW}], got {c}")
        nwin = num_windows(c, bits)
        offset = _offset(c, nwin)
        h = np.array([(offset >> (64 * k)) & 0xFFFFFFFFFFFFFFFF for k in range(5)], dtype=np.uint64)
    # chunks of the ones: about one window's work each, so the tasks balance
    chunk = max(512, m // 2, -(-ones.size // 8))
    ntasks = nwin + -(-ones.size // chunk)
    tail = points.shape[2:]
    out = np.empty((ntasks, 3, *tail), dtype=np.uint64)
    # per-thread scratch, reused by every task the thread runs (see _buckets_affine)
    threads = get_num_threads() if parallel else 1
    rows = m if affine else 0
    digits = np.empty((nwin, m), dtype=np.int32)
    if nwin:  # over both cores: serial, this pass was ~4% of an MSM's wall time
        (_all_digits_parallel if parallel else _all_digits_serial)(scalars, general, c, nwin, h, digits)
    work = np.empty((threads, rows, 2, *tail), dtype=np.uint64)
    pairs = np.empty((threads, rows // 2 + 1, 2, *tail), dtype=np.uint64)
    args = (points, scalars, general, ones, c, h, nwin, bool(affine), chunk, out, digits, work, pairs)
    if parallel:
        with parallel_chunksize(1):
            _tasks_parallel(*args)
    else:
        _tasks_serial(*args)
    return as_kernel(_combine(out, nwin, c, points))


def msm_g1(
    points: np.ndarray,
    scalars: np.ndarray,
    *,
    window: int | None = None,
    parallel: bool = True,
    affine: bool | None = None,
    glv: bool | None = None,
) -> tuple:
    """sum_i scalars[i] * points[i] as a Jacobian G1 kernel point (np.uint64 limbs, Montgomery).

    points: (n, 2, 4) uint64 affine Montgomery (zeros = infinity, skipped); scalars: (n, 4) uint64
    standard-form limbs. `window` forces Pippenger's c and `affine` the bucket fill (tests; by default
    both come from the cost model); `parallel=False` runs the serial twin."""
    points = check_array(points, (2, 4), "affine G1")
    scalars = check_array(scalars, (4,), "scalar")
    return _msm(points, scalars, G1_INF, window, parallel, affine, glv, "g1")


def msm_g2(
    points: np.ndarray,
    scalars: np.ndarray,
    *,
    window: int | None = None,
    parallel: bool = True,
    affine: bool | None = None,
    glv: bool | None = None,
) -> tuple:
    """sum_i scalars[i] * points[i] as a Jacobian G2 kernel point; points (n, 2, 2, 4), else as msm_g1."""
    points = check_array(points, (2, 2, 4), "affine G2")
    scalars = check_array(scalars, (4,), "scalar")
    return _msm(points, scalars, G2_INF, window, parallel, affine, glv, "g2")


def msm_g1_ints(points: np.ndarray, scalars: np.ndarray, **kw) -> tuple[int, int] | None:
    """msm_g1 as an (x, y) int pair, None for infinity."""
    return g1_to_ints(msm_g1(points, scalars, **kw))


def msm_g2_ints(points: np.ndarray, scalars: np.ndarray, **kw) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """msm_g2 as ((x0, x1), (y0, y1)) ints, None for infinity."""
    return g2_to_ints(msm_g2(points, scalars, **kw))
