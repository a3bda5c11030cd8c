"""Powers of tau in snarkjs' .ptau format (`snarkjs/src/powersoftau_*.js`).

Phase 1 of the Groth16 setup (Bowe, Gabizon, Miers, "Scalable multi-party computation for zk-SNARK
parameters in the random beacon model", eprint 2017/1050). n = 2^power.

Sections (container: `binfile`, magic b"ptau", version 1):

     1 HEADER           n8 u32 | q n8 bytes | power u32 | ceremonyPower u32
     2 TAU_G1           2n - 1 G1 points tau^i
     3 TAU_G2           n G2 points tau^i
     4 ALPHA_TAU_G1     n G1 points alpha * tau^i
     5 BETA_TAU_G1      n G1 points beta * tau^i
     6 BETA_G2          one G2 point beta
     7 CONTRIBUTIONS    count u32, then contribution records (below)
    12 LAGRANGE_TAU_G1  after `powersoftau prepare phase2`: for each p = 0 .. power + 1, the 2^p
                        points L_i(tau) of the size-2^p domain, concatenated (2^(power+2) - 1
                        points; the p = power + 1 block is computed from tau^0..tau^(2n-2) and
                        infinity, zkey_new uses its odd entries for H)
    13 LAGRANGE_TAU_G2  p = 0 .. power: 2^(power+1) - 1 G2 points
    14 LAGRANGE_ALPHA   p = 0 .. power: 2^(power+1) - 1 G1 points alpha * L_i(tau)
    15 LAGRANGE_BETA    p = 0 .. power: 2^(power+1) - 1 G1 points beta * L_i(tau)
    Sections 12-15 are all present (a prepared file) or all absent; `Ptau.lagrange(section, p)`
    slices the block of domain size 2^p (it starts at point 2^p - 1).

Points as in `zkey`: Montgomery-form little-endian limbs, G1 (.., 2, 4), G2 (.., 2, 2, 4), the
point at infinity all zeros. Arrays are views of the mapped file.

Contribution record (`powersoftau_utils.js` writeContribution):
    tauG1 G1 | tauG2 G2 | alphaG1 G1 | betaG1 G1 | betaG2 G2
    | public key: tau.g1_s, tau.g1_sx, alpha.g1_s, alpha.g1_sx, beta.g1_s, beta.g1_sx (G1),
                  tau.g2_spx, alpha.g2_spx, beta.g2_spx (G2)
    | partialHash 216 bytes (BLAKE2b state) | nextChallenge 64 bytes | type u32
    | paramLength u32 + params (as in zkey contributions).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from ._shared import G1_BYTES, G2_BYTES, check_q, encode_params, points_for_write, read_params
from .binfile import FormatError, Part, SectionReader, read_binfile, write_binfile
from .encoding import N8, Q

__all__ = [
    "Ptau",
    "PtauContribution",
    "PtauPublicKey",
    "read_ptau",
    "write_ptau",
    "HEADER",
    "TAU_G1",
    "TAU_G2",
    "ALPHA_TAU_G1",
    "BETA_TAU_G1",
    "BETA_G2",
    "CONTRIBUTIONS",
    "LAGRANGE_TAU_G1",
    "LAGRANGE_TAU_G2",
    "LAGRANGE_ALPHA_TAU_G1",
    "LAGRANGE_BETA_TAU_G1",
]

MAGIC = b"ptau"
VERSION = 1
HEADER = 1
TAU_G1 = 2
TAU_G2 = 3
ALPHA_TAU_G1 = 4
BETA_TAU_G1 = 5
BETA_G2 = 6
CONTRIBUTIONS = 7
LAGRANGE_TAU_G1 = 12
LAGRANGE_TAU_G2 = 13
LAGRANGE_ALPHA_TAU_G1 = 14
LAGRANGE_BETA_TAU_G1 = 15
PHASE1 = (HEADER, TAU_G1, TAU_G2, ALPHA_TAU_G1, BETA_TAU_G1, BETA_G2, CONTRIBUTIONS)
LAGRANGE = (LAGRANGE_TAU_G1, LAGRANGE_TAU_G2, LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1)

PARTIAL_HASH_BYTES = 216
CHALLENGE_BYTES = 64
MAX_POWER = 28
"""r - 1 has 2-adicity 28: no larger evaluation domain exists."""


@dataclass(frozen=True, eq=False)
class PtauPublicKey:
    """A contributor's proof of knowledge of (tau, alpha, beta): g1_s, g1_s*x in G1, g2_sp*x in G2."""

    tau_g1_s: np.ndarray
    tau_g1_sx: np.ndarray
    alpha_g1_s: np.ndarray
    alpha_g1_sx: np.ndarray
    beta_g1_s: np.ndarray
    beta_g1_sx: np.ndarray
    tau_g2_spx: np.ndarray
    alpha_g2_spx: np.ndarray
    beta_g2_spx: np.ndarray


@dataclass(frozen=True, eq=False)
class PtauContribution:
    tau_g1: np.ndarray
    """(2, 4) tau * G1 after this contribution."""
    tau_g2: np.ndarray
    alpha_g1: np.ndarray
    beta_g1: np.ndarray
    beta_g2: np.ndarray
    key: PtauPublicKey
    partial_hash: bytes
    """216 bytes: the BLAKE2b-512 state over the response so far (snarkjs misc.fromPartialHash)."""
    next_challenge: bytes
    """64 bytes."""
    type: int = 0
    name: str | None = None
    num_iterations_exp: int | None = None
    beacon_hash: bytes | None = None


@dataclass(frozen=True, eq=False)
class Ptau:
    power: int
    ceremony_power: int
    tau_g1: np.ndarray
    """(2n - 1, 2, 4)."""
    tau_g2: np.ndarray
    """(n, 2, 2, 4)."""
    alpha_tau_g1: np.ndarray
    beta_tau_g1: np.ndarray
    beta_g2: np.ndarray
    """(2, 2, 4): the single point of section 6."""
    contributions: tuple[PtauContribution, ...] = ()
    lagrange_tau_g1: np.ndarray | None = None
    """(2^(power+2) - 1, 2, 4) or None (not prepared)."""
    lagrange_tau_g2: np.ndarray | None = None
    lagrange_alpha_tau_g1: np.ndarray | None = None
    lagrange_beta_tau_g1: np.ndarray | None = None
    section_order: tuple[int, ...] | None = None
    """File order of the sections; None: ids ascending (snarkjs' order)."""

    @property
    def n(self) -> int:
        return 1 << self.power

    @property
    def prepared(self) -> bool:
        return self.lagrange_tau_g1 is not None

    def lagrange(self, section: int, p: int) -> np.ndarray:
        """The 2^p Lagrange-basis points of domain size 2^p in section 12, 13, 14 or 15."""
        arrays = {
            LAGRANGE_TAU_G1: self.lagrange_tau_g1,
            LAGRANGE_TAU_G2: self.lagrange_tau_g2,
            LAGRANGE_ALPHA_TAU_G1: self.lagrange_alpha_tau_g1,
            LAGRANGE_BETA_TAU_G1: self.lagrange_beta_tau_g1,
        }
        if section not in arrays:
            raise ValueError(f"section {section} is not a Lagrange section {LAGRANGE}")
        arr = arrays[section]
        if arr is None:
            raise ValueError("this ptau is not prepared for phase 2 (no sections 12-15)")
        top = self.power + 1 if section == LAGRANGE_TAU_G1 else self.power
        if not 0 <= p <= top:
            raise ValueError(f"section {section} holds domain sizes 2^0 .. 2^{top}, asked for 2^{p}")
        return arr[(1 << p) - 1 : (1 << (p + 1)) - 1]


def _g1(r: SectionReader, what: str) -> np.ndarray:
    return r.array("<u8", (2, 4), what)


def _g2(r: SectionReader, what: str) -> np.ndarray:
    return r.array("<u8", (2, 2, 4), what)


def _read_contribution(m: SectionReader, where: str) -> PtauContribution:
    tau_g1 = _g1(m, "tauG1")
    tau_g2 = _g2(m, "tauG2")
    alpha_g1 = _g1(m, "alphaG1")
    beta_g1 = _g1(m, "betaG1")
    beta_g2 = _g2(m, "betaG2")
    key = PtauPublicKey(*(_g1(m, "public key G1") for _ in range(6)), *(_g2(m, "public key G2") for _ in range(3)))
    partial = m.take(PARTIAL_HASH_BYTES, "partialHash").tobytes()
    challenge = m.take(CHALLENGE_BYTES, "nextChallenge").tobytes()
    ctype = m.u32("type")
    name, iters, beacon = read_params(m, where)
    return PtauContribution(tau_g1, tau_g2, alpha_g1, beta_g1, beta_g2, key, partial, challenge, ctype, name, iters,
                            beacon)


def read_ptau(path: str | os.PathLike) -> Ptau:
    """Map and parse a .ptau strictly; point arrays are views of the file."""
    f = read_binfile(path, MAGIC, VERSION, known=PHASE1 + LAGRANGE, required=PHASE1)
    h = f.reader(HEADER)
    n8 = h.u32("n8")
    if n8 != N8:
        raise FormatError(f"{path}: expected n8 = {N8}, got {n8}")
    q = h.bigint(n8, "q")
    if q != Q:
        raise FormatError(f"{path}: expected the BN254 base field prime {Q}, got {q}")
    power = h.u32("power")
    ceremony_power = h.u32("ceremonyPower")
    h.end()
    if not 1 <= power <= MAX_POWER:
        raise FormatError(f"{path}: power {power} is outside 1..{MAX_POWER}")
    n = 1 << power

    def points(section: int, count: int, g2: bool) -> np.ndarray:
        size = G2_BYTES if g2 else G1_BYTES
        body = f.body(section, count * size)
        arr = body.view("<u8").reshape((count, 2, 2, 4) if g2 else (count, 2, 4))
        check_q(path, section, arr)
        return arr

    tau_g1 = points(TAU_G1, 2 * n - 1, False)
    tau_g2 = points(TAU_G2, n, True)
    alpha_tau_g1 = points(ALPHA_TAU_G1, n, False)
    beta_tau_g1 = points(BETA_TAU_G1, n, False)
    beta_g2 = points(BETA_G2, 1, True)[0]

    m = f.reader(CONTRIBUTIONS)
    count = m.u32("number of contributions")
    contributions = []
    for i in range(count):
        c = _read_contribution(m, f"{path}: contribution {i}")
        for arr in (c.tau_g1, c.tau_g2, c.alpha_g1, c.beta_g1, c.beta_g2, *vars(c.key).values()):
            check_q(path, CONTRIBUTIONS, arr)
        contributions.append(c)
    m.end()

    present = [s for s in LAGRANGE if f.has(s)]
    lag: list[np.ndarray | None] = [None] * 4
    if present:
        if len(present) != 4:
            raise FormatError(f"{path}: a prepared ptau has all of sections {LAGRANGE}, this one has {present}")
        lag = [
            points(LAGRANGE_TAU_G1, 4 * n - 1, False),
            points(LAGRANGE_TAU_G2, 2 * n - 1, True),
            points(LAGRANGE_ALPHA_TAU_G1, 2 * n - 1, False),
            points(LAGRANGE_BETA_TAU_G1, 2 * n - 1, False),
        ]
    return Ptau(power, ceremony_power, tau_g1, tau_g2, alpha_tau_g1, beta_tau_g1, beta_g2, tuple(contributions),
                *lag, section_order=f.order)


def write_ptau(ptau: Ptau, path: str | os.PathLike) -> None:
    """Write `ptau` (sections in `ptau.section_order`, or ascending ids)."""
    p = ptau
    if not 1 <= p.power <= MAX_POWER:
        raise ValueError(f"power {p.power} is outside 1..{MAX_POWER}")
    n = p.n
    g1, g2 = (2, 4), (2, 2, 4)
    contrib: list[Part] = [len(p.contributions).to_bytes(4, "little")]
    for i, c in enumerate(p.contributions):
        if len(c.partial_hash) != PARTIAL_HASH_BYTES or len(c.next_challenge) != CHALLENGE_BYTES:
            raise ValueError(f"contribution {i}: partial_hash must be 216 bytes and next_challenge 64")
        k = c.key
        contrib += [
            points_for_write(c.tau_g1, g1, f"contribution {i} tau_g1"),
            points_for_write(c.tau_g2, g2, f"contribution {i} tau_g2"),
            points_for_write(c.alpha_g1, g1, f"contribution {i} alpha_g1"),
            points_for_write(c.beta_g1, g1, f"contribution {i} beta_g1"),
            points_for_write(c.beta_g2, g2, f"contribution {i} beta_g2"),
            *(points_for_write(x, g1, f"contribution {i} key") for x in
              (k.tau_g1_s, k.tau_g1_sx, k.alpha_g1_s, k.alpha_g1_sx, k.beta_g1_s, k.beta_g1_sx)),
            *(points_for_write(x, g2, f"contribution {i} key") for x in (k.tau_g2_spx, k.alpha_g2_spx, k.beta_g2_spx)),
            c.partial_hash,
            c.next_challenge,
            c.type.to_bytes(4, "little"),
            encode_params(c.type, c.name, c.num_iterations_exp, c.beacon_hash),
        ]
    parts: dict[int, list[Part]] = {
        HEADER: [N8.to_bytes(4, "little"), Q.to_bytes(N8, "little"), p.power.to_bytes(4, "little"),
                 p.ceremony_power.to_bytes(4, "little")],
        TAU_G1: [points_for_write(p.tau_g1, g1, "tau_g1", 2 * n - 1)],
        TAU_G2: [points_for_write(p.tau_g2, g2, "tau_g2", n)],
        ALPHA_TAU_G1: [points_for_write(p.alpha_tau_g1, g1, "alpha_tau_g1", n)],
        BETA_TAU_G1: [points_for_write(p.beta_tau_g1, g1, "beta_tau_g1", n)],
        BETA_G2: [points_for_write(np.asarray(p.beta_g2).reshape(1, 2, 2, 4), g2, "beta_g2", 1)],
        CONTRIBUTIONS: contrib,
    }
    lag = (p.lagrange_tau_g1, p.lagrange_tau_g2, p.lagrange_alpha_tau_g1, p.lagrange_beta_tau_g1)
    if any(x is not None for x in lag):
        if any(x is None for x in lag):
            raise ValueError("the Lagrange sections 12-15 go together: give all four or none")
        parts[LAGRANGE_TAU_G1] = [points_for_write(lag[0], g1, "lagrange_tau_g1", 4 * n - 1)]
        parts[LAGRANGE_TAU_G2] = [points_for_write(lag[1], g2, "lagrange_tau_g2", 2 * n - 1)]
        parts[LAGRANGE_ALPHA_TAU_G1] = [points_for_write(lag[2], g1, "lagrange_alpha_tau_g1", 2 * n - 1)]
        parts[LAGRANGE_BETA_TAU_G1] = [points_for_write(lag[3], g1, "lagrange_beta_tau_g1", 2 * n - 1)]
    order = [s for s in (p.section_order or ()) if s in parts]
    order += [s for s in sorted(parts) if s not in order]
    write_binfile(path, MAGIC, VERSION, [(s, parts[s]) for s in order])
