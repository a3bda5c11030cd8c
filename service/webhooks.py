"""Completion webhooks: signing, a receiver's verifier, an SSRF guard, delivery with retries, a dispatcher.

Signature scheme (version ``v1``)
---------------------------------
For a request body ``body`` (the JSON event, UTF-8), an event id ``event_id`` and a Unix timestamp
``ts`` (whole seconds, decimal ASCII), the sender computes::

    signed  = f"{ts}.{event_id}.".encode("ascii") + body
    v1      = hex(HMAC-SHA256(secret, signed))            # 64 lowercase hex digits

and sends the headers::

    Hush-Signature: t=<ts>,v1=<v1>
    Hush-Event-Id:  <event_id>
    Hush-Timestamp: <ts>

``event_id`` is 1-128 characters of ``[A-Za-z0-9_-]``: no ``.``, so the split of ``signed`` into
timestamp, id and body is unambiguous. It is also the ``"id"`` of the JSON event, and it stays the
same across retries of one event, while ``ts`` and the signature are fresh on every attempt.
``Hush-Signature`` may carry several ``v1=`` entries (one per secret during a rotation); a receiver
accepts the request when any of them matches. Unknown keys (a future ``v2=``) are ignored.

A receiver (``WebhookVerifier``) checks, in this order: headers present and well formed; the
timestamp within ``tolerance_s`` of its clock (both directions); the HMAC (constant-time); the
event id not seen before (the id is recorded only after the HMAC matched, so forged requests
cannot fill the cache); the body a JSON object whose ``"id"`` is the header's event id.
Because retries reuse the event id, a retry of an event the receiver already accepted (its 2xx was
lost) is refused as ``WebhookReplayError``; receivers should answer such a request with 2xx
("already have it"), which stops our retries.

Targets (SSRF)
--------------
``check_target`` accepts only ``http``/``https`` URLs without userinfo whose host resolves, and
only when every resolved address is globally routable (see ``is_public_address``). The resolver
judges odd literal forms (``2130706433``, ``0x7f.1``, ``127.1``): we never reason about the
spelling, only about what it resolves to.

DNS rebinding: ``deliver`` resolves and checks the target on every attempt and then connects to
exactly the checked addresses (pinned): the request goes to ``https://<checked ip>:<port>/path``
with ``Host: <hostname>`` and TLS SNI/certificate check against ``<hostname>`` (httpcore's
``sni_hostname`` extension). No second DNS lookup happens between check and connect, redirects are
not followed, proxies from the environment are ignored (``trust_env=False``), and each attempt
uses a fresh connection (no pool shared between hostnames).

Delivery
--------
``deliver`` retries network errors, 5xx and 429 with exponential backoff and full jitter
(``delay = rng() * min(max_delay, base_delay * 2**(attempt-1))``); a ``Retry-After`` on 429/503
replaces the backoff, capped at ``max_delay``. Other statuses (3xx, 4xx) end the delivery at once.
When delivery gives up for any reason, ``DeliveryResult.dead_lettered`` is true and the caller
stores the dead-letter record. A host that does not resolve counts as a failed try (retried); a host that
resolves to a refused address ends the delivery at once (also when it changes between tries: rebinding).
``timeout`` is httpx's per-phase timeout (connect, each read, each write), not a cap on the whole request.
"""

from __future__ import annotations

import email.utils
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import queue
import random
import re
import secrets
import socket
import ssl
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Hush-Signature"
EVENT_ID_HEADER = "Hush-Event-Id"
TIMESTAMP_HEADER = "Hush-Timestamp"
SCHEME = "v1"

EVENT_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_TIMESTAMP_RE = re.compile(r"[0-9]{1,15}")
_HEX64_RE = re.compile(r"[0-9a-f]{64}")
_DNS_NAME_RE = re.compile(r"(?=.{1,253}\.?$)([a-z0-9_-]{1,63})(\.[a-z0-9_-]{1,63})*\.?")
_MAX_SIGNATURE_HEADER = 4096

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


# --- errors -------------------------------------------------------------------------------------


class WebhookSignatureError(ValueError):
    """A webhook request the receiver must refuse (bad or missing signature, stale, replayed...)."""


class WebhookReplayError(WebhookSignatureError):
    """The event id was already accepted: a replay, or our retry of an event whose 2xx was lost."""


class WebhookTargetError(ValueError):
    """A webhook URL we refuse to deliver to (scheme, userinfo, internal address...)."""


class WebhookResolveError(WebhookTargetError):
    """The webhook host did not resolve. Transient for ``deliver`` (retried), fatal for ``check_target``."""


# --- signing ------------------------------------------------------------------------------------


def _signed_payload(timestamp: int, event_id: str, body: bytes) -> bytes:
    return f"{timestamp}.{event_id}.".encode("ascii") + body


def _mac(secret: bytes, timestamp: int, event_id: str, body: bytes) -> str:
    return hmac.new(secret, _signed_payload(timestamp, event_id, body), hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, *, timestamp: int, event_id: str) -> dict[str, str]:
    """The three ``Hush-*`` headers that sign ``body`` (see the module docstring for the scheme)."""
    if not isinstance(secret, bytes | bytearray) or len(secret) == 0:
        raise ValueError(f"webhook secret must be non-empty bytes, got {'empty ' if not secret else ''}"
                         f"{type(secret).__name__}")
    if not isinstance(body, bytes | bytearray):
        raise ValueError(f"webhook body must be bytes, got {type(body).__name__}")
    if isinstance(timestamp, bool) or not isinstance(timestamp, int) or timestamp < 0:
        raise ValueError(f"timestamp must be a non-negative int (Unix seconds), got {timestamp!r}")
    if not isinstance(event_id, str) or not EVENT_ID_RE.fullmatch(event_id):
        raise ValueError(f"event id must be 1-128 characters of [A-Za-z0-9_-], got {event_id!r}")
    mac = _mac(bytes(secret), timestamp, event_id, bytes(body))
    return {
        SIGNATURE_HEADER: f"t={timestamp},{SCHEME}={mac}",
        EVENT_ID_HEADER: event_id,
        TIMESTAMP_HEADER: str(timestamp),
    }


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The canonical body of an event: compact, sorted-key JSON, UTF-8."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False).encode()


def new_event(event_type: str, data: Mapping[str, Any], *, now: float | None = None) -> dict[str, Any]:
    """An event envelope ``{"id": "evt_<32 hex>", "type", "created", "data"}``; ``data`` is e.g. ``Job.to_json()``."""
    return {
        "id": "evt_" + secrets.token_hex(16),
        "type": event_type,
        "created": int(time.time() if now is None else now),
        "data": dict(data),
    }


# --- receiver side ------------------------------------------------------------------------------


class ReplayCache(Protocol):
    """Remembers accepted event ids until they expire. A shared store (Redis ``SET NX EX``) fits too."""

    def add(self, event_id: str, expires_at: float, now: float) -> bool:
        """Record ``event_id`` until ``expires_at``; False when it is already recorded and unexpired."""
        ...


class MemoryReplayCache:
    """An in-process, thread-safe, bounded ``ReplayCache``.

    When full, expired ids go first, then the oldest. Evicting an unexpired id reopens a replay
    window for it, so size ``max_entries`` above the number of events a receiver accepts within
    twice the tolerance. Only authenticated events are added, so a forger cannot flood it.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, event_id: str, expires_at: float, now: float) -> bool:
        with self._lock:
            old = self._seen.get(event_id)
            if old is not None and old > now:
                return False
            self._seen.pop(event_id, None)
            if len(self._seen) >= self.max_entries:
                for k in [k for k, exp in self._seen.items() if exp <= now]:
                    del self._seen[k]
            while len(self._seen) >= self.max_entries:
                self._seen.popitem(last=False)
            self._seen[event_id] = expires_at
            return True


def _header(headers: Mapping[str, str], name: str) -> str:
    want = name.lower()
    found: list[str] = [v for k, v in headers.items() if isinstance(k, str) and k.lower() == want]
    if not found:
        raise WebhookSignatureError(f"missing {name} header")
    if len(set(found)) > 1:
        raise WebhookSignatureError(f"{name} header given {len(found)} times with different values")
    value = found[0]
    if not isinstance(value, str):
        raise WebhookSignatureError(f"{name} header must be a string, got {type(value).__name__}")
    return value


def _parse_signature(value: str) -> tuple[int, list[str]]:
    if len(value) > _MAX_SIGNATURE_HEADER:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} is {len(value)} characters, at most "
                                    f"{_MAX_SIGNATURE_HEADER} expected")
    timestamp: int | None = None
    macs: list[str] = []
    for item in value.split(","):
        key, sep, val = item.strip().partition("=")
        if not sep:
            raise WebhookSignatureError(f"{SIGNATURE_HEADER} must be 't=<ts>,v1=<hex>', got an item without '='")
        if key == "t":
            if timestamp is not None:
                raise WebhookSignatureError(f"{SIGNATURE_HEADER} has more than one t=")
            if not _TIMESTAMP_RE.fullmatch(val):
                raise WebhookSignatureError(f"{SIGNATURE_HEADER} t= must be decimal Unix seconds, got {val[:20]!r}")
            timestamp = int(val)
        elif key == SCHEME:
            if not _HEX64_RE.fullmatch(val):
                raise WebhookSignatureError(f"{SIGNATURE_HEADER} {SCHEME}= must be 64 lowercase hex digits, "
                                            f"got {len(val)} characters")
            macs.append(val)
    if timestamp is None:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} has no t=<timestamp>")
    if not macs:
        raise WebhookSignatureError(f"{SIGNATURE_HEADER} has no {SCHEME}=<signature>")
    return timestamp, macs


class WebhookVerifier:
    """Checks a webhook request as a receiver; see the module docstring for what is checked and in what order.

    >>> v = WebhookVerifier(secret)
    >>> event = v.verify(request.headers, request.body)   # raises WebhookSignatureError when refused
    """

    def __init__(self, secret: bytes, *, tolerance_s: int = 300, seen: ReplayCache | None = None) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) == 0:
            raise ValueError("webhook secret must be non-empty bytes")
        if tolerance_s <= 0:
            raise ValueError(f"tolerance_s must be > 0, got {tolerance_s}")
        self._secret = bytes(secret)
        self.tolerance_s = tolerance_s
        self.seen: ReplayCache = MemoryReplayCache() if seen is None else seen

    def verify(self, headers: Mapping[str, str], body: bytes, *, now: float | None = None) -> dict[str, Any]:
        """The JSON event of an authentic, fresh, first-seen request; else ``WebhookSignatureError``."""
        now = time.time() if now is None else now
        if not isinstance(body, bytes | bytearray):
            raise WebhookSignatureError(f"body must be the raw request bytes, got {type(body).__name__}")
        body = bytes(body)
        timestamp, macs = _parse_signature(_header(headers, SIGNATURE_HEADER))
        event_id = _header(headers, EVENT_ID_HEADER)
        if not EVENT_ID_RE.fullmatch(event_id):
            raise WebhookSignatureError(f"{EVENT_ID_HEADER} must be 1-128 characters of [A-Za-z0-9_-], "
                                        f"got {len(event_id)} characters")
        ts_header = _header(headers, TIMESTAMP_HEADER)
        if ts_header != str(timestamp):
            raise WebhookSignatureError(f"{TIMESTAMP_HEADER} {ts_header[:20]!r} differs from the signed t={timestamp}")

        age = now - timestamp
        if age > self.tolerance_s:
            raise WebhookSignatureError(f"timestamp is {age:.0f} s old, at most {self.tolerance_s} s expected")
        if -age > self.tolerance_s:
            raise WebhookSignatureError(f"timestamp is {-age:.0f} s in the future, at most {self.tolerance_s} s "
                                        "of clock skew expected")

        expected = _mac(self._secret, timestamp, event_id, body)
        # Compare against every candidate without short-circuiting, each compare constant-time.
        ok = False
        for mac in macs:
            ok |= hmac.compare_digest(expected, mac)
        if not ok:
            raise WebhookSignatureError("signature does not match (wrong secret or altered body, id or timestamp)")

        try:
            event = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise WebhookSignatureError(f"body is not JSON: {exc.__class__.__name__}") from None
        if not isinstance(event, dict):
            raise WebhookSignatureError(f"body must be a JSON object, got {type(event).__name__}")
        if event.get("id") != event_id:
            raise WebhookSignatureError(f"body id differs from {EVENT_ID_HEADER}")

        # Once now > timestamp + tolerance the timestamp check alone refuses this request, so the id may
        # expire then (+1: the age check accepts now == timestamp + tolerance, the cache expires at <=).
        if not self.seen.add(event_id, timestamp + self.tolerance_s + 1, now):
            raise WebhookReplayError(f"event {event_id} was already accepted (replay or retry)")
        return event


# --- targets ------------------------------------------------------------------------------------

# Special-purpose blocks that are not globally reachable (IANA registries), listed here as well so the
# verdict does not depend on which Python patch release's ipaddress tables are installed.
_NOT_GLOBAL = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
        "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/8", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10",
        "fec0::/10", "ff00::/8",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPAT = ipaddress.ip_network("::/96")


def _embedded_v4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries and that a gateway would reach, if any."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr in _NAT64 or addr in _V4_COMPAT:
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    return None


def is_public_address(addr: IpAddress) -> bool:
    """True for a globally routable unicast address: refuses loopback, private, link-local (169.254/16,
    metadata services), CGNAT 100.64/10, multicast, unspecified, reserved, documentation and
    benchmarking ranges, and IPv6 forms (mapped, compatible, NAT64, 6to4, Teredo) that carry any of them."""
    if isinstance(addr, ipaddress.IPv6Address):
        if addr.scope_id:
            return False
        v4 = _embedded_v4(addr)
        if v4 is not None:
            if addr in _V4_COMPAT:
                return False  # deprecated ::a.b.c.d, never a legitimate target
            if addr in _NAT64 or addr.ipv4_mapped is not None:
                return is_public_address(v4)  # the IPv4 address is what is reached; judge it alone
            if not is_public_address(v4):
                return False
    if any(addr in net for net in _NOT_GLOBAL if net.version == addr.version):
        return False
    return (
        addr.is_global
        and not addr.is_private
        and not addr.is_loopback
        and not addr.is_link_local
        and not addr.is_multicast
        and not addr.is_unspecified
        and not addr.is_reserved
        and not (isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local)
    )


def _never_a_receiver(addr: IpAddress) -> bool:
    """Refused even with allow_private: no single host answers there."""
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    return addr.is_unspecified or addr.is_multicast or addr == ipaddress.IPv4Address("255.255.255.255")


@dataclass(frozen=True)
class Target:
    """A checked webhook target: where to connect (pinned addresses) and what to tell the server."""

    url: str
    scheme: str
    host: str
    """Hostname as written (lowercase; no brackets for IPv6), for Host and TLS SNI."""
    port: int
    path: str
    """Path and query, at least "/"."""
    addresses: tuple[IpAddress, ...]
    """Every resolved address, all checked; connect only to these."""

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"

    def url_for(self, addr: IpAddress) -> str:
        ip = f"[{addr}]" if isinstance(addr, ipaddress.IPv6Address) else str(addr)
        return f"{self.scheme}://{ip}:{self.port}{self.path}"


Resolver = Callable[..., Iterable[tuple[Any, ...]]]


def resolve_target(url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo) -> Target:
    """Parse, resolve and check a webhook URL; the returned ``Target`` pins the checked addresses."""
    if not isinstance(url, str):
        raise WebhookTargetError(f"webhook URL must be a string, got {type(url).__name__}")
    if len(url) > 2048:
        raise WebhookTargetError(f"webhook URL is {len(url)} characters, at most 2048 expected")
    if any(c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F or c == "\\" for c in url):
        raise WebhookTargetError("webhook URL contains whitespace, control characters or a backslash")
    if not url.isascii():
        raise WebhookTargetError("webhook URL must be ASCII (punycode the host, percent-encode the path)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookTargetError(f"webhook URL does not parse: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookTargetError(f"webhook URL scheme must be http or https, got {parts.scheme or 'none'!r}")
    if "@" in parts.netloc:
        raise WebhookTargetError("webhook URL must not carry userinfo (user:password@)")
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookTargetError("webhook URL has no host")
    if "%" in host:
        raise WebhookTargetError("webhook URL host must not carry an IPv6 zone id")
    literal: IpAddress | None = None
    if parts.netloc.startswith("["):
        try:
            literal = ipaddress.IPv6Address(host)
        except ValueError:
            raise WebhookTargetError(f"webhook URL has a bracketed host that is not IPv6: {host!r}") from None
    elif not _DNS_NAME_RE.fullmatch(host):
        raise WebhookTargetError(f"webhook URL host {host!r} is not a DNS name or IP address")
    if port is None:
        port = 443 if scheme == "https" else 80
    if not 0 < port < 65536:
        raise WebhookTargetError(f"webhook URL port must be 1-65535, got {port}")

    try:
        infos = list(resolve(host, port, type=socket.SOCK_STREAM))
    except (OSError, UnicodeError) as exc:
        raise WebhookResolveError(f"webhook host {host!r} does not resolve: {exc}") from None
    addresses: list[IpAddress] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]
        try:
            addr = ipaddress.ip_address(raw)
        except ValueError:
            raise WebhookTargetError(f"resolver returned {raw!r} for {host!r}, not an IP address") from None
        if addr not in addresses:
            addresses.append(addr)
    if not addresses:
        raise WebhookResolveError(f"webhook host {host!r} resolved to no address")
    if literal is not None and addresses != [literal]:
        raise WebhookTargetError(f"IPv6 literal {host} resolved to {', '.join(map(str, addresses))}")
    for addr in addresses:
        if _never_a_receiver(addr) or (not allow_private and not is_public_address(addr)):
            raise WebhookTargetError(f"webhook host {host!r} resolves to {addr}, which is not a public address")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(url=url, scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses))


def check_target(url: str, *, allow_private: bool = False, resolve: Resolver = socket.getaddrinfo) -> None:
    """Raise ``WebhookTargetError`` unless ``url`` is an http(s) URL whose every address is public."""
    resolve_target(url, allow_private=allow_private, resolve=resolve)


# --- delivery -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PostResponse:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)


Poster = Callable[[Target, bytes, Mapping[str, str], float], PostResponse]
"""``post(target, body, headers, timeout) -> PostResponse``; raises OSError (or a subclass) on network errors."""


class WebhookNetworkError(OSError):
    """The request did not get an HTTP response (connect, TLS, timeout, protocol)."""


_ssl_context: ssl.SSLContext | None = None
_ssl_lock = threading.Lock()


def _shared_ssl_context() -> ssl.SSLContext:
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            try:
                import certifi

                _ssl_context = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - httpx depends on certifi
                _ssl_context = ssl.create_default_context()
        return _ssl_context


def httpx_post(
    target: Target,
    body: bytes,
    headers: Mapping[str, str],
    timeout: float,
    *,
    ssl_context: ssl.SSLContext | None = None,
) -> PostResponse:
    """POST to the pinned addresses of ``target`` with httpx: no redirects, no environment proxies, a fresh
    connection; tries the next address only when connecting failed (nothing was sent). TLS verifies the
    certificate against ``target.host`` (SNI), not the IP connected to; ``ssl_context`` defaults to certifi's CAs."""
    import httpx

    request_headers = {**headers, "Host": target.host_header}
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    last: Exception | None = None
    with httpx.Client(
        follow_redirects=False, trust_env=False, timeout=timeout, verify=ssl_context or _shared_ssl_context()
    ) as client:
        for addr in target.addresses:
            request = client.build_request(
                "POST", target.url_for(addr), content=body, headers=request_headers, extensions=extensions
            )
            try:
                response = client.send(request, stream=True)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                last = exc
                continue
            except httpx.TransportError as exc:
                raise WebhookNetworkError(f"{type(exc).__name__}: {exc}") from None
            try:
                return PostResponse(response.status_code, dict(response.headers))
            finally:
                response.close()  # the body is never read: a receiver cannot make us download anything
    raise WebhookNetworkError(f"could not connect to {target.host}: {type(last).__name__}: {last}")


@dataclass(frozen=True)
class DeliveryResult:
    event_id: str
    attempts: int
    """Tries made: POSTs, plus lookups of an unresolvable host (0 when the target was refused at once)."""
    statuses: tuple[int | None, ...]
    """HTTP status per attempt, None where the attempt got no response."""
    delivered: bool
    dead_lettered: bool
    """True whenever delivery gave up (retries exhausted, a non-retryable status, a refused target)."""
    last_error: str | None
    delays: tuple[float, ...] = ()
    """Seconds slept before each retry."""
    aborted: bool = False
    """The dispatcher closed before delivery finished: neither delivered nor dead, deliver it again later."""


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), None when absent or unusable."""
    if value is None:
        return None
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,10}", value):
        return float(int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds)


def _retryable(status: int) -> bool:
    return status == 429 or 500 <= status <= 599


def deliver(
    url: str,
    secret: bytes,
    event: Mapping[str, Any],
    *,
    max_attempts: int = 6,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    timeout: float = 5.0,
    allow_private: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    rng: Callable[[], float] = random.random,
    post: Poster | None = None,
    resolve: Resolver = socket.getaddrinfo,
    clock: Callable[[], float] = time.time,
) -> DeliveryResult:
    """POST a signed ``event`` (a dict with a valid ``"id"``) to ``url``, retrying; never raises for delivery
    failures (the result says what happened). The target is re-resolved, re-checked and pinned each attempt."""
    if max_attempts < 1:
        raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
    if base_delay < 0 or max_delay < 0 or timeout <= 0:
        raise ValueError(f"delays must be >= 0 and timeout > 0, got base_delay={base_delay}, "
                         f"max_delay={max_delay}, timeout={timeout}")
    event_id = event.get("id")
    if not isinstance(event_id, str) or not EVENT_ID_RE.fullmatch(event_id):
        raise ValueError(f"event must have an 'id' of 1-128 characters of [A-Za-z0-9_-], got {event_id!r}")
    body = encode_event(event)
    post = httpx_post if post is None else post

    statuses: list[int | None] = []
    delays: list[float] = []
    last_error: str | None = None
    attempt = 0
    while True:
        retry_after: float | None = None
        try:
            target = resolve_target(url, allow_private=allow_private, resolve=resolve)
        except WebhookResolveError as exc:
            last_error = str(exc)
            target = None
        except WebhookTargetError as exc:
            return DeliveryResult(event_id, attempt, tuple(statuses), False, True, f"target refused: {exc}",
                                  tuple(delays))
        if target is not None:
            attempt += 1
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "hush-webhooks/1",
                **sign(secret, body, timestamp=int(clock()), event_id=event_id),
            }
            try:
                response = post(target, body, headers, timeout)
            except OSError as exc:
                statuses.append(None)
                last_error = f"network error: {exc}"
            else:
                statuses.append(response.status)
                if 200 <= response.status <= 299:
                    return DeliveryResult(event_id, attempt, tuple(statuses), True, False, None, tuple(delays))
                last_error = f"HTTP {response.status}"
                if not _retryable(response.status):
                    return DeliveryResult(event_id, attempt, tuple(statuses), False, True, last_error, tuple(delays))
                if response.status in (429, 503):
                    lowered = {k.lower(): v for k, v in response.headers.items()}
                    retry_after = parse_retry_after(lowered.get("retry-after"), now=clock())
        else:
            # An unresolvable host counts as a failed attempt so that DNS outages also end in a dead letter.
            attempt += 1
            statuses.append(None)
        if attempt >= max_attempts:
            return DeliveryResult(event_id, attempt, tuple(statuses), False, True, last_error, tuple(delays))
        if retry_after is not None:
            delay = min(max_delay, retry_after)
        else:
            delay = rng() * min(max_delay, base_delay * 2.0 ** min(attempt - 1, 64))
        delay = max(0.0, delay) if math.isfinite(delay) else max_delay
        delays.append(delay)
        sleep(delay)


# --- dispatcher ---------------------------------------------------------------------------------


class _Aborted(Exception):
    pass


@dataclass(frozen=True)
class _Job:
    job_id: str
    url: str
    secret: bytes
    event: Mapping[str, Any]


class WebhookDispatcher:
    """Delivers webhooks on background threads from a bounded queue, reporting each outcome to ``on_result``.

    ``submit`` never blocks: it returns False when the queue is full or the dispatcher is closed (the
    caller keeps the webhook pending and tries again later). ``on_result(job_id, result)`` runs on a
    dispatcher thread; the caller persists the outcome (a dead-letter record when ``dead_lettered``, the
    webhook still pending when ``aborted``). The queue lives in memory only: pending webhooks must be
    kept by the store to survive a restart.
    """

    def __init__(
        self,
        on_result: Callable[[str, DeliveryResult], None],
        *,
        maxsize: int = 1000,
        workers: int = 4,
        deliver_kwargs: Mapping[str, Any] | None = None,
        deliver_fn: Callable[..., DeliveryResult] = deliver,
    ) -> None:
        if workers < 1 or maxsize < 1:
            raise ValueError(f"workers and maxsize must be >= 1, got workers={workers}, maxsize={maxsize}")
        self._on_result = on_result
        self._deliver = deliver_fn
        self._kwargs = dict(deliver_kwargs or {})
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=maxsize)
        self._closed = threading.Event()
        self._abort = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"hush-webhooks-{i}", daemon=True) for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def submit(self, job_id: str, url: str, secret: bytes, event: Mapping[str, Any]) -> bool:
        """Queue one delivery; False (nothing queued) when full or closed."""
        with self._lock:
            if self._closed.is_set():
                return False
            try:
                self._queue.put_nowait(_Job(job_id, url, bytes(secret), event))
            except queue.Full:
                return False
            return True

    def _sleep(self, seconds: float) -> None:
        if self._abort.wait(seconds):
            raise _Aborted

    def _report(self, job_id: str, result: DeliveryResult) -> None:
        try:
            self._on_result(job_id, result)
        except Exception:
            log.exception("webhook on_result callback failed for job %s", job_id)

    def _aborted_result(self, job: _Job) -> DeliveryResult:
        event_id = str(job.event.get("id", ""))
        return DeliveryResult(event_id, 0, (), False, False, "dispatcher closed before delivery finished",
                              aborted=True)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                if self._abort.is_set():
                    self._report(job.job_id, self._aborted_result(job))
                    continue
                try:
                    result = self._deliver(job.url, job.secret, job.event, **{**self._kwargs, "sleep": self._sleep})
                except _Aborted:
                    result = self._aborted_result(job)
                except Exception as exc:
                    log.exception("webhook delivery crashed for job %s", job.job_id)
                    result = DeliveryResult(str(job.event.get("id", "")), 0, (), False, True,
                                            f"delivery crashed: {type(exc).__name__}")
                self._report(job.job_id, result)
            finally:
                self._queue.task_done()

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting; let queued deliveries run for up to ``timeout`` seconds, then abort the rest
        (each reported with ``aborted=True``) and join the threads."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
        deadline = time.monotonic() + timeout
        for _ in self._threads:
            # One sentinel per worker, after every queued job (FIFO). If the queue stays full past the
            # deadline, abort: the workers then drain it fast, reporting each job as aborted.
            try:
                self._queue.put(None, timeout=max(0.0, deadline - time.monotonic()))
            except queue.Full:
                self._abort.set()
                self._queue.put(None)
        for t in self._threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self._abort.set()
        for t in self._threads:
            t.join()

    def __enter__(self) -> WebhookDispatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
