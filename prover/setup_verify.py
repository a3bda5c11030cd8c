"""Checking a ceremony's files: the pairing tests both phases share, and `hush ptau verify`.

Bowe, Gabizon, Miers, "Scalable multi-party computation for zk-SNARK parameters in the random
beacon model" (eprint 2017/1050). Every check is a *same-ratio* test: for G1 points a, b and G2
points c, d, `same_ratio(a, b, c, d)` holds iff b/a = d/c as discrete logarithms, i.e.
e(a, d) = e(b, c) (one pairing product, `bn254.pairing.multi_pairing_is_one`). A long vector of
points P_0..P_n is checked against a ratio x with one test on random linear combinations:
sum r_i P_i and sum r_i P_(i+1) (random 64-bit r_i, so a wrong point passes with probability about
2^-64; snarkjs draws 32-bit ones).

A failed check raises `SetupCheckError(step, message)`: `step` names what was being checked
("contribution #2 proof of knowledge (tau)", "tauG1 powers", "Lagrange section 13 at 2^5"...),
so a refused file says where it went wrong.

`ptau_verify(path)` checks a .ptau as `snarkjs powersoftau verify` does (the formats are in
`prover.formats.ptau`):

1. every contribution: its proof of knowledge of tau, alpha and beta (g2_sp = hashToG2(BLAKE2b(
   personalisation | previous challenge | g1_s | g1_sx)), e(g1_s, g2_spx) = e(g1_sx, g2_sp)), that
   its tauG1, tauG2, alphaG1, betaG1, betaG2 follow the previous contribution's by that key, and for
   a beacon that its keys are the ones the beacon derives (see `beacon_rng`);
2. the file's points: tau^i G1, tau^i G2, alpha tau^i, beta tau^i are powers of the last
   contribution's tau (random linear combinations), start at the generator / alpha / beta recorded
   in the last contribution, and (when the file is not truncated, power = ceremony power) hash to the
   next challenge it records: BLAKE2b(response hash | every point, uncompressed), the response hash
   being the recorded partial BLAKE2b state resumed with the contributor's public key;
3. a prepared file's Lagrange sections 12-15: for each domain 2^p, sum_j c_j L_j(tau) P =
   sum_i a_i tau^i P where c = DFT(a) for random a (the top block of section 12 has no tau^(2n-1):
   its a stops one short, as snarkjs builds it).
A file with no contribution is refused (anyone knows its tau = 1).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from bn254.constants import Q, R
from bn254.errors import PointError
from bn254.fields import fr_from_mont_array, fr_to_mont_array
from bn254.g1 import (
    G1_GENERATOR,
    g1_affine_to_ints,
    g1_array,
    g1_batch_to_affine,
    g1_from_ints,
    g1_mul_int,
    g1_validate_array,
)
from bn254.g2 import (
    G2_GENERATOR,
    g2_affine_to_ints,
    g2_batch_to_affine,
    g2_from_ints,
    g2_mul_int,
    g2_validate_array,
)
from bn254.pairing import multi_pairing_is_one

from .formats.binfile import FormatError
from .formats.ptau import Ptau, PtauContribution, read_ptau
from .msm import msm_g1, msm_g2
from .ntt import ntt
from .setup_hash import Blake2b, ChaCha, blake2b_512
from .setup_points import _fq_from_rng, _sqrt_fq, g1_to_u, g2_to_u, hash_to_g2

__all__ = [
    "SetupCheckError",
    "PtauReport",
    "same_ratio",
    "ratio_of_vectors",
    "random_scalars",
    "beacon_rng",
    "fr_from_rng",
    "g1_from_rng",
    "ptau_verify",
    "G1_GEN_AFFINE",
    "G2_GEN_AFFINE",
]

Progress = Callable[[str, int, int], None]

_HALF_Q = (Q - 1) // 2
_MASK_R = (1 << R.bit_length()) - 1
_RINV_R = pow(1 << 256, -1, R)


class SetupCheckError(ValueError):
    """A ceremony file failed a check; `step` names the check."""

    def __init__(self, step: str, message: str) -> None:
        self.step = step
        super().__init__(f"{step}: {message}")


def _g1_aff(jac) -> np.ndarray:
    return g1_batch_to_affine(np.array(jac, dtype=np.uint64).reshape(1, 3, 4))[0]


def _g2_aff(jac) -> np.ndarray:
    return g2_batch_to_affine(np.array(jac, dtype=np.uint64).reshape(1, 3, 2, 4))[0]


G1_GEN_AFFINE = _g1_aff(G1_GENERATOR)
G2_GEN_AFFINE = _g2_aff(G2_GENERATOR)


def _limbs_int(a: np.ndarray) -> int:
    return sum(int(v) << (64 * i) for i, v in enumerate(a))


def _g1_neg(a: np.ndarray) -> np.ndarray:
    """-P for an affine Montgomery G1 point (the Montgomery form of -y is q - mont(y))."""
    out = np.array(a, dtype=np.uint64)
    y = _limbs_int(out[1])
    ny = (Q - y) % Q
    out[1] = [(ny >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)]
    return out


def _is_inf(a: np.ndarray) -> bool:
    return not np.asarray(a).any()


def same_ratio(g1a: np.ndarray, g1b: np.ndarray, g2a: np.ndarray, g2b: np.ndarray, step: str) -> bool:
    """e(g1a, g2b) == e(g1b, g2a) for affine points (False if any is infinity, snarkjs' rule).
    Points off the curve or outside G2 raise SetupCheckError(step)."""
    pts = [np.asarray(p) for p in (g1a, g1b, g2a, g2b)]
    if any(_is_inf(p) for p in pts):
        return False
    g1 = np.stack([pts[0], _g1_neg(pts[1])])
    g2 = np.stack([pts[3], pts[2]])
    try:
        return multi_pairing_is_one(g1, g2)
    except PointError as e:
        raise SetupCheckError(step, f"not a valid point ({e})") from None


def random_scalars(n: int, bits: int = 64) -> np.ndarray:
    """(n, 4) standard-form limbs of independent non-zero random integers of `bits` <= 64 bits."""
    out = np.zeros((n, 4), dtype=np.uint64)
    if n:
        v = np.frombuffer(os.urandom(8 * n), dtype=np.uint64).copy()
        if bits < 64:
            v >>= np.uint64(64 - bits)
        v[v == 0] = 1
        out[:, 0] = v
    return out


def _msm_aff(points: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    if points.ndim == 3:
        return _g1_aff(msm_g1(np.ascontiguousarray(points), scalars))
    return _g2_aff(msm_g2(np.ascontiguousarray(points), scalars))


def ratio_of_vectors(points: np.ndarray, step: str) -> tuple[np.ndarray, np.ndarray]:
    """(sum r_i P_i, sum r_i P_(i+1)) for i < n - 1 and random r: the pair to test against the ratio
    P_(i+1)/P_i with `same_ratio`."""
    r = random_scalars(points.shape[0] - 1)
    return _msm_aff(points[:-1], r), _msm_aff(points[1:], r)


# --- snarkjs' deterministic randomness (beacons) ------------------------------------------------


def beacon_rng(beacon_hash: bytes, iterations_exp: int) -> ChaCha:
    """snarkjs `rngFromBeaconParams`: SHA-256 applied 2^iterations_exp times, then a ChaCha stream
    seeded with the digest's eight big-endian words."""
    if not 10 <= iterations_exp <= 63:
        raise ValueError(f"the beacon's iterations exponent must be in 10..63, got {iterations_exp}")
    if not 0 < len(beacon_hash) < 256:
        raise ValueError(f"a beacon hash has 1..255 bytes, got {len(beacon_hash)}")
    h = bytes(beacon_hash)
    for _ in range(1 << iterations_exp):
        h = hashlib.sha256(h).digest()
    return ChaCha.from_hash(h)


def fr_from_rng(rng: ChaCha) -> int:
    """ffjavascript Fr.fromRng: four u64 words masked to 254 bits, retried while >= r, read as a
    Montgomery representation (so the value is v / 2^256 mod r)."""
    while True:
        v = 0
        for i in range(4):
            v += rng.next_u64() << (64 * i)
        v &= _MASK_R
        if v < R:
            return v * _RINV_R % R


def g1_from_rng(rng: ChaCha) -> np.ndarray:
    """ffjavascript G1.fromRng: x from the stream, a sign bit, retry until x^3 + 3 is a square; the
    affine Montgomery point (G1 has cofactor 1)."""
    while True:
        x = _fq_from_rng(rng)
        greatest = rng.next_bool()
        y = _sqrt_fq((x * x * x + 3) % Q)
        if y is not None:
            break
    if greatest ^ (y > _HALF_Q):
        y = (Q - y) % Q
    return g1_array([(x, y)])[0]


def _g1_mul(a: np.ndarray, k: int) -> np.ndarray:
    """k * P for an affine Montgomery G1 point."""
    return _g1_aff(g1_mul_int(g1_from_ints(g1_affine_to_ints(a)), k))


def _g2_mul(a: np.ndarray, k: int) -> np.ndarray:
    return _g2_aff(g2_mul_int(g2_from_ints(g2_affine_to_ints(a)), k))


# --- powers of tau ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PtauContributionInfo:
    index: int
    name: str | None
    response_hash: bytes
    next_challenge: bytes
    beacon_hash: bytes | None = None
    iterations_exp: int | None = None


@dataclass(frozen=True)
class PtauReport:
    power: int
    ceremony_power: int
    prepared: bool
    contributions: tuple[PtauContributionInfo, ...]
    next_challenge: bytes
    """BLAKE2b of the last response hash and the file's points (the challenge for a next contributor)."""

    def lines(self) -> list[str]:
        out = [f"powers of tau 2^{self.power} (ceremony 2^{self.ceremony_power}), "
               f"{'prepared for phase 2' if self.prepared else 'NOT prepared for phase 2'}"]
        for c in self.contributions:
            out.append(f"contribution #{c.index} {c.name or ''}".rstrip())
            out.append(f"  response hash:  {format_hash(c.response_hash)}")
            out.append(f"  next challenge: {format_hash(c.next_challenge)}")
            if c.beacon_hash is not None:
                out.append(f"  beacon {c.beacon_hash.hex()} (2^{c.iterations_exp} SHA-256 iterations)")
        out.append(f"next challenge hash: {format_hash(self.next_challenge)}")
        return out


def format_hash(h: bytes) -> str:
    """64 bytes as snarkjs prints them: 16 groups of 8 hex digits (here on one line)."""
    hx = h.hex()
    return " ".join(hx[i : i + 8] for i in range(0, len(hx), 8))


def _pubkey_bytes(c: PtauContribution) -> bytes:
    k = c.key
    g1 = g1_to_u(np.stack([k.tau_g1_s, k.tau_g1_sx, k.alpha_g1_s, k.alpha_g1_sx, k.beta_g1_s, k.beta_g1_sx]))
    return g1.tobytes() + g2_to_u(np.stack([k.tau_g2_spx, k.alpha_g2_spx, k.beta_g2_spx])).tobytes()


def _g2_sp(pers: int, challenge: bytes, g1_s: np.ndarray, g1_sx: np.ndarray) -> np.ndarray:
    digest = blake2b_512(bytes([pers]), challenge, g1_to_u(np.stack([g1_s, g1_sx])).tobytes())
    return np.array(hash_to_g2(digest), dtype=np.uint64).reshape(2, 2, 4)


@dataclass
class _Prev:
    tau_g1: np.ndarray
    tau_g2: np.ndarray
    alpha_g1: np.ndarray
    beta_g1: np.ndarray
    beta_g2: np.ndarray
    next_challenge: bytes


def _check_ptau_contribution(c: PtauContribution, prev: _Prev, i: int) -> None:
    where = f"contribution #{i}"
    k = c.key
    keys = {"tau": (k.tau_g1_s, k.tau_g1_sx, k.tau_g2_spx), "alpha": (k.alpha_g1_s, k.alpha_g1_sx, k.alpha_g2_spx),
            "beta": (k.beta_g1_s, k.beta_g1_sx, k.beta_g2_spx)}
    for arr, what in ((np.stack([c.tau_g1, c.alpha_g1, c.beta_g1, k.tau_g1_s, k.tau_g1_sx, k.alpha_g1_s,
                                 k.alpha_g1_sx, k.beta_g1_s, k.beta_g1_sx]), "G1"),
                      (np.stack([c.tau_g2, c.beta_g2, k.tau_g2_spx, k.alpha_g2_spx, k.beta_g2_spx]), "G2")):
        try:
            (g1_validate_array if what == "G1" else g2_validate_array)(arr, allow_infinity=False)
        except PointError as e:
            raise SetupCheckError(f"{where} points", str(e)) from None
    if c.type == 1:
        if c.beacon_hash is None or c.num_iterations_exp is None:
            raise SetupCheckError(f"{where} beacon", "a beacon contribution without its beacon parameters")
        rng = beacon_rng(c.beacon_hash, c.num_iterations_exp)
        prv = [fr_from_rng(rng) for _ in range(3)]
        for pers, (name, (g1_s, g1_sx, g2_spx)) in enumerate(keys.items()):
            e_s = g1_from_rng(rng)
            e_sx = _g1_mul(e_s, prv[pers])
            e_spx = _g2_mul(_g2_sp(pers, prev.next_challenge, e_s, e_sx), prv[pers])
            if not (np.array_equal(e_s, g1_s) and np.array_equal(e_sx, g1_sx) and np.array_equal(e_spx, g2_spx)):
                raise SetupCheckError(f"{where} beacon", f"the {name} key is not the one the beacon derives")
    sp = {}
    for pers, (name, (g1_s, g1_sx, g2_spx)) in enumerate(keys.items()):
        sp[name] = _g2_sp(pers, prev.next_challenge, g1_s, g1_sx)
        if not same_ratio(g1_s, g1_sx, sp[name], g2_spx, f"{where} proof of knowledge ({name})"):
            raise SetupCheckError(f"{where} proof of knowledge ({name})",
                                  "g1_s, g1_sx and g2_spx do not share one secret")
    follows = (
        ("tau*G1", lambda: same_ratio(prev.tau_g1, c.tau_g1, sp["tau"], k.tau_g2_spx, where)),
        ("tau*G2", lambda: same_ratio(k.tau_g1_s, k.tau_g1_sx, prev.tau_g2, c.tau_g2, where)),
        ("alpha*G1", lambda: same_ratio(prev.alpha_g1, c.alpha_g1, sp["alpha"], k.alpha_g2_spx, where)),
        ("beta*G1", lambda: same_ratio(prev.beta_g1, c.beta_g1, sp["beta"], k.beta_g2_spx, where)),
        ("beta*G2", lambda: same_ratio(k.beta_g1_s, k.beta_g1_sx, prev.beta_g2, c.beta_g2, where)),
    )
    for what, check in follows:
        if not check():
            raise SetupCheckError(f"{where} {what}", "does not follow the previous contribution by this key")


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def ptau_verify(path: str | os.PathLike, progress: Progress | None = None) -> PtauReport:
    """Check a .ptau (see the module docstring); returns its transcript or raises SetupCheckError."""
    from .setup import first_challenge_hash

    try:
        p: Ptau = read_ptau(path)
    except (FormatError, ValueError) as e:
        raise SetupCheckError("format", str(e)) from None
    if not p.contributions:
        raise SetupCheckError("contributions", "the file has no contribution: its tau is 1, known to everyone")
    if p.power > p.ceremony_power:
        raise SetupCheckError("header", f"power {p.power} exceeds the ceremony's power {p.ceremony_power}")
    prev = _Prev(G1_GEN_AFFINE, G2_GEN_AFFINE, G1_GEN_AFFINE, G1_GEN_AFFINE, G2_GEN_AFFINE,
                 first_challenge_hash(p.ceremony_power))
    infos = []
    total = len(p.contributions)
    _report(progress, "contributions", 0, total)
    for i, c in enumerate(p.contributions, start=1):
        _check_ptau_contribution(c, prev, i)
        try:
            response = Blake2b.from_partial_state(c.partial_hash).update(_pubkey_bytes(c)).digest()
        except ValueError as e:
            raise SetupCheckError(f"contribution #{i} response hash", str(e)) from None
        infos.append(PtauContributionInfo(i, c.name, response, c.next_challenge, c.beacon_hash, c.num_iterations_exp))
        prev = _Prev(c.tau_g1, c.tau_g2, c.alpha_g1, c.beta_g1, c.beta_g2, c.next_challenge)
        _report(progress, "contributions", i, total)
    last = p.contributions[-1]

    # the points: powers of the last contribution's tau, starting where its record says
    steps = 6
    _report(progress, "powers", 0, steps)
    for arr, group, what in ((p.tau_g1, 1, "tauG1"), (p.tau_g2, 2, "tauG2"), (p.alpha_tau_g1, 1, "alphaTauG1"),
                             (p.beta_tau_g1, 1, "betaTauG1")):
        try:
            (g1_validate_array if group == 1 else g2_validate_array)(arr, allow_infinity=False)
        except PointError as e:
            raise SetupCheckError(f"{what} points", str(e)) from None
    g = 0
    for arr, first, what in ((p.tau_g1, G1_GEN_AFFINE, "tauG1"), (p.tau_g2, G2_GEN_AFFINE, "tauG2"),
                             (p.alpha_tau_g1, last.alpha_g1, "alphaTauG1"), (p.beta_tau_g1, last.beta_g1, "betaTauG1")):
        if not np.array_equal(arr[0], first):
            raise SetupCheckError(f"{what} powers", "the first point is not the one of the last contribution")
        if arr.shape[0] > 1:
            r1, r2 = ratio_of_vectors(arr, f"{what} powers")
            ok = (same_ratio(G1_GEN_AFFINE, last.tau_g1, r1, r2, what) if arr.ndim == 4
                  else same_ratio(r1, r2, G2_GEN_AFFINE, last.tau_g2, what))
            if not ok:
                raise SetupCheckError(f"{what} powers", "not successive powers of the contribution's tau")
        g += 1
        _report(progress, "powers", g, steps)
    if not (np.array_equal(p.tau_g1[1], last.tau_g1) and np.array_equal(p.tau_g2[1], last.tau_g2)):
        raise SetupCheckError("tau powers", "tau*G1 / tau*G2 differ from the last contribution's")
    if not np.array_equal(p.beta_g2, last.beta_g2):
        raise SetupCheckError("betaG2", "the betaG2 section differs from the last contribution's")
    nxt = hashlib.blake2b(digest_size=64)
    nxt.update(infos[-1].response_hash)
    for arr, group in ((p.tau_g1, 1), (p.tau_g2, 2), (p.alpha_tau_g1, 1), (p.beta_tau_g1, 1),
                       (np.asarray(p.beta_g2)[None], 2)):
        for lo in range(0, arr.shape[0], 1 << 16):
            chunk = np.ascontiguousarray(arr[lo : lo + (1 << 16)])
            nxt.update(g1_to_u(chunk) if group == 1 else g2_to_u(chunk))
    next_challenge = nxt.digest()
    if p.power == p.ceremony_power and next_challenge != last.next_challenge:
        raise SetupCheckError("next challenge", "the hash of the file's points is not the last contribution's "
                                                "next challenge (the points were changed after it)")
    _report(progress, "powers", steps, steps)

    if p.prepared:
        _check_lagrange(p, progress)
    return PtauReport(p.power, p.ceremony_power, p.prepared, tuple(infos), next_challenge)


def _lagrange_block(powers: np.ndarray, lag: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Random a (2^q entries, the ones past the powers zero) and c = DFT(a) for one block."""
    a = random_scalars(m)
    a[min(m, powers.shape[0]) :] = 0  # the top block of section 12 has no tau^(2n - 1)
    return a, fr_from_mont_array(ntt(fr_to_mont_array(a)))


def _check_lagrange(p: Ptau, progress: Progress | None) -> None:
    """Per section, every block at once: sum_q <L_q, DFT(a_q)> = <powers, sum_q a_q> for independent
    random a_q (one MSM per side); if that fails, block by block to name the wrong one."""
    from .formats.ptau import LAGRANGE_ALPHA_TAU_G1, LAGRANGE_BETA_TAU_G1, LAGRANGE_TAU_G1, LAGRANGE_TAU_G2

    jobs = ((LAGRANGE_TAU_G1, p.tau_g1, p.power + 1), (LAGRANGE_TAU_G2, p.tau_g2, p.power),
            (LAGRANGE_ALPHA_TAU_G1, p.alpha_tau_g1, p.power), (LAGRANGE_BETA_TAU_G1, p.beta_tau_g1, p.power))
    _report(progress, "Lagrange sections", 0, len(jobs))
    for done, (section, powers, top) in enumerate(jobs, start=1):
        whole = np.concatenate([p.lagrange(section, q) for q in range(top + 1)])
        try:
            (g2_validate_array if whole.ndim == 4 else g1_validate_array)(whole, allow_infinity=True)
        except PointError as e:
            raise SetupCheckError(f"Lagrange section {section}", str(e)) from None
        k = min(1 << top, powers.shape[0])
        a_sum = np.zeros((k, 4), dtype=np.uint64)
        cs = []
        for q in range(top + 1):
            a, c = _lagrange_block(powers, whole, 1 << q)
            n = min(a.shape[0], k)
            lo = a_sum[:n, 0] + a[:n, 0]
            a_sum[:n, 1] += lo < a_sum[:n, 0]  # carry: at most top + 1 terms below 2^64
            a_sum[:n, 0] = lo
            cs.append(c)
        if not np.array_equal(_msm_aff(powers[:k], a_sum), _msm_aff(whole, np.concatenate(cs))):
            for q in range(top + 1):
                a, c = _lagrange_block(powers, whole, 1 << q)
                kq = min(1 << q, powers.shape[0])
                if not np.array_equal(_msm_aff(powers[:kq], a[:kq]), _msm_aff(p.lagrange(section, q), c)):
                    raise SetupCheckError(f"Lagrange section {section} at 2^{q}",
                                          "the Lagrange points are not the transform of the powers of tau")
            raise SetupCheckError(f"Lagrange section {section}", "the Lagrange points are not the transform "
                                                                 "of the powers of tau")
        _report(progress, "Lagrange sections", done, len(jobs))
