"""Signatures made by transfer.eddsa, printed as JSON for gen_circomlibjs.js to verify with circomlibjs.

Run by the generator (`node tests/vectors/gen_circomlibjs.js`), not by pytest. Keys come from fixed
seeds and nonces are deterministic, so tests/transfer re-derives every signature and checks it is
byte-identical to the committed vector.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from transfer.babyjub import SUBORDER  # noqa: E402
from transfer.eddsa import PrivateKey, Signature  # noqa: E402
from transfer.poseidon import R  # noqa: E402

MESSAGES = [0, 1, 2, R - 1, int.from_bytes(hashlib.sha256(b"hush vector message").digest(), "big") % R]


def key(i: int) -> tuple[str, PrivateKey]:
    secret = hashlib.sha256(f"hush vector key {i}".encode()).digest()
    return secret.hex(), PrivateKey(secret)


def cases() -> list[dict]:
    out = []

    def add(case: str, secret_hex: str, pub, msg: int, sig: Signature, valid: bool) -> None:
        out.append(
            {
                "case": case,
                "secret": secret_hex,
                "A": [str(pub[0]), str(pub[1])],
                "msg": str(msg),
                "R8": [str(sig.r8[0]), str(sig.r8[1])],
                "S": str(sig.s),
                "python_valid": valid,
            }
        )

    for i in range(2):
        secret, k = key(i)
        for m in MESSAGES:
            add("valid", secret, k.public_key, m, k.sign(m), True)
    secret, k = key(0)
    _, other = key(1)
    m = MESSAGES[-1]
    sig = k.sign(m)
    add("S + 1", secret, k.public_key, m, Signature(sig.r8, (sig.s + 1) % SUBORDER), False)
    add("S + l (same point, non-canonical)", secret, k.public_key, m, Signature(sig.r8, sig.s + SUBORDER), False)
    add("other message", secret, k.public_key, (m + 1) % R, sig, False)
    add("other key", secret, other.public_key, m, sig, False)
    add("R8 of another signature", secret, k.public_key, m, Signature(k.sign(0).r8, sig.s), False)
    return out


if __name__ == "__main__":
    json.dump(cases(), sys.stdout)
