"""The Celery side both processes share: the app, one queue per circuit, publishing by task name.

The API process publishes `hush.prove` by name and never imports the worker (nor the prover).
Delivery settings follow the farm's contract: late acks, prefetch 1, reject on worker lost, a hard
time limit below the broker's visibility timeout. The job store, not the broker, is the truth: a
message lost or delivered twice is repaired there (see service.store and service.sweeper).
"""

from __future__ import annotations

import ctypes
import functools
import os
import sys
from json import loads
from queue import Empty

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla
from kombu.utils.encoding import bytes_to_str
from sqlalchemy import event as sa_event
from sqlalchemy import text

from .config import Settings

TASK_PROVE = "hush.prove"
TASK_PROBE = "hush.probe"


class EmbeddedChannel(kombu_sqla.Channel):
    """kombu's SQL channel, except that a delivered message is deleted, not kept with visible = 0.

    kombu never reads a delivered row again (an unacknowledged message is restored from the
    consumer's memory, and the job store repairs what a dead consumer loses), so keeping it only
    kept every job's sealed inputs on disk for ever, beside the payload key. The broker's SQLite file
    zeroes what it deletes (secure_delete) and keeps no write-ahead log: after a job is taken,
    nothing of its message is left in the file (SECURITY 39)."""

    def _get(self, queue):
        obj = self._get_or_create(queue)
        if self.session.bind.name == "sqlite":
            self.session.execute(text("BEGIN IMMEDIATE TRANSACTION"))
        try:
            msg = (self.session.query(self.message_cls).with_for_update()
                   .filter(self.message_cls.queue_id == obj.id, self.message_cls.visible != False)  # noqa: E712
                   .order_by(self.message_cls.sent_at, self.message_cls.id).limit(1).first())
            if msg is None:
                raise Empty()
            payload = loads(bytes_to_str(msg.payload))
            self.session.delete(msg)
            return payload
        finally:
            self.session.commit()



def _sqlite_broker_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA secure_delete=ON")  # deleted rows are overwritten with zeros, not left in free pages
    cur.execute("PRAGMA journal_mode=DELETE")  # no WAL holding old pages; the rollback journal is unlinked
    cur.close()


class EmbeddedSqlTransport(kombu_sqla.Transport):
    """kombu's SQLAlchemy transport (the embedded broker: a SQLite file, no server), woken when the file changes.

    kombu polls an SQL broker every `polling_interval` from a blocking loop, which made Celery run its
    synchronous prefork pool: idle pool children share one pipe behind one lock, and a child killed
    while it waits on that pipe (SIGKILL of an idle child) holds the lock for ever, so its replacement
    never gets a job. This transport says it is asynchronous: Celery then runs its event loop and the
    asynchronous pool (a pipe per child), and the loop drains the broker when the file changes
    (inotify on Linux: a job is taken as soon as it is committed, and an idle farm costs nothing) and
    once a second in case a change was missed. Without inotify (or off SQLite) it polls every 20 ms.
    kombu hands every transport option to create_engine, so these are class attributes."""

    Channel = EmbeddedChannel
    implements = kombu_sqla.Transport.implements.extend(asynchronous=True)
    polling_interval = 0.02
    idle_poll_s = 1.0

    def _engine_from_config(self):  # noqa: D401 (kombu's hook)
        engine = super()._engine_from_config()
        if engine.url.get_backend_name() == "sqlite":
            sa_event.listen(engine, "connect", _sqlite_broker_pragmas)
        return engine

    def register_with_event_loop(self, connection, loop) -> None:
        url = str(self.client.hostname or "")
        path = url.split(":///", 1)[1] if url.startswith("sqlite:///") and ":memory:" not in url else None
        if path and not os.path.exists(path):
            open(path, "ab").close()  # an empty file is an empty database: watch it from the start
        fd = _inotify_modify(path) if path else None
        drain = functools.partial(self._drain_ready, connection)
        if fd is None:
            loop.call_repeatedly(self.polling_interval, drain)
            return

        def on_change() -> None:
            try:
                while os.read(fd, 4096):
                    pass
            except BlockingIOError:
                pass
            drain()

        loop.add_reader(fd, on_change)
        loop.call_repeatedly(self.idle_poll_s, drain)

    def _drain_ready(self, connection) -> None:
        """Deliver every message the consumer may take now (prefetch permitting), without blocking."""
        for _ in range(64):
            try:
                self.drain_events(connection, timeout=0)
            except (TimeoutError, Empty):
                return


def _inotify_modify(path: str) -> int | None:
    """A non-blocking inotify descriptor that becomes readable when `path` is written, or None."""
    if not sys.platform.startswith("linux") or not os.path.exists(path):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if fd < 0:
            return None
        in_modify = 0x00000002
        if libc.inotify_add_watch(fd, os.fsencode(path), in_modify) < 0:
            os.close(fd)
            return None
        return fd
    except (OSError, AttributeError):
        return None


TRANSPORT_ALIASES.setdefault("hushsql", f"{__name__}:EmbeddedSqlTransport")


def queue_name(circuit: str) -> str:
    return f"hush.prove.{circuit}"


def make_celery(settings: Settings) -> Celery:
    app = Celery("hush", broker=settings.broker_url, set_as_current=False)
    transport: dict = {}
    if settings.broker_url.startswith(("redis", "rediss")):
        transport["visibility_timeout"] = settings.visibility_timeout_s
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=settings.time_limit_s,
        task_soft_time_limit=max(1.0, settings.time_limit_s - 5),
        broker_transport_options=transport,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,
        task_default_queue=queue_name(settings.circuits[0] if settings.circuits else "default"),
        worker_proc_alive_timeout=600,  # the child warms its provers before taking work
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_send_sent_event=False,
        broker_pool_limit=4,
    )
    return app


def publish(app: Celery, job_id: str, circuit: str, sealed: str, fault: str | None = None) -> None:
    """Enqueue one proving attempt for a job (the payload sealed; see service.sealing)."""
    app.send_task(TASK_PROVE, args=[job_id, sealed], kwargs={"fault": fault} if fault else {},
                  queue=queue_name(circuit), retry=True,
                  retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2, "interval_max": 0.5})


def publish_probe(app: Celery, probe_id: str, circuit: str) -> None:
    """A consumer probe on a circuit's queue (see service.sweeper): a worker answers it in the store."""
    app.send_task(TASK_PROBE, args=[probe_id], queue=queue_name(circuit), expires=60, retry=False)
