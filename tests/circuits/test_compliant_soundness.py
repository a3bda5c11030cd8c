"""Soundness of CompliantTransfer(24, 10, 2, 2, 3, 4) against forged witnesses (issue 13, SECURITY 41).

As in test_transfer_soundness: each forgery is consistent except for one lie (compliant_forgery.reseal
recomputes commitments, nullifiers, the epoch nullifier, the ciphertext and the spender's signature),
computed by the forging calculator and checked against the production R1CS; it must fail, and only in
the gadget meant to catch it. Every constraint family of the compliance statement has its forgery:
unregistered / expired / revoked / blocked parties, a dummy output used to dodge membership, the tier
cap by one unit, the ciphertext (other values, another key), the epoch nullifier and its slot, the exit.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from compliant_forgery import plaintext, reseal
from transfer_forgery import ints

from transfer.compliant_example import EXPIRY, compliance_scenario
from transfer.constants import R
from transfer.poseidon_cipher import AuditorKey, audit_encrypt

pytestmark = [pytest.mark.circuits, pytest.mark.slow]


@pytest.fixture(scope="module")
def sc():
    return compliance_scenario()


@pytest.fixture(scope="module")
def honest(sc):
    """Alice (tier 1, cap 1,000) pays Bob 30 and keeps 570 from her 600 note."""
    return ints(sc.build([sc.note(30, sc.bob), sc.note(570, sc.alice)], spend=(0,)))


def _with_identity(v, sc, j, keys):
    """Output j's identity fields taken from the scenario's registry entry of `keys`."""
    reg = sc.registry[keys.address]
    v["outTier"][j], v["outJurisdiction"][j] = reg.identity.tier, reg.identity.jurisdiction
    v["outExpiry"][j], v["outAccount"][j] = reg.identity.expiry, reg.identity.account
    v["outIdIndex"][j] = reg.path.leaf_index
    v["outIdPath"][j] = [list(s) for s in reg.path.siblings]
    v["identityRoot"] = sc.policy.identity_root
    return v


def _sender_identity(v, sc):
    """The sender's identity fields, and the change output's (output 1, Alice's), from `sc`'s registry."""
    _with_identity(v, sc, 1, sc.alice)
    reg = sc.registry[sc.alice.address]
    i = reg.identity
    v["senderTier"], v["senderJurisdiction"], v["senderExpiry"], v["senderAccount"] = (
        i.tier,
        i.jurisdiction,
        i.expiry,
        i.account,
    )
    v["senderIdIndex"], v["senderIdPath"] = reg.path.leaf_index, [list(s) for s in reg.path.siblings]
    v["identityRoot"] = sc.policy.identity_root
    return v


def test_forging_calculator_is_honest_on_honest_inputs(compliant_2x2, honest):
    w = compliant_2x2.witness(honest)
    assert compliant_2x2.failing(w) == []
    assert compliant_2x2.forge(honest) == w


def test_exit_of_a_revoked_identity_is_valid(compliant_2x2):
    """Revocation without confiscation: revoked Alice withdraws everything to her registered account."""
    sc = compliance_scenario()
    a = sc.registry[sc.alice.address].identity
    sc.register(sc.alice, 5, replace(a, tier=0))
    v = sc.build([], spend=(0, 1), public_amount=-1100, ext_data=sc.ext_data(recipient=f"0x{a.account:040x}"))
    assert int(v["exitAccount"]) == a.account
    assert compliant_2x2.failing(compliant_2x2.witness(v)) == []


# --- known parties ---------------------------------------------------------------------------------


def test_unregistered_recipient(compliant_2x2, sc, honest):
    """Carol was never registered: Bob's path and attributes with Carol as owner."""
    v = dict(honest, outOwner=[sc.carol.address, honest["outOwner"][1]])
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "recipient[0].")


def test_dummy_output_cannot_dodge_membership(compliant_2x2, sc, honest):
    """The change output redirected to unregistered Carol, given the zero identity of a dummy output."""
    v = ints(honest)
    v["outOwner"][1] = sc.carol.address
    for key in ("outTier", "outJurisdiction", "outExpiry", "outAccount", "outIdIndex"):
        v[key][1] = 0
    v["outIdPath"][1] = [[0, 0, 0]] * sc.shape.id_depth
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "recipient[1].")


@pytest.mark.parametrize(
    "change",
    [{"expiry": EXPIRY - 365 * 86_400 - 1}, {"tier": 0}, {"jurisdiction": 408}],
    ids=["expired", "revoked", "blocked jurisdiction"],
)
def test_inactive_or_blocked_recipient(compliant_2x2, honest, change):
    """Bob really is in the tree (a root the policy would accept), but expired, revoked or blocked."""
    sc2 = compliance_scenario()
    b = sc2.registry[sc2.bob.address].identity
    sc2.register(sc2.bob, 6, replace(b, **change))
    v = _sender_identity(_with_identity(ints(honest), sc2, 0, sc2.bob), sc2)
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc2.alice)), "recipient[0].")


def test_blocked_sender(compliant_2x2, honest):
    sc2 = compliance_scenario()
    a = sc2.registry[sc2.alice.address].identity
    sc2.register(sc2.alice, 5, replace(a, jurisdiction=408))
    v = _sender_identity(_with_identity(ints(honest), sc2, 0, sc2.bob), sc2)
    # her change output (to herself, output 1) is refused as well: she is a blocked recipient too
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc2.alice)), "senderId.", "recipient[1].")


def test_sender_not_in_tree(compliant_2x2, sc, honest):
    """Alice claims tier 3 (no cap): her leaf under that tier is not in the tree."""
    v = ints(honest)
    v["senderTier"] = 3
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "senderId.")


# --- tiered caps -------------------------------------------------------------------------------------


def test_over_the_tier_cap_by_one(compliant_2x2, sc):
    v = ints(sc.build([sc.note(1000, sc.bob), sc.note(100, sc.alice)]))
    assert compliant_2x2.failing(compliant_2x2.witness(v)) == []  # exactly the cap
    v["outAmount"] = [1001, 99]
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "cap.")


def test_withdrawal_counts_against_the_cap(compliant_2x2, sc):
    """1,001 withdrawn publicly, nothing to others: over the cap by one."""
    v = ints(sc.build([sc.note(1100 - 1000, sc.alice)], public_amount=-1000))
    assert compliant_2x2.failing(compliant_2x2.witness(v)) == []
    v["outAmount"][0] = 99
    v["publicAmount"] = R - 1001
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "cap.")


def test_cap_is_the_senders_tier(compliant_2x2, sc):
    """The policy's caps are public: lowering tier 1's cap to 29 makes Alice's 30 to Bob fail."""
    v = ints(sc.build([sc.note(30, sc.bob), sc.note(570, sc.alice)], spend=(0,)))
    v["tierCap"][0] = 29
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "cap.")


# --- the auditor's ciphertext ---------------------------------------------------------------------


def test_ciphertext_of_other_values(compliant_2x2, sc, honest):
    """The auditor would read 3 instead of 30."""
    v = ints(honest)
    p = plaintext(v)
    p[3] = 3
    eph, ct = audit_encrypt(p, tuple(v["auditorPubKey"]), v["ephemeralSecret"])
    v["auditCiphertext"] = ct
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice, cipher=False)), "audit.")


def test_ciphertext_to_another_key(compliant_2x2, sc, honest):
    """Encrypted to a key of the sender's choosing while the public auditor key is the policy's."""
    v = ints(honest)
    eph, ct = audit_encrypt(plaintext(v), AuditorKey(424242).public_key, v["ephemeralSecret"])
    v["ephemeralPubKey"], v["auditCiphertext"] = list(eph), ct
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice, cipher=False)), "audit.")


def test_ephemeral_key_of_another_secret(compliant_2x2, sc, honest):
    v = ints(honest)
    eph, _ = audit_encrypt(plaintext(v), tuple(v["auditorPubKey"]), v["ephemeralSecret"] + 1)
    v["ephemeralPubKey"] = list(eph)
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice, cipher=False)), "audit.")


# --- rate limit ------------------------------------------------------------------------------------


def test_epoch_nullifier_not_derived_from_the_identity(compliant_2x2, sc, honest):
    """A fresh random nullifier would let an identity transfer without limit."""
    v = ints(honest)
    v["epochNullifier"] = 123456789
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice, epoch_nf=False)), "rate.")


@pytest.mark.parametrize("slot", [3, 3 + 256, 255])
def test_slot_not_below_k(compliant_2x2, sc, honest, slot):
    v = ints(honest)
    v["epochSlot"] = slot
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, sc.alice)), "rate.")


# --- exit ------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def revoked():
    sc2 = compliance_scenario()
    a = sc2.registry[sc2.alice.address].identity
    sc2.register(sc2.alice, 5, replace(a, tier=0))
    return sc2


def test_revoked_sender_cannot_pay(compliant_2x2, revoked, honest):
    """Revoked Alice pays Bob, declaring her exit honestly (exitAccount = her account)."""
    v = _sender_identity(_with_identity(ints(honest), revoked, 0, revoked.bob), revoked)
    v["exitAccount"] = v["senderAccount"]
    bad = compliant_2x2.assert_caught_only_by(
        compliant_2x2.forge(reseal(v, revoked.alice)), "isExit", "senderId.", "recipient[1]."
    )
    # the exit rule itself (isExit * outAmount[0] == 0), not only the change output to a revoked owner
    exit_wires = compliant_2x2.sym.wires_under("isExit") | compliant_2x2.sym.wires_under("senderId.active")
    assert any(compliant_2x2.constraint_wires(k) & exit_wires for k in bad)


def test_exit_must_declare_the_registered_account(compliant_2x2, revoked):
    a = revoked.registry[revoked.alice.address].identity
    v = ints(revoked.build([], public_amount=-1100, ext_data=revoked.ext_data(recipient=f"0x{a.account:040x}")))
    v["exitAccount"] = 0  # hide the exit: the pool would then accept any recipient
    compliant_2x2.assert_caught_only_by(compliant_2x2.forge(reseal(v, revoked.alice)), "isExit", "exitAccount")


# --- every public input is signed ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["maxSlots", "identityRoot", "exitAccount", "auditCiphertext"])
def test_compliance_inputs_are_signed(compliant_2x2, sc, honest, name):
    """The farm knows nk and A: changing a compliance public input breaks the spender's signature."""
    v = ints(honest)
    if isinstance(v[name], list):
        v[name][0] += 1
    else:
        v[name] += 1
    bad = compliant_2x2.failing(compliant_2x2.forge(v))
    auth = compliant_2x2.sym.wires_under("tx.auth.")
    assert bad and any(compliant_2x2.constraint_wires(k) & auth for k in bad)


def test_compliant_16x2_accepts_an_honest_transfer(compliant_16x2):
    """The 16x2 instance of the same template (whose forgeries the 2x2 tests cover): 2 real inputs and 14
    dummies, Alice pays Bob 30; its witness satisfies the production R1CS."""
    sc16 = compliance_scenario("compliant_16x2")
    v = sc16.build([sc16.note(30, sc16.bob), sc16.note(1070, sc16.alice)])
    assert compliant_16x2.failing(compliant_16x2.witness(v)) == []
