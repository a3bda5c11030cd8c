"""Repairs that make the store, not the broker, the source of truth. Runs in the API process.

Every tick it looks at the jobs that can still run:
- queued past its deadline -> expired;
- proving, but its attempt is lost (the owner's heartbeat stopped: SIGKILL, hard time limit, a
  machine gone; or its lease ran out) -> queued and published again, or dead after the last attempt;
- queued and not taken for `republish_s` (the broker lost the message: killed, restarted empty)
  -> published again from the sealed payload kept in the store. A duplicate message is harmless:
  only one claim can win (service.store.JobStore.claim).
It observes the jobs that finished since the last tick once (metrics, webhooks) and then scrubs the
store (erased payloads leave the disk). It deletes the registrations of workers gone for good.

A worker of this machine that dies is known dead at its next tick (its process is gone), not when
its heartbeat goes stale. And it checks that the farm consumes: every `probe_s` a probe task goes to
each circuit's queue and a worker answers it in the store; a probe sent while the workers were idle
and unanswered after `stall_s` means no consumer takes that queue's work (a wedged pool, a worker
that lost its broker), which readiness, admission, the log and the `hush_farm_consuming` metric
report. (A probe that went out while they proved may wait, or expire, behind their jobs: once they
are idle again it is asked again, not counted.)
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any

from .config import Settings
from .model import Job, JobState
from .store import HOSTNAME, JobStore, WorkerInfo, local_pid_alive

log = logging.getLogger("hush.sweeper")

HEARTBEAT_STALE_S = 10.0


def attempt_lost(row: dict[str, Any], live: list[WorkerInfo], *, now: float) -> str | None:
    """Why a proving job's current attempt can no longer finish, or None if it still can."""
    owner = row["owner"] or ""
    if row["lease_until"] is not None and now > row["lease_until"]:
        return f"its lease ran out (worker {owner} holds it past the time limit)"
    host, _, pid = owner.rpartition(":")
    if host == HOSTNAME and pid.isdigit() and not local_pid_alive(int(pid)):
        return f"its worker process {owner} died (killed or crashed) while proving"
    if owner not in {w.id for w in live}:
        return f"its worker {owner} stopped beating (gone, or its machine is)"
    return None


def requeue_lost(store: JobStore, settings: Settings, row: dict[str, Any], reason: str | None = None) -> bool:
    """proving -> queued for a lost attempt (True), or -> dead after the last attempt (False)."""
    reason = reason or f"worker {row['owner']} gone or its lease expired"
    why = f"attempt {row['attempts']} lost: {reason}"
    if row["attempts"] >= settings.max_attempts:
        if store.transition(row["id"], JobState.DEAD, expect=[JobState.PROVING], attempts=row["attempts"],
                            owner=row["owner"], detail=why,
                            error=f"{why}; gave up after {row['attempts']} attempts"):
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
        probe: Callable[[str, str], None] | None = None,
        interval_s: float = 0.25,
        republish_s: float = 10.0,
        probe_s: float = 5.0,
        stall_s: float = 4.0,
    ) -> None:
        self.store, self.settings, self.publish = store, settings, publish
        self.on_finished, self.probe = on_finished, probe
        self.interval_s, self.republish_s = interval_s, republish_s
        self.probe_s, self.stall_s = probe_s, stall_s
        self.stalled: dict[str, str] = {}
        """Circuits no consumer takes, with why (what readiness, admission and the metric read)."""
        self._since = time.time() - 1.0
        self._probed: dict[str, float] = {}
        self._stalled_at: dict[str, float] = {}
        self._scrub_due = True
        self._expired_at = 0.0
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
                    if row["attempts"]:
                        error = (f"deadline passed while queued for attempt {row['attempts'] + 1}, after "
                                 f"attempt {row['attempts']} ended without a result (see the transitions)")
                    else:
                        error = "deadline passed before a worker took it"
                    self.store.transition(jid, JobState.EXPIRED, expect=[JobState.QUEUED], attempts=row["attempts"],
                                          detail="deadline passed while queued", error=error)
                elif row["enqueued_at"] is None or now - row["enqueued_at"] > self.republish_s:
                    self._republish(jid, row["circuit"])
            elif (why := attempt_lost(row, live, now=now)) is not None:
                log.warning("job %s: attempt %d lost: %s", jid, row["attempts"], why)
                if requeue_lost(self.store, self.settings, row, why):
                    self._republish(jid, row["circuit"])
        if self.on_finished is not None:
            for job in self.store.finished_since(self._since):
                self._since = max(self._since, job.transitions[-1].at if job.transitions else now)
                self._scrub_due = True
                try:
                    self.on_finished(job)
                except Exception as e:
                    log.warning("observer failed for job %s: %s", job.id, type(e).__name__)
        if self._scrub_due:
            self._scrub_due = not self.store.scrub()
        if now - self._expired_at > 1.0:
            self._expired_at = now
            for wid in self.store.expire_workers(now=now):
                log.info("worker %s is gone: its registration is deleted", wid)
        if self.probe is not None:
            self._check_consuming(live, now)

    def _check_consuming(self, live: list[WorkerInfo], now: float) -> None:
        """Probe each served circuit's queue; a probe left unanswered while nothing proves is a stall."""
        for circuit in self.settings.circuits:
            if not any(circuit in w.circuits for w in live):
                self._probed.pop(circuit, None)
                self._set_stalled(circuit, None, now)
                continue
            pending, last = self.store.probe_state(circuit)
            if pending is not None:
                worked = self.store.last_worked(now=now) or 0.0
                if worked >= pending:
                    # The workers were busy after the probe went out: it waits its turn (or expired in the
                    # queue). Still unanswered once they are idle again: ask again, do not conclude.
                    if now - worked > self.stall_s or now - pending > 60.0:
                        self.store.drop_probes(circuit=circuit, pending_only=True)
                        pending = None
                elif now - pending > self.stall_s:  # sent to idle workers, unanswered: nobody consumes
                    self._set_stalled(circuit, f"no worker has taken work from the {circuit} queue for "
                                               f"{now - pending:.0f} s although {len(live)} are registered", now)
            if circuit in self.stalled and last is not None and last >= self._stalled_at[circuit]:
                self._set_stalled(circuit, None, now)
            if pending is None and now - max(last or 0.0, self._probed.get(circuit, 0.0)) > self.probe_s:
                self._probed[circuit] = now
                self.store.drop_probes(circuit=circuit, before=now - 60.0)
                probe_id = "probe_" + secrets.token_hex(8)
                self.store.add_probe(probe_id, circuit, now=now)
                try:
                    self.probe(probe_id, circuit)
                except Exception as e:
                    log.warning("probe publish failed: %s", type(e).__name__)

    def _set_stalled(self, circuit: str, why: str | None, now: float) -> None:
        was = self.stalled.get(circuit)
        if why is None:
            if was is not None:
                log.warning("the farm consumes %s jobs again", circuit)
                del self.stalled[circuit]
            return
        if was is None:
            log.error("ALERT the farm is not consuming: %s", why)
            self._stalled_at[circuit] = now
        self.stalled[circuit] = why

    def _republish(self, job_id: str, circuit: str) -> None:
        row = self.store.job_row(job_id)
        if row is None or row["sealed"] is None or row["state"] != JobState.QUEUED.value:
            return
        self.publish(job_id, circuit, row["sealed"], row.get("fault"))
        self.store.mark_enqueued(job_id)
