"""Wallet keys from one seed and the shareable address string.

transfer.keys gives the circuit's keys (spending key, nullifying key nk, viewing key, owner field
element). The wallet adds an X25519 encryption key pair for note ciphertexts, derived from the
viewing key (HKDF-SHA512, RFC 5869), so whoever holds the viewing key can find and read the
user's notes but cannot spend them.

Address string (what a payer needs: the owner field element and the encryption public key):

    "hush1" + base32(version || owner (32 bytes, big endian) || x25519 public key (32) || checksum (4))

lower-case RFC 4648 base32 without padding; checksum = SHA-256("hush/address/v1" || version ||
owner || key)[:4]. Parsing is strict: prefix, alphabet, length, version, owner < r and checksum.
As in bech32, the same address written all in upper case ("HUSH1...", for QR codes) is accepted;
mixed case is refused.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from nacl.public import PrivateKey as X25519PrivateKey
from nacl.public import PublicKey as X25519PublicKey

from transfer.constants import R
from transfer.keys import Keys, hkdf_sha512

__all__ = ["WalletKeys", "Address", "AddressError", "ADDRESS_PREFIX"]

ADDRESS_PREFIX = "hush1"
ADDRESS_VERSION = 1
_PAYLOAD_LEN = 1 + 32 + 32
_CHECKSUM_LEN = 4
_ENCODED_LEN = len(ADDRESS_PREFIX) + (8 * (_PAYLOAD_LEN + _CHECKSUM_LEN) + 4) // 5
_ALPHABET = set("abcdefghijklmnopqrstuvwxyz234567")


class AddressError(ValueError):
    """A string that is not a valid Hush address."""


def _checksum(body: bytes) -> bytes:
    return hashlib.sha256(b"hush/address/v1" + body).digest()[:_CHECKSUM_LEN]


@dataclass(frozen=True)
class Address:
    """Where notes are sent: the owner field element and the X25519 key that ciphertexts are sealed to."""

    owner: int
    encryption_key: bytes

    def __post_init__(self) -> None:
        if isinstance(self.owner, bool) or not isinstance(self.owner, int) or not 0 <= self.owner < R:
            raise AddressError(f"address owner: expected an int in [0, r), got {self.owner!r}")
        if not isinstance(self.encryption_key, bytes) or len(self.encryption_key) != 32:
            raise AddressError("address encryption key: expected 32 bytes")

    def encode(self) -> str:
        body = bytes([ADDRESS_VERSION]) + self.owner.to_bytes(32, "big") + self.encryption_key
        raw = base64.b32encode(body + _checksum(body)).decode().rstrip("=").lower()
        return ADDRESS_PREFIX + raw

    __str__ = encode

    @classmethod
    def parse(cls, text: str) -> Address:
        if not isinstance(text, str):
            raise AddressError(f"address: expected a string, got {type(text).__name__}")
        text = text.strip()
        if text.isupper():  # bech32's rule: one case throughout; upper case suits QR codes
            text = text.lower()
        elif not text.islower() and text.lower().startswith(ADDRESS_PREFIX):
            raise AddressError("address: mixes upper and lower case (write it all in one case)")
        if not text.startswith(ADDRESS_PREFIX):
            raise AddressError(f"address: expected the prefix {ADDRESS_PREFIX!r}, got {text[:8]!r}")
        if len(text) != _ENCODED_LEN:
            raise AddressError(f"address: expected {_ENCODED_LEN} characters, got {len(text)}")
        data = text[len(ADDRESS_PREFIX) :]
        bad = sorted(set(data) - _ALPHABET)
        if bad:
            raise AddressError(f"address: characters {''.join(bad)!r} are not lower-case base32")
        raw = base64.b32decode(data.upper() + "=" * (-len(data) % 8))
        if len(raw) != _PAYLOAD_LEN + _CHECKSUM_LEN:  # pragma: no cover - fixed by the length check
            raise AddressError(f"address: decodes to {len(raw)} bytes, expected {_PAYLOAD_LEN + _CHECKSUM_LEN}")
        body, check = raw[:_PAYLOAD_LEN], raw[_PAYLOAD_LEN:]
        if _checksum(body) != check:
            raise AddressError("address: checksum mismatch (mistyped or altered address)")
        if body[0] != ADDRESS_VERSION:
            raise AddressError(f"address: version {body[0]} is not supported (expected {ADDRESS_VERSION})")
        owner = int.from_bytes(body[1:33], "big")
        if owner >= R:
            raise AddressError("address: owner is not a field element (>= r)")
        if cls(owner, body[33:]).encode() != text:  # non-canonical trailing bits
            raise AddressError("address: non-canonical encoding")
        return cls(owner, body[33:])


class WalletKeys:
    """transfer.keys.Keys plus the note encryption key. The repr shows no secret."""

    __slots__ = ("keys", "encryption_secret")

    def __init__(self, keys: Keys) -> None:
        self.keys = keys
        self.encryption_secret = X25519PrivateKey(hkdf_sha512(keys.viewing_key, b"hush/wallet/x25519", 32))

    @classmethod
    def from_seed(cls, seed: bytes) -> WalletKeys:
        return cls(Keys.from_seed(seed))

    @property
    def owner(self) -> int:
        return self.keys.address

    @property
    def nk(self) -> int:
        return self.keys.nk

    @property
    def encryption_public(self) -> X25519PublicKey:
        return self.encryption_secret.public_key

    @property
    def address(self) -> Address:
        return Address(self.keys.address, bytes(self.encryption_public))

    def __repr__(self) -> str:
        return f"WalletKeys(address={self.address.encode()})"
