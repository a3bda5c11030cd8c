"""R1CS -> QAP: the polynomial H of Groth16 (eprint 2016/260, section 3.2), computed as snarkjs does.

A circuit's constraints <A_i, w> * <B_i, w> = <C_i, w> become polynomials over the domain
H_n = <w_n>: A(x) = sum_s w_s A_s(x) interpolates the rows of A at the domain points (likewise B, C),
and the witness satisfies the R1CS iff p(x) = A(x)B(x) - C(x) vanishes on H_n, i.e. iff
Z(x) = x^n - 1 divides p. The prover needs sum_i h_i tau^i (tau^n - 1) / delta in G1.

snarkjs (src/groth16_prove.js) and rapidsnark never divide by Z. deg p <= 2n - 2 < 2n, so p is
determined by its values on the domain of size 2n, H_2n = H_n u (w_2n H_n); on H_n it is zero, on
the "odd coset" w_2n H_n it is

    p(w_2n w_n^j) = a'_j b'_j - c'_j,   a' = evaluations of A(x) on w_2n H_n  (likewise b', c').

The setup (src/zkey_new.js, writeHs) stores in section 9 the Lagrange points L^(2n)_{2j+1}(tau)/delta
of the odd positions of H_2n, so MSM(section 9, a'b' - c') = p(tau)/delta = h(tau)Z(tau)/delta: the
division by Z (which is the constant w_2n^n - 1 = -2 on the odd coset) is folded into the points.
For the largest domain, n = 2^28, there is no w_2n in Fr; snarkjs then shifts by ffjavascript's
`Fr.shift` = 25 (the non-residue 5 squared) and the setup reads the matching ptau points.

What the prover computes, step by step (snarkjs' names in brackets):

1. [buildABC1] the evaluations of A(x), B(x) on H_n from section 4 of the .zkey, a list of
   (matrix, constraint, signal, value) records for A (matrix 0) and B (matrix 1) only. It includes
   the rows n_constraints + s, s = 0..n_public, with A = w_s and B = 0 that zkey_new appends so
   that the public inputs are bound (their "x_s * 0 = 0" constraints). `value` is the R1CS
   coefficient v stored as the standard-form integer v R^2 mod r (R = 2^256): one Montgomery
   multiplication by a standard-form witness value w_s gives v w_s R, the Montgomery form of v w_s.
   C(x) is not read at all: on H_n the prover takes c = a * b pointwise. So this step cannot tell a
   satisfying witness from a forged one; the R1CS check (or the proof's self-verification) must.
2. [ifft, batchApplyKey(1, inc), fft] a, b, c move to the odd coset (`ntt.domain_to_coset`).
3. [joinABC] h_j = a'_j b'_j - c'_j, taken out of Montgomery form: the scalars of the H MSM.

Arrays: witness (n_vars, 4) uint64 in STANDARD form (the bytes of a .wtns file; the same scalars
the A/B/C MSMs take); a, b, c (n, 4) in Montgomery form, the rows of one (3, n, 4) array so that
the three coset moves run as one batch; h (n, 4) in standard form, in the order of section 9.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from numba import get_num_threads, njit, prange

from bn254.constants import R, from_limbs, to_limbs
from bn254.fields import RM, fr_from_mont, fr_mul, load, store

from .formats.zkey import COEFF_DTYPE, encode_coeff
from .ntt import (
    MAX_LOG_N,
    NONRESIDUE,
    compile_twins,
    domain_to_coset,
    fr_add_nb,
    fr_sub_nb,
    log2_size,
    pick_kernel,
    root_of_unity,
)

__all__ = [
    "COEFF_DTYPE",
    "MATRIX_A",
    "MATRIX_B",
    "QapError",
    "coefficient_records",
    "encode_coefficients",
    "warm",
    "odd_coset_shift",
    "vanishing_on_coset",
    "evaluations",
    "h_odd_coset",
    "compute_h",
    "evaluations_reference",
    "h_reference",
    "compute_h_reference",
]

MATRIX_A = 0
MATRIX_B = 1

_R2_INV = pow(1 << 512, -1, R)


class QapError(ValueError):
    """Coefficients or witness that do not fit the domain, the witness length or the field."""


# --- coefficient records ---------------------------------------------------------------------------


def coefficient_records(coeffs: np.ndarray | bytes | bytearray | memoryview) -> np.ndarray:
    """The records of section 4 as a (m,) COEFF_DTYPE array (read-only), without copying when given a view.

    Accepts the raw section body (u32 count, then the 44-byte records), as bytes or a uint8 array,
    or an array of any structured dtype with the same 44-byte packed layout (it is re-viewed)."""
    if isinstance(coeffs, np.ndarray) and coeffs.dtype.names is not None:
        dt = coeffs.dtype
        layout = [dt.fields[name][:2] for name in dt.names]
        expected = [COEFF_DTYPE.fields[name][:2] for name in COEFF_DTYPE.names]
        if dt.itemsize != COEFF_DTYPE.itemsize or layout != expected or coeffs.ndim != 1:
            raise QapError(f"expected (m,) records of the 44-byte section-4 layout, got {coeffs.shape} {dt}")
        recs = coeffs.view(COEFF_DTYPE)
    else:
        body = np.frombuffer(coeffs, dtype=np.uint8) if not isinstance(coeffs, np.ndarray) else coeffs
        if body.dtype != np.uint8 or body.ndim != 1:
            raise QapError(f"expected a section-4 body as bytes or a 1-D uint8 array, got {body.shape} {body.dtype}")
        if body.shape[0] < 4:
            raise QapError(f"section 4 has {body.shape[0]} bytes, its record count needs 4")
        m = int.from_bytes(body[:4].tobytes(), "little")
        expected = 4 + m * COEFF_DTYPE.itemsize
        if body.shape[0] != expected:
            raise QapError(f"section 4 counts {m} coefficients ({expected} bytes), it has {body.shape[0]} bytes")
        recs = body[4:].view(COEFF_DTYPE)
    if not recs.flags.c_contiguous:
        raise QapError("expected contiguous coefficient records")
    recs = recs.view()
    recs.flags.writeable = False  # one kernel type for mapped files and arrays built in memory
    return recs


def encode_coefficients(terms: Iterable[tuple[int, int, int, int]]) -> np.ndarray:
    """(matrix, constraint, signal, c) terms -> COEFF_DTYPE records, c stored as c R^2 mod r (as snarkjs).

    For tests and synthetic circuits; a real key's records come from `prover.formats.zkey`."""
    rows = list(terms)
    out = np.zeros(len(rows), dtype=COEFF_DTYPE)
    for k, (mat, c, s, v) in enumerate(rows):
        if mat not in (MATRIX_A, MATRIX_B):
            raise QapError(f"term {k}: expected matrix 0 (A) or 1 (B), got {mat}")
        out[k] = (mat, c, s, to_limbs(encode_coeff(int(v))))
    return out


# --- domains -------------------------------------------------------------------------------------------


def odd_coset_shift(domain_size: int) -> int:
    """The shift g of the coset g H_n where snarkjs evaluates p: w_2n, or Fr.shift = 25 when n = 2^28."""
    log_n = log2_size(domain_size)
    if log_n == MAX_LOG_N:
        return NONRESIDUE * NONRESIDUE % R
    return root_of_unity(log_n + 1)


def vanishing_on_coset(domain_size: int) -> int:
    """Z(x) = x^n - 1 at every point of the coset g H_n: g^n - 1 (= -2 for the odd coset g = w_2n)."""
    return (pow(odd_coset_shift(domain_size), domain_size, R) - 1) % R


# --- kernels ---------------------------------------------------------------------------------------------

_OK = -1


@njit(cache=True)
def _below_r(v0, v1, v2, v3):
    if v3 != RM[3]:
        return v3 < RM[3]
    if v2 != RM[2]:
        return v2 < RM[2]
    if v1 != RM[1]:
        return v1 < RM[1]
    return v0 < RM[0]


@njit(cache=True)
def _first_bad_record(recs, n, n_vars):
    """Index of the first record outside the domain, the witness or the field, or -1.

    The scatter kernel does not bound-check (numba does not), so this runs first."""
    for k in range(recs.shape[0]):
        r = recs[k]
        if r.matrix > 1 or np.int64(r.constraint) >= n or np.int64(r.signal) >= n_vars:
            return k
        if not _below_r(r.value[0], r.value[1], r.value[2], r.value[3]):
            return k
    return _OK


@njit(cache=True)
def _first_bad_value(x):
    for i in range(x.shape[0]):
        if not _below_r(x[i, 0], x[i, 1], x[i, 2], x[i, 3]):
            return i
    return _OK


def _scatter_core(recs, witness, abc, n_parts):
    """abc[0][c] += v w_s for matrix-0 records (abc[1] for matrix 1), then abc[2] = abc[0] abc[1].

    Montgomery results. Part p owns the rows [p n / parts, (p+1) n / parts) and scans every
    record, so parts never write the same row and records may come in any order."""
    n = abc.shape[1]
    for p in prange(n_parts):
        lo = p * n // n_parts
        hi = (p + 1) * n // n_parts
        for k in range(recs.shape[0]):
            r = recs[k]
            c = np.int64(r.constraint)
            if c < lo or c >= hi:
                continue
            t = fr_mul((r.value[0], r.value[1], r.value[2], r.value[3]), load(witness, np.int64(r.signal)))
            row = abc[np.int64(r.matrix)]
            store(row, c, fr_add_nb(load(row, c), t))
        a, b, ab = abc[0], abc[1], abc[2]
        for i in range(lo, hi):
            store(ab, i, fr_mul(load(a, i), load(b, i)))


def _join_core(abc, out, standard):
    """out = a b - c over the (3, n, 4) stack, taken out of Montgomery form when `standard`."""
    for i in prange(abc.shape[1]):
        v = fr_sub_nb(fr_mul(load(abc[0], i), load(abc[1], i)), load(abc[2], i))
        store(out, i, fr_from_mont(v) if standard else v)


_scatter_k = compile_twins(_scatter_core)
_join_k = compile_twins(_join_core)


# --- fast path ---------------------------------------------------------------------------------------------


def _check_witness(witness: np.ndarray) -> np.ndarray:
    w = witness
    if not isinstance(w, np.ndarray) or w.dtype != np.uint64 or w.ndim != 2 or w.shape[1] != 4:
        got = f"{w.shape} {w.dtype}" if isinstance(w, np.ndarray) else type(w).__name__
        raise QapError(f"expected the witness as an (n_vars, 4) uint64 array (standard form), got {got}")
    w = np.require(w, requirements=["C", "A"]).view()  # a view of a .wtns file may be unaligned: copy it
    w.flags.writeable = False  # read-only views for every caller: one compiled kernel type
    bad = _first_bad_value(w)
    if bad != _OK:
        raise QapError(f"witness value {bad} is {from_limbs(w[bad])}, expected a field element below r")
    return w


def evaluations(
    coeffs: np.ndarray | bytes, witness: np.ndarray, domain_size: int, *, parallel: bool | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(a, b, c): A.w, B.w and their product on the n domain points, (n, 4) Montgomery arrays.

    The three are the rows of one (3, n, 4) array, which `h_odd_coset(..., overwrite=True)`
    transforms in place without copying.

    `coeffs`: section 4 (see `coefficient_records`); `witness`: (n_vars, 4) uint64, standard form.
    Row j of a is <A_j, w> for the constraint (or public-input row) j; rows past the last
    constraint stay zero. Raises QapError for a record outside the domain, the witness or [0, r),
    and for a witness value >= r."""
    log_n = log2_size(domain_size)
    recs = coefficient_records(coeffs)
    w = _check_witness(witness)
    bad = _first_bad_record(recs, domain_size, w.shape[0])
    if bad != _OK:
        r = recs[bad]
        raise QapError(
            f"coefficient {bad} is (matrix {r['matrix']}, constraint {r['constraint']}, signal {r['signal']}, "
            f"value {from_limbs(r['value'])}); expected matrix 0 or 1, constraint < {domain_size}, "
            f"signal < {w.shape[0]} and value < r"
        )
    abc = np.zeros((3, domain_size, 4), dtype=np.uint64)
    scatter = pick_kernel(_scatter_k, parallel, log_n)
    n_parts = get_num_threads() if scatter is _scatter_k[1] else 1
    scatter(recs, w, abc, n_parts)
    return abc[0], abc[1], abc[2]


def h_odd_coset(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray,
    *,
    overwrite: bool = False,
    standard: bool = True,
    parallel: bool | None = None,
) -> np.ndarray:
    """The H-query scalars: p on the odd coset, h_j = a'_j b'_j - c'_j, as an (n, 4) uint64 array.

    a, b, c: evaluations on H_n (Montgomery, as from `evaluations`). The result is in standard form
    (the MSM's scalars; snarkjs' joinABC output byte for byte) unless `standard=False`. With
    `overwrite` and a, b, c straight from `evaluations`, they are transformed in place (they end
    up holding a', b', c'); otherwise they are copied first and left as they were."""
    n = a.shape[0]
    for name, x in (("a", a), ("b", b), ("c", c)):
        if not isinstance(x, np.ndarray) or x.dtype != np.uint64 or x.shape != (n, 4):
            got = f"{x.shape} {x.dtype}" if isinstance(x, np.ndarray) else type(x).__name__
            raise QapError(f"expected {name} as an ({n}, 4) uint64 array, got {got}")
    log_n = log2_size(n)
    abc = _stack_of(a, b, c) if overwrite else None
    if abc is None:
        abc = np.stack((a, b, c))
    domain_to_coset(abc, odd_coset_shift(n), parallel=parallel)
    out = np.empty((n, 4), dtype=np.uint64)
    pick_kernel(_join_k, parallel, log_n)(abc, out, standard)
    return out


def _stack_of(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray | None:
    """The writeable (3, n, 4) array whose rows are a, b, c in this order (as `evaluations` returns
    them), or None."""
    base = a.base
    if base is None or b.base is not base or c.base is not base or not isinstance(base, np.ndarray):
        return None
    n = a.shape[0]
    if base.shape != (3, n, 4) or base.dtype != np.uint64 or not base.flags.c_contiguous or not base.flags.writeable:
        return None
    start, size = base.ctypes.data, n * 32
    if (a.ctypes.data, b.ctypes.data, c.ctypes.data) != (start, start + size, start + 2 * size):
        return None
    return base


def compute_h(
    coeffs: np.ndarray | bytes, witness: np.ndarray, domain_size: int, *, parallel: bool | None = None
) -> np.ndarray:
    """`evaluations` then `h_odd_coset` (in place): the H MSM's scalars, standard form."""
    a, b, c = evaluations(coeffs, witness, domain_size, parallel=parallel)
    return h_odd_coset(a, b, c, overwrite=True, parallel=parallel)


# --- slow twin (Python integers, quadratic transforms) -------------------------------------------------


def evaluations_reference(
    terms: Iterable[tuple[int, int, int, int]], witness: Sequence[int], domain_size: int
) -> tuple[list[int], list[int], list[int]]:
    """(a, b, c) as plain integers from (matrix, constraint, signal, stored value) terms."""
    a = [0] * domain_size
    b = [0] * domain_size
    for mat, c, s, stored in terms:
        v = int(stored) * _R2_INV % R
        row = a if mat == MATRIX_A else b
        row[c] = (row[c] + v * int(witness[s])) % R
    return a, b, [x * y % R for x, y in zip(a, b, strict=True)]


def h_reference(a: Sequence[int], b: Sequence[int], c: Sequence[int]) -> list[int]:
    """p = AB - C on the odd coset by the definitions: interpolate, evaluate (O(n^2) sums)."""
    n = len(a)
    log_n = log2_size(n)
    w = root_of_unity(log_n)
    w_inv = pow(w, -1, R)
    n_inv = pow(n, -1, R)
    g = odd_coset_shift(n)

    def coefficients(vals: Sequence[int]) -> list[int]:
        return [n_inv * sum(v * pow(w_inv, i * j, R) for j, v in enumerate(vals)) % R for i in range(n)]

    points = [g * pow(w, j, R) % R for j in range(n)]

    def on_coset(coef: list[int]) -> list[int]:
        out = []
        for x in points:
            acc = 0
            for k in reversed(coef):
                acc = (acc * x + k) % R
            out.append(acc)
        return out

    a2, b2, c2 = (on_coset(coefficients(v)) for v in (a, b, c))
    return [(x * y - z) % R for x, y, z in zip(a2, b2, c2, strict=True)]


def compute_h_reference(
    terms: Iterable[tuple[int, int, int, int]], witness: Sequence[int], domain_size: int
) -> list[int]:
    """The whole reduction on Python integers: the slow twin of `compute_h` (standard-form values)."""
    return h_reference(*evaluations_reference(terms, witness, domain_size))


def warm() -> None:
    """Compile, or load from numba's cache, the serial and parallel kernels `compute_h` uses, with
    the argument types of a real proof (read-only records and witness), on a 4-point domain.

    A worker calls this once at start; twiddle and coset tables are built per size on first use
    (or call `ntt.twiddles` / `ntt.coset_table` for the key's domain)."""
    recs = np.frombuffer(encode_coefficients([(MATRIX_A, 0, 0, 1), (MATRIX_B, 1, 1, 1)]).tobytes(), COEFF_DTYPE)
    witness = np.zeros((2, 4), dtype=np.uint64)
    witness[:, 0] = 1
    for parallel in (False, True):
        compute_h(recs, witness, 4, parallel=parallel)
        h_odd_coset(*evaluations(recs, witness, 4, parallel=parallel), parallel=parallel, standard=False)
