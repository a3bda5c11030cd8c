"""Webhook signatures, the Standard Webhooks scheme (https://www.standardwebhooks.com), and the receiver's helper.

Each request carries three headers, and a receiver in any language checks them with a stock library
(the `standardwebhooks` packages for Python, JavaScript, Go, Rust, Java, Ruby, PHP, C#...):

    webhook-id:         the event id, "msg_<32 hex>": the same on every attempt of one event, for ever
    webhook-timestamp:  Unix seconds of this attempt
    webhook-signature:  "v1,<base64 HMAC-SHA256(secret, f'{id}.{timestamp}.' + body)>"

The secret is a key's webhook secret (`hush farm key` prints it as "whsec_<base64>", the scheme's
format). The body is the event, compact JSON: {"type": "proof.succeeded", "timestamp": <unix s>,
"data": <the job as GET /v1/proofs/{id} shows it>}; the same bytes on every attempt.

Receiving: `WebhookReceiver.handle(headers, body, handler)` verifies the signature and the timestamp
(5 minutes either way, the scheme's rule), answers a duplicate of an event the application already
handled without calling the handler again, and otherwise calls `handler(event)` and records the
event id only once the handler has returned. A handler that raises leaves nothing recorded: the
receiver answers 5xx, the farm retries under the same id, and the retry is handled. Ids are kept
for `keep_s` (default 7 days, longer than the farm's retry horizon); `ProcessedIds` may be a
database table for a receiver with several processes.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from standardwebhooks import Webhook, WebhookVerificationError

__all__ = ["ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "MemoryProcessedIds", "ProcessedIds", "Received",
           "WebhookReceiver", "WebhookSignatureError", "encode_event", "secret_string", "sign_headers"]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"


class WebhookSignatureError(ValueError):
    """A request the receiver must refuse: missing or malformed headers, a bad signature, a stale timestamp."""


def secret_string(secret: bytes) -> str:
    """A webhook secret in the Standard Webhooks form receivers configure: "whsec_<base64>"."""
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise ValueError("a webhook secret is non-empty bytes")
    return "whsec_" + base64.b64encode(bytes(secret)).decode()


def encode_event(event: Mapping[str, Any]) -> bytes:
    """The canonical body of an event: compact, sorted-key JSON, UTF-8."""
    return json.dumps(event, separators=(",", ":"), sort_keys=True, ensure_ascii=False, allow_nan=False).encode()


def sign_headers(secret: bytes, event_id: str, body: bytes, *, timestamp: int) -> dict[str, str]:
    """The three headers of one attempt (content type aside)."""
    signature = Webhook(bytes(secret)).sign(event_id, datetime.fromtimestamp(timestamp, tz=UTC), body)
    return {ID_HEADER: event_id, TIMESTAMP_HEADER: str(timestamp), SIGNATURE_HEADER: signature}


class ProcessedIds(Protocol):
    """Event ids the application has handled (a database table with a unique key fits)."""

    def seen(self, event_id: str, now: float) -> bool: ...

    def record(self, event_id: str, until: float, now: float) -> None: ...


class MemoryProcessedIds:
    """A thread-safe, bounded `ProcessedIds` in memory (oldest ids evicted first when full)."""

    def __init__(self, max_entries: int = 1_000_000) -> None:
        self.max_entries = max_entries
        self._ids: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def seen(self, event_id: str, now: float) -> bool:
        with self._lock:
            until = self._ids.get(event_id)
            return until is not None and until > now

    def record(self, event_id: str, until: float, now: float) -> None:
        with self._lock:
            self._ids.pop(event_id, None)
            while len(self._ids) >= self.max_entries:
                self._ids.popitem(last=False)
            self._ids[event_id] = until


@dataclass(frozen=True)
class Received:
    event_id: str
    event: dict[str, Any]
    duplicate: bool
    """True when the application had already handled this id: the handler was not called (answer 2xx)."""


class WebhookReceiver:
    """Verify, de-duplicate and hand a webhook to the application; see the module docstring.

    >>> receiver = WebhookReceiver("whsec_...")
    >>> receiver.handle(request.headers, request.body, process)   # raises WebhookSignatureError: answer 400
    """

    def __init__(self, secret: str | bytes, *, processed: ProcessedIds | None = None,
                 keep_s: float = 7 * 24 * 3600.0) -> None:
        self._webhook = Webhook(secret)
        self.processed: ProcessedIds = MemoryProcessedIds() if processed is None else processed
        self.keep_s = keep_s
        self._locks = [threading.Lock() for _ in range(64)]  # striped: one id always maps to one lock

    def verify(self, headers: Mapping[str, str], body: bytes) -> tuple[str, dict[str, Any]]:
        """(event id, event) of an authentic, fresh request; WebhookSignatureError otherwise. Records nothing."""
        try:
            event = self._webhook.verify(bytes(body), {str(k): str(v) for k, v in headers.items()})
        except (WebhookVerificationError, ValueError, TypeError) as e:
            raise WebhookSignatureError(str(e) or type(e).__name__) from None
        if not isinstance(event, dict):
            raise WebhookSignatureError("the body is not a JSON object")
        event_id = next(str(v) for k, v in headers.items() if str(k).lower() == ID_HEADER)
        return event_id, event

    def handle(self, headers: Mapping[str, str], body: bytes, handler: Callable[[dict[str, Any]], Any], *,
               now: Callable[[], float] = time.time) -> Received:
        """Verify; skip an id already handled; else run `handler(event)` and record the id once it returned.
        Two deliveries of one id at once run the handler once (the second waits for the first)."""
        event_id, event = self.verify(headers, body)
        with self._locks[hash(event_id) % len(self._locks)]:
            if self.processed.seen(event_id, now()):
                return Received(event_id, event, duplicate=True)
            handler(event)  # raises: nothing recorded, the sender retries
            self.processed.record(event_id, now() + self.keep_s, now())
            return Received(event_id, event, duplicate=False)
