"""transfer.keys and transfer.notes."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from transfer import babyjub as bj
from transfer.constants import AMOUNT_BITS, R
from transfer.keys import Keys, address_of, hkdf_sha512, nullifier_pub_key
from transfer.notes import Note, commitment, nullifier, random_blinding
from transfer.poseidon import poseidon

SEED = bytes(range(32))


def test_keys_are_deterministic_and_separated():
    a, b = Keys.from_seed(SEED), Keys.from_seed(SEED)
    assert (a.public_key, a.nk, a.viewing_key, a.address) == (b.public_key, b.nk, b.viewing_key, b.address)
    c = Keys.from_seed(SEED[:-1] + b"\x20")
    assert c.public_key != a.public_key and c.nk != a.nk and c.viewing_key != a.viewing_key
    assert len({a.viewing_key, hkdf_sha512(SEED, b"spending key", 32)}) == 2
    assert bj.in_subgroup(a.public_key) and 0 < a.nk < R and len(a.viewing_key) == 32


def test_address_formula():
    k = Keys.from_seed(SEED)
    assert k.address == poseidon([k.public_key[0], k.public_key[1], poseidon([k.nk])])
    assert k.address == address_of(k.public_key, k.nk) == k.proof_authorizing_key().address
    assert nullifier_pub_key(k.nk) == poseidon([k.nk])


def test_hkdf_matches_rfc5869_definition():
    """HKDF-SHA512 written out: PRK = HMAC(salt, IKM); T(i) = HMAC(PRK, T(i-1) | info | i)."""
    salt, ikm, info = b"salt", b"input key material", b"info"
    prk = hmac.new(salt, ikm, hashlib.sha512).digest()
    t1 = hmac.new(prk, info + b"\x01", hashlib.sha512).digest()
    t2 = hmac.new(prk, t1 + info + b"\x02", hashlib.sha512).digest()
    assert hkdf_sha512(ikm, info, 100, salt=salt) == (t1 + t2)[:100]


@pytest.mark.parametrize("seed", [b"", b"x" * 31, "a string seed that is long enough!!", None])
def test_seed_rejected(seed):
    with pytest.raises(ValueError, match="seed"):
        Keys.from_seed(seed)


def test_reprs_hide_secrets():
    k = Keys.from_seed(SEED)
    for text in (repr(k), repr(k.proof_authorizing_key()), repr(k.spending_key)):
        assert str(k.nk) not in text and k.viewing_key.hex() not in text
    n = Note(5, k.address, 123456789123456789, 1)
    assert "123456789123456789" not in repr(n)


def test_note_commitment_and_nullifier():
    n = Note(5, 7, 11, 1)
    assert n.commitment == poseidon([5, 7, 11, 1]) == commitment(5, 7, 11, 1)
    assert n.nullifier(3, 9) == poseidon([3, n.commitment, 9]) == nullifier(3, n.commitment, 9)
    assert n.nullifier(3, 9) != n.nullifier(3, 10) != n.nullifier(4, 9)


@pytest.mark.parametrize(
    "fields, match",
    [
        ((1 << AMOUNT_BITS, 1, 1, 1), "amount"),
        ((-1, 1, 1, 1), "amount"),
        ((1, R, 1, 1), "owner"),
        ((1, 1, -1, 1), "blinding"),
        ((1, 1, 1, R), "token"),
    ],
)
def test_note_rejects_out_of_range(fields, match):
    with pytest.raises(ValueError, match=match):
        Note(*fields)


def test_note_rejects_non_int():
    with pytest.raises(TypeError):
        Note(True, 1, 1, 1)
    with pytest.raises(TypeError):
        Note(1, "1", 1, 1)


def test_nullifier_rejects_index_plus_r():
    n = Note(5, 7, 11, 1)
    with pytest.raises(ValueError, match=r"\[0, r\)"):
        n.nullifier(3, 9 + R)


def test_random_blinding():
    xs = {random_blinding() for _ in range(8)}
    assert len(xs) == 8 and all(0 <= x < R for x in xs)
