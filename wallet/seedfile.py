"""The wallet file: the seed encrypted under a passphrase, plus where the wallet talks to.

    {"version": 1, "kdf": "argon2id13", "opslimit", "memlimit", "salt": hex, "sealed_seed": hex,
     "address": "hush1...", "config": {"rpc", "pool", "start_block", "db", ...}}

The key is Argon2id (libsodium `crypto_pwhash`, PyNaCl `nacl.pwhash.argon2id.kdf`) of the
passphrase and a random salt; the seed is sealed with XSalsa20-Poly1305 (`nacl.secret.SecretBox`,
random nonce). A wrong passphrase or an altered file fails authentication. The seed may instead
come from the environment (HUSH_WALLET_SEED, hex), in which case the file stores no seed at all.
The seed is the user's responsibility: whoever has it can spend every note.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any

from nacl import pwhash
from nacl.exceptions import CryptoError
from nacl.secret import SecretBox

__all__ = ["new_seed", "write_wallet_file", "read_wallet_file", "open_seed", "WalletFileError", "SEED_ENV"]

SEED_ENV = "HUSH_WALLET_SEED"
PASSPHRASE_ENV = "HUSH_WALLET_PASSPHRASE"
SEED_BYTES = 32
KDF_STRENGTH = {
    "interactive": (pwhash.argon2id.OPSLIMIT_INTERACTIVE, pwhash.argon2id.MEMLIMIT_INTERACTIVE),
    "moderate": (pwhash.argon2id.OPSLIMIT_MODERATE, pwhash.argon2id.MEMLIMIT_MODERATE),
    "sensitive": (pwhash.argon2id.OPSLIMIT_SENSITIVE, pwhash.argon2id.MEMLIMIT_SENSITIVE),
}
"""libsodium's Argon2id presets (about 0.1 s / 64 MiB, 1-2 s / 256 MiB, 5+ s / 1 GiB per unlock)."""
_VERSION = 1


class WalletFileError(ValueError):
    """An unreadable wallet file, a wrong passphrase or a malformed seed."""


def new_seed() -> bytes:
    return secrets.token_bytes(SEED_BYTES)


def parse_seed_hex(text: str) -> bytes:
    t = text.strip().removeprefix("0x")
    try:
        seed = bytes.fromhex(t)
    except ValueError:
        raise WalletFileError(f"{SEED_ENV}: expected hex, got {len(t)} characters that are not hex") from None
    if len(seed) < SEED_BYTES:
        raise WalletFileError(f"{SEED_ENV}: expected at least {SEED_BYTES} bytes of hex, got {len(seed)}")
    return seed


def _key(passphrase: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    return pwhash.argon2id.kdf(SecretBox.KEY_SIZE, passphrase.encode(), salt, opslimit=opslimit, memlimit=memlimit)


def write_wallet_file(
    path: str | Path,
    seed: bytes | None,
    passphrase: str | None,
    config: dict[str, Any],
    address: str,
    *,
    opslimit: int = pwhash.argon2id.OPSLIMIT_MODERATE,
    memlimit: int = pwhash.argon2id.MEMLIMIT_MODERATE,
) -> Path:
    """Write a wallet file (mode 0600); `seed` None keeps no seed (it will come from the environment)."""
    path = Path(path)
    doc: dict[str, Any] = {"version": _VERSION, "address": address, "config": config}
    if seed is not None:
        if not passphrase:
            raise WalletFileError("a passphrase is needed to store the seed (or keep it in the environment)")
        salt = secrets.token_bytes(pwhash.argon2id.SALTBYTES)
        box = SecretBox(_key(passphrase, salt, opslimit, memlimit))
        doc |= {
            "kdf": "argon2id13",
            "opslimit": opslimit,
            "memlimit": memlimit,
            "salt": salt.hex(),
            "sealed_seed": bytes(box.encrypt(seed)).hex(),
        }
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(doc, f, indent=1)
    return path


def read_wallet_file(path: str | Path) -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise WalletFileError(f"{path}: no wallet file (run `wallet init`)") from None
    except json.JSONDecodeError as e:
        raise WalletFileError(f"{path}: not valid JSON ({e})") from None
    if not isinstance(doc, dict) or doc.get("version") != _VERSION:
        raise WalletFileError(f"{path}: expected a version {_VERSION} wallet file")
    return doc


def open_seed(doc: dict[str, Any], passphrase: str | None, env: dict[str, str] | None = None) -> bytes:
    """The seed: from the environment if set, else the file's sealed seed opened with `passphrase`."""
    env = os.environ if env is None else env
    if env.get(SEED_ENV):
        return parse_seed_hex(env[SEED_ENV])
    if "sealed_seed" not in doc:
        raise WalletFileError(f"the wallet file holds no seed; set {SEED_ENV}")
    if passphrase is None:
        passphrase = env.get(PASSPHRASE_ENV)
    if not passphrase:
        raise WalletFileError(f"the seed is encrypted: give the passphrase ({PASSPHRASE_ENV})")
    if doc.get("kdf") != "argon2id13":
        raise WalletFileError(f"unknown key derivation {doc.get('kdf')!r} (expected argon2id13)")
    try:
        salt = bytes.fromhex(doc["salt"])
        sealed = bytes.fromhex(doc["sealed_seed"])
        key = _key(passphrase, salt, int(doc["opslimit"]), int(doc["memlimit"]))
        return bytes(SecretBox(key).decrypt(sealed))
    except CryptoError:
        raise WalletFileError("wrong passphrase, or the wallet file was altered") from None
    except (KeyError, ValueError, TypeError) as e:
        raise WalletFileError(f"malformed wallet file: {e}") from None
