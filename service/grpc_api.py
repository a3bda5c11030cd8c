"""The gRPC view of the jobs layer: service/proto/hush.proto served by a sync grpcio server.

    server = make_grpc_server(jobs, "127.0.0.1:50051")
    server.start(); server.wait_for_termination()

Every RPC authenticates the `x-api-key` metadata entry through `Jobs.authenticate` and maps a
`service.model.FarmError` to the status named by its `grpc_code`, with its message as the details; an
error that carries `retry_after` (RateLimited, Overloaded) also sets the trailing metadata `retry-after`
(seconds, decimal). Anything else is INTERNAL with a fixed message, logged by exception type and stack
frames only: messages of unexpected errors may quote inputs, and inputs never reach a log or a caller.

Messages over `max_message_bytes` are refused by grpc itself (RESOURCE_EXHAUSTED) before any parsing.
The gRPC deadline of a Submit caps the job's deadline: when the call would give up before the job is
due, the job is due at the call's deadline instead. Watch holds one pool thread per stream; it asks
the jobs layer in slices of WATCH_SLICE_S seconds so a cancelled stream frees its thread within a slice,
and ends at a terminal state, at the call's deadline, or after `max_watch_s` (the caller watches again).
"""

from __future__ import annotations

import json
import logging
import math
import time
import traceback
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from typing import Any, NoReturn, Protocol

import grpc

from service.grpc_gen import load
from service.model import BadRequest, CircuitInfo, FarmError, Job, JobState, Principal, Unauthorized
from service.validation import MAX_JSON_DEPTH, json_depth

hush_pb2, hush_pb2_grpc = load()

__all__ = ["API_KEY_HEADER", "RETRY_AFTER_HEADER", "JobsAPI", "job_to_pb", "make_grpc_server"]

log = logging.getLogger("hush.service.grpc")

API_KEY_HEADER = "x-api-key"
RETRY_AFTER_HEADER = "retry-after"
RULE_HEADER = "hush-rule"
"""Trailing metadata of an INVALID_ARGUMENT for inputs that break a rule of the circuit: the rule's name."""
WATCH_SLICE_S = 1.0
"""Longest single wait on the jobs layer inside Watch: how long a cancelled stream may hold its thread."""
DEFAULT_BUDGET_S = 5.0
"""The issue's default job deadline, used when neither make_grpc_server nor the jobs layer names one."""
MAX_WATCH_S = 300.0
"""Default cap on a Watch stream without a deadline."""

_NO_DEADLINE_S = 1e9
_STATE_TO_PB = {state: getattr(hush_pb2, f"JOB_STATE_{state.name}") for state in JobState}


class JobsAPI(Protocol):
    """What the servicer needs of service.jobs.Jobs (blocking, thread-safe)."""

    def authenticate(self, api_key: str | None) -> Principal: ...

    def circuits(self) -> list[CircuitInfo]: ...

    def submit(
        self,
        principal: Principal,
        circuit: str,
        inputs: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        deadline_s: float | None = None,
        webhook_url: str | None = None,
        deadline_cap_s: float | None = None,
    ) -> Job: ...

    def get(self, principal: Principal, job_id: str) -> Job: ...

    def watch(self, principal: Principal, job_id: str, timeout: float) -> Iterator[Job]: ...

    def verify(self, circuit: str, proof: dict, public_signals: list[str]) -> tuple[bool, str]: ...


def job_to_pb(job: Job) -> Any:
    """hush.v1.Job holding what job.to_json() holds (proof and verification keys as JSON text)."""
    msg = hush_pb2.Job(
        id=job.id,
        circuit=job.circuit,
        state=_STATE_TO_PB[job.state],
        created_at=job.created_at,
        deadline=job.deadline,
        attempts=job.attempts,
        transitions=[
            hush_pb2.Transition(state=_STATE_TO_PB[t.state], at=t.at, detail=t.public_detail) for t in job.transitions
        ],
    )
    if job.state is JobState.SUCCEEDED:
        if job.proof is not None:
            msg.proof_json = json.dumps(job.proof, separators=(",", ":"))
        msg.public_signals.extend(job.public_signals or [])
        if job.calldata is not None:
            msg.calldata = job.calldata
        msg.timings.update(job.timings)
    if job.error is not None:
        msg.error = job.error
    return msg


def _circuit_to_pb(info: CircuitInfo) -> Any:
    return hush_pb2.Circuit(
        id=info.id,
        public_inputs=info.public_inputs,
        n_constraints=info.n_constraints,
        verification_key_json=json.dumps(info.verification_key, separators=(",", ":")),
        zkey_sha256=info.zkey_sha256,
        r1cs_sha256=info.r1cs_sha256,
    )


def _time_remaining(context: grpc.ServicerContext) -> float | None:
    """Seconds left before the call's deadline, None without one (grpc reports "infinite" as ~2^63 s)."""
    remaining = context.time_remaining()
    if remaining is None or not math.isfinite(remaining) or remaining > _NO_DEADLINE_S:
        return None
    return max(0.0, remaining)


def _format_seconds(seconds: float) -> str:
    """'3', '0.25': the decimal seconds of the retry-after metadata, millisecond precision, never negative."""
    if not math.isfinite(seconds):
        seconds = 0.0
    return f"{max(0.0, seconds):.3f}".rstrip("0").rstrip(".")


def _reject_constant(name: str) -> NoReturn:
    raise BadRequest(f"JSON constant {name} is not allowed; numbers are decimal strings")


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadRequest(f"duplicate key {key[:64]!r} in a JSON object")
        out[key] = value
    return out


def _parse_json_object(text: str, field: str) -> dict[str, Any]:
    """A JSON object from a request field; errors name the field and the position, never the content."""
    if not text:
        raise BadRequest(f"{field} is empty; expected a JSON object")
    if json_depth(text.encode(), MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise BadRequest(f"{field} nests too deeply (at most {MAX_JSON_DEPTH} levels)")
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_reject_constant)
    except BadRequest as exc:
        raise BadRequest(f"{field}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{field} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise BadRequest(f"{field} nests too deeply") from None
    except ValueError:
        # e.g. an integer literal past Python's digit limit
        raise BadRequest(f"{field} could not be read as JSON (a number too long?)") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{field} must be a JSON object, got a JSON {type(value).__name__}")
    return value


class _Servicer(hush_pb2_grpc.ProverServicer):
    def __init__(self, jobs: JobsAPI, *, budget_s: float, max_watch_s: float) -> None:
        self._jobs = jobs
        self._budget_s = budget_s
        self._max_watch_s = max_watch_s

    # -- plumbing ------------------------------------------------------------------------------------

    @contextmanager
    def _rpc(self, context: grpc.ServicerContext, method: str) -> Iterator[None]:
        try:
            yield
        except FarmError as exc:
            self._abort(context, method, exc)
        except Exception as exc:  # noqa: BLE001 - the boundary: nothing unexpected leaks to the caller
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("grpc %s failed with %s (message withheld)\n%s", method, type(exc).__name__, frames)
            metrics = getattr(self._jobs, "metrics", None)
            if metrics is not None:
                metrics.refusals.labels("grpc", "INTERNAL", "Internal").inc()
            context.abort(grpc.StatusCode.INTERNAL, "internal error")

    def _abort(self, context: grpc.ServicerContext, method: str, exc: FarmError) -> NoReturn:
        metrics = getattr(self._jobs, "metrics", None)
        code = getattr(grpc.StatusCode, exc.grpc_code, grpc.StatusCode.INTERNAL)
        trailing = []
        if exc.retry_after is not None:
            trailing.append((RETRY_AFTER_HEADER, _format_seconds(exc.retry_after)))
        if exc.rule is not None:
            trailing.append((RULE_HEADER, exc.rule))
        if trailing:
            context.set_trailing_metadata(tuple(trailing))
        log.info("grpc %s -> %s (%s)", method, code.name, type(exc).__name__)
        if metrics is not None:
            metrics.refusals.labels("grpc", code.name, type(exc).__name__).inc()
        context.abort(code, str(exc))
        raise AssertionError("unreachable: context.abort raises")

    def _principal(self, context: grpc.ServicerContext) -> Principal:
        keys = [value for key, value in context.invocation_metadata() if key == API_KEY_HEADER]
        if len(keys) > 1:
            raise Unauthorized(f"expected one {API_KEY_HEADER} metadata entry, got {len(keys)}")
        key = keys[0] if keys else None
        if isinstance(key, bytes):
            raise Unauthorized(f"expected {API_KEY_HEADER} as text metadata, got binary")
        return self._jobs.authenticate(key)

    # -- RPCs ----------------------------------------------------------------------------------------

    def Submit(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802 - generated name
        with self._rpc(context, "Submit"):
            principal = self._principal(context)
            inputs = _parse_json_object(request.inputs_json, "inputs_json")
            deadline_s = request.deadline_s if request.HasField("deadline_s") else None
            if deadline_s is not None and not (math.isfinite(deadline_s) and deadline_s > 0):
                raise BadRequest(f"deadline_s must be a positive number of seconds, got {deadline_s}")
            remaining = _time_remaining(context)
            cap = None
            if remaining is not None and remaining < (self._budget_s if deadline_s is None else deadline_s):
                cap = remaining  # the caller stops waiting sooner than the job would be due
            job = self._jobs.submit(
                principal,
                request.circuit,
                inputs,
                idempotency_key=request.idempotency_key if request.HasField("idempotency_key") else None,
                deadline_s=deadline_s,
                webhook_url=request.webhook_url if request.HasField("webhook_url") else None,
                deadline_cap_s=cap,
            )
            return job_to_pb(job)

    def Get(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        with self._rpc(context, "Get"):
            return job_to_pb(self._jobs.get(self._principal(context), request.job_id))

    def Watch(self, request: Any, context: grpc.ServicerContext) -> Iterator[Any]:  # noqa: N802
        with self._rpc(context, "Watch"):
            principal = self._principal(context)
            remaining = _time_remaining(context)
            budget = self._max_watch_s if remaining is None else min(remaining, self._max_watch_s)
            end = time.monotonic() + budget
            last: Job | None = None
            while context.is_active():
                left = end - time.monotonic()
                if left <= 0:
                    return
                # Each slice starts with the current state: send it only if it changed since the last one sent.
                for job in self._jobs.watch(principal, request.job_id, min(WATCH_SLICE_S, left)):
                    if job != last:
                        last = job
                        yield job_to_pb(job)
                    if job.done or not context.is_active():
                        return

    def Verify(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        with self._rpc(context, "Verify"):
            self._principal(context)
            proof = _parse_json_object(request.proof_json, "proof_json")
            valid, reason = self._jobs.verify(request.circuit, proof, list(request.public_signals))
            return hush_pb2.VerifyResponse(valid=valid, reason=reason)

    def ListCircuits(self, request: Any, context: grpc.ServicerContext) -> Any:  # noqa: N802
        with self._rpc(context, "ListCircuits"):
            self._principal(context)
            return hush_pb2.ListCircuitsResponse(circuits=[_circuit_to_pb(c) for c in self._jobs.circuits()])


def make_grpc_server(
    jobs: JobsAPI,
    address: str | None = "127.0.0.1:50051",
    *,
    max_message_bytes: int = 1 << 20,
    max_workers: int = 16,
    max_concurrent_rpcs: int | None = None,
    max_watch_s: float = MAX_WATCH_S,
    budget_s: float | None = None,
) -> grpc.Server:
    """A sync grpc server (thread pool of max_workers) serving hush.v1.Prover over `jobs`, not yet started.

    address: bound insecurely here ("host:port"); None leaves binding to the caller
    (`port = server.add_insecure_port("127.0.0.1:0")` picks a free port). SO_REUSEPORT is off, so a
    second server on a busy port fails instead of silently sharing it.
    max_concurrent_rpcs: beyond it grpc refuses calls with RESOURCE_EXHAUSTED (default: unbounded queue).
    budget_s: the jobs layer's deadline for a Submit without deadline_s (default: `jobs.settings.budget_s`
    when it has one, else DEFAULT_BUDGET_S); a call deadline shorter than the job's replaces it, a longer
    one leaves the jobs layer's own default in force.
    Call `server.start()`, and `server.stop(grace)` to end.
    """
    if max_message_bytes <= 0:
        raise ValueError(f"max_message_bytes must be positive, got {max_message_bytes}")
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="hush-grpc"),
        options=[
            ("grpc.max_receive_message_length", max_message_bytes),
            ("grpc.so_reuseport", 0),
        ],
        maximum_concurrent_rpcs=max_concurrent_rpcs,
    )
    if budget_s is None:
        budget_s = float(getattr(getattr(jobs, "settings", None), "budget_s", DEFAULT_BUDGET_S))
    servicer = _Servicer(jobs, budget_s=budget_s, max_watch_s=max_watch_s)
    hush_pb2_grpc.add_ProverServicer_to_server(servicer, server)
    if address is not None:
        port = server.add_insecure_port(address)
        if port == 0:
            raise RuntimeError(f"could not bind the gRPC server to {address}")
    return server
