"""transfer.extdata: ABI layout, Keccak-256, reduction mod r, validation."""

from __future__ import annotations

import pytest
from eth_abi import decode

from transfer.extdata import EXT_DATA_TYPES, ExtData, keccak256
from transfer.poseidon import R

EXT = ExtData(
    recipient="0x" + "11" * 20,
    relayer="0x" + "22" * 20,
    fee=7,
    encrypted_outputs=(b"\x01\x02", b""),
    chain_id=1,
    pool="0x" + "33" * 20,
)


def test_keccak_known_answers():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


def test_abi_layout_by_hand():
    """Seven head words (the bytes[] as an offset), then the array: length, two offsets, two blobs."""
    enc = EXT.encode()
    words = [enc[i : i + 32] for i in range(0, len(enc), 32)]
    assert words[0] == bytes(12) + b"\x11" * 20
    assert words[1] == bytes(12) + b"\x22" * 20
    assert int.from_bytes(words[2], "big") == 7
    assert int.from_bytes(words[3], "big") == 7 * 32  # offset of encryptedOutputs
    assert words[4] == bytes(32)  # depositor: none
    assert int.from_bytes(words[5], "big") == 1
    assert words[6] == bytes(12) + b"\x33" * 20
    assert int.from_bytes(words[7], "big") == 2  # array length
    assert int.from_bytes(words[8], "big") == 64 and int.from_bytes(words[9], "big") == 128
    assert int.from_bytes(words[10], "big") == 2 and words[11] == b"\x01\x02" + bytes(30)
    assert int.from_bytes(words[12], "big") == 0
    assert len(words) == 13
    assert decode(list(EXT_DATA_TYPES), enc)[3] == (b"\x01\x02", b"")


def test_hash_is_keccak_mod_r():
    h = EXT.hash()
    assert h == int.from_bytes(keccak256(EXT.encode()), "big") % R
    assert 0 <= h < R


def test_hash_binds_every_field():
    import dataclasses

    base = EXT.hash()
    for change in (
        {"recipient": "0x" + "44" * 20},
        {"relayer": "0x" + "44" * 20},
        {"fee": 8},
        {"encrypted_outputs": (b"\x01\x03", b"")},
        {"chain_id": 2},
        {"pool": "0x" + "44" * 20},
        {"depositor": "0x" + "44" * 20},
    ):
        assert dataclasses.replace(EXT, **change).hash() != base, change


@pytest.mark.parametrize(
    "change, match",
    [
        ({"recipient": "0x1234"}, "recipient"),
        ({"relayer": "11" * 20}, "relayer"),
        ({"pool": "0x" + "zz" * 20}, "pool"),
        ({"depositor": "0x" + "11" * 19}, "depositor"),
        ({"fee": -1}, "fee"),
        ({"fee": 1 << 120}, "fee"),
        ({"chain_id": 0}, "chain id"),
        ({"encrypted_outputs": [b""]}, "encrypted outputs"),
    ],
)
def test_validation(change, match):
    import dataclasses

    with pytest.raises(ValueError, match=match):
        dataclasses.replace(EXT, **change)
