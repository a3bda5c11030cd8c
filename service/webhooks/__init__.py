"""Completion webhooks: Standard Webhooks signatures, an SSRF guard, one attempt, durable delivery.

    signing    the scheme (webhook-id / webhook-timestamp / webhook-signature), WebhookReceiver for receivers
    targets    which URLs we POST to: public addresses only, resolved once per attempt and pinned
    delivery   one signed POST and the retry schedule (1 s doubling up to 1 hour)
    dispatch   events in the job store, attempts as Celery tasks on the queue hush.webhooks, replay
"""

from .delivery import AttemptResult, PostResponse, WebhookNetworkError, attempt, backoff, httpx_post, parse_retry_after
from .signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    MemoryProcessedIds,
    Received,
    WebhookReceiver,
    WebhookSignatureError,
    encode_event,
    secret_string,
    sign_headers,
)
from .targets import (
    Target,
    WebhookResolveError,
    WebhookTargetError,
    check_target,
    is_public_address,
    resolve_target,
)

__all__ = ["ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "AttemptResult", "MemoryProcessedIds",
           "PostResponse", "Received", "Target", "WebhookNetworkError", "WebhookReceiver", "WebhookResolveError",
           "WebhookSignatureError", "WebhookTargetError", "attempt", "backoff", "check_target", "encode_event",
           "httpx_post", "is_public_address", "parse_retry_after", "resolve_target", "secret_string", "sign_headers"]
