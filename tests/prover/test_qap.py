"""R1CS -> QAP on the odd coset: numba path against its Python twin, galois (divisibility by
x^n - 1, values of h on the coset), and snarkjs (its prover's H scalars byte for byte, its zkey's
coefficients against the .r1cs, and its H points against the ptau's powers of tau)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import galois
import numpy as np
import pytest

from bn254.constants import Q, R, from_limbs
from bn254.fields import array_to_ints, ints_to_array
from prover import ntt as N
from prover import qap as P
from prover.formats.ptau import read_ptau
from prover.formats.r1cs import read_r1cs
from prover.formats.wtns import read_wtns
from prover.formats.zkey import COEFF_DTYPE, decode_coeff, read_zkey

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
FIXTURES = ROOT / "build" / "test-fixtures" / "qap"

rng = random.Random(20261125)


@pytest.fixture(scope="module")
def GF():
    return galois.GF(R, primitive_element=N.NONRESIDUE, verify=False)


def _domain(GF, n: int, shift: int = 1):
    return GF(shift) * GF(N.root_of_unity(N.log2_size(n))) ** np.arange(n)


def _vanishing(GF, n: int):
    return galois.Poly.Degrees([n, 0], [1, R - 1], field=GF)


_IDFT: dict[int, object] = {}


def _interpolate(GF, values: list[int]):
    """The polynomial of degree < n through (w_n^j, values[j]): galois arithmetic on the inverse
    DFT matrix (w_n^-ij / n), which is built from the root alone, not from our transforms."""
    n = len(values)
    if n not in _IDFT:
        w_inv = GF(pow(N.root_of_unity(N.log2_size(n)), -1, R))
        _IDFT[n] = (w_inv ** np.arange(n))[np.outer(np.arange(n), np.arange(n)) % n] / GF(n)
    poly = galois.Poly((_IDFT[n] @ GF(values))[::-1])
    assert np.array_equal(poly(_domain(GF, n)), GF(values))
    return poly


# --- a small synthetic R1CS ------------------------------------------------------------------------------


@dataclass
class Synthetic:
    n: int
    terms: list[tuple[int, int, int, int]]  # (matrix, row, signal, coefficient) for A and B, as in section 4
    c_terms: list[tuple[int, int, int]]  # (row, signal, coefficient) of C
    witness: list[int]


def _synthetic(n_constraints: int = 9, n_vars: int = 8, n_public: int = 2, n: int = 16) -> Synthetic:
    """Random A, B rows; each C row one term chosen so that the random witness satisfies it; then
    snarkjs' public-input rows (A = w_s, B = 0) after the constraints."""
    w = [1] + [rng.choice([0, 1, R - 1, rng.randrange(R)]) for _ in range(n_vars - 1)]
    w[n_vars - 1] = rng.randrange(1, R)  # C's terms use this non-zero signal
    terms, c_terms = [], []
    for j in range(n_constraints):
        a = b = 0
        for mat in (P.MATRIX_A, P.MATRIX_B):
            for _ in range(rng.randrange(1, 4)):
                s, v = rng.randrange(n_vars), rng.choice([1, R - 1, 2, rng.randrange(R)])
                terms.append((mat, j, s, v))
                if mat == P.MATRIX_A:
                    a += v * w[s]
                else:
                    b += v * w[s]
        c_terms.append((j, n_vars - 1, a * b * pow(w[n_vars - 1], -1, R) % R))
    for s in range(n_public + 1):
        terms.append((P.MATRIX_A, n_constraints + s, s, 1))
    rng.shuffle(terms)  # the kernels must not depend on the file's order
    return Synthetic(n, terms, c_terms, w)


def _stored(records: np.ndarray) -> list[tuple[int, int, int, int]]:
    return [(int(r["matrix"]), int(r["constraint"]), int(r["signal"]), from_limbs(r["value"])) for r in records]


def _c_dot_w(c_terms, witness, n: int) -> list[int]:
    c = [0] * n
    for row, s, v in c_terms:
        c[row] = (c[row] + v * witness[s]) % R
    return c


# --- fast path against the slow twin ----------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 8, 32])
@pytest.mark.parametrize("parallel", [False, True])
def test_fast_path_matches_slow_twin(n: int, parallel: bool) -> None:
    n_vars = 7
    witness = [1, 0, R - 1, *(rng.randrange(R) for _ in range(n_vars - 3))]
    terms = [
        (rng.randrange(2), rng.randrange(n), rng.randrange(n_vars), rng.choice([0, 1, R - 1, rng.randrange(R)]))
        for _ in range(4 * n + 3)
    ]
    terms.append(terms[0])  # a repeated (matrix, row, signal) accumulates
    records = P.encode_coefficients(terms)
    w = ints_to_array(witness, R, montgomery=False)
    a, b, c = P.evaluations(records, w, n, parallel=parallel)
    ra, rb, rc = P.evaluations_reference(_stored(records), witness, n)
    assert (array_to_ints(a, R), array_to_ints(b, R), array_to_ints(c, R)) == (ra, rb, rc)
    h = P.h_odd_coset(a, b, c, parallel=parallel)
    expected = P.h_reference(ra, rb, rc)
    assert array_to_ints(h, R, montgomery=False) == expected
    assert P.compute_h_reference(_stored(records), witness, n) == expected
    assert array_to_ints(P.h_odd_coset(a, b, c, standard=False), R) == expected
    # inputs were copied, not transformed
    assert array_to_ints(a, R) == ra
    assert np.array_equal(P.compute_h(records, w, n, parallel=parallel), h)


def test_serial_and_parallel_agree_on_a_large_domain() -> None:
    n, n_vars, m = 1 << 13, 3000, 40000
    g = np.random.default_rng(3)
    records = np.zeros(m, dtype=COEFF_DTYPE)
    records["matrix"] = g.integers(0, 2, m)
    records["constraint"] = g.integers(0, n, m)
    records["signal"] = g.integers(0, n_vars, m)
    records["value"] = g.integers(0, 1 << 64, (m, 4), dtype=np.uint64)
    records["value"][:, 3] &= np.uint64((1 << 61) - 1)
    w = g.integers(0, 1 << 64, (n_vars, 4), dtype=np.uint64)
    w[:, 3] &= np.uint64((1 << 61) - 1)
    h_serial = P.compute_h(records, w, n, parallel=False)
    assert np.array_equal(P.compute_h(records, w, n, parallel=True), h_serial)
    # and the fused transform equals the textbook one: iNTT, scale by w_2n^i, NTT
    a, b, c = P.evaluations(records, w, n)
    shift = P.odd_coset_shift(n)
    moved = [N.coset_ntt(N.intt(x.copy()), shift) for x in (a, b, c)]
    ma, mb, mc = (array_to_ints(v, R) for v in moved)
    expected = ints_to_array([(x * y - z) % R for x, y, z in zip(ma, mb, mc, strict=True)], R, montgomery=False)
    assert np.array_equal(h_serial, expected)


def test_overwrite_transforms_the_evaluations_in_place() -> None:
    s = _synthetic()
    records = P.encode_coefficients(s.terms)
    w = ints_to_array(s.witness, R, montgomery=False)
    a, b, c = P.evaluations(records, w, s.n)
    assert a.base is b.base is c.base  # rows of one (3, n, 4) stack
    before = [x.copy() for x in (a, b, c)]
    h = P.h_odd_coset(a, b, c)  # copies
    assert all(np.array_equal(x, y) for x, y in zip((a, b, c), before, strict=True))
    # separate arrays are copied even with overwrite
    sep = [x.copy() for x in (a, b, c)]
    assert np.array_equal(P.h_odd_coset(*sep, overwrite=True), h)
    assert all(np.array_equal(x, y) for x, y in zip(sep, before, strict=True))
    # the stack itself is moved in place: a, b, c then hold the odd-coset values
    assert np.array_equal(P.h_odd_coset(a, b, c, overwrite=True), h)
    shift = P.odd_coset_shift(s.n)
    for x, y in zip((a, b, c), before, strict=True):
        assert np.array_equal(x, N.domain_to_coset(y, shift))
    # out of order rows of the stack are not taken for the stack
    a2, b2, c2 = P.evaluations(records, w, s.n)
    assert np.array_equal(P.h_odd_coset(b2, a2, c2, overwrite=True), h)


# --- the QAP itself, with galois ---------------------------------------------------------------------------


def test_satisfying_witness_gives_a_polynomial_divisible_by_z(GF) -> None:
    s = _synthetic()
    records = P.encode_coefficients(s.terms)
    w = ints_to_array(s.witness, R, montgomery=False)
    a, b, c = P.evaluations(records, w, s.n)
    c_r1cs = _c_dot_w(s.c_terms, s.witness, s.n)
    assert array_to_ints(c, R) == c_r1cs  # a * b = C.w on every row: the witness satisfies
    A, B = (_interpolate(GF, array_to_ints(x, R)) for x in (a, b))
    C = _interpolate(GF, c_r1cs)
    p = A * B - C
    h, rem = divmod(p, _vanishing(GF, s.n))
    assert rem == 0 and p != 0
    # the prover's values are p on the odd coset = h there times Z = x^n - 1 = -2 there
    coset = _domain(GF, s.n, P.odd_coset_shift(s.n))
    got = array_to_ints(P.h_odd_coset(a, b, c), R, montgomery=False)
    assert got == [int(v) for v in p(coset)]
    assert P.vanishing_on_coset(s.n) == R - 2
    assert got == [int(v) * (R - 2) % R for v in h(coset)]


def test_unsatisfying_witness_gives_a_remainder(GF) -> None:
    """A forged witness leaves (A.w)(B.w) - (C.w) with a remainder mod Z. The prover's shortcut
    c = a * b hides that (its p is divisible by construction): the R1CS check has to catch it."""
    s = _synthetic()
    forged = list(s.witness)
    forged[3] = (forged[3] + 1) % R
    records = P.encode_coefficients(s.terms)
    a, b, c = P.evaluations(records, ints_to_array(forged, R, montgomery=False), s.n)
    c_r1cs = _c_dot_w(s.c_terms, forged, s.n)
    assert array_to_ints(c, R) != c_r1cs
    A, B = (_interpolate(GF, array_to_ints(x, R)) for x in (a, b))
    _, rem = divmod(A * B - _interpolate(GF, c_r1cs), _vanishing(GF, s.n))
    assert rem != 0
    _, rem_shortcut = divmod(A * B - _interpolate(GF, array_to_ints(c, R)), _vanishing(GF, s.n))
    assert rem_shortcut == 0


# --- encodings, domains, bad input -------------------------------------------------------------------------


def test_coefficients_are_stored_times_r_squared() -> None:
    vals = [0, 1, 2, R - 1, R - 2, rng.randrange(R)]
    recs = P.encode_coefficients([(0, 0, 0, v) for v in vals])
    r2 = pow(2, 512, R)
    assert [from_limbs(x) for x in recs["value"]] == [v * r2 % R for v in vals]
    assert [decode_coeff(from_limbs(x)) for x in recs["value"]] == vals
    with pytest.raises(P.QapError, match="matrix"):
        P.encode_coefficients([(2, 0, 0, 1)])


def test_section_bodies_and_record_views() -> None:
    recs = P.encode_coefficients([(0, 1, 2, 3), (1, 4, 5, R - 1)])
    body = len(recs).to_bytes(4, "little") + recs.tobytes()
    for given in (body, np.frombuffer(body, dtype=np.uint8)):
        got = P.coefficient_records(given)
        assert got.dtype == COEFF_DTYPE and got.tobytes() == recs.tobytes()
    other = {"names": list("mcsv"), "formats": ["<u4", "<u4", "<u4", ("<u8", (4,))], "offsets": [0, 4, 8, 12]}
    renamed = recs.view(np.dtype({**other, "itemsize": 44}))
    assert P.coefficient_records(renamed).tobytes() == recs.tobytes()
    with pytest.raises(P.QapError, match="2 coefficients"):
        P.coefficient_records(body + b"\0")
    with pytest.raises(P.QapError, match="3 coefficients"):
        P.coefficient_records((3).to_bytes(4, "little") + recs.tobytes())
    with pytest.raises(P.QapError, match="needs 4"):
        P.coefficient_records(b"\1\0")
    with pytest.raises(P.QapError, match="layout"):
        P.coefficient_records(np.zeros(2, dtype=[("a", "<u4"), ("b", "<u8")]))


def test_odd_coset_shifts() -> None:
    for log_n in (0, 1, 10, 27):
        n = 1 << log_n
        g = P.odd_coset_shift(n)
        assert g == N.root_of_unity(log_n + 1) and pow(g, n, R) == R - 1
        assert P.vanishing_on_coset(n) == R - 2
    # no 2^29-th root in Fr: snarkjs shifts the largest domain by Fr.shift = 25 instead
    assert P.odd_coset_shift(1 << 28) == 25
    z = P.vanishing_on_coset(1 << 28)
    assert z == (pow(25, 1 << 28, R) - 1) % R and z != 0  # the coset misses H: Z is invertible there
    with pytest.raises(ValueError, match="domain size"):
        P.odd_coset_shift(1 << 29)


@pytest.mark.parametrize(
    "term, match",
    [
        ((0, 8, 0, 1), "constraint < 8"),
        ((1, 0, 3, 1), "signal < 3"),
        ((2, 0, 0, 1), "matrix 0 or 1"),
    ],
)
def test_records_outside_domain_or_witness_are_rejected(term, match: str) -> None:
    recs = np.zeros(1, dtype=COEFF_DTYPE)
    recs[0] = (term[0], term[1], term[2], (1, 0, 0, 0))
    w = ints_to_array([1, 2, 3], R, montgomery=False)
    with pytest.raises(P.QapError, match=match):
        P.evaluations(recs, w, 8)


@pytest.mark.parametrize("value", [R, R + 1, (1 << 256) - 1])
def test_values_not_below_r_are_rejected(value: int) -> None:
    limbs = tuple((value >> (64 * i)) & ((1 << 64) - 1) for i in range(4))
    recs = np.zeros(1, dtype=COEFF_DTYPE)
    recs[0] = (0, 0, 0, limbs)
    w = ints_to_array([1, 2], R, montgomery=False)
    with pytest.raises(P.QapError, match="value < r"):
        P.evaluations(recs, w, 4)
    bad_w = np.array([[1, 0, 0, 0], limbs], dtype=np.uint64)
    ok = P.encode_coefficients([(0, 0, 1, 1)])
    with pytest.raises(P.QapError, match="witness value 1"):
        P.evaluations(ok, bad_w, 4)


def test_bad_shapes_are_rejected() -> None:
    ok = P.encode_coefficients([(0, 0, 0, 1)])
    with pytest.raises(P.QapError, match="n_vars, 4"):
        P.evaluations(ok, np.zeros((3, 4), dtype=np.int64), 4)
    with pytest.raises(ValueError, match="domain size"):
        P.evaluations(ok, np.zeros((3, 4), dtype=np.uint64), 6)
    x = np.zeros((8, 4), dtype=np.uint64)
    with pytest.raises(P.QapError, match=r"\(8, 4\)"):
        P.h_odd_coset(x, x, np.zeros((4, 4), dtype=np.uint64))


# --- snarkjs -------------------------------------------------------------------------------------------------

CIRCUIT = """pragma circom 2.1.0;

// A chain of quadratic constraints with non-unit coefficients, one public input, one output.
template Chain(N) {
    signal input x;
    signal input k[N];
    signal output out;
    signal t[N + 1];
    t[0] <== x * x + 3 * x - 7;
    for (var i = 0; i < N; i++) {
        t[i + 1] <== (t[i] + 5 * k[i] + 2) * (t[i] - 4 * k[i] + i);
    }
    out <== t[N] * (x + 11);
}

component main {public [x]} = Chain(40);
"""
INPUT = {"x": "3", "k": [str(7 * i + 1) for i in range(40)]}
PTAU_POWER = 8

# The H scalars of snarkjs' prover, by the steps of its src/groth16_prove.js (buildABC1, ifft,
# batchApplyKey, fft, joinABC) on ffjavascript's Fr; writes <out>.a/.b/.c (Montgomery) and .h.
SNARKJS_H = r"""
import * as binFileUtils from "@iden3/binfileutils";
import { buildBn128 } from "ffjavascript";
import fs from "fs";

const [zkeyName, wtnsName, out] = process.argv.slice(2);
const curve = await buildBn128(true);
const Fr = curve.Fr;
const n8 = Fr.n8;
const { fd: fdW, sections: sW } = await binFileUtils.readBinFile(wtnsName, "wtns", 2);
const witness = await binFileUtils.readSection(fdW, sW, 2);
const { fd: fdZ, sections: sZ } = await binFileUtils.readBinFile(zkeyName, "zkey", 1);
const hdr = await binFileUtils.readSection(fdZ, sZ, 2);
const domainSize = new DataView(hdr.buffer, hdr.byteOffset).getUint32(4 + 32 + 4 + 32 + 4 + 4, true);
const coeffs = await binFileUtils.readSection(fdZ, sZ, 4);
const power = Math.log2(domainSize);
const sCoef = 4 * 3 + n8;
const nCoef = (coeffs.byteLength - 4) / sCoef;
const outBuf = [new Uint8Array(domainSize * n8), new Uint8Array(domainSize * n8)];
const outC = new Uint8Array(domainSize * n8);
for (let i = 0; i < nCoef; i++) {
    const buffCoef = coeffs.slice(4 + i * sCoef, 4 + i * sCoef + sCoef);
    const v = new DataView(buffCoef.buffer);
    const m = v.getUint32(0, true), c = v.getUint32(4, true), s = v.getUint32(8, true);
    const coef = buffCoef.slice(12, 12 + n8);
    const term = Fr.mul(coef, witness.slice(s * n8, s * n8 + n8));
    outBuf[m].set(Fr.add(outBuf[m].slice(c * n8, c * n8 + n8), term), c * n8);
}
for (let i = 0; i < domainSize; i++) {
    outC.set(Fr.mul(outBuf[0].slice(i * n8, i * n8 + n8), outBuf[1].slice(i * n8, i * n8 + n8)), i * n8);
}
fs.writeFileSync(out + ".a", outBuf[0]);
fs.writeFileSync(out + ".b", outBuf[1]);
fs.writeFileSync(out + ".c", outC);
const inc = power == Fr.s ? Fr.shift : Fr.w[power + 1];
const odd = [];
for (const buf of [outBuf[0], outBuf[1], outC]) {
    odd.push(await Fr.fft(await Fr.batchApplyKey(await Fr.ifft(buf), Fr.e(1), inc)));
}
const h = new Uint8Array(domainSize * n8);
for (let i = 0; i < domainSize; i++) {
    const e = (x) => odd[x].slice(i * n8, i * n8 + n8);
    h.set(Fr.sub(Fr.mul(e(0), e(1)), e(2)), i * n8);
}
fs.writeFileSync(out + ".h", await Fr.batchFromMontgomery(h));
await fdZ.close();
await fdW.close();
await curve.terminate();
"""


@dataclass(frozen=True)
class Snark:
    dir: Path
    r1cs: Path
    zkey: Path
    wtns: Path
    ptau: Path
    oracle: Path  # prefix of snarkjs' a/b/c/h outputs


def _run(*args: str | os.PathLike, cwd: Path) -> None:
    p = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")


def _build(d: Path) -> None:
    snarkjs, circom = NODE_BIN / "snarkjs", NODE_BIN / "circom2"
    (d / "chain.circom").write_text(CIRCUIT)
    (d / "input.json").write_text(json.dumps(INPUT))
    (d / "snarkjs_h.mjs").write_text(SNARKJS_H)
    _run(circom, "chain.circom", "--r1cs", "--wasm", "-o", ".", cwd=d)
    _run(snarkjs, "powersoftau", "new", "bn128", PTAU_POWER, "pot0.ptau", cwd=d)
    _run(snarkjs, "powersoftau", "contribute", "pot0.ptau", "pot1.ptau", "--name=qap", "-e=hush qap tests", cwd=d)
    _run(snarkjs, "powersoftau", "prepare", "phase2", "pot1.ptau", "pot.ptau", cwd=d)
    _run(snarkjs, "groth16", "setup", "chain.r1cs", "pot.ptau", "chain.zkey", cwd=d)
    _run(snarkjs, "wtns", "calculate", "chain_js/chain.wasm", "input.json", "chain.wtns", cwd=d)
    _run("node", "snarkjs_h.mjs", "chain.zkey", "chain.wtns", "snarkjs", cwd=d)
    (d / "ok").write_text("ok\n")


@pytest.fixture(scope="session")
def snark() -> Snark:
    """A tiny circuit's r1cs, zkey (no phase-2 contribution: delta = 1), witness and snarkjs' H
    scalars, built once per source/tool version under build/test-fixtures/qap/."""
    if shutil.which("node") is None or not (NODE_BIN / "snarkjs").exists() or not (NODE_BIN / "circom2").exists():
        pytest.skip("node, circom2 and snarkjs are needed: run `make node`")
    versions = [
        json.loads((ROOT / "node_modules" / m / "package.json").read_text())["version"] for m in ("snarkjs", "circom2")
    ]
    key = hashlib.sha256("\0".join([CIRCUIT, json.dumps(INPUT), SNARKJS_H, str(PTAU_POWER), *versions]).encode())
    d = FIXTURES / key.hexdigest()[:16]
    if not (d / "ok").exists():
        FIXTURES.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".build-", dir=FIXTURES))
        try:
            _build(tmp)
            try:
                os.rename(tmp, d)
            except OSError:  # another session finished first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return Snark(d, d / "chain.r1cs", d / "chain.zkey", d / "chain.wtns", d / "pot.ptau", d / "snarkjs")


def _witness(path: Path) -> np.ndarray:
    return read_wtns(path)


def _oracle(snark: Snark, name: str) -> np.ndarray:
    return np.fromfile(f"{snark.oracle}.{name}", dtype="<u8").reshape(-1, 4)


@pytest.mark.interop
@pytest.mark.parametrize("parallel", [False, True])
def test_h_matches_snarkjs_byte_for_byte(snark: Snark, parallel: bool) -> None:
    z = read_zkey(snark.zkey)
    w = _witness(snark.wtns)
    assert w.shape == (z.n_vars, 4)
    a, b, c = P.evaluations(z.coeffs, w, z.domain_size, parallel=parallel)
    for name, x in (("a", a), ("b", b), ("c", c)):
        assert np.array_equal(x, _oracle(snark, name)), name
    h = P.h_odd_coset(a, b, c, parallel=parallel)
    assert np.array_equal(h, _oracle(snark, "h"))
    assert np.array_equal(P.compute_h(z.coeffs, w, z.domain_size), h)
    assert P.compute_h_reference(
        _stored(P.coefficient_records(z.coeffs)), array_to_ints(w, R, False), z.domain_size
    ) == array_to_ints(h, R, montgomery=False)


def _r1cs(snark: Snark):
    return read_r1cs(snark.r1cs)


@pytest.mark.interop
def test_zkey_coefficients_are_the_r1cs_rows(snark: Snark) -> None:
    """Section 4 = the .r1cs's A and B (values times R^2) plus A = w_s on the public-input rows."""
    z = read_zkey(snark.zkey)
    r1cs = _r1cs(snark)
    assert z.n_public == r1cs.n_public == 2
    assert r1cs.n_constraints + z.n_public + 1 <= z.domain_size
    expected = []
    for mat, coo in ((P.MATRIX_A, r1cs.A), (P.MATRIX_B, r1cs.B)):
        expected += [(mat, int(i), int(s), v) for i, s, v in zip(coo.rows, coo.cols, coo.coeff_ints(), strict=True)]
    expected += [(P.MATRIX_A, r1cs.n_constraints + s, s, 1) for s in range(z.n_public + 1)]
    recs = P.coefficient_records(z.coeffs)
    got = [(m, c, s, decode_coeff(from_limbs(r["value"]))) for r, (m, c, s, _) in zip(recs, _stored(recs), strict=True)]
    assert sorted(got) == sorted(expected)
    assert any(v not in (1, R - 1) for *_, v in got)  # non-trivial coefficients took part


@pytest.mark.interop
def test_circuit_qap_divisible_iff_witness_satisfies(snark: Snark, GF) -> None:
    z = read_zkey(snark.zkey)
    r1cs = _r1cs(snark)
    n = z.domain_size
    good = array_to_ints(_witness(snark.wtns), R, montgomery=False)
    forged = list(good)
    forged[-1] = (forged[-1] + 1) % R  # an internal signal
    Zx = _vanishing(GF, n)
    c_terms = list(zip(r1cs.C.rows.tolist(), r1cs.C.cols.tolist(), r1cs.C.coeff_ints(), strict=True))
    for witness, satisfied in ((good, True), (forged, False)):
        a, b, c = P.evaluations(z.coeffs, ints_to_array(witness, R, montgomery=False), n)
        c_r1cs = _c_dot_w(c_terms, witness, n)
        assert (array_to_ints(c, R) == c_r1cs) is satisfied
        p = _interpolate(GF, array_to_ints(a, R)) * _interpolate(GF, array_to_ints(b, R)) - _interpolate(GF, c_r1cs)
        hx, rem = divmod(p, Zx)
        assert (rem == 0) is satisfied
        if satisfied:
            coset = _domain(GF, n, P.odd_coset_shift(n))
            h = array_to_ints(P.h_odd_coset(a, b, c), R, montgomery=False)
            assert h == [int(v) * P.vanishing_on_coset(n) % R for v in hx(coset)]


def _g1_points(points: np.ndarray) -> list[tuple[int, int]]:
    """Affine G1 points from (count, 2, 4) Montgomery limbs (as .zkey/.ptau store them)."""
    rinv = pow(1 << 256, -1, Q)
    return [(from_limbs(p[0]) * rinv % Q, from_limbs(p[1]) * rinv % Q) for p in points]


@pytest.mark.interop
@pytest.mark.slow
def test_h_points_fold_the_division_by_z(snark: Snark, GF) -> None:
    """MSM(zkey section 9, h) = p(tau) G1 = sum_i p_i [tau^i]G1 with p = AB - C: the H points are the
    odd-position Lagrange points of H_2n, so the prover's coset values need no division by Z."""
    from py_ecc.optimized_bn128 import FQ, Z1, add, eq, multiply

    z = read_zkey(snark.zkey)
    n = z.domain_size
    w = _witness(snark.wtns)
    a, b, c = P.evaluations(z.coeffs, w, n)
    h = array_to_ints(P.compute_h(z.coeffs, w, n), R, montgomery=False)
    p = _interpolate(GF, array_to_ints(a, R)) * _interpolate(GF, array_to_ints(b, R)) - _interpolate(
        GF, array_to_ints(c, R)
    )
    coeffs = [int(v) for v in p.coeffs[::-1]]
    assert len(coeffs) <= 2 * n - 1
    tau_g1 = _g1_points(read_ptau(snark.ptau).tau_g1[: len(coeffs)])
    h_points = _g1_points(z.h_query)

    def msm(points, scalars):
        acc = Z1
        for (x, y), k in zip(points, scalars, strict=True):
            if k:
                acc = add(acc, multiply((FQ(x), FQ(y), FQ(1)), k))
        return acc

    assert eq(msm(h_points, h), msm(tau_g1, coeffs))
