"""Task payloads sealed with AES-256-GCM: what crosses the broker and rests in the job store.

A proof job's inputs hold the witness secrets (nullifying key, amounts, blindings, signature), so they
never travel or rest in clear. The associated data binds a ciphertext to its job id and circuit: a
payload copied onto another job does not open.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = b"\x01"


class SealError(ValueError):
    pass


def _aad(job_id: str, circuit: str) -> bytes:
    return f"hush-job:{job_id}:{circuit}".encode()


def seal(key: bytes, job_id: str, circuit: str, payload: dict[str, Any]) -> str:
    nonce = os.urandom(12)
    body = json.dumps(payload, separators=(",", ":")).encode()
    ct = AESGCM(key).encrypt(nonce, body, _aad(job_id, circuit))
    return base64.b64encode(_VERSION + nonce + ct).decode()


def unseal(key: bytes, job_id: str, circuit: str, sealed: str) -> dict[str, Any]:
    try:
        raw = base64.b64decode(sealed, validate=True)
    except ValueError as e:
        raise SealError("sealed payload: expected base64") from e
    if len(raw) < 1 + 12 + 16 or raw[:1] != _VERSION:
        raise SealError(f"sealed payload: expected version {_VERSION[0]} and at least 29 bytes, got {len(raw)} bytes")
    try:
        body = AESGCM(key).decrypt(raw[1:13], raw[13:], _aad(job_id, circuit))
    except Exception as e:  # InvalidTag: wrong key, wrong job, or tampered
        raise SealError("sealed payload does not open with this key for this job") from e
    return json.loads(body)


def key_fingerprint(key: bytes) -> str:
    """A public name for a payload key (HMAC of a label: says nothing of the key), recorded in the store."""
    return hmac.new(key, b"hush payload key fingerprint", hashlib.sha256).hexdigest()[:16]


def new_key_text() -> str:
    """A fresh payload key as HUSH_PAYLOAD_KEY takes it (32 random bytes, base64url)."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


class PayloadKeyMismatch(RuntimeError):
    pass


def check_payload_key(store: Any, key: bytes) -> None:
    """Refuse a payload key other than the farm's: the first process records the key's fingerprint in the
    job store (service.store.JobStore.key_fingerprint); a process with another key (a worker that made its
    own) would fail every job it took."""
    mine = key_fingerprint(key)
    farm = store.key_fingerprint(mine)
    if farm != mine:
        raise PayloadKeyMismatch(
            f"this process's payload key (fingerprint {mine}) is not the farm's ({farm}, recorded in the job "
            "store): give every API and worker process the same HUSH_PAYLOAD_KEY (`hush farm keygen` makes one)")
