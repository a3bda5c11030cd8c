"""Poseidon encryption and the auditor's ECDH on Baby Jubjub (twin of circuits/lib/poseidon_cipher.circom
and circuits/lib/auditor.circom).

Poseidon encryption (Grassi, Khovratovich, Rechberger, Roy, Schofnegger, eprint 2019/458, section 7.2),
as @zk-kit/poseidon-cipher and MACI compute it: a duplex sponge over circomlib's width-4 Poseidon
permutation, state (0, k0, k1, nonce + length * 2^128); each block of 3 plaintext elements (zero-padded)
is added to state[1..3] after a permutation and released as ciphertext; a last permutation releases
state[1] as the authentication tag. Decryption checks the tag and the zero padding.

The auditor's view: a fresh ephemeral secret e (< l), E = e * Base8 published, shared key
e * P = a * E for the auditor's key pair (a, P = a * Base8), nonce 0 (every key is fresh).
tests/transfer check these against @zk-kit/poseidon-cipher (known-answer vectors).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

from . import babyjub
from .babyjub import BASE8, SUBORDER, Point
from .poseidon import ALPHA, N_ROUNDS_F, N_ROUNDS_P, R, constants

__all__ = [
    "CipherError",
    "poseidon_perm",
    "cipher_length",
    "encrypt",
    "decrypt",
    "AuditorKey",
    "ecdh",
    "audit_encrypt",
    "random_ephemeral_secret",
]

TWO_128 = 1 << 128


class CipherError(ValueError):
    """A ciphertext that does not decrypt under this key (bad tag or padding), or bad arguments."""


def poseidon_perm(state: Sequence[int]) -> list[int]:
    """circomlib's Poseidon permutation of width t = len(state) (PoseidonEx(t - 1, t) with initialState = state[0])."""
    t = len(state)
    c, m = constants(t)
    r_p = N_ROUNDS_P[t - 2]
    half = N_ROUNDS_F // 2
    st = [x % R for x in state]
    for rnd in range(N_ROUNDS_F + r_p):
        base = rnd * t
        st = [(s + c[base + i]) % R for i, s in enumerate(st)]
        if rnd < half or rnd >= half + r_p:
            st = [pow(s, ALPHA, R) for s in st]
        else:
            st[0] = pow(st[0], ALPHA, R)
        st = [sum(mij * s for mij, s in zip(row, st, strict=True)) % R for row in m]
    return st


def cipher_length(length: int) -> int:
    """Ciphertext elements for a plaintext of `length` elements: 3 per block of 3, plus the tag."""
    return (length + 2) // 3 * 3 + 1


def _check(what: str, x: object) -> int:
    if isinstance(x, bool) or not isinstance(x, int) or not 0 <= x < R:
        raise CipherError(f"{what}: expected an integer in [0, r), got {x!r}")
    return x


def _initial_state(key: Sequence[int], nonce: int, length: int) -> list[int]:
    if len(key) != 2:
        raise CipherError(f"key: expected 2 field elements, got {len(key)}")
    if isinstance(nonce, bool) or not isinstance(nonce, int) or not 0 <= nonce < TWO_128:
        raise CipherError(f"nonce: expected an int in [0, 2^128), got {nonce!r}")
    return [0, _check("key[0]", key[0]), _check("key[1]", key[1]), (nonce + length * TWO_128) % R]


def encrypt(plaintext: Sequence[int], key: Sequence[int], nonce: int = 0) -> list[int]:
    """Poseidon-encrypt field elements under a 2-element key."""
    if not plaintext:
        raise CipherError("plaintext: expected at least one element")
    msg = [_check(f"plaintext[{i}]", x) for i, x in enumerate(plaintext)]
    state = _initial_state(key, nonce, len(msg))
    msg += [0] * (-len(msg) % 3)
    out: list[int] = []
    for b in range(len(msg) // 3):
        state = poseidon_perm(state)
        for k in range(3):
            state[k + 1] = (state[k + 1] + msg[3 * b + k]) % R
        out += state[1:4]
    state = poseidon_perm(state)
    out.append(state[1])
    return out


def decrypt(ciphertext: Sequence[int], key: Sequence[int], length: int, nonce: int = 0) -> list[int]:
    """The plaintext of `length` elements, or CipherError when the tag or the padding is wrong."""
    if len(ciphertext) != cipher_length(length):
        raise CipherError(f"ciphertext: expected {cipher_length(length)} elements for {length}, got {len(ciphertext)}")
    ct = [_check(f"ciphertext[{i}]", x) for i, x in enumerate(ciphertext)]
    state = _initial_state(key, nonce, length)
    msg: list[int] = []
    for b in range(len(ct) // 3):
        state = poseidon_perm(state)
        for k in range(3):
            msg.append((ct[3 * b + k] - state[k + 1]) % R)
            state[k + 1] = ct[3 * b + k]
    if any(msg[length:]):
        raise CipherError("ciphertext: the padding does not decrypt to zeros (wrong key or tampered)")
    state = poseidon_perm(state)
    if state[1] != ct[-1]:
        raise CipherError("ciphertext: the authentication tag does not match (wrong key or tampered)")
    return msg[:length]


def ecdh(secret: int, public: Point) -> Point:
    """secret * public on Baby Jubjub."""
    return babyjub.mul(babyjub.check_point("public key", public), secret)


def random_ephemeral_secret() -> int:
    """A fresh ephemeral secret in [1, l) from the OS CSPRNG."""
    return 1 + secrets.randbelow(SUBORDER - 1)


class AuditorKey:
    """An auditor's key pair (a, P = a * Base8). The repr shows only P."""

    __slots__ = ("_secret", "public_key")

    def __init__(self, secret: int) -> None:
        if isinstance(secret, bool) or not isinstance(secret, int) or not 0 < secret < SUBORDER:
            raise ValueError("auditor secret: expected an int in [1, l)")
        self._secret = secret
        self.public_key: Point = babyjub.mul(BASE8, secret)

    @classmethod
    def generate(cls) -> AuditorKey:
        return cls(random_ephemeral_secret())

    @property
    def secret(self) -> int:
        return self._secret

    def __repr__(self) -> str:
        return f"AuditorKey(public_key={self.public_key})"

    def decrypt(self, ephemeral_pub_key: Point, ciphertext: Sequence[int], length: int) -> list[int]:
        """The plaintext of a transfer's audit ciphertext (CipherError if it is not for this key)."""
        return decrypt(ciphertext, ecdh(self._secret, ephemeral_pub_key), length)


def audit_encrypt(plaintext: Sequence[int], auditor_pub_key: Point, ephemeral_secret: int) -> tuple[Point, list[int]]:
    """(E = e * Base8, PoseidonEncrypt(plaintext, e * P, nonce 0)), as AuditorEncryption computes them."""
    if isinstance(ephemeral_secret, bool) or not isinstance(ephemeral_secret, int):
        raise CipherError("ephemeral secret: expected an int")
    if not 0 < ephemeral_secret < 1 << 253:
        raise CipherError("ephemeral secret: expected an int in [1, 2^253)")
    return babyjub.mul(BASE8, ephemeral_secret), encrypt(plaintext, ecdh(ephemeral_secret, auditor_pub_key), 0)
