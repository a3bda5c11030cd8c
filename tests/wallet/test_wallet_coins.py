"""Coin selection, the note store and the relayer's checks, without a chain (a stub pool)."""

from __future__ import annotations

import hashlib

import pytest

from transfer.constants import R
from transfer.notes import Note
from wallet.chain import Relayer
from wallet.keys import WalletKeys
from wallet.store import NoteStore, StoreMismatch
from wallet.wallet import InsufficientFunds, Wallet

TOKEN = "0x" + "ab" * 20


class StubPool:
    address = "0x" + "cd" * 20
    token_address = TOKEN
    chain_id = 31337
    levels = 24

    def __init__(self, verifier_16x2: str = "0x" + "00" * 20) -> None:
        self.verifier_16x2 = verifier_16x2


class StubBackend:
    def __init__(self, circuits: tuple[str, ...]) -> None:
        self.circuits = circuits

    def has_circuit(self, circuit: str) -> bool:
        return circuit in self.circuits

    def prove(self, circuit, inputs):  # pragma: no cover - never called here
        raise AssertionError("no proving in these tests")


KEYS = WalletKeys.from_seed(hashlib.sha256(b"coin selection").digest())


def wallet_with(amounts: list[int], *, sixteen: bool = False, spent: tuple[int, ...] = ()) -> Wallet:
    store = NoteStore(":memory:")
    pool = StubPool("0x" + "ef" * 20 if sixteen else "0x" + "00" * 20)
    backend = StubBackend(("transfer_2x2", "transfer_16x2") if sixteen else ("transfer_2x2",))
    vks = {"transfer_2x2": object(), **({"transfer_16x2": object()} if sixteen else {})}
    w = Wallet(KEYS, pool, store, backend, verifying_keys=vks)
    notes = []
    for i, a in enumerate(amounts):
        n = Note(a, KEYS.owner, 1000 + i, int(TOKEN, 16))
        notes.append((n, i, n.nullifier(KEYS.nk, i), 1, "0x01"))
    other_token = Note(999, KEYS.owner, 5, 77)  # a note of another token is never selected
    notes.append((other_token, len(amounts), other_token.nullifier(KEYS.nk, len(amounts)), 1, "0x02"))
    store.apply([], notes, [(notes[i][2], 2, "0x03") for i in spent], 2)
    return w


def amounts(notes) -> list[int]:
    return [n.note.amount for n in notes]


def test_smallest_single_note_that_covers():
    w = wallet_with([5, 20, 12, 40])
    assert amounts(w.select_notes(10)) == [12]
    assert amounts(w.select_notes(40)) == [40]
    assert amounts(w.select_notes(1)) == [5]
    assert w.select_notes(0) == []


def test_pair_with_the_largest_note():
    w = wallet_with([5, 20, 12, 40])
    assert amounts(w.select_notes(45)) == [40, 5]
    assert amounts(w.select_notes(55)) == [40, 20]
    assert w.balance() == 77


def test_more_than_two_needs_16x2():
    with pytest.raises(InsufficientFunds, match="consolidate"):
        wallet_with([5, 20, 12, 40]).select_notes(70)
    assert amounts(wallet_with([5, 20, 12, 40], sixteen=True).select_notes(70)) == [40, 20, 12]
    assert len(wallet_with([1] * 20, sixteen=True).select_notes(16)) == 16
    with pytest.raises(InsufficientFunds, match="17 notes"):
        wallet_with([1] * 20, sixteen=True).select_notes(17)


def test_spent_notes_and_other_tokens_do_not_count():
    w = wallet_with([5, 20, 12, 40], spent=(3,))
    assert w.balance() == 37
    assert amounts(w.select_notes(30)) == [20, 12]
    with pytest.raises(InsufficientFunds, match="balance 37 does not cover 38"):
        w.select_notes(38)
    assert [n.spent for n in w.notes(include_spent=True)] == [False, False, False, True]


def test_store_belongs_to_one_wallet_and_pool(tmp_path):
    path = tmp_path / "w.db"
    w = Wallet(KEYS, StubPool(), NoteStore(path), StubBackend(("transfer_2x2",)), verifying_keys={"transfer_2x2": 1})
    w.store.close()
    other = WalletKeys.from_seed(hashlib.sha256(b"someone else").digest())
    with pytest.raises(StoreMismatch, match="owner"):
        Wallet(other, StubPool(), NoteStore(path), StubBackend(()), verifying_keys={"transfer_2x2": 1})
    pool2 = StubPool()
    pool2.address = "0x" + "99" * 20
    with pytest.raises(StoreMismatch, match="pool"):
        Wallet(KEYS, pool2, NoteStore(path), StubBackend(()), verifying_keys={"transfer_2x2": 1})


def test_store_reset_keeps_history():
    s = NoteStore(":memory:")
    n = Note(3, KEYS.owner, 9, 1)
    s.apply([(0, n.commitment, 1)], [(n, 0, 11, 1, "0xaa")], [(11, 2, "0xbb")], 2)
    s.add_action("deposit", 3, 0, "0x" + "00" * 20, "0xaa", 1, 21000, 1.5)
    assert s.leaf_count() == 1 and s.synced_block == 2 and s.notes(KEYS.owner)[0].spent
    s.reset_chain_data()
    assert s.leaf_count() == 0 and s.synced_block == -1 and s.notes(KEYS.owner) == []
    assert [a.kind for a in s.actions()] == ["deposit"]


class RecordingPool:
    def __init__(self) -> None:
        self.sent = []

    def transact(self, proof, ext, sender):
        self.sent.append((proof, ext, sender))
        return "tx"


def test_relayer_only_submits_transfers_that_pay_it():
    pool = RecordingPool()
    me = "0x" + "12" * 20
    zero = "0x" + "00" * 20
    r = Relayer(pool, me, min_fee=10)

    def proof(public_amount: int = 0) -> tuple:
        return ([0, 0], [[0, 0], [0, 0]], [0, 0], 1, public_amount, 2, [3, 4], [5, 6])

    with pytest.raises(ValueError, match="not to this relayer"):
        r.submit(proof(), (zero, "0x" + "34" * 20, 10, [], zero))
    with pytest.raises(ValueError, match="below"):
        r.submit(proof(), (zero, me, 9, [], zero))
    # SECURITY 22 (issue 11, item 12): a deposit would be paid from the relayer's account.
    with pytest.raises(ValueError, match="refusing a deposit"):
        r.submit(proof(5000), (zero, me, 10, [], zero))
    with pytest.raises(ValueError, match="refusing a deposit"):
        r.submit(proof(), (zero, me, 10, [], me))
    assert r.submit(proof(), (zero, me, 10, [], zero)) == "tx"
    assert r.submit(proof(R - 5), (zero, me, 10, [], zero)) == "tx"  # a withdrawal of 5
    assert len(pool.sent) == 2 and pool.sent[0][2].lower() == me


def test_two_leaves_with_one_commitment_are_two_notes(tmp_path):
    """Issue 11, item 15: a payer sends the same note (same commitment) twice, at leaves 3 and 7.
    Keyed by commitment the store kept one of them: two leaves of 30 showed a balance of 30. Keyed
    by leaf, each is a note with its own nullifier: the balance is 60 and both are spendable."""
    w = wallet_with([])
    n = Note(30, KEYS.owner, 4242, int(TOKEN, 16))
    w.store.apply([], [(n, i, n.nullifier(KEYS.nk, i), 5, f"0x0{i}") for i in (3, 7)], [], 5)
    assert w.balance() == 60
    assert [x.leaf_index for x in w.notes()] == [3, 7]
    assert len({x.nullifier for x in w.notes()}) == 2
    assert sorted(x.leaf_index for x in w.select_notes(60)) == [3, 7]
    w.store.apply([], [], [(n.nullifier(KEYS.nk, 3), 6, "0x09")], 6)  # one of them spent
    assert w.balance() == 30 and [x.leaf_index for x in w.notes()] == [7]


def test_store_of_the_old_layout_is_rescanned(tmp_path):
    """A store written when notes were keyed by commitment is emptied of chain data on open (the
    next sync rescans and finds every note); its identity and history stay."""
    import sqlite3

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
        "CREATE TABLE leaves (idx INTEGER PRIMARY KEY, commitment TEXT NOT NULL, block INTEGER NOT NULL);"
        "CREATE TABLE notes (commitment TEXT PRIMARY KEY, leaf_index INTEGER NOT NULL, amount TEXT NOT NULL,"
        " blinding TEXT NOT NULL, token_id TEXT NOT NULL, nullifier TEXT NOT NULL UNIQUE, block INTEGER NOT NULL,"
        " tx TEXT NOT NULL);"
        "CREATE TABLE nullifiers (nullifier TEXT PRIMARY KEY, block INTEGER NOT NULL, tx TEXT NOT NULL);"
        "INSERT INTO meta VALUES ('synced_block', '9'), ('owner', '1');"
        "INSERT INTO leaves VALUES (0, '5', 1);"
        "INSERT INTO notes VALUES ('5', 0, '30', '1', '1', '77', 1, '0x01');"
    )
    db.commit()
    db.close()
    s = NoteStore(path)
    assert s.synced_block == -1 and s.leaf_count() == 0 and s.notes(1) == []
    assert s.get_meta("owner") == "1"
    n = Note(30, KEYS.owner, 1, 1)
    s.apply([], [(n, 2, 10, 1, "0x"), (n, 4, 11, 1, "0x")], [], 3)
    assert [x.leaf_index for x in s.notes(KEYS.owner)] == [2, 4]


def test_one_transfer_spends_notes_of_one_tree():
    """Issue 11, item 13: the pool starts a new tree when one is full (global leaf index = tree *
    2^levels + position); a transfer proves membership under one root, so coin selection takes its
    notes from one tree (the oldest that can pay) and says so when only a mix of trees could."""
    pool = StubPool()
    pool.levels = 2
    w = Wallet(KEYS, pool, NoteStore(":memory:"), StubBackend(("transfer_2x2",)), verifying_keys={"transfer_2x2": 1})
    tok = int(TOKEN, 16)
    notes = [(Note(a, KEYS.owner, 50 + i, tok), i) for a, i in ((10, 0), (20, 1), (25, 4), (7, 6))]
    w.store.apply([], [(n, i, n.nullifier(KEYS.nk, i % 4), 1, "0x01") for n, i in notes], [], 1)
    assert [w.tree_position(n.leaf_index) for n in w.notes()] == [(0, 0), (0, 1), (1, 0), (1, 2)]
    assert [n.leaf_index for n in w.select_notes(30)] == [1, 0]  # tree 0 pays 30
    assert [n.leaf_index for n in w.select_notes(32)] == [4, 6]  # only tree 1 can pay 32
    with pytest.raises(InsufficientFunds, match="no one tree"):
        w.select_notes(40)  # 62 in all, but 30 and 32 per tree
