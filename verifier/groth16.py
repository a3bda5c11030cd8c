"""Groth16 verifier (Groth, "On the Size of Pairing-based Non-interactive Arguments", eprint 2016/260).

A proof (A, B, C) for public inputs a_1..a_l is accepted under the verifying key
(alpha_g1, beta_g2, gamma_g2, delta_g2, gamma_abc_g1 = IC) iff

    e(A, B) = e(alpha, beta) * e(vk_x, gamma) * e(C, delta),   vk_x = IC_0 + sum_i a_i IC_i,

checked here as ONE product  e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) == 1  with a single
final exponentiation (`bn254.pairing`). `prepare_verifying_key` validates the key once and
precomputes what does not depend on the proof: the Miller-loop lines of beta, gamma and delta and
the Miller value of (alpha, beta); a verification then runs one Miller loop with lines computed on
the fly (for B) and two with precomputed lines.

`verify` returns None or raises a typed error (`verifier.errors`) when the input is malformed:
public inputs of the wrong count or outside [0, r) (never reduced mod r), proof coordinates >= q,
A or C at infinity or off the curve, B at infinity or off the twist - all before any pairing - or B
outside G2. B's subgroup test is part of its Miller loop ([6x+2]B + psi(B) - psi^2(B) + psi^3(B) = O,
see `bn254.pairing.miller_loop`; it replaces a 254-bit r * B) and is looked at before the pairing
value: a B outside G2 is a MalformedProof, never an InvalidProof or an acceptance.

`batch_verify` checks n proofs with one (n + 3)-pairing product: each proof's equation raised to a
fresh weight z_i = k1 + lambda k2 (k1, k2 64-bit from the OS CSPRNG, `secrets`; lambda the eigenvalue
of G1's endomorphism, so z_i A_i costs a 64-bit double multiplication; 2^128 - 1 distinct weights),

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

from bn254.constants import G2_GEN, Q, R
from bn254.ec import aff_load, aff_store, as_kernel, batch_to_aff, jac_store
from bn254.errors import PointError
from bn254.fields import U1, fq, fq_mul, fq_neg
from bn254.fq12 import FQ12_ONE
from bn254.g1 import (
    G1_INF,
    g1_array,
    g1_dbl,
    g1_decode,
    g1_from_affine,
    g1_madd,
    g1_neg,
    g1_to_affine,
    g1_validate_array,
)
from bn254.g2 import g2_array, g2_decode, g2_is_on_curve, g2_validate_array
from bn254.pairing import N_LINES, miller_loop, pairing_product_is_one, prepare_g2

from .errors import InvalidProof, MalformedProof, PublicInputError, VerificationError, VerifyingKeyError
from .keys import Proof, VerifyingKey, proof_from_json, public_inputs, snarkjs_alphabeta, verifying_key_from_json

BATCH_WEIGHT_BITS = 128
"""Entropy of each weight of `batch_verify`: a false batch passes with probability about 2^-128."""


# --- the GLV endomorphism of G1, for cheap 128-bit weights -----------------------------------------
# phi(x, y) = (beta x, y) is [lambda] on G1 (beta, lambda cube roots of unity mod q, r). A weight
# z = k1 + lambda k2 with k1, k2 < 2^64 costs a 64-bit double-scalar multiplication instead of a
# 128-bit one, and the 2^128 - 1 non-zero (k1, k2) give distinct z: k1 + lambda k2 = 0 mod r has no
# non-zero solution with |k1|, |k2| < 2^64, because the lattice {(a, b) : a + lambda b = 0 mod r} has
# no vector shorter than ~2^127 (asserted below on its Gauss-reduced basis).


def _cube_root_of_unity(m: int) -> int:
    for g in range(2, 1000):
        w = pow(g, (m - 1) // 3, m)
        if w != 1:
            return w
    raise AssertionError("no cube root of unity found")


def _glv_constants() -> tuple[int, int]:
    from bn254.g1 import G1_GENERATOR, g1_mul_int, g1_to_ints

    beta = _cube_root_of_unity(Q)
    w = _cube_root_of_unity(R)
    for lam in (w, w * w % R):
        if g1_to_ints(g1_mul_int(G1_GENERATOR, lam)) == (beta, 2):  # phi(G) == [lambda] G, G = (1, 2)
            return beta, lam
    raise AssertionError("phi(x, y) = (beta x, y) is not [lambda] on G1")


def _shortest_lattice_vector(lam: int) -> int:
    """Squared norm of the shortest non-zero (a, b) with a + lam b = 0 mod r (Lagrange-Gauss reduction)."""

    def n2(t: tuple[int, int]) -> int:
        return t[0] * t[0] + t[1] * t[1]

    u, v = (R, 0), (-lam % R, 1)
    if n2(u) < n2(v):
        u, v = v, u
    while True:
        m = (2 * (u[0] * v[0] + u[1] * v[1]) + n2(v)) // (2 * n2(v))  # nearest integer to <u, v>/<v, v>
        u = (u[0] - m * v[0], u[1] - m * v[1])
        if n2(u) >= n2(v):
            return n2(v)
        u, v = v, u


GLV_BETA, GLV_LAMBDA = _glv_constants()
assert (GLV_LAMBDA * GLV_LAMBDA + GLV_LAMBDA + 1) % R == 0 and pow(GLV_BETA, 3, Q) == 1 != GLV_BETA
assert _shortest_lattice_vector(GLV_LAMBDA) > 1 << 130, "weights k1 + lambda k2 would collide"
_BETA_M = fq(GLV_BETA)

_EMPTY_G1 = np.zeros((0, 2, 4), dtype=np.uint64)


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
def _g1_endo(points, beta, out):
    """out[i] = phi(points[i]) = (beta x, y); infinity (zeros) stays infinity."""
    for i in range(points.shape[0]):
        x, y = aff_load(points, i)
        aff_store(out, i, (fq_mul(x, beta), y))


@njit(cache=True)
def _g1_plus(a_aff, b_aff, out):
    """out[i] = a[i] + b[i] (Jacobian (n, 3, 4))."""
    for i in range(a_aff.shape[0]):
        jac_store(out, i, g1_madd(g1_from_affine(aff_load(a_aff, i)), aff_load(b_aff, i)))


@njit(cache=True)
def _g1_neg_glv_each(a_aff, phi_aff, sum_aff, k1, k2, out):
    """out[i] = -(k1[i] A_i + k2[i] phi(A_i)) (Jacobian), 64-bit k1, k2 (uint64 arrays): Straus with the
    table A, phi(A), A + phi(A) (64 doublings, ~48 mixed additions)."""
    for i in range(a_aff.shape[0]):
        a, b, ab = aff_load(a_aff, i), aff_load(phi_aff, i), aff_load(sum_aff, i)
        u, v = k1[i], k2[i]
        acc = G1_INF
        for bit in range(63, -1, -1):
            acc = g1_dbl(acc)
            s = np.uint64(bit)
            bu, bv = (u >> s) & U1, (v >> s) & U1
            if bu and bv:
                acc = g1_madd(acc, ab)
            elif bu:
                acc = g1_madd(acc, a)
            elif bv:
                acc = g1_madd(acc, b)
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


def _g2_on_twist(q: Any, what: str, err: type[VerificationError]) -> np.ndarray:
    """A proof's G2 point decoded strictly but for the subgroup (in [0, q), on the twist, not infinity)
    as (2, 2, 4); its G2 membership is tested by the Miller loop (`bn254.pairing.miller_loop`)."""
    try:
        arr = g2_array([q])
    except (PointError, TypeError) as e:
        raise err(f"{what}: {e}") from None
    if not arr.any():
        raise err(f"{what}: expected a G2 point, got the point at infinity")
    if not g2_is_on_curve(as_kernel(aff_load(arr, 0))):
        raise err(f"{what}: expected a point on the twist y^2 = x^3 + 3/(9+u), got {q}")
    return arr[0]


_NOT_IN_G2 = "pi_b: expected a point of the order-r subgroup G2, got one outside it"


def check_verifying_key(vk: VerifyingKey | dict) -> VerifyingKey:
    """Validate a verifying key (or its snarkjs JSON); returns it parsed, or raises VerifyingKeyError.

    Checks: IC has nPublic + 1 points; alpha and every IC point on G1 and not infinity (an IC point at
    infinity would leave its public input unbound); beta, gamma, delta on the twist, in G2, not
    infinity; gamma != delta; delta != the G2 generator; vk_alphabeta_12, when present, equals
    e(alpha, beta) (snarkjs' convention). The Solidity generator (`verifier.solidity`) calls this
    too, so no key reaches a contract that this verifier would refuse."""
    return _checked_points(vk)[0]


def _checked_points(vk: VerifyingKey | dict) -> tuple[VerifyingKey, np.ndarray, np.ndarray, tuple]:
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
    return vk, alpha, ic, (beta, gamma, delta)


def prepare_verifying_key(vk: VerifyingKey | dict) -> PreparedVerifyingKey:
    """Validate a verifying key (`check_verifying_key`) and precompute its pairing data; raises
    VerifyingKeyError."""
    vk, alpha, ic, (beta, gamma, delta) = _checked_points(vk)
    beta_l, gamma_l, delta_l = prepare_g2(beta), prepare_g2(gamma), prepare_g2(delta)
    f_ab = miller_loop(alpha.reshape(1, 2, 4), beta.reshape(1, 2, 2, 4), _EMPTY_G1,
                       np.zeros((0, N_LINES, 3, 2, 4), dtype=np.uint64), np.empty(1, dtype=np.bool_))
    return PreparedVerifyingKey(
        vk=vk,
        gamma_abc_g1=ic,
        alpha_g1=alpha.reshape(1, 2, 4),
        alphabeta_miller=as_kernel(f_ab),
        verify_lines=np.stack([gamma_l, delta_l]),
        batch_lines=np.stack([beta_l, gamma_l, delta_l]),
    )


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
    b = _g2_on_twist(p.b, "pi_b", MalformedProof)
    c = _g1_point(p.c, "pi_c", MalformedProof)
    neg_a = a.copy()
    neg_a[1] = _neg_y(a[1])
    p_pre = np.concatenate([_vk_x(pvk, xs), c.reshape(1, 2, 4)])
    in_g2 = np.empty(1, dtype=np.bool_)
    ok = pairing_product_is_one(
        neg_a.reshape(1, 2, 4), b.reshape(1, 2, 2, 4), p_pre, pvk.verify_lines, pvk.alphabeta_miller, in_g2
    )
    if not in_g2[0]:
        raise MalformedProof(_NOT_IN_G2)
    if not ok:
        raise InvalidProof("pairing check failed: e(A, B) != e(alpha, beta) e(vk_x, gamma) e(C, delta)")


def _neg_y(y: np.ndarray) -> np.ndarray:
    return np.array(as_kernel(fq_neg(tuple(y))), dtype=np.uint64)


# --- batches --------------------------------------------------------------------------------------


def _decode_points(proofs: list[Proof]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A, B, C of every proof as arrays, range- and curve-checked in one kernel call per array (B's
    subgroup is left to the Miller loop); on any failure the proofs are decoded one by one so that
    the error names the proof and the reason."""
    try:
        a = g1_array([p.a for p in proofs])
        b = g2_array([p.b for p in proofs])
        c = g1_array([p.c for p in proofs])
        g1_validate_array(a, allow_infinity=False)
        g2_validate_array(b, allow_infinity=False, subgroup=False)
        g1_validate_array(c, allow_infinity=False)
        return a, b, c
    except (PointError, TypeError):
        pass
    n = len(proofs)
    for i, p in enumerate(proofs):
        try:
            _g1_point(p.a, "pi_a", MalformedProof)
            _g2_on_twist(p.b, "pi_b", MalformedProof)
            _g1_point(p.c, "pi_c", MalformedProof)
        except MalformedProof as e:
            raise MalformedProof(f"proof {i} of {n}: {e}") from None
    raise AssertionError("a batch failed to decode but every proof decodes")  # pragma: no cover


def _batch_weights(n: int) -> tuple[np.ndarray, np.ndarray]:
    """n weights z_i = k1_i + lambda k2_i as (k1, k2) uint64 arrays, from the OS CSPRNG; (0, 0) redrawn."""
    k1 = np.empty(n, dtype=np.uint64)
    k2 = np.empty(n, dtype=np.uint64)
    for i in range(n):
        u = v = 0
        while u == 0 and v == 0:
            u, v = secrets.randbits(64), secrets.randbits(64)
        k1[i], k2[i] = u, v
    return k1, k2


def _given_weights(weights: Sequence[tuple[int, int]], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Caller-chosen (k1, k2) pairs as uint64 arrays; each half below 2^64 and not both zero."""
    weights = list(weights)
    if len(weights) != n:
        raise ValueError(f"expected {n} weights, one per item, got {len(weights)}")
    k1 = np.empty(n, dtype=np.uint64)
    k2 = np.empty(n, dtype=np.uint64)
    for i, (u, v) in enumerate(weights):
        u, v = int(u), int(v)
        if not (0 <= u < 1 << 64 and 0 <= v < 1 << 64) or u == v == 0:
            raise ValueError(f"weight {i}: expected (k1, k2) in [0, 2^64)^2, not both zero, got ({u}, {v})")
        k1[i], k2[i] = u, v
    return k1, k2


def _jacobian(kernel, *arrays: np.ndarray) -> np.ndarray:
    out = np.empty((arrays[0].shape[0], 3, 4), dtype=np.uint64)
    kernel(*arrays, out)
    return out


def _to_affine(jac: np.ndarray) -> np.ndarray:
    """(n, 3, 4) Jacobian -> (n, 2, 4) affine with one inversion (serial: batches are small)."""
    out = np.empty((jac.shape[0], 2, 4), dtype=np.uint64)
    batch_to_aff(jac, out, 0, jac.shape[0], np.empty_like(jac))
    return out


def batch_verify(
    pvk: PreparedVerifyingKey | VerifyingKey,
    items: Iterable[tuple[Sequence[int | str], Any]],
    *,
    locate: bool = True,
    weights: Sequence[tuple[int, int]] | None = None,
) -> None:
    """Accept every (public inputs, proof) pair at once, or raise.

    Inputs and points are checked per item first (errors name the item: "proof 3 of 64: ...").
    Then one (n + 3)-pairing product with CSPRNG weights, or with `weights`, one (k1, k2) pair of
    64-bit ints per item (z_i = k1 + lambda k2), when the caller derived them itself: the on-chain
    batch verifier's twin passes the weights it hashes from the batch (`verifier.solidity.batch_weights`).
    If it fails and `locate` is set, the items are verified one by one to name the first false proof
    (n more verifications, only on failure); otherwise InvalidProof names the batch."""
    if isinstance(pvk, VerifyingKey):
        pvk = prepare_verifying_key(pvk)
    items = list(items)
    n = len(items)
    if n == 0:
        return
    xs_all: list[list[int]] = []
    proofs: list[Proof] = []
    for i, item in enumerate(items):
        try:
            if not isinstance(item, tuple | list) or len(item) != 2:
                raise MalformedProof(f"expected a (public inputs, proof) pair, got {type(item).__name__}")
            public, proof = item
            xs_all.append(public_inputs(public, pvk.n_public))
            proofs.append(_proof_ints(proof))
        except VerificationError as e:
            raise type(e)(f"proof {i} of {n}: {e}") from None
    a_pts, b_pts, c_pts = _decode_points(proofs)

    k1, k2 = _batch_weights(n) if weights is None else _given_weights(weights, n)
    z = [(int(u) + GLV_LAMBDA * int(v)) % R for u, v in zip(k1, k2, strict=True)]
    z_sum = sum(z) % R
    ic_scalars = [z_sum] + [sum(zi * xs[j] for zi, xs in zip(z, xs_all, strict=True)) % R for j in range(pvk.n_public)]
    # -z_i A_i = -(k1 A_i + k2 phi(A_i))
    phi_a = np.empty_like(a_pts)
    _g1_endo(a_pts, _BETA_M, phi_a)
    a_sum = _to_affine(_jacobian(_g1_plus, a_pts, phi_a))
    neg_za = np.empty((n, 3, 4), dtype=np.uint64)
    _g1_neg_glv_each(a_pts, phi_a, a_sum, k1, k2, neg_za)
    # sum z_i C_i = sum k1_i C_i + k2_i phi(C_i)
    phi_c = np.empty_like(c_pts)
    _g1_endo(c_pts, _BETA_M, phi_c)
    c_weights = np.zeros((2 * n, 4), dtype=np.uint64)
    c_weights[:n, 0], c_weights[n:, 0] = k1, k2
    c_acc = _g1_msm_small(np.concatenate([c_pts, phi_c]), c_weights, 64)
    c_sum = np.array(as_kernel(g1_to_affine(as_kernel(c_acc))), dtype=np.uint64).reshape(1, 2, 4)
    p_pre = np.concatenate([_msm(pvk.alpha_g1, [z_sum]), _msm(pvk.gamma_abc_g1, ic_scalars), c_sum])
    neg_za_aff = _to_affine(neg_za)
    in_g2 = np.empty(n, dtype=np.bool_)
    ok = pairing_product_is_one(neg_za_aff, b_pts, p_pre, pvk.batch_lines, FQ12_ONE, in_g2)
    if not in_g2.all():
        i = int(np.flatnonzero(~in_g2)[0])
        raise MalformedProof(f"proof {i} of {n}: {_NOT_IN_G2}")
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
    "check_verifying_key",
    "prepare_verifying_key",
    "verify",
]
