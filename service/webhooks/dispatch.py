"""Durable webhook delivery: an event per finished job in the job store, attempts as Celery tasks on their own queue.

The job store is the truth (table webhook_events, see service.store); every step is a compare-and-set
on it, so several API processes share the work and never make the same attempt twice:

    job ends (with a webhook_url)
      -> event row: id "msg_<32 hex>" made once, for ever (unique per job), the body fixed, state pending
    scheduler (each API process, every second): a due event (pending and next_at <= now, or queued or
    sending whose lease ran out: a process died holding it)
      -> queued (lease), task hush.webhook.deliver(event_id, n) published on the durable queue hush.webhooks
    consumer (each API process's delivery threads; late ack): queued with n - 1 attempts made -> sending, n
      -> one signed POST (delivery.attempt) -> delivered | pending again at now + backoff(n) | dead

An API restart loses nothing: the event keeps its id and its attempt count (no fresh budget); the
next process's scheduler picks it up when it is due. Backoff: 1 s, 2 s, 4 s ... up to 1 hour between
attempts (plus up to 25% jitter); after HUSH_WEBHOOK_MAX_ATTEMPTS attempts (default 20: about 9
hours; HUSH_WEBHOOK_MAX_DELAY_S caps the wait between two) the event is dead:
the row keeps the last status and error (the dead-letter record), the log says ALERT, the metric
hush_webhook_deliveries_total{outcome="dead"} counts it, and `hush farm webhooks replay <event id>`
sends it again, under the same id, with a fresh budget. `hush farm webhooks list --dead` lists them.

A receiver may see an event more than once (our process dies after its POST and before the store
records the answer): it de-duplicates by webhook-id (service.webhooks.WebhookReceiver does).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..model import TERMINAL, Job
from ..store import JobStore, jobs_t, webhook_events_t
from .delivery import AttemptResult, Poster, attempt, backoff
from .signing import encode_event
from .targets import Resolver

__all__ = ["TASK_DELIVER", "WEBHOOK_QUEUE", "Outbox", "Policy", "WebhookService", "add_parsers"]

log = logging.getLogger("hush.webhooks")

WEBHOOK_QUEUE = "hush.webhooks"
TASK_DELIVER = "hush.webhook.deliver"
ev = webhook_events_t


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 20
    base_s: float = 1.0
    max_delay_s: float = 3600.0
    timeout_s: float = 5.0
    """httpx's per-phase timeout of one POST."""
    lease_s: float = 60.0
    """A queued or sending event nobody finished within this is due again (its process died)."""
    allow_private: bool = False

    @classmethod
    def from_env(cls, *, allow_private: bool = False) -> Policy:
        """HUSH_WEBHOOK_MAX_ATTEMPTS (default 20) and HUSH_WEBHOOK_MAX_DELAY_S (default 3600)."""
        return cls(max_attempts=int(os.environ.get("HUSH_WEBHOOK_MAX_ATTEMPTS", "20")),
                   max_delay_s=float(os.environ.get("HUSH_WEBHOOK_MAX_DELAY_S", "3600")), allow_private=allow_private)


def new_event_id() -> str:
    return "msg_" + secrets.token_hex(16)


class Outbox:
    """The webhook_events table: every transition a compare-and-set."""

    def __init__(self, store: JobStore, policy: Policy) -> None:
        self.store, self.policy = store, policy

    def create_for(self, job: Job, key_id: str, now: float) -> str:
        """The event of a finished job: made once (the job's one event id, for ever), else the existing id."""
        body = encode_event({"type": f"proof.{job.state.value}", "timestamp": int(now), "data": job.to_json()})
        event_id = new_event_id()
        try:
            with self.store.engine.begin() as c:
                c.execute(ev.insert().values(event_id=event_id, job_id=job.id, key_id=key_id, url=job.webhook_url,
                                             type=f"proof.{job.state.value}", body=body.decode(), state="pending",
                                             attempts=0, next_at=now, created_at=now, updated_at=now))
        except sa.exc.IntegrityError:  # another process made it first: its id is the one
            pass
        with self.store.engine.connect() as c:
            return c.execute(sa.select(ev.c.event_id).where(ev.c.job_id == job.id)).scalar_one()

    def jobs_without_event(self, finished_since: float | None, limit: int = 200) -> list[str]:
        """Finished jobs with a webhook_url and no event yet (all of them when finished_since is None)."""
        q = (sa.select(jobs_t.c.id).select_from(jobs_t.outerjoin(ev, ev.c.job_id == jobs_t.c.id))
             .where(jobs_t.c.webhook_url.is_not(None), jobs_t.c.webhook_state == "pending",
                    jobs_t.c.state.in_([s.value for s in TERMINAL]), ev.c.event_id.is_(None)))
        if finished_since is not None:
            q = q.where(jobs_t.c.finished_at >= finished_since)
        with self.store.engine.connect() as c:
            return list(c.execute(q.limit(limit)).scalars())

    def due(self, now: float, limit: int = 100) -> list[dict[str, Any]]:
        with self.store.engine.connect() as c:
            rows = c.execute(sa.select(ev.c.event_id, ev.c.state, ev.c.attempts).where(sa.or_(
                sa.and_(ev.c.state == "pending", ev.c.next_at <= now),
                sa.and_(ev.c.state.in_(["queued", "sending"]), ev.c.lease_until < now),
            )).order_by(ev.c.next_at).limit(limit)).mappings().all()
        return [dict(r) for r in rows]

    def enqueue(self, row: dict[str, Any], now: float) -> int | str | None:
        """Take a due event for its next attempt (queued, leased): the attempt's number; "dead" when the attempt
        lost with the process that made it was the last; None when another process took it first."""
        n = row["attempts"]
        if row["state"] == "sending" and n >= self.policy.max_attempts:
            died = self._set(row, now, state="dead", lease_until=None,
                             last_error="the last attempt was lost with its process")
            return "dead" if died else None
        ok = self._set(row, now, state="queued", lease_until=now + self.policy.lease_s)
        return n + 1 if ok else None

    def _set(self, row: dict[str, Any], now: float, **values: Any) -> bool:
        with self.store.engine.begin() as c:
            return c.execute(sa.update(ev).where(ev.c.event_id == row["event_id"], ev.c.state == row["state"],
                                                 ev.c.attempts == row["attempts"])
                             .values(updated_at=now, **values)).rowcount == 1

    def start_attempt(self, event_id: str, n: int, now: float) -> dict[str, Any] | None:
        """queued with n - 1 attempts made -> sending with n: the row, or None when this task is stale."""
        lease = now + 4 * self.policy.timeout_s + 30.0
        with self.store.engine.begin() as c:
            won = c.execute(sa.update(ev).where(ev.c.event_id == event_id, ev.c.state == "queued",
                                                ev.c.attempts == n - 1)
                            .values(state="sending", attempts=n, lease_until=lease, updated_at=now)).rowcount == 1
            if not won:
                return None
            return dict(c.execute(sa.select(ev).where(ev.c.event_id == event_id)).mappings().one())

    def finish_attempt(self, event_id: str, n: int, result: AttemptResult, now: float, *,
                       rng: Callable[[], float] | None = None) -> str:
        """Record attempt n's answer: "delivered", "retry" (pending again) or "dead"; "lost" if it was taken over."""
        p = self.policy
        values: dict[str, Any] = {"last_status": result.status, "last_error": result.error, "updated_at": now,
                                  "lease_until": None}
        if result.outcome == "delivered":
            outcome = values["state"] = "delivered"
        elif result.outcome == "retry" and n < p.max_attempts:
            outcome, values["state"] = "retry", "pending"
            kw = {"rng": rng} if rng is not None else {}
            values["next_at"] = now + backoff(n, base_s=p.base_s, max_s=p.max_delay_s, retry_after=result.retry_after,
                                              **kw)
        else:
            outcome = values["state"] = "dead"
        with self.store.engine.begin() as c:
            ok = c.execute(sa.update(ev).where(ev.c.event_id == event_id, ev.c.state == "sending",
                                               ev.c.attempts == n).values(**values)).rowcount == 1
        return outcome if ok else "lost"

    def replay(self, event_id: str, now: float) -> bool:
        """A dead event: pending again now, same id, a fresh budget (the operator decided)."""
        with self.store.engine.begin() as c:
            return c.execute(sa.update(ev).where(ev.c.event_id == event_id, ev.c.state == "dead").values(
                state="pending", attempts=0, next_at=now, lease_until=None, updated_at=now)).rowcount == 1

    def get(self, event_id: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as c:
            r = c.execute(sa.select(ev).where(ev.c.event_id == event_id)).mappings().first()
        return dict(r) if r is not None else None

    def of_job(self, job_id: str) -> dict[str, Any] | None:
        with self.store.engine.connect() as c:
            r = c.execute(sa.select(ev).where(ev.c.job_id == job_id)).mappings().first()
        return dict(r) if r is not None else None

    def list(self, state: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        q = sa.select(ev.c.event_id, ev.c.job_id, ev.c.url, ev.c.type, ev.c.state, ev.c.attempts, ev.c.last_status,
                      ev.c.last_error, ev.c.created_at, ev.c.updated_at)
        if state is not None:
            q = q.where(ev.c.state == state)
        with self.store.engine.connect() as c:
            return [dict(r) for r in c.execute(q.order_by(ev.c.updated_at.desc()).limit(limit)).mappings()]


class WebhookService:
    """The API process's part: a scheduler thread and `consumers` delivery threads (see the module docstring).

    secret_of(key_id) gives the key's webhook secret; publish(event_id, n) sends the task (the farm's
    Celery app); connection() opens a broker connection for the consumers (None: no consumer threads,
    the caller runs `run_task` itself)."""

    def __init__(self, store: JobStore, secret_of: Callable[[str], bytes], *, policy: Policy | None = None,
                 publish: Callable[[str, int], None], connection: Callable[[], Any] | None = None,
                 consumers: int = 2, interval_s: float = 1.0, on_outcome: Callable[[str], None] | None = None,
                 post: Poster | None = None, resolve: Resolver | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.policy = policy or Policy()
        self.outbox = Outbox(store, self.policy)
        self.store, self.secret_of, self.publish, self.connection = store, secret_of, publish, connection
        self.consumers, self.interval_s, self.on_outcome = consumers, interval_s, on_outcome
        self.post, self.resolve, self.clock = post, resolve, clock
        self._since: float | None = None  # None: the first tick scans every finished job (a restart)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- scheduling ---------------------------------------------------------------------------------
    def tick(self, now: float | None = None) -> int:
        """Make the events of newly finished jobs, then queue every due event; returns how many were queued."""
        now = self.clock() if now is None else now
        since, self._since = self._since, now - 30.0
        for job_id in self.outbox.jobs_without_event(since):
            job = self.store.get_job(job_id)
            if job is not None and job.webhook_url:
                self.outbox.create_for(job, self.store.key_of(job_id) or "anonymous", now)
        queued = 0
        for row in self.outbox.due(now):
            n = self.outbox.enqueue(row, now)
            if n == "dead":
                self._finished(row["event_id"], "dead")
            if not isinstance(n, int):
                continue
            try:
                self.publish(row["event_id"], n)
                queued += 1
            except Exception as e:  # broker down: the lease runs out and the event is due again
                log.warning("publish of webhook %s failed (%s); retried when its lease ends", row["event_id"],
                            type(e).__name__)
        return queued

    # -- one attempt (the task) ---------------------------------------------------------------------
    def run_task(self, event_id: str, n: int) -> str:
        """The body of task hush.webhook.deliver: make attempt n of the event, record its answer."""
        row = self.outbox.start_attempt(event_id, n, self.clock())
        if row is None:
            return "stale"
        result = attempt(row["url"], self.secret_of(row["key_id"]), event_id, row["body"].encode(),
                         allow_private=self.policy.allow_private, timeout=self.policy.timeout_s, post=self.post,
                         resolve=self.resolve, clock=self.clock)
        outcome = self.outbox.finish_attempt(event_id, n, result, self.clock())
        if outcome in ("delivered", "dead"):
            self._finished(event_id, outcome)
        if outcome == "retry":
            log.info("webhook %s attempt %d: %s; retrying", event_id, n, result.error)
        if self.on_outcome is not None and outcome != "lost":
            self.on_outcome(outcome)
        return outcome

    def _finished(self, event_id: str, outcome: str) -> None:
        row = self.outbox.get(event_id)
        if row is None:
            return
        if outcome == "dead":
            log.error("ALERT webhook %s of job %s is dead after %d attempts (%s); `hush farm webhooks replay %s`",
                      event_id, row["job_id"], row["attempts"], row["last_error"], event_id)
        self.store.record_delivery(row["job_id"], row["url"], attempts=row["attempts"],
                                   delivered=outcome == "delivered", dead_lettered=outcome == "dead",
                                   last_error=row["last_error"])

    # -- threads ------------------------------------------------------------------------------------
    def start(self) -> None:
        self._threads = [threading.Thread(target=self._schedule, name="hush-webhook-scheduler", daemon=True)]
        if self.connection is not None:
            self._threads += [threading.Thread(target=self._consume, name=f"hush-webhooks-{i}", daemon=True)
                              for i in range(self.consumers)]
        for t in self._threads:
            t.start()

    def close(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def _schedule(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception as e:  # store down: try again
                log.warning("webhook scheduling failed: %s", type(e).__name__)
            self._stop.wait(self.interval_s)

    def _consume(self) -> None:
        from kombu import Exchange, Queue

        queue = Queue(WEBHOOK_QUEUE, Exchange(WEBHOOK_QUEUE, type="direct"), routing_key=WEBHOOK_QUEUE)
        while not self._stop.is_set():
            try:
                assert self.connection is not None
                with self.connection() as conn, conn.Consumer(queue, callbacks=[self._on_message], accept=["json"],
                                                               prefetch_count=1):
                    _poll_slowly(conn)
                    while not self._stop.is_set():
                        try:
                            conn.drain_events(timeout=1.0)
                        except TimeoutError:
                            continue
            except Exception as e:  # broker down: reconnect
                log.warning("webhook consumer: %s; reconnecting", type(e).__name__)
                self._stop.wait(1.0)

    def _on_message(self, body: Any, message: Any) -> None:
        try:
            task = (message.headers or {}).get("task")
            args = body[0] if isinstance(body, list | tuple) else body.get("args", [])
            if task == TASK_DELIVER and len(args) == 2:
                self.run_task(str(args[0]), int(args[1]))
        except Exception as e:  # a delivery never raises; a store error leaves the lease to run out
            log.warning("webhook task failed: %s", type(e).__name__)
        finally:
            message.ack()


def _poll_slowly(conn: Any, interval_s: float = 1.0) -> None:
    """A broker without push (the embedded SQL transport, polled every 20 ms for proofs) is polled every
    `interval_s` by the webhook consumers: an idle farm costs less, and a webhook may wait that much."""
    transport = conn.transport
    polled = getattr(transport, "driver_type", "") in ("sql", "sqlalchemy")
    if polled and (transport.polling_interval or 0) < interval_s:
        transport.polling_interval = interval_s


# -- operators: hush farm webhooks ... ---------------------------------------------------------------

def add_parsers(farm_sub: argparse._SubParsersAction) -> None:
    w = farm_sub.add_parser("webhooks", help="webhook events: list them, replay a dead one").add_subparsers(
        dest="wcmd", required=True)
    c = w.add_parser("list", help="recent webhook events (HUSH_DATABASE_URL)")
    c.add_argument("--dead", action="store_true", help="only the dead (the dead-letter records)")
    c.add_argument("--limit", type=int, default=50)
    c.set_defaults(func=_cmd_list)
    c = w.add_parser("replay", help="send a dead event again, same id, a fresh budget of attempts")
    c.add_argument("event_id")
    c.set_defaults(func=_cmd_replay)


def _outbox() -> Outbox:
    from ..config import load_settings

    return Outbox(JobStore(load_settings().database_url), Policy())


def _cmd_list(a: argparse.Namespace) -> int:
    for r in _outbox().list("dead" if a.dead else None, a.limit):
        print(json.dumps({k: r[k] for k in ("event_id", "job_id", "type", "state", "attempts", "last_status",
                                            "last_error", "url")}))
    return 0


def _cmd_replay(a: argparse.Namespace) -> int:
    if _outbox().replay(a.event_id, time.time()):
        print(f"{a.event_id}: pending again; a running API process sends it within a second")
        return 0
    print(f"{a.event_id}: no dead event with this id")
    return 1
