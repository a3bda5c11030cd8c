"""Soundness of Transfer(24, 2, 2) against forged witnesses (SECURITY 3-7).

Each forgery is a complete, consistent transfer except for one lie: input notes really in the
tree, nullifiers and commitments recomputed from the forged values, a valid signature of the
spender over the resulting public inputs. The witness is computed by the forging calculator
(the same circuit with its witness-time asserts cut out, see circuit_harness) and checked against
the production R1CS: the forgery must fail, and only in the gadget that is supposed to catch it.
"""

from __future__ import annotations

import pytest
from transfer_forgery import forged_transfer, ints, place, resign

from prover.witness import InputError
from transfer.constants import AMOUNT_BITS, DEFAULT_LEVELS, SHAPES, R, TransferShape
from transfer.inputs import TransferInputError, message_to_sign, validate_circuit_inputs
from transfer.keys import Keys
from transfer.notes import commitment
from transfer.poseidon import poseidon_many

pytestmark = pytest.mark.circuits

B = AMOUNT_BITS
LEVELS = DEFAULT_LEVELS
KEYS = Keys.from_seed(b"soundness tests: the spender's seed")


def transfer(**kw):
    return forged_transfer(KEYS, levels=LEVELS, **kw)


def test_forging_calculator_is_honest_on_honest_inputs(transfer_2x2):
    """The forging build has the production R1CS (else wires would not line up), and on valid inputs
    computes exactly the honest witness."""
    v = transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2)
    honest = transfer_2x2.witness(v)
    assert transfer_2x2.failing(honest) == []
    assert transfer_2x2.forge(v) == honest


# --- amounts: range checks and wrap-around (SECURITY 3, 4) ------------------------------------------


def test_output_amount_2_pow_bits(transfer_2x2):
    """A deposit of 2^b - 12 credits an output of 2^b: balanced as integers, out of range."""
    v = transfer(in_amounts=[30, 12], out_amounts=[1 << B, 30], public_amount=(1 << B) - 12, fee=0)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "outRange[0].")


def test_wrap_around_conservation(transfer_2x2):
    """42 in, 10 out publicly, fee 2; outputs 31 and r - 1 (= -1): the sum holds mod r only."""
    v = transfer(in_amounts=[30, 12], out_amounts=[31, R - 1], public_amount=-10, fee=2)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "outRange[1].")


def test_output_amount_p_minus_1_minting(transfer_2x2):
    """Outputs p-1 and 1 from nothing: 0 == (p - 1) + 1 mod r."""
    v = transfer(in_amounts=[0, 0], out_amounts=[R - 1, 1], public_amount=0, fee=0)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "outRange[0].")


def test_negative_fee(transfer_2x2):
    """fee = r - 1 (a "fee" of -1 paid to the user): outputs take one more than the inputs give."""
    v = transfer(in_amounts=[30, 12], out_amounts=[23, 10], public_amount=-10, fee=R - 1)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "feeRange.")


def test_fee_2_pow_bits(transfer_2x2):
    v = transfer(in_amounts=[(1 << B) - 1, 1], out_amounts=[0, 0], public_amount=0, fee=1 << B)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "feeRange.")


def test_input_amount_2_pow_bits(transfer_2x2):
    """An input note of 2^b in the tree (as if minted by an earlier forgery) cannot be spent."""
    v = transfer(in_amounts=[1 << B, 12], out_amounts=[11, 0], public_amount=-(1 << B) + 1, fee=2)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "inRange[0].")


@pytest.mark.parametrize(
    "public_amount, ins, outs",
    [
        (1 << B, [30, 12], [(1 << B) - 1, 43]),  # a deposit of 2^b
        (-(1 << B) - 1, [(1 << B) - 1, (1 << B) - 1], [(1 << B) - 3, 0]),  # a withdrawal of 2^b + 1
    ],
    ids=["deposit 2^b", "withdraw 2^b+1"],
)
def test_public_amount_out_of_range(transfer_2x2, public_amount, ins, outs):
    """Balanced as integers with every other amount in range: only the public amount's check fails.
    (A public amount near r/2 cannot be balanced by in-range amounts; the gadget test covers it.)"""
    assert sum(ins) + public_amount == sum(outs)
    v = transfer(in_amounts=ins, out_amounts=outs, public_amount=public_amount, fee=0)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "publicAmountRange.")


# --- nullifiers: one note, one nullifier (SECURITY 5) -----------------------------------------------


def test_second_nullifier_via_leaf_index_plus_2_pow_depth(transfer_2x2):
    """inLeafIndex + 2^depth has the same path bits, so membership holds, but hashes to another
    nullifier: a double spend. Only the bit decomposition of the index stops it."""
    v = transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2)
    honest_nullifier = ints(v)["inputNullifier"][0]
    v = ints(v)
    v["inLeafIndex"][0] += 1 << LEVELS
    v = resign(v, KEYS)
    assert v["inputNullifier"][0] != honest_nullifier
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "inTree[0].indexBits.")


def test_leaf_index_plus_r_is_not_a_field_element(transfer_2x2):
    """index + r would be the same field element (the same nullifier): it cannot even be given."""
    v = transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2)
    v = ints(v)
    v["inLeafIndex"][0] += R
    with pytest.raises(TransferInputError, match=r"inLeafIndex\[0\].*\[0, r\)"):
        validate_circuit_inputs(v, SHAPES["transfer_2x2"])
    with pytest.raises(InputError, match="not below r"):
        transfer_2x2.honest.calculate(v)
    w = transfer_2x2.witness(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    w[transfer_2x2.sym.wire("inLeafIndex[0]")] += R
    with pytest.raises(ValueError, match=r"\[0, r\)"):
        transfer_2x2.failing(w)


def test_non_boolean_path_bit(transfer_2x2):
    """index 1 as bits (3, r - 1, 0, ...): the weighted sum is still 1, the booleanity fails."""
    c = transfer_2x2
    v = place(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2), KEYS, LEVELS, [1, 2])
    w = c.witness(v)
    b0, b1 = c.sym.wire("inTree[0].indexBits.out[0]"), c.sym.wire("inTree[0].indexBits.out[1]")
    assert (w[b0], w[b1]) == (1, 0)
    w[b0], w[b1] = 3, R - 1
    bad = set(c.failing(w))
    for b in (b0, b1):
        booleanity = {k for k in c.constraints_with(b) if c.constraint_wires(k) - {0} == {b}}
        assert booleanity and booleanity <= bad, c.describe(bad)


def test_same_note_twice(transfer_2x2):
    """Both inputs are the same note at the same leaf: equal nullifiers, caught by AllDistinct only."""
    v = ints(transfer(in_amounts=[30, 30], out_amounts=[50, 8], public_amount=0, fee=2))
    for key in ("inAmount", "inBlinding", "inLeafIndex", "inPathElements"):
        v[key][1] = v[key][0]
    v = resign(v, KEYS)
    assert v["inputNullifier"][0] == v["inputNullifier"][1]
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "distinct.")


# --- membership (SECURITY 6) -----------------------------------------------------------------------


def test_nonzero_input_with_bad_path(transfer_2x2):
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["inPathElements"][0][5] = (v["inPathElements"][0][5] + 1) % R
    v = resign(v, KEYS)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "inRootCheck[0].")


def test_nonzero_input_not_in_tree(transfer_2x2):
    """A note never inserted (its own one-leaf tree) against the real root."""
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["inBlinding"][1] += 1  # a different note: its path is the old note's
    v = resign(v, KEYS)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "inRootCheck[1].")


def test_zero_input_may_skip_membership(transfer_2x2):
    v = ints(transfer(in_amounts=[42, 0], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["inPathElements"][1] = [123456789] * LEVELS
    v["inLeafIndex"][1] = (1 << LEVELS) - 1
    v = resign(v, KEYS)
    assert transfer_2x2.failing(transfer_2x2.witness(v)) == []


def test_root_check_inverse_cannot_hide_a_bad_root(transfer_2x2):
    """SECURITY 7: for a non-zero input whose computed root differs from `root`, every (inv, out) the
    prover may give the root check's IsZero breaks a constraint."""
    c = transfer_2x2
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["inPathElements"][0][0] = (v["inPathElements"][0][0] + 1) % R
    w = c.forge(resign(v, KEYS))
    inv = c.sym.wire("inRootCheck[0].isz.inv")
    out = c.sym.wire_of["main.inRootCheck[0].isz.out"]
    for inv_value in (0, 1, R - 1, w[inv]):
        for out_value in (0, 1, 2, R - 1) if out >= 0 else (None,):
            forged = list(w)
            forged[inv] = inv_value
            if out_value is not None:
                forged[out] = out_value
            assert c.failing(forged), (inv_value, out_value)


def test_wrong_bit_decomposition_of_an_amount(transfer_2x2):
    """SECURITY 7: an amount's bits swapped (still boolean) no longer sum to the amount."""
    c = transfer_2x2
    w = c.witness(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    b1, b2 = c.sym.wire("inRange[0].n2b.out[0]"), c.sym.wire("inRange[0].n2b.out[1]")
    assert {w[b1], w[b2]} == {0, 1}  # 30 = 0b11110
    w[b1], w[b2] = w[b2], w[b1]
    assert c.failing(w)


# --- ownership and authorization -------------------------------------------------------------------


def test_input_of_another_owner(transfer_2x2):
    """A note of Bob's in the tree, spent with Alice's keys: its commitment under Alice's address is
    not in the tree."""
    bob = Keys.from_seed(b"soundness tests: bob's seed, 32 bytes")
    v = ints(forged_transfer(bob, levels=LEVELS, in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["spendPubKey"] = list(KEYS.public_key)
    v["nullifyingKey"] = KEYS.nk
    v = resign(v, KEYS)
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "inRootCheck[")


def test_prover_cannot_redirect_an_output(transfer_2x2):
    """The farm knows nk and A but not the spending key: changing an output (owner, amount or
    blinding) changes a commitment, hence M, and the user's signature no longer verifies."""
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["outOwner"][0] = 777  # the prover's own address
    v["outputCommitment"][0] = commitment(v["outAmount"][0], 777, v["outBlinding"][0], v["tokenId"])
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "auth.")


def test_signature_binds_ext_data_hash(transfer_2x2):
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["extDataHash"] += 1  # another recipient or relayer, same signature
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "auth.")


def test_tampered_public_nullifier(transfer_2x2):
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    v["inputNullifier"][1] = (v["inputNullifier"][1] + 1) % R  # not re-signed: both checks must fail
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "inNullifier[1].", "auth.")


@pytest.mark.parametrize(
    "other",
    [TransferShape(20, 2, 2), TransferShape(24, 3, 1), TransferShape(24, 1, 3), None],
    ids=["depth 20", "3x1", "1x3", "untagged"],
)
def test_signature_for_another_shape_is_refused(transfer_2x2, other):
    """SECURITY 7 (issue 11, item 17): a signature over the same 8 public inputs made for another
    shape or depth (or without the domain tag, as before) is no spend authorization for 2x2 depth 24:
    the circuit hashes its own tag (version 1, 24, 2, 2) into the message."""
    v = ints(transfer(in_amounts=[30, 12], out_amounts=[20, 10], public_amount=-10, fee=2))
    signals = [v["root"], v["publicAmount"], v["fee"], v["extDataHash"], *v["inputNullifier"], *v["outputCommitment"]]
    assert message_to_sign(signals, SHAPES["transfer_2x2"]) != poseidon_many(signals)
    message = poseidon_many(signals) if other is None else message_to_sign(signals, other)
    sig = KEYS.spending_key.sign(message)
    v["sigR8"], v["sigS"] = list(sig.r8), sig.s
    transfer_2x2.assert_caught_only_by(transfer_2x2.forge(v), "auth.")
