"""The job store: the durable record of every job and the farm's source of truth (not the broker).

SQLite by default, PostgreSQL by URL, through SQLAlchemy Core. A job changes state only by a
conditional UPDATE (`transition`): the new state must be legal from the old one (model.LEGAL), and
the row must still be in the state (and attempt, and owner) the caller saw. Two processes racing for
the same job cannot both win, which is what makes redelivered tasks, a sweeper and a late worker safe:
a job completes exactly once.

What rests here: public signals, proofs, calldata, timings, redacted errors, and the task payload
*sealed* (service.sealing) while the job can still run, so that a job lost by the broker can be
recovered; the sealed payload is erased when the job ends, and `scrub()` (the sweeper calls it
after jobs end) makes the erasure reach the disk: SQLite zeroes deleted bytes (secure_delete) and
its write-ahead log is checkpointed and truncated; PostgreSQL's dead row versions are vacuumed.
"""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from .model import LEGAL, TERMINAL, CircuitInfo, Job, JobState, Transition

metadata = sa.MetaData()

jobs_t = sa.Table(
    "jobs",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("circuit", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("idempotency_key", sa.String(255)),
    sa.Column("request_mac", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("deadline", sa.Float, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("owner", sa.String(128)),
    sa.Column("lease_until", sa.Float),
    sa.Column("enqueued_at", sa.Float),
    sa.Column("started_at", sa.Float),
    sa.Column("finished_at", sa.Float, index=True),
    sa.Column("sealed", sa.Text),
    sa.Column("public_signals", sa.Text),
    sa.Column("proof", sa.Text),
    sa.Column("calldata", sa.Text),
    sa.Column("error", sa.Text),
    sa.Column("timings", sa.Text),
    sa.Column("webhook_url", sa.Text),
    sa.Column("webhook_state", sa.String(16)),
    sa.Column("fault", sa.String(32)),
    sa.UniqueConstraint("key_id", "idempotency_key", name="uq_jobs_idempotency"),
)

transitions_t = sa.Table(
    "job_transitions",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(40), nullable=False, index=True),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("detail", sa.Text, nullable=False, default=""),
)

api_keys_t = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String(64), primary_key=True),
    sa.Column("key_hash", sa.String(128), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("rate_per_s", sa.Float, nullable=False),
    sa.Column("burst", sa.Integer, nullable=False),
    sa.Column("max_active", sa.Integer, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
    sa.Column("label", sa.Text, nullable=False, default=""),
)

workers_t = sa.Table(
    "workers",
    metadata,
    sa.Column("id", sa.String(128), primary_key=True),
    sa.Column("hostname", sa.String(255), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("circuits", sa.Text, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("last_seen", sa.Float, nullable=False, index=True),
)

circuits_t = sa.Table(
    "circuits",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("info", sa.Text, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)

deliveries_t = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("job_id", sa.String(40), nullable=False, index=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("delivered", sa.Boolean, nullable=False),
    sa.Column("dead_lettered", sa.Boolean, nullable=False),
    sa.Column("last_error", sa.Text),
)

# ==== webhook events (issue 11 item 4; owned by service/webhooks/dispatch.py, which reads and writes it) ====
webhook_events_t = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("event_id", sa.String(64), primary_key=True),  # "msg_<32 hex>": one per event, for ever
    sa.Column("job_id", sa.String(40), nullable=False, unique=True),
    sa.Column("key_id", sa.String(64), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("type", sa.String(32), nullable=False),
    sa.Column("body", sa.Text, nullable=False),  # the exact bytes every attempt sends (the job's public view)
    sa.Column("state", sa.String(16), nullable=False, index=True),  # pending | queued | sending | delivered | dead
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("next_at", sa.Float, nullable=False, index=True),
    sa.Column("lease_until", sa.Float),
    sa.Column("last_status", sa.Integer),
    sa.Column("last_error", sa.Text),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
)
# ==== end of webhook events ====


farm_meta_t = sa.Table(
    "farm_meta",
    metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

proving_seeds_t = sa.Table(
    "proving_seeds",
    metadata,
    sa.Column("circuit", sa.String(64), primary_key=True),
    sa.Column("worker_id", sa.String(128), primary_key=True),
    sa.Column("seconds", sa.Float, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
)

probes_t = sa.Table(
    "consumer_probes",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("circuit", sa.String(64), nullable=False, index=True),
    sa.Column("sent_at", sa.Float, nullable=False),
    sa.Column("consumed_at", sa.Float),
    sa.Column("worker_id", sa.String(128)),
)

HOSTNAME = socket.gethostname()


def local_pid_alive(pid: int) -> bool:
    """Whether a process of this machine is alive (a zombie is not: it only waits to be reaped)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return stat[stat.rfind(b")") + 2:][:1] not in (b"Z", b"X")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA secure_delete=ON")  # erased payloads are overwritten, not left in free pages
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def make_engine(url: str) -> sa.Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, pool_pre_ping=True)
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    hostname: str
    pid: int
    circuits: tuple[str, ...]
    last_seen: float


@dataclass(frozen=True)
class ApiKeyRecord:
    key_id: str
    key_hash: str
    rate_per_s: float
    burst: int
    max_active: int
    revoked: bool


class JobStore:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._vacuumed = -1e9
        metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()

    # -- jobs ----------------------------------------------------------------------------------------
    def create_job(
        self,
        *,
        job_id: str,
        circuit: str,
        key_id: str,
        idempotency_key: str | None,
        request_mac: str,
        deadline: float,
        sealed: str,
        webhook_url: str | None,
        fault: str | None = None,
        now: float | None = None,
    ) -> tuple[Job, bool]:
        """Insert a queued job; with an idempotency key already used by this caller, return that job
        instead. Returns (job, created); comparing the request MACs is the caller's part."""
        now = time.time() if now is None else now
        row = dict(
            id=job_id, circuit=circuit, state=JobState.QUEUED.value, key_id=key_id, idempotency_key=idempotency_key,
            request_mac=request_mac, created_at=now, updated_at=now, deadline=deadline, attempts=0,
            sealed=sealed, webhook_url=webhook_url, webhook_state="pending" if webhook_url else None, fault=fault,
        )
        try:
            with self.engine.begin() as c:
                c.execute(jobs_t.insert().values(**row))
                c.execute(transitions_t.insert().values(job_id=job_id, state=JobState.QUEUED.value, at=now,
                                                        detail="accepted"))
        except IntegrityError:
            if idempotency_key is None:
                raise
            existing = self.find_idempotent(key_id, idempotency_key)
            if existing is None:
                raise
            return existing, False
        job = self.get_job(job_id)
        assert job is not None
        return job, True

    def find_idempotent(self, key_id: str, idempotency_key: str) -> Job | None:
        with self.engine.connect() as c:
            jid = c.execute(
                sa.select(jobs_t.c.id).where(jobs_t.c.key_id == key_id, jobs_t.c.idempotency_key == idempotency_key)
            ).scalar()
        return None if jid is None else self.get_job(jid)

    def request_mac(self, job_id: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(sa.select(jobs_t.c.request_mac).where(jobs_t.c.id == job_id)).scalar()

    def key_of(self, job_id: str) -> str | None:
        with self.engine.connect() as c:
            return c.execute(sa.select(jobs_t.c.key_id).where(jobs_t.c.id == job_id)).scalar()

    def get_job(self, job_id: str) -> Job | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(jobs_t).where(jobs_t.c.id == job_id)).mappings().first()
            if row is None:
                return None
            trs = c.execute(
                sa.select(transitions_t).where(transitions_t.c.job_id == job_id).order_by(transitions_t.c.seq)
            ).mappings().all()
        return _job(row, trs)

    def job_row(self, job_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(jobs_t).where(jobs_t.c.id == job_id)).mappings().first()
        return None if row is None else dict(row)

    def state_of(self, job_id: str) -> tuple[JobState, float] | None:
        """(state, updated_at): a cheap look for waiters."""
        with self.engine.connect() as c:
            row = c.execute(sa.select(jobs_t.c.state, jobs_t.c.updated_at).where(jobs_t.c.id == job_id)).first()
        return None if row is None else (JobState(row[0]), row[1])

    def transition(
        self,
        job_id: str,
        new: JobState,
        *,
        expect: Iterable[JobState],
        attempts: int | None = None,
        owner: str | None = None,
        detail: str = "",
        now: float | None = None,
        **fields: Any,
    ) -> bool:
        """Move a job to `new` if it is still in one of `expect` (and at `attempts`, held by `owner`, when
        given). Illegal moves raise; a lost race returns False and changes nothing."""
        expect = tuple(expect)
        for old in expect:
            if new not in LEGAL[old]:
                raise ValueError(f"illegal job transition {old.value} -> {new.value}")
        now = time.time() if now is None else now
        cond = [jobs_t.c.id == job_id, jobs_t.c.state.in_([s.value for s in expect])]
        if attempts is not None:
            cond.append(jobs_t.c.attempts == attempts)
        if owner is not None:
            cond.append(jobs_t.c.owner == owner)
        values: dict[str, Any] = {"state": new.value, "updated_at": now, **fields}
        if new in TERMINAL:
            values |= {"sealed": None, "finished_at": now, "lease_until": None}
        elif new is JobState.QUEUED:  # the attempt is over: nobody holds the job until the next claim
            values |= {"owner": None, "lease_until": None}
        with self.engine.begin() as c:
            n = c.execute(sa.update(jobs_t).where(*cond).values(**values)).rowcount
            if n != 1:
                return False
            c.execute(transitions_t.insert().values(job_id=job_id, state=new.value, at=now, detail=detail))
        return True

    def claim(self, job_id: str, owner: str, lease_s: float, *, now: float | None = None) -> int | None:
        """queued -> proving for `owner`: the attempt number it now holds, or None if someone else has it
        (or it is no longer queued)."""
        now = time.time() if now is None else now
        with self.engine.begin() as c:
            row = c.execute(
                sa.select(jobs_t.c.state, jobs_t.c.attempts).where(jobs_t.c.id == job_id)
            ).first()
            if row is None or row[0] != JobState.QUEUED.value:
                return None
            attempt = row[1] + 1
            n = c.execute(
                sa.update(jobs_t)
                .where(jobs_t.c.id == job_id, jobs_t.c.state == JobState.QUEUED.value, jobs_t.c.attempts == row[1])
                .values(state=JobState.PROVING.value, attempts=attempt, owner=owner, lease_until=now + lease_s,
                        started_at=now, updated_at=now)
            ).rowcount
            if n != 1:
                return None
            c.execute(transitions_t.insert().values(job_id=job_id, state=JobState.PROVING.value, at=now,
                                                    detail=f"attempt {attempt} by {owner}"))
        return attempt

    def mark_enqueued(self, job_id: str, *, now: float | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(sa.update(jobs_t).where(jobs_t.c.id == job_id).values(enqueued_at=time.time() if now is None
                                                                              else now))

    def count_active(self, *, circuit: str | None = None, key_id: str | None = None) -> int:
        cond = [jobs_t.c.state.in_([JobState.QUEUED.value, JobState.PROVING.value])]
        if circuit is not None:
            cond.append(jobs_t.c.circuit == circuit)
        if key_id is not None:
            cond.append(jobs_t.c.key_id == key_id)
        with self.engine.connect() as c:
            return c.execute(sa.select(sa.func.count()).select_from(jobs_t).where(*cond)).scalar() or 0

    def active_jobs(self) -> list[dict[str, Any]]:
        """Rows of every queued or proving job (for the sweeper)."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(jobs_t.c.id, jobs_t.c.circuit, jobs_t.c.state, jobs_t.c.attempts, jobs_t.c.owner,
                          jobs_t.c.lease_until, jobs_t.c.enqueued_at, jobs_t.c.deadline, jobs_t.c.created_at,
                          jobs_t.c.started_at)
                .where(jobs_t.c.state.in_([JobState.QUEUED.value, JobState.PROVING.value]))
            ).mappings().all()
        return [dict(r) for r in rows]

    def finished_since(self, since: float, limit: int = 500) -> list[Job]:
        with self.engine.connect() as c:
            ids = c.execute(
                sa.select(jobs_t.c.id).where(jobs_t.c.finished_at > since).order_by(jobs_t.c.finished_at).limit(limit)
            ).scalars().all()
        return [j for j in (self.get_job(i) for i in ids) if j is not None]

    def recent_proving_seconds(self, circuit: str, n: int = 32) -> list[float]:
        """How long the last n successful attempts of a circuit held their job (claim to success)."""
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(jobs_t.c.finished_at - jobs_t.c.started_at)
                .where(jobs_t.c.circuit == circuit, jobs_t.c.state == JobState.SUCCEEDED.value)
                .order_by(jobs_t.c.finished_at.desc()).limit(n)
            ).scalars().all()
        return [float(x) for x in rows if x is not None]

    def webhooks_pending(self) -> list[Job]:
        with self.engine.connect() as c:
            ids = c.execute(
                sa.select(jobs_t.c.id).where(jobs_t.c.webhook_state == "pending",
                                             jobs_t.c.state.in_([s.value for s in TERMINAL]))
            ).scalars().all()
        return [j for j in (self.get_job(i) for i in ids) if j is not None]

    def record_delivery(self, job_id: str, url: str, *, attempts: int, delivered: bool, dead_lettered: bool,
                        last_error: str | None) -> None:
        now = time.time()
        with self.engine.begin() as c:
            c.execute(deliveries_t.insert().values(job_id=job_id, at=now, url=url, attempts=attempts,
                                                   delivered=delivered, dead_lettered=dead_lettered,
                                                   last_error=last_error))
            c.execute(sa.update(jobs_t).where(jobs_t.c.id == job_id).values(
                webhook_state="delivered" if delivered else "dead"))

    def deliveries(self, job_id: str) -> list[dict[str, Any]]:
        with self.engine.connect() as c:
            return [dict(r) for r in c.execute(sa.select(deliveries_t).where(deliveries_t.c.job_id == job_id))
                    .mappings().all()]

    # -- workers and circuits -------------------------------------------------------------------------
    def heartbeat(self, worker_id: str, hostname: str, pid: int, circuits: Sequence[str],
                  now: float | None = None) -> None:
        now = time.time() if now is None else now
        with self.engine.begin() as c:
            n = c.execute(sa.update(workers_t).where(workers_t.c.id == worker_id).values(
                last_seen=now, circuits=json.dumps(list(circuits)))).rowcount
            if n == 0:
                c.execute(workers_t.insert().values(id=worker_id, hostname=hostname, pid=pid,
                                                    circuits=json.dumps(list(circuits)), started_at=now,
                                                    last_seen=now))

    def forget_worker(self, worker_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(sa.delete(workers_t).where(workers_t.c.id == worker_id))

    def live_workers(self, within_s: float = 5.0, now: float | None = None) -> list[WorkerInfo]:
        """Workers whose heartbeat is fresh, less those of this machine whose process is gone (a
        SIGKILLed worker is known dead at once, not when its heartbeat goes stale)."""
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            rows = c.execute(sa.select(workers_t).where(workers_t.c.last_seen >= now - within_s)).mappings().all()
        return [WorkerInfo(r["id"], r["hostname"], r["pid"], tuple(json.loads(r["circuits"])), r["last_seen"])
                for r in rows if r["hostname"] != HOSTNAME or local_pid_alive(r["pid"])]

    def expire_workers(self, *, stale_s: float = 60.0, now: float | None = None) -> list[str]:
        """Delete the registrations of workers gone for good: of this machine with no process, or silent
        for `stale_s`. Returns their ids."""
        now = time.time() if now is None else now
        with self.engine.connect() as c:
            rows = c.execute(sa.select(workers_t.c.id, workers_t.c.hostname, workers_t.c.pid,
                                       workers_t.c.last_seen)).all()
        gone = [r[0] for r in rows if r[3] < now - stale_s or (r[1] == HOSTNAME and not local_pid_alive(r[2]))]
        if gone:
            with self.engine.begin() as c:
                c.execute(sa.delete(workers_t).where(workers_t.c.id.in_(gone)))
                c.execute(sa.delete(proving_seeds_t).where(proving_seeds_t.c.worker_id.in_(gone)))
        return gone

    def worker_of(self, worker_id: str) -> WorkerInfo | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(workers_t).where(workers_t.c.id == worker_id)).mappings().first()
        return None if r is None else WorkerInfo(r["id"], r["hostname"], r["pid"], tuple(json.loads(r["circuits"])),
                                                 r["last_seen"])

    # -- admission seeds, consumer probes, the payload key's fingerprint --------------------------------
    def put_seed(self, circuit: str, worker_id: str, seconds: float) -> None:
        """A worker's own warm-up proving time for a circuit (admission's estimate before real jobs)."""
        now = time.time()
        with self.engine.begin() as c:
            c.execute(sa.delete(proving_seeds_t).where(proving_seeds_t.c.circuit == circuit,
                                                       proving_seeds_t.c.worker_id == worker_id))
            c.execute(proving_seeds_t.insert().values(circuit=circuit, worker_id=worker_id, seconds=seconds, at=now))

    def seeds(self, circuit: str, worker_ids: Iterable[str]) -> list[float]:
        ids = list(worker_ids)
        if not ids:
            return []
        with self.engine.connect() as c:
            return [float(x) for x in c.execute(sa.select(proving_seeds_t.c.seconds).where(
                proving_seeds_t.c.circuit == circuit, proving_seeds_t.c.worker_id.in_(ids))).scalars()]

    def add_probe(self, probe_id: str, circuit: str, *, now: float | None = None) -> None:
        with self.engine.begin() as c:
            c.execute(probes_t.insert().values(id=probe_id, circuit=circuit, sent_at=time.time() if now is None
                                               else now))

    def consume_probe(self, probe_id: str, worker_id: str) -> None:
        with self.engine.begin() as c:
            c.execute(sa.update(probes_t).where(probes_t.c.id == probe_id, probes_t.c.consumed_at.is_(None))
                      .values(consumed_at=time.time(), worker_id=worker_id))

    def probe_state(self, circuit: str) -> tuple[float | None, float | None]:
        """(sent_at of the oldest probe not consumed yet, consumed_at of the latest consumed one)."""
        with self.engine.connect() as c:
            pending = c.execute(sa.select(sa.func.min(probes_t.c.sent_at)).where(
                probes_t.c.circuit == circuit, probes_t.c.consumed_at.is_(None))).scalar()
            last = c.execute(sa.select(sa.func.max(probes_t.c.consumed_at)).where(
                probes_t.c.circuit == circuit)).scalar()
        return pending, last

    def drop_probes(self, *, circuit: str, before: float | None = None, pending_only: bool = False) -> None:
        cond = [probes_t.c.circuit == circuit]
        if before is not None:
            cond.append(probes_t.c.sent_at < before)
        if pending_only:
            cond.append(probes_t.c.consumed_at.is_(None))
        with self.engine.begin() as c:
            c.execute(sa.delete(probes_t).where(*cond))

    def last_worked(self, *, now: float | None = None) -> float | None:
        """When a worker last did something with a job: now if one is proving, else the latest claim or end
        of a job that was claimed (any circuit); None if none ever was."""
        with self.engine.connect() as c:
            if c.execute(sa.select(sa.func.count()).select_from(jobs_t).where(
                    jobs_t.c.state == JobState.PROVING.value)).scalar():
                return time.time() if now is None else now
            row = c.execute(sa.select(sa.func.max(jobs_t.c.started_at), sa.func.max(jobs_t.c.finished_at)).where(
                jobs_t.c.started_at.is_not(None))).first()
        seen = [x for x in (row or ()) if x is not None]
        return max(seen) if seen else None

    def key_fingerprint(self, fingerprint: str) -> str:
        """Record the farm's payload-key fingerprint if none is; return the one recorded."""
        with self.engine.begin() as c:
            have = c.execute(sa.select(farm_meta_t.c.value).where(farm_meta_t.c.name == "payload_key")).scalar()
            if have is not None:
                return have
            try:
                with c.begin_nested():
                    c.execute(farm_meta_t.insert().values(name="payload_key", value=fingerprint))
            except IntegrityError:
                return c.execute(sa.select(farm_meta_t.c.value).where(farm_meta_t.c.name == "payload_key")).scalar()
        return fingerprint

    def scrub(self) -> bool:
        """Make erased payloads leave the disk: SQLite's write-ahead log checkpointed and truncated (its old
        frames hold every page as it was), PostgreSQL's dead row versions of the jobs table vacuumed.
        False when the store was busy (try again later)."""
        name = self.engine.dialect.name
        if name == "sqlite":
            with self.engine.connect() as c:
                busy = c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").first()
            return busy is None or busy[0] == 0
        if name == "postgresql":
            if time.monotonic() - self._vacuumed < 10.0:  # at most every 10 s: still due
                return False
            with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.exec_driver_sql("VACUUM jobs")
            self._vacuumed = time.monotonic()
            return True
        return True

    def put_circuit(self, info: CircuitInfo) -> None:
        now = time.time()
        blob = json.dumps(info.to_json())
        with self.engine.begin() as c:
            n = c.execute(sa.update(circuits_t).where(circuits_t.c.id == info.id).values(info=blob,
                                                                                        updated_at=now)).rowcount
            if n == 0:
                try:
                    c.execute(circuits_t.insert().values(id=info.id, info=blob, updated_at=now))
                except IntegrityError:  # a twin worker got there first
                    pass

    def circuits(self) -> list[CircuitInfo]:
        with self.engine.connect() as c:
            rows = c.execute(sa.select(circuits_t.c.info).order_by(circuits_t.c.id)).scalars().all()
        return [CircuitInfo(**json.loads(r)) for r in rows]

    # -- API keys -----------------------------------------------------------------------------------------
    def add_api_key(self, key_id: str, key_hash: str, *, rate_per_s: float, burst: int, max_active: int,
                    label: str = "") -> None:
        with self.engine.begin() as c:
            c.execute(api_keys_t.insert().values(key_id=key_id, key_hash=key_hash, created_at=time.time(),
                                                 rate_per_s=rate_per_s, burst=burst, max_active=max_active,
                                                 revoked=False, label=label))

    def revoke_api_key(self, key_id: str) -> bool:
        with self.engine.begin() as c:
            return c.execute(sa.update(api_keys_t).where(api_keys_t.c.key_id == key_id).values(revoked=True)
                             ).rowcount == 1

    def api_key(self, key_id: str) -> ApiKeyRecord | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(api_keys_t).where(api_keys_t.c.key_id == key_id)).mappings().first()
        if r is None:
            return None
        return ApiKeyRecord(r["key_id"], r["key_hash"], r["rate_per_s"], r["burst"], r["max_active"], r["revoked"])

    def ping(self) -> None:
        with self.engine.connect() as c:
            c.execute(sa.text("SELECT 1"))


def _loads(s: str | None) -> Any:
    return None if s is None else json.loads(s)


def _job(row: Any, trs: Sequence[Any]) -> Job:
    return Job(
        id=row["id"],
        circuit=row["circuit"],
        state=JobState(row["state"]),
        created_at=row["created_at"],
        deadline=row["deadline"],
        attempts=row["attempts"],
        public_signals=_loads(row["public_signals"]),
        proof=_loads(row["proof"]),
        calldata=row["calldata"],
        error=row["error"],
        timings=_loads(row["timings"]) or {},
        transitions=tuple(Transition(JobState(t["state"]), t["at"], t["detail"]) for t in trs),
        webhook_url=row["webhook_url"],
    )
