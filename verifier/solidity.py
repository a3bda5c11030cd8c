"""Solidity verifier generator and EVM calldata for Groth16 over BN254 (eprint 2016/260).

`solidity_verifier(vkey)` turns a snarkjs-format verification key into a contract with snarkjs'
ABI, `verifyProof(uint[2] a, uint[2][2] b, uint[2] c, uint[N] input) returns (bool)`, from the
template verifier/templates/Groth16Verifier.sol.tmpl. Unlike snarkjs 0.7.6's template it

* rejects public inputs >= r and proof coordinates >= q (snarkjs negates A on chain as
  (q - y) mod q, which wraps mod 2^256 and lets A.y + (2^256 mod q) + q through);
* reverts when a precompile call fails, instead of returning false (so an out-of-gas precompile
  is not mistaken by eth_estimateGas for a valid answer);
* refuses a key the Python verifier refuses (`verifier.groth16.check_verifying_key`: an IC point
  at infinity or off the curve, beta/gamma/delta off the twist or outside G2, delta == gamma or
  the generator), since the precompiles would take some of those and leave proofs forgeable;
* makes one pairing call whose G2 constants -beta, -gamma, -delta are computed here, so the
  check is e(A, B) e(alpha, -beta) e(vk_x, -gamma) e(C, -delta) == 1 and no proof point is
  negated on chain.

With `batch=True` (the default) the same contract also has `verifyBatch(uint[8][] proofs,
uint[N][] inputs) returns (bool)` and `batchWeights(...)`, from verifier/templates/Groth16Batch.sol.tmpl,
with the same canonical checks and revert rule: n proofs in ONE pairing call of n + 3 pairs,

    prod_i e(z_i A_i, B_i) e((sum z_i) alpha, -beta) e(sum z_i vk_x_i, -gamma) e(sum z_i C_i, -delta) == 1,

the public inputs folded first (sum_i z_i vk_x_i = (sum z_i) IC_0 + sum_j (sum_i z_i x_ij) IC_j, so
nPublic + 1 scalar multiplications for the whole batch, plus two per proof for z_i A_i and z_i C_i).
The weights z_i = k1 + lambda k2 (64-bit halves of keccak256(seed, i), seed = keccak256 of the key's
tag, n and every proof coordinate and public input of the batch) are fixed only once the whole batch
is. Soundness: with E_i in F_r the discrete log (in the prime-order group G_T) of proof i's Groth16
equation, the batch check is sum_i z_i E_i = 0; if some E_k != 0, then for any other weights exactly
one z_k passes, and z_k is one of 2^128 - 1 values fixed by keccak256 of everything the prover chose,
so each attempt passes with probability about 2^-128 (random-oracle model), and errors that cancel
under one set of weights do not under the weights of the changed batch. This needs every E_i
defined: canonical encodings (checked, so the hash covers exactly what is verified), G1 points on
the curve (cofactor 1) and B in G2 (the pairing precompile refuses other points; we revert). The
full argument is in the template's header comment, so it travels with every generated contract;
`batch_weights` is its Python twin and `batch_verify_evm` checks a batch off chain exactly as the
contract will.

`soliditycalldata(public, proof)` prints what `snarkjs zkey export soliditycalldata` prints.
The EVM wants G2 coordinates as (c1, c0) (EIP-197); that swap lives only in `g2_to_evm`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bn254.constants import Q

__all__ = [
    "BATCH_TEMPLATE",
    "TEMPLATE",
    "batch_verify_evm",
    "batch_weights",
    "proof_from_evm_words",
    "proof_to_evm_words",
    "g2_to_evm",
    "key_hash",
    "proof_to_evm",
    "solidity_verifier",
    "soliditycalldata",
    "soliditycalldata_values",
]

TEMPLATE = Path(__file__).resolve().parent / "templates" / "Groth16Verifier.sol.tmpl"
BATCH_TEMPLATE = Path(__file__).resolve().parent / "templates" / "Groth16Batch.sol.tmpl"

G2Pair = tuple[tuple[int, int], tuple[int, int]]


def g2_to_evm(point: Sequence[Sequence[Any]]) -> G2Pair:
    """((x.c0, x.c1), (y.c0, y.c1)) -> ((x.c1, x.c0), (y.c1, y.c0)), via `bn254.pairing.g2_to_evm` (the one swap)."""
    from bn254.pairing import g2_to_evm as swap

    x1, x0, y1, y0 = swap(((int(point[0][0]), int(point[0][1])), (int(point[1][0]), int(point[1][1]))))
    return (x1, x0), (y1, y0)


def _fq(v: Any, what: str) -> int:
    n = int(v)
    if not 0 <= n < Q:
        raise ValueError(f"{what}: expected a base-field element in [0, q), got {n}")
    return n


def _g2_neg(point: Sequence[Sequence[Any]], what: str) -> G2Pair:
    (x0, x1), (y0, y1) = point[0][:2], point[1][:2]
    xs = (_fq(x0, what), _fq(x1, what))
    ys = (_fq(y0, what), _fq(y1, what))
    return xs, ((Q - ys[0]) % Q, (Q - ys[1]) % Q)


def key_hash(vkey: dict) -> str:
    """sha256 of the key's canonical JSON (sorted keys, no spaces): named in the generated file."""
    return hashlib.sha256(json.dumps(vkey, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def _check_vkey(vkey: dict) -> int:
    if vkey.get("protocol") != "groth16" or vkey.get("curve") not in ("bn128", "bn254"):
        raise ValueError(
            f"expected a groth16 bn128 verification key, got protocol {vkey.get('protocol')!r} "
            f"curve {vkey.get('curve')!r}"
        )
    n_public = int(vkey["nPublic"])
    if len(vkey["IC"]) != n_public + 1:
        raise ValueError(f"verification key has {len(vkey['IC'])} IC points, nPublic {n_public} needs {n_public + 1}")
    if vkey["vk_gamma_2"] == vkey["vk_delta_2"]:
        raise ValueError("verification key has delta == gamma: anyone could forge proofs")
    # Every check the Python verifier makes (points on their curves, in their subgroups, not at
    # infinity; delta not the generator; alphabeta): a key it refuses never becomes a contract.
    from .groth16 import check_verifying_key

    check_verifying_key(vkey)  # raises VerifyingKeyError, a ValueError
    return n_public


def _batch_functions(vkey: dict, n_public: int) -> str:
    from verifier.groth16 import GLV_LAMBDA

    acc: list[str] = []
    for j in range(1, n_public + 1):
        acc += [
            "            {",
            f"                let s := mload(add(w, {32 * j}))",
            "                if s {",
            f"                    mstore(tmp, IC{j}_X)",
            f"                    mstore(add(tmp, 32), IC{j}_Y)",
            "                    mstore(add(tmp, 64), s)",
            "                    if iszero(staticcall(gas(), 7, tmp, 96, tmp, 64)) { revert(0, 0) }",
            "                    if iszero(staticcall(gas(), 6, acc, 128, acc, 64)) { revert(0, 0) }",
            "                }",
            "            }",
        ]
    return _fill(
        BATCH_TEMPLATE.read_text(),
        {
            "KEY_HASH": key_hash(vkey),
            "N_PUBLIC": str(n_public),
            "INPUT_BYTES": str(32 * n_public),
            "SCALAR_BYTES": str(32 * (n_public + 1)),
            "GLV_LAMBDA": str(GLV_LAMBDA),
            "BATCH_ACCUMULATE": "\n".join(acc),
        },
    )


def _fill(src: str, subs: dict[str, str]) -> str:
    for k, v in subs.items():
        src = src.replace("{{" + k + "}}", v)
    if "{{" in src:
        raise AssertionError(f"template placeholder left unfilled near {src[src.index('{{') :][:40]!r}")
    return src


def solidity_verifier(
    vkey: dict, contract_name: str = "Groth16Verifier", *, levels: int | None = None, batch: bool = True
) -> str:
    """The Solidity source of a verifier for `vkey` (snarkjs verification_key.json as a dict).

    `levels`: the Merkle tree depth of the circuit the key is for (transfer.constants.SHAPES), written
    as the constant LEVELS; ShieldedPool refuses a verifier whose LEVELS is not its own depth (or that
    has none), so a pool cannot take deposits whose notes no proof could ever spend. With `batch`
    (the default), the contract also verifies batches (`verifyBatch`, see the module doc)."""
    n_public = _check_vkey(vkey)
    if not contract_name.isidentifier():
        raise ValueError(f"contract name: expected a Solidity identifier, got {contract_name!r}")
    if levels is not None and (isinstance(levels, bool) or not isinstance(levels, int) or not 1 <= levels <= 31):
        raise ValueError(f"levels: expected a tree depth in [1, 31], got {levels!r}")
    levels_constant = ""
    if levels is not None:
        levels_constant = (
            "    /// Depth of the Merkle tree the circuit's membership proofs are for (ShieldedPool checks it).\n"
            f"    uint256 public constant LEVELS = {levels};\n"
        )
    lines: list[str] = []
    for name in ("beta", "gamma", "delta"):
        (x1, x0), (y1, y0) = g2_to_evm(_g2_neg(vkey[f"vk_{name}_2"], f"vk_{name}_2"))
        up = name.upper()
        for suffix, v in (("X1", x1), ("X0", x0), ("Y1", y1), ("Y0", y0)):
            lines.append(f"    uint256 internal constant NEG_{up}_{suffix} = {v};")
    ic_lines: list[str] = []
    for i, pt in enumerate(vkey["IC"]):
        ic_lines.append(f"    uint256 internal constant IC{i}_X = {_fq(pt[0], f'IC[{i}].x')};")
        ic_lines.append(f"    uint256 internal constant IC{i}_Y = {_fq(pt[1], f'IC[{i}].y')};")
    checks = [f"            ok := and(ok, lt(calldataload(add(_pubSignals, {32 * i})), R))" for i in range(n_public)]
    acc: list[str] = []
    for i in range(n_public):
        # s == 0 adds the point at infinity: skipping it saves an ecMul and an ecAdd.
        acc += [
            "            {",
            f"                let s := calldataload(add(_pubSignals, {32 * i}))",
            "                if s {",
            f"                    mstore(tmp, IC{i + 1}_X)",
            f"                    mstore(add(tmp, 32), IC{i + 1}_Y)",
            "                    mstore(add(tmp, 64), s)",
            "                    if iszero(staticcall(gas(), 7, tmp, 96, tmp, 64)) { revert(0, 0) }",
            "                    if iszero(staticcall(gas(), 6, acc, 128, acc, 64)) { revert(0, 0) }",
            "                }",
            "            }",
        ]
    alpha = vkey["vk_alpha_1"]
    subs = {
        "KEY_HASH": key_hash(vkey),
        "CONTRACT_NAME": contract_name,
        "N_PUBLIC": str(n_public),
        "LEVELS_CONSTANT": levels_constant,
        "ALPHA_X": str(_fq(alpha[0], "vk_alpha_1.x")),
        "ALPHA_Y": str(_fq(alpha[1], "vk_alpha_1.y")),
        "NEG_G2_CONSTANTS": "\n".join(lines),
        "IC_CONSTANTS": "\n".join(ic_lines),
        "INPUT_CHECKS": "\n".join(checks),
        "ACCUMULATE": "\n".join(acc),
        "BATCH_FUNCTIONS": _batch_functions(vkey, n_public) if batch else "",
    }
    return _fill(TEMPLATE.read_text(), subs)


def proof_to_evm(proof: dict) -> tuple[tuple[int, int], G2Pair, tuple[int, int]]:
    """snarkjs proof.json -> (a, b, c) as verifyProof takes them (b in EIP-197 order)."""
    a = (int(proof["pi_a"][0]), int(proof["pi_a"][1]))
    c = (int(proof["pi_c"][0]), int(proof["pi_c"][1]))
    return a, g2_to_evm(proof["pi_b"]), c


def soliditycalldata_values(public: Sequence[Any], proof: dict) -> tuple:
    """(a, b, c, input) as Python ints, ready for an ABI encoder."""
    a, b, c = proof_to_evm(proof)
    return a, b, c, tuple(int(s) for s in public)


def _p256(n: int) -> str:
    return f'"0x{n:064x}"'


def soliditycalldata(public: Sequence[Any], proof: dict) -> str:
    """Exactly what `snarkjs zkey export soliditycalldata public.json proof.json` prints."""
    a, b, c, inputs = soliditycalldata_values(public, proof)
    return (
        f"[{_p256(a[0])}, {_p256(a[1])}],"
        f"[[{_p256(b[0][0])}, {_p256(b[0][1])}],[{_p256(b[1][0])}, {_p256(b[1][1])}]],"
        f"[{_p256(c[0])}, {_p256(c[1])}],"
        f"[{','.join(_p256(s) for s in inputs)}]"
    )


def proof_to_evm_words(proof: dict) -> list[int]:
    """A proof as the 8 words verifyBatch takes: A.x, A.y, B.x1, B.x0, B.y1, B.y0, C.x, C.y."""
    a, b, c = proof_to_evm(proof)
    return [a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]]


def proof_from_evm_words(words: Sequence[int]) -> dict:
    """The inverse of proof_to_evm_words: a snarkjs proof.json object."""
    ax, ay, bx1, bx0, by1, by0, cx, cy = (int(w) for w in words)
    return {
        "pi_a": [str(ax), str(ay), "1"],
        "pi_b": [[str(bx0), str(bx1)], [str(by0), str(by1)], ["1", "0"]],
        "pi_c": [str(cx), str(cy), "1"],
        "protocol": "groth16",
        "curve": "bn128",
    }


def _keccak(data: bytes) -> bytes:
    from Crypto.Hash import keccak

    return keccak.new(digest_bits=256, data=data).digest()


def batch_weights(vkey: dict, items: Sequence[tuple[Sequence[Any], dict]]) -> list[tuple[int, int]]:
    """The (k1, k2) of each weight z_i = k1 + lambda k2 that the generated verifyBatch derives for
    `items` [(public inputs, proof.json), ...] (Python twin of _batchSeed and _batchWeight)."""
    n_public = int(vkey["nPublic"])
    words = [int(key_hash(vkey), 16), len(items)]
    inputs: list[int] = []
    for public, proof in items:
        if len(public) != n_public:
            raise ValueError(f"expected {n_public} public inputs, got {len(public)}")
        words += proof_to_evm_words(proof)
        inputs += [int(x) for x in public]
    words += inputs
    if any(not 0 <= w < 1 << 256 for w in words):
        raise ValueError("a proof coordinate or public input does not fit in a 256-bit word")
    seed = _keccak(b"".join(w.to_bytes(32, "big") for w in words))
    out = []
    mask = (1 << 64) - 1
    for i in range(len(items)):
        h = int.from_bytes(_keccak(seed + i.to_bytes(32, "big")), "big")
        k1, k2 = h & mask, (h >> 64) & mask
        out.append((k1 or (0 if k2 else 1), k2))
    return out


def batch_verify_evm(vkey: dict, items: Sequence[tuple[Sequence[Any], dict]], *, locate: bool = True) -> None:
    """Check a batch exactly as the generated verifyBatch will (its hash-derived weights), or raise
    a `verifier.errors` error naming the first bad item (with `locate`)."""
    from verifier.groth16 import batch_verify, prepare_verifying_key
    from verifier.keys import verifying_key_from_json

    pvk = prepare_verifying_key(verifying_key_from_json(vkey))
    batch_verify(pvk, list(items), locate=locate, weights=batch_weights(vkey, items))
