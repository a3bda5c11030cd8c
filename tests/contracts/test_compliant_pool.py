"""CompliancePolicy and CompliantPool on anvil and py-evm with real compliant_2x2 proofs (issue 13, SECURITY 42, 43).

Alice (tier 1) deposits and pays Bob (tier 2); the pool takes the policy's values as public inputs,
checks the identity root window, the epoch, the auditor key and the epoch nullifier, and emits the
auditor's ciphertext, which `wallet.compliance.audit_report` decrypts. A policy update (auditor key,
tier caps) takes effect for the next proof with the same verifier; a revoked identity can no longer
transact but exits to its registered account; the plain `transact` is refused.
"""

from __future__ import annotations

import pytest
from evm_chain import anvil_only, expect_revert, send

from transfer.compliant import COMPLIANT_SHAPES, NO_CAP, build_compliant_inputs, public_signals
from transfer.compliant_example import compliance_scenario
from transfer.extdata import ExtData
from transfer.inputs import InputNote
from transfer.merkle import MerkleTree
from transfer.poseidon_cipher import AuditorKey, CipherError
from wallet.compliance import IssuerRegistry, PolicyClient, audit_report, compliant_args, deploy_compliant

pytestmark = [pytest.mark.interop, pytest.mark.circuits, pytest.mark.slow]

SHAPE = COMPLIANT_SHAPES["compliant_2x2"]
EPOCH_LENGTH = 10**9  # one epoch for the whole test (epoch 1 until 2033)
EXPIRY = 2 * 10**9


@pytest.fixture(scope="session")
def compliant_prover() -> dict:
    from hush.artifacts import circuit_files, ensure_dev_key
    from prover.formats.zkey import verification_key_json
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator

    files = circuit_files("compliant_2x2")
    files.check_compiled()
    prover = Prover(ensure_dev_key("compliant_2x2"), self_check=False)
    return {"prover": prover, "wc": WitnessCalculator(files.wasm), "vkey": verification_key_json(prover.zkey)}


class Env:
    """The chain, the issuer's registry, the users' note tree twin and a prover."""

    def __init__(self, w3, prover: dict) -> None:
        self.w3, self.p = w3, prover
        self.sc = compliance_scenario(amounts=(), epoch=1, epoch_length=EPOCH_LENGTH, expiry=EXPIRY)
        self.issuer_account = w3.eth.accounts[0]
        self.alice_account, self.bob_account = w3.eth.accounts[1], w3.eth.accounts[2]
        self.registry = IssuerRegistry()
        self.registry.register(self.sc.alice.address, 1, 250, EXPIRY, self.alice_account)
        self.registry.register(self.sc.bob.address, 2, 250, EXPIRY, self.bob_account)
        self.auditor = self.sc.auditor
        d = deploy_compliant(
            w3,
            self.issuer_account,
            {"compliant_2x2": prover["vkey"]},
            identity_root=self.registry.root,
            tier_caps=(1_000, 10_000, NO_CAP),
            blocked=(408,),
            auditor_key=self.auditor.public_key,
            epoch_length=EPOCH_LENGTH,
            max_slots=3,
        )
        self.d = d
        self.policy = PolicyClient(w3, d.policy)
        self.pool = w3.eth.contract(address=d.pool, abi=_abi("CompliantPool"))
        self.token = w3.eth.contract(address=d.token, abi=_abi("TestToken"))
        self.notes = MerkleTree(SHAPE.levels)
        self.slots: dict[int, int] = {}

    def ext(self, recipient: str = "0x" + "00" * 20, fee: int = 0, depositor: str = "0x" + "00" * 20) -> ExtData:
        return ExtData(
            recipient, "0x" + "00" * 20, fee, (b"out 0", b"out 1"), self.w3.eth.chain_id, self.d.pool, depositor
        )

    def prove(self, keys, spent, outputs, public_amount, *, ext=None, slot=None, identity_root=None):
        policy = self.policy.inputs(identity_root)
        owner = keys.address
        slot = self.slots.get(owner, 0) if slot is None else slot
        self.slots[owner] = slot + 1
        inputs = build_compliant_inputs(
            shape=SHAPE,
            root=self.notes.root,
            inputs=spent,
            outputs=outputs,
            public_amount=public_amount,
            ext_data=ext or self.ext(),
            authorizing_key=keys.proof_authorizing_key(),
            signer=keys.spending_key.sign,
            policy=policy,
            sender=self.registry.registered(owner),
            recipients=self.registry.all_registered(),
            slot=slot,
        )
        res = self.p["prover"].prove(self.p["wc"].calculate_limbs(inputs))
        assert res.public_signals == public_signals(inputs, SHAPE)
        proof, compliance = compliant_args(res.proof.to_json(), inputs, SHAPE)
        e = ext or self.ext()
        return proof, (e.recipient, e.relayer, e.fee, list(e.encrypted_outputs), e.depositor), compliance

    def submit(self, args, sender=None):
        try:
            self.pool.functions.transactCompliant(*args).call({"from": sender or self.w3.eth.accounts[5]})
        except Exception as e:  # noqa: BLE001 - show the revert reason of a failing submission
            from evm_chain import revert_data

            raise AssertionError(f"transactCompliant would revert: {revert_data(e)!r} {e}") from e
        return send(self.w3, self.pool.functions.transactCompliant(*args), sender=sender or self.w3.eth.accounts[5])

    def record(self, args) -> list[int]:
        return [self.notes.insert(cm) for cm in args[0][7]]


def _abi(name: str) -> list:
    from wallet.chain import artifact

    return artifact(name)["abi"]


@pytest.fixture(scope="module")
def env(w3, compliant_prover):
    return Env(w3, compliant_prover)


@pytest.fixture(scope="module")
def paid(env):
    """Alice deposits 1,100 and pays Bob 30: the notes the later tests spend."""
    sc, w3 = env.sc, env.w3
    send(w3, env.token.functions.mint(env.alice_account, 10_000))
    send(w3, env.token.functions.approve(env.d.pool, 2**256 - 1), sender=env.alice_account)
    note_a = sc.note(1100, sc.alice)
    dep = env.prove(sc.alice, [], [note_a], 1100, ext=env.ext(depositor=env.alice_account))
    r1 = env.submit(dep, sender=env.alice_account)
    idx = env.record(dep)
    note_b, change = sc.note(30, sc.bob), sc.note(1070, sc.alice, 1)
    pay = env.prove(sc.alice, [InputNote(note_a, env.notes.path(idx[0]))], [note_b, change], 0)
    r2 = env.submit(pay)
    idx2 = env.record(pay)
    print(f"\ncompliant deposit gasUsed {r1.gasUsed}, compliant transfer gasUsed {r2.gasUsed}")
    return {"pay": pay, "note_b": (note_b, idx2[0]), "change": (change, idx2[1]), "receipts": (r1, r2)}


def test_deposit_pay_and_audit(env, paid):
    sc = env.sc
    assert env.pool.functions.getLastRoot().call() == env.notes.root
    assert env.token.functions.balanceOf(env.d.pool).call() == 1100
    names = {sc.alice.address: "alice", sc.bob.address: "bob"}
    report = audit_report(env.w3, env.d.pool, env.auditor, names=names)
    assert [(e.sender, e.recipients, e.amounts, e.public_amount) for e in report] == [
        ("alice", ["alice"], [1100], 1100),
        ("alice", ["bob", "alice"], [30, 1070], 0),
    ]
    # the public events of the payment: commitments, nullifiers, the ciphertext; no amount nor owner
    receipt = paid["receipts"][1]
    assert env.token.functions.balanceOf(env.d.pool).call() == 1100  # nothing moved publicly
    with pytest.raises(CipherError, match="transaction 0x"):
        audit_report(env.w3, env.d.pool, AuditorKey(4242))
    assert receipt.status == 1


@anvil_only
def test_hush_audit_round_trip(env, paid, tmp_path):
    """`hush audit` with the auditor's key file: the JSON and CSV say what was sent, and name the parties
    from the issuer's registry."""
    import csv
    import json

    from hush.cli import main
    from wallet.compliance_cli import load_auditor_key, save_auditor_key

    key_file, reg_file = tmp_path / "auditor.json", tmp_path / "registry.json"
    save_auditor_key(env.auditor, key_file)
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert load_auditor_key(key_file).public_key == env.auditor.public_key
    env.registry.save(reg_file)
    out_json, out_csv = tmp_path / "report.json", tmp_path / "report.csv"
    url = env.w3.provider.endpoint_uri
    rc = main(
        [
            "audit",
            "--rpc",
            url,
            "--pool",
            env.d.pool,
            "--key",
            str(key_file),
            "--json",
            str(out_json),
            "--csv",
            str(out_csv),
            "--registry",
            str(reg_file),
        ]
    )
    assert rc == 0
    alice, bob = (f"#{i} {a.lower()}" for i, a in ((0, env.alice_account), (1, env.bob_account)))
    report = json.loads(out_json.read_text())[:2]
    assert [(e["sender"], e["recipients"], e["amounts"], e["public_amount"]) for e in report] == [
        (alice, [alice], [1100], 1100),
        (alice, [bob, alice], [30, 1070], 0),
    ]
    with out_csv.open() as f:
        rows = list(csv.DictReader(f))[:2]
    assert rows[1]["sender"] == alice and rows[1]["recipients"] == f"{bob};{alice}" and rows[1]["amounts"] == "30;1070"
    assert rows[1]["tx"] == report[1]["tx"] == paid["receipts"][1].transactionHash.to_0x_hex()


def test_plain_transact_is_refused(env, paid):
    proof, ext, _ = paid["pay"]
    expect_revert(env.pool.functions.transact(proof, ext), "PlainTransferRefused()")


def test_epoch_nullifier_reuse(env, paid):
    """Bob's first transfer of the epoch succeeds; a second proof with the same slot is refused."""
    sc = env.sc
    note_b, i = paid["note_b"]
    first = env.prove(
        sc.bob, [InputNote(note_b, env.notes.path(i))], [sc.note(10, sc.alice, 7), sc.note(20, sc.bob, 7)], 0, slot=0
    )
    env.submit(first)
    env.record(first)
    change, j = paid["change"]
    # Alice's slot 1 is used by nobody yet; her slot 0 was used by the deposit
    again = env.prove(
        sc.alice, [InputNote(change, env.notes.path(j))], [sc.note(5, sc.bob, 8), sc.note(1065, sc.alice, 8)], 0, slot=0
    )
    expect_revert(env.pool.functions.transactCompliant(*again), "EpochNullifierUsed(uint256)")
    paid["alice_unsent"] = again


def test_auditor_key_mismatch_and_rotation(env, paid):
    """A Compliance naming another auditor key is refused; after a rotation, a proof to the old key is
    refused and one to the new key, with the same verifier, is accepted."""
    sc = env.sc
    change, j = paid["change"]
    args = env.prove(
        sc.alice, [InputNote(change, env.notes.path(j))], [sc.note(5, sc.bob, 9), sc.note(1065, sc.alice, 9)], 0, slot=2
    )
    proof, ext, c = args
    bad = (*c[:4], [c[4][0], c[4][1] + 1], *c[5:])
    expect_revert(env.pool.functions.transactCompliant(proof, ext, bad), "AuditorKeyMismatch()")
    new_auditor = AuditorKey(777_777)
    env.policy.set_auditor_key(new_auditor.public_key, env.issuer_account)
    expect_revert(env.pool.functions.transactCompliant(*args), "AuditorKeyMismatch()")
    args2 = env.prove(
        sc.alice, [InputNote(change, env.notes.path(j))], [sc.note(5, sc.bob, 9), sc.note(1065, sc.alice, 9)], 0, slot=2
    )
    env.submit(args2)
    env.record(args2)
    paid["change"] = None
    entries = audit_report(env.w3, env.d.pool, new_auditor, from_block=env.w3.eth.block_number)
    assert [(e.amounts, e.public_amount) for e in entries] == [([5, 1065], 0)]
    env.policy.set_auditor_key(env.auditor.public_key, env.issuer_account)
    # Alice has used her K = 3 transfers of this epoch (deposit, payment, this one): the wallet refuses a 4th
    from transfer.compliant import ComplianceError

    with pytest.raises(ComplianceError, match="rate limit"):
        env.prove(sc.alice, [], [sc.note(1, sc.alice, 10)], 1, slot=3)
    paid["rotated_spend"] = (sc.note(1065, sc.alice, 9), env.notes.root)


@anvil_only
def test_identity_root_window(env, paid):
    """A root leaves the window after ROOT_HISTORY_SIZE publications; a revocation drops every old root."""
    old = env.policy.contract.functions.lastIdentityRoot().call()
    size = env.policy.contract.functions.ROOT_HISTORY_SIZE().call()
    for k in range(size - 1):
        env.policy.publish_root(old + k + 1, env.issuer_account)  # roots of other registries: just values
    assert env.policy.contract.functions.isKnownIdentityRoot(old).call()
    env.policy.publish_root(old + size, env.issuer_account)
    assert not env.policy.contract.functions.isKnownIdentityRoot(old).call()
    env.policy.publish_root(old, env.issuer_account)  # back to the real registry's root
    env.policy.publish_root(old + 10**6, env.issuer_account)
    assert env.policy.contract.functions.isKnownIdentityRoot(old).call()
    env.policy.publish_root(old, env.issuer_account, invalidate_previous=True)
    assert not env.policy.contract.functions.isKnownIdentityRoot(old + 10**6).call()
    assert env.policy.contract.functions.isKnownIdentityRoot(old).call()
    expect_revert(
        env.policy.contract.functions.publishIdentityRoot(1, False), "NotIssuer()", **{"from": env.bob_account}
    )


@anvil_only
def test_tier_cap_update_takes_effect(env, paid):
    """Lowering tier 2's cap to 5 (no new key): Bob's proof of 10 made before it is refused, one of 5 passes."""
    sc = env.sc
    note = sc.note(20, sc.bob, 7)
    idx = _index_of(env, note.commitment)
    before = env.prove(
        sc.bob, [InputNote(note, env.notes.path(idx))], [sc.note(10, sc.alice, 11), sc.note(10, sc.bob, 11)], 0
    )
    env.policy.set_tier_caps((1_000, 5, NO_CAP), env.issuer_account)
    expect_revert(env.pool.functions.transactCompliant(*before), "InvalidProof()")
    env.slots[sc.bob.address] -= 1  # the refused proof used no slot on chain
    after = env.prove(
        sc.bob, [InputNote(note, env.notes.path(idx))], [sc.note(5, sc.alice, 12), sc.note(15, sc.bob, 12)], 0
    )
    env.submit(after)
    env.record(after)
    env.policy.set_tier_caps((1_000, 10_000, NO_CAP), env.issuer_account)


@anvil_only
def test_revoked_identity_exits_to_its_account(env, paid):
    """Bob is revoked (tier 0, older roots invalidated): a proof under the old root is refused; he cannot
    pay, but withdraws all to his registered account, and only there."""
    sc = env.sc
    note = sc.note(15, sc.bob, 12)
    idx = _index_of(env, note.commitment)
    pay = env.prove(sc.bob, [InputNote(note, env.notes.path(idx))], [sc.note(15, sc.alice, 13)], 0, slot=2)
    env.registry.revoke(env.registry.index_of(sc.bob.address))
    env.policy.publish_root(env.registry.root, env.issuer_account, invalidate_previous=True)
    expect_revert(env.pool.functions.transactCompliant(*pay), "UnknownIdentityRoot(uint256)")
    from transfer.compliant import ComplianceError

    with pytest.raises(ComplianceError, match="revoked or expired"):
        env.prove(sc.bob, [InputNote(note, env.notes.path(idx))], [sc.note(15, sc.alice, 13)], 0, slot=2)
    other = env.w3.eth.accounts[7]
    with pytest.raises(ComplianceError, match="registered account"):
        env.prove(sc.bob, [InputNote(note, env.notes.path(idx))], [], -15, ext=env.ext(recipient=other), slot=2)
    exit_args = env.prove(
        sc.bob, [InputNote(note, env.notes.path(idx))], [], -15, ext=env.ext(recipient=env.bob_account), slot=2
    )
    # the same proof with another recipient: refused before the verifier
    proof, ext, c = exit_args
    expect_revert(
        env.pool.functions.transactCompliant(proof, (other, *ext[1:]), c), "ExitRecipientMismatch(uint256,address)"
    )
    before = env.token.functions.balanceOf(env.bob_account).call()
    receipt = env.submit(exit_args)
    print(f"\ncompliant exit gasUsed {receipt.gasUsed}")
    assert env.token.functions.balanceOf(env.bob_account).call() == before + 15
    exits = env.pool.events.Exit().process_receipt(receipt)
    assert [(e.args.account, e.args.amount) for e in exits] == [(env.bob_account, 15)]


def _index_of(env, commitment: int) -> int:
    for i in range(len(env.notes)):
        if env.notes.leaf(i) == commitment:
            return i
    raise KeyError(commitment)
