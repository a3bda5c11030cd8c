"""The REST API (FastAPI; OpenAPI at /docs and /openapi.json).

    POST /v1/proofs          {circuit, inputs, wait?, deadline_s?, webhook_url?}   Idempotency-Key, X-API-Key
                             200 with the job when it ended within `wait`, else 202 (Location: its URL)
    GET  /v1/proofs/{id}     ?wait=<s> to long-poll until it ends
    POST /v1/verify          {circuit, proof, public_signals} -> {valid, reason}
    GET  /v1/circuits        ids, public input names, constraint counts, verification keys, key hashes
    GET  /healthz, /readyz, /metrics

Errors are {"error": message, "code": kind}; 429 and 503 carry Retry-After. A body is refused before
it is parsed when it is larger than HUSH_MAX_BODY_BYTES (413) or has no Content-Length (411: no
chunked uploads). Validation errors never echo the values that came (they may be witness secrets).
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field

from .farm import Farm
from .model import FarmError, JobState
from .validation import MAX_JSON_DEPTH, json_depth


class ProofRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    circuit: str = Field(max_length=64)
    inputs: dict[str, Any]
    wait: float = Field(default=0.0, ge=0.0, le=600.0, description="seconds to wait for the proof (<= the budget)")
    deadline_s: float | None = Field(default=None, gt=0.0, description="seconds from acceptance; default 5")
    webhook_url: str | None = Field(default=None, max_length=2048)
    fault: str | None = Field(default=None, max_length=32, description="tests only (HUSH_TEST_FAULTS=1)")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    circuit: str = Field(max_length=64)
    proof: dict[str, Any]
    public_signals: list[Any]


class BodyLimit:
    """ASGI middleware: refuse bodies over `limit` bytes, without a Content-Length, or nesting deeper than
    MAX_JSON_DEPTH, before anything parses them."""

    def __init__(self, app: Any, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        if b"transfer-encoding" in headers or length is None:
            return await _plain(send, 411, "a Content-Length is required (no chunked bodies)", "length_required")
        if not length.isdigit() or int(length) > self.limit:
            return await _plain(send, 413, f"request body larger than {self.limit} bytes", "too_large")
        chunks, seen = [], 0
        while True:  # at most `limit` bytes: read it all, check its shape, then hand it on
            msg = await receive()
            if msg["type"] != "http.request":
                return await self.app(scope, _replay([msg], receive), send)
            chunks.append(msg.get("body", b""))
            seen += len(chunks[-1])
            if seen > int(length):
                return await _plain(send, 413, "body longer than its Content-Length", "too_large")
            if not msg.get("more_body", False):
                break
        body = b"".join(chunks)
        if json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            return await _plain(send, 422, f"JSON nests deeper than {MAX_JSON_DEPTH} levels", "BadRequest")
        whole = {"type": "http.request", "body": body, "more_body": False}
        return await self.app(scope, _replay([whole], receive), send)


def _replay(messages: list[dict], then: Any) -> Any:
    """A receive() that gives `messages` first, then whatever the connection says next (disconnect)."""
    pending = list(messages)

    async def receive() -> dict:
        if pending:
            return pending.pop(0)
        return await then()

    return receive


async def _plain(send: Any, status: int, message: str, code: str) -> None:
    import json

    body = json.dumps({"error": message, "code": code}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def _error(e: FarmError) -> JSONResponse:
    headers = {}
    if e.retry_after is not None:
        headers["Retry-After"] = str(max(1, math.ceil(e.retry_after)))
    return JSONResponse({"error": str(e), "code": type(e).__name__}, status_code=e.http_status, headers=headers)


def make_app(farm: Farm, *, manage: bool = False) -> FastAPI:
    """The REST app over `farm.jobs`. With manage=True the app starts and closes the farm itself."""
    jobs = farm.jobs
    settings = farm.settings

    async def lifespan(app: FastAPI):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = 256  # waiting callers hold a thread
        if manage:
            farm.start()
        yield
        if manage:
            farm.close()

    app = FastAPI(title="Hush prover farm", version="1", lifespan=lifespan,
                  description="Groth16 proofs of private transfers, each within its deadline (default 5 s).")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)

    @app.exception_handler(FarmError)
    async def farm_error(_: Request, e: FarmError) -> JSONResponse:
        return _error(e)

    @app.exception_handler(RequestValidationError)
    async def bad_body(_: Request, e: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the offending input; ours names where and what, never the value.
        problems = [{"loc": [str(x) for x in err.get("loc", ())][:6], "msg": str(err.get("msg", ""))[:200]}
                    for err in e.errors()[:10]]
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        return JSONResponse({"error": f"{'.'.join(first['loc'])}: {first['msg']}", "code": "BadRequest",
                             "problems": problems}, status_code=422)

    def principal(api_key: str | None):
        return jobs.authenticate(api_key)

    @app.post("/v1/proofs", status_code=202)
    def submit(req: ProofRequest, x_api_key: str | None = Header(default=None),
               idempotency_key: str | None = Header(default=None)) -> JSONResponse:
        p = principal(x_api_key)
        job = jobs.submit(p, req.circuit, req.inputs, idempotency_key=idempotency_key, deadline_s=req.deadline_s,
                          webhook_url=req.webhook_url, fault=req.fault)
        farm.metrics.requests.labels(job.circuit, "accepted").inc()
        if req.wait > 0 and not job.done:
            job = jobs.wait(p, job.id, min(req.wait, max(0.0, job.deadline - _now()) + 0.5))
        if job.done:
            return JSONResponse(job.to_json(), status_code=200)
        return JSONResponse(job.to_json(), status_code=202, headers={"Location": f"/v1/proofs/{job.id}"})

    @app.get("/v1/proofs/{job_id}")
    def get(job_id: str, wait: float = Query(default=0.0, ge=0.0, le=600.0),
            x_api_key: str | None = Header(default=None)) -> JSONResponse:
        p = principal(x_api_key)
        job = jobs.wait(p, job_id, wait) if wait > 0 else jobs.get(p, job_id)
        return JSONResponse(job.to_json())

    @app.post("/v1/verify")
    def verify(req: VerifyRequest, x_api_key: str | None = Header(default=None)) -> dict[str, Any]:
        principal(x_api_key)
        valid, reason = jobs.verify(req.circuit, req.proof, req.public_signals)
        return {"valid": valid, "reason": reason}

    @app.get("/v1/circuits")
    def circuits() -> dict[str, Any]:
        return {"circuits": [c.to_json() for c in jobs.circuits()]}

    @app.get("/healthz")
    def health() -> dict[str, Any]:
        return jobs.health()

    @app.get("/readyz")
    def ready() -> JSONResponse:
        r = jobs.readiness()
        return JSONResponse(r, status_code=200 if r["status"] == "ready" else 503)

    @app.get("/metrics")
    def metrics() -> Response:
        farm.refresh_gauges()
        return Response(generate_latest(farm.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    app.state.farm = farm
    app.state.states = [s.value for s in JobState]
    return app


def _now() -> float:
    import time

    return time.time()
