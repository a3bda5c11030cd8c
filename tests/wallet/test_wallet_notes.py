"""Note ciphertexts: only the recipient opens them, and only a matching commitment is accepted."""

from __future__ import annotations

import hashlib

import pytest

from transfer.constants import MAX_AMOUNT, R
from transfer.notes import Note
from wallet.keys import WalletKeys
from wallet.notes import CIPHERTEXT_LEN, decrypt_note, encrypt_note

TOKEN = 0xE7F1725E7734CE288F8367E1BB143E90BB3F0512


@pytest.fixture(scope="module")
def people() -> dict[str, WalletKeys]:
    return {n: WalletKeys.from_seed(hashlib.sha256(f"notes test {n}".encode()).digest()) for n in ("bob", "carol")}


@pytest.mark.parametrize("amount, blinding", [(0, 0), (1, 1), (30 * 10**18, 12345), (MAX_AMOUNT, R - 1)])
def test_round_trip_and_fixed_size(people, amount, blinding):
    bob = people["bob"]
    note = Note(amount, bob.owner, blinding, TOKEN)
    ct = encrypt_note(note, bob.address.encryption_key)
    assert len(ct) == CIPHERTEXT_LEN
    assert decrypt_note(ct, bob.encryption_secret, bob.owner, note.commitment) == note


def test_third_party_cannot_open(people):
    bob, carol = people["bob"], people["carol"]
    note = Note(30, bob.owner, 777, TOKEN)
    ct = encrypt_note(note, bob.address.encryption_key)
    assert decrypt_note(ct, carol.encryption_secret, carol.owner, note.commitment) is None
    # even with Bob's owner value, Carol's key does not open Bob's ciphertext
    assert decrypt_note(ct, carol.encryption_secret, bob.owner, note.commitment) is None


def test_encryption_is_randomised(people):
    bob = people["bob"]
    note = Note(30, bob.owner, 777, TOKEN)
    assert encrypt_note(note, bob.address.encryption_key) != encrypt_note(note, bob.address.encryption_key)


def test_commitment_mismatch_is_ignored(people):
    """A ciphertext that opens but does not commit to the event's commitment (forged or misdirected)."""
    bob = people["bob"]
    note = Note(30, bob.owner, 777, TOKEN)
    ct = encrypt_note(note, bob.address.encryption_key)
    assert decrypt_note(ct, bob.encryption_secret, bob.owner, note.commitment + 1) is None
    # a note addressed to Carol's owner value but sealed to Bob's key: Bob's owner does not match
    misdirected = Note(30, people["carol"].owner, 777, TOKEN)
    ct2 = encrypt_note(misdirected, bob.address.encryption_key)
    assert decrypt_note(ct2, bob.encryption_secret, bob.owner, misdirected.commitment) is None


def test_tampered_or_odd_ciphertexts(people):
    bob = people["bob"]
    note = Note(30, bob.owner, 777, TOKEN)
    ct = encrypt_note(note, bob.address.encryption_key)
    for i in (0, 31, 32, 60, len(ct) - 1):
        bad = bytearray(ct)
        bad[i] ^= 1
        assert decrypt_note(bytes(bad), bob.encryption_secret, bob.owner, note.commitment) is None
    for odd in (b"", ct[:-1], ct + b"\0", b"ciphertext 0"):
        assert decrypt_note(odd, bob.encryption_secret, bob.owner, note.commitment) is None
