"""Re-seal forged inputs of the compliant transfer: after changing some private (or public) values,
recompute everything else so that the only thing wrong is the lie under test - note commitments and
nullifiers, the epoch nullifier, the auditor's ciphertext, the compliance hash and the spender's
signature over all of it. Each recomputation can be skipped when it is the lie."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from transfer_forgery import input_commitment, ints, owner_of

from transfer.compliant import compliance_hash, epoch_nullifier
from transfer.constants import TransferShape
from transfer.inputs import message_to_sign
from transfer.keys import Keys
from transfer.notes import commitment, nullifier
from transfer.poseidon import poseidon
from transfer.poseidon_cipher import audit_encrypt


def plaintext(v: Mapping[str, Any]) -> list[int]:
    return [owner_of(v), *v["outOwner"], *v["outAmount"], v["tokenId"], v["fee"], v["publicAmount"]]


def reseal(
    v: Mapping[str, Any],
    keys: Keys,
    *,
    cipher: bool = True,
    epoch_nf: bool = True,
    commitments: bool = True,
) -> dict[str, Any]:
    v = ints(v)
    nk, tok = v["nullifyingKey"], v["tokenId"]
    v["inputNullifier"] = [
        nullifier(nk, input_commitment(v, i), v["inLeafIndex"][i]) for i in range(len(v["inAmount"]))
    ]
    if commitments:
        v["outputCommitment"] = [
            commitment(a, o, b, tok) for a, o, b in zip(v["outAmount"], v["outOwner"], v["outBlinding"], strict=True)
        ]
    if epoch_nf:
        v["epochNullifier"] = epoch_nullifier(nk, v["epoch"], v["epochSlot"])
    if cipher:
        eph, ct = audit_encrypt(plaintext(v), tuple(v["auditorPubKey"]), v["ephemeralSecret"])
        v["ephemeralPubKey"], v["auditCiphertext"] = list(eph), ct
    bound = poseidon([v["extDataHash"], compliance_hash(v)])
    signals = [v["root"], v["publicAmount"], v["fee"], bound, *v["inputNullifier"], *v["outputCommitment"]]
    shape = TransferShape(len(v["inPathElements"][0]), len(v["inAmount"]), len(v["outAmount"]))
    sig = keys.spending_key.sign(message_to_sign(signals, shape))
    v["sigR8"], v["sigS"] = list(sig.r8), sig.s
    return v
