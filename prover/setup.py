"""Development trusted setup for Groth16: a powers-of-tau file and proving keys that snarkjs accepts.

DEVELOPMENT ONLY. A development setup has one contributor, this process, which draws the toxic
waste (tau, alpha, beta, delta) from the operating system's CSPRNG, uses it and drops it. Nobody
else can check that it was dropped: whoever ran the setup (or a compromised machine, a core dump, a
swap file) could forge proofs for every circuit keyed from it. Production keys come from a
multi-party ceremony (a public phase-1 .ptau such as the Hermez/Polygon one, then phase-2
contributions by independent parties finished with a random beacon: `prover.ceremony`, `hush
ceremony`, or snarkjs' `zkey contribute`; the files are the same). Neither file format has a flag
for "development"; what we can do, we do:
- every contribution record we write is named `DEV_CONTRIBUTION_NAME` ("... NOT FOR PRODUCTION"),
  which `snarkjs powersoftau verify` / `snarkjs zkey verify` print;
- the public functions emit `DevSetupWarning` (a `warnings.warn`) and log a warning, and return
  results whose `development` flag is True, so a CLI can print it again.

Phase 1 (Bowe, Gabizon, Miers, eprint 2017/1050; snarkjs `powersoftau_new/contribute/
preparephase2.js`): `powers_of_tau` writes what `snarkjs powersoftau new` + one `contribute` +
`prepare phase2` would, for a random tau, alpha, beta:

    2 tauG1        tau^i G1,          i < 2n - 1        (n = 2^power)
    3 tauG2        tau^i G2,          i < n
    4 alphaTauG1   alpha tau^i G1,    i < n
    5 betaTauG1    beta tau^i G1,     i < n
    6 betaG2       beta G2
    7 contribution record: the new tauG1[1], tauG2[1], alphaG1, betaG1, betaG2; a public key
      (g1_s, g1_s*x, g2_sp*x for x = tau, alpha, beta, where g2_sp = hashToG2(BLAKE2b(personalisation
      byte | challenge | g1_s | g1_s*x)) is the point a verifier re-derives, so the pairing check
      e(g1_s, g2_sp*x) = e(g1_s*x, g2_sp) proves knowledge of x bound to the transcript); the
      BLAKE2b state of the response (challenge | compressed points) before the key is appended;
      the next challenge BLAKE2b(response hash | uncompressed points).
    12-15 Lagrange sections: for every domain size 2^p, p <= power (and p = power + 1 in 12), the
      points L_j(tau) G1, L_j(tau) G2, alpha L_j(tau) G1, beta L_j(tau) G1, where L_j is the
      Lagrange basis of snarkjs' roots of unity w_p (see `prover.ntt`).

snarkjs prepares phase 2 with inverse FFTs over curve points (over 20 minutes at 2^16); knowing tau
we compute L_j(tau) = w^j (tau^m - 1) / (m (tau - w^j)) in the field and multiply the generators
with a windowed fixed-base table (`bn254.ec.fixed_base_mul`). The affine points are unique, so the
file is what snarkjs would write with these secrets; the block p = power + 1 reproduces snarkjs'
input exactly (tau^0..tau^(2n-2) and infinity: L_j(tau) - w^j tau^(2n-1) / 2n).

Phase 2 (Groth, eprint 2016/260; snarkjs `zkey_new.js`, `zkey_contribute.js`): `groth16_setup`
takes any prepared .ptau (ours, snarkjs', a ceremony's) and an R1CS, and writes the key of
`snarkjs groth16 setup` followed by `contributions` random delta contributions:

    domain m = 2^k, k = bitlength(nConstraints + nPublic); L_c = Lagrange points of that domain
    A_i   = sum_c A[c,i] L_c G1   (+ L_{nConstraints+i} for i <= nPublic: the public inputs' rows)
    B1_i  = sum_c B[c,i] L_c G1,  B2_i = sum_c B[c,i] L_c G2
    IC_i  = sum_c (A[c,i] beta L_c + B[c,i] alpha L_c + C[c,i] L_c) G1   (i <= nPublic; gamma = 1)
    C_i   = the same for i > nPublic, divided by delta
    H_j   = L'_{2j+1}(tau) G1 / delta, L' the Lagrange basis of the 2m domain (snarkjs' prover
            multiplies them with A.w * B.w - C.w on the odd coset)
    csHash = BLAKE2b of the key's points before contributions (the circuit hash `zkey verify`
            recomputes), contribution transcript = BLAKE2b(csHash | earlier public keys | g1_s |
            g1_s*delta), proof of knowledge e(g1_s, g2_sp*delta) = e(g1_s*delta, g2_sp) with
            g2_sp = hashToG2(transcript).
gamma stays the G2 generator, as snarkjs keeps it (`zkey verify` compares it with the key it
recomputes, so a key with another gamma does not verify). The points are combined with
`setup_compose.compose` (sparse multi-scalar combinations with GLV/GLS endomorphisms); a
ptau whose domain equals the circuit's and exceeds 2^14 is refused (snarkjs' circuit hash then reads
past tauG1, see `_check_domain`).

`dev_setup` runs both phases in one process: while tau, alpha, beta are in memory, each point of
the key is one fixed-base multiplication of a field value (A_i(tau) etc. by sparse products with
L(tau)), about ten times faster than combining Lagrange points; the files are identical to those of
`powers_of_tau` + `groth16_setup` with the same secrets (tested byte for byte).

Progress: long steps call `progress(stage, done, total)`, with done = 0 when a stage starts and
done = total when it ends. Stages: "keys", "scalars", "G1 points", "G2 points", "hashing",
"writing" (phase 1); "A", "B1", "B2", "IC/C", "H" (dev_setup only), "circuit hash", "contribution",
"writing" (phase 2). Measured figures: bench/test_bench_setup.py.

Toxic waste hygiene: secrets live in Python ints (immutable: we drop every reference, we cannot
overwrite them) and in numpy arrays of secret-derived scalars (powers of tau, Lagrange values),
which are zeroed as soon as the points are computed. Nothing secret is logged, written, or part of
an exception message. Scalar multiplications with secret scalars are not constant time; the setup
is meant to run on the developer's own machine.
"""

from __future__ import annotations

import hashlib
import logging
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from numba import njit

from bn254 import ec
from bn254.constants import G1_GEN, G2_GEN, R
from bn254.ec import aff_load, aff_neg, aff_to_jac, jac_madd, jac_store
from bn254.fields import R_ONE, fr, fr_add, fr_from_mont, fr_from_mont_array, fr_mul, load, store
from bn254.g1 import G1_GENERATOR, g1_array, g1_batch_to_affine, g1_mul_int
from bn254.g2 import G2_GENERATOR, g2_array, g2_batch_to_affine, g2_mul_int

from .formats.ptau import Ptau, PtauContribution, PtauPublicKey, read_ptau, write_ptau
from .formats.r1cs import R1CS, read_r1cs
from .formats.zkey import SECTIONS, Zkey, ZkeyContribution, coeffs_from_r1cs, write_zkey
from .setup_compose import compose, scale_all
from .setup_hash import Blake2b, blake2b_512
from .setup_points import g1_to_c, g1_to_u, g2_to_c, g2_to_u, hash_to_g2, lagrange_scalars

__all__ = [
    "DEV_CONTRIBUTION_NAME",
    "DevSetupWarning",
    "Progress",
    "PtauResult",
    "ZkeyResult",
    "powers_of_tau",
    "groth16_setup",
    "dev_setup",
    "circuit_power",
    "first_challenge_hash",
]

log = logging.getLogger("hush.setup")

DEV_CONTRIBUTION_NAME = "hush development setup - NOT FOR PRODUCTION"
"""The name of every contribution record this module writes (snarkjs prints it when verifying)."""

Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): called as long steps advance."""

MAX_POWER = 27
"""Largest ptau power we generate: section 12 then needs domains up to 2^28, Fr's 2-adicity."""

_H_HASH_CHUNK = 1 << 14
"""zkey_new.js hashes the H points in chunks of this many and (a quirk) every chunk full-sized."""

_FIXED_BASE_SLICE = 1 << 16


class DevSetupWarning(UserWarning):
    """Emitted by every development setup: its keys must never secure real value."""


_DEV_MESSAGE = (
    "development trusted setup: one party (this machine) knew the toxic waste; anyone who kept it can "
    "forge proofs. Do NOT use these keys in production; run a multi-party ceremony instead."
)


def _warn_dev() -> None:
    warnings.warn(_DEV_MESSAGE, DevSetupWarning, stacklevel=3)
    log.warning(_DEV_MESSAGE)


@dataclass(frozen=True)
class PtauResult:
    path: Path
    power: int
    response_hash: bytes
    """BLAKE2b-512 of the contribution (snarkjs prints it as the "Contribution Response Hash")."""
    next_challenge: bytes
    development: bool = True


@dataclass(frozen=True)
class ZkeyResult:
    path: Path
    cs_hash: bytes
    """The circuit hash snarkjs prints ("Circuit Hash")."""
    contribution_hashes: tuple[bytes, ...]
    """BLAKE2b-512 of each contribution's public key, as `snarkjs zkey verify` prints them."""
    domain_size: int
    n_vars: int
    n_public: int
    development: bool = True


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


# --- secrets ---------------------------------------------------------------------------------------


class _Secrets:
    """Scalars drawn from os.urandom (optionally mixed with caller entropy); never printed."""

    __slots__ = ("_seed", "_counter")

    def __init__(self, entropy: bytes | str | None) -> None:
        extra = entropy.encode("utf-8") if isinstance(entropy, str) else (entropy or b"")
        self._seed: bytes | None = blake2b_512(os.urandom(64), len(extra).to_bytes(8, "little"), extra)
        self._counter = 0

    def scalar(self) -> int:
        """A uniform-looking element of [1, r): 512 hashed bits reduced mod r - 1 (bias < 2^-250)."""
        if self._seed is None:
            raise RuntimeError("secrets already wiped")
        self._counter += 1
        h = blake2b_512(self._seed, self._counter.to_bytes(8, "little"))
        return int.from_bytes(h, "little") % (R - 1) + 1

    def wipe(self) -> None:
        self._seed = None

    def __repr__(self) -> str:
        return "<setup secrets (hidden)>"


# --- small helpers ------------------------------------------------------------------------------------


@njit(cache=True)
def _geometric(first, ratio, out):
    """out[i] = first * ratio^i (Montgomery Fr)."""
    t = first
    for i in range(out.shape[0]):
        store(out, i, t)
        t = fr_mul(t, ratio)


@njit(cache=True)
def _scale(src, k, out):
    """out[i] = mont_mul(src[i], k): k * src[i] in src's representation when k is in Montgomery form."""
    for i in range(src.shape[0]):
        store(out, i, fr_mul(load(src, i), k))


@njit(cache=True)
def _sub_points(a, b, out_jac):
    """out_jac[i] = a[i] - b[i] for affine arrays (Jacobian result)."""
    for i in range(a.shape[0]):
        jac_store(out_jac, i, jac_madd(aff_to_jac(aff_load(a, i)), aff_neg(aff_load(b, i))))


def _g1_affine(p) -> np.ndarray:
    """(2, 4) affine array of a Jacobian kernel G1 point."""
    return g1_batch_to_affine(np.array(p, dtype=np.uint64).reshape(1, 3, 4))[0]


def _g2_affine(p) -> np.ndarray:
    return g2_batch_to_affine(np.array(p, dtype=np.uint64).reshape(1, 3, 2, 4))[0]


def _g2_from_affine_array(a: np.ndarray) -> tuple:
    """A Jacobian kernel point from a (2, 2, 4) affine array (not at infinity)."""
    x = (tuple(np.uint64(v) for v in a[0, 0]), tuple(np.uint64(v) for v in a[0, 1]))
    y = (tuple(np.uint64(v) for v in a[1, 0]), tuple(np.uint64(v) for v in a[1, 1]))
    return (x, y, G2_GENERATOR[2])


def _g1_from_affine_array(a: np.ndarray) -> tuple:
    return (tuple(np.uint64(v) for v in a[0]), tuple(np.uint64(v) for v in a[1]), G1_GENERATOR[2])


G1_GEN_AFFINE = g1_array([G1_GEN])[0]
G2_GEN_AFFINE = g2_array([G2_GEN])[0]


def _wipe(*arrays: np.ndarray | None) -> None:
    for a in arrays:
        if a is not None:
            a.fill(0)


class _FixedBase:
    """Multiples of a generator by many scalars: one windowed table, slices reported to `progress`."""

    def __init__(self, group: int, n_total: int) -> None:
        self.group = group
        self.tail = (2, 4) if group == 1 else (2, 2, 4)
        base = G1_GENERATOR if group == 1 else G2_GENERATOR
        self.w = ec.fixed_base_window(max(n_total, 1), 254)
        self.nwin = -(-254 // self.w)  # scalars are below r < 2^254
        table_jac = np.empty(((self.nwin << self.w), 3) + self.tail[1:], dtype=np.uint64)
        ec.fixed_base_table(base, self.w, self.nwin, table_jac)
        self.table = (g1_batch_to_affine if group == 1 else g2_batch_to_affine)(table_jac)

    def mul(self, scalars_std: np.ndarray, out: np.ndarray, progress: Progress | None, stage: str) -> None:
        n = scalars_std.shape[0]
        _report(progress, stage, 0, n)
        for lo in range(0, n, _FIXED_BASE_SLICE):
            hi = min(n, lo + _FIXED_BASE_SLICE)
            ec.fixed_base_mul(self.table, self.w, self.nwin, scalars_std[lo:hi], out[lo:hi], 1024)
            _report(progress, stage, hi, n)


def first_challenge_hash(power: int) -> bytes:
    """The challenge of the first contribution to a fresh 2^power ceremony (`calculateFirstChallengeHash`):
    BLAKE2b(BLAKE2b() | every point of `powersoftau new`'s file, uncompressed), the points all generators."""
    n = 1 << power
    g1 = g1_to_u(G1_GEN_AFFINE[None]).tobytes()
    g2 = g2_to_u(G2_GEN_AFFINE[None]).tobytes()
    h = hashlib.blake2b(digest_size=64)
    h.update(hashlib.blake2b(digest_size=64).digest())
    for block, count in ((g1, 2 * n - 1), (g2, n), (g1, n), (g1, n)):
        full, rest = divmod(count, 1 << 14)
        chunk = block * (1 << 14)
        for _ in range(full):
            h.update(chunk)
        h.update(block * rest)
    h.update(g2)
    return h.digest()


# --- phase 1 ------------------------------------------------------------------------------------------


def _pok(x: int, k: int, personalisation: int, challenge: bytes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Proof of knowledge of x (snarkjs keypair.js calculatePubKey): g1_s = k G1, g1_sx = k x G1,
    g2_spx = x hashToG2(BLAKE2b(personalisation | challenge | g1_s | g1_sx))."""
    g1_s = _g1_affine(g1_mul_int(G1_GENERATOR, k))
    g1_sx = _g1_affine(g1_mul_int(G1_GENERATOR, k * x % R))
    digest = blake2b_512(bytes([personalisation]), challenge, g1_to_u(g1_s[None]).tobytes(),
                         g1_to_u(g1_sx[None]).tobytes())
    sp = hash_to_g2(digest)
    g2_spx = _g2_affine(g2_mul_int((sp[0], sp[1], G2_GENERATOR[2]), x))
    return g1_s, g1_sx, g2_spx


def _draw_tau(secrets: _Secrets, power: int) -> int:
    while True:
        tau = secrets.scalar()
        # not a root of unity of any domain in the file (L_j(tau) needs tau - w^j != 0)
        if pow(tau, 1 << (power + 1), R) != 1:
            return tau


def powers_of_tau(
    power: int,
    out_path: str | os.PathLike,
    *,
    entropy: bytes | str | None = None,
    name: str = DEV_CONTRIBUTION_NAME,
    progress: Progress | None = None,
) -> PtauResult:
    """Write a development phase-1 .ptau of 2^power, prepared for phase 2 (see the module docstring).

    One contribution with tau, alpha, beta from the CSPRNG (mixed with `entropy` if given), so
    `snarkjs powersoftau verify` passes and `snarkjs groth16 setup` / `groth16_setup` accept it.
    Emits DevSetupWarning."""
    if not isinstance(power, int) or not 1 <= power <= MAX_POWER:
        raise ValueError(f"expected a power in 1..{MAX_POWER}, got {power!r}")
    _warn_dev()
    secrets = _Secrets(entropy)
    try:
        tau = _draw_tau(secrets, power)
        alpha, beta = secrets.scalar(), secrets.scalar()
        keys = (secrets.scalar(), secrets.scalar(), secrets.scalar())
        return _powers_of_tau(power, out_path, tau, alpha, beta, keys, name, progress)
    finally:
        secrets.wipe()
        tau = alpha = beta = keys = None  # noqa: F841 - drop the references


def _powers_of_tau(
    power: int,
    out_path: str | os.PathLike,
    tau: int,
    alpha: int,
    beta: int,
    keys: tuple[int, int, int],
    name: str,
    progress: Progress | None,
    tables: dict[int, _FixedBase] | None = None,
) -> PtauResult:
    """powers_of_tau with given secrets (tests use known ones; keys are the g1_s multipliers). The
    generators' fixed-base tables are left in `tables` ({1: G1, 2: G2}) when a dict is given."""
    n = 1 << power
    _report(progress, "keys", 0, 3)
    challenge = first_challenge_hash(power)
    pubkey = []
    for pers, (x, k) in enumerate(zip((tau, alpha, beta), keys, strict=True)):
        pubkey.append(_pok(x, k, pers, challenge))
        _report(progress, "keys", pers + 1, 3)

    # scalars (Montgomery Fr), then standard form for the fixed-base kernels; all wiped below
    n1 = (2 * n - 1) + 2 * n + (4 * n - 1) + 2 * (2 * n - 1)
    n2 = n + 1 + (2 * n - 1)
    s1 = np.empty((n1, 4), dtype=np.uint64)
    s2 = np.empty((n2, 4), dtype=np.uint64)
    std1 = std2 = None
    try:
        _report(progress, "scalars", 0, power + 2)
        o = 0
        _geometric(R_ONE, fr(tau), s1[o : o + 2 * n - 1])  # tauG1
        s2[:n] = s1[:n]  # tauG2
        o += 2 * n - 1
        _scale(s1[:n], fr(alpha), s1[o : o + n])  # alphaTauG1
        o += n
        _scale(s1[:n], fr(beta), s1[o : o + n])  # betaTauG1
        o += n
        s2[n] = fr(beta)  # betaG2
        lag0 = o
        for p in range(power + 2):  # section 12: domains 2^0 .. 2^(power+1)
            m = 1 << p
            block = lagrange_scalars(tau, p, drop_top_power=(p == power + 1))
            s1[o : o + m] = block
            if p <= power:
                s2[n + 1 + m - 1 : n + 1 + 2 * m - 1] = block  # section 13 (G2)
            _wipe(block)
            o += m
            _report(progress, "scalars", p + 1, power + 2)
        lag_g2 = s2[n + 1 :]
        _scale(lag_g2, fr(alpha), s1[o : o + 2 * n - 1])  # section 14
        o += 2 * n - 1
        _scale(lag_g2, fr(beta), s1[o : o + 2 * n - 1])  # section 15
        o += 2 * n - 1
        assert o == n1 and lag0 == 4 * n - 1
        std1 = fr_from_mont_array(s1)
        _wipe(s1)
        std2 = fr_from_mont_array(s2)
        _wipe(s2)

        pts1 = np.empty((n1, 2, 4), dtype=np.uint64)
        pts2 = np.empty((n2, 2, 2, 4), dtype=np.uint64)
        _report(progress, "G1 points", 0, n1)
        fb1 = _FixedBase(1, n1)
        fb1.mul(std1, pts1, progress, "G1 points")
        _wipe(std1)
        _report(progress, "G2 points", 0, n2)
        fb2 = _FixedBase(2, n2)
        fb2.mul(std2, pts2, progress, "G2 points")
        _wipe(std2)
        if tables is not None:
            tables.update({1: fb1, 2: fb2})
    finally:
        _wipe(s1, s2, std1, std2)

    o = 0
    tau_g1 = pts1[o : o + 2 * n - 1]
    o += 2 * n - 1
    alpha_tau_g1 = pts1[o : o + n]
    o += n
    beta_tau_g1 = pts1[o : o + n]
    o += n
    lag_tau_g1 = pts1[o : o + 4 * n - 1]
    o += 4 * n - 1
    lag_alpha = pts1[o : o + 2 * n - 1]
    o += 2 * n - 1
    lag_beta = pts1[o : o + 2 * n - 1]
    tau_g2 = pts2[:n]
    beta_g2 = pts2[n]
    lag_tau_g2 = pts2[n + 1 :]

    _report(progress, "hashing", 0, 2)
    sections = ((tau_g1, 1), (tau_g2, 2), (alpha_tau_g1, 1), (beta_tau_g1, 1), (beta_g2[None], 2))
    response = Blake2b()
    response.update(challenge)
    for pts, g in sections:
        response.update(g1_to_c(pts) if g == 1 else g2_to_c(pts))
    partial = response.partial_state()
    key_bytes = b"".join(g1_to_u(p[None]).tobytes() for k in pubkey for p in k[:2])
    key_bytes += b"".join(g2_to_u(k[2][None]).tobytes() for k in pubkey)
    response.update(key_bytes)
    response_hash = response.digest()
    _report(progress, "hashing", 1, 2)
    nxt = hashlib.blake2b(digest_size=64)
    nxt.update(response_hash)
    for pts, g in sections:
        nxt.update(g1_to_u(pts) if g == 1 else g2_to_u(pts))
    next_challenge = nxt.digest()
    _report(progress, "hashing", 2, 2)

    (ts, tsx, tspx), (as_, asx, aspx), (bs, bsx, bspx) = pubkey
    contribution = PtauContribution(
        tau_g1=tau_g1[1],
        tau_g2=tau_g2[1],
        alpha_g1=alpha_tau_g1[0],
        beta_g1=beta_tau_g1[0],
        beta_g2=beta_g2,
        key=PtauPublicKey(ts, tsx, as_, asx, bs, bsx, tspx, aspx, bspx),
        partial_hash=partial,
        next_challenge=next_challenge,
        type=0,
        name=name,
    )
    ptau = Ptau(power, power, tau_g1, tau_g2, alpha_tau_g1, beta_tau_g1, beta_g2, (contribution,),
                lag_tau_g1, lag_tau_g2, lag_alpha, lag_beta)
    _report(progress, "writing", 0, 1)
    write_ptau(ptau, out_path)
    _report(progress, "writing", 1, 1)
    return PtauResult(Path(out_path), power, response_hash, next_challenge)


# --- phase 2 ------------------------------------------------------------------------------------------


def circuit_power(n_constraints: int, n_public: int) -> int:
    """log2 of the evaluation domain `snarkjs groth16 setup` picks: the bit length of
    nConstraints + nPublic (one more row per public input and the constant), at least 1."""
    return max((n_constraints + n_public).bit_length(), 1)


def _u32be(v: int) -> bytes:
    return v.to_bytes(4, "big")


def _pubkey_bytes(c: ZkeyContribution) -> bytes:
    """hashPubKey (zkey_utils.js): deltaAfter, g1_s, g1_sx (G1), g2_spx (G2) uncompressed, transcript."""
    g1 = g1_to_u(np.stack([c.delta_after, c.g1_s, c.g1_sx])).tobytes()
    return g1 + g2_to_u(np.asarray(c.g2_spx)[None]).tobytes() + c.transcript


def groth16_setup(
    r1cs_path: str | os.PathLike,
    ptau_path: str | os.PathLike,
    zkey_out: str | os.PathLike,
    *,
    contributions: int = 1,
    entropy: bytes | str | None = None,
    name: str = DEV_CONTRIBUTION_NAME,
    progress: Progress | None = None,
) -> ZkeyResult:
    """Phase 2 from any prepared .ptau: `snarkjs groth16 setup` then `contributions` random delta
    contributions (CSPRNG, mixed with `entropy`). `snarkjs zkey verify r1cs ptau zkey` passes on the
    result. Emits DevSetupWarning (a key whose only contributors are this process is a dev key)."""
    if not isinstance(contributions, int) or contributions < 1:
        raise ValueError(f"expected at least one contribution, got {contributions!r}")
    _warn_dev()
    secrets = _Secrets(entropy)
    try:
        pairs = [(secrets.scalar(), secrets.scalar()) for _ in range(contributions)]
        return _groth16_setup(r1cs_path, ptau_path, zkey_out, pairs, name, progress)
    finally:
        secrets.wipe()
        pairs = None  # noqa: F841


def _check_domain(n_constraints: int, n_public: int, power: int, where: str) -> int:
    """log2 of the circuit's domain, after checking a ptau of 2^power can key it; see circuit_power."""
    k = circuit_power(n_constraints, n_public)
    if k > power:
        raise ValueError(f"circuit needs a domain of 2^{k} (nConstraints {n_constraints} + nPublic {n_public}), "
                         f"{where} has power {power}")
    if 1 << k > _H_HASH_CHUNK and k == power:
        # zkey_new.js hashes m = 2^k H differences here and reads tauG1[2m - 1], one point past section
        # 2: its circuit hash then depends on bytes of the next section. Refuse rather than emulate.
        raise ValueError(f"a circuit of domain 2^{k} needs a ptau of power >= {k + 1} "
                         f"(snarkjs' circuit hash reads past tauG1 when both are 2^{k}); {where} has {k}")
    return k


def _load(r1cs_path: str | os.PathLike, ptau_path: str | os.PathLike) -> tuple[R1CS, Ptau, int]:
    r1cs = read_r1cs(r1cs_path)
    ptau = read_ptau(ptau_path)
    if not ptau.prepared:
        raise ValueError(f"{ptau_path}: the ptau is not prepared for phase 2 (no sections 12-15); "
                         "run `snarkjs powersoftau prepare phase2` on it")
    return r1cs, ptau, _check_domain(r1cs.n_constraints, r1cs.n_public, ptau.power, str(ptau_path))


def _step(progress: Progress | None, stage: str) -> Callable[[int, int], None]:
    return lambda done, total: _report(progress, stage, done, total)


def _public_rows(r1cs: R1CS) -> tuple[np.ndarray, np.ndarray]:
    """The wires 0..nPublic and coefficient 1: the extra A rows nConstraints + i of the public inputs."""
    pub = np.arange(r1cs.n_public + 1, dtype=np.int64)
    one = np.zeros((r1cs.n_public + 1, 4), dtype=np.uint64)
    one[:, 0] = 1
    return pub, one


def _queries_from_ptau(r1cs: R1CS, ptau: Ptau, k: int, progress: Progress | None) -> dict[str, np.ndarray]:
    """A, B1, B2, IC|C (before delta) and H (before delta) as zkey_new.js composes them from the
    Lagrange points of a prepared ptau (see the module docstring)."""
    m, nc = 1 << k, r1cs.n_constraints
    lag_g1 = ptau.lagrange(12, k)
    pub, one = _public_rows(r1cs)
    A, B, C = r1cs.A, r1cs.B, r1cs.C
    q = {}
    q["a"] = compose(lag_g1, np.concatenate([A.cols, pub]), np.concatenate([A.rows, nc + pub]),
                     np.concatenate([A.coeffs, one]), r1cs.n_wires, progress=_step(progress, "A"))
    q["b1"] = compose(lag_g1, B.cols, B.rows, B.coeffs, r1cs.n_wires, progress=_step(progress, "B1"))
    q["b2"] = compose(ptau.lagrange(13, k), B.cols, B.rows, B.coeffs, r1cs.n_wires, progress=_step(progress, "B2"))
    # IC and C together: beta*A + alpha*B + C on the bases [beta L | alpha L | L]
    bases = np.concatenate([ptau.lagrange(15, k), ptau.lagrange(14, k), lag_g1])
    q["abc"] = compose(
        bases,
        np.concatenate([A.cols, B.cols, C.cols, pub]),
        np.concatenate([A.rows, m + B.rows, 2 * m + C.rows, nc + pub]),
        np.concatenate([A.coeffs, B.coeffs, C.coeffs, one]),
        r1cs.n_wires,
        progress=_step(progress, "IC/C"),
    )
    q["h"] = np.ascontiguousarray(ptau.lagrange(12, k + 1)[1::2])
    return q


def _zkey_from_queries(r1cs: R1CS, ptau: Ptau, k: int, q: dict[str, np.ndarray], progress: Progress | None) -> Zkey:
    """The key `snarkjs groth16 setup` writes (delta = gamma = 1, no contributions), with its circuit hash."""
    m, n_public = 1 << k, r1cs.n_public
    gamma_abc_g1, l_query = q["abc"][: n_public + 1], q["abc"][n_public + 1 :]
    _report(progress, "circuit hash", 0, 1)
    h = hashlib.blake2b(digest_size=64)
    h.update(g1_to_u(np.stack([ptau.alpha_tau_g1[0], ptau.beta_tau_g1[0]])))
    h.update(g2_to_u(np.stack([ptau.beta_g2, G2_GEN_AFFINE])))
    h.update(g1_to_u(G1_GEN_AFFINE[None]))
    h.update(g2_to_u(G2_GEN_AFFINE[None]))
    h.update(_u32be(n_public + 1))
    h.update(g1_to_u(gamma_abc_g1))
    # H: zkey_new.js hashes tauG1[i + m] - tauG1[i] (= tau^i (tau^m - 1) G1) for i < m - 1, in chunks
    # of 2^14 that are all full-sized, so m of them once m > 2^14
    n_h = m - 1 if m - 1 <= _H_HASH_CHUNK else -(-(m - 1) // _H_HASH_CHUNK) * _H_HASH_CHUNK
    diff_jac = np.empty((n_h, 3, 4), dtype=np.uint64)
    _sub_points(np.ascontiguousarray(ptau.tau_g1[m : m + n_h]), np.ascontiguousarray(ptau.tau_g1[:n_h]), diff_jac)
    h.update(_u32be(m - 1))
    h.update(g1_to_u(g1_batch_to_affine(diff_jac)))
    for pts, g in ((l_query, 1), (q["a"], 1), (q["b1"], 1), (q["b2"], 2)):
        h.update(_u32be(pts.shape[0]))
        h.update(g1_to_u(pts) if g == 1 else g2_to_u(pts))
    cs_hash = h.digest()
    _report(progress, "circuit hash", 1, 1)
    return Zkey(
        n_vars=r1cs.n_wires,
        n_public=n_public,
        domain_size=m,
        alpha_g1=np.array(ptau.alpha_tau_g1[0]),
        beta_g1=np.array(ptau.beta_tau_g1[0]),
        beta_g2=np.array(ptau.beta_g2),
        gamma_g2=G2_GEN_AFFINE.copy(),
        delta_g1=G1_GEN_AFFINE.copy(),
        delta_g2=G2_GEN_AFFINE.copy(),
        gamma_abc_g1=gamma_abc_g1,
        coeffs=coeffs_from_r1cs(r1cs),
        a_query=q["a"],
        b_g1_query=q["b1"],
        b_g2_query=q["b2"],
        l_query=l_query,
        h_query=q["h"],
        cs_hash=cs_hash,
        contributions=(),
        section_order=SECTIONS,
    )


def _zkey_init(r1cs_path: str | os.PathLike, ptau_path: str | os.PathLike, progress: Progress | None) -> Zkey:
    r1cs, ptau, k = _load(r1cs_path, ptau_path)
    return _zkey_from_queries(r1cs, ptau, k, _queries_from_ptau(r1cs, ptau, k, progress), progress)


Rescale = Callable[[int], tuple[np.ndarray, np.ndarray]]
"""rescale(s) -> (s * C points, s * H points)."""


def _contribute(zkey: Zkey, pairs: list[tuple[int, int]], name: str, progress: Progress | None,
                rescale: Rescale | None = None) -> Zkey:
    """Apply delta contributions (delta, k) in turn (zkey_contribute.js): g1_s = k G1, g1_sx = delta g1_s,
    transcript = BLAKE2b(csHash | earlier public keys | g1_s | g1_sx), g2_spx = delta hashToG2(transcript);
    delta_g1, delta_g2 times delta; C and H divided by the product of the deltas (by `rescale` when
    given, else by multiplying the key's points)."""
    contributions = list(zkey.contributions)
    delta_g1 = _g1_from_affine_array(zkey.delta_g1)
    delta_g2 = _g2_from_affine_array(zkey.delta_g2)
    total = 1
    for delta, k in pairs:
        g1_s = _g1_affine(g1_mul_int(G1_GENERATOR, k))
        g1_sx = _g1_affine(g1_mul_int(G1_GENERATOR, k * delta % R))
        transcript = blake2b_512(zkey.cs_hash, *(_pubkey_bytes(c) for c in contributions),
                                 g1_to_u(np.stack([g1_s, g1_sx])).tobytes())
        sp = hash_to_g2(transcript)
        g2_spx = _g2_affine(g2_mul_int((sp[0], sp[1], G2_GENERATOR[2]), delta))
        delta_g1 = g1_mul_int(delta_g1, delta)
        delta_g2 = g2_mul_int(delta_g2, delta)
        contributions.append(ZkeyContribution(_g1_affine(delta_g1), g1_s, g1_sx, g2_spx, transcript, 0, name))
        total = total * delta % R
    inv = pow(total, -1, R)
    total = 0
    _report(progress, "contribution", 0, 2)
    if rescale is not None:
        l_query, h_query = rescale(inv)
    else:
        l_query = scale_all(zkey.l_query, inv)
        _report(progress, "contribution", 1, 2)
        h_query = scale_all(zkey.h_query, inv)
    _report(progress, "contribution", 2, 2)
    inv = 0
    return replace(zkey, delta_g1=_g1_affine(delta_g1), delta_g2=_g2_affine(delta_g2), l_query=l_query,
                   h_query=h_query, contributions=tuple(contributions))


def _groth16_setup(
    r1cs_path: str | os.PathLike,
    ptau_path: str | os.PathLike,
    zkey_out: str | os.PathLike,
    pairs: list[tuple[int, int]],
    name: str,
    progress: Progress | None,
) -> ZkeyResult:
    """groth16_setup with given (delta, k) pairs; no pairs writes the uncontributed key (tests)."""
    zkey = _zkey_init(r1cs_path, ptau_path, progress)
    if pairs:
        zkey = _contribute(zkey, pairs, name, progress)
    return _finish(zkey, zkey_out, progress)


def _finish(zkey: Zkey, zkey_out: str | os.PathLike, progress: Progress | None) -> ZkeyResult:
    _report(progress, "writing", 0, 1)
    write_zkey(zkey, zkey_out)
    _report(progress, "writing", 1, 1)
    hashes = tuple(blake2b_512(_pubkey_bytes(c)) for c in zkey.contributions)
    return ZkeyResult(Path(zkey_out), zkey.cs_hash, hashes, zkey.domain_size, zkey.n_vars, zkey.n_public)


# --- both phases at once (development fast path) ----------------------------------------------------


@njit(cache=True)
def _accumulate(rows, cols, coeffs, lag, out):
    """out[col] += coeff * lag[row] over COO terms; coefficients in standard form and `lag` in
    Montgomery form, so the Montgomery product is the standard-form product (out is standard)."""
    for t in range(rows.shape[0]):
        c = (coeffs[t, 0], coeffs[t, 1], coeffs[t, 2], coeffs[t, 3])
        j = cols[t]
        store(out, j, fr_add(load(out, j), fr_mul(c, load(lag, rows[t]))))


@njit(cache=True)
def _add_public_rows(a, lag, first_row):
    """a[i] += lag[first_row + i] for the public wires i (lag Montgomery, a standard)."""
    for i in range(a.shape[0]):
        store(a, i, fr_add(load(a, i), fr_from_mont(load(lag, first_row + i))))


@njit(cache=True)
def _abc(a, b, c, beta, alpha, out):
    """out = beta a + alpha b + c (a, b, c, out standard; beta, alpha Montgomery)."""
    for i in range(a.shape[0]):
        store(out, i, fr_add(fr_add(fr_mul(load(a, i), beta), fr_mul(load(b, i), alpha)), load(c, i)))


def _queries_from_secrets(
    r1cs: R1CS, k: int, power: int, tau: int, alpha: int, beta: int, tables: dict[int, _FixedBase],
    progress: Progress | None,
) -> tuple[dict[str, np.ndarray], Rescale, Callable[[], None]]:
    """The same points as `_queries_from_ptau`, from field values: A_i(tau), B_i(tau) and
    beta A_i + alpha B_i + C_i by sparse products with L(tau), then one fixed-base multiplication per
    point. Returns the queries, the rescale for the contributions and a wipe for the secret values."""
    n, nc, npub = r1cs.n_wires, r1cs.n_constraints, r1cs.n_public
    lag = lagrange_scalars(tau, k)
    odd = lagrange_scalars(tau, k + 1, drop_top_power=(k == power))
    h_vals = fr_from_mont_array(np.ascontiguousarray(odd[1::2]))
    a, b, c, abc = (np.zeros((n, 4), dtype=np.uint64) for _ in range(4))
    secret = [lag, odd, h_vals, a, b, c, abc]

    def wipe() -> None:
        _wipe(*secret)

    try:
        for mat, out in ((r1cs.A, a), (r1cs.B, b), (r1cs.C, c)):
            _accumulate(mat.rows, mat.cols, np.ascontiguousarray(mat.coeffs), lag, out)
        _add_public_rows(a[: npub + 1], lag, nc)
        _abc(a, b, c, fr(beta), fr(alpha), abc)
        g1, g2 = tables[1], tables[2]
        q = {name: np.empty((n, 2, 4), dtype=np.uint64) for name in ("a", "b1", "abc")}
        q["b2"] = np.empty((n, 2, 2, 4), dtype=np.uint64)
        q["h"] = np.empty((1 << k, 2, 4), dtype=np.uint64)
        g1.mul(a, q["a"], progress, "A")
        g1.mul(b, q["b1"], progress, "B1")
        g2.mul(b, q["b2"], progress, "B2")
        g1.mul(abc, q["abc"], progress, "IC/C")
        g1.mul(h_vals, q["h"], progress, "H")
        _wipe(lag, odd, a, b, c)
    except BaseException:
        wipe()
        raise

    def rescale(inv: int) -> tuple[np.ndarray, np.ndarray]:
        k_m = fr(inv)
        priv = np.empty((n - npub - 1, 4), dtype=np.uint64)
        hs = np.empty_like(h_vals)
        secret.extend([priv, hs])
        _scale(abc[npub + 1 :], k_m, priv)  # standard * Montgomery -> standard
        _scale(h_vals, k_m, hs)
        l_query = np.empty((priv.shape[0], 2, 4), dtype=np.uint64)
        h_query = np.empty((hs.shape[0], 2, 4), dtype=np.uint64)
        g1.mul(priv, l_query, None, "")
        g1.mul(hs, h_query, None, "")
        _wipe(priv, hs)
        return l_query, h_query

    return q, rescale, wipe


def dev_setup(
    r1cs_path: str | os.PathLike,
    ptau_out: str | os.PathLike,
    zkey_out: str | os.PathLike,
    *,
    power: int | None = None,
    contributions: int = 1,
    entropy: bytes | str | None = None,
    name: str = DEV_CONTRIBUTION_NAME,
    progress: Progress | None = None,
) -> tuple[PtauResult, ZkeyResult]:
    """`powers_of_tau` then `groth16_setup`, in one process: while tau, alpha and beta are still in
    memory, every point of the key is one fixed-base multiplication of a field value (A_i(tau),
    B_i(tau), ... computed with sparse products) instead of a combination of Lagrange points. The
    files are the ones the two calls would write with the same secrets (a test checks it byte for
    byte). `power` defaults to the circuit's domain plus one (the smallest a snarkjs-compatible key
    allows above 2^14). Emits DevSetupWarning."""
    if not isinstance(contributions, int) or contributions < 1:
        raise ValueError(f"expected at least one contribution, got {contributions!r}")
    r1cs = read_r1cs(r1cs_path)
    k = circuit_power(r1cs.n_constraints, r1cs.n_public)
    if power is None:
        power = k + 1
    if not isinstance(power, int) or not 1 <= power <= MAX_POWER:
        raise ValueError(f"expected a power in 1..{MAX_POWER}, got {power!r}")
    _check_domain(r1cs.n_constraints, r1cs.n_public, power, f"a ptau of power {power}")
    _warn_dev()
    secrets = _Secrets(entropy)
    try:
        tau = _draw_tau(secrets, power)
        alpha, beta = secrets.scalar(), secrets.scalar()
        keys = (secrets.scalar(), secrets.scalar(), secrets.scalar())
        pairs = [(secrets.scalar(), secrets.scalar()) for _ in range(contributions)]
        return _dev_setup(r1cs_path, ptau_out, zkey_out, power, tau, alpha, beta, keys, pairs, name, progress)
    finally:
        secrets.wipe()
        tau = alpha = beta = keys = pairs = None  # noqa: F841


def _dev_setup(
    r1cs_path: str | os.PathLike,
    ptau_out: str | os.PathLike,
    zkey_out: str | os.PathLike,
    power: int,
    tau: int,
    alpha: int,
    beta: int,
    keys: tuple[int, int, int],
    pairs: list[tuple[int, int]],
    name: str,
    progress: Progress | None,
) -> tuple[PtauResult, ZkeyResult]:
    tables: dict[int, _FixedBase] = {}
    pt = _powers_of_tau(power, ptau_out, tau, alpha, beta, keys, name, progress, tables)
    r1cs, ptau, k = _load(r1cs_path, ptau_out)
    q, rescale, wipe = _queries_from_secrets(r1cs, k, power, tau, alpha, beta, tables, progress)
    try:
        zkey = _zkey_from_queries(r1cs, ptau, k, q, progress)
        if pairs:
            zkey = _contribute(zkey, pairs, name, progress, rescale)
    finally:
        wipe()
    return pt, _finish(zkey, zkey_out, progress)
