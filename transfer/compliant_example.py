"""A deterministic compliant scenario for tests, benches and the demo: the issuer's registry with Alice
(tier 1), Bob (tier 2) and Dave (tier 3, revoked later by tests), Alice's notes in a note tree, a
policy (caps 1,000 / 10,000 / none, K = 3, jurisdiction 408 blocked) and an auditor. Every secret is
derived from fixed labels: never use these keys for anything real.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .compliant import COMPLIANT_SHAPES, NO_CAP, CompliantShape, Policy, Registered, build_compliant_inputs
from .extdata import ExtData
from .identity import Identity, IdentityTree
from .inputs import InputNote
from .keys import Keys
from .merkle import MerkleTree
from .notes import Note
from .poseidon_cipher import AuditorKey

__all__ = ["ComplianceScenario", "compliance_scenario", "det"]

TOKEN_ID = 1
EPOCH_LENGTH = 86_400
EPOCH = 20_400  # 2025-11-07
EXPIRY = (EPOCH + 365) * EPOCH_LENGTH
JURISDICTION = 250
BLOCKED = (408,)


def det(label: str, i: int = 0) -> int:
    """A deterministic field element for the scenario only."""
    return int.from_bytes(hashlib.sha256(f"hush compliance {label} {i}".encode()).digest(), "big") >> 8


@dataclass
class ComplianceScenario:
    shape: CompliantShape
    alice: Keys
    bob: Keys
    carol: Keys
    dave: Keys
    auditor: AuditorKey
    ids: IdentityTree
    registry: dict[int, Registered]
    notes: MerkleTree
    alice_notes: list[InputNote]
    policy: Policy
    _counter: Any = field(default=None, repr=False)

    def register(self, keys: Keys, index: int, identity: Identity) -> None:
        self.ids.set(index, identity.leaf)
        self.registry[keys.address] = Registered(identity, self.ids.path(index))
        self.refresh()

    def refresh(self) -> None:
        """Recompute every path and the policy's root after a change of the registry."""
        for owner, reg in list(self.registry.items()):
            self.registry[owner] = Registered(reg.identity, self.ids.path(reg.path.leaf_index))
        self.policy = replace(self.policy, identity_root=self.ids.root)

    def ext_data(self, fee: int = 0, recipient: str = "0x" + "11" * 20, pool: str = "0x" + "33" * 20) -> ExtData:
        return ExtData(recipient, "0x" + "22" * 20, fee, (b"out 0", b"out 1"), 31337, pool)

    def build(
        self,
        outputs: Sequence[Note],
        *,
        spend: Sequence[int] = (0, 1),
        public_amount: int = 0,
        fee: int = 0,
        slot: int = 0,
        sender: Keys | None = None,
        ext_data: ExtData | None = None,
        policy: Policy | None = None,
    ) -> dict[str, Any]:
        """Alice's (or `sender`'s, then with no input note) transfer as a circuit input dict."""
        keys = sender or self.alice
        ins = [self.alice_notes[i] for i in spend] if keys is self.alice else []
        return build_compliant_inputs(
            shape=self.shape,
            root=self.notes.root,
            inputs=ins,
            outputs=outputs,
            public_amount=public_amount,
            ext_data=ext_data or self.ext_data(fee),
            authorizing_key=keys.proof_authorizing_key(),
            signer=keys.spending_key.sign,
            policy=policy or self.policy,
            sender=self.registry[keys.address],
            recipients=self.registry,
            slot=slot,
            ephemeral_secret=det("ephemeral", next(self._counter)),
            blinding=lambda: det("blinding", next(self._counter)),
        )

    def note(self, amount: int, to: Keys, i: int = 0) -> Note:
        return Note(amount, to.address, det(f"note {to.address}", i), TOKEN_ID)


def compliance_scenario(
    shape: CompliantShape | str = "compliant_2x2",
    amounts: Sequence[int] = (600, 500),
    *,
    epoch: int = EPOCH,
    epoch_length: int = EPOCH_LENGTH,
    expiry: int = EXPIRY,
) -> ComplianceScenario:
    """The scenario; `amounts` are Alice's notes in a fresh note tree (none: she deposits first)."""
    if isinstance(shape, str):
        shape = COMPLIANT_SHAPES[shape]
    k = {n: Keys.from_seed(hashlib.sha256(f"hush compliance: {n}".encode()).digest()) for n in ("a", "b", "c", "d")}
    auditor = AuditorKey(det("auditor") % 2**250 + 1)
    notes = MerkleTree(shape.levels)
    alice_notes = []
    for i, amount in enumerate(amounts):
        note = Note(amount, k["a"].address, det("alice note", i), TOKEN_ID)
        idx = notes.insert(note.commitment)
        notes.insert(Note(3, k["b"].address, det("bob note", i), TOKEN_ID).commitment)
        alice_notes.append(idx)
    spent = [
        InputNote(Note(a, k["a"].address, det("alice note", i), TOKEN_ID), notes.path(idx))
        for i, (a, idx) in enumerate(zip(amounts, alice_notes, strict=True))
    ]
    policy = Policy(
        identity_root=0,
        epoch=epoch,
        epoch_start=epoch * epoch_length,
        tier_caps=(1_000, 10_000, NO_CAP),
        blocked=BLOCKED,
        max_slots=3,
        auditor_pub_key=auditor.public_key,
    )
    sc = ComplianceScenario(
        shape,
        k["a"],
        k["b"],
        k["c"],
        k["d"],
        auditor,
        IdentityTree(shape.id_depth),
        {},
        notes,
        spent,
        policy,
        iter(range(1 << 30)),
    )
    sc.ids.set(0, det("decoy leaf"))
    sc.register(sc.alice, 5, Identity(sc.alice.address, 1, JURISDICTION, expiry, 0xA11CE))
    sc.register(sc.bob, 6, Identity(sc.bob.address, 2, JURISDICTION, expiry, 0xB0B))
    sc.register(sc.dave, 17, Identity(sc.dave.address, 3, JURISDICTION, expiry, 0xDA7E))
    return sc


def warmup_example(name: str) -> tuple[dict[str, Any], list[int]]:
    """(circuit inputs, public signals) of a valid example for any of Hush's circuits: the transfer
    example for transfer_*, Alice paying Bob 30 in the compliance scenario for compliant_*."""
    if name in COMPLIANT_SHAPES:
        from .compliant import public_signals

        sc = compliance_scenario(name)
        inputs = sc.build([sc.note(30, sc.bob), sc.note(1070, sc.alice)])
        return inputs, public_signals(inputs, sc.shape)
    from .example import example_transfer

    ex = example_transfer(name)
    return ex.inputs, ex.public_signals
