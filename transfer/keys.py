"""A user's keys, all derived from one seed (HKDF-SHA512, RFC 5869), and the shareable address.

    spending key   EdDSA-Poseidon private key; public key A = (Ax, Ay). Signs every transfer.
    nk             nullifying key, a field element; nullifierPubKey = Poseidon(nk)
    viewing key    32 bytes, reserved for note encryption
    address        owner = Poseidon(Ax, Ay, Poseidon(nk)): the field element notes are sent to

The proving farm receives a `ProofAuthorizingKey` (A, nk), as Sapling's proof authorizing key
(ak, nsk): enough to build the proof of a transfer the user signed, not enough to sign one, so the
farm can neither spend nor redirect a user's notes (it can link the user's nullifiers, though).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from .babyjub import Point
from .eddsa import PrivateKey
from .poseidon import R, poseidon

__all__ = ["Keys", "ProofAuthorizingKey", "hkdf_sha512", "address_of", "nullifier_pub_key"]

MIN_SEED_BYTES = 32
_SALT = b"hush/keys/v1"


def hkdf_sha512(ikm: bytes, info: bytes, length: int, salt: bytes = _SALT) -> bytes:
    """HKDF-SHA512 (RFC 5869): extract with `salt`, expand to `length` bytes for `info`."""
    if length > 255 * 64:
        raise ValueError(f"HKDF-SHA512 output is at most {255 * 64} bytes, asked for {length}")
    prk = hmac.new(salt, ikm, hashlib.sha512).digest()
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha512).digest()
        out += block
        counter += 1
    return out[:length]


def nullifier_pub_key(nk: int) -> int:
    return poseidon([nk])


def address_of(public_key: Point, nk: int) -> int:
    """owner = Poseidon(Ax, Ay, Poseidon(nk))."""
    return poseidon([public_key[0], public_key[1], nullifier_pub_key(nk)])


@dataclass(frozen=True, repr=False)
class ProofAuthorizingKey:
    """What a prover needs besides the signature: the spending public key and the nullifying key."""

    public_key: Point
    nk: int

    @property
    def address(self) -> int:
        return address_of(self.public_key, self.nk)

    def __repr__(self) -> str:
        return f"ProofAuthorizingKey(public_key={self.public_key}, nk=<hidden>)"


class Keys:
    """All keys of one user, from a seed of at least 32 bytes. The repr shows no secret."""

    __slots__ = ("spending_key", "nk", "viewing_key", "address")

    def __init__(self, spending_key: PrivateKey, nk: int, viewing_key: bytes) -> None:
        if not 0 < nk < R:
            raise ValueError(f"nullifying key must be in [1, r), got {nk}")
        self.spending_key = spending_key
        self.nk = nk
        self.viewing_key = viewing_key
        self.address = address_of(spending_key.public_key, nk)

    @classmethod
    def from_seed(cls, seed: bytes) -> Keys:
        if not isinstance(seed, bytes | bytearray) or len(seed) < MIN_SEED_BYTES:
            raise ValueError(
                f"seed: expected at least {MIN_SEED_BYTES} bytes, got "
                f"{len(seed) if isinstance(seed, bytes | bytearray) else type(seed).__name__}"
            )
        seed = bytes(seed)
        spending = PrivateKey(hkdf_sha512(seed, b"spending key", 32))
        nk = int.from_bytes(hkdf_sha512(seed, b"nullifying key", 64), "little") % R  # bias < 2^-258
        if nk == 0:
            raise ValueError("seed gives a zero nullifying key; use another seed")
        viewing = hkdf_sha512(seed, b"viewing key", 32)
        return cls(spending, nk, viewing)

    @property
    def public_key(self) -> Point:
        return self.spending_key.public_key

    def proof_authorizing_key(self) -> ProofAuthorizingKey:
        return ProofAuthorizingKey(self.public_key, self.nk)

    def __repr__(self) -> str:
        return f"Keys(address={self.address})"
