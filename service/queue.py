"""The Celery side both processes share: the app, one queue per circuit, publishing by task name.

The API process publishes `hush.prove` by name and never imports the worker (nor the prover).
Delivery settings follow the farm's contract: late acks, prefetch 1, reject on worker lost, a hard
time limit below the broker's visibility timeout. The job store, not the broker, is the truth: a
message lost or delivered twice is repaired there (see service.store and service.sweeper).
"""

from __future__ import annotations

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES
from kombu.transport import sqlalchemy as kombu_sqla

from .config import Settings

TASK_PROVE = "hush.prove"


class EmbeddedSqlTransport(kombu_sqla.Transport):
    """kombu's SQLAlchemy transport (the embedded broker: a SQLite file, no server), polled every 20 ms
    (kombu's default is 1 s, which would eat a fifth of the budget). kombu hands every transport
    option to create_engine, so the interval is a class attribute here, not an option."""

    polling_interval = 0.02


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
