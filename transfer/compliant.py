"""Circuit inputs of `CompliantTransfer(levels, idDepth, nIns, nOuts, nTiers, nBlocked)` (twin of
circuits/compliant_transfer.circom) and the rules a wallet enforces before proving.

The builder reuses `transfer.inputs.build_transfer_inputs` for the transfer itself, with its
extDataHash replaced by Poseidon(extDataHash, complianceHash): the spender's one signature covers the
compliance public inputs too. Everything the circuit would refuse for compliance is refused here
first, with a `ComplianceError` naming the rule: an unregistered, revoked, expired or blocked party,
a value over the tier cap, a slot >= K, an exit that is not a plain withdrawal to the registered
account.

How a sender learns a recipient's membership path: the recipient shares its compliant address, the
shielded address plus its registry index and attributes (tier, jurisdiction, expiry, account); the
issuer publishes the tree's leaves (hashes only), from which anyone builds the path of an index. The
sender so learns the recipient's attributes; the public learns nothing from the leaves unless it
already knows an address (then it can test the few likely attribute values against a leaf).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

from .babyjub import Point
from .constants import AMOUNT_BITS, DEFAULT_LEVELS, R, TransferShape
from .eddsa import Signature
from .extdata import ExtData
from .identity import ID_DEPTH, TIME_BITS, Identity, QuadPath, quad_root_from_path
from .inputs import InputNote, TransferInputError, build_transfer_inputs, encode_public_amount
from .keys import ProofAuthorizingKey
from .notes import Note, random_blinding
from .poseidon import poseidon, poseidon_many
from .poseidon_cipher import audit_encrypt, cipher_length, random_ephemeral_secret

__all__ = [
    "SLOT_BITS",
    "CAP_BITS",
    "NO_CAP",
    "ComplianceError",
    "CompliantShape",
    "COMPLIANT_SHAPES",
    "Policy",
    "Registered",
    "epoch_nullifier",
    "audit_plaintext",
    "compliance_public",
    "compliance_hash",
    "input_shapes",
    "public_signals",
    "build_compliant_inputs",
]

SLOT_BITS = 8
CAP_BITS = 125
NO_CAP = (1 << CAP_BITS) - 1
"""The largest cap the circuit accepts: no limit in practice (every transfer moves < 2^123)."""


class ComplianceError(TransferInputError):
    """A transfer the compliant circuit would refuse for a compliance rule."""


@dataclass(frozen=True)
class CompliantShape:
    levels: int
    id_depth: int
    n_ins: int
    n_outs: int
    n_tiers: int
    n_blocked: int

    @property
    def n_plain(self) -> int:
        return 2 * self.n_outs + 4

    @property
    def n_cipher(self) -> int:
        return cipher_length(self.n_plain)

    @property
    def n_public(self) -> int:
        return 4 + self.n_ins + self.n_outs + 3 + self.n_tiers + self.n_blocked + 3 + 4 + self.n_cipher

    def public_input_names(self) -> list[str]:
        return (
            ["root", "publicAmount", "fee", "extDataHash"]
            + [f"inputNullifier[{i}]" for i in range(self.n_ins)]
            + [f"outputCommitment[{j}]" for j in range(self.n_outs)]
            + ["identityRoot", "epoch", "epochStart"]
            + [f"tierCap[{t}]" for t in range(self.n_tiers)]
            + [f"blockedJurisdiction[{b}]" for b in range(self.n_blocked)]
            + ["maxSlots", "epochNullifier", "exitAccount", "auditorPubKey[0]", "auditorPubKey[1]"]
            + ["ephemeralPubKey[0]", "ephemeralPubKey[1]"]
            + [f"auditCiphertext[{k}]" for k in range(self.n_cipher)]
        )


COMPLIANT_SHAPES: dict[str, CompliantShape] = {
    "compliant_2x2": CompliantShape(DEFAULT_LEVELS, ID_DEPTH, 2, 2, 3, 4),
    "compliant_16x2": CompliantShape(DEFAULT_LEVELS, ID_DEPTH, 16, 2, 3, 4),
}


@dataclass(frozen=True)
class Policy:
    """The public inputs a pool takes from its policy for one transfer."""

    identity_root: int
    epoch: int
    epoch_start: int
    tier_caps: tuple[int, ...]
    blocked: tuple[int, ...]
    max_slots: int
    auditor_pub_key: Point

    def __post_init__(self) -> None:
        if not 0 <= self.epoch_start < 1 << TIME_BITS:
            raise ComplianceError(f"epoch start: expected a unix time below 2^{TIME_BITS}, got {self.epoch_start}")
        if not 0 < self.max_slots < 1 << SLOT_BITS:
            raise ComplianceError(f"max slots K: expected an int in [1, 2^{SLOT_BITS}), got {self.max_slots}")
        for t, cap in enumerate(self.tier_caps):
            if not 0 <= cap <= NO_CAP:
                raise ComplianceError(f"tier {t + 1} cap: expected an int in [0, 2^{CAP_BITS}), got {cap}")


@dataclass(frozen=True)
class Registered:
    """An identity and its path in the tree under the policy's identity root."""

    identity: Identity
    path: QuadPath = field(repr=False)


def epoch_nullifier(nk: int, epoch: int, slot: int) -> int:
    """Poseidon(identity secret = nk, epoch, slot)."""
    return poseidon([nk, epoch, slot])


def audit_plaintext(sender: int, outputs: Sequence[Note], token_id: int, fee: int, public_field: int) -> list[int]:
    """(sender, owners..., amounts..., token, fee, publicAmount): what the auditor reads."""
    return [sender, *(n.owner for n in outputs), *(n.amount for n in outputs), token_id, fee, public_field]


def compliance_public(values: Mapping[str, Any]) -> list[int]:
    """The compliance public inputs of a (validated, int) input dict, in order."""
    return [
        values["identityRoot"],
        values["epoch"],
        values["epochStart"],
        *values["tierCap"],
        *values["blockedJurisdiction"],
        values["maxSlots"],
        values["epochNullifier"],
        values["exitAccount"],
        *values["auditorPubKey"],
        *values["ephemeralPubKey"],
        *values["auditCiphertext"],
    ]


def compliance_hash(values: Mapping[str, Any]) -> int:
    return poseidon_many(compliance_public(values))


def input_shapes(shape: CompliantShape) -> dict[str, tuple[int, ...]]:
    n, m, lv, d = shape.n_ins, shape.n_outs, shape.levels, shape.id_depth
    return {
        "root": (),
        "publicAmount": (),
        "fee": (),
        "extDataHash": (),
        "inputNullifier": (n,),
        "outputCommitment": (m,),
        "identityRoot": (),
        "epoch": (),
        "epochStart": (),
        "tierCap": (shape.n_tiers,),
        "blockedJurisdiction": (shape.n_blocked,),
        "maxSlots": (),
        "epochNullifier": (),
        "exitAccount": (),
        "auditorPubKey": (2,),
        "ephemeralPubKey": (2,),
        "auditCiphertext": (shape.n_cipher,),
        "tokenId": (),
        "spendPubKey": (2,),
        "nullifyingKey": (),
        "sigR8": (2,),
        "sigS": (),
        "inAmount": (n,),
        "inBlinding": (n,),
        "inLeafIndex": (n,),
        "inPathElements": (n, lv),
        "outAmount": (m,),
        "outOwner": (m,),
        "outBlinding": (m,),
        "senderTier": (),
        "senderJurisdiction": (),
        "senderExpiry": (),
        "senderAccount": (),
        "senderIdIndex": (),
        "senderIdPath": (d, 3),
        "outTier": (m,),
        "outJurisdiction": (m,),
        "outExpiry": (m,),
        "outAccount": (m,),
        "outIdIndex": (m,),
        "outIdPath": (m, d, 3),
        "epochSlot": (),
        "ephemeralSecret": (),
    }


def _ints(x: Any) -> Any:
    return [_ints(y) for y in x] if isinstance(x, list | tuple) else int(x)


def validate_inputs(inputs: Mapping[str, Any], shape: CompliantShape) -> dict[str, Any]:
    """Exact signal names and shapes, values in [0, r); returns ints."""
    shapes = input_shapes(shape)
    unknown, missing = sorted(set(inputs) - set(shapes)), sorted(set(shapes) - set(inputs))
    if unknown or missing:
        raise TransferInputError(f"inputs: unknown signals {unknown}, missing signals {missing}")

    def parse(what: str, v: Any, shp: tuple[int, ...]) -> Any:
        if shp:
            if not isinstance(v, list | tuple) or len(v) != shp[0]:
                raise TransferInputError(f"{what}: expected an array of {shp[0]} values")
            return [parse(f"{what}[{i}]", x, shp[1:]) for i, x in enumerate(v)]
        if isinstance(v, str):
            if not (v.isascii() and v.isdigit()) or len(v) > 80:
                raise TransferInputError(f"{what}: expected a decimal string of a field element")
            v = int(v)
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < R:
            raise TransferInputError(f"{what}: expected an integer in [0, r), got {v!r}")
        return v

    return {k: parse(k, inputs[k], shapes[k]) for k in shapes}


def public_signals(inputs: Mapping[str, Any], shape: CompliantShape) -> list[int]:
    v = validate_inputs(inputs, shape)
    return [
        v["root"],
        v["publicAmount"],
        v["fee"],
        v["extDataHash"],
        *v["inputNullifier"],
        *v["outputCommitment"],
        *compliance_public(v),
    ]


@dataclass(frozen=True)
class _BoundExtData(ExtData):
    """ExtData whose hash is Poseidon(keccak hash, complianceHash): what the inner Transfer signs."""

    compliance: int = 0

    def hash(self) -> int:
        return poseidon([super().hash(), self.compliance])


def _check_party(what: str, reg: Registered | None, owner: int, policy: Policy) -> Identity:
    if reg is None:
        raise ComplianceError(f"{what} {owner} is not registered: no identity of the issuer's registry was given")
    ident = reg.identity
    if ident.owner != owner:
        raise ComplianceError(f"{what}: the identity given is of owner {ident.owner}, not {owner}")
    if quad_root_from_path(ident.leaf, reg.path) != policy.identity_root:
        raise ComplianceError(
            f"{what} {owner} is not registered under identity root {policy.identity_root} "
            f"(leaf {reg.path.leaf_index} does not match)"
        )
    return ident


def build_compliant_inputs(
    *,
    shape: CompliantShape,
    root: int,
    inputs: Sequence[InputNote],
    outputs: Sequence[Note],
    public_amount: int,
    ext_data: ExtData,
    authorizing_key: ProofAuthorizingKey,
    signer: Callable[[int], Signature],
    policy: Policy,
    sender: Registered,
    recipients: Mapping[int, Registered],
    slot: int,
    ephemeral_secret: int | None = None,
    blinding: Callable[[], int] = random_blinding,
) -> dict[str, Any]:
    """The circuit input dict (decimal strings) of one compliant transfer; `recipients` maps an output
    owner to its registry entry (the sender's own entry is used for change)."""
    if len(outputs) > shape.n_outs:
        raise TransferInputError(f"this circuit takes at most {shape.n_outs} outputs, got {len(outputs)}")
    if len(policy.tier_caps) != shape.n_tiers or len(policy.blocked) > shape.n_blocked:
        raise ComplianceError(
            f"policy: expected {shape.n_tiers} tier caps and at most {shape.n_blocked} blocked jurisdictions, "
            f"got {len(policy.tier_caps)} and {len(policy.blocked)}"
        )
    owner = authorizing_key.address
    me = _check_party("sender", sender, owner, policy)
    active = me.active_at(policy.epoch_start)
    blocked = tuple(policy.blocked) + (0,) * (shape.n_blocked - len(policy.blocked))
    if 0 in policy.blocked:
        raise ComplianceError("policy: jurisdiction 0 cannot be blocked (it pads the blocked list)")
    if active and me.jurisdiction in policy.blocked:
        raise ComplianceError(f"sender: jurisdiction {me.jurisdiction} is blocked by the policy")
    if not 0 <= slot < policy.max_slots:
        raise ComplianceError(
            f"rate limit: slot {slot} is not below K = {policy.max_slots} transfers per epoch "
            f"(this identity has used its {policy.max_slots} transfers of epoch {policy.epoch})"
        )
    fee = ext_data.fee
    if not active:
        if any(n.amount for n in outputs) or public_amount >= 0:
            raise ComplianceError(
                "sender is revoked or expired: it may only withdraw (no output notes) to its registered account"
            )
        if me.account == 0 or int(ext_data.recipient, 16) != me.account:
            raise ComplianceError(
                f"sender is revoked or expired: the withdrawal must go to its registered account "
                f"0x{me.account:040x}, not {ext_data.recipient}"
            )
    token_ids = {x.note.token_id for x in inputs} | {n.token_id for n in outputs}
    if len(token_ids) != 1:
        raise TransferInputError(f"all notes of a transfer must carry one token id, got {sorted(token_ids)}")
    token_id = next(iter(token_ids))

    outs = list(outputs)
    while len(outs) < shape.n_outs:
        outs.append(Note(0, owner, blinding(), token_id))
    by_owner = dict(recipients)
    by_owner.setdefault(owner, sender)
    out_ids: list[Registered | None] = []
    for j, note in enumerate(outs):
        if note.amount == 0:
            out_ids.append(None)
            continue
        ident = _check_party(f"recipient of output {j}", by_owner.get(note.owner), note.owner, policy)
        if not ident.active_at(policy.epoch_start):
            raise ComplianceError(
                f"recipient of output {j} ({note.owner}) is "
                f"{'revoked' if ident.tier == 0 else 'expired'} at epoch start {policy.epoch_start}"
            )
        if ident.jurisdiction in policy.blocked:
            raise ComplianceError(f"recipient of output {j}: jurisdiction {ident.jurisdiction} is blocked")
        out_ids.append(by_owner[note.owner])

    withdrawn = -public_amount if public_amount < 0 else 0
    leaving = sum(n.amount for n in outs if n.owner != owner) + fee + withdrawn
    if active:
        if not 1 <= me.tier <= shape.n_tiers:
            raise ComplianceError(f"sender tier {me.tier} is not one of 1..{shape.n_tiers}")
        cap = policy.tier_caps[me.tier - 1]
        if leaving > cap:
            raise ComplianceError(
                f"tier cap: this transfer moves {leaving} out of the sender's notes (to others, withdrawn and "
                f"fee), over the cap {cap} of tier {me.tier} by {leaving - cap}"
            )

    public_field = encode_public_amount(public_amount)
    e = random_ephemeral_secret() if ephemeral_secret is None else ephemeral_secret
    plaintext = audit_plaintext(owner, outs, token_id, fee, public_field)
    eph_pub, ciphertext = audit_encrypt(plaintext, policy.auditor_pub_key, e)
    compliance = {
        "identityRoot": policy.identity_root,
        "epoch": policy.epoch,
        "epochStart": policy.epoch_start,
        "tierCap": list(policy.tier_caps),
        "blockedJurisdiction": list(blocked),
        "maxSlots": policy.max_slots,
        "epochNullifier": epoch_nullifier(authorizing_key.nk, policy.epoch, slot),
        "exitAccount": 0 if active else me.account,
        "auditorPubKey": list(policy.auditor_pub_key),
        "ephemeralPubKey": list(eph_pub),
        "auditCiphertext": ciphertext,
    }
    bound = _BoundExtData(
        **{f.name: getattr(ext_data, f.name) for f in fields(ExtData)}, compliance=compliance_hash(compliance)
    )
    tx = build_transfer_inputs(
        shape=_transfer_shape(shape),
        root=root,
        inputs=inputs,
        outputs=outs,
        public_amount=public_amount,
        ext_data=bound,
        authorizing_key=authorizing_key,
        signer=signer,
        blinding=blinding,
    )
    tx["extDataHash"] = ext_data.hash()
    zero_path = [[0, 0, 0]] * shape.id_depth

    def ident_fields(reg: Registered | None) -> tuple[list[int], int, list[list[int]]]:
        if reg is None:
            return [0, 0, 0, 0], 0, zero_path
        i = reg.identity
        return [i.tier, i.jurisdiction, i.expiry, i.account], reg.path.leaf_index, [list(s) for s in reg.path.siblings]

    s_attr, s_index, s_path = ident_fields(sender)
    o_fields = [ident_fields(r) for r in out_ids]
    raw: dict[str, Any] = {
        **{k: _ints(v) for k, v in tx.items()},
        **compliance,
        "senderTier": s_attr[0],
        "senderJurisdiction": s_attr[1],
        "senderExpiry": s_attr[2],
        "senderAccount": s_attr[3],
        "senderIdIndex": s_index,
        "senderIdPath": s_path,
        "outTier": [f[0][0] for f in o_fields],
        "outJurisdiction": [f[0][1] for f in o_fields],
        "outExpiry": [f[0][2] for f in o_fields],
        "outAccount": [f[0][3] for f in o_fields],
        "outIdIndex": [f[1] for f in o_fields],
        "outIdPath": [f[2] for f in o_fields],
        "epochSlot": slot,
        "ephemeralSecret": e,
    }
    validate_inputs(raw, shape)
    assert AMOUNT_BITS + 5 <= CAP_BITS  # leaving < (n_outs + 2) * 2^AMOUNT_BITS
    return {k: _dec(v) for k, v in raw.items()}


def _dec(x: Any) -> Any:
    return [_dec(y) for y in x] if isinstance(x, list) else str(x)


def _transfer_shape(shape: CompliantShape) -> TransferShape:
    return TransferShape(shape.levels, shape.n_ins, shape.n_outs)
