"""The API's edges (issue 11 item 9): every refusal counted, one JSON error shape whoever refuses, an
OpenAPI that documents what the API answers (responses and the API-key scheme), /docs without a CDN,
one auth rule for REST and gRPC, the idempotency key binding deadline_s and webhook_url, a body that
trickles in cut off, no worker host name or PID shown to clients. SECURITY 33, 34, 36, 37."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import grpc
import pytest
from canary import canary_inputs
from farmkit import FakeFarm, make_settings

from service.auth import hash_api_key, new_api_key
from service.model import JobState

CANARY = "6021023021023021023021023021"


def body(**kw) -> dict:
    return {"circuit": "transfer_2x2", "inputs": canary_inputs(CANARY), **kw}


@pytest.fixture
def farm(tmp_path) -> Iterator[FakeFarm]:
    f = FakeFarm(make_settings(tmp_path, webhook_allow_private=True))
    yield f
    f.close()


def _key(farm: FakeFarm, **limits) -> str:
    key, key_id = new_api_key()
    farm.farm.store.add_api_key(key_id, hash_api_key(key), **{"rate_per_s": 100.0, "burst": 100,
                                                             "max_active": 100, **limits})
    return key


def _shape(r) -> dict:
    """The one error shape: a JSON object with a message and a kind, and nothing of FastAPI's own."""
    assert r.headers["content-type"].startswith("application/json"), r.headers
    b = r.json()
    assert isinstance(b.get("error"), str) and isinstance(b.get("code"), str) and "detail" not in b, b
    return b


# -- one error shape ---------------------------------------------------------------------------------

def test_one_error_shape_for_every_refusal(farm: FakeFarm):
    c = farm.client
    cases = {
        "bad JSON": (c.post("/v1/proofs", content=b'{"circuit": ', headers={"content-type": "application/json"}),
                     422),
        "5000-digit integer": (c.post("/v1/proofs", content=b'{"circuit": "transfer_2x2", "inputs": {"x": '
                                      + b"7" * 5000 + b"}}", headers={"content-type": "application/json"}), 422),
        "405": (c.delete("/v1/circuits"), 405),
        "404 route": (c.get("/v1/nothing-here"), 404),
        "404 job": (c.get("/v1/proofs/job_0123"), 404),
        "422 schema": (c.post("/v1/proofs", json={"circuit": "transfer_2x2"}), 422),
        "409": None,
    }
    h = {"Idempotency-Key": "k1"}
    assert c.post("/v1/proofs", json=body(), headers=h).status_code == 202
    cases["409"] = (c.post("/v1/proofs", json=body(deadline_s=4.0), headers=h), 409)
    for name, (r, status) in cases.items():
        assert r.status_code == status, (name, r.status_code, r.text)
        b = _shape(r)
        assert "7777777777" not in r.text and CANARY not in r.text, name
        if status == 405:
            assert b["code"] == "MethodNotAllowed" and "allow" in r.headers


def test_refusals_are_counted_in_metrics(tmp_path):
    f = FakeFarm(make_settings(tmp_path, auth_required=True), live_worker=False)
    try:
        c = f.client
        assert c.get("/v1/circuits").status_code == 401
        key = _key(f, rate_per_s=0.001, burst=1)
        h = {"X-API-Key": key}
        assert c.post("/v1/proofs", json=body(), headers=h).status_code == 503  # no live worker
        assert c.post("/v1/proofs", json=body(), headers=h).status_code == 429  # the one token is spent
        assert c.get("/v1/proofs/job_x", headers=h).status_code == 404
        assert c.put("/v1/proofs", headers=h, content=b"{}").status_code == 405
        text = c.get("/metrics").text
        for status, code in [("401", "Unauthorized"), ("503", "Overloaded"), ("429", "RateLimited"),
                             ("404", "NotFound"), ("405", "MethodNotAllowed")]:
            assert f'hush_refusals_total{{api="rest",code="{code}",status="{status}"}} 1.0' in text, (status, text)
    finally:
        f.close()


# -- idempotency ---------------------------------------------------------------------------------------

def test_same_key_with_another_deadline_or_webhook_is_409(farm: FakeFarm):
    c = farm.client
    h = {"Idempotency-Key": "pay-1"}
    first = c.post("/v1/proofs", json=body(deadline_s=4.0, webhook_url="http://127.0.0.1:9/a"), headers=h)
    assert first.status_code == 202
    again = c.post("/v1/proofs", json=body(deadline_s=4.0, webhook_url="http://127.0.0.1:9/a"), headers=h)
    assert again.status_code == 202 and again.json()["id"] == first.json()["id"]
    for changed in (dict(deadline_s=3.0, webhook_url="http://127.0.0.1:9/a"),
                    dict(deadline_s=4.0, webhook_url="http://127.0.0.1:9/b"),
                    dict(deadline_s=4.0)):
        r = c.post("/v1/proofs", json=body(**changed), headers=h)
        assert r.status_code == 409 and _shape(r)["code"] == "Conflict", changed
    assert len(farm.published) == 1


# -- OpenAPI and docs ----------------------------------------------------------------------------------

def test_openapi_documents_responses_and_the_api_key_scheme(farm: FakeFarm):
    spec = farm.client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": spec["components"]["securitySchemes"]["ApiKey"]["description"]}
    paths = spec["paths"]
    submit = paths["/v1/proofs"]["post"]
    assert {"200", "202", "401", "409", "422", "429", "503"} <= set(submit["responses"])
    assert submit["security"] == [{"ApiKey": []}, {}]  # a key is optional unless HUSH_AUTH=required
    assert "Retry-After" in submit["responses"]["429"]["headers"]
    assert {"200", "401", "404", "429", "503"} <= set(paths["/v1/proofs/{job_id}"]["get"]["responses"])
    assert {"200", "401"} <= set(paths["/v1/circuits"]["get"]["responses"])
    from prometheus_client import CONTENT_TYPE_LATEST

    assert list(paths["/metrics"]["get"]["responses"]["200"]["content"]) == [CONTENT_TYPE_LATEST]
    err = spec["components"]["schemas"]["ErrorBody"]
    assert set(err["required"]) == {"error", "code"}
    assert spec["components"]["schemas"]["ProofRequest"]["properties"]["circuit"]["enum"] == ["transfer_2x2"]


def test_docs_load_their_assets_from_this_server(farm: FakeFarm):
    html = farm.client.get("/docs").text
    assert "swagger-ui-bundle.js" in html and "cdn" not in html.lower() and "https://" not in html
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"):
        r = farm.client.get(asset)
        assert r.status_code == 200 and len(r.content) > 10_000, asset


# -- one auth rule -------------------------------------------------------------------------------------

def test_one_auth_rule_for_rest_and_grpc(tmp_path):
    from service.grpc_api import make_grpc_server
    from service.grpc_client import GrpcCallError, GrpcClient

    f = FakeFarm(make_settings(tmp_path, auth_required=True))
    server = make_grpc_server(f.farm.jobs, None)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        c = f.client
        for path in ("/v1/circuits", "/v1/proofs/job_x"):
            assert c.get(path).status_code == 401, path
        for path in ("/healthz", "/readyz", "/metrics"):  # operational endpoints: never a key
            assert c.get(path).status_code == 200, path
        key = _key(f)
        assert c.get("/v1/circuits", headers={"X-API-Key": key}).status_code == 200
        with GrpcClient(f"127.0.0.1:{port}") as g, pytest.raises(GrpcCallError) as e:
            g.list_circuits()
        assert e.value.code == grpc.StatusCode.UNAUTHENTICATED
        with GrpcClient(f"127.0.0.1:{port}", api_key=key) as g:
            assert [x["id"] for x in g.list_circuits()] == ["transfer_2x2"]
        assert 'hush_refusals_total{api="grpc",code="Unauthorized",status="UNAUTHENTICATED"} 1.0' in c.get(
            "/metrics").text
    finally:
        server.stop(0).wait()
        f.close()


# -- no worker identity shown ----------------------------------------------------------------------------

def test_transitions_show_no_worker_host_or_pid(farm: FakeFarm):
    jid = farm.client.post("/v1/proofs", json=body()).json()["id"]
    store = farm.farm.store
    owner = "prover-7.internal.example:48213"
    store.claim(jid, owner, 60)
    store.transition(jid, JobState.QUEUED, expect=[JobState.PROVING], attempts=1, owner=owner,
                     detail=f"attempt 1 lost (worker {owner} gone or its lease expired)")
    store.claim(jid, owner, 60)
    r = farm.client.get(f"/v1/proofs/{jid}")
    details = [t["detail"] for t in r.json()["transitions"]]
    assert len(details) == 4 and "attempt 1 by a worker" in details
    assert "prover-7" not in r.text and "48213" not in r.text
    from service.grpc_api import job_to_pb

    pb = job_to_pb(farm.farm.jobs.get(farm.farm.jobs.authenticate(None), jid))
    assert "prover-7" not in str(pb) and "48213" not in str(pb)


# -- over a real socket: Content-Length and a trickling body ---------------------------------------------

@pytest.fixture
def server(farm: FakeFarm) -> Iterator[int]:
    import uvicorn

    from service.rest import make_app, uvicorn_config

    app = make_app(farm.farm, body_timeout_s=1.0)
    config = uvicorn_config(app, "127.0.0.1", 0, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    t = threading.Thread(target=srv.run, daemon=True)
    t.start()
    for _ in range(500):
        if srv.started:
            break
        time.sleep(0.01)
    port = srv.servers[0].sockets[0].getsockname()[1]
    yield port
    srv.should_exit = True
    t.join(10)


def _raw(port: int, request: bytes, *, then: list[tuple[float, bytes]] = (), timeout: float = 10.0) -> tuple[
        int, bytes, float]:
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        for pause, more in then:
            time.sleep(pause)
            try:
                s.sendall(more)
            except OSError:
                break
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data and b'"code"' in data and data.rstrip().endswith(b"}"):
                break
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.1 ") else 0
    return status, data, time.monotonic() - t0


def test_a_trickling_body_is_cut_off(server: int):
    head = (b"POST /v1/proofs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 200\r\n\r\n")
    status, data, took = _raw(server, head + b'{"circuit": ', then=[(0.4, b'"tr')] * 8)
    assert status == 408 and b'"code": "RequestTimeout"' in data, data
    assert took < 4.0


def test_a_bad_content_length_answers_the_error_shape(server: int):
    status, data, _ = _raw(server, b"POST /v1/proofs HTTP/1.1\r\nHost: x\r\nContent-Length: 12abc\r\n\r\n{}")
    assert status == 400 and b'"code"' in data and b'"error"' in data, data
