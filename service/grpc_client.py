"""A small typed client for the prover farm's gRPC API (service/proto/hush.proto).

    with GrpcClient("127.0.0.1:50051", api_key="...") as farm:
        job = farm.submit("transfer2x2", inputs, idempotency_key="tx-42", timeout=10)
        for job in farm.watch(job["id"], timeout=10):
            print(job["state"])

Jobs come back as the dicts service.model.Job.to_json() makes (the REST API's JSON), proofs and
verification keys as snarkjs' JSON dicts. A failed call raises GrpcCallError with the status code, the
server's message and, for RESOURCE_EXHAUSTED from the jobs layer, retry_after in seconds.
This module imports only grpc and the generated code, never the service itself.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import grpc

from service.grpc_gen import load

hush_pb2, hush_pb2_grpc = load()

__all__ = ["GrpcCallError", "GrpcClient", "job_from_pb"]

API_KEY_HEADER = "x-api-key"
RETRY_AFTER_HEADER = "retry-after"
_PREFIX = "JOB_STATE_"


class GrpcCallError(Exception):
    """A call the server (or grpc) refused: `code` is a grpc.StatusCode, `retry_after` seconds or None."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str, retry_after: float | None = None,
                 rule: str | None = None) -> None:
        super().__init__(f"{method}: {code.name}: {details}")
        self.method = method
        self.code = code
        self.details = details
        self.retry_after = retry_after
        self.rule = rule
        """INVALID_ARGUMENT for inputs that break a rule of the circuit: its name (trailing metadata hush-rule)."""

    @property
    def retryable(self) -> bool:
        """Worth trying again later (after retry_after when given)."""
        return self.code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE)


def _rule(err: grpc.RpcError) -> str | None:
    trailing = err.trailing_metadata() if isinstance(err, grpc.Call) else None
    return next((str(value) for key, value in trailing or () if key == "hush-rule"), None)


def _retry_after(err: grpc.RpcError) -> float | None:
    trailing = err.trailing_metadata() if isinstance(err, grpc.Call) else None
    for key, value in trailing or ():
        if key == RETRY_AFTER_HEADER:
            try:
                return float(value)
            except (TypeError, ValueError):
                return None
    return None


def _call_error(method: str, err: grpc.RpcError) -> GrpcCallError:
    if isinstance(err, grpc.Call):
        return GrpcCallError(method, err.code(), err.details() or "", _retry_after(err), _rule(err))
    return GrpcCallError(method, grpc.StatusCode.UNKNOWN, str(err))


def _state(value: int) -> str:
    try:
        name = hush_pb2.JobState.Name(value)
    except ValueError:  # a state newer than this client's proto
        return f"unknown_{value}"
    return name.removeprefix(_PREFIX).lower()


def job_from_pb(msg: Any) -> dict[str, Any]:
    """The dict service.model.Job.to_json() gives for the job a hush.v1.Job carries."""
    out: dict[str, Any] = {
        "id": msg.id,
        "circuit": msg.circuit,
        "state": _state(msg.state),
        "created_at": msg.created_at,
        "deadline": msg.deadline,
        "attempts": msg.attempts,
        "transitions": [{"state": _state(t.state), "at": t.at, "detail": t.detail} for t in msg.transitions],
    }
    if out["state"] == "succeeded":
        out |= {
            "proof": json.loads(msg.proof_json) if msg.HasField("proof_json") else None,
            "public_signals": list(msg.public_signals),
            "calldata": msg.calldata if msg.HasField("calldata") else None,
            "timings": dict(msg.timings),
        }
    if msg.HasField("error"):
        out["error"] = msg.error
    return out


def _decimal_strings(value: Any) -> Any:
    """Python ints (not bools) as decimal strings, as snarkjs' input.json has them; the rest unchanged."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list | tuple):
        return [_decimal_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _decimal_strings(v) for k, v in value.items()}
    return value


class GrpcClient:
    """A channel to one farm. Thread-safe (grpc channels are); close() or use as a context manager."""

    def __init__(
        self,
        target: str,
        api_key: str | None = None,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        max_receive_bytes: int = 16 << 20,
    ) -> None:
        options = [("grpc.max_receive_message_length", max_receive_bytes)]
        if credentials is None:
            self._channel = grpc.insecure_channel(target, options=options)
        else:
            self._channel = grpc.secure_channel(target, credentials, options=options)
        self._stub = hush_pb2_grpc.ProverStub(self._channel)
        self._metadata: tuple[tuple[str, str], ...] = ((API_KEY_HEADER, api_key),) if api_key is not None else ()

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> GrpcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _unary(self, method: str, request: Any, timeout: float | None) -> Any:
        try:
            return getattr(self._stub, method)(request, timeout=timeout, metadata=self._metadata)
        except grpc.RpcError as err:
            raise _call_error(method, err) from None

    def submit(
        self,
        circuit: str,
        inputs: dict[str, Any],
        idempotency_key: str | None = None,
        *,
        deadline_s: float | None = None,
        webhook_url: str | None = None,
        timeout: float | None = 30.0,
    ) -> dict[str, Any]:
        """Submit a proof job; the job (usually queued). `timeout` is the call's deadline and caps the job's."""
        request = hush_pb2.SubmitRequest(
            circuit=circuit, inputs_json=json.dumps(_decimal_strings(inputs), separators=(",", ":"))
        )
        if idempotency_key is not None:
            request.idempotency_key = idempotency_key
        if deadline_s is not None:
            request.deadline_s = deadline_s
        if webhook_url is not None:
            request.webhook_url = webhook_url
        return job_from_pb(self._unary("Submit", request, timeout))

    def get(self, job_id: str, *, timeout: float | None = 10.0) -> dict[str, Any]:
        return job_from_pb(self._unary("Get", hush_pb2.GetRequest(job_id=job_id), timeout))

    def watch(self, job_id: str, *, timeout: float | None = 30.0) -> Iterator[dict[str, Any]]:
        """The job at each state change, the current state first; ends after a terminal state or at timeout
        (quietly: look at the last job's state). Other failures raise GrpcCallError."""
        stream = self._stub.Watch(hush_pb2.WatchRequest(job_id=job_id), timeout=timeout, metadata=self._metadata)
        try:
            for msg in stream:
                yield job_from_pb(msg)
        except grpc.RpcError as err:
            if isinstance(err, grpc.Call) and err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                return
            raise _call_error("Watch", err) from None
        finally:
            stream.cancel()

    def wait(self, job_id: str, *, timeout: float | None = 30.0) -> dict[str, Any]:
        """The job at its terminal state, or as it was when timeout ran out."""
        last = None
        for job in self.watch(job_id, timeout=timeout):
            last = job
        return last if last is not None else self.get(job_id)

    def verify(
        self, circuit: str, proof: dict[str, Any], public_signals: list[str], *, timeout: float | None = 10.0
    ) -> tuple[bool, str]:
        """(valid, reason) for a snarkjs proof.json dict and public.json list."""
        request = hush_pb2.VerifyRequest(
            circuit=circuit,
            proof_json=json.dumps(proof, separators=(",", ":")),
            public_signals=[str(s) for s in public_signals],
        )
        response = self._unary("Verify", request, timeout)
        return response.valid, response.reason

    def list_circuits(self, *, timeout: float | None = 10.0) -> list[dict[str, Any]]:
        """The dicts service.model.CircuitInfo.to_json() gives."""
        response = self._unary("ListCircuits", hush_pb2.ListCircuitsRequest(), timeout)
        return [
            {
                "id": c.id,
                "public_inputs": list(c.public_inputs),
                "n_constraints": c.n_constraints,
                "verification_key": json.loads(c.verification_key_json),
                "zkey_sha256": c.zkey_sha256,
                "r1cs_sha256": c.r1cs_sha256,
            }
            for c in response.circuits
        ]
