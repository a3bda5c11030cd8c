"""A deterministic, valid transfer for demos and tests (`hush example`, prover tests).

Alice deposits notes into a fresh tree (plus a few notes of Bob's, so the tree is not trivial),
then spends nIns of them: part goes to Bob as a shielded note, part is withdrawn to a public
recipient (negative public amount), a relayer fee is paid and the rest is Alice's change.
Every secret is derived from a fixed seed: never use these keys for anything real.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from .constants import SHAPES, TransferShape
from .extdata import ExtData
from .inputs import InputNote, build_transfer_inputs, public_signals
from .keys import Keys
from .merkle import MerkleTree
from .notes import Note

__all__ = ["ExampleTransfer", "example_transfer"]

TOKEN_ID = 1
FEE = 2
WITHDRAWAL = 10
TO_BOB = 20


@dataclass(frozen=True)
class ExampleTransfer:
    shape: TransferShape
    inputs: dict[str, Any]
    """The circuit input dict (decimal strings)."""
    public_signals: list[int]
    alice: Keys
    bob: Keys
    tree: MerkleTree
    ext_data: ExtData
    spent: tuple[InputNote, ...]
    outputs: tuple[Note, ...]


def _det(label: str, i: int = 0) -> int:
    """A deterministic 'blinding' for the example only."""
    return int.from_bytes(hashlib.sha256(f"hush example {label} {i}".encode()).digest(), "big") >> 8


def example_transfer(shape: TransferShape | str = "transfer_2x2", *, n_dummy_inputs: int = 0) -> ExampleTransfer:
    """A valid transfer for `shape` (a TransferShape or a circuit name from constants.SHAPES).

    The first nIns - n_dummy_inputs inputs are real notes of Alice's in the tree (amounts 40, 12,
    then 5 each), the rest zero-amount dummies; outputs: 20 to Bob, Alice's change; public amount
    -10 (a withdrawal), fee 2."""
    if isinstance(shape, str):
        shape = SHAPES[shape]
    n_real = shape.n_ins - n_dummy_inputs
    if not 1 <= n_real <= shape.n_ins or shape.n_outs < 2:
        raise ValueError(
            f"example needs at least one real input and two outputs, got shape {shape} "
            f"with {n_dummy_inputs} dummy inputs"
        )
    alice = Keys.from_seed(hashlib.sha256(b"hush example: alice").digest())
    bob = Keys.from_seed(hashlib.sha256(b"hush example: bob").digest())
    tree = MerkleTree(shape.levels)
    tree.insert(Note(7, bob.address, _det("bob", 0), TOKEN_ID).commitment)
    amounts = [40, 12] + [5] * max(0, n_real - 2)
    amounts = amounts[:n_real]
    placed = []
    for i, amount in enumerate(amounts):
        note = Note(amount, alice.address, _det("alice", i), TOKEN_ID)
        placed.append((note, tree.insert(note.commitment)))
        tree.insert(Note(3, bob.address, _det("bob", i + 1), TOKEN_ID).commitment)
    spent = [InputNote(note, tree.path(index)) for note, index in placed]
    change = sum(amounts) - WITHDRAWAL - FEE - TO_BOB
    if change < 0:
        raise AssertionError("example amounts do not cover the transfer")
    outputs = (
        Note(TO_BOB, bob.address, _det("out", 0), TOKEN_ID),
        Note(change, alice.address, _det("out", 1), TOKEN_ID),
    )
    ext = ExtData(
        recipient="0x" + "11" * 20,
        relayer="0x" + "22" * 20,
        fee=FEE,
        encrypted_outputs=(b"ciphertext for bob", b"ciphertext for alice"),
        chain_id=31337,
        pool="0x" + "33" * 20,
    )
    counter = iter(range(1 << 30))
    inputs = build_transfer_inputs(
        shape=shape,
        root=tree.root,
        inputs=spent,
        outputs=outputs,
        public_amount=-WITHDRAWAL,
        ext_data=ext,
        authorizing_key=alice.proof_authorizing_key(),
        signer=alice.spending_key.sign,
        blinding=lambda: _det("padding", next(counter)),
    )
    return ExampleTransfer(
        shape=shape,
        inputs=inputs,
        public_signals=public_signals(inputs, shape),
        alice=alice,
        bob=bob,
        tree=tree,
        ext_data=ext,
        spent=tuple(spent),
        outputs=outputs,
    )
