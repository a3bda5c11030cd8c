"""The REST API (FastAPI; OpenAPI at /openapi.json, its browser at /docs with assets served from here).

    POST /v1/proofs          {circuit, inputs, wait?, deadline_s?, webhook_url?}   Idempotency-Key, X-API-Key
                             200 with the job when it ended within `wait`, else 202 (Location: its URL)
    GET  /v1/proofs/{id}     ?wait=<s> to long-poll until it ends
    POST /v1/verify          {circuit, proof, public_signals} -> {valid, reason}
    GET  /v1/circuits        ids, public input names, constraint counts, verification keys, key hashes
    GET  /healthz, /readyz, /metrics

Authentication, one rule for REST and gRPC: with HUSH_AUTH=required every /v1 route and every gRPC
RPC (ListCircuits too) needs a valid key (X-API-Key / metadata x-api-key), else 401 / UNAUTHENTICATED;
/healthz, /readyz and /metrics are operational endpoints for probes and scrapers and never ask for
one (bind the API to a network only the operator's tools reach, or put a proxy before /metrics).

Every error, whoever raises it (our jobs layer, the body checks below, FastAPI or Starlette: 404, 405,
a body that does not parse), answers one JSON shape, `ErrorBody`: {"error": message, "code": kind}
plus "rule" when the inputs break a rule of the circuit and "problems" for a body that does not fit
the schema; 429 and 503 carry Retry-After. Every refusal is counted in hush_refusals_total. A body is
refused before it is parsed when it is larger than HUSH_MAX_BODY_BYTES (413), has no Content-Length
(411: no chunked uploads), or has not fully arrived BODY_TIMEOUT_S after the request (408). Errors
never echo the values that came (they may be witness secrets).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

import anyio
from fastapi import FastAPI, Header, Query, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.security import APIKeyHeader
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .farm import Farm
from .model import FarmError, JobState
from .validation import MAX_JSON_DEPTH, json_depth

BODY_TIMEOUT_S = 10.0
"""A request body must have fully arrived this long after its headers (a body that trickles in holds a
connection and a buffer: slowloris); past it the request is answered 408 and closed."""

API_KEY = APIKeyHeader(name="X-API-Key", auto_error=False, scheme_name="ApiKey",
                       description="hush_<16 hex>_<64 hex>; required for every /v1 route when HUSH_AUTH=required")

_CODES = {400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed",
          406: "NotAcceptable", 408: "RequestTimeout", 409: "Conflict", 411: "LengthRequired", 413: "TooLarge",
          415: "UnsupportedMediaType", 422: "BadRequest", 429: "RateLimited", 500: "Internal", 503: "Unavailable"}


class ErrorBody(BaseModel):
    """The one shape of every error the API answers."""

    error: str = Field(description="what went wrong, without any value of the request")
    code: str = Field(description="the kind: BadRequest, BrokenRule, Unauthorized, NotFound, Conflict, RateLimited, "
                                  "Overloaded, Unavailable, TooLarge, LengthRequired, RequestTimeout, "
                                  "MethodNotAllowed, Internal")
    rule: str | None = Field(default=None, description="BrokenRule: the rule of the circuit the inputs break "
                                                       "(range, nullifier, membership, commitment, conservation, "
                                                       "signature)")
    problems: list[dict[str, Any]] | None = Field(default=None, description="a body that does not fit the schema: "
                                                                          "where and what, never the value")


class TransitionOut(BaseModel):
    state: str
    at: float
    detail: str


class JobOut(BaseModel):
    id: str
    circuit: str
    state: str = Field(description="queued, proving, succeeded, failed, expired or dead")
    created_at: float
    deadline: float
    attempts: int
    transitions: list[TransitionOut]
    proof: dict[str, Any] | None = None
    public_signals: list[str] | None = None
    calldata: str | None = None
    timings: dict[str, float] | None = None
    error: str | None = None


class VerifyOut(BaseModel):
    valid: bool
    reason: str


class CircuitOut(BaseModel):
    id: str
    public_inputs: list[str]
    n_constraints: int
    verification_key: dict[str, Any]
    zkey_sha256: str
    r1cs_sha256: str


class CircuitsOut(BaseModel):
    circuits: list[CircuitOut]


def _err(description: str, retry_after: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"model": ErrorBody, "description": description}
    if retry_after:
        out["headers"] = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}}
    return out


_AUTH = {401: _err("no valid API key (HUSH_AUTH=required), or a malformed or revoked one")}
_BODY = {408: _err("the body did not arrive in time"), 411: _err("no Content-Length (no chunked bodies)"),
         413: _err("the body is larger than the limit"),
         422: _err("the body does not fit the schema, an input is not a field element, or the inputs break a "
                   "rule of the circuit (code BrokenRule, the rule named)")}
_BUSY = {429: _err("rate limit or concurrency cap of the key", retry_after=True),
         503: _err("the deadline cannot be met (Overloaded) or the store or broker is down", retry_after=True)}


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
    """ASGI middleware: refuse bodies over `limit` bytes, without a Content-Length, that have not arrived within
    `timeout_s`, or nesting deeper than MAX_JSON_DEPTH, before anything parses them."""

    def __init__(self, app: Any, limit: int, timeout_s: float = BODY_TIMEOUT_S,
                 count: Callable[[int, str], None] | None = None) -> None:
        self.app, self.limit, self.timeout_s, self.count = app, limit, timeout_s, count

    async def _refuse(self, send: Any, status: int, message: str, code: str) -> None:
        if self.count is not None:
            self.count(status, code)
        await _plain(send, status, message, code)

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v for k, v in scope["headers"]}
        length = headers.get(b"content-length")
        if b"transfer-encoding" in headers or length is None:
            return await self._refuse(send, 411, "a Content-Length is required (no chunked bodies)", "LengthRequired")
        if not length.isdigit():
            return await self._refuse(send, 400, "the Content-Length is not a decimal number", "BadRequest")
        if int(length) > self.limit:
            return await self._refuse(send, 413, f"request body larger than {self.limit} bytes", "TooLarge")
        chunks, seen = [], 0
        with anyio.move_on_after(self.timeout_s) as timer:
            while True:  # at most `limit` bytes: read it all, check its shape, then hand it on
                msg = await receive()
                if msg["type"] != "http.request":
                    return await self.app(scope, _replay([msg], receive), send)
                chunks.append(msg.get("body", b""))
                seen += len(chunks[-1])
                if seen > int(length):
                    return await self._refuse(send, 413, "body longer than its Content-Length", "TooLarge")
                if not msg.get("more_body", False):
                    break
        if timer.cancelled_caught:
            return await self._refuse(send, 408, f"the body did not arrive within {self.timeout_s:g} s",
                                      "RequestTimeout")
        body = b"".join(chunks)
        if json_depth(body, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            return await self._refuse(send, 422, f"JSON nests deeper than {MAX_JSON_DEPTH} levels", "BadRequest")
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
    body = json.dumps({"error": message, "code": code}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if status in (408, 413):
        headers.append((b"connection", b"close"))  # the rest of the body is not read
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def make_app(farm: Farm, *, manage: bool = False, body_timeout_s: float = BODY_TIMEOUT_S) -> FastAPI:
    """The REST app over `farm.jobs`. With manage=True the app starts and closes the farm itself."""
    jobs = farm.jobs
    settings = farm.settings
    refusals = farm.metrics.refusals

    def count(status: int, code: str) -> None:
        refusals.labels("rest", str(status), code).inc()

    def answer(status: int, code: str, message: str, *, headers: dict[str, str] | None = None,
               **extra: Any) -> JSONResponse:
        count(status, code)
        content = {"error": message, "code": code, **{k: v for k, v in extra.items() if v is not None}}
        return JSONResponse(content, status_code=status, headers=headers)

    async def lifespan(app: FastAPI):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = 256  # waiting callers hold a thread
        if manage:
            farm.start()
        yield
        if manage:
            farm.close()

    app = FastAPI(title="Hush prover farm", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
                  description="Groth16 proofs of private transfers, each within its deadline (default 5 s). "
                              "With HUSH_AUTH=required every /v1 route needs an X-API-Key; /healthz, /readyz "
                              "and /metrics never do.")
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, timeout_s=body_timeout_s, count=count)

    @app.exception_handler(FarmError)
    async def farm_error(_: Request, e: FarmError) -> JSONResponse:
        headers = {}
        if e.retry_after is not None:
            headers["Retry-After"] = str(max(1, math.ceil(e.retry_after)))
        code = type(e).__name__
        return answer(e.http_status, code, str(e), headers=headers, rule=e.rule)

    @app.exception_handler(RequestValidationError)
    async def bad_body(_: Request, e: RequestValidationError) -> JSONResponse:
        # FastAPI's default echoes the offending input; ours names where and what, never the value.
        problems = [{"loc": [str(x) for x in err.get("loc", ())][:6], "msg": str(err.get("msg", ""))[:200]}
                    for err in e.errors()[:10]]
        first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
        return answer(422, "BadRequest", f"{'.'.join(first['loc'])}: {first['msg']}", problems=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, e: StarletteHTTPException) -> JSONResponse:
        if e.status_code == 400:  # FastAPI could not read the body (e.g. an integer past Python's digit limit)
            return answer(422, "BadRequest", "the body could not be read as JSON (a number too long?)")
        message = {404: "no such route", 405: "method not allowed on this route"}.get(e.status_code, str(e.detail))
        return answer(e.status_code, _CODES.get(e.status_code, "Error"), message, headers=e.headers)

    @app.exception_handler(Exception)
    async def crash(_: Request, e: Exception) -> JSONResponse:
        import logging

        logging.getLogger("hush.rest").error("request failed with %s (message withheld)", type(e).__name__)
        return answer(500, "Internal", "internal error")

    def principal(api_key: str | None):
        return jobs.authenticate(api_key)

    @app.post("/v1/proofs", status_code=202, response_model=JobOut, tags=["proofs"],
              responses={200: {"model": JobOut, "description": "the job ended within `wait`"},
                         202: {"model": JobOut, "description": "accepted (Location: the job's URL)"},
                         409: _err("this Idempotency-Key was used for another request (circuit, inputs, "
                                   "deadline_s or webhook_url differ)"),
                         **_AUTH, **_BODY, **_BUSY})
    def submit(req: ProofRequest, x_api_key: str | None = Security(API_KEY),
               idempotency_key: str | None = Header(default=None, max_length=255)) -> JSONResponse:
        p = principal(x_api_key)
        job = jobs.submit(p, req.circuit, req.inputs, idempotency_key=idempotency_key, deadline_s=req.deadline_s,
                          webhook_url=req.webhook_url, fault=req.fault)
        farm.metrics.requests.labels(job.circuit, "accepted").inc()
        if req.wait > 0 and not job.done:
            job = jobs.wait(p, job.id, min(req.wait, max(0.0, job.deadline - time.time()) + 0.5))
        if job.done:
            return JSONResponse(job.to_json(), status_code=200)
        return JSONResponse(job.to_json(), status_code=202, headers={"Location": f"/v1/proofs/{job.id}"})

    @app.get("/v1/proofs/{job_id}", response_model=JobOut, tags=["proofs"],
             responses={404: _err("no such job for this key"), **_AUTH, 422: _body422(), **_BUSY})
    def get(job_id: str, wait: float = Query(default=0.0, ge=0.0, le=600.0),
            x_api_key: str | None = Security(API_KEY)) -> JSONResponse:
        p = principal(x_api_key)
        job = jobs.wait(p, job_id, wait) if wait > 0 else jobs.get(p, job_id)
        return JSONResponse(job.to_json())

    @app.post("/v1/verify", response_model=VerifyOut, tags=["proofs"],
              responses={**_AUTH, **_BODY, **_BUSY})
    def verify(req: VerifyRequest, x_api_key: str | None = Security(API_KEY)) -> dict[str, Any]:
        principal(x_api_key)
        valid, reason = jobs.verify(req.circuit, req.proof, req.public_signals)
        return {"valid": valid, "reason": reason}

    @app.get("/v1/circuits", response_model=CircuitsOut, tags=["proofs"], responses={**_AUTH, **_BUSY})
    def circuits(x_api_key: str | None = Security(API_KEY)) -> dict[str, Any]:
        principal(x_api_key)
        return {"circuits": [c.to_json() for c in jobs.circuits()]}

    @app.get("/healthz", tags=["operations"], responses={503: _err("the job store is unreachable")})
    def health() -> dict[str, Any]:
        return jobs.health()

    @app.get("/readyz", tags=["operations"], responses={503: {"description": "not ready: no live worker serves "
                                                                             "a circuit, or the store is down"}})
    def ready() -> JSONResponse:
        r = jobs.readiness()
        if r["status"] != "ready":
            count(503, "NotReady")
        return JSONResponse(r, status_code=200 if r["status"] == "ready" else 503)

    @app.get("/metrics", tags=["operations"], response_class=Response,
             responses={200: {"description": "Prometheus text format", "content": {CONTENT_TYPE_LATEST: {
                 "schema": {"type": "string"}}}}, 503: _err("the job store is unreachable")})
    def metrics() -> Response:
        farm.refresh_gauges()
        return Response(generate_latest(farm.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    def openapi() -> dict[str, Any]:  # the circuits this farm proves, as an enum of the request's `circuit`
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description,
                                 routes=app.routes)
            for model in ("ProofRequest", "VerifyRequest"):
                prop = schema["components"]["schemas"][model]["properties"]["circuit"]
                prop["enum"] = list(settings.circuits)
            if not settings.auth_required:  # a key is optional (it names the caller and its limits)
                for ops in schema["paths"].values():
                    for op in ops.values():
                        if "security" in op:
                            op["security"].append({})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    _serve_docs(app)
    app.state.farm = farm
    app.state.states = [s.value for s in JobState]
    return app


def _body422() -> dict[str, Any]:
    return _err("a parameter does not fit the schema")


def _serve_docs(app: FastAPI) -> None:
    """/docs: Swagger UI from the swagger-ui-bundle package's files, served here (no CDN)."""
    from pathlib import Path

    import swagger_ui_bundle
    from starlette.staticfiles import StaticFiles

    assets = Path(swagger_ui_bundle.swagger_ui_path)
    app.mount("/docs/assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url=app.openapi_url or "/openapi.json", title=f"{app.title} - docs",
                                   swagger_js_url="/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs/assets/swagger-ui.css",
                                   swagger_favicon_url="/docs/assets/favicon-32x32.png")


def _json_400_protocol() -> type:
    """uvicorn's h11 protocol, answering a request it cannot parse (a bad Content-Length, a broken request
    line) with the API's error shape instead of its text/plain "Invalid HTTP request received."."""
    import h11
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class JsonErrorsH11Protocol(H11Protocol):
        def send_400_response(self, msg: str) -> None:
            body = json.dumps({"error": "the request is not valid HTTP/1.1 (request line, a header or the "
                               "Content-Length)", "code": "BadRequest"}).encode()
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"connection", b"close")]
            for event in (h11.Response(status_code=400, headers=headers, reason=b"Bad Request"), h11.Data(data=body),
                          h11.EndOfMessage()):
                self.transport.write(self.conn.send(event))
            self.transport.close()

    return JsonErrorsH11Protocol


def uvicorn_config(app: FastAPI, host: str, port: int, **kw: Any) -> Any:
    """The uvicorn.Config the API runs under: h11 with the API's error shape for unparsable requests."""
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, http=_json_400_protocol(), **kw)
