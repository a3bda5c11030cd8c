"""Sealed task payloads: they open only with the farm's key, for their own job and circuit."""

from __future__ import annotations

import base64
import secrets

import pytest

from service.sealing import SealError, seal, unseal

KEY = secrets.token_bytes(32)
CANARY = "31337000000000000000000000000000000000000000000000000042"


def test_round_trip_and_no_clear_text():
    s = seal(KEY, "job_1", "transfer_2x2", {"inputs": {"nullifyingKey": CANARY}})
    assert CANARY not in s and CANARY.encode() not in base64.b64decode(s)
    assert unseal(KEY, "job_1", "transfer_2x2", s) == {"inputs": {"nullifyingKey": CANARY}}


@pytest.mark.parametrize("job,circuit,key", [("job_2", "transfer_2x2", KEY), ("job_1", "transfer_16x2", KEY),
                                             ("job_1", "transfer_2x2", secrets.token_bytes(32))])
def test_another_job_circuit_or_key_does_not_open(job, circuit, key):
    s = seal(KEY, "job_1", "transfer_2x2", {"x": 1})
    with pytest.raises(SealError):
        unseal(key, job, circuit, s)


def test_tampering_is_detected():
    raw = bytearray(base64.b64decode(seal(KEY, "job_1", "c", {"x": 1})))
    raw[-1] ^= 1
    with pytest.raises(SealError):
        unseal(KEY, "job_1", "c", base64.b64encode(bytes(raw)).decode())
    with pytest.raises(SealError):
        unseal(KEY, "job_1", "c", "not base64!")
    with pytest.raises(SealError):
        unseal(KEY, "job_1", "c", base64.b64encode(b"\x02" + bytes(40)).decode())
