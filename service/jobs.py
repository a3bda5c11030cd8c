"""The jobs layer: what REST and gRPC both call. Blocking and thread-safe; never imports the prover.

submit: authenticate -> check the inputs' shape and range (422 before anything is enqueued) -> idempotency
(the same key and the same request -- circuit, inputs, deadline_s, webhook_url -- return the same job;
anything else under a used key is a conflict, 409) -> rate limit and concurrency cap per key (429) ->
the circuit's rules checked with the Python twin (transfer.rules: 422 naming the rule broken, never a
value; after the rate limit, as it costs ~45 ms of CPU for 2x2 and ~190 ms for 16x2) -> admission control
(503 when the deadline cannot be met) -> a durable job record with the sealed payload -> publish to the circuit's queue.

Admission control: a new job waits for the work ahead of it on the circuit's live workers, then
proves. With p the 90th percentile of the circuit's recent proving times (claim to success) and w
live workers, the work ahead is p for each queued job plus what is left of each proof under way
(p minus its elapsed time, at least p/10); the job should finish after 1.15 * ((work ahead) / w + p)
+ 0.1 s. Before three proofs of the circuit have succeeded, p is the slowest live worker's own warm-up
proof of it (timed when the worker starts). If that is past its deadline it is refused at once with a
Retry-After, instead of accepted and late.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .auth import ApiKeyFormatError, make_rate_limiter, parse_api_key, verify_api_key
from .config import Settings
from .model import (
    BadRequest,
    BrokenRule,
    CircuitInfo,
    Conflict,
    Job,
    JobState,
    NotFound,
    Overloaded,
    Principal,
    RateLimited,
    Unauthorized,
    Unavailable,
)
from .sealing import seal
from .store import JobStore, WorkerInfo
from .validation import check_inputs

log = logging.getLogger("hush.jobs")

ANONYMOUS = Principal("anonymous")
DEFAULT_PROVING_S = {"transfer_2x2": 1.5, "transfer_16x2": 5.0}
"""Admission's estimate before a circuit has any measured proof (generous: a cold machine)."""
PICKUP_S = 0.1
"""A queued job's wait for a worker to take it (broker delivery, the claim) on top of proving."""
HEADROOM = 1.15
"""Proofs slow down as the queue fills (the API, clients and the worker share the cores): admission
plans for 15% more than the recent 90th percentile (bench.farm_load at 3x load missed the budget for
8% of accepted jobs without it)."""


def _percentile(xs: list[float], q: float) -> float:
    ys = sorted(xs)
    return ys[min(len(ys) - 1, int(math.ceil(q * len(ys))) - 1)]


class Jobs:
    def __init__(self, settings: Settings, store: JobStore, publish: Callable[[str, str, str, str | None], None],
                 *, clock: Callable[[], float] = time.time) -> None:
        self.settings, self.store, self._publish, self.clock = settings, store, publish, clock
        self.limiter = make_rate_limiter(settings.broker_url)  # shared in Redis across API processes
        self.metrics: Any = None
        """The API process's service.metrics.Metrics when a Farm wires one (the gRPC view counts refusals in it)."""
        self._pvk: dict[str, tuple[str, Any]] = {}
        self._circuits: tuple[float, list[CircuitInfo]] = (0.0, [])
        self._lock = threading.Lock()
        self.stalled: dict[str, str] = {}
        """Circuits whose queue no worker consumes, with why (the sweeper's consumer probes fill it)."""

    # -- callers ----------------------------------------------------------------------------------------
    def authenticate(self, api_key: str | None) -> Principal:
        if not api_key:
            if self.settings.auth_required:
                raise Unauthorized("an API key is required (header X-API-Key, gRPC metadata x-api-key)")
            return ANONYMOUS
        try:
            key_id = parse_api_key(api_key)
        except ApiKeyFormatError as e:
            raise Unauthorized("the API key is malformed") from e
        rec = self.store.api_key(key_id)
        if rec is None or rec.revoked or not verify_api_key(api_key, rec.key_hash):
            raise Unauthorized("the API key is not valid")
        return Principal(rec.key_id, rate_per_s=rec.rate_per_s, burst=rec.burst, max_active_jobs=rec.max_active)

    def webhook_secret(self, principal: Principal) -> bytes:
        """The secret a caller's webhooks are signed with (derived; `hush farm key` prints it)."""
        return hmac.new(self.settings.payload_key, f"hush webhook secret {principal.key_id}".encode(),
                        hashlib.sha256).digest()

    # -- circuits ---------------------------------------------------------------------------------------
    def circuits(self) -> list[CircuitInfo]:
        now = time.monotonic()
        with self._lock:
            at, cached = self._circuits
            if now - at < 1.0 and cached:
                return cached
        infos = self.store.circuits()
        with self._lock:
            self._circuits = (now, infos)
        return infos

    def circuit(self, circuit: Any) -> CircuitInfo:
        if not isinstance(circuit, str):
            raise BadRequest(f"circuit: expected a circuit id string, got {type(circuit).__name__}")
        for c in self.circuits():
            if c.id == circuit:
                return c
        known = [c.id for c in self.circuits()]
        shown = circuit if len(circuit) <= 64 and circuit.replace("_", "").isalnum() else "<invalid id>"
        raise BadRequest(f"circuit: expected one of {known}, got {shown!r}")

    # -- submit -----------------------------------------------------------------------------------------
    def submit(self, principal: Principal, circuit: str, inputs: dict[str, Any], *,
               idempotency_key: str | None = None, deadline_s: float | None = None,
               webhook_url: str | None = None, fault: str | None = None, deadline_cap_s: float | None = None) -> Job:
        """deadline_cap_s: the caller stops waiting sooner (a gRPC call's deadline): the job is due then, but the
        request (what an idempotency key binds) is still the deadline_s the caller asked for."""
        info = self.circuit(circuit)
        canonical = check_inputs(info.id, inputs)
        budget = self.settings.budget_s if deadline_s is None else deadline_s
        if not isinstance(budget, int | float) or not 0 < budget <= self.settings.max_deadline_s:
            raise BadRequest(f"deadline_s: expected 0 < seconds <= {self.settings.max_deadline_s:g}")
        if idempotency_key is not None and (not isinstance(idempotency_key, str) or not 1 <= len(idempotency_key)
                                            <= 255 or not idempotency_key.isprintable()):
            raise BadRequest("idempotency key: expected 1 to 255 printable characters")
        if webhook_url is not None:
            self._check_webhook(webhook_url)
        if fault is not None and not self.settings.test_faults:
            raise BadRequest("fault injection is off (HUSH_TEST_FAULTS)")
        mac = hmac.new(self.settings.payload_key,
                       json.dumps([info.id, canonical, deadline_s, webhook_url], sort_keys=True).encode(),
                       hashlib.sha256).hexdigest()
        if idempotency_key is not None:
            existing = self.store.find_idempotent(principal.key_id, idempotency_key)
            if existing is not None:
                return self._same_request(existing, mac)
        self.limiter.enforce(principal)
        check_circuit_rules(info.id, canonical)
        if deadline_cap_s is not None:
            budget = max(1e-3, min(budget, deadline_cap_s))
        active = self.store.count_active(key_id=principal.key_id)
        if active >= principal.max_active_jobs:
            raise RateLimited(f"this key has {active} jobs in flight, its cap is {principal.max_active_jobs}",
                              retry_after=max(1.0, math.ceil(self.proving_estimate(info.id))))
        self._admit(info.id, budget)
        now = self.clock()
        job_id = "job_" + secrets.token_hex(12)
        sealed = seal(self.settings.payload_key, job_id, info.id, {"inputs": canonical})
        job, created = self.store.create_job(
            job_id=job_id, circuit=info.id, key_id=principal.key_id, idempotency_key=idempotency_key,
            request_mac=mac, deadline=now + budget, sealed=sealed, webhook_url=webhook_url, fault=fault, now=now)
        if not created:  # the same key raced itself
            return self._same_request(job, mac)
        try:
            self._publish(job_id, info.id, sealed, fault)
            self.store.mark_enqueued(job_id)
        except Exception as e:  # broker down: the job is durable; the sweeper publishes it when it can
            log.warning("publish of %s failed (%s); the sweeper will retry", job_id, type(e).__name__)
        return job

    def _same_request(self, job: Job, mac: str) -> Job:
        if not hmac.compare_digest(self.store.request_mac(job.id) or "", mac):
            raise Conflict("this idempotency key was used for a different request (circuit, inputs, deadline_s or "
                           "webhook_url differ)")
        return job

    def _check_webhook(self, url: str) -> None:
        from .webhooks import WebhookTargetError, check_target

        if not isinstance(url, str) or len(url) > 2048:
            raise BadRequest("webhook_url: expected an http(s) URL of at most 2048 characters")
        try:
            check_target(url, allow_private=self.settings.webhook_allow_private)
        except WebhookTargetError as e:
            raise BadRequest(f"webhook_url: {e}") from e

    def proving_estimate(self, circuit: str, live: list[WorkerInfo] | None = None) -> float:
        """The 90th percentile of recent proofs; before three, the slowest live worker's own warm-up proof
        (each worker times one when it starts), and only without any the generous default."""
        recent = self.store.recent_proving_seconds(circuit)
        if len(recent) < 3:
            if live is None:
                live = self.store.live_workers()
            seeds = self.store.seeds(circuit, [w.id for w in live if circuit in w.circuits])
            if seeds:
                return max([*seeds, *recent])
            return DEFAULT_PROVING_S.get(circuit, 10.0)
        return _percentile(recent, 0.9)

    def _admit(self, circuit: str, budget: float) -> None:
        live = [w for w in self.store.live_workers() if circuit in w.circuits]
        if not live:
            raise Overloaded(f"no live worker serves {circuit} right now", retry_after=5.0)
        if circuit in self.stalled:
            raise Overloaded(f"the farm is not taking {circuit} jobs right now: {self.stalled[circuit]}",
                             retry_after=5.0)
        p = self.proving_estimate(circuit, live)
        now = self.clock()
        ahead, depth = 0.0, 0
        for row in self.store.active_jobs():
            if row["circuit"] != circuit:
                continue
            depth += 1
            if row["state"] == JobState.PROVING.value and row["started_at"] is not None:
                ahead += max(0.1 * p, p - (now - row["started_at"]))  # what is left of a proof under way
            else:
                ahead += p
        eta = HEADROOM * (ahead / len(live) + p) + PICKUP_S
        if eta > budget:
            raise Overloaded(
                f"{circuit}: {depth} jobs ahead on {len(live)} workers, about {eta:.1f} s to finish, "
                f"past the {budget:g} s deadline", retry_after=float(max(1, math.ceil(eta - budget))))

    # -- reading ----------------------------------------------------------------------------------------
    def get(self, principal: Principal, job_id: str) -> Job:
        if not isinstance(job_id, str) or len(job_id) > 64:
            raise NotFound("no such job")
        job = self.store.get_job(job_id)
        if job is None or self.store.key_of(job_id) != principal.key_id:
            raise NotFound("no such job")
        return job

    def wait(self, principal: Principal, job_id: str, timeout: float) -> Job:
        job = self.get(principal, job_id)
        end = time.monotonic() + max(0.0, min(timeout, self.settings.max_deadline_s))
        while not job.done and time.monotonic() < end:
            time.sleep(self.settings.poll_s)
            st = self.store.state_of(job_id)
            if st is not None and st[0].terminal:
                job = self.get(principal, job_id)
        return self.get(principal, job_id) if not job.done else job

    def watch(self, principal: Principal, job_id: str, timeout: float) -> Iterator[Job]:
        job = self.get(principal, job_id)
        yield job
        seen = (job.state, len(job.transitions))
        end = time.monotonic() + max(0.0, min(timeout, self.settings.max_deadline_s))
        while not job.state.terminal and time.monotonic() < end:
            time.sleep(self.settings.poll_s)
            job = self.get(principal, job_id)
            now = (job.state, len(job.transitions))
            if now != seen:
                seen = now
                yield job

    # -- verification -----------------------------------------------------------------------------------
    def verify(self, circuit: str, proof: dict[str, Any], public_signals: list[str]) -> tuple[bool, str]:
        from verifier.errors import InvalidProof, VerificationError
        from verifier.groth16 import prepare_verifying_key, verify

        info = self.circuit(circuit)
        with self._lock:
            cached = self._pvk.get(info.id)
        if cached is None or cached[0] != info.zkey_sha256:
            cached = (info.zkey_sha256, prepare_verifying_key(info.verification_key))
            with self._lock:
                self._pvk[info.id] = cached
        try:
            verify(cached[1], public_signals, proof)
        except InvalidProof as e:
            return False, str(e)
        except VerificationError as e:
            raise BadRequest(str(e)) from e
        return True, "the proof is valid for these public signals"

    # -- health -----------------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        try:
            self.store.ping()
        except Exception as e:
            raise Unavailable(f"job store unreachable ({type(e).__name__})") from e
        return {"status": "ok"}

    def readiness(self) -> dict[str, Any]:
        self.health()
        live = self.store.live_workers()
        served = {c for w in live for c in w.circuits}
        missing = [c for c in self.settings.circuits if c not in served]
        stalled = {c: why for c, why in self.stalled.items() if c in served}
        out: dict[str, Any] = {"status": "ready" if not missing and not stalled else "not ready", "workers": len(live),
                               "circuits": sorted(served), "missing": missing}
        if stalled:
            out["not_consuming"] = stalled
        return out

    def queue_depths(self) -> dict[str, int]:
        return {c: self.store.count_active(circuit=c) for c in self.settings.circuits}


def check_circuit_rules(circuit: str, canonical: dict[str, Any]) -> None:
    """BrokenRule naming the first rule of the transfer circuit the inputs break (transfer.rules), before any
    worker spends a proof on them. Circuits Hush does not know the statement of are left to the witness."""
    from transfer.constants import SHAPES
    from transfer.rules import RuleError, check_rules

    shape = SHAPES.get(circuit)
    if shape is None:
        return
    try:
        check_rules(canonical, shape)
    except RuleError as e:
        raise BrokenRule(str(e), e.rule) from None


def job_state_names() -> list[str]:
    return [s.value for s in JobState]
