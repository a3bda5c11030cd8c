"""The scale-out configuration for real: Redis as the broker, PostgreSQL as the job store.

SECURITY 30: kill the broker (SIGKILL redis-server, no persistence) with jobs queued; every job is
recovered from the job store and completes exactly once. Also both APIs against these servers."""

from __future__ import annotations

import functools
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from farmkit import PG_URL, LiveFarm, free_port, fresh_postgres

from service.model import JobState
from transfer.example import example_transfer

pytestmark = [pytest.mark.circuits, pytest.mark.slow, pytest.mark.farm, pytest.mark.postgres]

REDIS = shutil.which("redis-server")


@functools.cache
def inputs() -> dict:
    return example_transfer("transfer_2x2").inputs


class Redis:
    def __init__(self, tmp_path) -> None:
        self.port = free_port()
        self.dir = tmp_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen([REDIS, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.dir)], stdout=subprocess.DEVNULL)
        import redis

        end = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.05)

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory) -> Iterator[Redis]:
    if REDIS is None:
        pytest.skip("redis-server is not installed (.ci/run installs it)")
    r = Redis(tmp_path_factory.mktemp("redis"))
    r.start()
    yield r
    if r.proc and r.proc.poll() is None:
        r.kill()


@pytest.fixture(scope="module")
def farm(tmp_path_factory, redis_server) -> Iterator[LiveFarm]:
    if not PG_URL:
        pytest.skip("HUSH_TEST_POSTGRES_URL is not set (.ci/run sets it)")
    from hush.artifacts import ensure_dev_key

    ensure_dev_key("transfer_2x2")
    fresh_postgres(PG_URL)
    f = LiveFarm(tmp_path_factory.mktemp("farm"), database_url=PG_URL, broker_url=redis_server.url,
                 republish_s=3.0, max_attempts=3, time_limit_s=30.0)
    f.start_worker()
    yield f
    f.close()


def test_rest_and_grpc_on_redis_and_postgres(farm: LiveFarm):
    from service.grpc_client import GrpcClient

    r = farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": inputs(), "wait": 30,
                                             "deadline_s": 60})
    assert r.status_code == 200 and r.json()["state"] == "succeeded", r.text
    port = farm.start_grpc()
    with GrpcClient(f"127.0.0.1:{port}") as g:
        assert [c["id"] for c in g.list_circuits()] == ["transfer_2x2"]
        job = g.submit("transfer_2x2", inputs(), idempotency_key="grpc-1", deadline_s=60, timeout=60)
        states = [j["state"] for j in g.watch(job["id"], timeout=60)]
        assert states[-1] == "succeeded"
        done = g.get(job["id"])
        valid, _ = g.verify("transfer_2x2", done["proof"], done["public_signals"])
        assert valid
        assert g.submit("transfer_2x2", inputs(), idempotency_key="grpc-1", deadline_s=60)["id"] == job["id"]


def test_broker_killed_with_jobs_queued_every_job_recovered(farm: LiveFarm, redis_server: Redis):
    ids = []
    for _ in range(4):
        r = farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": inputs(), "deadline_s": 240,
                                                 "fault": "sleep:1"})
        assert r.status_code == 202, r.text
        ids.append(r.json()["id"])
    queued = sum(farm.farm.store.job_row(i)["state"] == "queued" for i in ids)
    assert queued >= 2, "the test needs jobs waiting in the broker when it dies"
    redis_server.kill()  # no persistence: every queued message is gone
    time.sleep(2.0)
    redis_server.start()  # empty
    jobs = [farm.wait_done(i, timeout=240) for i in ids]
    assert [j.state for j in jobs] == [JobState.SUCCEEDED] * 4, [(j.state, j.error) for j in jobs]
    for j in jobs:
        assert [t.state for t in j.transitions].count(JobState.SUCCEEDED) == 1


def test_a_killed_idle_pool_child_stops_counting_at_once_and_is_replaced(farm: LiveFarm):
    """SECURITY 38 on Redis: the replacement consumed, but readiness counted the dead child's heartbeat
    for seconds (admission too)."""
    import os

    from service.store import HOSTNAME

    r = farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": inputs(), "wait": 60,
                                             "deadline_s": 60})
    assert r.json()["state"] == "succeeded", r.text
    (child,) = [w.pid for w in farm.farm.store.live_workers() if w.hostname == HOSTNAME]
    os.kill(child, signal.SIGKILL)
    t0 = time.monotonic()
    while farm.client.get("/readyz").status_code != 503:
        assert time.monotonic() - t0 < 2.0, "readiness counted the dead child"
        time.sleep(0.05)
    farm.wait_ready(240, exclude={child})
    r = farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": inputs(), "wait": 30,
                                             "deadline_s": 30})
    assert r.json()["state"] == "succeeded", r.text


def test_postgres_vacuums_the_jobs_table_after_jobs_end(farm: LiveFarm):
    """SECURITY 39 on PostgreSQL: erased sealed payloads lingered in dead row versions until autovacuum."""
    import sqlalchemy as sa

    store = farm.farm.store
    with store.engine.connect() as c:
        before = c.execute(sa.text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'jobs'")).scalar()
    r = farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": inputs(), "wait": 30,
                                             "deadline_s": 30})
    assert r.json()["state"] == "succeeded", r.text
    end = time.monotonic() + 30
    while True:
        with store.engine.connect() as c:
            after = c.execute(sa.text("SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'jobs'")).scalar()
            sealed = c.execute(sa.text("SELECT count(*) FROM jobs WHERE sealed IS NOT NULL AND state NOT IN "
                                       "('queued', 'proving')")).scalar()
        if after > before:
            break
        assert time.monotonic() < end, "the jobs table was not vacuumed after the job ended"
        time.sleep(0.5)
    assert sealed == 0
