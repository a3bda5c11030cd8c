"""The REST API over the real jobs layer and store, with the broker replaced by a list (no worker).

SECURITY #32 (422 before enqueue), #33 (body limits), #34 (limits answer 429/503 with Retry-After),
#36 (idempotency), #37 (canaries never in responses, the store or logs)."""

from __future__ import annotations

import json
import logging
import threading
import time

import pytest
import sqlalchemy as sa
from canary import canary_inputs
from farmkit import FakeFarm, make_settings

from bn254.constants import R
from service.auth import hash_api_key, new_api_key
from service.model import JobState
from service.store import metadata

CANARY = "4242424242424242424242424242424242424242424242424242"


def inputs() -> dict:
    return canary_inputs(CANARY)  # a valid transfer with a secret the farm must never write down or echo


def body(**kw) -> dict:
    return {"circuit": "transfer_2x2", "inputs": inputs(), **kw}


def test_submit_enqueues_a_sealed_payload_and_answers_202(fake_farm: FakeFarm):
    r = fake_farm.client.post("/v1/proofs", json=body())
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["state"] == "queued" and r.headers["location"] == f"/v1/proofs/{job['id']}"
    (jid, circuit, sealed, fault), = fake_farm.published
    assert (jid, circuit, fault) == (job["id"], "transfer_2x2", None) and CANARY not in sealed
    assert fake_farm.client.get(f"/v1/proofs/{jid}").json()["state"] == "queued"


def test_wait_returns_200_with_the_proof_when_it_is_ready(fake_farm: FakeFarm):
    store = fake_farm.farm.store

    def worker() -> None:  # plays the worker: claims the job and records a result
        for _ in range(200):
            if fake_farm.published:
                jid = fake_farm.published[0][0]
                store.claim(jid, "test:1", 60)
                store.transition(jid, JobState.SUCCEEDED, expect=[JobState.PROVING], proof='{"pi_a": ["1"]}',
                                 public_signals='["7"]', calldata="[]", timings='{"total": 0.1}')
                return
            time.sleep(0.01)

    t = threading.Thread(target=worker)
    t.start()
    r = fake_farm.client.post("/v1/proofs", json=body(wait=5))
    t.join()
    assert r.status_code == 200 and r.json()["state"] == "succeeded"
    assert r.json()["proof"] == {"pi_a": ["1"]} and r.json()["public_signals"] == ["7"]


@pytest.mark.parametrize("bad,where", [
    ({"inAmount": [str(R), "1"]}, "inputs.inAmount[0]"),
    ({"fee": -3}, "inputs.fee"),
    ({"fee": "1" * 100}, "inputs.fee"),
    ({"inBlinding": ["1"]}, "inputs.inBlinding"),
    ({"nullifyingKey": CANARY + "x"}, "inputs.nullifyingKey"),
])
def test_bad_inputs_are_422_before_enqueue(fake_farm: FakeFarm, bad, where):
    r = fake_farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": {**inputs(), **bad}})
    assert r.status_code == 422 and r.json()["error"].startswith(where), r.text
    assert CANARY not in r.text and not fake_farm.published


@pytest.mark.parametrize("payload", [
    {"circuit": "transfer_2x2"},
    {"circuit": "transfer_2x2", "inputs": {}, "extra": CANARY},
    {"circuit": "transfer_2x2", "inputs": CANARY},
    {"circuit": "nope", "inputs": {}},
    {"circuit": "transfer_2x2", "inputs": {}, "deadline_s": 1e9},
    {"circuit": "transfer_2x2", "inputs": {}, "wait": -1},
])
def test_malformed_requests_are_422_without_echo(fake_farm: FakeFarm, payload):
    r = fake_farm.client.post("/v1/proofs", json=payload)
    assert r.status_code == 422, r.text
    assert CANARY not in r.text and "input" not in r.json().get("problems", [{}])[0]


def test_oversized_and_chunked_bodies_are_refused_before_parsing(fake_farm: FakeFarm):
    big = b'{"circuit": "transfer_2x2", "inputs": {"x": "' + b"1" * (300 * 1024) + b'"}}'
    r = fake_farm.client.post("/v1/proofs", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = fake_farm.client.post("/v1/proofs", content=iter([b'{"circuit": ', b'"transfer_2x2"}']),
                              headers={"content-type": "application/json"})
    assert r.status_code == 411
    assert not fake_farm.published


def test_idempotency_same_key_same_job_one_run(fake_farm: FakeFarm):
    h = {"Idempotency-Key": "pay-bob-1"}
    a = fake_farm.client.post("/v1/proofs", json=body(), headers=h).json()
    b = fake_farm.client.post("/v1/proofs", json=body(), headers=h).json()
    assert a["id"] == b["id"] and len(fake_farm.published) == 1
    other = {**inputs(), "fee": "3"}
    r = fake_farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": other}, headers=h)
    assert r.status_code == 409 and len(fake_farm.published) == 1


def _key(farm: FakeFarm, **limits) -> str:
    key, key_id = new_api_key()
    farm.farm.store.add_api_key(key_id, hash_api_key(key), **{"rate_per_s": 100.0, "burst": 100,
                                                             "max_active": 100, **limits})
    return key


def test_api_keys_when_required(tmp_path):
    farm = FakeFarm(make_settings(tmp_path, auth_required=True))
    try:
        assert farm.client.post("/v1/proofs", json=body()).status_code == 401
        assert farm.client.post("/v1/proofs", json=body(), headers={"X-API-Key": "hush_x"}).status_code == 401
        key = _key(farm)
        bad = key[:-1] + ("0" if key[-1] != "0" else "1")
        assert farm.client.post("/v1/proofs", json=body(), headers={"X-API-Key": bad}).status_code == 401
        r = farm.client.post("/v1/proofs", json=body(), headers={"X-API-Key": key})
        assert r.status_code == 202
        # another caller cannot read it
        other = _key(farm)
        assert farm.client.get(f"/v1/proofs/{r.json()['id']}", headers={"X-API-Key": other}).status_code == 404
        assert farm.client.get(f"/v1/proofs/{r.json()['id']}", headers={"X-API-Key": key}).status_code == 200
        with farm.farm.store.engine.connect() as c:
            stored = c.execute(sa.text("SELECT key_hash FROM api_keys")).scalars().all()
        assert key not in stored and all(h.startswith("sha256v1$") for h in stored)
    finally:
        farm.close()


def test_rate_limit_and_concurrency_cap_answer_429_with_retry_after(fake_farm: FakeFarm):
    fake_farm.beat("test:2")  # two workers: admission has room for every job here (the limits are under test)
    key = _key(fake_farm, rate_per_s=0.5, burst=2)
    codes = [fake_farm.client.post("/v1/proofs", json=body(), headers={"X-API-Key": key}) for _ in range(3)]
    assert [c.status_code for c in codes] == [202, 202, 429]
    assert int(codes[2].headers["retry-after"]) >= 1
    capped = _key(fake_farm, max_active=1)
    assert fake_farm.client.post("/v1/proofs", json=body(), headers={"X-API-Key": capped}).status_code == 202
    r = fake_farm.client.post("/v1/proofs", json=body(), headers={"X-API-Key": capped})
    assert r.status_code == 429 and "in flight" in r.json()["error"] and int(r.headers["retry-after"]) >= 1
    # other tenants are not held by these keys' limits
    assert fake_farm.client.post("/v1/proofs", json=body()).status_code == 202


def test_admission_refuses_what_cannot_meet_its_deadline(tmp_path):
    farm = FakeFarm(make_settings(tmp_path), live_worker=False)
    try:
        r = farm.client.post("/v1/proofs", json=body())
        assert r.status_code == 503 and "no live worker" in r.json()["error"] and r.headers["retry-after"]
        farm.beat()
        # measured proving time 1 s per job on one worker: with k queued ahead a job ends after
        # 1.15 (k + 1) + 0.1 s, so 4 fit a 5 s budget (4.7 s) and the 5th does not (5.85 s)
        store = farm.farm.store
        for i in range(3):
            store.create_job(job_id=f"old_{i}", circuit="transfer_2x2", key_id="x", idempotency_key=None,
                             request_mac="m", deadline=1e12, sealed="s", webhook_url=None)
            store.claim(f"old_{i}", "w", 60, now=1000.0)
            store.transition(f"old_{i}", JobState.SUCCEEDED, expect=[JobState.PROVING], now=1001.0)
        accepted = [farm.client.post("/v1/proofs", json=body()).status_code for _ in range(5)]
        assert accepted == [202] * 4 + [503]
        # a proof under way counts only what is left of it: 0.9 s into the first job, one more fits (4.8 s)
        first = farm.published[0][0]
        store.claim(first, "test:1", 60, now=time.time() - 0.9)
        assert farm.client.post("/v1/proofs", json=body()).status_code == 202
        r = farm.client.post("/v1/proofs", json=body(deadline_s=30))
        assert r.status_code == 202, "a caller with a later deadline still fits"
        r = farm.client.post("/v1/proofs", json=body())
        assert r.status_code == 503 and int(r.headers["retry-after"]) >= 1
    finally:
        farm.close()


def test_webhook_targets_on_internal_networks_are_refused(fake_farm: FakeFarm):
    for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.0.0.1/x", "ftp://example.com"):
        r = fake_farm.client.post("/v1/proofs", json=body(webhook_url=url))
        assert r.status_code == 422 and r.json()["error"].startswith("webhook_url"), url


def test_health_readiness_metrics(tmp_path):
    farm = FakeFarm(make_settings(tmp_path), live_worker=False)
    try:
        assert farm.client.get("/healthz").json() == {"status": "ok"}
        assert farm.client.get("/readyz").status_code == 503
        farm.beat()
        assert farm.client.get("/readyz").status_code == 200
        farm.client.post("/v1/proofs", json=body())
        m = farm.client.get("/metrics").text
        assert 'hush_queue_depth{circuit="transfer_2x2"} 1.0' in m and "hush_proof_requests_total" in m
        circuits = farm.client.get("/v1/circuits").json()["circuits"]
        assert [c["id"] for c in circuits] == ["transfer_2x2"]
    finally:
        farm.close()


def test_canary_never_rests_in_the_store_or_logs(fake_farm: FakeFarm, caplog):
    caplog.set_level(logging.DEBUG)
    fake_farm.client.post("/v1/proofs", json=body(), headers={"Idempotency-Key": "c"})
    fake_farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": {**inputs(), "fee": R}})
    fake_farm.farm.sweeper.tick()
    dump = []
    with fake_farm.farm.store.engine.connect() as c:
        for table in metadata.sorted_tables:
            dump += [json.dumps([str(v) for v in row]) for row in c.execute(sa.select(table))]
    assert dump and not any(CANARY in row for row in dump)
    assert CANARY not in caplog.text


def test_deep_nesting_is_refused_before_parsing(fake_farm: FakeFarm):
    """py_ecc raises Python's recursion limit to 100000; a thread parsing this would overflow its stack."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        deep = b'{"circuit": "transfer_2x2", "inputs": {"fee": ' + b"[" * 120_000 + b"]" * 120_000 + b"}}"
        r = fake_farm.client.post("/v1/proofs", content=deep, headers={"content-type": "application/json"})
        assert r.status_code == 422 and "nests deeper" in r.json()["error"]
    finally:
        sys.setrecursionlimit(old)
    assert fake_farm.client.post("/v1/proofs", json=body()).status_code == 202, "the API is still up"
