"""Rank-1 constraint systems in circom's .r1cs format (`r1csfile`), and a fast R1CS checker.

Sections (container: `binfile`, magic b"r1cs", version 1):

    1 HEADER       n8 u32 | prime n8 bytes | nWires u32 | nPubOut u32 | nPubIn u32 | nPrvIn u32
                   | nLabels u64 | nConstraints u32
    2 CONSTRAINTS  nConstraints times, for each of A, B, C in turn:
                   nTerms u32, then nTerms times (wire u32, coefficient n8 bytes LE, STANDARD form)
    3 WIRE2LABEL   nWires times label u64
    4, 5           custom gates (PLONK only): rejected

Wires are ordered [1, public outputs, public inputs, private inputs, internal]; constraint i
says <A_i, w> * <B_i, w> = <C_i, w> over F_r. circom writes the sections in the order 2, 1, 3 and
snarkjs' r1csfile in the order 1, 2, 3; `R1CS.section_order` remembers which, so a read/write
round trip is byte-identical.

The matrices are COO: `rows` (constraint) and `cols` (wire) int64, `coeffs` an (nnz, 4) uint64
array of little-endian limbs in standard form, terms in file order (so rows are non-decreasing).
Parsing copies (terms are interleaved in the file); only the label map is a view over the file.
Only BN254's scalar field is accepted.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numba import njit

from bn254.fields import RM, STD_ONE, fr_add, fr_mul, fr_to_mont_array, load, store

from ._kernels import below, first_not_below_r
from .binfile import FormatError, read_binfile, write_binfile
from .encoding import N8, R, limbs_to_ints

__all__ = [
    "Coo",
    "R1CS",
    "read_r1cs",
    "write_r1cs",
    "check_witness",
    "check_witness_reference",
    "witness_to_limbs",
    "HEADER",
    "CONSTRAINTS",
    "WIRE2LABEL",
    "CUSTOM_GATES_LIST",
    "CUSTOM_GATES_USES",
]

MAGIC = b"r1cs"
VERSION = 1
HEADER = 1
CONSTRAINTS = 2
WIRE2LABEL = 3
CUSTOM_GATES_LIST = 4
CUSTOM_GATES_USES = 5

CIRCOM_ORDER = (CONSTRAINTS, HEADER, WIRE2LABEL)
HEADER_BYTES = 4 + N8 + 4 * 4 + 8 + 4


@dataclass(frozen=True, eq=False)
class Coo:
    """A sparse matrix in coordinate form: entry (rows[k], cols[k]) = coeffs[k] (standard-form limbs)."""

    rows: np.ndarray
    cols: np.ndarray
    coeffs: np.ndarray

    def __post_init__(self) -> None:
        n = self.rows.shape[0]
        if self.rows.shape != (n,) or self.cols.shape != (n,) or self.coeffs.shape != (n, 4):
            raise ValueError(
                f"COO arrays must be (k,), (k,), (k, 4); got {self.rows.shape}, {self.cols.shape}, {self.coeffs.shape}"
            )

    @property
    def nnz(self) -> int:
        return int(self.rows.shape[0])

    def coeff_ints(self) -> list[int]:
        return limbs_to_ints(self.coeffs)


@dataclass(frozen=True, eq=False)
class R1CS:
    prime: int
    n_wires: int
    n_pub_out: int
    n_pub_in: int
    n_prv_in: int
    n_labels: int
    n_constraints: int
    A: Coo
    B: Coo
    C: Coo
    wire_to_label: np.ndarray | None = None
    """(n_wires,) uint64 label id of every wire, or None when the file has no section 3."""
    section_order: tuple[int, ...] = CIRCOM_ORDER

    @property
    def n_public(self) -> int:
        """Public signals (outputs then inputs), not counting the constant wire 0."""
        return self.n_pub_out + self.n_pub_in


# --- constraint section codec (numba) -------------------------------------------------------------

_ERR_NONE = 0
_ERR_TRUNCATED = 1
_ERR_WIRE = 2
_ERR_COEFF = 3


@njit(cache=True)
def _u32_at(buf, p):
    return (
        np.int64(buf[p])
        | (np.int64(buf[p + 1]) << 8)
        | (np.int64(buf[p + 2]) << 16)
        | (np.int64(buf[p + 3]) << 24)
    )


@njit(cache=True)
def _scan_constraints(buf, n_constraints, n_wires):
    """Pass 1: count terms per matrix and validate. Returns (err, where, end, nA, nB, nC)."""
    size = buf.shape[0]
    p = np.int64(0)
    nnz = np.zeros(3, dtype=np.int64)
    for c in range(n_constraints):
        for m in range(3):
            if p + 4 > size:
                return _ERR_TRUNCATED, c, p, nnz[0], nnz[1], nnz[2]
            k = _u32_at(buf, p)
            p += 4
            if p + k * (4 + 32) > size:
                return _ERR_TRUNCATED, c, p, nnz[0], nnz[1], nnz[2]
            for _ in range(k):
                if _u32_at(buf, p) >= n_wires:
                    return _ERR_WIRE, c, p, nnz[0], nnz[1], nnz[2]
                p += 36
            nnz[m] += k
    return _ERR_NONE, -1, p, nnz[0], nnz[1], nnz[2]


@njit(cache=True)
def _u64_at(buf, p):
    v = np.uint64(0)
    for i in range(7, -1, -1):
        v = (v << np.uint64(8)) | np.uint64(buf[p + i])
    return v


@njit(cache=True)
def _fill_constraints(buf, n_constraints, rows, cols, coeffs, starts):
    """Pass 2: decode every term. Returns the index (into the concatenation) of a coefficient >= r, or -1."""
    p = np.int64(0)
    pos = starts.copy()
    for c in range(n_constraints):
        for m in range(3):
            k = _u32_at(buf, p)
            p += 4
            for _ in range(k):
                j = pos[m]
                rows[j] = c
                cols[j] = _u32_at(buf, p)
                x0 = _u64_at(buf, p + 4)
                x1 = _u64_at(buf, p + 12)
                x2 = _u64_at(buf, p + 20)
                x3 = _u64_at(buf, p + 28)
                if not below(x0, x1, x2, x3, RM):
                    return j
                coeffs[j, 0] = x0
                coeffs[j, 1] = x1
                coeffs[j, 2] = x2
                coeffs[j, 3] = x3
                pos[m] = j + 1
                p += 36
    return -1


@njit(cache=True)
def _encode_constraints(n_constraints, cols, coeffs, bounds):
    """Serialise constraints; the terms of matrix m, row c are rows[bounds[m, c]:bounds[m, c+1]] in
    the concatenated (A, B, C) arrays, already grouped by row."""
    total = n_constraints * 12 + cols.shape[0] * 36
    out = np.empty(total, dtype=np.uint8)
    p = 0
    for c in range(n_constraints):
        for m in range(3):
            lo = bounds[m, c]
            hi = bounds[m, c + 1]
            k = hi - lo
            for b in range(4):
                out[p + b] = (k >> (8 * b)) & 0xFF
            p += 4
            for j in range(lo, hi):
                w = cols[j]
                for b in range(4):
                    out[p + b] = (w >> (8 * b)) & 0xFF
                for limb in range(4):
                    x = coeffs[j, limb]
                    for b in range(8):
                        out[p + 4 + 8 * limb + b] = np.uint8((x >> np.uint64(8 * b)) & np.uint64(0xFF))
                p += 36
    return out


# --- read / write ---------------------------------------------------------------------------------


def read_r1cs(path: str | os.PathLike) -> R1CS:
    """Parse a .r1cs file strictly (see the module docstring)."""
    f = read_binfile(
        path, MAGIC, VERSION, known=(HEADER, CONSTRAINTS, WIRE2LABEL, CUSTOM_GATES_LIST, CUSTOM_GATES_USES),
        required=(HEADER, CONSTRAINTS),
    )
    if f.has(CUSTOM_GATES_LIST) or f.has(CUSTOM_GATES_USES):
        raise FormatError(f"{path}: custom gates (sections 4, 5) are a PLONK feature; Groth16 R1CS has none")
    h = f.reader(HEADER)
    n8 = h.u32("n8")
    if n8 != N8:
        raise FormatError(f"{path}: expected field size n8 = {N8}, got {n8}")
    prime = h.bigint(n8, "prime")
    if prime != R:
        raise FormatError(f"{path}: expected the BN254 scalar field prime {R}, got {prime}")
    n_wires = h.u32("nWires")
    n_pub_out = h.u32("nPubOut")
    n_pub_in = h.u32("nPubIn")
    n_prv_in = h.u32("nPrvIn")
    n_labels = h.u64("nLabels")
    n_constraints = h.u32("nConstraints")
    h.end()
    if 1 + n_pub_out + n_pub_in + n_prv_in > n_wires:
        raise FormatError(
            f"{path}: 1 + {n_pub_out} outputs + {n_pub_in} public + {n_prv_in} private inputs exceed {n_wires} wires"
        )

    body = f.body(CONSTRAINTS)
    err, where, end, na, nb, nc = _scan_constraints(body, n_constraints, n_wires)
    if err == _ERR_TRUNCATED:
        raise FormatError(
            f"{path}: section {CONSTRAINTS} of {body.shape[0]} bytes ends inside constraint {where} "
            f"of {n_constraints} (at byte {end})"
        )
    if err == _ERR_WIRE:
        raise FormatError(f"{path}: constraint {where} refers to a wire >= nWires = {n_wires} (at byte {end})")
    if end != body.shape[0]:
        raise FormatError(
            f"{path}: section {CONSTRAINTS} has {body.shape[0]} bytes, "
            f"its {n_constraints} constraints end at byte {end}"
        )
    nnz = na + nb + nc
    rows = np.empty(nnz, dtype=np.int64)
    cols = np.empty(nnz, dtype=np.int64)
    coeffs = np.empty((nnz, 4), dtype=np.uint64)
    starts = np.array([0, na, na + nb], dtype=np.int64)
    bad = _fill_constraints(body, n_constraints, rows, cols, coeffs, starts)
    if bad >= 0:
        raise FormatError(f"{path}: constraint {rows[bad]} has a coefficient >= r (term {bad})")

    labels = None
    if f.has(WIRE2LABEL):
        m = f.reader(WIRE2LABEL)
        labels = m.array("<u8", (n_wires,), "wire labels")
        m.end()

    def coo(lo: int, hi: int) -> Coo:
        return Coo(rows[lo:hi], cols[lo:hi], coeffs[lo:hi])

    return R1CS(
        prime=prime,
        n_wires=n_wires,
        n_pub_out=n_pub_out,
        n_pub_in=n_pub_in,
        n_prv_in=n_prv_in,
        n_labels=n_labels,
        n_constraints=n_constraints,
        A=coo(0, na),
        B=coo(na, na + nb),
        C=coo(na + nb, nnz),
        wire_to_label=labels,
        section_order=f.order,
    )


def _group_by_row(mat: Coo, n_constraints: int, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rows = np.asarray(mat.rows, dtype=np.int64)
    if rows.size and (rows.min() < 0 or rows.max() >= n_constraints):
        raise ValueError(f"matrix {name} has a row outside [0, {n_constraints})")
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n_constraints)
    bounds = np.zeros(n_constraints + 1, dtype=np.int64)
    np.cumsum(counts, out=bounds[1:])
    return rows[order], np.asarray(mat.cols, dtype=np.int64)[order], np.asarray(mat.coeffs, np.uint64)[order], bounds


def write_r1cs(r1cs: R1CS, path: str | os.PathLike) -> None:
    """Write `r1cs` as a .r1cs file in `r1cs.section_order` (terms of each row in their given order)."""
    if r1cs.prime != R:
        raise ValueError(f"only the BN254 scalar field is supported, got prime {r1cs.prime}")
    groups = []
    for name, mat in (("A", r1cs.A), ("B", r1cs.B), ("C", r1cs.C)):
        if mat.nnz and (int(mat.cols.min()) < 0 or int(mat.cols.max()) >= r1cs.n_wires):
            raise ValueError(f"matrix {name} refers to a wire outside [0, {r1cs.n_wires})")
        groups.append(_group_by_row(mat, r1cs.n_constraints, name))
    offsets = np.cumsum([0] + [g[0].shape[0] for g in groups])
    bounds = np.stack([g[3] + offsets[i] for i, g in enumerate(groups)])
    cols = np.concatenate([g[1] for g in groups])
    coeffs = np.concatenate([g[2] for g in groups]).reshape(-1, 4)
    if first_not_below_r(coeffs) >= 0:
        raise ValueError("a coefficient is >= r")
    body = _encode_constraints(r1cs.n_constraints, cols, coeffs, bounds)

    header = b"".join(
        [
            N8.to_bytes(4, "little"),
            r1cs.prime.to_bytes(N8, "little"),
            r1cs.n_wires.to_bytes(4, "little"),
            r1cs.n_pub_out.to_bytes(4, "little"),
            r1cs.n_pub_in.to_bytes(4, "little"),
            r1cs.n_prv_in.to_bytes(4, "little"),
            r1cs.n_labels.to_bytes(8, "little"),
            r1cs.n_constraints.to_bytes(4, "little"),
        ]
    )
    parts: dict[int, list] = {HEADER: [header], CONSTRAINTS: [body]}
    if r1cs.wire_to_label is not None:
        labels = np.asarray(r1cs.wire_to_label, dtype="<u8")
        if labels.shape != (r1cs.n_wires,):
            raise ValueError(f"wire_to_label has shape {labels.shape}, expected ({r1cs.n_wires},)")
        parts[WIRE2LABEL] = [labels]
    order = [s for s in r1cs.section_order if s in parts] + [s for s in (HEADER, CONSTRAINTS, WIRE2LABEL)
                                                             if s in parts and s not in r1cs.section_order]
    write_binfile(path, MAGIC, VERSION, [(s, parts[s]) for s in order])


# --- R1CS satisfaction ----------------------------------------------------------------------------


@njit(cache=True)
def _accumulate(rows, cols, coeffs, w_mont, out):
    """out[row] += coeff * w[col]. The coefficient is in standard form and w in Montgomery form, so
    their Montgomery product coeff * wR / R is the standard-form product: no conversion needed."""
    for k in range(rows.shape[0]):
        c = (coeffs[k, 0], coeffs[k, 1], coeffs[k, 2], coeffs[k, 3])
        row = rows[k]
        store(out, row, fr_add(load(out, row), fr_mul(c, load(w_mont, cols[k]))))


@njit(cache=True)
def _failing_rows(a, b, c):
    """Rows with a*b != c. mont_mul(a, b) = ab/R and mont_mul(c, 1) = c/R, so compare those."""
    bad = np.zeros(a.shape[0], dtype=np.bool_)
    for i in range(a.shape[0]):
        lhs = fr_mul(load(a, i), load(b, i))
        rhs = fr_mul(load(c, i), STD_ONE)
        bad[i] = not (lhs[0] == rhs[0] and lhs[1] == rhs[1] and lhs[2] == rhs[2] and lhs[3] == rhs[3])
    return bad


def witness_to_limbs(witness: Sequence[int] | np.ndarray, n_expected: int | None = None) -> np.ndarray:
    """Validate a witness (ints, or an (n, 4) uint64 standard-form array) and return its limbs.

    Raises ValueError on a length other than `n_expected`, w[0] != 1, or a value outside [0, r)."""
    if isinstance(witness, np.ndarray) and witness.dtype != object:
        w = witness
        if w.ndim != 2 or w.shape[1] != 4 or w.dtype != np.uint64:
            raise ValueError(f"expected witness limbs of shape (n, 4) and dtype uint64, got {w.shape} {w.dtype}")
        n = w.shape[0]
        if n_expected is not None and n != n_expected:
            raise ValueError(f"witness has {n} values, circuit expects {n_expected}")
        bad = first_not_below_r(w)
        if bad >= 0:
            raise ValueError(f"witness value {bad} is {limbs_to_ints(w[bad])[0]}, expected an integer in [0, r)")
    else:
        vals = list(witness)
        n = len(vals)
        if n_expected is not None and n != n_expected:
            raise ValueError(f"witness has {n} values, circuit expects {n_expected}")
        for i, v in enumerate(vals):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 0 <= v < R:
                raise ValueError(f"witness value {i} is {v!r}, expected an integer in [0, r)")
        raw = b"".join(int(v).to_bytes(32, "little") for v in vals)
        w = np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(n, 4)
    if n == 0 or not (w[0, 0] == 1 and w[0, 1] == 0 and w[0, 2] == 0 and w[0, 3] == 0):
        first = limbs_to_ints(w[:1])[0] if n else None
        raise ValueError(f"witness value 0 must be 1 (the constant wire), got {first}")
    return np.ascontiguousarray(w)


def check_witness(r1cs: R1CS, witness: Sequence[int] | np.ndarray) -> list[int]:
    """Indices of the constraints that `witness` violates (A.w * B.w != C.w mod r); [] if it satisfies all.

    `witness` is a sequence of ints or an (n, 4) uint64 array of standard-form limbs (as `read_wtns`
    returns). Raises ValueError on a wrong length, w[0] != 1 or a value outside [0, r)."""
    w = witness_to_limbs(witness, r1cs.n_wires)
    w_mont = fr_to_mont_array(w)
    evals = []
    for mat in (r1cs.A, r1cs.B, r1cs.C):
        out = np.zeros((r1cs.n_constraints, 4), dtype=np.uint64)
        _accumulate(
            np.ascontiguousarray(mat.rows, dtype=np.int64),
            np.ascontiguousarray(mat.cols, dtype=np.int64),
            np.ascontiguousarray(mat.coeffs, dtype=np.uint64),
            w_mont,
            out,
        )
        evals.append(out)
    return [int(i) for i in np.flatnonzero(_failing_rows(*evals))]


def check_witness_reference(r1cs: R1CS, witness: Sequence[int]) -> list[int]:
    """The slow twin of `check_witness`: Python big ints, one dict per matrix (for tests)."""
    w = [int(v) for v in witness]
    if len(w) != r1cs.n_wires:
        raise ValueError(f"witness has {len(w)} values, circuit expects {r1cs.n_wires}")
    evals = []
    for mat in (r1cs.A, r1cs.B, r1cs.C):
        acc = [0] * r1cs.n_constraints
        for row, col, coeff in zip(mat.rows.tolist(), mat.cols.tolist(), mat.coeff_ints(), strict=True):
            acc[row] = (acc[row] + coeff * w[col]) % R
        evals.append(acc)
    return [i for i, (a, b, c) in enumerate(zip(*evals, strict=True)) if a * b % R != c]
