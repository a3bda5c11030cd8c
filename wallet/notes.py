"""Note ciphertexts: what a NewCommitment event's `encryptedOutput` carries.

A note (amount, owner, blinding, tokenId) is sealed to the recipient's X25519 key with libsodium's
sealed box (PyNaCl `SealedBox`: an ephemeral X25519 key, XSalsa20-Poly1305), so the ciphertext
says nothing about the sender and only the recipient's viewing key opens it. The plaintext omits
the owner (the recipient knows it) and has a fixed length, so every output ciphertext, change and
zero-value padding included, has the same size:

    version (1) || amount (32, big endian) || blinding (32) || tokenId (32)

Discovery: try to open every ciphertext, then rebuild the commitment from the plaintext and the
wallet's own owner field element and require it to equal the event's commitment — a ciphertext
that opens but does not match (a forged or misdirected one) is ignored.
"""

from __future__ import annotations

from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from transfer.notes import Note

__all__ = ["encrypt_note", "decrypt_note", "CIPHERTEXT_LEN"]

_VERSION = 1
_PLAINTEXT_LEN = 1 + 32 * 3
CIPHERTEXT_LEN = _PLAINTEXT_LEN + PublicKey.SIZE + 16
"""Sealed box overhead: the ephemeral public key (32) and the Poly1305 tag (16)."""


def encrypt_note(note: Note, recipient_key: bytes | PublicKey) -> bytes:
    """Seal `note` to the recipient's X25519 public key."""
    pk = recipient_key if isinstance(recipient_key, PublicKey) else PublicKey(bytes(recipient_key))
    plain = (
        bytes([_VERSION])
        + note.amount.to_bytes(32, "big")
        + note.blinding.to_bytes(32, "big")
        + note.token_id.to_bytes(32, "big")
    )
    return bytes(SealedBox(pk).encrypt(plain))


def decrypt_note(ciphertext: bytes, secret: PrivateKey, owner: int, commitment: int) -> Note | None:
    """The note in `ciphertext` if it opens with `secret` and commits to `commitment`; else None."""
    if not isinstance(ciphertext, bytes | bytearray) or len(ciphertext) != CIPHERTEXT_LEN:
        return None
    try:
        plain = SealedBox(secret).decrypt(bytes(ciphertext))
    except CryptoError:
        return None
    if len(plain) != _PLAINTEXT_LEN or plain[0] != _VERSION:
        return None
    try:
        note = Note(
            int.from_bytes(plain[1:33], "big"),
            owner,
            int.from_bytes(plain[33:65], "big"),
            int.from_bytes(plain[65:97], "big"),
        )
    except (TypeError, ValueError):
        return None
    return note if note.commitment == commitment else None
