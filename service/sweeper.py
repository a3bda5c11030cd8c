"""Repairs that make the store, not the broker, the source of truth. Runs in the API process.

Every tick it looks at the jobs that can still run:
- queued past its deadline -> expired;
- proving, but its attempt is lost (the owner's heartbeat stopped: SIGKILL, hard time limit, a
  machine gone; or its lease ran out) -> queued and published again, or dead after the last attempt;
- queued and not taken for `republish_s` (the broker lost the message: killed, restarted empty)
  -> published again from the sealed payload kept in the store. A duplicate message is harmless:
  only one claim can win (service.store.JobStore.claim).
and it observes the jobs that finished since the last tick once (metrics, webhooks).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from .config import Settings
from .model import Job, JobState
from .store import JobStore, WorkerInfo

log = logging.getLogger("hush.sweeper")

HEARTBEAT_STALE_S = 10.0


def attempt_lost(row: dict[str, Any], live: list[WorkerInfo], *, now: float) -> bool:
    """Whether a proving job's current attempt can no longer finish."""
    if row["lease_until"] is not None and now > row["lease_until"]:
        return True
    return row["owner"] not in {w.id for w in live}


def requeue_lost(store: JobStore, settings: Settings, row: dict[str, Any]) -> bool:
    """proving -> queued for a lost attempt (True), or -> dead after the last attempt (False)."""
    why = f"attempt {row['attempts']} lost (worker {row['owner']} gone or its lease expired)"
    if row["attempts"] >= settings.max_attempts:
        if store.transition(row["id"], JobState.DEAD, expect=[JobState.PROVING], attempts=row["attempts"],
                            owner=row["owner"], detail=why,
                            error=f"every attempt was lost; gave up after {row['attempts']} attempts"):
            log.error("ALERT job %s is dead after %d attempts", row["id"], row["attempts"])
        return False
    return store.transition(row["id"], JobState.QUEUED, expect=[JobState.PROVING], attempts=row["attempts"],
                            owner=row["owner"], detail=why)


class Sweeper:
    def __init__(
        self,
        store: JobStore,
        settings: Settings,
        publish: Callable[[str, str, str, str | None], None],
        *,
        on_finished: Callable[[Job], None] | None = None,
        interval_s: float = 0.25,
        republish_s: float = 10.0,
    ) -> None:
        self.store, self.settings, self.publish = store, settings, publish
        self.on_finished = on_finished
        self.interval_s, self.republish_s = interval_s, republish_s
        self._since = time.time() - 1.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hush-sweeper", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.tick()
            except Exception as e:  # store or broker down: keep trying, the jobs are safe
                log.warning("sweep failed: %s", type(e).__name__)

    def tick(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        live = self.store.live_workers(within_s=HEARTBEAT_STALE_S, now=now)
        for row in self.store.active_jobs():
            jid = row["id"]
            if row["state"] == JobState.QUEUED.value:
                if now > row["deadline"]:
                    self.store.transition(jid, JobState.EXPIRED, expect=[JobState.QUEUED], attempts=row["attempts"],
                                          detail="deadline passed while queued",
                                          error="deadline passed before a worker took it")
                elif row["enqueued_at"] is None or now - row["enqueued_at"] > self.republish_s:
                    self._republish(jid, row["circuit"])
            elif attempt_lost(row, live, now=now):
                if requeue_lost(self.store, self.settings, row):
                    self._republish(jid, row["circuit"])
        if self.on_finished is not None:
            for job in self.store.finished_since(self._since):
                self._since = max(self._since, job.transitions[-1].at if job.transitions else now)
                try:
                    self.on_finished(job)
                except Exception as e:
                    log.warning("observer failed for job %s: %s", job.id, type(e).__name__)

    def _republish(self, job_id: str, circuit: str) -> None:
        row = self.store.job_row(job_id)
        if row is None or row["sealed"] is None or row["state"] != JobState.QUEUED.value:
            return
        self.publish(job_id, circuit, row["sealed"], row.get("fault"))
        self.store.mark_enqueued(job_id)
