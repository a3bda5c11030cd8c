"""Wallet keys and the address string: derivation from the seed, strict parsing."""

from __future__ import annotations

import base64
import hashlib

import pytest

from transfer.constants import R
from transfer.keys import Keys
from wallet.keys import ADDRESS_PREFIX, Address, AddressError, WalletKeys

SEED_A = hashlib.sha256(b"wallet keys test A").digest()
SEED_B = hashlib.sha256(b"wallet keys test B").digest()


@pytest.fixture(scope="module")
def alice() -> WalletKeys:
    return WalletKeys.from_seed(SEED_A)


def test_keys_are_a_function_of_the_seed(alice):
    again = WalletKeys.from_seed(SEED_A)
    other = WalletKeys.from_seed(SEED_B)
    assert again.address == alice.address
    assert bytes(again.encryption_secret) == bytes(alice.encryption_secret)
    assert other.address.owner != alice.address.owner
    assert other.address.encryption_key != alice.address.encryption_key
    # the owner is transfer.keys' address, the circuit's Poseidon(Ax, Ay, Poseidon(nk))
    assert alice.owner == Keys.from_seed(SEED_A).address


def test_repr_shows_no_secret(alice):
    text = repr(alice) + repr(alice.keys)
    assert str(alice.nk) not in text
    assert bytes(alice.encryption_secret).hex() not in text
    assert alice.keys.viewing_key.hex() not in text


def test_short_seed_refused():
    with pytest.raises(ValueError, match="at least 32 bytes"):
        WalletKeys.from_seed(b"x" * 31)


def test_address_round_trip(alice):
    text = alice.address.encode()
    assert text.startswith(ADDRESS_PREFIX) and text == text.lower()
    assert Address.parse(text) == alice.address
    for owner in (0, 1, R - 1):
        a = Address(owner, b"\x07" * 32)
        assert Address.parse(a.encode()) == a


def test_every_single_character_change_is_caught(alice):
    text = alice.address.encode()
    alphabet = "abcdefghijklmnopqrstuvwxyz234567"
    for i in range(len(ADDRESS_PREFIX), len(text)):
        c = alphabet[(alphabet.index(text[i]) + 1) % 32]
        with pytest.raises(AddressError):
            Address.parse(text[:i] + c + text[i + 1 :])


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda t: "hush2" + t[5:], "prefix"),
        (lambda t: t[:-1], "characters"),
        (lambda t: t + "a", "characters"),
        (lambda t: t.upper().replace("HUSH1", "hush1"), "one case"),
        (lambda t: t[:5] + t[5:].upper(), "one case"),
        (lambda t: t[:-1] + "1", "base32"),
        (lambda t: "", "prefix"),
    ],
)
def test_malformed_addresses(alice, mutate, message):
    with pytest.raises(AddressError, match=message):
        Address.parse(mutate(alice.address.encode()))


def _encode_raw(version: int, owner_bytes: bytes, key: bytes) -> str:
    body = bytes([version]) + owner_bytes + key
    check = hashlib.sha256(b"hush/address/v1" + body).digest()[:4]
    return ADDRESS_PREFIX + base64.b32encode(body + check).decode().rstrip("=").lower()


def test_valid_checksum_but_bad_content_refused():
    key = b"\x01" * 32
    assert Address.parse(_encode_raw(1, (5).to_bytes(32, "big"), key)).owner == 5
    with pytest.raises(AddressError, match="version"):
        Address.parse(_encode_raw(2, (5).to_bytes(32, "big"), key))
    for owner in (R, 2**256 - 1):
        with pytest.raises(AddressError, match="field element"):
            Address.parse(_encode_raw(1, owner.to_bytes(32, "big"), key))


def test_address_fields_checked():
    with pytest.raises(AddressError):
        Address(R, b"\x00" * 32)
    with pytest.raises(AddressError):
        Address(-1, b"\x00" * 32)
    with pytest.raises(AddressError):
        Address(1, b"\x00" * 31)
    with pytest.raises(AddressError):
        Address.parse(12345)  # type: ignore[arg-type]
