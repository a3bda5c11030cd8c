"""Durable webhook delivery (issue 11 item 4; SECURITY 35): events in the job store, attempts as tasks on
the queue hush.webhooks (the embedded SQL broker here), against a real HTTP receiver built on the
receiver helper. A receiver that fails then succeeds gets the event once handled, under one id; two API
processes never send an attempt twice; an API process SIGKILLed mid-retry is replaced and the next one
carries on under the same id with the same budget; a dead event is replayed from the CLI."""

from __future__ import annotations

import base64
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from farmkit import free_port, make_settings

from service.farm import Farm
from service.model import JobState, Principal
from service.webhooks import WebhookReceiver, secret_string
from service.webhooks.dispatch import Policy

REPO = Path(__file__).resolve().parents[2]


class AppReceiver:
    """An HTTP receiver as an application would write one with WebhookReceiver: the application's handler
    fails (500) while `failing` says so; every request is recorded (id, status)."""

    def __init__(self, secret: bytes, failing: int = 0) -> None:
        self.helper = WebhookReceiver(secret_string(secret))
        self.failing = failing
        self.requests: list[tuple[str, int]] = []
        self.handled: list[dict] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status = 200
                try:
                    outer.helper.handle(dict(self.headers.items()), body, outer._app)
                except Exception:
                    status = 500
                outer.requests.append((self.headers.get("webhook-id", ""), status))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def _app(self, event: dict) -> None:
        if self.failing > 0:
            self.failing -= 1
            raise RuntimeError("the application's database is down")
        self.handled.append(event)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _wait(cond, timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _finished_job(farm: Farm, url: str, job_id: str = "job_hook1") -> str:
    """A job that ended, as a worker would leave it (no prover needed: webhooks only see the store)."""
    store = farm.store
    now = time.time()
    store.create_job(job_id=job_id, circuit="transfer_2x2", key_id="anonymous", idempotency_key=None,
                     request_mac="0" * 64, deadline=now + 60, sealed="x", webhook_url=url, fault=None, now=now)
    store.claim(job_id, "prover-host:4242", 60)
    store.transition(job_id, JobState.SUCCEEDED, expect=[JobState.PROVING], proof='{"pi_a": ["1"]}',
                     public_signals='["7"]', calldata="[]", timings='{"total": 0.1}')
    return job_id


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, webhook_allow_private=True)


@pytest.fixture
def receiver(settings) -> Iterator[AppReceiver]:
    secret = Farm.from_settings(settings).jobs.webhook_secret(Principal("anonymous"))
    r = AppReceiver(secret, failing=1)
    yield r
    r.close()


def test_a_receiver_that_fails_then_succeeds_gets_the_event_once_handled(settings, receiver: AppReceiver):
    farm = Farm.from_settings(settings)
    farm.start()
    try:
        jid = _finished_job(farm, receiver.url)
        _wait(lambda: len(receiver.handled) == 1, 20, "the retry to be handled")
        [(id1, s1), (id2, s2)] = receiver.requests
        assert (s1, s2) == (500, 200) and id1 == id2 and id1.startswith("msg_")
        assert receiver.handled[0]["type"] == "proof.succeeded" and receiver.handled[0]["data"]["id"] == jid
        assert "prover-host" not in json.dumps(receiver.handled[0])  # the public view of the job
        _wait(lambda: (farm.webhooks.outbox.of_job(jid) or {}).get("state") == "delivered", 5, "the record")
        row = farm.webhooks.outbox.of_job(jid)
        assert row["attempts"] == 2 and row["event_id"] == id1
        assert farm.store.deliveries(jid)[-1]["delivered"] is True
        text = farm.metrics.registry.get_sample_value("hush_webhook_deliveries_total", {"outcome": "retry"})
        assert text == 1.0
    finally:
        farm.close()


def test_two_api_processes_never_send_an_attempt_twice(settings, receiver: AppReceiver):
    receiver.failing = 0
    a, b = Farm.from_settings(settings), Farm.from_settings(settings)
    a.start()
    b.start()
    try:
        jobs = [_finished_job(a, receiver.url, f"job_pair{i}") for i in range(12)]
        _wait(lambda: len(receiver.requests) >= 12, 30, "12 deliveries")
        time.sleep(1.0)  # a duplicate would arrive now
        ids = [i for i, _ in receiver.requests]
        assert len(ids) == 12 and len(set(ids)) == 12
        assert {e["data"]["id"] for e in receiver.handled} == set(jobs)
    finally:
        a.close()
        b.close()


# -- an API process killed mid-retry, and the CLI's replay ----------------------------------------------

def _env(settings, rest: int, grpc: int) -> dict[str, str]:
    return {**os.environ, "HUSH_DATABASE_URL": settings.database_url, "HUSH_BROKER_URL": settings.broker_url,
            "HUSH_PAYLOAD_KEY": base64.urlsafe_b64encode(settings.payload_key).decode().rstrip("="),
            "HUSH_CIRCUITS": "transfer_2x2", "HUSH_REST_ADDR": f"127.0.0.1:{rest}",
            "HUSH_GRPC_ADDR": f"127.0.0.1:{grpc}", "HUSH_WEBHOOK_ALLOW_PRIVATE": "1",
            "HUSH_WEBHOOK_MAX_ATTEMPTS": "3", "PYTHONPATH": str(REPO)}


def _api(env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "hush.cli", "api"], env=env, cwd=REPO,
                            stdout=open(log, "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115


@pytest.mark.slow
def test_an_api_killed_mid_retry_is_replaced_under_the_same_id_and_budget(settings, receiver: AppReceiver,
                                                                           tmp_path: Path):
    receiver.failing = 1000  # the application fails every time: 3 attempts, then the event is dead
    seed = Farm.from_settings(settings)
    jid = _finished_job(seed, receiver.url)
    seed.store.dispose()
    env = _env(settings, free_port(), free_port())
    first = _api(env, tmp_path / "api1.log")
    try:
        _wait(lambda: len(receiver.requests) >= 2, 60, "two attempts from the first API process")
        time.sleep(0.3)  # its answer recorded: the event waits ~2 s for attempt 3
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    assert len(receiver.requests) == 2
    second = _api({**env, "HUSH_REST_ADDR": f"127.0.0.1:{free_port()}", "HUSH_GRPC_ADDR": f"127.0.0.1:{free_port()}"},
                  tmp_path / "api2.log")
    try:
        from service.store import JobStore
        from service.webhooks.dispatch import Outbox

        outbox = Outbox(JobStore(settings.database_url), Policy())
        _wait(lambda: (outbox.of_job(jid) or {}).get("state") == "dead", 60, "the event to be dead")
        time.sleep(1.0)
        ids = {i for i, _ in receiver.requests}
        assert len(receiver.requests) == 3 and len(ids) == 1, receiver.requests  # no fresh budget, one id
        row = outbox.of_job(jid)
        assert row["attempts"] == 3 and row["last_status"] == 500  # the dead-letter record
        receiver.failing = 0
        out = subprocess.run([sys.executable, "-m", "hush.cli", "farm", "webhooks", "replay", row["event_id"]],
                             env=env, cwd=REPO, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stdout + out.stderr
        _wait(lambda: len(receiver.handled) == 1, 30, "the replayed event to be handled")
        assert receiver.requests[-1] == (row["event_id"], 200)
        _wait(lambda: (outbox.of_job(jid) or {}).get("state") == "delivered", 10, "delivered")
        listed = subprocess.run([sys.executable, "-m", "hush.cli", "farm", "webhooks", "list", "--dead"], env=env,
                                cwd=REPO, capture_output=True, text=True, timeout=60)
        assert row["event_id"] not in listed.stdout
    finally:
        second.send_signal(signal.SIGTERM)
        try:
            second.wait(20)
        except subprocess.TimeoutExpired:
            second.kill()
            second.wait()


def test_an_attempt_lost_with_its_process_counts_and_a_stale_task_does_nothing(settings):
    from service.webhooks.delivery import AttemptResult
    from service.webhooks.dispatch import Outbox

    farm = Farm.from_settings(settings)
    try:
        jid = _finished_job(farm, "http://127.0.0.1:9/never")
        outbox = Outbox(farm.store, Policy(max_attempts=2, lease_s=10.0))
        job = farm.store.get_job(jid)
        eid = outbox.create_for(job, "anonymous", 1000.0)
        assert outbox.create_for(job, "anonymous", 1001.0) == eid  # one event per job, for ever
        [row] = outbox.due(1000.0)
        assert outbox.enqueue(row, 1000.0) == 1 and outbox.enqueue(row, 1000.0) is None  # one process wins
        assert outbox.start_attempt(eid, 1, 1000.0) is not None
        assert outbox.start_attempt(eid, 1, 1000.0) is None  # the same task delivered twice: stale
        assert outbox.due(1001.0) == []  # held by its lease
        [row] = outbox.due(1000.0 + 100)  # the process died mid-attempt: due again, the attempt counted
        assert row["attempts"] == 1 and outbox.enqueue(row, 1100.0) == 2
        assert outbox.start_attempt(eid, 2, 1100.0) is not None
        assert outbox.finish_attempt(eid, 2, AttemptResult("retry", 503, "HTTP 503"), 1101.0) == "dead"  # budget
        assert outbox.get(eid)["state"] == "dead" and outbox.replay(eid, 1200.0)
        assert outbox.get(eid)["attempts"] == 0 and outbox.get(eid)["event_id"] == eid
    finally:
        farm.close()
