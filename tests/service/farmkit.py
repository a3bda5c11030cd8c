"""Shared helpers of the farm's tests (imported by name: tests/ dirs are on sys.path)."""

from __future__ import annotations

import os
import secrets

from service.config import Settings
from service.store import metadata

PG_URL = os.environ.get("HUSH_TEST_POSTGRES_URL")


def make_settings(tmp_path, **kw) -> Settings:
    base = dict(
        database_url=f"sqlite:///{tmp_path / 'jobs.sqlite'}",
        broker_url=f"hushsql+sqlite:///{tmp_path / 'broker.sqlite'}",
        payload_key=secrets.token_bytes(32),
        circuits=("transfer_2x2",),
        max_attempts=2,
        time_limit_s=30.0,
    )
    base.update(kw)
    return Settings(**base)


def fresh_postgres(url: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    metadata.drop_all(engine)
    engine.dispose()


class FakeFarm:
    """A Farm whose broker is a list: the jobs layer, store, sweeper and REST app are real."""

    def __init__(self, settings: Settings, *, live_worker: bool = True) -> None:
        from fastapi.testclient import TestClient

        from service.farm import Farm
        from service.model import CircuitInfo
        from service.rest import make_app

        self.settings = settings
        self.farm = Farm.from_settings(settings)
        self.published: list[tuple] = []
        self.farm.jobs._publish = lambda *a: self.published.append(a)
        self.farm.store.put_circuit(CircuitInfo(id="transfer_2x2", public_inputs=["root"], n_constraints=1,
                                                verification_key={}, zkey_sha256="0" * 64, r1cs_sha256="0" * 64))
        if live_worker:
            self.beat()
        self.client = TestClient(make_app(self.farm))

    def beat(self, worker_id: str = "test:1") -> None:
        """A worker that stays live for the test's length (its heartbeat dated an hour ahead: a slow CI
        machine must not see it go stale between two requests)."""
        import time

        self.farm.store.heartbeat(worker_id, "test", 1, ["transfer_2x2"], now=time.time() + 3600)

    def close(self) -> None:
        self.client.close()
        self.farm.close()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveFarm:
    """A real farm: Celery worker pool as a subprocess (warm provers), the API's Farm in this process,
    REST through TestClient, gRPC on a free loopback port."""

    def __init__(self, tmp_path, *, database_url: str | None = None, broker_url: str | None = None,
                 republish_s: float = 10.0, **kw) -> None:
        import base64

        from fastapi.testclient import TestClient

        from service.farm import Farm
        from service.rest import make_app

        self.tmp_path = tmp_path
        self.settings = make_settings(tmp_path, test_faults=True, **kw)
        if database_url:
            self.settings = self.settings.with_(database_url=database_url)
        if broker_url:
            self.settings = self.settings.with_(broker_url=broker_url)
        s = self.settings
        self.env = {
            "HUSH_FARM_DIR": str(tmp_path), "HUSH_DATABASE_URL": s.database_url, "HUSH_BROKER_URL": s.broker_url,
            "HUSH_PAYLOAD_KEY": base64.urlsafe_b64encode(s.payload_key).decode(),
            "HUSH_CIRCUITS": ",".join(s.circuits), "HUSH_TEST_FAULTS": "1", "HUSH_MAX_ATTEMPTS": str(s.max_attempts),
            "HUSH_TIME_LIMIT_S": str(s.time_limit_s),
        }
        self.worker = None
        self.farm = Farm.from_settings(s)
        self.farm.sweeper.republish_s = republish_s
        self.farm.start()
        self.client = TestClient(make_app(self.farm))
        self.grpc_port = None
        self.grpc_server = None

    def start_worker(self, timeout: float = 300.0) -> None:

        from service.serve import start_worker

        self.worker = start_worker(self.settings, env=self.env, log_path=self.tmp_path / "worker.log")
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 300.0, *, exclude: set[int] = frozenset()) -> int:
        """Wait for a live worker child; its pid."""
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            live = [w for w in self.farm.store.live_workers(within_s=3.0) if w.pid not in exclude]
            if live:
                return live[0].pid
            if self.worker is not None and self.worker.poll() is not None:
                raise RuntimeError(f"the worker exited ({self.worker.returncode}): "
                                   + (self.tmp_path / "worker.log").read_text()[-3000:])
            time.sleep(0.2)
        raise TimeoutError("no worker became ready: " + (self.tmp_path / "worker.log").read_text()[-3000:])

    def start_grpc(self) -> int:
        from service.grpc_api import make_grpc_server

        self.grpc_port = free_port()
        self.grpc_server = make_grpc_server(self.farm.jobs, f"127.0.0.1:{self.grpc_port}")
        self.grpc_server.start()
        return self.grpc_port

    def wait_done(self, job_id: str, timeout: float = 120.0):
        import time

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            job = self.farm.store.get_job(job_id)
            if job is not None and job.done:
                return job
            time.sleep(0.1)
        raise TimeoutError(f"job {job_id} did not end: {self.farm.store.get_job(job_id)}")

    def stop_worker(self) -> None:
        import os
        import signal

        if self.worker is not None and self.worker.poll() is None:
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.worker.wait(timeout=30)
        self.worker = None

    def close(self) -> None:
        self.stop_worker()
        if self.grpc_server is not None:
            self.grpc_server.stop(grace=0)
        self.client.close()
        self.farm.close()


def children(pid: int) -> list[int]:
    """Processes whose parent is `pid` (from /proc)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if int(fields[1]) == pid and fields[0] not in (b"Z", b"X"):
            out.append(int(d))
    return out


def alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2:][:1] not in (b"Z", b"X")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of processes (from /proc; gone processes count 0)."""
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


class ServeFarm:
    """`hush serve` for real, as `make serve` runs it (API process, Celery pool as its child, the embedded
    broker and store), in its own farm directory on free loopback ports."""

    def __init__(self, tmp_path, *, circuits: str = "transfer_2x2", **env: str) -> None:
        import subprocess
        import sys

        import httpx

        self.dir = tmp_path
        self.rest, self.grpc = free_port(), free_port()
        self.env = {**os.environ, "HUSH_FARM_DIR": str(tmp_path), "HUSH_CIRCUITS": circuits,
                    "HUSH_REST_ADDR": f"127.0.0.1:{self.rest}", "HUSH_GRPC_ADDR": f"127.0.0.1:{self.grpc}",
                    "HUSH_TEST_FAULTS": "1", "HUSH_TIME_LIMIT_S": "20", "HUSH_MAX_ATTEMPTS": "2", **env}
        for k in ("HUSH_DATABASE_URL", "HUSH_BROKER_URL", "HUSH_PAYLOAD_KEY"):
            if k not in env:
                self.env.pop(k, None)
        self.log = tmp_path / "serve.log"
        self._log = open(self.log, "ab")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen([sys.executable, "-m", "hush.cli", "serve"], env=self.env, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{self.rest}", timeout=120)
        self.celery: int | None = None

    @property
    def store_url(self) -> str:
        return f"sqlite:///{self.dir / 'jobs.sqlite'}"

    def store(self):
        from service.store import JobStore

        return JobStore(self.store_url)

    def wait_ready(self, timeout: float = 300.0) -> None:
        import time

        import httpx

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"hush serve exited ({self.proc.returncode}): {self.log.read_text()[-3000:]}")
            try:
                if self.http.get("/readyz").status_code == 200:
                    self.celery = self.celery or children(self.proc.pid)[0]
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError("hush serve never became ready: " + self.log.read_text()[-3000:])

    def pool(self) -> list[int]:
        """The Celery pool's children (the processes that prove)."""
        assert self.celery is not None
        return children(self.celery)

    def prove(self, **kw) -> dict:
        from transfer.example import example_transfer

        body = {"circuit": "transfer_2x2", "inputs": example_transfer("transfer_2x2").inputs, **kw}
        r = self.http.post("/v1/proofs", json=body)
        assert r.status_code in (200, 202), r.text
        return r.json()

    def close(self) -> None:
        import signal

        for pid in [self.proc.pid, *([self.celery] if self.celery else [])]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.celery:
            try:
                os.killpg(self.celery, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=30)
        self.http.close()
        self._log.close()
