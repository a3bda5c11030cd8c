"""EdDSA-Poseidon on Baby Jubjub, verification-compatible with circomlib's `EdDSAPoseidonVerifier`.

A signature on a field element M by the key A = a * Base8 is (R8, S) with

    R8 = r * Base8,   hm = Poseidon(R8x, R8y, Ax, Ay, M),   S = r + 8 * hm * a  (mod l)

and verifies iff S < l and S * Base8 == R8 + 8 * hm * A (l: Baby Jubjub's prime subgroup order).
This is the equation circomlib checks in-circuit and circomlibjs' `verifyPoseidon` checks.

Key and nonce derivation follow RFC 8032's structure with SHA-512 (not circomlibjs' legacy
BLAKE-512: only verification has to be compatible): the 32-byte private key k gives
a = SHA-512("hush/eddsa/scalar" || k) mod l (64 bytes, so the bias is < 2^-260) and a nonce prefix
SHA-512("hush/eddsa/prefix" || k)[:32]; the nonce is r = SHA-512(prefix || M as 32 bytes LE) mod l,
deterministic in (key, message) as in RFC 8032.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from . import babyjub
from .babyjub import BASE8, IDENTITY, SUBORDER, Point
from .poseidon import R, poseidon

__all__ = ["Signature", "PrivateKey", "SignatureError", "verify", "is_valid", "challenge"]


class SignatureError(ValueError):
    """An EdDSA-Poseidon signature that does not verify, with the reason."""


@dataclass(frozen=True)
class Signature:
    r8: Point
    s: int


def _field(what: str, x: object) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{what}: expected an int field element, got {type(x).__name__}")
    if not 0 <= x < R:
        raise ValueError(f"{what}: expected an integer in [0, r), got {x}")
    return x


def challenge(r8: Point, public_key: Point, message: int) -> int:
    """hm = Poseidon(R8x, R8y, Ax, Ay, M)."""
    return poseidon([r8[0], r8[1], public_key[0], public_key[1], message])


class PrivateKey:
    """A Baby Jubjub EdDSA-Poseidon private key (32 secret bytes). The repr never shows the secret."""

    __slots__ = ("_scalar", "_prefix", "public_key")

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) != 32:
            raise ValueError(
                f"EdDSA private key: expected 32 bytes, got {type(secret).__name__} of length "
                f"{len(secret) if hasattr(secret, '__len__') else '?'}"
            )
        a = int.from_bytes(hashlib.sha512(b"hush/eddsa/scalar" + bytes(secret)).digest(), "little") % SUBORDER
        if a == 0:  # probability 2^-251
            raise ValueError("EdDSA private key: derived scalar is 0, use another key")
        self._scalar = a
        self._prefix = hashlib.sha512(b"hush/eddsa/prefix" + bytes(secret)).digest()[:32]
        self.public_key: Point = babyjub.mul(BASE8, a)

    def __repr__(self) -> str:
        return f"PrivateKey(public_key={self.public_key})"

    def sign(self, message: int) -> Signature:
        """Sign a field element M (deterministic nonce from the key and M)."""
        m = _field("message", message)
        digest = hashlib.sha512(self._prefix + m.to_bytes(32, "little")).digest()
        r = int.from_bytes(digest, "little") % SUBORDER
        r8 = babyjub.mul(BASE8, r)
        hm = challenge(r8, self.public_key, m)
        s = (r + 8 * hm * self._scalar) % SUBORDER
        return Signature(r8=r8, s=s)

    __call__ = sign  # a PrivateKey is a signer: Callable[[int], Signature]


def verify(public_key: Point, message: int, signature: Signature) -> None:
    """Return if `signature` is a valid signature of `message` by `public_key`; raise SignatureError otherwise.

    Mirrors EdDSAPoseidonVerifier: S < l, 8*A != identity, S*Base8 == R8 + hm*(8*A); additionally
    A and R8 must be curve points with coordinates in [0, r) (as the transfer circuit checks)."""
    m = _field("message", message)
    if not isinstance(signature, Signature):
        raise SignatureError(f"expected a Signature, got {type(signature).__name__}")
    s = signature.s
    if isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < SUBORDER:
        raise SignatureError(f"S must be an integer in [0, l), got {s!r}")
    try:
        a = babyjub.check_point("public key", public_key)
        r8 = babyjub.check_point("R8", signature.r8)
    except ValueError as e:
        raise SignatureError(str(e)) from None
    a8 = babyjub.mul(a, 8)
    if a8 == IDENTITY:
        raise SignatureError("public key has small order (8*A is the identity)")
    hm = challenge(r8, a, m)
    left = babyjub.mul(BASE8, s)
    right = babyjub.add(r8, babyjub.mul(a8, hm))
    if left != right:
        raise SignatureError("S*Base8 != R8 + 8*hm*A: the signature does not match this key and message")


def is_valid(public_key: Point, message: int, signature: Signature) -> bool:
    """`verify` as a bool (bad-type inputs are still errors)."""
    try:
        verify(public_key, message, signature)
    except SignatureError:
        return False
    return True
