"""Which rule of the transfer circuit a set of inputs breaks, checked with the Python twin.

The witness calculator only says "a constraint does not hold". `check_rules` runs the circuit's
statement (circuits/transfer.circom) in Python over a circuit-input dict and raises `RuleError`
naming the first rule that fails, in this order:

    range          an amount or the fee is not below 2^AMOUNT_BITS, the public amount is outside
                   [-2^AMOUNT_BITS, 2^AMOUNT_BITS), or a leaf index is not below 2^levels
    nullifier      an input nullifier is not Poseidon(nk, commitment, leafIndex) of its note, or two repeat
    membership     a non-zero input note is not in the tree under `root` at its leaf index
    commitment     an output commitment is not the commitment of its note in the transfer's token
    conservation   sum(inputs) + publicAmount != sum(outputs) + fee
    signature      the spend signature does not verify over the public inputs under the spending key
    token          (wallet side, before the inputs exist) the notes of one transfer carry different tokens

The message names the rule and the position (input 1, output 0), never a value: the inputs are the
witness's secrets. The order puts the cheap checks first and makes each failure name its cause: a
wrong token id or key changes every input commitment, so it surfaces as `nullifier`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .constants import AMOUNT_BITS, R, TransferShape
from .eddsa import Signature, SignatureError, verify
from .keys import address_of
from .merkle import MerklePath, root_from_path
from .notes import commitment, nullifier

__all__ = ["RULES", "RuleError", "check_rules"]

RULES: dict[str, str] = {
    "range": f"amounts and the fee below 2^{AMOUNT_BITS}, the public amount in [-2^{AMOUNT_BITS}, 2^{AMOUNT_BITS}), "
             "leaf indices below 2^levels",
    "nullifier": "each input nullifier is Poseidon(nk, commitment, leafIndex) of its note, and no two repeat",
    "membership": "each non-zero input note is in the tree under root at its leaf index",
    "commitment": "each output commitment commits to its note (amount, owner, blinding) in the transfer's token",
    "conservation": "inputs + public amount = outputs + fee",
    "signature": "the spend signature verifies over the public inputs under the spending key",
    "token": "every note of a transfer carries the same token",
}
"""Rule name -> what it requires (safe to show: no value)."""


class RuleError(ValueError):
    """Inputs that break one rule of the transfer circuit. `rule` is a key of RULES; the message has no value."""

    def __init__(self, rule: str, where: str) -> None:
        assert rule in RULES, rule
        self.rule = rule
        super().__init__(f"the transfer breaks the {rule} rule ({RULES[rule]}): {where}")


def _int(x: Any) -> int:
    return x if isinstance(x, int) and not isinstance(x, bool) else int(x)


def check_rules(inputs: Mapping[str, Any], shape: TransferShape) -> None:
    """Return if `inputs` (a complete circuit-input dict, ints or decimal strings, every value in [0, r))
    satisfy the transfer circuit; raise RuleError naming the first rule they break otherwise."""
    v = {k: ([_int(x) for x in val] if isinstance(val, list) and k != "inPathElements" else val)
         for k, val in inputs.items()}
    v["inPathElements"] = [[_int(x) for x in row] for row in inputs["inPathElements"]]
    for k in ("root", "publicAmount", "fee", "extDataHash", "tokenId", "nullifyingKey", "sigS"):
        v[k] = _int(inputs[k])
    n, m, levels = shape.n_ins, shape.n_outs, shape.levels
    limit = 1 << AMOUNT_BITS

    for i, a in enumerate(v["inAmount"]):
        if a >= limit:
            raise RuleError("range", f"input {i} amount")
    for j, a in enumerate(v["outAmount"]):
        if a >= limit:
            raise RuleError("range", f"output {j} amount")
    if v["fee"] >= limit:
        raise RuleError("range", "fee")
    public = v["publicAmount"]
    signed = public if public < R // 2 else public - R
    if not -limit <= signed < limit:
        raise RuleError("range", "public amount")
    for i, index in enumerate(v["inLeafIndex"]):
        if index >= 1 << levels:
            raise RuleError("range", f"input {i} leaf index")

    nk, token = v["nullifyingKey"], v["tokenId"]
    owner = address_of((v["spendPubKey"][0], v["spendPubKey"][1]), nk)
    commitments = [commitment(v["inAmount"][i], owner, v["inBlinding"][i], token) for i in range(n)]
    for i in range(n):
        if nullifier(nk, commitments[i], v["inLeafIndex"][i]) != v["inputNullifier"][i]:
            raise RuleError("nullifier", f"input {i}")
    if len(set(v["inputNullifier"])) != n:
        raise RuleError("nullifier", "two inputs have the same nullifier (one note spent twice)")

    for i in range(n):
        if v["inAmount"][i] != 0:
            path = MerklePath(v["inLeafIndex"][i], tuple(v["inPathElements"][i]))
            if root_from_path(commitments[i], path) != v["root"]:
                raise RuleError("membership", f"input {i}")

    for j in range(m):
        if commitment(v["outAmount"][j], v["outOwner"][j], v["outBlinding"][j], token) != v["outputCommitment"][j]:
            raise RuleError("commitment", f"output {j}")

    if sum(v["inAmount"]) + signed != sum(v["outAmount"]) + v["fee"]:
        raise RuleError("conservation", "inputs + public amount != outputs + fee")

    from .inputs import message_to_sign

    message = message_to_sign([v["root"], public, v["fee"], v["extDataHash"], *v["inputNullifier"],
                               *v["outputCommitment"]], shape)
    signature = Signature(r8=(v["sigR8"][0], v["sigR8"][1]), s=v["sigS"])
    try:
        verify((v["spendPubKey"][0], v["spendPubKey"][1]), message, signature)
    except (SignatureError, ValueError):
        raise RuleError("signature", "the spend signature") from None
