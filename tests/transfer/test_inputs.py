"""transfer.inputs: the strict builder, the message to sign, and the example transfer (SECURITY 10)."""

from __future__ import annotations

import dataclasses

import pytest

from transfer.constants import AMOUNT_BITS, SHAPES, R, TransferShape
from transfer.eddsa import PrivateKey, Signature, verify
from transfer.example import example_transfer
from transfer.inputs import (
    InputNote,
    TransferInputError,
    build_transfer_inputs,
    decode_public_amount,
    encode_public_amount,
    input_shapes,
    message_to_sign,
    public_signals,
    validate_circuit_inputs,
)
from transfer.merkle import MerklePath
from transfer.notes import Note
from transfer.poseidon import poseidon

SHAPE = SHAPES["transfer_2x2"]
B = AMOUNT_BITS


@pytest.fixture(scope="module")
def ex():
    return example_transfer("transfer_2x2")


def _build(ex, **changes):
    """Rebuild the example transfer with some arguments changed."""
    kw = dict(
        shape=ex.shape,
        root=ex.tree.root,
        inputs=list(ex.spent),
        outputs=list(ex.outputs),
        public_amount=-10,
        ext_data=ex.ext_data,
        authorizing_key=ex.alice.proof_authorizing_key(),
        signer=ex.alice.spending_key.sign,
    )
    kw.update(changes)
    return build_transfer_inputs(**kw)


def test_example_is_deterministic_and_self_consistent(ex):
    again = example_transfer("transfer_2x2")
    assert again.inputs == ex.inputs
    assert all(isinstance(v, str) for k, v in ex.inputs.items() if not isinstance(v, list))
    v = validate_circuit_inputs(ex.inputs, SHAPE)
    signals = public_signals(ex.inputs, SHAPE)
    assert signals == ex.public_signals
    assert signals[0] == ex.tree.root
    assert signals[1] == R - 10 and decode_public_amount(signals[1]) == -10
    assert signals[2] == 2 and signals[3] == ex.ext_data.hash()
    for i, item in enumerate(ex.spent):
        assert signals[4 + i] == item.note.nullifier(ex.alice.nk, item.path.leaf_index)
    assert signals[6:] == [n.commitment for n in ex.outputs]
    verify(tuple(v["spendPubKey"]), message_to_sign(signals, SHAPE), Signature(tuple(v["sigR8"]), v["sigS"]))
    assert sum(v["inAmount"]) + decode_public_amount(v["publicAmount"]) == sum(v["outAmount"]) + v["fee"]


def test_example_shapes():
    ex16 = example_transfer("transfer_16x2", n_dummy_inputs=3)
    v = validate_circuit_inputs(ex16.inputs, SHAPES["transfer_16x2"])
    assert v["inAmount"][-3:] == [0, 0, 0] and all(a > 0 for a in v["inAmount"][:-3])
    assert len(set(v["inputNullifier"])) == 16


def test_message_is_poseidon_of_tag_and_public_signals(ex):
    s = ex.public_signals
    tag = SHAPE.domain_tag
    assert tag == int.from_bytes(b"hush", "big") * 2**64 + 1 * 2**48 + 24 * 2**32 + 2 * 2**16 + 2
    assert message_to_sign(s, SHAPE) == poseidon([tag, *s])  # 9 inputs: one Poseidon(9)
    with pytest.raises(TransferInputError, match=r"public signal 2.*\[0, r\)"):
        message_to_sign([1, 2, R, 4, 5, 6, 7, 8], SHAPE)
    with pytest.raises(TransferInputError, match="8 public signals, got 3"):
        message_to_sign([1, 2, 3], SHAPE)


def test_signature_for_one_shape_is_refused_by_another(ex):
    """SECURITY 7 (issue 11, item 17): without a domain tag a 2x2 signature was also one for any shape
    with 8 public inputs (another depth, 3x1). The tag makes the signed messages differ."""
    from transfer.eddsa import SignatureError

    v = validate_circuit_inputs(ex.inputs, SHAPE)
    sig = Signature(tuple(v["sigR8"]), v["sigS"])
    pub = tuple(v["spendPubKey"])
    verify(pub, message_to_sign(ex.public_signals, SHAPE), sig)
    others = [TransferShape(20, 2, 2), TransferShape(24, 3, 1), TransferShape(24, 1, 3)]
    for other in others:
        assert other.n_public == SHAPE.n_public
        with pytest.raises(SignatureError):
            verify(pub, message_to_sign(ex.public_signals, other), sig)
    assert len({s.domain_tag for s in [SHAPE, *others, *SHAPES.values()]}) == 2 + len(others)


@pytest.mark.parametrize("x", [0, 1, -1, (1 << B) - 1, -(1 << B)])
def test_public_amount_encoding_roundtrip(x):
    e = encode_public_amount(x)
    assert 0 <= e < R and decode_public_amount(e) == x
    assert e == (x if x >= 0 else R - abs(x))


@pytest.mark.parametrize("x", [1 << B, -(1 << B) - 1, R, -R, True, 1.5, "5"])
def test_public_amount_out_of_range(x):
    with pytest.raises(TransferInputError, match="public amount"):
        encode_public_amount(x)


@pytest.mark.parametrize("e", [R // 2, R - (1 << B) - 1, R, -1])
def test_decode_public_amount_rejects(e):
    with pytest.raises(TransferInputError):
        decode_public_amount(e)


# --- validate_circuit_inputs: values >= r, negatives, malformed (SECURITY 10, 32) -------------------


@pytest.mark.parametrize(
    "signal, value, match",
    [
        ("root", R, r"root.*\[0, r\)"),
        ("fee", -1, r"fee.*\[0, r\)"),
        ("extDataHash", str(R + 5), r"extDataHash.*\[0, r\)"),
        ("publicAmount", 2**256 - 1, r"publicAmount.*\[0, r\)"),
        ("sigS", "-3", "decimal string"),
        ("tokenId", "0x10", "decimal string"),
        ("tokenId", "1" * 81, "decimal string"),
        ("tokenId", 1.0, "expected an int"),
        ("tokenId", True, "expected an int"),
    ],
)
def test_scalar_inputs_rejected(ex, signal, value, match):
    bad = dict(ex.inputs)
    bad[signal] = value
    with pytest.raises(TransferInputError, match=match):
        validate_circuit_inputs(bad, SHAPE)


def test_array_inputs_rejected(ex):
    for signal, value, match in [
        ("inputNullifier", [ex.inputs["inputNullifier"][0], str(R)], r"inputNullifier\[1\].*\[0, r\)"),
        ("inputNullifier", ex.inputs["inputNullifier"][:1], "expected an array of 2 values, got 1"),
        (
            "inPathElements",
            [ex.inputs["inPathElements"][0], ex.inputs["inPathElements"][1][:-1]],
            r"inPathElements\[1\]: expected an array of 24",
        ),
        ("outAmount", "5", "expected an array"),
    ]:
        bad = dict(ex.inputs)
        bad[signal] = value
        with pytest.raises(TransferInputError, match=match):
            validate_circuit_inputs(bad, SHAPE)


def test_names_checked(ex):
    bad = dict(ex.inputs)
    del bad["fee"]
    bad["extra"] = "1"
    with pytest.raises(TransferInputError, match=r"unknown signals \['extra'\], missing signals \['fee'\]"):
        validate_circuit_inputs(bad, SHAPE)
    assert set(input_shapes(SHAPE)) == set(ex.inputs)


# --- the builder refuses what the circuit would refuse ----------------------------------------------


def test_builder_reproduces_example(ex):
    counter = iter(range(100))
    from transfer.example import _det

    again = _build(ex, blinding=lambda: _det("padding", next(counter)))
    assert again == ex.inputs


def _rule(exc: pytest.ExceptionInfo, rule: str, ex) -> None:
    """The builder names the rule (issue 11 item 10) and no amount, blinding or key of the transfer."""
    assert exc.value.rule == rule
    assert f"breaks the {rule} rule" in str(exc.value)
    secrets = {str(n.note.blinding) for n in ex.spent} | {str(n.blinding) for n in ex.outputs}
    secrets |= {str(ex.alice.address), str(ex.tree.root), str(ex.alice.nk)}
    assert not any(s in str(exc.value) for s in secrets), str(exc.value)


def test_builder_rejects_unbalanced(ex):
    with pytest.raises(TransferInputError, match="conservation") as e:
        _build(ex, public_amount=-9)
    _rule(e, "conservation", ex)


def test_builder_rejects_public_amount_out_of_range(ex):
    with pytest.raises(TransferInputError, match="public amount") as e:
        _build(ex, public_amount=-(1 << B) - 1)
    _rule(e, "range", ex)


def test_builder_rejects_root_out_of_field(ex):
    with pytest.raises(TransferInputError, match=r"root.*\[0, r\)"):
        _build(ex, root=ex.tree.root + R)


def test_builder_rejects_note_not_in_tree(ex):
    with pytest.raises(TransferInputError, match="not in the tree") as e:
        _build(ex, root=(ex.tree.root + 1) % R)
    _rule(e, "membership", ex)


def test_builder_rejects_leaf_index_beyond_depth(ex):
    item = ex.spent[0]
    bad = InputNote(item.note, MerklePath(item.path.leaf_index + (1 << 24), item.path.path_elements))
    with pytest.raises(TransferInputError, match=r"leaf index outside \[0, 2\^24\)") as e:
        _build(ex, inputs=[bad, ex.spent[1]])
    _rule(e, "range", ex)


def test_builder_rejects_same_note_twice(ex):
    a = ex.spent[0]
    out = [
        dataclasses.replace(ex.outputs[0], amount=ex.outputs[0].amount + a.note.amount - ex.spent[1].note.amount),
        ex.outputs[1],
    ]
    with pytest.raises(TransferInputError, match="spent twice") as e:
        _build(ex, inputs=[a, a], outputs=out)
    _rule(e, "nullifier", ex)


def test_builder_rejects_foreign_note(ex):
    item = ex.spent[0]
    foreign = InputNote(dataclasses.replace(item.note, owner=ex.bob.address), item.path)
    with pytest.raises(TransferInputError, match="a note of another owner") as e:
        _build(ex, inputs=[foreign, ex.spent[1]])
    _rule(e, "membership", ex)


def test_builder_rejects_mixed_tokens(ex):
    out = [dataclasses.replace(ex.outputs[0], token_id=2), ex.outputs[1]]
    with pytest.raises(TransferInputError, match="different tokens") as e:
        _build(ex, outputs=out)
    _rule(e, "token", ex)


def test_builder_rejects_wrong_signer(ex):
    mallory = PrivateKey(b"m" * 32)
    with pytest.raises(TransferInputError, match="does not verify") as e:
        _build(ex, signer=mallory.sign)
    _rule(e, "signature", ex)


def test_builder_rejects_too_many_notes(ex):
    with pytest.raises(TransferInputError, match="at most 2 inputs"):
        _build(ex, inputs=list(ex.spent) * 2)


def test_builder_rejects_path_of_other_depth(ex):
    with pytest.raises(TransferInputError, match="path has 24 elements, the tree has 20 levels"):
        _build(ex, shape=TransferShape(20, 2, 2))


def test_builder_pads_with_dummies(ex):
    """One real input, one output: padded with a zero-amount dummy input and a zero output to self."""
    note = ex.spent[0].note
    out = Note(note.amount - 10 - 2, ex.bob.address, 5, note.token_id)
    v = validate_circuit_inputs(_build(ex, inputs=[ex.spent[0]], outputs=[out], public_amount=-10), SHAPE)
    assert v["inAmount"][1] == 0 and v["outAmount"][1] == 0
    assert v["outOwner"][1] == ex.alice.address
    assert v["inputNullifier"][0] != v["inputNullifier"][1]


def test_builder_rejects_wrong_types(ex):
    with pytest.raises(TransferInputError, match="input 0: expected an InputNote, got Note"):
        _build(ex, inputs=[ex.spent[0].note])
    with pytest.raises(TransferInputError, match="output 1: expected a Note, got int"):
        _build(ex, outputs=[ex.outputs[0], 5])
    with pytest.raises(TransferInputError, match="expected a ProofAuthorizingKey, got Keys"):
        _build(ex, authorizing_key=ex.alice)
    with pytest.raises(TransferInputError, match="does not verify"):
        _build(ex, signer=lambda m: "not a signature")
