"""Groth16 prover (Groth, "On the Size of Pairing-based Non-interactive Arguments", eprint 2016/260).

Given the proving key of a circuit (a snarkjs .zkey: `alpha_g1`, `beta_g1`, `beta_g2`, `delta_g1`,
`delta_g2`, `a_query`, `b_g1_query`, `b_g2_query`, `l_query`, `h_query`) and a satisfying witness w
(w_0 = 1, then the public signals, then the private wires), the prover picks fresh r, s and outputs

    A = alpha + sum_i w_i A_i(tau) + r delta                                  (in G1)
    B = beta  + sum_i w_i B_i(tau) + s delta                                  (in G2)
    C = sum_{i private} w_i L_i + h(tau) Z(tau)/delta + s A + r B' - r s delta   (in G1)

where B' is B computed in G1 and h = (A.w B.w - C.w)/Z is the QAP quotient. h(tau)Z(tau)/delta is
one MSM of `h_query` with the values of A.w B.w - C.w on the odd coset of the domain (`qap`), the
reduction snarkjs and rapidsnark use, so zkeys from snarkjs ceremonies work unchanged.

Each stage of `Prover.prove` is a named, timed span: evaluations, coset NTTs, the five MSMs,
blinding; and the proof is checked by the verifier before it is returned.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bn254.constants import R
from bn254.ec import as_kernel, scalar_limbs
from bn254.g1 import g1_add, g1_from_ints, g1_mul, g1_to_ints
from bn254.g1 import g1_array_to_ints as _g1_ints
from bn254.g2 import g2_add, g2_from_ints, g2_mul, g2_to_ints
from bn254.g2 import g2_array_to_ints as _g2_ints

from .formats.wtns import read_wtns
from .formats.zkey import Zkey, read_zkey
from .msm import msm_g1, msm_g2
from .qap import evaluations, h_odd_coset
from .qap import warm as qap_warm
from .spans import Spans

G1Ints = tuple[int, int]
G2Ints = tuple[tuple[int, int], tuple[int, int]]


class WitnessShapeError(ValueError):
    """The witness does not fit the proving key."""


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof (pi_a, pi_b, pi_c) as affine integer coordinates; G2 as ((x.c0, x.c1), (y.c0, y.c1))."""

    a: G1Ints
    b: G2Ints
    c: G1Ints

    def to_json(self) -> dict:
        """snarkjs' proof.json object."""
        (bx0, bx1), (by0, by1) = self.b
        return {
            "pi_a": [str(self.a[0]), str(self.a[1]), "1"],
            "pi_b": [[str(bx0), str(bx1)], [str(by0), str(by1)], ["1", "0"]],
            "pi_c": [str(self.c[0]), str(self.c[1]), "1"],
            "protocol": "groth16",
            "curve": "bn128",
        }


@dataclass(frozen=True)
class ProofResult:
    proof: Proof
    public_signals: list[int]
    timings: dict[str, float]


def _g1_point(arr: np.ndarray) -> tuple:
    return g1_from_ints(_g1_ints(arr)[0])


def _g2_point(arr: np.ndarray) -> tuple:
    return g2_from_ints(_g2_ints(arr)[0])


def _affine_g1(p) -> G1Ints:
    xy = g1_to_ints(p)
    if xy is None:  # probability ~1/r with random blinding; retry upstream
        raise ArithmeticError("proof point at infinity")
    return xy


def _affine_g2(p) -> G2Ints:
    xy = g2_to_ints(p)
    if xy is None:
        raise ArithmeticError("proof point at infinity")
    return xy


class Prover:
    """One warm prover per proving key: the .zkey is memory-mapped once, kernels compiled by `warm()`."""

    def __init__(self, zkey: Zkey | str | os.PathLike, *, self_check: bool = True, glv: bool | None = None) -> None:
        """`glv` chooses the MSMs' GLV split (None: from `glv.GLV_MIN_POINTS` general scalars on;
        False is the previous kernels, kept for A/B benches and as the split's twin)."""
        self.zkey = zkey if isinstance(zkey, Zkey) else read_zkey(zkey)
        pk = self.zkey
        self.n_vars = pk.n_vars
        self.n_public = pk.n_public
        self.domain_size = pk.domain_size
        self.alpha_g1 = _g1_point(pk.alpha_g1)
        self.beta_g1 = _g1_point(pk.beta_g1)
        self.delta_g1 = _g1_point(pk.delta_g1)
        self.beta_g2 = _g2_point(pk.beta_g2)
        self.delta_g2 = _g2_point(pk.delta_g2)
        self.self_check = self_check
        self.glv = glv
        self._pvk = None

    # -- verification key (for the self-check) ----------------------------------------------------
    def verifying_key(self):
        """The prepared verifying key of this proving key (computed once)."""
        if self._pvk is None:
            from verifier.groth16 import prepare_verifying_key
            from verifier.keys import verifying_key_from_zkey

            self._pvk = prepare_verifying_key(verifying_key_from_zkey(self.zkey))
        return self._pvk

    def warm(self) -> None:
        """Compile (or load from numba's cache) every kernel a proof uses, on a tiny input."""
        one = np.zeros((2, 4), dtype=np.uint64)
        one[:, 0] = 1
        msm_g1(self.zkey.a_query[:2], one, glv=False)  # the plain kernels (small MSMs use them too)
        msm_g2(self.zkey.b_g2_query[:2], one, glv=False)
        if self.glv is True:  # the GLV split's kernels, where proofs will use them (G2 by default)
            msm_g1(self.zkey.a_query[:2], one, glv=True)
        if self.glv is not False:
            msm_g2(self.zkey.b_g2_query[:2], one, glv=True)
        qap_warm()
        # blinding: the same kernels with the same argument types as a proof
        _g1_sum(self.alpha_g1, _g1_mul(self.delta_g1, 1))
        _g2_sum(self.beta_g2, _g2_mul(self.delta_g2, 1))
        if self.self_check:
            from verifier.errors import VerificationError
            from verifier.groth16 import verify

            g1 = _affine_g1(self.alpha_g1)
            dummy = Proof(g1, _affine_g2(self.beta_g2), g1)
            try:  # a false proof runs the whole pairing check, compiling it; its verdict is irrelevant
                verify(self.verifying_key(), [0] * self.n_public, dummy)
            except VerificationError:
                pass

    # -- proving ----------------------------------------------------------------------------------
    def check_witness(self, witness: np.ndarray) -> np.ndarray:
        if not isinstance(witness, np.ndarray) or witness.dtype != np.uint64 or witness.ndim != 2:
            raise WitnessShapeError("expected the witness as an (n_vars, 4) uint64 array of standard-form limbs")
        if witness.shape != (self.n_vars, 4):
            raise WitnessShapeError(f"witness has {witness.shape[0]} values, circuit expects {self.n_vars}")
        if not (witness[0, 0] == 1 and not witness[0, 1:].any()):
            raise WitnessShapeError("witness[0] must be 1 (the constant wire)")
        return np.require(witness, requirements=["C", "A"])

    def prove(self, witness: np.ndarray, *, r: int | None = None, s: int | None = None) -> ProofResult:
        """A proof for a witness ((n_vars, 4) uint64, standard form, e.g. `read_wtns` or the calculator).

        r and s are drawn from the OS CSPRNG; passing them is for tests of the blinding only."""
        spans = Spans("groth16.")
        pk = self.zkey
        w = self.check_witness(witness)
        with spans("evaluations"):
            a, b, c = evaluations(pk.coeffs, w, self.domain_size)
        with spans("coset_ntt"):
            h = h_odd_coset(a, b, c, overwrite=True)
        del a, b, c
        with spans("msm_a"):
            pa = msm_g1(pk.a_query, w, glv=self.glv)
        with spans("msm_b1"):
            pb1 = msm_g1(pk.b_g1_query, w, glv=self.glv)
        with spans("msm_b2"):
            pb2 = msm_g2(pk.b_g2_query, w, glv=self.glv)
        with spans("msm_c"):
            pc = msm_g1(pk.l_query, w[self.n_public + 1 :], glv=self.glv)
        with spans("msm_h"):
            ph = msm_g1(pk.h_query, h, glv=self.glv)
        with spans("blinding"):
            r = secrets.randbelow(R) if r is None else r % R
            s = secrets.randbelow(R) if s is None else s % R
            rs = (R - r * s % R) % R
            A = _g1_sum(self.alpha_g1, pa, _g1_mul(self.delta_g1, r))
            B = _g2_sum(self.beta_g2, pb2, _g2_mul(self.delta_g2, s))
            B1 = _g1_sum(self.beta_g1, pb1, _g1_mul(self.delta_g1, s))
            C = _g1_sum(pc, ph, _g1_mul(A, s), _g1_mul(B1, r), _g1_mul(self.delta_g1, rs))
            proof = Proof(_affine_g1(A), _affine_g2(B), _affine_g1(C))
        public = [int(v) for v in _ints(w[1 : self.n_public + 1])]
        if self.self_check:
            from verifier.groth16 import verify

            with spans("self_check"):
                verify(self.verifying_key(), public, proof.to_json())
        return ProofResult(proof, public, spans.as_dict())

    def prove_file(self, wtns_path: str | os.PathLike) -> ProofResult:
        return self.prove(np.array(read_wtns(Path(wtns_path))))


def _g1_mul(p, k: int) -> tuple:
    return as_kernel(g1_mul(p, scalar_limbs(k)))


def _g2_mul(p, k: int) -> tuple:
    return as_kernel(g2_mul(p, scalar_limbs(k)))


def _g1_sum(*points) -> tuple:
    acc = points[0]
    for p in points[1:]:
        acc = as_kernel(g1_add(acc, p))
    return acc


def _g2_sum(*points) -> tuple:
    acc = points[0]
    for p in points[1:]:
        acc = as_kernel(g2_add(acc, p))
    return acc


def _ints(arr: np.ndarray) -> list[int]:
    return [int(x[0]) | int(x[1]) << 64 | int(x[2]) << 128 | int(x[3]) << 192 for x in arr]


