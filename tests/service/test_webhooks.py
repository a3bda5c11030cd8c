"""Webhooks (SECURITY.md item 35): signatures the receiver helper refuses when tampered, wrongly keyed,
stale or replayed; targets on internal networks refused; delivery retried with bounded backoff against a
real local HTTP receiver; the dispatcher thread."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from service.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    DeliveryResult,
    MemoryReplayCache,
    PostResponse,
    Target,
    WebhookDispatcher,
    WebhookReplayError,
    WebhookResolveError,
    WebhookSignatureError,
    WebhookTargetError,
    check_target,
    deliver,
    encode_event,
    httpx_post,
    new_event,
    parse_retry_after,
    resolve_target,
    sign,
)

SECRET = b"whsec-test-0123456789abcdef"
NOW = 1_800_000_000


def _event(event_id: str = "evt_0001") -> dict[str, Any]:
    return {"id": event_id, "type": "proof.succeeded", "created": NOW, "data": {"id": "job_1", "state": "succeeded"}}


def _signed(event: dict[str, Any] | None = None, *, secret: bytes = SECRET, ts: int = NOW) -> tuple[dict, bytes]:
    event = _event() if event is None else event
    body = encode_event(event)
    return sign(secret, body, timestamp=ts, event_id=event["id"]), body


def _verifier(**kw: Any) -> Any:
    from service.webhooks import WebhookVerifier

    return WebhookVerifier(SECRET, **kw)


# --- signing and the receiver helper ------------------------------------------------------------


def test_sign_matches_the_documented_scheme() -> None:
    headers, body = _signed()
    # Oracle: the scheme written out with the stdlib, independent of the module's helpers.
    mac = hmac.new(SECRET, f"{NOW}.evt_0001.".encode() + body, hashlib.sha256).hexdigest()
    assert headers == {SIGNATURE_HEADER: f"t={NOW},v1={mac}", EVENT_ID_HEADER: "evt_0001", TIMESTAMP_HEADER: str(NOW)}


def test_verify_accepts_a_fresh_signed_event() -> None:
    headers, body = _signed()
    assert _verifier().verify(headers, body, now=NOW + 5) == _event()


def test_verify_headers_are_case_insensitive() -> None:
    headers, body = _signed()
    lowered = {k.lower(): v for k, v in headers.items()}
    assert _verifier().verify(lowered, body, now=NOW)["id"] == "evt_0001"


def test_tampered_body_refused() -> None:
    headers, body = _signed()
    tampered = body.replace(b"job_1", b"job_2")
    assert tampered != body
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verifier().verify(headers, tampered, now=NOW)


def test_wrong_secret_refused() -> None:
    headers, body = _signed(secret=b"another-secret")
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verifier().verify(headers, body, now=NOW)


def test_signature_error_is_a_value_error() -> None:
    assert issubclass(WebhookSignatureError, ValueError)
    assert issubclass(WebhookReplayError, WebhookSignatureError)


@pytest.mark.parametrize("missing", [SIGNATURE_HEADER, EVENT_ID_HEADER, TIMESTAMP_HEADER])
def test_missing_header_refused(missing: str) -> None:
    headers, body = _signed()
    del headers[missing]
    with pytest.raises(WebhookSignatureError, match=f"missing {missing}"):
        _verifier().verify(headers, body, now=NOW)


def _with_sig(value: str) -> tuple[dict, bytes]:
    headers, body = _signed()
    headers[SIGNATURE_HEADER] = value
    return headers, body


_GOOD_MAC = "0" * 64


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        f"v1={_GOOD_MAC}",  # no t=
        f"t={NOW}",  # no v1=
        f"t={NOW},v1=",  # empty mac
        f"t={NOW},v1={_GOOD_MAC[:-1]}",  # 63 hex digits
        f"t={NOW},v1={'A' * 64}",  # uppercase hex
        f"t={NOW},v1={'g' * 64}",  # not hex
        f"t=+{NOW},v1={_GOOD_MAC}",  # sign
        f"t=1_800_000_000,v1={_GOOD_MAC}",  # int() would accept this
        f"t={NOW}.5,v1={_GOOD_MAC}",
        f"t={NOW},t={NOW},v1={_GOOD_MAC}",  # t twice
        f"t={NOW},v1={_GOOD_MAC}," + "x=" * 3000,  # oversized
    ],
)
def test_malformed_signature_header_refused(value: str) -> None:
    headers, body = _with_sig(value)
    with pytest.raises(WebhookSignatureError):
        _verifier().verify(headers, body, now=NOW)


def test_timestamp_header_must_equal_signed_t() -> None:
    headers, body = _signed()
    headers[TIMESTAMP_HEADER] = str(NOW + 1)
    with pytest.raises(WebhookSignatureError, match="differs"):
        _verifier().verify(headers, body, now=NOW)


def test_event_id_header_is_signed() -> None:
    headers, body = _signed()
    headers[EVENT_ID_HEADER] = "evt_0002"
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verifier().verify(headers, body, now=NOW)


def test_event_id_header_format_checked() -> None:
    headers, body = _signed()
    headers[EVENT_ID_HEADER] = "evt.0001"
    with pytest.raises(WebhookSignatureError, match=EVENT_ID_HEADER):
        _verifier().verify(headers, body, now=NOW)


def test_resigned_timestamp_is_signed() -> None:
    """Moving t= forward (to dodge the staleness check) breaks the MAC."""
    headers, body = _signed(ts=NOW - 1000)
    mac = headers[SIGNATURE_HEADER].split("v1=")[1]
    headers[SIGNATURE_HEADER] = f"t={NOW},v1={mac}"
    headers[TIMESTAMP_HEADER] = str(NOW)
    with pytest.raises(WebhookSignatureError, match="does not match"):
        _verifier().verify(headers, body, now=NOW)


@pytest.mark.parametrize("offset", [300, -300, 0])
def test_timestamp_at_the_tolerance_edge_accepted(offset: int) -> None:
    headers, body = _signed()
    assert _verifier(tolerance_s=300).verify(headers, body, now=NOW + offset)["id"] == "evt_0001"


def test_stale_timestamp_refused() -> None:
    headers, body = _signed()
    with pytest.raises(WebhookSignatureError, match="old"):
        _verifier(tolerance_s=300).verify(headers, body, now=NOW + 301)


def test_future_timestamp_refused() -> None:
    headers, body = _signed()
    with pytest.raises(WebhookSignatureError, match="future"):
        _verifier(tolerance_s=300).verify(headers, body, now=NOW - 301)


def test_replayed_event_refused() -> None:
    v = _verifier()
    headers, body = _signed()
    v.verify(headers, body, now=NOW)
    with pytest.raises(WebhookReplayError, match="already accepted"):
        v.verify(headers, body, now=NOW + 1)
    # Re-signed with a fresh timestamp (what our own retry looks like): still the same event id.
    headers2, body2 = _signed(ts=NOW + 10)
    with pytest.raises(WebhookReplayError):
        v.verify(headers2, body2, now=NOW + 10)


def test_replay_at_the_last_second_of_the_window_refused() -> None:
    v = _verifier(tolerance_s=300)
    headers, body = _signed()
    v.verify(headers, body, now=NOW - 300)
    with pytest.raises(WebhookReplayError):
        v.verify(headers, body, now=NOW + 300)


def test_forged_request_does_not_poison_the_replay_cache() -> None:
    v = _verifier()
    forged, body = _signed(secret=b"attacker")
    with pytest.raises(WebhookSignatureError):
        v.verify(forged, body, now=NOW)
    headers, body = _signed()
    assert v.verify(headers, body, now=NOW)["id"] == "evt_0001"


def test_replay_cache_shared_between_verifiers() -> None:
    cache = MemoryReplayCache()
    headers, body = _signed()
    _verifier(seen=cache).verify(headers, body, now=NOW)
    with pytest.raises(WebhookReplayError):
        _verifier(seen=cache).verify(headers, body, now=NOW)


def test_signed_body_must_be_a_json_object_with_the_header_id() -> None:
    v = _verifier()
    for body in (b"not json", b"[1,2]", b"\xff\xfe"):
        headers = sign(SECRET, body, timestamp=NOW, event_id="evt_x")
        with pytest.raises(WebhookSignatureError):
            v.verify(headers, body, now=NOW)
    body = encode_event(_event("evt_other"))
    headers = sign(SECRET, body, timestamp=NOW, event_id="evt_x")
    with pytest.raises(WebhookSignatureError, match="body id"):
        v.verify(headers, body, now=NOW)


def test_several_v1_entries_accepted_when_one_matches() -> None:
    """Secret rotation: the sender signs with old and new secrets."""
    headers, body = _signed()
    old_mac = sign(b"old-secret", body, timestamp=NOW, event_id="evt_0001")[SIGNATURE_HEADER].split("v1=")[1]
    new_mac = headers[SIGNATURE_HEADER].split("v1=")[1]
    headers[SIGNATURE_HEADER] = f"t={NOW},v1={old_mac},v1={new_mac},v2=future-scheme"
    assert _verifier().verify(headers, body, now=NOW)["id"] == "evt_0001"


def test_sign_refuses_ambiguous_event_ids_and_bad_arguments() -> None:
    with pytest.raises(ValueError, match="event id"):
        sign(SECRET, b"{}", timestamp=NOW, event_id="a.b")
    with pytest.raises(ValueError, match="secret"):
        sign(b"", b"{}", timestamp=NOW, event_id="a")
    with pytest.raises(ValueError, match="timestamp"):
        sign(SECRET, b"{}", timestamp=-1, event_id="a")


def test_memory_replay_cache_is_bounded_and_expires() -> None:
    cache = MemoryReplayCache(max_entries=2)
    assert cache.add("a", expires_at=10, now=0)
    assert cache.add("b", expires_at=100, now=0)
    assert not cache.add("a", expires_at=10, now=5)
    # Full: "a" is expired at now=20 and goes first, "b" stays.
    assert cache.add("c", expires_at=100, now=20)
    assert len(cache) == 2
    assert not cache.add("b", expires_at=100, now=20)
    # Full of live ids: the oldest ("b") is evicted.
    assert cache.add("d", expires_at=100, now=21)
    assert len(cache) == 2
    assert cache.add("b", expires_at=100, now=22)
    assert not cache.add("d", expires_at=100, now=22)


def test_new_event_shape() -> None:
    e1, e2 = new_event("proof.succeeded", {"id": "job"}, now=NOW), new_event("proof.succeeded", {"id": "job"})
    assert e1["id"] != e2["id"] and e1["id"].startswith("evt_")
    assert e1["type"] == "proof.succeeded" and e1["created"] == NOW and e1["data"] == {"id": "job"}


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


def test_real_receiver_gets_a_signed_event_the_verifier_accepts(receiver_factory: Any) -> None:
    r = receiver_factory()
    event = _event("evt_real")
    result = deliver(r.url, SECRET, event, allow_private=True, sleep=SleepRecorder())
    assert result == DeliveryResult("evt_real", 1, (200,), True, False, None, ())
    [(path, headers, body)] = r.requests
    assert path == "/hooks/hush?tenant=7"
    assert headers["Content-Type"] == "application/json"
    assert _verifier().verify(headers, body) == event


def test_default_delivery_is_refused_for_loopback(receiver_factory: Any) -> None:
    r = receiver_factory()
    result = deliver(r.url, SECRET, _event(), sleep=SleepRecorder())
    assert result.attempts == 0 and not result.delivered and result.dead_lettered
    assert "target refused" in (result.last_error or "")
    assert r.requests == []


def test_delivery_connects_to_the_checked_address_not_a_second_lookup(receiver_factory: Any) -> None:
    """The name only exists in our fake resolver: httpx must connect to the pinned IP and send Host: <name>."""
    r = receiver_factory()
    resolve = _resolver("127.0.0.1")
    result = deliver(f"http://hooks.hush.invalid:{r.port}/h", SECRET, _event(), allow_private=True,
                     resolve=resolve, sleep=SleepRecorder())
    assert result.delivered, result
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
    result = deliver(f"https://hooks.hush.test:{r.port}/h", SECRET, _event("evt_tls"), allow_private=True,
                     resolve=_resolver("127.0.0.1"), max_attempts=1, timeout=2.0,
                     post=functools.partial(httpx_post, ssl_context=client_ctx))
    assert result.delivered is delivered, result
    if delivered:
        [(_, headers, body)] = r.requests
        assert headers["Host"] == f"hooks.hush.test:{r.port}"
        assert _verifier().verify(headers, body)["id"] == "evt_tls"
    else:
        assert r.requests == [] and "certificate" in (result.last_error or "").lower(), result.last_error


def test_503_twice_then_200_with_bounded_backoff(receiver_factory: Any) -> None:
    r = receiver_factory([(503, {}), (503, {})])
    sleep = SleepRecorder()
    result = deliver(r.url, SECRET, _event("evt_retry"), allow_private=True, sleep=sleep, base_delay=0.5,
                     max_delay=30.0)
    assert result.delivered and not result.dead_lettered
    assert result.attempts == 3 and result.statuses == (503, 503, 200)
    assert len(sleep.delays) == 2 and result.delays == tuple(sleep.delays)
    for i, d in enumerate(sleep.delays):
        assert 0.0 <= d <= 0.5 * 2**i
    # Every retry carries the same event id, a fresh signature the verifier accepts on its own.
    assert len(r.requests) == 3
    for _, headers, body in r.requests:
        assert headers[EVENT_ID_HEADER] == "evt_retry"
        assert _verifier().verify(headers, body)["id"] == "evt_retry"


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    def always(status: int):
        def post(target: Target, body: bytes, headers: Any, timeout: float) -> PostResponse:
            return PostResponse(status)

        return post

    for jitter in (1.0, 0.5, 0.0):
        sleep = SleepRecorder()
        result = deliver("https://hooks.example.com/", SECRET, _event(), max_attempts=6, base_delay=1.0,
                         max_delay=5.0, sleep=sleep, rng=lambda j=jitter: j, post=always(500),
                         resolve=_resolver(PUBLIC))
        assert sleep.delays == [jitter * min(5.0, 2.0**i) for i in range(5)]
        assert result.attempts == 6 and result.dead_lettered and not result.delivered
        assert result.statuses == (500,) * 6 and result.last_error == "HTTP 500"


def test_long_retry_schedules_stay_at_max_delay() -> None:
    sleep = SleepRecorder()
    result = deliver("https://hooks.example.com/", SECRET, _event(), max_attempts=1200, base_delay=0.5,
                     max_delay=30.0, sleep=sleep, rng=lambda: 1.0, post=lambda *a: PostResponse(502),
                     resolve=_resolver(PUBLIC))
    assert result.attempts == 1200 and result.dead_lettered
    assert sleep.delays[:7] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0] and set(sleep.delays[6:]) == {30.0}


def test_unresolvable_host_is_retried_then_dead_lettered() -> None:
    lookups: list[str] = []

    def fails(host: str, port: int, **kw: Any) -> list:
        lookups.append(host)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    result = deliver("https://hooks.example.com/", SECRET, _event(), max_attempts=3, resolve=fails,
                     sleep=SleepRecorder(), post=lambda *a: pytest.fail("nothing to post to"))
    assert lookups == ["hooks.example.com"] * 3
    assert result.attempts == 3 and result.statuses == (None,) * 3 and result.dead_lettered
    assert "does not resolve" in (result.last_error or "")


def test_429_honours_retry_after(receiver_factory: Any) -> None:
    r = receiver_factory([(429, {"Retry-After": "7"}), (429, {"Retry-After": "1000"})])
    sleep = SleepRecorder()
    result = deliver(r.url, SECRET, _event(), allow_private=True, sleep=sleep, max_delay=30.0, rng=lambda: 0.0)
    assert result.delivered and result.statuses == (429, 429, 200)
    assert sleep.delays == [7.0, 30.0]  # the second capped at max_delay


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 12, usegmt=True), now=now) == pytest.approx(12.0)
    assert parse_retry_after(formatdate(now - 12, usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after("-5", now=now) is None
    assert parse_retry_after(None) is None


def test_400_is_not_retried(receiver_factory: Any) -> None:
    r = receiver_factory([(400, {})])
    sleep = SleepRecorder()
    result = deliver(r.url, SECRET, _event(), allow_private=True, sleep=sleep)
    assert result.attempts == 1 and result.statuses == (400,)
    assert not result.delivered and result.dead_lettered and result.last_error == "HTTP 400"
    assert sleep.delays == [] and len(r.requests) == 1


def test_redirect_is_not_followed(receiver_factory: Any) -> None:
    r = receiver_factory([(302, {"Location": "http://169.254.169.254/latest/meta-data/"})])
    result = deliver(r.url, SECRET, _event(), allow_private=True, sleep=SleepRecorder())
    assert result.statuses == (302,) and not result.delivered and result.dead_lettered
    assert len(r.requests) == 1


def test_dead_letter_after_max_attempts(receiver_factory: Any) -> None:
    r = receiver_factory([(500, {})] * 10)
    sleep = SleepRecorder()
    result = deliver(r.url, SECRET, _event(), allow_private=True, sleep=sleep, max_attempts=4, base_delay=0.01)
    assert result.attempts == 4 and len(r.requests) == 4 and len(sleep.delays) == 3
    assert result.dead_lettered and not result.delivered and result.statuses == (500,) * 4


def test_network_errors_are_retried_then_dead_lettered() -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleep = SleepRecorder()
    result = deliver(f"http://127.0.0.1:{port}/", SECRET, _event(), allow_private=True, sleep=sleep,
                     max_attempts=3, timeout=2.0)
    assert result.attempts == 3 and result.statuses == (None, None, None) and len(sleep.delays) == 2
    assert result.dead_lettered and "network error" in (result.last_error or "")


def test_network_error_then_success_with_injected_post() -> None:
    calls: list[Target] = []

    def post(target: Target, body: bytes, headers: Any, timeout: float) -> PostResponse:
        calls.append(target)
        if len(calls) == 1:
            raise ConnectionResetError("reset by peer")
        return PostResponse(204)

    result = deliver("https://hooks.example.com/x", SECRET, _event(), post=post, sleep=SleepRecorder(),
                     resolve=_resolver(PUBLIC))
    assert result.delivered and result.statuses == (None, 204)
    assert [str(a) for a in calls[0].addresses] == [PUBLIC]


def test_dns_rebinding_between_attempts_is_refused() -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"]])

    def rebinding(host: str, port: int, **kw: Any) -> list[tuple]:
        return _resolver(*next(answers))(host, port)

    posted: list[Target] = []

    def post(target: Target, body: bytes, headers: Any, timeout: float) -> PostResponse:
        posted.append(target)
        return PostResponse(503)

    result = deliver("https://rebind.example.com/", SECRET, _event(), post=post, resolve=rebinding,
                     sleep=SleepRecorder())
    assert len(posted) == 1 and [str(a) for a in posted[0].addresses] == [PUBLIC]
    assert result.attempts == 1 and result.dead_lettered and "target refused" in (result.last_error or "")


def test_deliver_requires_a_valid_event_id() -> None:
    for bad in ({}, {"id": ""}, {"id": "a.b"}, {"id": 7}):
        with pytest.raises(ValueError, match="id"):
            deliver("https://hooks.example.com/", SECRET, bad, resolve=_resolver(PUBLIC))


# --- dispatcher ---------------------------------------------------------------------------------


class Results:
    def __init__(self) -> None:
        self.items: list[tuple[str, DeliveryResult]] = []
        self.cond = threading.Condition()

    def __call__(self, job_id: str, result: DeliveryResult) -> None:
        with self.cond:
            self.items.append((job_id, result))
            self.cond.notify_all()

    def wait(self, n: int, timeout: float = 5.0) -> list[tuple[str, DeliveryResult]]:
        with self.cond:
            assert self.cond.wait_for(lambda: len(self.items) >= n, timeout), self.items
            return list(self.items)


def test_dispatcher_delivers_and_reports(receiver_factory: Any) -> None:
    r = receiver_factory([(503, {})])
    results = Results()
    with WebhookDispatcher(results, workers=2, deliver_kwargs={"allow_private": True, "base_delay": 0.01}) as d:
        assert d.submit("job_a", r.url, SECRET, _event("evt_a"))
        assert d.submit("job_b", r.url, SECRET, _event("evt_b"))
        got = dict(results.wait(2))
    assert set(got) == {"job_a", "job_b"}
    assert all(res.delivered for res in got.values())
    assert sorted(res.attempts for res in got.values()) == [1, 2]
    ids = [_verifier().verify(h, b)["id"] for _, h, b in r.requests]
    assert len(ids) == 3 and set(ids) == {"evt_a", "evt_b"}


def test_dispatcher_submit_is_bounded_and_non_blocking() -> None:
    started, release = threading.Event(), threading.Event()

    def slow_deliver(url: str, secret: bytes, event: Any, **kw: Any) -> DeliveryResult:
        started.set()
        release.wait(5)
        return DeliveryResult(event["id"], 1, (200,), True, False, None)

    results = Results()
    d = WebhookDispatcher(results, maxsize=1, workers=1, deliver_fn=slow_deliver)
    try:
        assert d.submit("j1", "https://x.example.com/", SECRET, _event("e1"))
        assert started.wait(5)
        assert d.submit("j2", "https://x.example.com/", SECRET, _event("e2"))  # queued
        t0 = time.monotonic()
        assert not d.submit("j3", "https://x.example.com/", SECRET, _event("e3"))  # full
        assert time.monotonic() - t0 < 0.5
        release.set()
        assert [j for j, _ in results.wait(2)] == ["j1", "j2"]
    finally:
        release.set()
        d.close()
    assert not d.submit("j4", "https://x.example.com/", SECRET, _event("e4"))  # closed


def test_dispatcher_close_aborts_long_retries() -> None:
    def sleepy_deliver(url: str, secret: bytes, event: Any, *, sleep: Any, **kw: Any) -> DeliveryResult:
        sleep(60.0)
        return DeliveryResult(event["id"], 2, (503, 200), True, False, None)

    results = Results()
    d = WebhookDispatcher(results, workers=1, deliver_fn=sleepy_deliver)
    d.submit("j1", "https://x.example.com/", SECRET, _event("e1"))
    d.submit("j2", "https://x.example.com/", SECRET, _event("e2"))
    t0 = time.monotonic()
    d.close(timeout=0.2)
    assert time.monotonic() - t0 < 3.0
    got = results.wait(2)
    assert [j for j, _ in got] == ["j1", "j2"]
    assert all(res.aborted and not res.delivered and not res.dead_lettered for _, res in got)


def test_dispatcher_survives_a_failing_callback_and_a_crashing_delivery() -> None:
    seen: list[tuple[str, DeliveryResult]] = []

    def on_result(job_id: str, result: DeliveryResult) -> None:
        seen.append((job_id, result))
        if job_id == "j1":
            raise RuntimeError("store down")

    def flaky_deliver(url: str, secret: bytes, event: Any, **kw: Any) -> DeliveryResult:
        if event["id"] == "e2":
            raise KeyError("bug")
        return DeliveryResult(event["id"], 1, (200,), True, False, None)

    d = WebhookDispatcher(on_result, workers=1, deliver_fn=flaky_deliver)
    for i in (1, 2, 3):
        d.submit(f"j{i}", "https://x.example.com/", SECRET, _event(f"e{i}"))
    d.close(timeout=5)
    assert [j for j, _ in seen] == ["j1", "j2", "j3"]
    assert seen[1][1].dead_lettered and "crashed" in (seen[1][1].last_error or "")
    assert seen[2][1].delivered


def test_event_body_is_canonical_json() -> None:
    body = encode_event({"b": 1, "a": [1, 2], "id": "x"})
    assert body == b'{"a":[1,2],"b":1,"id":"x"}'
    assert json.loads(body) == {"b": 1, "a": [1, 2], "id": "x"}
    with pytest.raises(ValueError):
        encode_event({"id": "x", "n": float("nan")})
