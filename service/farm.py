"""The API process's farm: store, broker client, jobs layer, sweeper, metrics and webhooks, wired.

`Farm.from_settings(settings)` builds it; `start()` starts the sweeper and the webhook service
(service.webhooks.dispatch: durable events in the store, attempts as tasks on the queue hush.webhooks);
`close()` stops them. REST (`service.rest.make_app`) and gRPC (`service.grpc_api.make_grpc_server`)
take its `jobs`.
"""

from __future__ import annotations

import logging
import time

from .config import Settings
from .jobs import Jobs
from .metrics import Metrics
from .model import Job, JobState, Principal
from .queue import make_celery, publish, publish_probe
from .sealing import PayloadKeyMismatch, check_payload_key  # noqa: F401 (PayloadKeyMismatch: callers')
from .store import JobStore
from .sweeper import Sweeper
from .webhooks.dispatch import TASK_DELIVER, WEBHOOK_QUEUE, Policy, WebhookService

log = logging.getLogger("hush.farm")


class Farm:
    def __init__(self, settings: Settings, store: JobStore) -> None:
        self.settings = settings
        self.store = store
        self.celery = make_celery(settings)
        self.metrics = Metrics()
        self.jobs = Jobs(settings, store, self.publish)
        self.jobs.metrics = self.metrics
        self.webhooks = WebhookService(
            store, lambda key_id: self.jobs.webhook_secret(Principal(key_id)),
            policy=Policy.from_env(allow_private=settings.webhook_allow_private), publish=self.publish_webhook,
            connection=self.celery.connection_for_read,
            on_outcome=lambda outcome: self.metrics.webhooks.labels(outcome).inc())
        self.sweeper = Sweeper(store, settings, self.publish, on_finished=self._on_finished, probe=self.probe)
        self.jobs.stalled = self.sweeper.stalled

    @classmethod
    def from_settings(cls, settings: Settings) -> Farm:
        store = JobStore(settings.database_url)
        check_payload_key(store, settings.payload_key)
        return cls(settings, store)

    def probe(self, probe_id: str, circuit: str) -> None:
        publish_probe(self.celery, probe_id, circuit)

    def publish(self, job_id: str, circuit: str, sealed: str, fault: str | None = None) -> None:
        publish(self.celery, job_id, circuit, sealed, fault)

    def publish_webhook(self, event_id: str, attempt: int) -> None:
        self.celery.send_task(TASK_DELIVER, args=[event_id, attempt], queue=WEBHOOK_QUEUE, retry=True,
                              retry_policy={"max_retries": 2, "interval_start": 0.1, "interval_step": 0.2,
                                            "interval_max": 0.5})

    def start(self) -> None:
        self.sweeper.start()
        self.webhooks.start()  # its first pass also takes up the events a previous API process left

    def close(self) -> None:
        self.sweeper.stop()
        self.webhooks.close()
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

    def refresh_gauges(self) -> None:
        m = self.metrics
        for c, d in self.jobs.queue_depths().items():
            m.queue_depth.labels(c).set(d)
        live = self.store.live_workers()
        for c in self.settings.circuits:
            m.workers.labels(c).set(sum(1 for w in live if c in w.circuits))
            m.consuming.labels(c).set(0 if c in self.sweeper.stalled else 1)
