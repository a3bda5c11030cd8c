"""snarkjs JSON for Groth16: verification_key.json, proof.json, public.json; and Solidity calldata.

Formats (as `snarkjs zkey export verificationkey`, `snarkjs groth16 prove` and `fullprove` write them):
- G1 point: ["x", "y", "1"], decimal strings, projective with z = 1; infinity ["0", "1", "0"].
- G2 point: [["x.c0", "x.c1"], ["y.c0", "y.c1"], ["1", "0"]] (c0 + c1 u, real part first);
  infinity [["0", "0"], ["1", "0"], ["0", "0"]].
- verification_key.json: protocol "groth16", curve "bn128", nPublic, vk_alpha_1, vk_beta_2,
  vk_gamma_2, vk_delta_2, vk_alphabeta_12 (e(alpha, beta) in snarkjs' GT convention, see
  `bn254.pairing.snarkjs_gt`), IC (nPublic + 1 G1 points).
- proof.json: pi_a, pi_b, pi_c, protocol, curve.   public.json: ["s1", "s2", ...].

Reading is strict: numbers must be decimal strings without sign, spaces or leading zeros; every
coordinate < q; z exactly "1" (or the snarkjs infinity where allowed); public inputs < r. Whether a
point is on its curve and in its subgroup is checked by `verifier.groth16` (prepare/verify), which
raises the typed errors of `verifier.errors`; the readers raise them too: VerifyingKeyError for
the key, MalformedProof for the proof, PublicInputError for public inputs. Errors say what was
expected and what came.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bn254.constants import Q, R

from .errors import MalformedProof, PublicInputError, VerifyingKeyError

G1Ints = tuple[int, int]
G2Ints = tuple[tuple[int, int], tuple[int, int]]
Fq12Ints = tuple[tuple[tuple[int, int], ...], ...]

_DECIMAL = re.compile(r"0|[1-9][0-9]{0,77}")
"""A canonical decimal: no sign, no leading zero, at most 78 digits (2^256 has 78)."""


@dataclass(frozen=True)
class VerifyingKey:
    """A Groth16 verifying key (Groth 2016, section 3.2): alpha in G1, beta, gamma, delta in G2 and
    gamma_abc_g1 = IC, the nPublic + 1 points (beta u_i(x) + alpha v_i(x) + w_i(x))/gamma.
    Affine integer coordinates, None for infinity."""

    n_public: int
    alpha_g1: G1Ints | None
    beta_g2: G2Ints | None
    gamma_g2: G2Ints | None
    delta_g2: G2Ints | None
    gamma_abc_g1: tuple[G1Ints | None, ...]
    alphabeta_12: Fq12Ints | None = None
    """vk_alphabeta_12 as read (snarkjs' GT convention), None when absent; checked by prepare."""

    @property
    def IC(self) -> tuple[G1Ints | None, ...]:  # noqa: N802  (snarkjs' name)
        return self.gamma_abc_g1

    def to_json(self, *, alphabeta: bool = True) -> dict:
        """The verification_key.json object; vk_alphabeta_12 is computed (one pairing) when asked."""
        out: dict[str, Any] = {
            "protocol": "groth16",
            "curve": "bn128",
            "nPublic": self.n_public,
            "vk_alpha_1": _g1_json(self.alpha_g1),
            "vk_beta_2": _g2_json(self.beta_g2),
            "vk_gamma_2": _g2_json(self.gamma_g2),
            "vk_delta_2": _g2_json(self.delta_g2),
        }
        if alphabeta:
            e = snarkjs_alphabeta(self.alpha_g1, self.beta_g2)
            out["vk_alphabeta_12"] = [[[str(c) for c in fq2] for fq2 in fq6] for fq6 in e]
        out["IC"] = [_g1_json(p) for p in self.gamma_abc_g1]
        return out


@dataclass(frozen=True)
class Proof:
    """A Groth16 proof (A, B, C) = (pi_a, pi_b, pi_c), affine integer coordinates, None for infinity
    (which the verifier refuses; kept representable so a decoder can say what came)."""

    a: G1Ints | None
    b: G2Ints | None
    c: G1Ints | None

    def to_json(self) -> dict:
        return {
            "pi_a": _g1_json(self.a),
            "pi_b": _g2_json(self.b),
            "pi_c": _g1_json(self.c),
            "protocol": "groth16",
            "curve": "bn128",
        }


# --- numbers and points ---------------------------------------------------------------------------


def parse_decimal(v: Any, what: str, err: type[Exception]) -> int:
    """A canonical decimal string as an int, or `err` saying what came."""
    if not isinstance(v, str):
        raise err(f"{what}: expected a decimal string, got {type(v).__name__} {v!r}"[:300])
    if not _DECIMAL.fullmatch(v):
        raise err(f"{what}: expected a canonical decimal string, got {v!r}"[:300])
    return int(v)


def _coord(v: Any, what: str, err: type[Exception]) -> int:
    x = parse_decimal(v, what, err)
    if x >= Q:
        raise err(f"{what}: expected a coordinate < q, got {x}")
    return x


def _list(v: Any, n: int, what: str, err: type[Exception]) -> list:
    if not isinstance(v, list) or len(v) != n:
        got = f"a list of {len(v)}" if isinstance(v, list) else type(v).__name__
        raise err(f"{what}: expected a list of {n}, got {got}")
    return v


def g1_from_json(v: Any, what: str, err: type[Exception], *, allow_infinity: bool = False) -> G1Ints | None:
    """["x", "y", "1"] -> (x, y); ["0", "1", "0"] -> None where allowed."""
    x, y, z = _list(v, 3, what, err)
    x, y = _coord(x, f"{what}.x", err), _coord(y, f"{what}.y", err)
    z = parse_decimal(z, f"{what}.z", err)
    if z == 1:
        return (x, y)
    if z == 0 and (x, y) == (0, 1):
        if allow_infinity:
            return None
        raise err(f"{what}: expected a G1 point, got the point at infinity")
    raise err(f"{what}: expected z = 1 (or the infinity [0, 1, 0]), got [{x}, {y}, {z}]")


def g2_from_json(v: Any, what: str, err: type[Exception], *, allow_infinity: bool = False) -> G2Ints | None:
    """[["x0", "x1"], ["y0", "y1"], ["1", "0"]] -> ((x0, x1), (y0, y1)); the snarkjs infinity -> None."""
    x, y, z = _list(v, 3, what, err)
    x = tuple(_coord(c, f"{what}.x.c{i}", err) for i, c in enumerate(_list(x, 2, f"{what}.x", err)))
    y = tuple(_coord(c, f"{what}.y.c{i}", err) for i, c in enumerate(_list(y, 2, f"{what}.y", err)))
    z = tuple(parse_decimal(c, f"{what}.z.c{i}", err) for i, c in enumerate(_list(z, 2, f"{what}.z", err)))
    if z == (1, 0):
        return (x, y)
    if z == (0, 0) and x == (0, 0) and y == (1, 0):
        if allow_infinity:
            return None
        raise err(f"{what}: expected a G2 point, got the point at infinity")
    raise err(f"{what}: expected z = [1, 0] (or the snarkjs infinity), got z = {list(z)}")


def _g1_json(p: G1Ints | None) -> list[str]:
    if p is None:
        return ["0", "1", "0"]
    return [str(p[0]), str(p[1]), "1"]


def _g2_json(p: G2Ints | None) -> list[list[str]]:
    if p is None:
        return [["0", "0"], ["1", "0"], ["0", "0"]]
    (x0, x1), (y0, y1) = p
    return [[str(x0), str(x1)], [str(y0), str(y1)], ["1", "0"]]


def _header(obj: Any, what: str, err: type[Exception]) -> dict:
    if not isinstance(obj, dict):
        raise err(f"{what}: expected a JSON object, got {type(obj).__name__}")
    if obj.get("protocol") != "groth16":
        raise err(f"{what}: expected protocol 'groth16', got {obj.get('protocol')!r}")
    if obj.get("curve") != "bn128":
        raise err(f"{what}: expected curve 'bn128', got {obj.get('curve')!r}")
    return obj


# --- verification key -----------------------------------------------------------------------------


def verifying_key_from_json(obj: Any) -> VerifyingKey:
    """A VerifyingKey from a parsed verification_key.json, or VerifyingKeyError."""
    err = VerifyingKeyError
    obj = _header(obj, "verification key", err)
    n = obj.get("nPublic")
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise err(f"nPublic: expected a non-negative integer, got {n!r}")
    for k in ("vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2", "IC"):
        if k not in obj:
            raise err(f"verification key: expected a {k} field, it is missing")
    ic = obj["IC"]
    if not isinstance(ic, list):
        raise err(f"IC: expected a list of G1 points, got {type(ic).__name__}")
    if len(ic) != n + 1:
        raise err(f"IC: expected nPublic + 1 = {n + 1} points, got {len(ic)}")
    ab = obj.get("vk_alphabeta_12")
    alphabeta = None
    if ab is not None:
        alphabeta = tuple(
            tuple(
                tuple(_coord(c, f"vk_alphabeta_12[{i}][{j}][{k}]", err) for k, c in
                      enumerate(_list(fq2, 2, f"vk_alphabeta_12[{i}][{j}]", err)))
                for j, fq2 in enumerate(_list(fq6, 3, f"vk_alphabeta_12[{i}]", err))
            )
            for i, fq6 in enumerate(_list(ab, 2, "vk_alphabeta_12", err))
        )
    return VerifyingKey(
        n_public=n,
        alpha_g1=g1_from_json(obj["vk_alpha_1"], "vk_alpha_1", err),
        beta_g2=g2_from_json(obj["vk_beta_2"], "vk_beta_2", err),
        gamma_g2=g2_from_json(obj["vk_gamma_2"], "vk_gamma_2", err),
        delta_g2=g2_from_json(obj["vk_delta_2"], "vk_delta_2", err),
        gamma_abc_g1=tuple(g1_from_json(p, f"IC[{i}]", err, allow_infinity=True) for i, p in enumerate(ic)),
        alphabeta_12=alphabeta,
    )


def read_verification_key(path: str | os.PathLike) -> VerifyingKey:
    return verifying_key_from_json(_load(path, VerifyingKeyError))


def write_verification_key(vk: VerifyingKey, path: str | os.PathLike) -> None:
    Path(path).write_text(json.dumps(vk.to_json(), indent=1) + "\n")


def verifying_key_from_zkey(zkey: Any) -> VerifyingKey:
    """The verifying key inside a proving key (`prover.formats.zkey.Zkey`, or anything with its
    n_public, alpha_g1, beta_g2, gamma_g2, delta_g2 and gamma_abc_g1 Montgomery limb arrays)."""
    from bn254.g1 import g1_array_to_ints
    from bn254.g2 import g2_array_to_ints

    return VerifyingKey(
        n_public=int(zkey.n_public),
        alpha_g1=g1_array_to_ints(zkey.alpha_g1)[0],
        beta_g2=g2_array_to_ints(zkey.beta_g2)[0],
        gamma_g2=g2_array_to_ints(zkey.gamma_g2)[0],
        delta_g2=g2_array_to_ints(zkey.delta_g2)[0],
        gamma_abc_g1=tuple(g1_array_to_ints(zkey.gamma_abc_g1)),
    )


def verification_key_json(zkey: Any) -> dict:
    """What `snarkjs zkey export verificationkey` writes for this proving key (same fields and order)."""
    return verifying_key_from_zkey(zkey).to_json()


def snarkjs_alphabeta(alpha: G1Ints | None, beta: G2Ints | None) -> Fq12Ints:
    """e(alpha, beta) as snarkjs prints vk_alphabeta_12 (its GT convention), as ints."""
    from bn254.fq12 import fq12_ints
    from bn254.pairing import pairing, snarkjs_gt

    if alpha is None or beta is None:
        raise VerifyingKeyError("vk_alphabeta_12: alpha or beta is the point at infinity")
    return fq12_ints(snarkjs_gt(pairing(alpha, beta)))


# --- proof and public inputs ----------------------------------------------------------------------


def proof_from_json(obj: Any) -> Proof:
    """A Proof from a parsed proof.json, or MalformedProof. Infinity is refused here already."""
    err = MalformedProof
    obj = _header(obj, "proof", err)
    for k in ("pi_a", "pi_b", "pi_c"):
        if k not in obj:
            raise err(f"proof: expected a {k} field, it is missing")
    return Proof(
        a=g1_from_json(obj["pi_a"], "pi_a", err),
        b=g2_from_json(obj["pi_b"], "pi_b", err),
        c=g1_from_json(obj["pi_c"], "pi_c", err),
    )


def read_proof(path: str | os.PathLike) -> Proof:
    return proof_from_json(_load(path, MalformedProof))


def write_proof(proof: Proof, path: str | os.PathLike) -> None:
    Path(path).write_text(json.dumps(proof.to_json(), indent=1) + "\n")


def public_input(v: Any, i: int) -> int:
    """Public input i as an int in [0, r): an int (not bool) or a canonical decimal string.
    Never reduced: x + r, r, 2^256 - 1 and negatives are refused."""
    if isinstance(v, np.integer):
        v = int(v)
    if isinstance(v, bool) or not isinstance(v, int | str):
        raise PublicInputError(f"public input {i}: expected an integer or a decimal string, got {type(v).__name__}")
    x = parse_decimal(v, f"public input {i}", PublicInputError) if isinstance(v, str) else v
    if x < 0:
        raise PublicInputError(f"public input {i}: expected a field element in [0, r), got the negative {x}")
    if x >= R:
        raise PublicInputError(f"public input {i}: expected a field element < r, got {x}")
    return x


def public_inputs(values: Any, n_public: int | None = None) -> list[int]:
    """Every public input checked by `public_input`, and their count against n_public when given.
    `values`: a list or tuple (or a 1-D integer numpy array) of ints / canonical decimal strings."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "iu":
        values = values.tolist()
    if isinstance(values, str | bytes | dict) or not isinstance(values, Sequence):
        raise PublicInputError(f"expected a list of public inputs, got {type(values).__name__}")
    if n_public is not None and len(values) != n_public:
        raise PublicInputError(f"expected {n_public} public inputs, got {len(values)}")
    return [public_input(v, i) for i, v in enumerate(values)]


def public_from_json(obj: Any, n_public: int | None = None) -> list[int]:
    """public.json: a list of decimal strings (numbers are refused: JSON numbers lose precision)."""
    if not isinstance(obj, list):
        raise PublicInputError(f"public inputs: expected a JSON list, got {type(obj).__name__}")
    for i, v in enumerate(obj):
        if not isinstance(v, str):
            raise PublicInputError(f"public input {i}: expected a decimal string, got {type(v).__name__} {v!r}"[:300])
    return public_inputs(obj, n_public)


def read_public(path: str | os.PathLike) -> list[int]:
    return public_from_json(_load(path, PublicInputError))


def write_public(values: Sequence[int], path: str | os.PathLike) -> None:
    Path(path).write_text(json.dumps([str(v) for v in public_inputs(values)], indent=1) + "\n")


# --- Solidity calldata ----------------------------------------------------------------------------


def proof_calldata(proof: Proof, public: Sequence[int]) -> str:
    """The argument list `snarkjs zkey export soliditycalldata` prints for verifyProof(a, b, c, input):
    G2 words in the EVM order (`bn254.pairing.g2_to_evm`)."""
    from bn254.pairing import g2_to_evm

    if proof.a is None or proof.b is None or proof.c is None:
        raise MalformedProof("calldata: a proof point is the point at infinity")

    def h(v: int) -> str:
        return f'"0x{v:064x}"'

    bx1, bx0, by1, by0 = g2_to_evm(proof.b)
    inputs = ",".join(h(v) for v in public_inputs(list(public)))
    return (
        f"[{h(proof.a[0])}, {h(proof.a[1])}],"
        f"[[{h(bx1)}, {h(bx0)}],[{h(by1)}, {h(by0)}]],"
        f"[{h(proof.c[0])}, {h(proof.c[1])}],"
        f"[{inputs}]"
    )


def _load(path: str | os.PathLike, err: type[Exception]) -> Any:
    """Parsed JSON; a file that is not JSON raises `err` (a missing file stays an OSError)."""
    data = Path(path).read_bytes()
    try:
        return json.loads(data)
    except (UnicodeDecodeError, ValueError) as e:
        raise err(f"{path}: expected a JSON file, got {type(e).__name__}: {e}"[:500]) from None
