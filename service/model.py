"""What the prover farm's APIs speak: jobs, their states, circuits, and the errors a caller can act on.

REST (`service.rest`) and gRPC (`service.grpc_api`) are two views of one jobs layer
(`service.jobs.Jobs`); both map the errors below to their status codes:

    error              REST        gRPC
    BadRequest         422         INVALID_ARGUMENT
    BrokenRule         422         INVALID_ARGUMENT  + the rule's name: REST "rule", gRPC metadata hush-rule
    Unauthorized       401         UNAUTHENTICATED
    NotFound           404         NOT_FOUND
    Conflict           409         ALREADY_EXISTS    (idempotency key reused with other inputs)
    TooLarge           413         INVALID_ARGUMENT  (gRPC refuses oversized messages itself)
    RateLimited        429         RESOURCE_EXHAUSTED  + Retry-After / retry-after metadata
    Overloaded         503         RESOURCE_EXHAUSTED  + Retry-After (the deadline cannot be met)
    Unavailable        503         UNAVAILABLE       (store or broker down)

This module imports nothing heavy: the API process must never import the prover.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from typing import Any


class JobState(enum.StrEnum):
    QUEUED = "queued"
    PROVING = "proving"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    DEAD = "dead"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.EXPIRED, JobState.DEAD})

LEGAL: dict[JobState, frozenset[JobState]] = {
    # queued -> proving (a worker took it) | expired (deadline passed while waiting) | dead (no worker ever
    # managed it) | failed (refused by the worker before proving, e.g. inputs the circuit rejects)
    JobState.QUEUED: frozenset({JobState.PROVING, JobState.EXPIRED, JobState.DEAD, JobState.FAILED}),
    # proving -> queued (the attempt was lost: worker killed, broker lost; retried) | a terminal state
    JobState.PROVING: frozenset(
        {JobState.QUEUED, JobState.SUCCEEDED, JobState.FAILED, JobState.EXPIRED, JobState.DEAD}
    ),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.EXPIRED: frozenset(),
    JobState.DEAD: frozenset(),
}


def is_legal(old: JobState, new: JobState) -> bool:
    return new in LEGAL[old]


_WORKER_ID = re.compile(r"\b(by |worker )[A-Za-z0-9._-]+(?::[A-Za-z0-9._-]+)*:\d+(?::[A-Za-z0-9._-]+)*")


def public_detail(detail: str) -> str:
    """A transition's detail as clients see it: worker ids (host name and PID) replaced by "a worker" or
    "the worker". The store keeps them for operators; a client has no use for the farm's host names."""
    return _WORKER_ID.sub(lambda m: "by a worker" if m.group(1) == "by " else "the worker", detail)


@dataclass(frozen=True)
class Transition:
    state: JobState
    at: float
    """Unix time, seconds."""
    detail: str = ""

    @property
    def public_detail(self) -> str:
        return public_detail(self.detail)


@dataclass(frozen=True)
class Job:
    """A proof job as the store records it. No witness secret is ever part of it."""

    id: str
    circuit: str
    state: JobState
    created_at: float
    deadline: float
    """Unix time by which the proof is due (acceptance + budget unless the caller asked for less)."""
    attempts: int = 0
    public_signals: list[str] | None = None
    """Decimal strings, snarkjs' public.json."""
    proof: dict[str, Any] | None = None
    """snarkjs' proof.json."""
    calldata: str | None = None
    """snarkjs' soliditycalldata string for the verifier contract."""
    error: str | None = None
    """Why it failed: a redacted message (never an input value)."""
    timings: dict[str, float] = field(default_factory=dict)
    """Stage -> seconds (witness, prove stages, verify) of the successful attempt."""
    transitions: tuple[Transition, ...] = ()
    webhook_url: str | None = None

    @property
    def done(self) -> bool:
        return self.state.terminal

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "circuit": self.circuit,
            "state": self.state.value,
            "created_at": self.created_at,
            "deadline": self.deadline,
            "attempts": self.attempts,
            "transitions": [{"state": t.state.value, "at": t.at, "detail": t.public_detail} for t in self.transitions],
        }
        if self.state is JobState.SUCCEEDED:
            out |= {
                "proof": self.proof,
                "public_signals": self.public_signals,
                "calldata": self.calldata,
                "timings": self.timings,
            }
        if self.error is not None:
            out["error"] = self.error
        return out


@dataclass(frozen=True)
class CircuitInfo:
    id: str
    public_inputs: list[str]
    """Public input names in the order of public.json, arrays expanded: inputNullifier[0], ..."""
    n_constraints: int
    verification_key: dict[str, Any]
    """snarkjs' verification_key.json."""
    zkey_sha256: str
    r1cs_sha256: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "public_inputs": self.public_inputs,
            "n_constraints": self.n_constraints,
            "verification_key": self.verification_key,
            "zkey_sha256": self.zkey_sha256,
            "r1cs_sha256": self.r1cs_sha256,
        }


@dataclass(frozen=True)
class Principal:
    """Who is calling: an API key's id (never the key), its limits."""

    key_id: str
    rate_per_s: float = 20.0
    burst: int = 40
    max_active_jobs: int = 16


class FarmError(Exception):
    """Base of the errors the APIs map to status codes. The message is safe to show to the caller."""

    http_status = 500
    grpc_code = "INTERNAL"
    retry_after: float | None = None
    rule: str | None = None
    """For BrokenRule: the rule of the transfer circuit the inputs break (REST `rule`, gRPC metadata `hush-rule`)."""


class BadRequest(FarmError):
    http_status = 422
    grpc_code = "INVALID_ARGUMENT"


class BrokenRule(BadRequest):
    """Inputs of the right shape that break a rule of the circuit (transfer.rules): named, no value shown."""

    def __init__(self, message: str, rule: str) -> None:
        super().__init__(message)
        self.rule = rule


class Unauthorized(FarmError):
    http_status = 401
    grpc_code = "UNAUTHENTICATED"


class NotFound(FarmError):
    http_status = 404
    grpc_code = "NOT_FOUND"


class Conflict(FarmError):
    http_status = 409
    grpc_code = "ALREADY_EXISTS"


class TooLarge(FarmError):
    http_status = 413
    grpc_code = "INVALID_ARGUMENT"


class RateLimited(FarmError):
    http_status = 429
    grpc_code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Overloaded(FarmError):
    http_status = 503
    grpc_code = "RESOURCE_EXHAUSTED"

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(FarmError):
    http_status = 503
    grpc_code = "UNAVAILABLE"
