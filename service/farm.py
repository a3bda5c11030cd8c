"""The API process's farm: store, broker client, jobs layer, sweeper, metrics and webhooks, wired.

`Farm.from_settings(settings)` builds it; `start()` starts the sweeper and the webhook dispatcher;
`close()` stops them. REST (`service.rest.make_app`) and gRPC (`service.grpc_api.make_grpc_server`)
take its `jobs`.
"""

from __future__ import annotations

import logging
import threading
import time

from .config import Settings
from .jobs import Jobs
from .metrics import Metrics
from .model import Job, JobState, Principal
from .queue import make_celery, publish
from .store import JobStore
from .sweeper import Sweeper
from .webhooks import DeliveryResult, WebhookDispatcher, new_event

log = logging.getLogger("hush.farm")


class Farm:
    def __init__(self, settings: Settings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.celery = make_celery(settings)
        self.metrics = Metrics()
        self.jobs = Jobs(settings, store, self.publish)
        self.jobs.metrics = self.metrics
        self.dispatcher = WebhookDispatcher(
            self._on_delivery, deliver_kwargs={"allow_private": settings.webhook_allow_private})
        self.sweeper = Sweeper(store, settings, self.publish, on_finished=self._on_finished)
        self._webhooks_sent: set[str] = set()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> Farm:
        return cls(settings, JobStore(settings.database_url))

    def publish(self, job_id: str, circuit: str, sealed: str, fault: str | None = None) -> None:
        publish(self.celery, job_id, circuit, sealed, fault)

    def start(self) -> None:
        for job in self.store.webhooks_pending():  # deliveries a previous API process did not finish
            self._send_webhook(job)
        self.sweeper.start()

    def close(self) -> None:
        self.sweeper.stop()
        self.dispatcher.close()
        self.store.dispose()

    # -- observers ------------------------------------------------------------------------------------
    def _on_finished(self, job: Job) -> None:
        m = self.metrics
        m.finished.labels(job.circuit, job.state.value).inc()
        end = job.transitions[-1].at if job.transitions else time.time()
        if job.state is JobState.EXPIRED or end > job.deadline:
            m.budget_misses.labels(job.circuit).inc()
        if job.state is JobState.DEAD:
            m.dead.labels(job.circuit).inc()
        if job.state is JobState.SUCCEEDED:
            m.end_to_end.labels(job.circuit).observe(end - job.created_at)
            for stage, secs in job.timings.items():
                m.stage.labels(job.circuit, stage).observe(secs)
        if job.webhook_url:
            self._send_webhook(job)

    def _send_webhook(self, job: Job) -> None:
        with self._lock:
            if job.id in self._webhooks_sent:
                return
            self._webhooks_sent.add(job.id)
        key_id = self.store.key_of(job.id) or "anonymous"
        secret = self.jobs.webhook_secret(Principal(key_id))
        event = new_event(f"proof.{job.state.value}", job.to_json())
        if not self.dispatcher.submit(job.id, job.webhook_url or "", secret, event):
            with self._lock:
                self._webhooks_sent.discard(job.id)

    def _on_delivery(self, job_id: str, result: DeliveryResult) -> None:
        if result.aborted:
            return
        self.metrics.webhooks.labels("delivered" if result.delivered else "dead_lettered").inc()
        job = self.store.job_row(job_id)
        self.store.record_delivery(job_id, (job or {}).get("webhook_url") or "", attempts=result.attempts,
                                   delivered=result.delivered, dead_lettered=result.dead_lettered,
                                   last_error=result.last_error)

    def refresh_gauges(self) -> None:
        m = self.metrics
        for c, d in self.jobs.queue_depths().items():
            m.queue_depth.labels(c).set(d)
        live = self.store.live_workers()
        for c in self.settings.circuits:
            m.workers.labels(c).set(sum(1 for w in live if c in w.circuits))
