"""One webhook delivery attempt, and the retry schedule.

`attempt` resolves and checks the target again (targets: SSRF guard, DNS rebinding), signs the body
(signing: Standard Webhooks) with a fresh timestamp under the event's one id, POSTs it to the pinned
addresses without following redirects or reading the response body, and says what happened:
delivered (2xx), retry (network error, a host that does not resolve, 5xx, 429), or give up (any
other status, a refused target). `backoff(n)` is the wait after the n-th failed attempt: exponential
from 1 s (1, 2, 4, ... s) up to `max_delay_s` (1 hour), with up to 25% jitter added so that many
failing events do not retry in lockstep; a Retry-After on 429/503 replaces it (capped the same way).
"""

from __future__ import annotations

import email.utils
import random
import re
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .signing import sign_headers
from .targets import Resolver, Target, WebhookResolveError, WebhookTargetError, resolve_target

__all__ = ["AttemptResult", "PostResponse", "Poster", "WebhookNetworkError", "attempt", "backoff", "httpx_post",
           "parse_retry_after"]

BASE_DELAY_S = 1.0
MAX_DELAY_S = 3600.0


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



@dataclass(frozen=True)
class AttemptResult:
    outcome: str
    """"delivered", "retry" or "give up"."""
    status: int | None
    """The HTTP status, None when no response came."""
    error: str | None = None
    retry_after: float | None = None
    """Seconds the receiver asked us to wait (Retry-After on 429/503)."""


def attempt(url: str, secret: bytes, event_id: str, body: bytes, *, allow_private: bool = False,
            timeout: float = 5.0, post: Poster | None = None, resolve: Resolver | None = None,
            clock: Callable[[], float] = time.time) -> AttemptResult:
    """One signed POST of `body` under `event_id`; never raises for a delivery failure."""
    import socket

    try:
        target = resolve_target(url, allow_private=allow_private, resolve=resolve or socket.getaddrinfo)
    except WebhookResolveError as e:
        return AttemptResult("retry", None, str(e))
    except WebhookTargetError as e:
        return AttemptResult("give up", None, f"target refused: {e}")
    headers = {"Content-Type": "application/json", "User-Agent": "hush-webhooks/2",
               **sign_headers(secret, event_id, body, timestamp=int(clock()))}
    try:
        response = (post or httpx_post)(target, body, headers, timeout)
    except OSError as e:
        return AttemptResult("retry", None, f"network error: {e}")
    status = response.status
    if 200 <= status <= 299:
        return AttemptResult("delivered", status)
    if not _retryable(status):
        return AttemptResult("give up", status, f"HTTP {status}")
    retry_after = None
    if status in (429, 503):
        lowered = {k.lower(): v for k, v in response.headers.items()}
        retry_after = parse_retry_after(lowered.get("retry-after"), now=clock())
    return AttemptResult("retry", status, f"HTTP {status}", retry_after)


def backoff(n: int, *, base_s: float = BASE_DELAY_S, max_s: float = MAX_DELAY_S,
            rng: Callable[[], float] = random.random, retry_after: float | None = None) -> float:
    """Seconds to wait after the n-th failed attempt (n >= 1): base * 2^(n-1) plus 0-25%, at most max_s."""
    if retry_after is not None:
        return min(max_s, max(0.0, retry_after))
    return min(max_s, base_s * 2.0 ** min(n - 1, 64) * (1.0 + 0.25 * rng()))
