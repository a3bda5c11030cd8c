"""Groth16 verifier (Groth, "On the Size of Pairing-based Non-interactive Arguments", eprint 2016/260).

A proof (A, B, C) for public inputs a_1..a_l is accepted under the verifying key
(alpha_g1, beta_g2, gamma_g2, delta_g2, gamma_abc_g1 = IC) iff

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),   vk_x = IC_0 + sum_i a_i IC_i,

checked here as ONE product  e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) == 1  with a single
final exponentiation (`bn254.pairing`). `prepare_verifying_key` validates the key once and
precomputes what does not depend on the proof: the Miller-loop lines of beta, gamma and delta and
the Miller value of (alpha, beta); a verification then runs one Miller loop with lines computed on
the fly (for B) and two with precomputed lines.

`verify` returns None or raises a typed error (`verifier.errors`) before any pairing when the input
is malformed: public inputs of the wrong count or outside [0, r) (never reduced mod r), proof
coordinates >= q, A or C at infinity or off the curve, B off the twist or outside G2.

`batch_verify` checks n proofs with one (n + 3)-pairing product: each proof's equation raised to a
fresh 128-bit weight z_i from the OS CSPRNG (`secrets`),

    prod_i e(-z_i A_i, B_i) * e((sum z_i) alpha, beta) * e(sum_i z_i vk_x_i, gamma) * e(sum_i z_i C_i, delta) == 1,

where sum_i z_i vk_x_i = (sum z_i) IC_0 + sum_j (sum_i z_i a_ij) IC_j is one small MSM over IC. A false
proof, or several whose errors would cancel in an unweighted product, pass only with probability
about 2^-128 (the weights are unknown when the proofs are chosen).

snarkjs keys always have gamma = the G2 generator (its phase 2 only randomises delta), which is safe:
forgery needs delta known, e.g. delta == gamma or delta == the generator (a zkey without phase-2
contribution); those keys are refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numba import njit

from bn254.constants import G2_GEN, R
from bn254.ec import aff_load, as_kernel, batch_to_aff, jac_store
from bn254.errors import PointError
from bn254.fields import U1
from bn254.fq12 import FQ12_ONE
from bn254.g1 import G1_INF, g1_dbl, g1_decode, g1_madd, g1_neg, g1_to_affine
from bn254.g2 import g2_array, g2_decode, g2_validate_array
from bn254.pairing import miller_loop, pairing_product_is_one, prepare_g2

from .errors import InvalidProof, MalformedProof, PublicInputError, VerificationError, VerifyingKeyError
from .keys import Proof, VerifyingKey, proof_from_json, public_inputs, snarkjs_alphabeta, verifying_key_from_json

BATCH_WEIGHT_BITS = 128
"""The weights of `batch_verify` are uniform in [1, 2^128): a false batch passes with probability ~2^-128."""

_EMPTY_G1 = np.zeros((0, 2, 4), dtype=np.uint64)
_EMPTY_G2 = np.zeros((0, 2, 2, 4), dtype=np.uint64)


# --- G1 kernels for vk_x and the batch weights (on bn254.g1's group law) -------------------------


@njit(cache=True)
def _g1_msm_small(points, scalars, nbits):
    """sum_i scalars[i] points[i] (Jacobian) by interleaved double-and-add (one shared doubling per bit,
    Straus); points (n, 2, 4) affine, infinity allowed; scalars (n, 4) standard-form limbs < 2^nbits."""
    acc = G1_INF
    for b in range(nbits - 1, -1, -1):
        acc = g1_dbl(acc)
        limb = b >> 6
        sh = np.uint64(b & 63)
        for i in range(points.shape[0]):
            if (scalars[i, limb] >> sh) & U1:
                acc = g1_madd(acc, aff_load(points, i))
    return acc


@njit(cache=True)
def _g1_neg_scale_each(points, scalars, nbits, out):
    """out[i] = -(scalars[i] points[i]) (Jacobian (n, 3, 4)), double-and-add from bit nbits - 1."""
    for i in range(points.shape[0]):
        a = aff_load(points, i)
        acc = G1_INF
        for b in range(nbits - 1, -1, -1):
            acc = g1_dbl(acc)
            if (scalars[i, b >> 6] >> np.uint64(b & 63)) & U1:
                acc = g1_madd(acc, a)
        jac_store(out, i, g1_neg(acc))


def _limbs(values: Sequence[int]) -> tuple[np.ndarray, int]:
    """(n, 4) standard-form limbs of ints in [0, 2^256), and the largest bit length."""
    out = np.zeros((len(values), 4), dtype=np.uint64)
    for i, v in enumerate(values):
        for k in range(4):
            out[i, k] = (v >> (64 * k)) & 0xFFFFFFFFFFFFFFFF
    return out, max((v.bit_length() for v in values), default=0)


def _msm(points: np.ndarray, scalars: Sequence[int]) -> np.ndarray:
    """(1, 2, 4) affine sum_i scalars[i] points[i] (infinity as zeros)."""
    limbs, nbits = _limbs(scalars)
    acc = _g1_msm_small(points, limbs, nbits)
    return np.array(as_kernel(g1_to_affine(as_kernel(acc))), dtype=np.uint64).reshape(1, 2, 4)


# --- the prepared key -----------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class PreparedVerifyingKey:
    """A verifying key checked once (`prepare_verifying_key`) with its proof-independent precomputation."""

    vk: VerifyingKey
    gamma_abc_g1: np.ndarray
    """IC, (nPublic + 1, 2, 4) affine Montgomery."""
    alpha_g1: np.ndarray
    """(1, 2, 4)."""
    alphabeta_miller: tuple
    """Miller-loop value of (alpha, beta) before the final exponentiation (an Fq12 kernel element)."""
    verify_lines: np.ndarray
    """Line coefficients of (gamma, delta): (2, N_LINES, 3, 2, 4)."""
    batch_lines: np.ndarray
    """Line coefficients of (beta, gamma, delta): (3, N_LINES, 3, 2, 4)."""

    @property
    def n_public(self) -> int:
        return self.vk.n_public


def _g1_point(p: Any, what: str, err: type[VerificationError]) -> np.ndarray:
    """A G1 point (int pair) decoded strictly (in [0, q), on the curve, not infinity) as (2, 4)."""
    try:
        x, y, _ = g1_decode(p)
    except PointError as e:
        raise err(f"{what}: {e}") from None
    return np.array((x, y), dtype=np.uint64)


def _g2_point(q: Any, what: str, err: type[VerificationError]) -> np.ndarray:
    """A G2 point decoded strictly (in [0, q), on the twist, in G2, not infinity) as (2, 2, 4)."""
    try:
        x, y, _ = g2_decode(q)
    except PointError as e:
        raise err(f"{what}: {e}") from None
    return np.array((x, y), dtype=np.uint64)


def prepare_verifying_key(vk: VerifyingKey | dict) -> PreparedVerifyingKey:
    """Validate a verifying key and precompute its pairing data; raises VerifyingKeyError.

    Checks: IC has nPublic + 1 points; alpha and every IC point on G1 and not infinity (an IC point at
    infinity would leave its public input unbound); beta, gamma, delta on the twist, in G2, not
    infinity; gamma != delta; delta != the G2 generator; vk_alphabeta_12, when present, equals
    e(alpha, beta) (snarkjs' convention)."""
    if isinstance(vk, dict):
        vk = verifying_key_from_json(vk)
    if not isinstance(vk, VerifyingKey):
        raise TypeError(f"expected a VerifyingKey or its JSON object, got {type(vk).__name__}")
    err = VerifyingKeyError
    n = vk.n_public
    if len(vk.gamma_abc_g1) != n + 1:
        raise err(f"IC: expected nPublic + 1 = {n + 1} points, got {len(vk.gamma_abc_g1)}")
    alpha = _g1_point(vk.alpha_g1, "vk_alpha_1", err)
    ic = np.stack([_g1_point(p, f"IC[{i}]", err) for i, p in enumerate(vk.gamma_abc_g1)])
    beta = _g2_point(vk.beta_g2, "vk_beta_2", err)
    gamma = _g2_point(vk.gamma_g2, "vk_gamma_2", err)
    delta = _g2_point(vk.delta_g2, "vk_delta_2", err)
    if vk.gamma_g2 == vk.delta_g2:
        raise err("vk_gamma_2 == vk_delta_2: public inputs could be moved into C, proofs are forgeable")
    if vk.delta_g2 == G2_GEN:
        raise err("vk_delta_2 is the G2 generator: the key had no phase-2 contribution (delta = 1 is known), "
                  "proofs are forgeable")
    if vk.alphabeta_12 is not None and tuple(vk.alphabeta_12) != snarkjs_alphabeta(vk.alpha_g1, vk.beta_g2):
        raise err("vk_alphabeta_12: expected e(vk_alpha_1, vk_beta_2), got another value")
    beta_l, gamma_l, delta_l = prepare_g2(beta), prepare_g2(gamma), prepare_g2(delta)
    f_ab = miller_loop(alpha.reshape(1, 2, 4), beta.reshape(1, 2, 2, 4), _EMPTY_G1, _empty_lines())
    return PreparedVerifyingKey(
        vk=vk,
        gamma_abc_g1=ic,
        alpha_g1=alpha.reshape(1, 2, 4),
        alphabeta_miller=as_kernel(f_ab),
        verify_lines=np.stack([gamma_l, delta_l]),
        batch_lines=np.stack([beta_l, gamma_l, delta_l]),
    )


def _empty_lines() -> np.ndarray:
    from bn254.pairing import N_LINES

    return np.zeros((0, N_LINES, 3, 2, 4), dtype=np.uint64)


# --- single proofs --------------------------------------------------------------------------------


def _proof_ints(proof: Any) -> Proof:
    """A Proof from a Proof, a proof.json object, or anything with a, b, c attributes."""
    if isinstance(proof, Proof):
        return proof
    if isinstance(proof, dict):
        return proof_from_json(proof)
    if all(hasattr(proof, k) for k in ("a", "b", "c")):
        return Proof(proof.a, proof.b, proof.c)
    raise MalformedProof(f"expected a proof (Proof, proof.json object), got {type(proof).__name__}")


def _vk_x(pvk: PreparedVerifyingKey, xs: Sequence[int]) -> np.ndarray:
    """IC_0 + sum_i x_i IC_i, (1, 2, 4) affine."""
    return _msm(pvk.gamma_abc_g1, [1, *xs])


def verify(pvk: PreparedVerifyingKey | VerifyingKey, public: Sequence[int | str], proof: Any) -> None:
    """Accept (return None) or raise: PublicInputError, MalformedProof, InvalidProof (see module doc).

    `public`: the nPublic public inputs as ints or canonical decimal strings (as in public.json);
    `proof`: a `keys.Proof`, a proof.json object, or any object with affine int attributes a, b, c."""
    if isinstance(pvk, VerifyingKey):
        pvk = prepare_verifying_key(pvk)
    xs = public_inputs(public, pvk.n_public)
    p = _proof_ints(proof)
    a = _g1_point(p.a, "pi_a", MalformedProof)
    b = _g2_point(p.b, "pi_b", MalformedProof)
    c = _g1_point(p.c, "pi_c", MalformedProof)
    neg_a = a.copy()
    neg_a[1] = _neg_y(a[1])
    p_pre = np.concatenate([_vk_x(pvk, xs), c.reshape(1, 2, 4)])
    ok = pairing_product_is_one(
        neg_a.reshape(1, 2, 4), b.reshape(1, 2, 2, 4), p_pre, pvk.verify_lines, pvk.alphabeta_miller
    )
    if not ok:
        raise InvalidProof("pairing check failed: e(A, B) != e(alpha, beta) e(vk_x, gamma) e(C, delta)")


def _neg_y(y: np.ndarray) -> np.ndarray:
    from bn254.fields import fq_neg

    return np.array(as_kernel(fq_neg(tuple(y))), dtype=np.uint64)


# --- batches --------------------------------------------------------------------------------------


def batch_verify(
    pvk: PreparedVerifyingKey | VerifyingKey,
    items: Iterable[tuple[Sequence[int | str], Any]],
    *,
    locate: bool = True,
) -> None:
    """Accept every (public inputs, proof) pair at once, or raise.

    Inputs and points are checked per item first (errors name the item: "proof 3 of 64: ...").
    Then one (n + 3)-pairing product with CSPRNG weights. If it fails and `locate` is set, the items
    are verified one by one to name the first false proof (n more verifications, only on failure);
    otherwise InvalidProof names the batch."""
    if isinstance(pvk, VerifyingKey):
        pvk = prepare_verifying_key(pvk)
    items = list(items)
    n = len(items)
    if n == 0:
        return
    xs_all: list[list[int]] = []
    a_pts = np.empty((n, 2, 4), dtype=np.uint64)
    c_pts = np.empty((n, 2, 4), dtype=np.uint64)
    b_ints = []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise MalformedProof(f"expected a (public inputs, proof) pair, got {type(item).__name__}")
            public, proof = item
            xs_all.append(public_inputs(public, pvk.n_public))
            p = _proof_ints(proof)
            a_pts[i] = _g1_point(p.a, "pi_a", MalformedProof)
            c_pts[i] = _g1_point(p.c, "pi_c", MalformedProof)
            if p.b is None:
                raise MalformedProof("pi_b: expected a G2 point, got the point at infinity")
            try:
                b_ints.append(g2_array([p.b])[0])
            except (PointError, TypeError) as e:
                raise MalformedProof(f"pi_b: {e}") from None
        except VerificationError as e:
            raise type(e)(f"proof {i} of {n}: {e}") from None
    b_pts = np.stack(b_ints)
    try:
        g2_validate_array(b_pts, allow_infinity=False, subgroup=True, what="pi_b of proof")
    except PointError as e:
        raise MalformedProof(str(e)) from None

    z = [secrets.randbelow((1 << BATCH_WEIGHT_BITS) - 1) + 1 for _ in range(n)]
    z_sum = sum(z) % R
    ic_scalars = [z_sum] + [sum(zi * xs[j] for zi, xs in zip(z, xs_all, strict=True)) % R for j in range(pvk.n_public)]
    z_limbs, z_bits = _limbs(z)
    neg_za = np.empty((n, 3, 4), dtype=np.uint64)
    _g1_neg_scale_each(a_pts, z_limbs, z_bits, neg_za)
    p_pre = np.concatenate([_msm(pvk.alpha_g1, [z_sum]), _msm(pvk.gamma_abc_g1, ic_scalars), _msm(c_pts, z)])
    neg_za_aff = np.empty((n, 2, 4), dtype=np.uint64)
    batch_to_aff(neg_za, neg_za_aff, 0, n, np.empty_like(neg_za))  # one inversion, serial: n is small
    ok = pairing_product_is_one(neg_za_aff, b_pts, p_pre, pvk.batch_lines, FQ12_ONE)
    if ok:
        return
    if locate:
        for i, (public, proof) in enumerate(items):
            try:
                verify(pvk, public, proof)
            except InvalidProof as e:
                raise InvalidProof(f"proof {i} of {n}: {e}") from None
    raise InvalidProof(f"batch of {n} proofs failed the combined pairing check")


__all__ = [
    "BATCH_WEIGHT_BITS",
    "InvalidProof",
    "MalformedProof",
    "PreparedVerifyingKey",
    "PublicInputError",
    "VerifyingKeyError",
    "batch_verify",
    "prepare_verifying_key",
    "verify",
]
