"""Webhooks (SECURITY 35; issue 11 item 4): Standard Webhooks signatures a stock library verifies; the
receiver helper that records an event only once the application handled it; targets on internal
networks refused; one attempt against a real local HTTP receiver (pinned address, TLS name check, no
redirects); the retry schedule. Durable delivery (store, queue, restarts): test_webhook_dispatch.py."""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest
from standardwebhooks import Webhook

from service.webhooks import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    PostResponse,
    Target,
    WebhookReceiver,
    WebhookResolveError,
    WebhookSignatureError,
    WebhookTargetError,
    attempt,
    backoff,
    check_target,
    encode_event,
    httpx_post,
    parse_retry_after,
    resolve_target,
    secret_string,
    sign_headers,
)

SECRET = b"whsec-test-0123456789abcdef"
BODY = encode_event({"type": "proof.succeeded", "timestamp": 1, "data": {"id": "job_1", "state": "succeeded"}})


def _now() -> int:
    return int(time.time())


# --- signing: the Standard Webhooks scheme ------------------------------------------------------


def test_headers_follow_the_standard_and_a_stock_library_verifies_them() -> None:
    ts = _now()
    h = sign_headers(SECRET, "msg_1", BODY, timestamp=ts)
    assert set(h) == {ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER} == {"webhook-id", "webhook-timestamp",
                                                                         "webhook-signature"}
    assert h[ID_HEADER] == "msg_1" and h[TIMESTAMP_HEADER] == str(ts) and h[SIGNATURE_HEADER].startswith("v1,")
    import hashlib
    import hmac

    mac = hmac.new(SECRET, f"msg_1.{ts}.".encode() + BODY, hashlib.sha256).digest()  # the scheme, by hand
    assert h[SIGNATURE_HEADER] == "v1," + base64.b64encode(mac).decode()
    assert Webhook(secret_string(SECRET)).verify(BODY, h)["data"]["id"] == "job_1"  # what a receiver runs


@pytest.mark.parametrize("tamper", ["body", "secret", "id", "timestamp", "stale", "future", "missing"])
def test_the_receiver_refuses_what_is_not_authentic_and_fresh(tamper: str) -> None:
    ts, body, secret = _now(), BODY, SECRET
    if tamper == "stale":
        ts -= 301
    if tamper == "future":
        ts += 301
    h = sign_headers(secret, "msg_1", body, timestamp=ts)
    if tamper == "body":
        body = body.replace(b"job_1", b"job_2")
    if tamper == "secret":
        h = sign_headers(b"another secret", "msg_1", body, timestamp=ts)
    if tamper == "id":
        h[ID_HEADER] = "msg_2"
    if tamper == "timestamp":
        h[TIMESTAMP_HEADER] = str(ts + 1)
    if tamper == "missing":
        del h[SIGNATURE_HEADER]
    handled: list = []
    with pytest.raises(WebhookSignatureError):
        WebhookReceiver(secret_string(SECRET)).handle(h, body, handled.append)
    assert handled == []


def test_the_receiver_records_an_event_only_once_the_application_handled_it() -> None:
    """The bug of issue 11 item 4: the id was recorded before the application ran, so the retry after the
    receiver's 500 was refused as a replay and the event was lost."""
    receiver = WebhookReceiver(secret_string(SECRET))
    calls: list[str] = []

    def flaky(event: dict) -> None:
        calls.append(event["data"]["id"])
        if len(calls) == 1:
            raise RuntimeError("the database is down")  # the receiver answers 500

    with pytest.raises(RuntimeError):
        receiver.handle(sign_headers(SECRET, "msg_7", BODY, timestamp=_now()), BODY, flaky)
    got = receiver.handle(sign_headers(SECRET, "msg_7", BODY, timestamp=_now()), BODY, flaky)  # our retry
    assert not got.duplicate and calls == ["job_1", "job_1"]
    again = receiver.handle(sign_headers(SECRET, "msg_7", BODY, timestamp=_now()), BODY, flaky)  # a replay
    assert again.duplicate and len(calls) == 2


def test_concurrent_deliveries_of_one_event_run_the_handler_once() -> None:
    receiver = WebhookReceiver(secret_string(SECRET))
    calls: list[int] = []
    gate = threading.Event()

    def slow(event: dict) -> None:
        calls.append(1)
        gate.wait(2)

    results: list = []
    threads = [threading.Thread(target=lambda: results.append(receiver.handle(
        sign_headers(SECRET, "msg_9", BODY, timestamp=_now()), BODY, slow))) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    gate.set()
    for t in threads:
        t.join(5)
    assert len(calls) == 1 and sorted(r.duplicate for r in results) == [False, True, True, True]


def test_secret_string_is_the_standard_form() -> None:
    s = secret_string(SECRET)
    assert s.startswith("whsec_") and base64.b64decode(s[6:]) == SECRET
    with pytest.raises(ValueError):
        secret_string(b"")




# --- targets ------------------------------------------------------------------------------------


def _resolver(*addresses: str):
    calls: list[tuple[str, int]] = []

    def resolve(host: str, port: int, **kw: Any) -> list[tuple]:
        calls.append((host, port))
        out = []
        for a in addresses:
            fam = socket.AF_INET6 if ":" in a else socket.AF_INET
            sockaddr = (a, port, 0, 0) if fam == socket.AF_INET6 else (a, port)
            out.append((fam, socket.SOCK_STREAM, 6, "", sockaddr))
        return out

    resolve.calls = calls  # type: ignore[attr-defined]
    return resolve


PUBLIC = "93.184.215.14"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/hook",
        "file:///etc/passwd",
        "gopher://example.com/",
        "javascript:alert(1)",
        "example.com/hook",
        "http://user:pw@example.com/hook",
        "http://user@example.com/hook",
        "http://example.com@127.0.0.1/hook",
        "http:///hook",
        "http://example.com\\@127.0.0.1/",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:0/",
        "http://example.com:-1/",
        "http://[fe80::1%25eth0]/",
        "http://[not-v6]/",
        "http://exämple.com/",
        "http://example.com/\n",
    ],
)
def test_check_target_refuses_bad_urls(url: str) -> None:
    resolve = _resolver(PUBLIC)
    with pytest.raises(WebhookTargetError):
        check_target(url, resolve=resolve)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.255.255.254",
        "10.0.0.1",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "169.254.0.1",
        "100.64.0.1",  # CGNAT
        "100.127.255.254",
        "0.0.0.0",
        "0.1.2.3",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.1",  # documentation
        "198.18.0.1",  # benchmarking
        "192.0.0.8",
        "198.51.100.7",
        "203.0.113.9",
        "100::1",  # discard
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
        "::ffff:100.64.0.1",
        "::127.0.0.1",  # IPv4-compatible
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:db8::1",  # documentation
        "2001::1",  # Teredo
        "fec0::1",  # site-local
    ],
)
def test_check_target_refuses_internal_addresses(address: str) -> None:
    with pytest.raises(WebhookTargetError, match="not a public address") as info:
        check_target("https://hooks.example.com/h", resolve=_resolver(address))
    assert not isinstance(info.value, WebhookResolveError)


@pytest.mark.parametrize(
    "address", [PUBLIC, "8.8.8.8", "1.1.1.1", "2001:4860:4860::8888", "64:ff9b::808:808", "::ffff:8.8.8.8"]
)
def test_check_target_accepts_public_addresses(address: str) -> None:
    check_target("https://hooks.example.com/h?x=1", resolve=_resolver(address))


def test_every_resolved_address_must_be_public() -> None:
    with pytest.raises(WebhookTargetError, match="10.0.0.7"):
        check_target("https://hooks.example.com/", resolve=_resolver(PUBLIC, "2001:4860:4860::8888", "10.0.0.7"))


def test_unresolvable_or_empty_resolution_refused() -> None:
    def fails(host: str, port: int, **kw: Any) -> list:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(WebhookResolveError, match="does not resolve"):
        check_target("https://nowhere.invalid/", resolve=fails)
    with pytest.raises(WebhookResolveError, match="no address"):
        check_target("https://hooks.example.com/", resolve=_resolver())
    assert issubclass(WebhookResolveError, WebhookTargetError)


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f.1/",
        "http://127.1/",
        "http://0177.0.0.1/",
        "http://0x7f000001/",
        "http://017700000001/",
        "http://127.0.0.1:8080/",
        "http://localhost/",
        "http://LocalHost/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://0/",
    ],
)
def test_odd_literal_forms_judged_by_what_the_system_resolver_makes_of_them(url: str) -> None:
    with pytest.raises(WebhookTargetError) as info:
        check_target(url)
    # Refused for the address, not because the resolver choked on the spelling.
    assert "not a public address" in str(info.value)


def test_allow_private_admits_loopback_but_never_unspecified_or_multicast() -> None:
    check_target("http://127.0.0.1:9/", allow_private=True)
    check_target("http://hook.internal/", allow_private=True, resolve=_resolver("10.1.2.3"))
    for addr in ("0.0.0.0", "::", "224.0.0.1", "ff02::1", "255.255.255.255"):
        with pytest.raises(WebhookTargetError):
            check_target("http://hook.internal/", allow_private=True, resolve=_resolver(addr))


def test_resolve_target_pins_addresses_and_keeps_host() -> None:
    t = resolve_target("https://Hooks.Example.com:8443/a/b?c=d#frag", resolve=_resolver(PUBLIC, "2001:4860:4860::8888"))
    assert t.host == "hooks.example.com" and t.port == 8443 and t.path == "/a/b?c=d"
    assert [str(a) for a in t.addresses] == [PUBLIC, "2001:4860:4860::8888"]
    assert t.host_header == "hooks.example.com:8443"
    assert t.url_for(t.addresses[0]) == f"https://{PUBLIC}:8443/a/b?c=d"
    assert t.url_for(t.addresses[1]) == "https://[2001:4860:4860::8888]:8443/a/b?c=d"
    assert resolve_target("http://h.example.com", resolve=_resolver(PUBLIC)).host_header == "h.example.com"


# --- a real local receiver ----------------------------------------------------------------------
# --- one attempt against a real local receiver ----------------------------------------------------------------------


class Receiver:
    """An http.server on 127.0.0.1 answering a script of (status, headers), then 200s; records requests."""

    def __init__(self, script: list[tuple[int, dict[str, str]]] | None = None) -> None:
        self.script = list(script or [])
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.requests.append((self.path, dict(self.headers.items()), body))
                status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/hush?tenant=7"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver_factory() -> Iterator[Any]:
    made: list[Receiver] = []

    def make(script: list[tuple[int, dict[str, str]]] | None = None) -> Receiver:
        r = Receiver(script)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


class SleepRecorder:
    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


def test_one_attempt_to_a_real_receiver_is_signed_and_verifies(receiver_factory: Any) -> None:
    r = receiver_factory()
    result = attempt(r.url, SECRET, "msg_real", BODY, allow_private=True)
    assert result.outcome == "delivered" and result.status == 200
    [(path, headers, body)] = r.requests
    assert path == "/hooks/hush?tenant=7" and body == BODY
    assert headers["Content-Type"] == "application/json"
    assert Webhook(secret_string(SECRET)).verify(body, headers)["data"]["id"] == "job_1"


def test_loopback_is_refused_by_default(receiver_factory: Any) -> None:
    r = receiver_factory()
    result = attempt(r.url, SECRET, "msg_1", BODY)
    assert result.outcome == "give up" and "target refused" in (result.error or "") and r.requests == []


def test_the_attempt_connects_to_the_checked_address_not_a_second_lookup(receiver_factory: Any) -> None:
    """The name only exists in our fake resolver: httpx must connect to the pinned IP and send Host: <name>."""
    r = receiver_factory()
    resolve = _resolver("127.0.0.1")
    result = attempt(f"http://hooks.hush.invalid:{r.port}/h", SECRET, "msg_1", BODY, allow_private=True,
                     resolve=resolve)
    assert result.outcome == "delivered", result
    assert resolve.calls == [("hooks.hush.invalid", r.port)]
    assert r.requests[0][1]["Host"] == f"hooks.hush.invalid:{r.port}"


def _self_signed(tmp_path: Any, name: str) -> tuple[str, str]:
    """A throwaway certificate for ``name`` (its own CA), written as PEM files; returns (cert, key) paths."""
    import datetime

    crypto = pytest.importorskip("cryptography")
    del crypto
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return str(cert_path), str(key_path)


@pytest.mark.parametrize("cert_name, delivered", [("hooks.hush.test", True), ("other.hush.test", False)])
def test_https_to_a_pinned_ip_checks_the_certificate_against_the_hostname(
    receiver_factory: Any, tmp_path: Any, cert_name: str, delivered: bool
) -> None:
    import functools
    import ssl

    r = receiver_factory()
    cert, key = _self_signed(tmp_path, cert_name)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert, key)
    r.server.socket = server_ctx.wrap_socket(r.server.socket, server_side=True)
    client_ctx = ssl.create_default_context(cafile=cert)
    result = attempt(f"https://hooks.hush.test:{r.port}/h", SECRET, "msg_tls", BODY, allow_private=True,
                     resolve=_resolver("127.0.0.1"), timeout=2.0,
                     post=functools.partial(httpx_post, ssl_context=client_ctx))
    assert (result.outcome == "delivered") is delivered, result
    if delivered:
        [(_, headers, body)] = r.requests
        assert headers["Host"] == f"hooks.hush.test:{r.port}"
        assert Webhook(secret_string(SECRET)).verify(body, headers)
    else:
        assert r.requests == [] and result.outcome == "retry" and "certificate" in (result.error or "").lower()


@pytest.mark.parametrize("status, outcome", [(500, "retry"), (503, "retry"), (429, "retry"), (400, "give up"),
                                             (410, "give up"), (302, "give up"), (204, "delivered")])
def test_what_each_status_means(receiver_factory: Any, status: int, outcome: str) -> None:
    r = receiver_factory([(status, {"Location": "http://169.254.169.254/latest/meta-data/"})])
    result = attempt(r.url, SECRET, "msg_1", BODY, allow_private=True)
    assert result.outcome == outcome and result.status == status and len(r.requests) == 1  # no redirect followed


def test_429_carries_its_retry_after(receiver_factory: Any) -> None:
    r = receiver_factory([(429, {"Retry-After": "7"})])
    assert attempt(r.url, SECRET, "msg_1", BODY, allow_private=True).retry_after == 7.0


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 12, usegmt=True), now=now) == pytest.approx(12.0)
    assert parse_retry_after(formatdate(now - 12, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("-5", now=now) is None
    assert parse_retry_after(None) is None


def test_network_errors_and_unresolvable_hosts_are_retried() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = attempt(f"http://127.0.0.1:{port}/", SECRET, "msg_1", BODY, allow_private=True, timeout=2.0)
    assert result.outcome == "retry" and result.status is None and "network error" in (result.error or "")

    def fails(host: str, port: int, **kw: Any) -> list:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    result = attempt("https://hooks.example.com/", SECRET, "msg_1", BODY, resolve=fails,
                     post=lambda *a: pytest.fail("nothing to post to"))
    assert result.outcome == "retry" and "does not resolve" in (result.error or "")


def test_dns_rebinding_to_an_internal_address_is_refused() -> None:
    posted: list[Target] = []
    result = attempt("https://rebind.example.com/", SECRET, "msg_1", BODY, resolve=_resolver("127.0.0.1"),
                     post=lambda t, *a: posted.append(t) or PostResponse(200))
    assert result.outcome == "give up" and posted == []
    result = attempt("https://rebind.example.com/", SECRET, "msg_1", BODY, resolve=_resolver(PUBLIC),
                     post=lambda t, *a: posted.append(t) or PostResponse(200))
    assert result.outcome == "delivered" and [str(a) for a in posted[0].addresses] == [PUBLIC]


def test_backoff_doubles_from_one_second_up_to_an_hour() -> None:
    assert [backoff(n, rng=lambda: 0.0) for n in range(1, 15)] == [
        1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 3600, 3600]
    assert backoff(1, rng=lambda: 1.0) == 1.25 and backoff(40, rng=lambda: 1.0) == 3600  # jitter within the cap
    assert backoff(3, retry_after=7.0) == 7.0 and backoff(3, retry_after=1e9) == 3600
    total = sum(backoff(n, rng=lambda: 0.0) for n in range(1, 20))  # the default 20 attempts
    assert 8 * 3600 < total < 10 * 3600
