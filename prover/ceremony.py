"""Phase 2 of the Groth16 setup as a multi-party ceremony, file- and transcript-compatible with snarkjs.

Bowe, Gabizon, Miers, "Scalable multi-party computation for zk-SNARK parameters in the random
beacon model" (eprint 2017/1050), section 7 for Groth16's delta. Phase 1 (a prepared .ptau) fixes
tau, alpha, beta; phase 2 draws delta, the one secret that is specific to the circuit. It starts from
the key `snarkjs groth16 setup` writes (delta = 1, `zkey_new`), and each participant j multiplies
delta by a secret d_j:

    delta_g1 *= d_j, delta_g2 *= d_j, l_query (C) /= d_j, h_query (H) /= d_j

and appends a contribution record (`prover.formats.zkey.ZkeyContribution`) with a proof of knowledge
of d_j bound to everything before it:

    g1_s = a random G1 point, g1_sx = d_j g1_s,
    transcript = BLAKE2b-512(csHash | hashPubKey(c_1) | ... | hashPubKey(c_(j-1)) | g1_s | g1_sx),
    g2_spx = d_j hashToG2(transcript)
    hashPubKey(c) = deltaAfter | g1_s | g1_sx | g2_spx (uncompressed) | transcript
    contribution hash = BLAKE2b-512(hashPubKey(c))     (what a participant publishes)

The key is sound if any one participant forgot its d_j. The last contribution should be a public
random beacon (type 1): d and g1_s come from a ChaCha stream seeded by 2^e iterations of SHA-256 of a
value nobody could predict (`setup_verify.beacon_rng`), so anyone can recompute it.

`zkey_verify(r1cs, ptau, zkey)` checks everything `snarkjs zkey verify` checks, naming the failed
step (`SetupCheckError.step`):
- the circuit: the key that `zkey_new` makes from the r1cs and ptau (a ptau that is not prepared
  or too small is refused here) has the same header, alpha, beta, gamma, circuit hash, IC,
  coefficients, A, B1 and B2;
- every contribution: its transcript hash, its proof of knowledge e(g1_s, g2_spx) = e(g1_sx, g2_sp),
  deltaAfter = d_j * previous delta (same ratio as g1_s : g1_sx), a beacon's keys;
- delta_g1 is the last deltaAfter and delta_g2 has the same discrete log;
- C and H are the initial key's divided by delta: e(sum r_i C0_i, G2) = e(sum r_i C_i, delta_g2) for
  random r (likewise H), and every point is on the curve.
`verify_contributions(zkey)` runs the contribution checks alone (no r1cs or ptau: what a contributor
and the ceremony coordinator check before building on a key; the coordinator also compares the
untouched sections with the previous head).

Secrets: d_j comes from the OS CSPRNG hashed with optional caller entropy (`setup._Secrets`); it
lives in Python ints that are dropped after use, never written or logged.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from bn254.constants import R
from bn254.errors import PointError
from bn254.g1 import g1_validate_array

from .formats.binfile import FormatError
from .formats.zkey import NEW_ZKEY_ORDER, SECTIONS, Zkey, ZkeyContribution, read_zkey, write_zkey
from .setup import _load, _pubkey_bytes, _queries_from_ptau, _Secrets, _zkey_from_queries
from .setup_compose import compose
from .setup_hash import blake2b_512
from .setup_points import g1_to_u, hash_to_g2
from .setup_verify import (
    G1_GEN_AFFINE,
    G2_GEN_AFFINE,
    SetupCheckError,
    _g1_mul,
    _g2_mul,
    _msm_aff,
    beacon_rng,
    format_hash,
    fr_from_rng,
    g1_from_rng,
    random_scalars,
    same_ratio,
)

__all__ = [
    "SetupCheckError",
    "Contribution",
    "Transcript",
    "zkey_new",
    "zkey_contribute",
    "zkey_beacon",
    "zkey_verify",
    "verify_contributions",
    "contribution_hash",
    "format_hash",
]

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Contribution:
    """One line of a phase-2 transcript."""

    index: int
    """1-based, in order."""
    name: str | None
    hash: bytes
    """The contribution hash the participant published (BLAKE2b-512 of its public key)."""
    beacon_hash: bytes | None = None
    iterations_exp: int | None = None

    @property
    def is_beacon(self) -> bool:
        return self.beacon_hash is not None

    def lines(self) -> list[str]:
        out = [f"contribution #{self.index} {self.name or ''}".rstrip(), f"  {format_hash(self.hash)}"]
        if self.beacon_hash is not None:
            out.append(f"  beacon {self.beacon_hash.hex()} (2^{self.iterations_exp} SHA-256 iterations)")
        return out


@dataclass(frozen=True)
class Transcript:
    cs_hash: bytes
    contributions: tuple[Contribution, ...]

    def lines(self) -> list[str]:
        out = [f"circuit hash: {format_hash(self.cs_hash)}"]
        for c in self.contributions:
            out += c.lines()
        return out


def contribution_hash(c: ZkeyContribution) -> bytes:
    return blake2b_512(_pubkey_bytes(c))


def _transcript_of(zkey: Zkey) -> Transcript:
    return Transcript(zkey.cs_hash, tuple(
        Contribution(i, c.name, contribution_hash(c), c.beacon_hash if c.type == 1 else None,
                     c.num_iterations_exp if c.type == 1 else None)
        for i, c in enumerate(zkey.contributions, start=1)))


def _report(progress: Progress | None, stage: str, done: int, total: int) -> None:
    if progress is not None:
        progress(stage, done, total)


def _read(path: str | os.PathLike, step: str = "format") -> Zkey:
    try:
        return read_zkey(path)
    except (FormatError, ValueError) as e:
        raise SetupCheckError(step, str(e)) from None


# --- new ----------------------------------------------------------------------------------------------


def _initial_key(r1cs_path: str | os.PathLike, ptau_path: str | os.PathLike, progress: Progress | None) -> Zkey:
    try:
        r1cs, ptau, k = _load(r1cs_path, ptau_path)
    except (FormatError, ValueError) as e:
        raise SetupCheckError("ptau", str(e)) from None

    q = _queries_from_ptau(r1cs, ptau, k, progress)
    zkey = _zkey_from_queries(r1cs, ptau, k, q, progress)
    return replace(zkey, section_order=NEW_ZKEY_ORDER)


def zkey_new(r1cs_path: str | os.PathLike, ptau_path: str | os.PathLike, zkey_out: str | os.PathLike,
             progress: Progress | None = None) -> Transcript:
    """`snarkjs groth16 setup` (alias `zkey new`): the key before any contribution (delta = 1), the
    same bytes snarkjs writes. Not usable for proofs until contributions and a beacon follow."""
    zkey = _initial_key(r1cs_path, ptau_path, progress)
    _report(progress, "writing", 0, 1)
    write_zkey(zkey, zkey_out)
    _report(progress, "writing", 1, 1)
    return _transcript_of(zkey)


# --- contribute / beacon ----------------------------------------------------------------------------


def _scale(points: np.ndarray, s: int, progress: Progress | None, stage: str) -> np.ndarray:
    n = points.shape[0]
    scalars = np.zeros((n, 4), dtype=np.uint64)
    scalars[:] = [(s >> (64 * i)) & 0xFFFFFFFFFFFFFFFF for i in range(4)]
    try:
        idx = np.arange(n)
        return compose(points, idx, idx, scalars, n,
                       progress=None if progress is None else (lambda d, t: progress(stage, d, t)))
    finally:
        scalars[:] = 0


def _apply(zkey: Zkey, d: int, g1_s: np.ndarray, progress: Progress | None, *, ctype: int = 0,
           name: str | None = None, beacon_hash: bytes | None = None, iterations_exp: int | None = None,
           ) -> tuple[Zkey, ZkeyContribution]:
    """The key after multiplying delta by d, with g1_s the contribution's base point."""
    g1_sx = _g1_mul(g1_s, d)
    transcript = blake2b_512(zkey.cs_hash, *(_pubkey_bytes(c) for c in zkey.contributions),
                             g1_to_u(np.stack([g1_s, g1_sx])).tobytes())
    g2_spx = _g2_mul(np.array(hash_to_g2(transcript), dtype=np.uint64).reshape(2, 2, 4), d)
    delta_g1 = _g1_mul(np.asarray(zkey.delta_g1), d)
    delta_g2 = _g2_mul(np.asarray(zkey.delta_g2), d)
    c = ZkeyContribution(delta_g1, g1_s, g1_sx, g2_spx, transcript, ctype, name, iterations_exp, beacon_hash)
    inv = pow(d, -1, R)
    l_query = _scale(zkey.l_query, inv, progress, "C section")
    h_query = _scale(zkey.h_query, inv, progress, "H section")
    inv = 0
    out = replace(zkey, delta_g1=delta_g1, delta_g2=delta_g2, l_query=l_query, h_query=h_query,
                  contributions=(*zkey.contributions, c), section_order=SECTIONS)
    return out, c


def _write(zkey: Zkey, out: str | os.PathLike, progress: Progress | None) -> None:
    """Write to a temporary name and rename, so a reader never sees half a key."""
    out = Path(out)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    _report(progress, "writing", 0, 1)
    try:
        write_zkey(zkey, tmp)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    _report(progress, "writing", 1, 1)


def zkey_contribute(zkey_in: str | os.PathLike, zkey_out: str | os.PathLike, *, name: str | None = None,
                    entropy: bytes | str | None = None, progress: Progress | None = None) -> Contribution:
    """`snarkjs zkey contribute`: check the contributions so far (`verify_contributions`), multiply
    delta by a fresh secret (OS CSPRNG, mixed with `entropy`), write the new key. Returns the new
    transcript line; its hash is what the participant publishes."""
    zkey = _read(zkey_in)
    verify_contributions(zkey, progress)
    secrets = _Secrets(entropy)
    try:
        d = secrets.scalar()
        k = secrets.scalar()
        g1_s = _g1_mul(G1_GEN_AFFINE, k)
        new, c = _apply(zkey, d, g1_s, progress, name=name)
    finally:
        secrets.wipe()
        d = k = 0
    _write(new, zkey_out, progress)
    return _transcript_of(new).contributions[-1]


def parse_beacon_hash(beacon_hash: str | bytes) -> bytes:
    if isinstance(beacon_hash, bytes):
        return beacon_hash
    try:
        b = bytes.fromhex(beacon_hash)
    except ValueError:
        raise ValueError(f"the beacon hash must be hexadecimal, got {beacon_hash!r}") from None
    if not 0 < len(b) < 256:
        raise ValueError(f"a beacon hash has 1..255 bytes, got {len(b)}")
    return b


def zkey_beacon(zkey_in: str | os.PathLike, zkey_out: str | os.PathLike, beacon_hash: str | bytes,
                iterations_exp: int, *, name: str | None = None, progress: Progress | None = None) -> Contribution:
    """`snarkjs zkey beacon`: the final contribution, derived from a public random value so anyone
    can recompute it (same derivation as snarkjs: `beacon_rng`, then d = Fr.fromRng, g1_s = G1.fromRng)."""
    bh = parse_beacon_hash(beacon_hash)
    zkey = _read(zkey_in)
    verify_contributions(zkey, progress)
    _report(progress, "beacon", 0, 1)
    rng = beacon_rng(bh, iterations_exp)
    d = fr_from_rng(rng)
    g1_s = g1_from_rng(rng)
    _report(progress, "beacon", 1, 1)
    new, _ = _apply(zkey, d, g1_s, progress, ctype=1, name=name, beacon_hash=bh, iterations_exp=iterations_exp)
    _write(new, zkey_out, progress)
    return _transcript_of(new).contributions[-1]


# --- verify -------------------------------------------------------------------------------------------


def verify_contributions(zkey: Zkey, progress: Progress | None = None) -> Transcript:
    """Check the chain of contributions and that delta is its product (see the module docstring)."""
    acc = hashlib.blake2b(digest_size=64)
    acc.update(zkey.cs_hash)
    cur = G1_GEN_AFFINE
    total = len(zkey.contributions)
    _report(progress, "contributions", 0, total)
    for i, c in enumerate(zkey.contributions, start=1):
        where = f"contribution #{i}"
        for p, what in ((c.delta_after, "deltaAfter"), (c.g1_s, "g1_s"), (c.g1_sx, "g1_sx")):
            try:
                g1_validate_array(np.asarray(p)[None], allow_infinity=False, what=what)
            except PointError as e:
                raise SetupCheckError(f"{where} points", str(e)) from None
        mine = acc.copy()
        mine.update(g1_to_u(np.stack([c.g1_s, c.g1_sx])).tobytes())
        if mine.digest() != c.transcript:
            raise SetupCheckError(f"{where} transcript", "its transcript hash is not BLAKE2b(circuit hash | earlier "
                                                         "contributions | its key): the chain is broken")
        sp = np.array(hash_to_g2(c.transcript), dtype=np.uint64).reshape(2, 2, 4)
        if not same_ratio(c.g1_s, c.g1_sx, sp, c.g2_spx, f"{where} proof of knowledge"):
            raise SetupCheckError(f"{where} proof of knowledge", "g1_s, g1_sx and g2_spx do not share one secret")
        if not same_ratio(cur, c.delta_after, sp, c.g2_spx, f"{where} delta"):
            raise SetupCheckError(f"{where} delta", "deltaAfter is not the previous delta times the "
                                                    "contribution's secret")
        if c.type == 1:
            if c.beacon_hash is None or c.num_iterations_exp is None:
                raise SetupCheckError(f"{where} beacon", "a beacon contribution without its beacon parameters")
            try:
                rng = beacon_rng(c.beacon_hash, c.num_iterations_exp)
            except ValueError as e:
                raise SetupCheckError(f"{where} beacon", str(e)) from None
            d = fr_from_rng(rng)
            g1_s = g1_from_rng(rng)
            if not (np.array_equal(g1_s, c.g1_s) and np.array_equal(_g1_mul(g1_s, d), c.g1_sx)):
                raise SetupCheckError(f"{where} beacon", "its key is not the one the beacon derives")
        elif c.type != 0:
            raise SetupCheckError(f"{where} type", f"unknown contribution type {c.type}")
        acc.update(_pubkey_bytes(c))
        cur = c.delta_after
        _report(progress, "contributions", i, total)
    if not np.array_equal(np.asarray(zkey.delta_g1), np.asarray(cur)):
        raise SetupCheckError("delta_g1", "delta_g1 is not the last contribution's deltaAfter")
    if not same_ratio(G1_GEN_AFFINE, zkey.delta_g1, G2_GEN_AFFINE, zkey.delta_g2, "delta_g2"):
        raise SetupCheckError("delta_g2", "delta_g2 and delta_g1 have different discrete logarithms")
    return _transcript_of(zkey)


def _same_points(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and np.array_equal(a, b)


def check_divided_by_delta(init: np.ndarray, final: np.ndarray, delta_g2: np.ndarray, step: str, *,
                           before_g2: np.ndarray | None = None) -> None:
    """final = init * (delta before / delta) point by point, delta given in G2 (before: the generator
    unless `before_g2`), by one random linear combination (and a curve check)."""
    if init.shape != final.shape:
        raise SetupCheckError(step, f"expected {init.shape[0]} points, got {final.shape[0]}")
    if not init.shape[0]:
        return
    try:
        g1_validate_array(final, allow_infinity=True)
    except PointError as e:
        raise SetupCheckError(step, str(e)) from None
    r = random_scalars(init.shape[0])
    r_init, r_final = _msm_aff(init, r), _msm_aff(final, r)
    if not r_init.any() and not r_final.any():
        return
    if not same_ratio(r_init, r_final, delta_g2, G2_GEN_AFFINE if before_g2 is None else before_g2, step):
        raise SetupCheckError(step, "the points are not the initial key's divided by delta")


def compare_untouched(init: Zkey, zkey: Zkey) -> None:
    """What a contribution must leave alone: header, alpha, beta, gamma, circuit hash, IC,
    coefficients, A, B1, B2 (raises SetupCheckError naming the first that differs)."""
    if (init.n_vars, init.n_public, init.domain_size) != (zkey.n_vars, zkey.n_public, zkey.domain_size):
        raise SetupCheckError("circuit", f"the key has {zkey.n_vars} wires, {zkey.n_public} public, domain "
                                         f"{zkey.domain_size}; the circuit {init.n_vars}, {init.n_public}, "
                                         f"{init.domain_size}")
    for what in ("alpha_g1", "beta_g1", "beta_g2", "gamma_g2"):
        if not _same_points(np.asarray(getattr(init, what)), np.asarray(getattr(zkey, what))):
            raise SetupCheckError(what, f"{what} differs from the one the circuit and ptau give")
    if init.cs_hash != zkey.cs_hash:
        raise SetupCheckError("circuit hash", "the key was made for another circuit or ptau")
    for what, a, b in (("IC section", init.gamma_abc_g1, zkey.gamma_abc_g1), ("A section", init.a_query, zkey.a_query),
                       ("B1 section", init.b_g1_query, zkey.b_g1_query), ("B2 section", init.b_g2_query,
                                                                           zkey.b_g2_query)):
        if not _same_points(np.asarray(a), np.asarray(b)):
            raise SetupCheckError(what, "differs from the section the circuit and ptau give")
    if not (init.coeffs.shape == zkey.coeffs.shape and init.coeffs.tobytes() == zkey.coeffs.tobytes()):
        raise SetupCheckError("coefficients", "the coefficient section differs from the circuit's")


def zkey_verify(r1cs_path: str | os.PathLike, ptau_path: str | os.PathLike, zkey_path: str | os.PathLike,
                progress: Progress | None = None) -> Transcript:
    """Everything `snarkjs zkey verify` checks (module docstring); returns the transcript or raises
    SetupCheckError naming the failed step."""
    zkey = _read(zkey_path)
    transcript = verify_contributions(zkey, progress)
    init = _initial_key(r1cs_path, ptau_path, progress)
    _report(progress, "comparing", 0, 3)
    compare_untouched(init, zkey)
    _report(progress, "comparing", 1, 3)
    check_divided_by_delta(np.asarray(init.l_query), np.asarray(zkey.l_query), np.asarray(zkey.delta_g2), "C section")
    _report(progress, "comparing", 2, 3)
    check_divided_by_delta(np.asarray(init.h_query), np.asarray(zkey.h_query), np.asarray(zkey.delta_g2), "H section")
    _report(progress, "comparing", 3, 3)
    return transcript
