"""`hush serve` (what `make serve` runs) for real: faults done to its processes, and what it leaves on disk.

Issue 11: a SIGKILLed idle pool child is replaced and the replacement takes jobs; readiness means "a
consumer is consuming" (item 1, SECURITY 38); after jobs end nothing in the farm's files opens with
the payload key (item 2, SECURITY 37 and 39); a fresh farm admits by its worker's own warm-up proof
(item 3); SIGKILL of `hush serve` takes its worker pool with it and SIGTERM is quick (item 5,
SECURITY 40); a worker killed mid-proof is noticed within about a second and the record says so
(item 6); an idle farm does not poll (item 7); a worker with another payload key refuses to start
(item 11). The tests run in file order on one farm (one warm-up).
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from farmkit import ServeFarm, alive, cpu_seconds

from service.sealing import SealError, unseal

pytestmark = [pytest.mark.circuits, pytest.mark.slow, pytest.mark.farm]


@pytest.fixture(scope="module")
def serve(tmp_path_factory) -> Iterator[ServeFarm]:
    from hush.artifacts import ensure_dev_key

    ensure_dev_key("transfer_2x2")
    farm = ServeFarm(tmp_path_factory.mktemp("serve"))
    try:
        farm.wait_ready()
        yield farm
    finally:
        farm.close()


def _wait(pred, timeout: float, step: float = 0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(step)
    return pred()


def _done(serve: ServeFarm, job_id: str, timeout: float = 120.0) -> dict:
    r = serve.http.get(f"/v1/proofs/{job_id}", params={"wait": timeout})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_fresh_farm_admits_by_its_workers_warmup_proof(serve: ServeFarm):
    """Item 3: before any job, admission's estimate is the worker's own warm-up proof, not 1.5 s / 5 s."""
    from service.jobs import DEFAULT_PROVING_S, HEADROOM, PICKUP_S

    store = serve.store()
    try:
        live = store.live_workers()
        (seed,) = store.seeds("transfer_2x2", [w.id for w in live])
    finally:
        store.dispose()
    assert 0 < seed < 30
    # A deadline between what the default estimate and what the seed predict: admitted if and only if the
    # seed is the faster (before the fix the default decided, whatever this machine measured).
    eta_seed = HEADROOM * seed + PICKUP_S
    eta_default = HEADROOM * DEFAULT_PROVING_S["transfer_2x2"] + PICKUP_S
    if abs(eta_seed - eta_default) < 0.2:
        pytest.skip(f"this machine's warm-up proof ({seed:.2f} s) is too close to the default estimate")
    deadline = round((eta_seed + eta_default) / 2, 3)
    r = serve.http.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": _inputs(), "deadline_s": deadline})
    assert r.status_code == (202 if eta_seed < eta_default else 503), r.text
    if r.status_code == 202:
        _done(serve, r.json()["id"])


def _inputs() -> dict:
    from transfer.example import example_transfer

    return example_transfer("transfer_2x2").inputs


def test_an_idle_farm_does_not_poll(serve: ServeFarm):
    """Item 7: at rest, `hush serve` and its pool use next to no CPU (the broker polled every 20 ms cost
    ~13% of a core). A generous bound (10x above what it measures): this checks for polling, not speed."""
    assert serve.prove(wait=60, deadline_s=60)["state"] == "succeeded"
    time.sleep(1.0)
    pids = [serve.proc.pid, serve.celery, *serve.pool()]
    before = cpu_seconds(pids)
    time.sleep(5.0)
    used = cpu_seconds(pids) - before
    assert used < 0.3, f"an idle farm used {used:.2f} s of CPU in 5 s"
    t0 = time.monotonic()
    job = serve.prove(wait=60, deadline_s=60)
    assert job["state"] == "succeeded" and time.monotonic() - t0 < 30


def test_a_killed_idle_pool_child_is_replaced_and_takes_jobs(serve: ServeFarm):
    """Item 1: SIGKILL of the idle pool child used to wedge the embedded farm for good (its replacement
    heartbeated, /readyz said ready, no job was ever taken again)."""
    assert serve.prove(wait=60, deadline_s=60)["state"] == "succeeded"
    (child,) = serve.pool()
    os.kill(child, signal.SIGKILL)
    assert _wait(lambda: serve.http.get("/readyz").status_code == 503, 2.0), "readiness counted the dead child"
    assert _wait(lambda: serve.http.get("/readyz").status_code == 200, 240, 0.2), serve.log.read_text()[-2000:]
    (new,) = serve.pool()
    assert new != child
    t0 = time.monotonic()
    job = serve.prove(wait=30, deadline_s=30)
    assert job["state"] == "succeeded", job  # before the fix: expired, never taken
    assert time.monotonic() - t0 < 20
    assert "not_consuming" not in serve.http.get("/readyz").json()


def test_a_worker_killed_mid_proof_is_noticed_at_once_and_the_record_says_so(serve: ServeFarm):
    """Item 6: a lost attempt was noticed after ~10 s and the job ended 'deadline passed before a worker
    took it'. Now: within about a second, 'its worker process ... died'."""
    job = serve.prove(deadline_s=90, fault="sleep:4")
    store = serve.store()
    try:
        row = _wait(lambda: (r := store.job_row(job["id"]))["state"] == "proving" and r, 60)
        assert row, "the job was never taken"
        pid = int(row["owner"].rsplit(":", 1)[1])
        os.kill(pid, signal.SIGKILL)
        t_kill = time.time()
        back = _wait(lambda: store.job_row(job["id"])["state"] != "proving", 10, 0.02)
        seen = time.time() - t_kill
        assert back and seen < 1.5, f"the dead worker was noticed after {seen:.1f} s"
        done = _done(serve, job["id"], 240)
        lost = [t for t in done["transitions"] if "lost" in t["detail"]]
        assert lost and "died" in lost[0]["detail"], done["transitions"]
        assert done["state"] == "succeeded" and done["attempts"] == 2, done
    finally:
        store.dispose()


def test_a_job_whose_worker_died_does_not_expire_as_never_taken(serve: ServeFarm):
    """Item 6: the worker dies mid-proof and no other takes the job before its deadline (the pool's parent
    is stopped): the job expires saying an attempt was made and lost, not "before a worker took it"."""
    assert _wait(lambda: serve.http.get("/readyz").status_code == 200, 240, 0.2)
    job = serve.prove(deadline_s=10, fault="sleep:3")
    store = serve.store()
    try:
        row = _wait(lambda: (r := store.job_row(job["id"]))["state"] == "proving" and r, 10)
        assert row, "the job was never taken"
        os.kill(serve.celery, signal.SIGSTOP)
        try:
            os.kill(int(row["owner"].rsplit(":", 1)[1]), signal.SIGKILL)
            done = _done(serve, job["id"], 30)
        finally:
            os.kill(serve.celery, signal.SIGCONT)
    finally:
        store.dispose()
    assert done["state"] == "expired", done
    assert "before a worker took it" not in done["error"] and "attempt 1" in done["error"], done
    assert any("died" in t["detail"] for t in done["transitions"]), done["transitions"]


B64 = re.compile(rb"[A-Za-z0-9+/_-]{40,}={0,2}")


def _b64(blob: bytes) -> bytes | None:
    s = blob.decode()
    s += "=" * (-len(s) % 4)
    for dec in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            return dec(s)
        except (binascii.Error, ValueError):
            continue
    return None


def _opens(raw: bytes, key: bytes, jobs: list[tuple[str, str]], depth: int = 0) -> list[str]:
    """Job ids whose sealed inputs are somewhere in `raw` (as text, or base64 inside base64), and open."""
    found = []
    for m in B64.finditer(raw):
        blob = m.group(0)
        text = blob.decode()
        for job_id, circuit in jobs:
            try:
                unseal(key, job_id, circuit, text)
                found.append(job_id)
            except SealError:
                pass
        dec = _b64(blob)
        if dec is not None and depth < 2:
            found += _opens(dec, key, jobs, depth + 1)
    return found


def test_nothing_on_disk_gives_back_a_finished_jobs_inputs(serve: ServeFarm):
    """Item 2, SECURITY 37: every job of this module has ended; read every file of the farm raw (job
    store, its WAL, the broker, logs) and try the payload key on everything that looks sealed."""
    assert _wait(lambda: serve.http.get("/readyz").status_code == 200, 240, 0.2)
    store = serve.store()
    try:
        assert _wait(lambda: store.count_active() == 0, 60), "jobs still running"
        with store.engine.connect() as c:
            jobs = [(r[0], r[1]) for r in c.exec_driver_sql("SELECT id, circuit FROM jobs")]
    finally:
        store.dispose()
    assert len(jobs) >= 5
    time.sleep(1.5)  # the sweeper scrubs the store after it sees jobs end
    key = (serve.dir / "payload.key").read_bytes()
    secrets_ = [_inputs()["nullifyingKey"].encode(), *(b.encode() for b in _inputs()["inBlinding"])]
    files = sorted(p for p in serve.dir.iterdir() if p.is_file() and p.name != "payload.key")
    assert {"jobs.sqlite", "broker.sqlite", "serve.log"} <= {p.name for p in files}
    leaks = {}
    for p in files:
        raw = p.read_bytes()
        opened = _opens(raw, key, jobs)
        plain = [s for s in secrets_ if s in raw]
        if opened or plain:
            leaks[p.name] = (sorted(set(opened)), len(plain))
    assert not leaks, f"finished jobs' inputs recoverable from: {leaks}"
    import sqlite3

    con = sqlite3.connect(serve.dir / "broker.sqlite")
    try:
        assert con.execute("SELECT count(*) FROM kombu_message").fetchone()[0] <= 2  # at most live probes
    finally:
        con.close()


def test_a_worker_with_another_payload_key_refuses_to_start(serve: ServeFarm):
    """Item 11: a worker whose key is not the farm's (one it made itself) fails at start, not every job."""
    other = base64.urlsafe_b64encode(os.urandom(32)).decode()
    env = {**serve.env, "HUSH_DATABASE_URL": serve.store_url, "HUSH_PAYLOAD_KEY": other,
           "HUSH_BROKER_URL": f"hushsql+sqlite:///{serve.dir / 'broker.sqlite'}"}
    r = subprocess.run([sys.executable, "-m", "hush.cli", "worker"], env=env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 78, r.stdout[-2000:] + r.stderr[-2000:]
    assert "not the farm's" in r.stderr and "hush farm keygen" in r.stderr
    gen = subprocess.run([sys.executable, "-m", "hush.cli", "farm", "keygen"], capture_output=True, text=True,
                         timeout=60, check=True)
    line = gen.stdout.strip()
    assert line.startswith("HUSH_PAYLOAD_KEY=") and len(_b64(line.split("=", 1)[1].encode()) or b"") == 32


def test_sigkill_of_serve_takes_its_worker_pool_with_it(serve: ServeFarm):
    """Item 5: the pool used to survive (own session) and the next start had two."""
    assert _wait(lambda: serve.http.get("/readyz").status_code == 200, 240, 0.2)
    pids = [serve.celery, *serve.pool()]
    os.kill(serve.proc.pid, signal.SIGKILL)
    serve.proc.wait(10)
    assert _wait(lambda: not any(alive(p) for p in pids), 5.0), [p for p in pids if alive(p)]
    store = serve.store()
    try:
        assert store.live_workers() == []  # dead workers of this machine do not count, at once
        store.expire_workers()
        with store.engine.connect() as c:
            assert c.exec_driver_sql("SELECT count(*) FROM workers").scalar() == 0
    finally:
        store.dispose()


def test_sigterm_stops_serve_and_its_pool_quickly(tmp_path):
    """Item 5: SIGTERM took 10-12 s."""
    farm = ServeFarm(tmp_path)
    try:
        farm.wait_ready()
        pids = [farm.celery, *farm.pool()]
        t0 = time.monotonic()
        farm.proc.send_signal(signal.SIGTERM)
        farm.proc.wait(30)
        took = time.monotonic() - t0
        assert not any(alive(p) for p in pids)
        assert took < 6.0, f"SIGTERM took {took:.1f} s"
    finally:
        farm.close()
