"""Groth16 proving keys in snarkjs' .zkey format (`snarkjs/src/zkey_utils.js`, `zkey_new.js`).

Groth, "On the Size of Pairing-based Non-interactive Arguments", EUROCRYPT 2016 (eprint 2016/260).
Field names follow the paper / arkworks `ProvingKey`; snarkjs' section names in brackets.

Sections (container: `binfile`, magic b"zkey", version 1):

     1 HEADER         protocol id u32 (1 = Groth16; PLONK and FFLONK keys are rejected)
     2 GROTH_HEADER   n8q u32 | q | n8r u32 | r | nVars u32 | nPublic u32 | domainSize u32
                      | alpha_g1 | beta_g1 | beta_g2 | gamma_g2 | delta_g1 | delta_g2
     3 IC             gamma_abc_g1: nPublic + 1 G1 points, (beta*A_i + alpha*B_i + C_i)(tau) / gamma
     4 COEFFS         nCoeffs u32, then nCoeffs packed 44-byte records (see below)
     5 A              a_query: nVars G1 points A_i(tau)
     6 B1             b_g1_query: nVars G1 points B_i(tau)
     7 B2             b_g2_query: nVars G2 points B_i(tau)
     8 C              l_query: nVars - nPublic - 1 G1 points (beta*A_i + alpha*B_i + C_i)(tau) / delta
                      for the private wires i = nPublic + 1 ..
     9 H              h_query: domainSize G1 points. NOT tau^i Z(tau) / delta: snarkjs stores the
                      Lagrange basis of the odd coset of the 2n-th roots of unity (prepared ptau
                      section 12 at power+1, odd indices) divided by delta, and its prover
                      multiplies them with the values of A.w * B.w - C.w on that coset.
    10 CONTRIBUTIONS  csHash (64 bytes, BLAKE2b-512 circuit hash) | n u32 | n contribution records

Point layout (the in-memory representation, as numpy views of the mapped file):
    G1: (.., 2, 4) uint64 = x, y; G2: (.., 2, 2, 4) uint64 = (x.c0, x.c1), (y.c0, y.c1).
    Every coordinate is 4 little-endian 64-bit limbs in Montgomery form (x * 2^256 mod q).
    The point at infinity is stored as all zeros (it happens: a wire that never appears in A
    has A_i(tau) = 0, so its a_query entry is infinity).

Coefficient records (section 4), a packed structured view `COEFF_DTYPE`:
    matrix u32 (0 = A, 1 = B; C is not stored, the prover derives C.w from the witness as
    circom's constraints are A*B = C) | constraint u32 | signal u32 | value 32 bytes LE.
    The order is zkey_new's: constraint by constraint, its A terms then its B terms (in R1CS file
    order), then one A term (nConstraints + i, i, 1) for every i in 0..nPublic — the extra
    constraints that make the public inputs linearly independent (Groth16 needs it, and they give
    IC its "beta*A_i" part).
    ENCODING of value: the 32-byte integer is c * R^2 mod r with R = 2^256, where c is the R1CS
    coefficient. Read as a Montgomery-form element it represents c*R: "Montgomery times R"
    (`zkey_new.js`: Fr.mul(c, R2r) then Fr.toRprLE, i.e. the standard form of c*R^2). That is so
    a prover can multiply it directly with a STANDARD-form witness value w (as read from .wtns)
    with one Montgomery multiplication: mont_mul(c*R^2, w) = c*w*R, which is c*w in Montgomery
    form. So A.w for constraint k is sum over records (matrix 0, constraint k) of
    mont_mul(value, w[signal]), already in Montgomery form; no witness conversion is needed.
    `decode_coeff` / `encode_coeff` convert to and from the plain coefficient c.

Contribution records (section 10; `zkey_utils.js` writeContribution), one per MPC participant:
    delta_after G1 | g1_s G1 | g1_sx G1 | g2_spx G2 | transcript 64 bytes | type u32
    | paramLength u32 | params: (1, len, name utf-8) (2, numIterationsExp) (3, len, beaconHash),
    ids strictly increasing; type 1 (beacon) carries 2 and 3. Points in Montgomery form.

Every coordinate is checked to be below q and every coefficient below r on reading (a cheap
numba scan). Curve and subgroup membership is NOT checked here (that is `bn254`'s job; verify keys
with `snarkjs zkey verify` or our setup's verifier).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bn254.constants import X_BN
from bn254.fields import fr_from_mont_array, fr_to_mont_array

from ._kernels import first_not_below_r
from ._shared import G1_BYTES, G2_BYTES, check_q, encode_params, points_for_write, read_params
from .binfile import FormatError, Part, SectionReader, read_binfile, write_binfile
from .encoding import (
    N8,
    Q,
    R,
    g1_from_limbs,
    g2_from_limbs,
    ints_to_limbs,
    limbs_to_ints,
)

__all__ = [
    "Zkey",
    "ZkeyContribution",
    "read_zkey",
    "write_zkey",
    "verification_key_json",
    "COEFF_DTYPE",
    "coeffs_from_r1cs",
    "encode_coeff",
    "decode_coeff",
    "decode_coeff_limbs",
    "encode_params",
    "GROTH16_PROTOCOL_ID",
    "SECTIONS",
    "NEW_ZKEY_ORDER",
    "SNARKJS_PAIRING_EXPONENT",
    "py_ecc_pairing",
    "coeff_ints",
    "HEADER",
    "GROTH_HEADER",
    "IC",
    "COEFFS",
    "A",
    "B1",
    "B2",
    "C",
    "H",
    "CONTRIBUTIONS",
]

MAGIC = b"zkey"
VERSION = 1
GROTH16_PROTOCOL_ID = 1
HEADER = 1
GROTH_HEADER = 2
IC = 3
COEFFS = 4
A = 5
B1 = 6
B2 = 7
C = 8
H = 9
CONTRIBUTIONS = 10
SECTIONS = (HEADER, GROTH_HEADER, IC, COEFFS, A, B1, B2, C, H, CONTRIBUTIONS)
NEW_ZKEY_ORDER = (HEADER, GROTH_HEADER, COEFFS, IC, H, C, A, B1, B2, CONTRIBUTIONS)
"""The order `snarkjs groth16 setup` (zkey_new.js) writes; contributions rewrite in id order."""


COEFF_DTYPE = np.dtype([("matrix", "<u4"), ("constraint", "<u4"), ("signal", "<u4"), ("value", "<u8", (4,))])
"""One section-4 record, packed (44 bytes), exactly as on disk."""
assert COEFF_DTYPE.itemsize == 12 + N8

_R2 = pow(2, 512, R)
_R2_INV = pow(_R2, -1, R)

def encode_coeff(c: int) -> int:
    """The section-4 integer for R1CS coefficient c: c * R^2 mod r (see the module docstring)."""
    if not 0 <= c < R:
        raise ValueError(f"coefficient {c} is not in [0, r)")
    return c * _R2 % R


def decode_coeff(v: int) -> int:
    """The R1CS coefficient c of a section-4 integer v = c * R^2 mod r."""
    return v * _R2_INV % R


def decode_coeff_limbs(values: np.ndarray) -> np.ndarray:
    """Section-4 values (n, 4) -> plain coefficients (n, 4), standard form (two Montgomery reductions)."""
    v = np.ascontiguousarray(values, dtype=np.uint64)
    return fr_from_mont_array(fr_from_mont_array(v))


@dataclass(frozen=True, eq=False)
class ZkeyContribution:
    """One phase-2 (delta) contribution: the public key proving knowledge of the delta multiplier."""

    delta_after: np.ndarray
    """(2, 4) G1: delta_g1 after this contribution."""
    g1_s: np.ndarray
    g1_sx: np.ndarray
    g2_spx: np.ndarray
    """(2, 2, 4) G2: hashToG2(transcript) * x."""
    transcript: bytes
    """64 bytes: BLAKE2b-512 of csHash, earlier contributions' public keys, g1_s and g1_sx."""
    type: int = 0
    """0 = a random contribution, 1 = a beacon."""
    name: str | None = None
    num_iterations_exp: int | None = None
    beacon_hash: bytes | None = None


@dataclass(frozen=True, eq=False)
class Zkey:
    """A Groth16 proving key. Point arrays: Montgomery limbs, G1 (.., 2, 4), G2 (.., 2, 2, 4)."""

    n_vars: int
    n_public: int
    domain_size: int
    alpha_g1: np.ndarray
    beta_g1: np.ndarray
    beta_g2: np.ndarray
    gamma_g2: np.ndarray
    delta_g1: np.ndarray
    delta_g2: np.ndarray
    gamma_abc_g1: np.ndarray
    """[IC] (n_public + 1, 2, 4)."""
    coeffs: np.ndarray
    """[Coefs] (n_coeffs,) COEFF_DTYPE records; coeffs["value"] is (n_coeffs, 4) uint64, c*R^2 mod r."""
    a_query: np.ndarray
    """[A] (n_vars, 2, 4)."""
    b_g1_query: np.ndarray
    """[B1] (n_vars, 2, 4)."""
    b_g2_query: np.ndarray
    """[B2] (n_vars, 2, 2, 4)."""
    l_query: np.ndarray
    """[C] (n_vars - n_public - 1, 2, 4), for wires n_public + 1 .. n_vars - 1."""
    h_query: np.ndarray
    """[H] (domain_size, 2, 4): odd-coset Lagrange points / delta (see the module docstring)."""
    cs_hash: bytes
    contributions: tuple[ZkeyContribution, ...] = ()
    section_order: tuple[int, ...] = field(default=SECTIONS)

    @property
    def power(self) -> int:
        return self.domain_size.bit_length() - 1

    # snarkjs' names, for readers of zkey_utils.js
    @property
    def IC(self) -> np.ndarray:  # noqa: N802
        return self.gamma_abc_g1

    @property
    def A(self) -> np.ndarray:  # noqa: N802
        return self.a_query

    @property
    def B1(self) -> np.ndarray:  # noqa: N802
        return self.b_g1_query

    @property
    def B2(self) -> np.ndarray:  # noqa: N802
        return self.b_g2_query

    @property
    def C(self) -> np.ndarray:  # noqa: N802
        return self.l_query

    @property
    def H(self) -> np.ndarray:  # noqa: N802
        return self.h_query


# --- reading ------------------------------------------------------------------------------------


def _g1(r: SectionReader, what: str) -> np.ndarray:
    return r.array("<u8", (2, 4), what)


def _g2(r: SectionReader, what: str) -> np.ndarray:
    return r.array("<u8", (2, 2, 4), what)


def read_zkey(path: str | os.PathLike) -> Zkey:
    """Map and parse a Groth16 .zkey strictly; point and coefficient arrays are views of the file."""
    f = read_binfile(path, MAGIC, VERSION, known=SECTIONS, required=SECTIONS)
    h = f.reader(HEADER)
    proto = h.u32("protocol id")
    h.end()
    if proto != GROTH16_PROTOCOL_ID:
        raise FormatError(f"{path}: expected a Groth16 key (protocol id 1), got protocol id {proto}")

    g = f.reader(GROTH_HEADER)
    n8q = g.u32("n8q")
    if n8q != N8:
        raise FormatError(f"{path}: expected n8q = {N8}, got {n8q}")
    q = g.bigint(n8q, "q")
    n8r = g.u32("n8r")
    if n8r != N8:
        raise FormatError(f"{path}: expected n8r = {N8}, got {n8r}")
    r = g.bigint(n8r, "r")
    if q != Q or r != R:
        raise FormatError(f"{path}: expected BN254 (q = {Q}, r = {R}), got q = {q}, r = {r}")
    n_vars = g.u32("nVars")
    n_public = g.u32("nPublic")
    domain_size = g.u32("domainSize")
    alpha_g1 = _g1(g, "alpha_g1")
    beta_g1 = _g1(g, "beta_g1")
    beta_g2 = _g2(g, "beta_g2")
    gamma_g2 = _g2(g, "gamma_g2")
    delta_g1 = _g1(g, "delta_g1")
    delta_g2 = _g2(g, "delta_g2")
    g.end()
    if n_public + 1 > n_vars:
        raise FormatError(f"{path}: nPublic = {n_public} needs more than nVars = {n_vars} wires")
    if domain_size == 0 or domain_size & (domain_size - 1):
        raise FormatError(f"{path}: domainSize {domain_size} is not a power of two")

    def points(section: int, count: int, shape: tuple[int, ...], size: int) -> np.ndarray:
        body = f.body(section, count * size)
        return body.view("<u8").reshape((count, *shape))

    gamma_abc_g1 = points(IC, n_public + 1, (2, 4), G1_BYTES)
    a_query = points(A, n_vars, (2, 4), G1_BYTES)
    b_g1_query = points(B1, n_vars, (2, 4), G1_BYTES)
    b_g2_query = points(B2, n_vars, (2, 2, 4), G2_BYTES)
    l_query = points(C, n_vars - n_public - 1, (2, 4), G1_BYTES)
    h_query = points(H, domain_size, (2, 4), G1_BYTES)

    cr = f.reader(COEFFS)
    n_coeffs = cr.u32("nCoeffs")
    if cr.remaining != n_coeffs * COEFF_DTYPE.itemsize:
        raise FormatError(
            f"{path}: expected section {COEFFS} of {4 + n_coeffs * COEFF_DTYPE.itemsize} bytes "
            f"({n_coeffs} coefficients), it has {cr.size}"
        )
    coeffs = cr.take(n_coeffs * COEFF_DTYPE.itemsize, "coefficients").view(COEFF_DTYPE)
    cr.end()
    if n_coeffs:
        if int(coeffs["matrix"].max()) > 1:
            raise FormatError(f"{path}: coefficient matrix ids must be 0 (A) or 1 (B)")
        if int(coeffs["signal"].max()) >= n_vars:
            raise FormatError(f"{path}: a coefficient refers to a signal >= nVars = {n_vars}")
        if int(coeffs["constraint"].max()) >= domain_size:
            raise FormatError(f"{path}: a coefficient refers to a constraint >= domainSize = {domain_size}")
        bad = first_not_below_r(np.ascontiguousarray(coeffs["value"]))
        if bad >= 0:
            raise FormatError(f"{path}: coefficient {bad} is not below r")

    for sid, arr in ((GROTH_HEADER, np.concatenate([x.reshape(-1, 4) for x in
                                                    (alpha_g1, beta_g1, beta_g2, gamma_g2, delta_g1, delta_g2)])),
                     (IC, gamma_abc_g1), (A, a_query), (B1, b_g1_query), (B2, b_g2_query), (C, l_query),
                     (H, h_query)):
        check_q(path, sid, arr)

    m = f.reader(CONTRIBUTIONS)
    cs_hash = m.take(64, "csHash").tobytes()
    n_contrib = m.u32("number of contributions")
    contributions = []
    for i in range(n_contrib):
        where = f"{path}: contribution {i}"
        delta_after = _g1(m, "deltaAfter")
        g1_s = _g1(m, "g1_s")
        g1_sx = _g1(m, "g1_sx")
        g2_spx = _g2(m, "g2_spx")
        transcript = m.take(64, "transcript").tobytes()
        ctype = m.u32("type")
        name, iters, beacon = read_params(m, where)
        for arr in (delta_after, g1_s, g1_sx, g2_spx):
            check_q(path, CONTRIBUTIONS, arr)
        contributions.append(ZkeyContribution(delta_after, g1_s, g1_sx, g2_spx, transcript, ctype, name, iters, beacon))
    m.end()

    return Zkey(
        n_vars=n_vars,
        n_public=n_public,
        domain_size=domain_size,
        alpha_g1=alpha_g1,
        beta_g1=beta_g1,
        beta_g2=beta_g2,
        gamma_g2=gamma_g2,
        delta_g1=delta_g1,
        delta_g2=delta_g2,
        gamma_abc_g1=gamma_abc_g1,
        coeffs=coeffs,
        a_query=a_query,
        b_g1_query=b_g1_query,
        b_g2_query=b_g2_query,
        l_query=l_query,
        h_query=h_query,
        cs_hash=cs_hash,
        contributions=tuple(contributions),
        section_order=f.order,
    )


# --- writing ------------------------------------------------------------------------------------


def write_zkey(zkey: Zkey, path: str | os.PathLike) -> None:
    """Write `zkey` in `zkey.section_order` (default: ids 1..10, as `snarkjs zkey contribute` does)."""
    z = zkey
    if sorted(z.section_order) != sorted(SECTIONS):
        raise ValueError(f"section_order must be a permutation of {SECTIONS}, got {z.section_order}")
    if z.domain_size <= 0 or z.domain_size & (z.domain_size - 1):
        raise ValueError(f"domain_size {z.domain_size} is not a power of two")
    if len(z.cs_hash) != 64:
        raise ValueError(f"cs_hash must be 64 bytes, got {len(z.cs_hash)}")
    g1, g2 = (2, 4), (2, 2, 4)
    header: list[Part] = [
        N8.to_bytes(4, "little"), Q.to_bytes(N8, "little"), N8.to_bytes(4, "little"), R.to_bytes(N8, "little"),
        z.n_vars.to_bytes(4, "little"), z.n_public.to_bytes(4, "little"), z.domain_size.to_bytes(4, "little"),
    ]
    header += [
        points_for_write(getattr(z, name), g2 if name.endswith("g2") else g1, name)
        for name in ("alpha_g1", "beta_g1", "beta_g2", "gamma_g2", "delta_g1", "delta_g2")
    ]
    coeffs = np.asarray(z.coeffs)
    if coeffs.dtype != COEFF_DTYPE:
        raise ValueError(f"coeffs must have dtype COEFF_DTYPE, got {coeffs.dtype}")
    if len(coeffs) and first_not_below_r(np.ascontiguousarray(coeffs["value"])) >= 0:
        raise ValueError("a coefficient value is not below r")
    contrib: list[Part] = [z.cs_hash, len(z.contributions).to_bytes(4, "little")]
    for i, c in enumerate(z.contributions):
        if len(c.transcript) != 64:
            raise ValueError(f"contribution {i}: transcript must be 64 bytes, got {len(c.transcript)}")
        contrib += [
            points_for_write(c.delta_after, g1, f"contribution {i} delta_after"),
            points_for_write(c.g1_s, g1, f"contribution {i} g1_s"),
            points_for_write(c.g1_sx, g1, f"contribution {i} g1_sx"),
            points_for_write(c.g2_spx, g2, f"contribution {i} g2_spx"),
            c.transcript,
            c.type.to_bytes(4, "little"),
            encode_params(c.type, c.name, c.num_iterations_exp, c.beacon_hash),
        ]
    parts: dict[int, list[Part]] = {
        HEADER: [GROTH16_PROTOCOL_ID.to_bytes(4, "little")],
        GROTH_HEADER: header,
        IC: [points_for_write(z.gamma_abc_g1, g1, "gamma_abc_g1", z.n_public + 1)],
        COEFFS: [len(coeffs).to_bytes(4, "little"), np.ascontiguousarray(coeffs)],
        A: [points_for_write(z.a_query, g1, "a_query", z.n_vars)],
        B1: [points_for_write(z.b_g1_query, g1, "b_g1_query", z.n_vars)],
        B2: [points_for_write(z.b_g2_query, g2, "b_g2_query", z.n_vars)],
        C: [points_for_write(z.l_query, g1, "l_query", z.n_vars - z.n_public - 1)],
        H: [points_for_write(z.h_query, g1, "h_query", z.domain_size)],
        CONTRIBUTIONS: contrib,
    }
    write_binfile(path, MAGIC, VERSION, [(s, parts[s]) for s in z.section_order])


def coeffs_from_r1cs(r1cs) -> np.ndarray:
    """Section 4 as `snarkjs groth16 setup` builds it from an R1CS (see the module docstring).

    `r1cs` is a `prover.formats.r1cs.R1CS`. Returns a COEFF_DTYPE array."""
    n_public = r1cs.n_public
    rows = np.concatenate([r1cs.A.rows, r1cs.B.rows, np.full(n_public + 1, r1cs.n_constraints, np.int64)])
    mats = np.concatenate([np.zeros(r1cs.A.nnz, np.int64), np.ones(r1cs.B.nnz, np.int64),
                           np.zeros(n_public + 1, np.int64)])
    cols = np.concatenate([r1cs.A.cols, r1cs.B.cols, np.arange(n_public + 1)])
    vals = np.concatenate([r1cs.A.coeffs, r1cs.B.coeffs, ints_to_limbs([1] * (n_public + 1))]).reshape(-1, 4)
    # constraint by constraint, A before B, file order within each (a stable sort keeps it)
    order = np.lexsort((mats, rows))
    out = np.empty(len(rows), dtype=COEFF_DTYPE)
    out["matrix"] = mats[order]
    out["constraint"] = rows[order] + np.where(rows[order] == r1cs.n_constraints, cols[order], 0)
    out["signal"] = cols[order]
    out["value"] = fr_to_mont_array(fr_to_mont_array(np.ascontiguousarray(vals[order])))  # c * R^2
    return out


# --- verification key -----------------------------------------------------------------------------

Fq12Tower = list[list[list[int]]]
"""An Fq12 element as snarkjs prints it: [c0, c1] over Fq6, each [d0, d1, d2] over Fq2, each [a, b]
(a + b*u); Fq12 = Fq6[w]/(w^2 - v), Fq6 = Fq2[v]/(v^3 - (9 + u)), Fq2 = Fq[u]/(u^2 + 1)."""

PairingFn = Callable[[tuple[int, int], tuple[tuple[int, int], tuple[int, int]]], Fq12Tower]


SNARKJS_PAIRING_EXPONENT = 2 * X_BN * (6 * X_BN**2 + 3 * X_BN + 1) % R
"""snarkjs' pairing (wasmcurves) uses the final exponentiation of Fuentes-Castaneda, Knapp and
Rodriguez-Henriquez ("Faster hashing to G2", SAC 2011), whose hard part computes a fixed power of
the canonical reduced pairing: its e(P, Q) is py_ecc's e(P, Q) ** (2x(6x^2 + 3x + 1)) (x the BN
parameter); checked against `snarkjs zkey export verificationkey` in the tests. Any consistent
power keeps the verifier's equation sound, but vk_alphabeta_12 must match snarkjs' bytes."""


def py_ecc_pairing(p: tuple[int, int], q: tuple[tuple[int, int], tuple[int, int]]) -> Fq12Tower:
    """e(p, q) as snarkjs computes it, with py_ecc (slow: about a second), in snarkjs' tower layout.

    py_ecc represents Fq12 as Fq[w]/(w^12 - 18 w^6 + 82); the tower has u = w^6 - 9, v = w^2. An
    element sum_{i<2, j<3} w^i v^j (a_ij + b_ij u) has w-coefficients c_{i+2j} = a_ij - 9 b_ij and
    c_{i+2j+6} = b_ij."""
    from py_ecc.optimized_bn128 import FQ, FQ2, pairing

    e = pairing((FQ2(list(q[0])), FQ2(list(q[1])), FQ2.one()), (FQ(p[0]), FQ(p[1]), FQ.one()))
    e = e**SNARKJS_PAIRING_EXPONENT
    c = [int(x) for x in e.coeffs]
    out = []
    for i in range(2):
        row = []
        for j in range(3):
            k = i + 2 * j
            b = c[k + 6] % Q
            a = (c[k] + 9 * c[k + 6]) % Q
            row.append([a, b])
        out.append(row)
    return out


def _g1_obj(a: np.ndarray) -> list[str]:
    p = g1_from_limbs(a)
    if p is None:
        return ["0", "1", "0"]
    return [str(p[0]), str(p[1]), "1"]


def _g2_obj(a: np.ndarray) -> list[list[str]]:
    p = g2_from_limbs(a)
    if p is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = p
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def verification_key_json(zkey: Zkey, pairing: PairingFn | None = None) -> dict:
    """The dict `snarkjs zkey export verificationkey` writes (same keys, order and string encoding).

    vk_alphabeta_12 = e(alpha_g1, beta_g2) needs a pairing: `pairing(p, q)` gets standard-form
    affine points and returns the tower layout `Fq12Tower`; default: py_ecc (slow but exact)."""
    alpha = g1_from_limbs(zkey.alpha_g1)
    beta = g2_from_limbs(zkey.beta_g2)
    if alpha is None or beta is None:
        raise ValueError("alpha_g1 or beta_g2 is the point at infinity")
    e = (pairing or py_ecc_pairing)(alpha, beta)
    return {
        "protocol": "groth16",
        "curve": "bn128",
        "nPublic": zkey.n_public,
        "vk_alpha_1": _g1_obj(zkey.alpha_g1),
        "vk_beta_2": _g2_obj(zkey.beta_g2),
        "vk_gamma_2": _g2_obj(zkey.gamma_g2),
        "vk_delta_2": _g2_obj(zkey.delta_g2),
        "vk_alphabeta_12": [[[str(x) for x in fq2] for fq2 in fq6] for fq6 in e],
        "IC": [_g1_obj(p) for p in zkey.gamma_abc_g1],
    }


def coeff_ints(zkey: Zkey) -> list[tuple[int, int, int, int]]:
    """(matrix, constraint, signal, plain coefficient) of every record, decoded (slow; for tests)."""
    vals = limbs_to_ints(np.ascontiguousarray(zkey.coeffs["value"]))
    return [
        (int(m), int(c), int(s), decode_coeff(v))
        for m, c, s, v in zip(zkey.coeffs["matrix"], zkey.coeffs["constraint"], zkey.coeffs["signal"], vals,
                              strict=True)
    ]
