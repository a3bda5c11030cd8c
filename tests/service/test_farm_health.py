"""The farm's health bookkeeping without workers (issue 11): consumer probes and stalls (SECURITY 38),
local liveness and expiring registrations (SECURITY 40), admission seeded by warm-up proofs, the
payload key's fingerprint, and erasure that reaches the disk (the broker's taken messages, the
store's WAL)."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import time

import pytest
from farmkit import FakeFarm, make_settings

from service.model import JobState
from service.store import HOSTNAME, JobStore, local_pid_alive


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_dead_process_of_this_machine_is_not_a_live_worker(store: JobStore):
    dead = _dead_pid()
    assert local_pid_alive(os.getpid()) and not local_pid_alive(dead)
    now = time.time()
    store.heartbeat(f"{HOSTNAME}:{dead}", HOSTNAME, dead, ["transfer_2x2"], now=now)
    store.heartbeat(f"{HOSTNAME}:{os.getpid()}", HOSTNAME, os.getpid(), ["transfer_2x2"], now=now)
    store.heartbeat("elsewhere:7", "elsewhere", 7, ["transfer_2x2"], now=now)
    store.heartbeat("gone:8", "gone", 8, ["transfer_2x2"], now=now - 120)
    assert {w.id for w in store.live_workers(now=now)} == {f"{HOSTNAME}:{os.getpid()}", "elsewhere:7"}
    assert sorted(store.expire_workers(now=now)) == sorted([f"{HOSTNAME}:{dead}", "gone:8"])
    assert store.worker_of("gone:8") is None and store.worker_of("elsewhere:7") is not None


def test_a_lost_attempt_of_a_dead_local_worker_says_it_died_and_its_expiry_says_so(tmp_path):
    from service.sweeper import Sweeper

    f = FakeFarm(make_settings(tmp_path, max_attempts=3))
    try:
        r = f.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": _inputs(), "deadline_s": 60})
        jid = r.json()["id"]
        dead = _dead_pid()
        owner = f"{HOSTNAME}:{dead}"
        store = f.farm.store
        assert store.claim(jid, owner, lease_s=600) == 1
        sweeper = Sweeper(store, f.settings, lambda *a: None)
        sweeper.tick()  # the owner's heartbeat would be fresh for seconds; its process is gone now
        job = store.get_job(jid)
        assert job.state is JobState.QUEUED and f"its worker process {owner} died" in job.transitions[-1].detail
        sweeper.tick(now=job.deadline + 1)
        job = store.get_job(jid)
        assert job.state is JobState.EXPIRED and "before a worker took it" not in job.error
        assert "after attempt 1" in job.error
    finally:
        f.close()


def _inputs() -> dict:
    from transfer.example import example_transfer

    return example_transfer("transfer_2x2").inputs


def test_a_probe_left_unanswered_is_a_stall_in_readiness_admission_and_metrics(tmp_path, caplog):
    f = FakeFarm(make_settings(tmp_path))
    try:
        sent: list[tuple[str, str]] = []
        sw = f.farm.sweeper
        sw.probe = lambda probe_id, circuit: sent.append((probe_id, circuit))
        sw.stall_s = 0.5
        sw.tick()
        assert [c for _, c in sent] == ["transfer_2x2"]
        sw.tick()
        assert f.client.get("/readyz").status_code == 200 and len(sent) == 1
        time.sleep(0.7)
        sw.tick()
        r = f.client.get("/readyz")
        assert r.status_code == 503 and "transfer_2x2" in r.json()["not_consuming"]
        assert "ALERT the farm is not consuming" in caplog.text
        refused = f.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": _inputs()})
        assert refused.status_code == 503 and "not taking" in refused.json()["error"]
        assert 'hush_farm_consuming{circuit="transfer_2x2"} 0.0' in f.client.get("/metrics").text
        f.farm.store.consume_probe(sent[0][0], "test:1")  # a worker answers: consuming again
        sw.tick()
        assert f.client.get("/readyz").status_code == 200
        assert 'hush_farm_consuming{circuit="transfer_2x2"} 1.0' in f.client.get("/metrics").text
    finally:
        f.close()


def test_admission_is_seeded_by_the_workers_warmup_proof(tmp_path):
    from service.jobs import DEFAULT_PROVING_S

    f = FakeFarm(make_settings(tmp_path))
    try:
        jobs = f.farm.jobs
        assert jobs.proving_estimate("transfer_2x2") == DEFAULT_PROVING_S["transfer_2x2"]
        f.farm.store.put_seed("transfer_2x2", "test:1", 0.42)
        f.farm.store.put_seed("transfer_2x2", "dead:9", 9.0)  # not a live worker: not counted
        assert jobs.proving_estimate("transfer_2x2") == pytest.approx(0.42)
        ok = f.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": _inputs(), "deadline_s": 1.0})
        assert ok.status_code == 202, ok.text  # 1.0 s < 1.15 * 1.5 + 0.1: refused on the default
    finally:
        f.close()


def test_a_process_with_another_payload_key_is_refused(tmp_path, monkeypatch):
    from service.config import load_settings
    from service.farm import Farm, PayloadKeyMismatch

    s = make_settings(tmp_path)
    Farm.from_settings(s).close()
    with pytest.raises(PayloadKeyMismatch, match="not the farm's"):
        Farm.from_settings(s.with_(payload_key=os.urandom(32)))
    Farm.from_settings(s).close()
    monkeypatch.setenv("HUSH_FARM_DIR", str(tmp_path / "other"))
    monkeypatch.delenv("HUSH_PAYLOAD_KEY", raising=False)
    monkeypatch.setenv("HUSH_DATABASE_URL", "postgresql+psycopg://u:p@127.0.0.1:1/db")
    with pytest.raises(ValueError, match="hush farm keygen"):
        load_settings()  # a shared store: no key is made up
    assert not (tmp_path / "other" / "payload.key").exists()


def _texts(raw: bytes) -> list[bytes]:
    """The bytes, and every base64 run in them decoded (kombu stores message bodies in base64)."""
    out = [raw]
    for m in re.finditer(rb"[A-Za-z0-9+/]{16,}={0,2}", raw):
        blob = m.group(0)
        try:
            out.append(base64.b64decode(blob + b"=" * (-len(blob) % 4)))
        except ValueError:
            pass
    return out


def _broker_roundtrip(url: str, canary: str) -> None:
    from kombu import Connection

    import service.queue  # noqa: F401 (registers the hushsql transport)

    with Connection(url) as conn:
        q = conn.SimpleQueue("hush.prove.test")
        for i in range(3):
            q.put({"sealed": f"{canary}-{i}"})
        for _ in range(3):
            q.get(timeout=5).ack()
        q.close()


@pytest.mark.parametrize("transport", ["hushsql", "sqlalchemy"])
def test_the_embedded_broker_keeps_nothing_of_a_taken_message(tmp_path, transport):
    """SECURITY 39: kombu's SQL transport (the control, `sqlalchemy`) keeps every delivered message
    (visible = 0) for ever; the embedded broker (`hushsql`) deletes it and zeroes the bytes."""
    canary = "canary-" + base64.b32encode(os.urandom(20)).decode()
    _broker_roundtrip(f"{transport}+sqlite:///{tmp_path / 'broker.sqlite'}", canary)
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("broker.sqlite"))
    found = any(canary.encode() in t for t in _texts(raw))
    assert found is (transport == "sqlalchemy")


def test_the_store_scrubs_erased_payloads_from_its_files(tmp_path):
    """SECURITY 39: the sealed payload set to NULL stayed in free pages and the write-ahead log."""
    store = JobStore(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    try:
        canary = "sealed-" + base64.b32encode(os.urandom(30)).decode()
        store.create_job(job_id="job_1", circuit="transfer_2x2", key_id="k", idempotency_key=None, request_mac="m",
                         deadline=time.time() + 60, sealed=canary, webhook_url=None)
        assert store.claim("job_1", "w:1", 60) == 1
        assert store.transition("job_1", JobState.FAILED, expect=[JobState.PROVING], error="x")
        assert store.job_row("job_1")["sealed"] is None

        def raw() -> bytes:
            return b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("jobs.sqlite"))

        assert canary.encode() in raw()  # erased in the row, still in the write-ahead log's older frames
        assert store.scrub()
        assert canary.encode() not in raw()
    finally:
        store.dispose()
