"""Build transfer inputs with arbitrary field elements (no range or balance checks) for forgeries.

`transfer/inputs.py` refuses everything the circuit would refuse; a forgery needs exactly those
values, with every *other* part of the statement made consistent: input notes really in the tree,
nullifiers and commitments recomputed from the (forged) private values, and a valid signature of
the spender over the resulting public inputs. Then the only thing wrong is the lie under test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from transfer.constants import R, TransferShape
from transfer.inputs import message_to_sign
from transfer.keys import Keys, address_of
from transfer.merkle import MerkleTree
from transfer.notes import commitment, nullifier

EXT_DATA_HASH = 0x1234567890ABCDEF
TOKEN = 1


def ints(inputs: Mapping[str, Any]) -> dict[str, Any]:
    def conv(x: Any) -> Any:
        return [conv(y) for y in x] if isinstance(x, list | tuple) else int(x)

    return {k: conv(v) for k, v in inputs.items()}


def owner_of(v: Mapping[str, Any]) -> int:
    return address_of((int(v["spendPubKey"][0]), int(v["spendPubKey"][1])), int(v["nullifyingKey"]))


def input_commitment(v: Mapping[str, Any], i: int) -> int:
    return commitment(int(v["inAmount"][i]), owner_of(v), int(v["inBlinding"][i]), int(v["tokenId"]))


def resign(v: Mapping[str, Any], keys: Keys) -> dict[str, Any]:
    """Recompute nullifiers, output commitments and the signature of a (possibly forged) input dict."""
    v = ints(v)
    nk, tok = v["nullifyingKey"], v["tokenId"]
    v["inputNullifier"] = [
        nullifier(nk, input_commitment(v, i), v["inLeafIndex"][i] % R) for i in range(len(v["inAmount"]))
    ]
    v["outputCommitment"] = [
        commitment(a, o, b, tok) for a, o, b in zip(v["outAmount"], v["outOwner"], v["outBlinding"], strict=True)
    ]
    signals = [v["root"], v["publicAmount"], v["fee"], v["extDataHash"], *v["inputNullifier"], *v["outputCommitment"]]
    shape = TransferShape(len(v["inPathElements"][0]), len(v["inAmount"]), len(v["outAmount"]))
    sig = keys.spending_key.sign(message_to_sign(signals, shape))
    v["sigR8"] = list(sig.r8)
    v["sigS"] = sig.s
    return v


def place(v: Mapping[str, Any], keys: Keys, levels: int, positions: Sequence[int] | None = None) -> dict[str, Any]:
    """Put the input notes (with their current, possibly forged, values) into a fresh tree at
    `positions` (default 1, 3, 5, ...; other leaves are decoys), set root and paths, then resign."""
    v = ints(v)
    n = len(v["inAmount"])
    positions = list(positions) if positions is not None else [2 * i + 1 for i in range(n)]
    tree = MerkleTree(levels)
    by_pos = {p: input_commitment(v, i) for i, p in enumerate(positions)}
    for p in range(max(positions) + 2):
        tree.insert(by_pos.get(p, commitment(7, 42, p, TOKEN)))
    v["root"] = tree.root
    for i, p in enumerate(positions):
        path = tree.path(p)
        v["inLeafIndex"][i] = p
        v["inPathElements"][i] = list(path.path_elements)
    return resign(v, keys)


def forged_transfer(
    keys: Keys,
    *,
    levels: int,
    in_amounts: Sequence[int],
    out_amounts: Sequence[int],
    public_amount: int,
    fee: int,
) -> dict[str, Any]:
    """A transfer with the given field elements as amounts (public_amount already encoded mod r),
    all inputs in a fresh tree, outputs to the spender, signed."""
    n, m = len(in_amounts), len(out_amounts)
    v = {
        "root": 0,
        "publicAmount": public_amount % R,
        "fee": fee % R,
        "extDataHash": EXT_DATA_HASH,
        "inputNullifier": [0] * n,
        "outputCommitment": [0] * m,
        "tokenId": TOKEN,
        "spendPubKey": list(keys.public_key),
        "nullifyingKey": keys.nk,
        "sigR8": [0, 1],
        "sigS": 0,
        "inAmount": [a % R for a in in_amounts],
        "inBlinding": [1000 + i for i in range(n)],
        "inLeafIndex": [0] * n,
        "inPathElements": [[0] * levels for _ in range(n)],
        "outAmount": [a % R for a in out_amounts],
        "outOwner": [keys.address] * m,
        "outBlinding": [2000 + j for j in range(m)],
    }
    return place(v, keys, levels)
