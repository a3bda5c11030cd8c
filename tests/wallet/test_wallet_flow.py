"""The wallet on a real chain (anvil) with real transfer_2x2 proofs: the demo's flow, restore from
seed, privacy against a third wallet, a stale root re-proved, the CLI, and the farm backend.

One anvil, one deployment (the demo's) and one warm local prover are shared by the whole module;
the tests run in file order on that chain and compute their expectations from its live state.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from eth_utils import keccak
from wallet_fake_farm import FakeFarm

from transfer.constants import SHAPES
from transfer.inputs import public_signals
from verifier.errors import VerificationError
from wallet.backends import FarmClient, LocalProver
from wallet.chain import ZERO_ADDRESS, PoolClient, Relayer, start_anvil, stop_process
from wallet.demo import UNIT, free_port, run_demo
from wallet.keys import WalletKeys
from wallet.notes import decrypt_note
from wallet.seedfile import new_seed
from wallet.store import NoteStore
from wallet.wallet import Wallet, WalletError

pytestmark = [pytest.mark.circuits, pytest.mark.slow]


@pytest.fixture(scope="module")
def prover() -> LocalProver:
    from hush.artifacts import circuit_files

    files = circuit_files("transfer_2x2")
    if not (files.wasm.is_file() and files.zkey.is_file()):
        pytest.skip("transfer_2x2 is not compiled or has no key (make circuits; hush setup circuit transfer_2x2)")
    p = LocalProver.shared()
    p.warm("transfer_2x2")
    return p


@pytest.fixture(scope="module")
def w3():
    try:
        proc, client = start_anvil(free_port())
    except FileNotFoundError as e:
        pytest.skip(str(e))
    yield client
    stop_process(proc)


@pytest.fixture(scope="module")
def demo(w3, prover, tmp_path_factory):
    lines: list[str] = []
    res = run_demo(w3, prover, tmp_path_factory.mktemp("demo"), out=lines.append)
    res.lines = lines
    return res


def new_wallet(demo, path, seed: bytes | None = None, backend=None) -> Wallet:
    alice = demo.wallets["alice"]
    return Wallet(
        WalletKeys.from_seed(seed or new_seed()), demo.pool, NoteStore(path), backend or alice.backend,
        start_block=demo.deployment.block, verifying_keys=alice.verifying_keys,
    )


def test_demo_flow(demo):
    print("\n" + "\n".join(demo.lines))
    assert demo.ok, demo.failures
    pool, acc = demo.pool, demo.accounts
    fee = UNIT // 10
    assert [s.kind for s in demo.steps] == ["deposit", "send", "withdraw"]
    assert all(s.gas_used > 100_000 and s.proof_seconds > 0 and s.attempts == 1 for s in demo.steps)
    assert pool.balance_of(acc["bob_public"]) == 30 * UNIT
    assert pool.balance_of(acc["relayer"]) == fee
    assert pool.balance_of(acc["alice"]) == 0
    assert pool.balance_of(pool.address) == 70 * UNIT - fee
    alice, bob = demo.wallets["alice"], demo.wallets["bob"]
    assert alice.balance() == 70 * UNIT - fee and bob.balance() == 0
    bob_notes = bob.notes(include_spent=True)
    assert [(n.note.amount, n.spent) for n in bob_notes] == [(30 * UNIT, True)]
    # the pool's root is the wallets' root
    assert alice.tree.root == bob.tree.root == pool.last_root()
    assert [a.kind for a in alice.store.actions()] == ["deposit", "send"]


def test_restored_wallet_finds_its_notes(demo, tmp_path):
    alice = demo.wallets["alice"]
    restored = new_wallet(demo, tmp_path / "restored.db", seed=demo.seeds["alice"])
    assert restored.balance() == 0
    restored.sync()
    assert restored.balance() == alice.balance() == 70 * UNIT - UNIT // 10

    def view(w):
        return [(n.note, n.leaf_index, n.nullifier, n.spent) for n in w.notes(include_spent=True)]

    assert view(restored) == view(alice)
    assert sum(1 for n in restored.notes(include_spent=True) if n.spent) == 1  # the deposit note, spent
    # the store holds no key material: neither the seed nor the spending key nor nk
    raw = (tmp_path / "restored.db").read_bytes()
    sk = restored.keys.keys.spending_key
    for secret in (demo.seeds["alice"].hex(), str(sk._scalar), f"{sk._scalar:064x}", sk._prefix.hex(),
                   str(restored.keys.nk)):
        assert secret.encode() not in raw
    assert demo.seeds["alice"] not in raw and sk._prefix not in raw


def test_third_wallet_sees_nothing(demo, tmp_path):
    carol = new_wallet(demo, tmp_path / "carol.db")
    res = carol.sync()
    assert res.new_leaves == 6 and res.new_notes == 0
    assert carol.balance() == 0 and carol.notes(include_spent=True) == []
    events = [e for e in demo.pool.events(demo.deployment.block, demo.pool.block_number()) if e.kind == "commitment"]
    assert len(events) == 6

    def opened(w: Wallet) -> list[int]:
        k = w.keys
        return [e.value for e in events if decrypt_note(e.ciphertext, k.encryption_secret, k.owner, e.value)]

    alice, bob = demo.wallets["alice"], demo.wallets["bob"]
    # Alice: deposit note + its zero twin + her change; Bob: the payment + his two withdrawal outputs
    assert len(opened(alice)) == 3 and len(opened(bob)) == 3
    assert not set(opened(alice)) & set(opened(bob))
    assert opened(carol) == []
    # Carol's key does not open Bob's payment even if she guesses his owner value
    pay = next(e for e in events if e.value in opened(bob))
    assert decrypt_note(pay.ciphertext, carol.keys.encryption_secret, bob.keys.owner, pay.value) is None


class RevertAfterFirstProof:
    """A backend that proves, and on its first call undoes the chain to a snapshot: the chain moved
    (a reorg dropped the latest transfer) while the proof was being made."""

    def __init__(self, inner, w3, snapshot) -> None:
        self.inner, self.w3, self.snapshot = inner, w3, snapshot
        self.roots: list[int] = []

    def has_circuit(self, circuit: str) -> bool:
        return self.inner.has_circuit(circuit)

    def prove(self, circuit, inputs):
        out = self.inner.prove(circuit, inputs)
        self.roots.append(int(inputs["root"]))
        if len(self.roots) == 1:
            assert self.w3.provider.make_request("evm_revert", [self.snapshot])["result"] is True
        return out


def test_stale_root_is_refreshed_and_reproved(demo, w3, tmp_path):
    pool, acc = demo.pool, demo.accounts
    alice, bob = demo.wallets["alice"], demo.wallets["bob"]
    carol_eth = w3.eth.accounts[4]
    pool.send(pool.token.functions.mint(carol_eth, 10 * UNIT), acc["deployer"])
    carol = new_wallet(demo, tmp_path / "carol.db")
    root_before = pool.last_root()
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    carol.deposit(5 * UNIT, carol_eth)
    alice.sync()
    stale = alice.tree.root
    assert stale != root_before and pool.is_known_root(stale)
    alice_before, bob_before = alice.balance(), bob.balance()

    backend = RevertAfterFirstProof(alice.backend, w3, snapshot)
    alice.backend = backend
    try:
        r = alice.send(bob.address, UNIT, relayer=Relayer(pool, acc["relayer"]))
    finally:
        alice.backend = backend.inner
    assert r.attempts == 2
    assert backend.roots == [stale, root_before]  # first proof on the dropped root, second on the chain's
    assert not pool.is_known_root(stale)
    assert alice.balance() == alice_before - UNIT
    bob.sync()
    assert bob.balance() == bob_before + UNIT
    # Carol's deposit vanished with the reorg: her wallet notices and rescans
    res = carol.sync()
    assert res.rescanned and carol.balance() == 0
    assert carol.tree.root == alice.tree.root == pool.last_root()


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    from wallet.cli import main

    capsys.readouterr()
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_wallet(demo, w3, tmp_path, monkeypatch, capsys):
    pool, acc = demo.pool, demo.accounts
    rpc = w3.provider.endpoint_uri
    dave_eth = w3.eth.accounts[5]
    pool.send(pool.token.functions.mint(dave_eth, 3 * UNIT), acc["deployer"])
    monkeypatch.setenv("HUSH_WALLET_PASSPHRASE", "correct horse battery staple")
    monkeypatch.delenv("HUSH_WALLET_SEED", raising=False)
    monkeypatch.delenv("HUSH_ETH_PRIVATE_KEY", raising=False)
    wallet_file = str(tmp_path / "dave.json")
    common = ["--rpc", rpc, "--pool", pool.address, "--wallet", wallet_file]

    code, out, _ = run_cli(capsys, "init", *common, "--start-block", str(demo.deployment.block), "--kdf", "interactive")
    assert code == 0
    address = out.split("address ")[1].split()[0]
    assert run_cli(capsys, "address", "--wallet", wallet_file)[1].strip() == address
    assert run_cli(capsys, "init", *common)[0] == 2  # refuses to overwrite

    code, out, err = run_cli(capsys, "deposit", "2", "--from", dave_eth, *common)
    assert code == 0, err
    assert f"deposited 2.00 HTT from {dave_eth}" in out and f"sent by {dave_eth} (--from)" in out
    code, out, _ = run_cli(capsys, "balance", *common)
    assert code == 0 and out.startswith("2.00 HTT shielded, in 1 note\n")

    bob = demo.wallets["bob"]
    bob_before = bob.balance()
    code, out, err = run_cli(
        capsys, "send", bob.address.encode(), "0.5", "--fee", "0.01", "--relayer", acc["relayer"], *common
    )
    assert code == 0, err
    bob.sync()
    assert bob.balance() == bob_before + UNIT // 2
    code, out, _ = run_cli(capsys, "balance", *common)
    assert Decimal(out.split()[0]) == Decimal("1.49")
    code, out, _ = run_cli(capsys, "history", *common)
    assert code == 0 and "deposit   2.00 HTT" in out and "spent in block" in out
    assert "sent      0.50 HTT to hush1" in out and "fee 0.01 HTT" in out and "change    1.49 HTT" in out

    # errors: a mistyped address (2), more than the balance (1), too many decimals (2), fee without relayer (2)
    bad = bob.address.encode()[:-1] + ("a" if bob.address.encode()[-1] != "a" else "b")
    assert run_cli(capsys, "send", bad, "0.1", "--from", dave_eth, *common)[0] == 2
    code, _, err = run_cli(capsys, "withdraw", "5", dave_eth, "--from", dave_eth, *common)
    assert (code, err) == (1, "hush wallet: shielded balance 1.49 HTT does not cover 5.00 HTT; "
                              "nothing was proven or sent\n")
    assert run_cli(capsys, "withdraw", "0.0000000000000000001", dave_eth, "--from", dave_eth, *common)[0] == 2
    assert run_cli(capsys, "withdraw", "0.1", dave_eth, "--fee", "0.01", "--from", dave_eth, *common)[0] == 2

    # restore Alice's wallet from her seed through the CLI
    monkeypatch.setenv("HUSH_WALLET_SEED", demo.seeds["alice"].hex())
    alice_file = str(tmp_path / "alice.json")
    code, out, _ = run_cli(capsys, "init", "--restore", "--seed-from-env", "--wallet", alice_file, "--rpc", rpc,
                           "--pool", pool.address, "--start-block", str(demo.deployment.block))
    assert code == 0 and demo.wallets["alice"].address.encode() in out
    assert "sealed_seed" not in json.loads((tmp_path / "alice.json").read_text())
    code, out, _ = run_cli(capsys, "balance", "--wallet", alice_file)
    assert Decimal(out.split()[0]) * UNIT == demo.wallets["alice"].balance()


def test_farm_backend_end_to_end(demo, w3, prover, tmp_path):
    """A deposit proved by a (fake) farm backed by the real prover, through a 429; then farms that
    lie — a proof of another statement, a valid proof replayed for new inputs — are caught before
    anything is sent."""
    pool, acc = demo.pool, demo.accounts
    erin_eth = w3.eth.accounts[6]
    pool.send(pool.token.functions.mint(erin_eth, 3 * UNIT), acc["deployer"])
    proofs = []

    def real(circuit, inputs):
        out = prover.prove(circuit, inputs)
        proofs.append(out)
        return out.proof, [str(s) for s in out.public_signals]

    with FakeFarm(real, post_script=[(429, "0.05")], polls_before_done=1) as farm:
        erin = new_wallet(demo, tmp_path / "erin.db", backend=FarmClient(farm.url, wait=1))
        r = erin.deposit(UNIT, erin_eth)
    assert r.proof_source == "farm" and erin.balance() == UNIT
    posts = [q for q in farm.requests if q["method"] == "POST"]
    assert len(posts) == 2 and posts[0]["headers"]["Idempotency-Key"] == posts[1]["headers"]["Idempotency-Key"]
    sk = erin.keys.keys.spending_key
    sent = b"".join(q["body"] for q in farm.requests)
    assert str(sk._scalar).encode() not in sent and sk._prefix.hex().encode() not in sent
    assert str(erin.keys.nk).encode() in sent

    def wrong_statement(circuit, inputs):
        return proofs[0].proof, [str(s) for s in proofs[0].public_signals]

    def replayed(circuit, inputs):
        return proofs[0].proof, [str(s) for s in public_signals(inputs, SHAPES[circuit])]

    for lie, error in ((wrong_statement, WalletError), (replayed, VerificationError)):
        block = w3.eth.block_number
        with FakeFarm(lie) as farm:
            erin.backend = FarmClient(farm.url, wait=1)
            with pytest.raises(error):
                erin.withdraw(UNIT // 2, erin_eth, sender=erin_eth)
        assert w3.eth.block_number == block  # nothing was submitted
    assert erin.balance() == UNIT


def test_pool_client_reads(demo):
    p = PoolClient(demo.pool.w3, demo.pool.address)
    assert p.token_address == demo.deployment.token and p.levels == SHAPES["transfer_2x2"].levels
    assert p.is_known_root(p.last_root()) and not p.is_known_root(12345)


def test_more_than_two_inputs_use_transfer_16x2(demo, w3, prover, tmp_path):
    """Coin selection needs three notes: the wallet switches to the 16x2 circuit (pool with both verifiers)."""
    from hush.artifacts import circuit_files
    from prover.formats.zkey import read_zkey
    from verifier.keys import verification_key_json
    from wallet.chain import deploy_local

    files = {c: circuit_files(c) for c in ("transfer_2x2", "transfer_16x2")}
    if not (files["transfer_16x2"].zkey.is_file() and files["transfer_16x2"].wasm.is_file()):
        pytest.skip("transfer_16x2 is not compiled or has no key")
    acc = demo.accounts
    vkeys = {c: verification_key_json(read_zkey(f.zkey)) for c, f in files.items()}
    dep = deploy_local(w3, acc["deployer"], vkeys)
    pool = PoolClient(w3, dep.pool)
    frank_eth, payee = w3.eth.accounts[7], w3.eth.accounts[8]
    pool.send(pool.token.functions.mint(frank_eth, 6 * UNIT), acc["deployer"])
    frank = Wallet(WalletKeys.from_seed(new_seed()), pool, NoteStore(tmp_path / "frank.db"), prover,
                   start_block=dep.block)
    for amount in (1, 2, 3):
        assert frank.deposit(amount * UNIT, frank_eth).circuit == "transfer_2x2"
    assert [n.note.amount for n in frank.select_notes(4 * UNIT)] == [3 * UNIT, UNIT]  # a pair suffices
    r = frank.withdraw(11 * UNIT // 2, payee, sender=payee)
    assert r.circuit == "transfer_16x2"
    assert frank.balance() == UNIT // 2 and pool.balance_of(payee) == 11 * UNIT // 2
    assert [n.note.amount for n in frank.notes()] == [UNIT // 2]


def test_deposit_leaves_no_allowance_behind(demo, w3, prover, tmp_path):
    """SECURITY 22 (issue 11, item 12): the wallet approves the pool for exactly the deposit, only once
    the proof is made, and clears the allowance when the deposit fails, so no allowance is left for
    someone else's deposit proof to draw on. Faults done for real: a farm that does not answer (the
    proof fails), deposits paused by the pool's owner (the transaction fails)."""
    pool, acc = demo.pool, demo.accounts
    grace_eth = w3.eth.accounts[6]
    pool.send(pool.token.functions.mint(grace_eth, 10 * UNIT), acc["deployer"])
    funds = pool.balance_of(grace_eth)

    def allowance() -> int:
        return pool.token.functions.allowance(grace_eth, pool.address).call()

    assert allowance() == 0
    dead_farm = FarmClient(f"http://127.0.0.1:{free_port()}", timeout=2.0)
    seed = new_seed()
    grace = new_wallet(demo, tmp_path / "grace.db", seed=seed, backend=dead_farm)
    with pytest.raises(Exception):  # noqa: B017 - whatever the client raises, no approval may be left
        grace.deposit(3 * UNIT, grace_eth)
    assert allowance() == 0

    grace = new_wallet(demo, tmp_path / "grace2.db", seed=seed)
    pool.send(pool.contract.functions.setDepositsPaused(True), acc["deployer"])
    paused = "0x" + keccak(text="DepositsArePaused()")[:4].hex()
    try:
        with pytest.raises(Exception, match=paused):
            grace.deposit(3 * UNIT, grace_eth)
    finally:
        pool.send(pool.contract.functions.setDepositsPaused(False), acc["deployer"])
    assert allowance() == 0 and pool.balance_of(grace_eth) == funds

    r = grace.deposit(3 * UNIT, grace_eth)
    assert r.kind == "deposit" and grace.balance() == 3 * UNIT
    assert allowance() == 0 and pool.balance_of(grace_eth) == funds - 3 * UNIT


def test_same_note_paid_twice_is_two_notes(demo, w3, prover, tmp_path):
    """Issue 11, item 15, on the chain: a deposit whose two outputs are one note (one commitment, two
    leaves). Keyed by commitment the wallet showed 2 where it holds 4; keyed by leaf it counts both
    and spends both in one transfer (their nullifiers differ by leaf position)."""
    from transfer.extdata import ExtData
    from transfer.inputs import build_transfer_inputs
    from transfer.notes import Note, random_blinding
    from wallet.chain import proof_args
    from wallet.notes import encrypt_note

    pool, acc = demo.pool, demo.accounts
    payer = w3.eth.accounts[5]
    pool.send(pool.token.functions.mint(payer, 4 * UNIT), acc["deployer"])
    heidi = new_wallet(demo, tmp_path / "heidi.db", backend=prover)
    heidi.sync()
    note = Note(2 * UNIT, heidi.keys.owner, random_blinding(), heidi.token_id)
    sealed = encrypt_note(note, bytes(heidi.keys.encryption_public))
    ext = ExtData(ZERO_ADDRESS, ZERO_ADDRESS, 0, (sealed, sealed), pool.chain_id, pool.address, depositor=payer)
    shape = SHAPES["transfer_2x2"]
    payer_keys = WalletKeys.from_seed(new_seed()).keys  # the payer proves with its own keys
    inputs = build_transfer_inputs(
        shape=shape, root=heidi.tree.root, inputs=[], outputs=[note, note], public_amount=4 * UNIT, ext_data=ext,
        authorizing_key=payer_keys.proof_authorizing_key(), signer=payer_keys.spending_key.sign,
    )
    out = prover.prove("transfer_2x2", inputs)
    pool.approve(payer, 4 * UNIT)
    pool.transact(proof_args(out.proof, out.public_signals, shape.n_ins), ext.as_tuple(), payer)
    heidi.sync()
    mine = heidi.notes()
    assert [n.note.commitment for n in mine] == [note.commitment] * 2
    assert mine[1].leaf_index == mine[0].leaf_index + 1 and mine[0].nullifier != mine[1].nullifier
    assert heidi.balance() == 4 * UNIT
    r = heidi.withdraw(4 * UNIT, w3.eth.accounts[6], sender=w3.eth.accounts[6])
    assert r.kind == "withdraw" and heidi.balance() == 0
