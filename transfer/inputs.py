"""Circuit inputs of `Transfer(levels, nIns, nOuts)`: the message to sign and the strict input builder.

The builder takes what the wallet knows (the input notes with their tree paths, the output notes,
the signed public amount, the external data), the prover's `ProofAuthorizingKey` (A, nk) and a
signer — any callable M -> Signature, so the spending key stays with the caller — and returns the
input JSON dict of the circuit (decimal strings). Everything the circuit would reject is rejected
here first, before any witness generator runs, with an error naming the value, what was expected
and what came: values outside [0, r) (never reduced), amounts or fee >= 2^AMOUNT_BITS, a public
amount outside [-2^AMOUNT_BITS, 2^AMOUNT_BITS) (negatives are encoded as r - |x|), leaf indices
>= 2^levels, a note of another owner or token, a non-zero note not under the root, repeated
nullifiers, amounts that do not balance, a fee different from the external data's, a signature
that does not verify.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .constants import AMOUNT_BITS, MAX_PUBLIC_AMOUNT, MIN_PUBLIC_AMOUNT, R, TransferShape
from .eddsa import Signature, SignatureError, verify
from .extdata import ExtData
from .keys import ProofAuthorizingKey
from .merkle import MerklePath, root_from_path
from .notes import Note, check_amount, check_field, random_blinding
from .poseidon import poseidon_many

__all__ = [
    "InputNote",
    "Signer",
    "TransferInputError",
    "encode_public_amount",
    "decode_public_amount",
    "message_to_sign",
    "public_signals",
    "build_transfer_inputs",
    "validate_circuit_inputs",
    "input_shapes",
]

Signer = Callable[[int], Signature]


class TransferInputError(ValueError):
    """Inputs the transfer circuit would reject (or that are not field elements). `rule` names the rule of
    `transfer.rules.RULES` they break (None for a malformed argument); such messages carry no value."""

    def __init__(self, message: str, rule: str | None = None) -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class InputNote:
    """A note being spent and its place in the tree (a zero-amount dummy may have any path)."""

    note: Note
    path: MerklePath


def encode_public_amount(x: int) -> int:
    """A signed public amount (deposit > 0, withdrawal < 0) as the field element the circuit takes."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise TransferInputError(f"public amount: expected a signed int, got {type(x).__name__} {x!r}")
    if not MIN_PUBLIC_AMOUNT <= x <= MAX_PUBLIC_AMOUNT:
        raise TransferInputError(f"the transfer breaks the range rule: public amount outside "
                                 f"[-2^{AMOUNT_BITS}, 2^{AMOUNT_BITS})", rule="range")
    return x % R


def decode_public_amount(e: int) -> int:
    """The inverse of `encode_public_amount`."""
    e = _field("publicAmount", e)
    x = e if e < R // 2 else e - R
    if not MIN_PUBLIC_AMOUNT <= x <= MAX_PUBLIC_AMOUNT:
        raise TransferInputError(
            f"publicAmount {e} is not the encoding of an amount in [-2^{AMOUNT_BITS}, 2^{AMOUNT_BITS})"
        )
    return x


def _field(what: str, x: object) -> int:
    try:
        return check_field(what, x)
    except (TypeError, ValueError) as e:
        raise TransferInputError(str(e)) from None


def message_to_sign(signals: Sequence[int], shape: TransferShape) -> int:
    """M = PoseidonMany(tag, root, publicAmount, fee, extDataHash, nullifiers..., commitments...), tag the
    shape's domain tag (version, depth, nIns, nOuts): a signature for one shape is none for another."""
    if len(signals) != shape.n_public:
        raise TransferInputError(
            f"a {shape.n_ins}x{shape.n_outs} transfer has {shape.n_public} public signals, got {len(signals)}"
        )
    return poseidon_many([shape.domain_tag, *(_field(f"public signal {i}", s) for i, s in enumerate(signals))])


def input_shapes(shape: TransferShape) -> dict[str, tuple[int, ...]]:
    """Every input signal of the circuit and its array shape (() for a scalar)."""
    n, m, lv = shape.n_ins, shape.n_outs, shape.levels
    return {
        "root": (),
        "publicAmount": (),
        "fee": (),
        "extDataHash": (),
        "inputNullifier": (n,),
        "outputCommitment": (m,),
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
    }


def _parse_value(what: str, v: object) -> int:
    if isinstance(v, str):
        if not (v.isascii() and v.isdigit()) or len(v) > 80:
            raise TransferInputError(f"{what}: expected a decimal string of a field element, got {v[:90]!r}")
        v = int(v)
    return _field(what, v)


def _parse_array(what: str, v: object, shape: tuple[int, ...]) -> Any:
    if not shape:
        return _parse_value(what, v)
    if not isinstance(v, list | tuple) or len(v) != shape[0]:
        got = f"{len(v)} values" if isinstance(v, list | tuple) else type(v).__name__
        raise TransferInputError(f"{what}: expected an array of {shape[0]} values, got {got}")
    return [_parse_array(f"{what}[{i}]", x, shape[1:]) for i, x in enumerate(v)]


def validate_circuit_inputs(inputs: Mapping[str, Any], shape: TransferShape) -> dict[str, Any]:
    """Check an input dict against the circuit's signals: exact names, shapes, values in [0, r)
    (ints or decimal strings). Returns the same structure with int values."""
    if not isinstance(inputs, Mapping):
        raise TransferInputError(f"inputs: expected a mapping of signal names, got {type(inputs).__name__}")
    shapes = input_shapes(shape)
    unknown = sorted(set(inputs) - set(shapes))
    missing = sorted(set(shapes) - set(inputs))
    if unknown or missing:
        raise TransferInputError(f"inputs: unknown signals {unknown}, missing signals {missing}")
    return {name: _parse_array(name, inputs[name], shapes[name]) for name in shapes}


def public_signals(inputs: Mapping[str, Any], shape: TransferShape) -> list[int]:
    """The public signals of an input dict, in the circuit's order."""
    v = validate_circuit_inputs(inputs, shape)
    return [v["root"], v["publicAmount"], v["fee"], v["extDataHash"], *v["inputNullifier"], *v["outputCommitment"]]


def _dec(x: Any) -> Any:
    if isinstance(x, list):
        return [_dec(y) for y in x]
    return str(x)


def build_transfer_inputs(
    *,
    shape: TransferShape,
    root: int,
    inputs: Sequence[InputNote],
    outputs: Sequence[Note],
    public_amount: int,
    ext_data: ExtData,
    authorizing_key: ProofAuthorizingKey,
    signer: Signer,
    blinding: Callable[[], int] = random_blinding,
) -> dict[str, Any]:
    """The circuit input dict (decimal strings) of one transfer.

    Fewer than nIns inputs are padded with zero-amount dummy notes of the spender, fewer than nOuts
    outputs with zero-amount notes to the spender; their blindings come from `blinding` (the OS
    CSPRNG unless a test or example passes a deterministic source)."""
    n_ins, n_outs, levels = shape.n_ins, shape.n_outs, shape.levels
    root = _field("root", root)
    if not isinstance(ext_data, ExtData):
        raise TransferInputError(f"ext_data: expected an ExtData, got {type(ext_data).__name__}")
    fee = ext_data.fee
    public_field = encode_public_amount(public_amount)
    if len(inputs) > n_ins or len(outputs) > n_outs:
        raise TransferInputError(
            f"this circuit takes at most {n_ins} inputs and {n_outs} outputs, got {len(inputs)} and {len(outputs)}"
        )
    if not inputs and not outputs:
        raise TransferInputError("a transfer needs at least one input or output note")
    for i, item in enumerate(inputs):
        if not isinstance(item, InputNote):
            raise TransferInputError(f"input {i}: expected an InputNote, got {type(item).__name__}")
    for j, note in enumerate(outputs):
        if not isinstance(note, Note):
            raise TransferInputError(f"output {j}: expected a Note, got {type(note).__name__}")
    if not isinstance(authorizing_key, ProofAuthorizingKey):
        raise TransferInputError(
            f"authorizing_key: expected a ProofAuthorizingKey, got {type(authorizing_key).__name__}"
        )
    nk = _field("nk", authorizing_key.nk)
    owner = authorizing_key.address
    token_ids = {n.note.token_id for n in inputs} | {n.token_id for n in outputs}
    if len(token_ids) != 1:
        raise TransferInputError(f"the transfer breaks the token rule: its notes carry {len(token_ids)} different "
                                 "tokens, a transfer moves one", rule="token")
    token_id = token_ids.pop()

    ins = list(inputs)
    while len(ins) < n_ins:
        ins.append(
            InputNote(Note(0, owner, _field("dummy blinding", blinding()), token_id), MerklePath(0, (0,) * levels))
        )
    outs = list(outputs)
    while len(outs) < n_outs:
        outs.append(Note(0, owner, _field("padding blinding", blinding()), token_id))

    nullifiers = []
    for i, item in enumerate(ins):
        note, path = item.note, item.path
        if note.owner != owner:
            raise TransferInputError(f"the transfer breaks the membership rule: input {i} is a note of another owner",
                                     rule="membership")
        if path.levels != levels:
            raise TransferInputError(f"input {i}: path has {path.levels} elements, the tree has {levels} levels")
        if (
            isinstance(path.leaf_index, bool)
            or not isinstance(path.leaf_index, int)
            or not 0 <= path.leaf_index < 1 << levels
        ):
            raise TransferInputError(
                f"the transfer breaks the range rule: input {i} leaf index outside [0, 2^{levels})", rule="range")
        for k, e in enumerate(path.path_elements):
            _field(f"input {i} path element {k}", e)
        cm = note.commitment
        if note.amount != 0 and root_from_path(cm, path) != root:
            raise TransferInputError(
                f"the transfer breaks the membership rule: input {i} is not in the tree under the root at its leaf",
                rule="membership",
            )
        nullifiers.append(note.nullifier(nk, path.leaf_index))
    if len(set(nullifiers)) != len(nullifiers):
        raise TransferInputError("the transfer breaks the nullifier rule: the same note is spent twice (repeated "
                                 "nullifier)", rule="nullifier")

    commitments = [n.commitment for n in outs]
    total_in = sum(x.note.amount for x in ins)
    total_out = sum(n.amount for n in outs)
    if total_in + public_amount != total_out + fee:
        raise TransferInputError(
            "the transfer breaks the conservation rule: inputs + public amount != outputs + fee", rule="conservation"
        )

    signals = [root, public_field, fee, ext_data.hash(), *nullifiers, *commitments]
    message = message_to_sign(signals, shape)
    signature = signer(message)
    try:
        verify(authorizing_key.public_key, message, signature)
    except SignatureError:
        raise TransferInputError("the transfer breaks the signature rule: the signer's signature does not verify "
                                 "under the spending key", rule="signature") from None

    raw = {
        "root": root,
        "publicAmount": public_field,
        "fee": fee,
        "extDataHash": signals[3],
        "inputNullifier": nullifiers,
        "outputCommitment": commitments,
        "tokenId": token_id,
        "spendPubKey": list(authorizing_key.public_key),
        "nullifyingKey": nk,
        "sigR8": list(signature.r8),
        "sigS": signature.s,
        "inAmount": [x.note.amount for x in ins],
        "inBlinding": [x.note.blinding for x in ins],
        "inLeafIndex": [x.path.leaf_index for x in ins],
        "inPathElements": [list(x.path.path_elements) for x in ins],
        "outAmount": [check_amount(f"output {j} amount", n.amount) for j, n in enumerate(outs)],
        "outOwner": [n.owner for n in outs],
        "outBlinding": [n.blinding for n in outs],
    }
    validate_circuit_inputs(raw, shape)  # belt and braces: shapes and ranges of the final dict
    out = {k: _dec(v) for k, v in raw.items()}
    from .rules import RuleError, check_rules

    try:  # the whole statement, as the farm checks it before proving: the same rule names on both sides
        check_rules(out, shape)
    except RuleError as e:
        raise TransferInputError(str(e), rule=e.rule) from None
    return out
