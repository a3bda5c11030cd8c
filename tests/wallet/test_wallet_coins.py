"""Coin selection, the note store and the relayer's checks, without a chain (a stub pool)."""

from __future__ import annotations

import hashlib

import pytest

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
    levels = 4

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
    r = Relayer(pool, me, min_fee=10)
    with pytest.raises(ValueError, match="not to this relayer"):
        r.submit(("p",), ("0x" + "00" * 20, "0x" + "34" * 20, 10, []))
    with pytest.raises(ValueError, match="below"):
        r.submit(("p",), ("0x" + "00" * 20, me, 9, []))
    assert r.submit(("p",), ("0x" + "00" * 20, me, 10, [])) == "tx"
    assert len(pool.sent) == 1 and pool.sent[0][2].lower() == me
