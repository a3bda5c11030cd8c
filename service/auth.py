"""API keys (hashed at rest) and per-key rate limits (token buckets).

API keys
--------
A key reads ``hush_<key_id>_<secret>``: ``key_id`` is 16 lowercase hex digits (64 random bits, not
secret: it names the key in logs, metrics and the store's index), ``secret`` is 64 lowercase hex
digits (256 random bits from ``secrets``). The plaintext is shown to its owner once; the store keeps
``key_id`` and ``hash_api_key(key)`` only.

Why plain SHA-256 is enough here: slow password hashes (bcrypt, scrypt, Argon2) exist to make
guessing *low-entropy* secrets expensive after a leak of the hashes. Our secrets are 256 uniformly
random bits, so inverting a leaked hash means a 2^256 search whatever the hash costs, and a slow hash
would only add tens of milliseconds to every authenticated request (and a CPU-exhaustion lever for
anyone sending bogus keys). The hash is domain-separated and versioned (``sha256v1$<hex>``) so that
the scheme can change without ambiguity. Verification compares digests in constant time.

Rate limits
-----------
``TokenBucket``: ``burst`` tokens at most, refilled at ``rate_per_s``; a request takes one token or is
told how long to wait (the Retry-After). ``RateLimiter`` keeps one bucket per key id in a bounded LRU,
in the memory of one API process: the embedded default (one API process).

``RedisRateLimiter``: when the broker is Redis (scale-out: several API processes), one limit per key
shared by every API process, as a sliding window log in Redis: at most ``burst`` requests in any
window of ``burst / rate_per_s`` seconds (the same long-run rate and burst as the bucket). One Lua
script per request trims the key's sorted set to the window, counts it and adds the request, atomically,
on Redis' own clock (API machines' clocks may differ). The set holds at most ``burst`` entries and
expires with the window. When Redis cannot be reached the request is allowed and the failure logged:
the limiter guards capacity, and a farm whose broker is down accepts nothing it could lose anyway (jobs
are durable in the store; the sweeper publishes them when the broker is back).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from service.model import Principal, RateLimited, Unauthorized

KEY_PREFIX = "hush"
KEY_ID_HEX = 16
SECRET_HEX = 64
HASH_SCHEME = "sha256v1"
_KEY_RE = re.compile(rf"{KEY_PREFIX}_([0-9a-f]{{{KEY_ID_HEX}}})_([0-9a-f]{{{SECRET_HEX}}})")
_HASH_RE = re.compile(rf"{HASH_SCHEME}\$([0-9a-f]{{64}})")
_DOMAIN = b"hush api key v1\x00"
_KEY_LEN = len(KEY_PREFIX) + 2 + KEY_ID_HEX + SECRET_HEX


class ApiKeyFormatError(ValueError):
    """Not an API key in Hush's format. The message never repeats the key."""


def new_api_key() -> tuple[str, str]:
    """A fresh ``(plaintext key, key_id)``. Show the key once; store ``key_id`` and ``hash_api_key(key)``."""
    key_id = secrets.token_hex(KEY_ID_HEX // 2)
    secret = secrets.token_hex(SECRET_HEX // 2)
    return f"{KEY_PREFIX}_{key_id}_{secret}", key_id


def parse_api_key(key: str) -> str:
    """The key id of a well-formed key; ``ApiKeyFormatError`` (without echoing the key) otherwise."""
    if not isinstance(key, str):
        raise ApiKeyFormatError(f"API key must be a string, got {type(key).__name__}")
    m = _KEY_RE.fullmatch(key)
    if m is None:
        starts = key.startswith(KEY_PREFIX + "_")
        raise ApiKeyFormatError(
            f"API key must read {KEY_PREFIX}_<{KEY_ID_HEX} hex>_<{SECRET_HEX} hex> ({_KEY_LEN} characters); "
            f"got {len(key)} characters{'' if starts else f' not starting with {KEY_PREFIX}_'}"
        )
    return m.group(1)


def hash_api_key(key: str) -> str:
    """``sha256v1$<hex>``: what the store keeps instead of the key (see the module docstring for why SHA-256)."""
    parse_api_key(key)
    return f"{HASH_SCHEME}${hashlib.sha256(_DOMAIN + key.encode('ascii')).hexdigest()}"


def verify_api_key(key: str, stored_hash: str) -> bool:
    """Whether ``key`` hashes to ``stored_hash``, compared in constant time. A malformed key is False;
    a malformed ``stored_hash`` is a bug in the store and raises ValueError."""
    m = _HASH_RE.fullmatch(stored_hash) if isinstance(stored_hash, str) else None
    if m is None:
        raise ValueError(f"stored API key hash must read {HASH_SCHEME}$<64 hex>, got "
                         f"{len(stored_hash) if isinstance(stored_hash, str) else type(stored_hash).__name__}"
                         f"{' characters' if isinstance(stored_hash, str) else ''}")
    try:
        candidate = hash_api_key(key)
    except ApiKeyFormatError:
        return False
    return hmac.compare_digest(candidate.encode("ascii"), stored_hash.encode("ascii"))


_DUMMY_HASH = f"{HASH_SCHEME}${'0' * 64}"


def authenticate(key: str | None, lookup: Callable[[str], str | None]) -> str:
    """The key id of a valid key, else ``Unauthorized``. ``lookup(key_id)`` returns the stored hash or None
    (unknown or revoked key); an unknown id still costs one hash and compare, like a known one."""
    if not key:
        raise Unauthorized("missing API key")
    try:
        key_id = parse_api_key(key)
    except ApiKeyFormatError as exc:
        raise Unauthorized(str(exc)) from None
    stored = lookup(key_id)
    ok = verify_api_key(key, stored if stored is not None else _DUMMY_HASH)
    if stored is None or not ok:
        raise Unauthorized("invalid API key")
    return key_id


class TokenBucket:
    """``burst`` tokens at most, ``rate_per_s`` tokens added per second; starts full. Thread-safe."""

    # Float slack so that waiting exactly the returned time always succeeds.
    _EPS = 1e-9

    def __init__(self, rate_per_s: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not (math.isfinite(rate_per_s) and rate_per_s > 0):
            raise ValueError(f"rate_per_s must be a finite number > 0, got {rate_per_s}")
        if not (math.isfinite(burst) and burst >= 1):
            raise ValueError(f"burst must be a finite number >= 1, got {burst}")
        self.rate_per_s = float(rate_per_s)
        self.burst = float(burst)
        self._clock = clock
        self._tokens = self.burst
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._last
        if elapsed > 0:  # a clock that steps back adds nothing (and takes nothing)
            self._tokens = min(self.burst, self._tokens + elapsed * self.rate_per_s)
            self._last = now

    @property
    def tokens(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens

    def take(self, n: float = 1.0) -> float:
        """0.0 and ``n`` tokens taken when available; else the seconds until they will be (nothing taken)."""
        if not (n > 0 and n <= self.burst):
            raise ValueError(f"a take must ask for 0 < n <= burst ({self.burst}) tokens, got {n}")
        with self._lock:
            self._refill()
            if self._tokens + self._EPS >= n:
                self._tokens = max(0.0, self._tokens - n)
                return 0.0
            return (n - self._tokens) / self.rate_per_s


class RateLimiter:
    """One ``TokenBucket`` per key id, at most ``max_keys`` of them (least recently used evicted first).

    An evicted key starts again with a full bucket; a bucket idle for ``burst / rate`` seconds is full
    anyway, so eviction only forgives anything when more than ``max_keys`` keys are active at once.
    """

    def __init__(self, *, max_keys: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be >= 1, got {max_keys}")
        self.max_keys = max_keys
        self._clock = clock
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._buckets)

    def bucket(self, key_id: str, rate_per_s: float, burst: float) -> TokenBucket:
        """The key's bucket, created full, or replaced (full) when its limits changed."""
        with self._lock:
            b = self._buckets.get(key_id)
            if b is None or b.rate_per_s != rate_per_s or b.burst != burst:
                b = TokenBucket(rate_per_s, burst, self._clock)
                self._buckets[key_id] = b
            self._buckets.move_to_end(key_id)
            while len(self._buckets) > self.max_keys:
                self._buckets.popitem(last=False)
            return b

    def take(self, key_id: str, *, rate_per_s: float, burst: float) -> float:
        """0.0 when allowed, else the seconds to wait (Retry-After)."""
        return self.bucket(key_id, rate_per_s, burst).take()

    def enforce(self, principal: Principal) -> None:
        """Take one token for ``principal`` or raise ``RateLimited`` with the Retry-After in whole seconds."""
        wait = self.take(principal.key_id, rate_per_s=principal.rate_per_s, burst=principal.burst)
        if wait > 0:
            raise RateLimited(f"rate limit of {principal.rate_per_s:g}/s (burst {principal.burst}) exceeded",
                              retry_after=float(max(1, math.ceil(wait))))


_SLIDING_WINDOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) < limit then
  redis.call('ZADD', KEYS[1], now, now .. '-' .. ARGV[3])
  redis.call('PEXPIRE', KEYS[1], math.floor(window / 1000) + 1000)
  return 0
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.max(1, tonumber(oldest[2]) + window - now)
"""
"""KEYS[1] the key's window; ARGV: limit, window (microseconds), a unique suffix. Returns 0 when the request
is allowed (and recorded), else the microseconds until the oldest request in the window leaves it."""


class RedisRateLimiter:
    """Per-key sliding windows in Redis, shared by every API process that uses the same Redis (see the module
    docstring). Same interface as ``RateLimiter``."""

    PREFIX = "hush:rate:"

    def __init__(self, url: str | None = None, *, client: object | None = None, prefix: str = PREFIX) -> None:
        import redis

        self.client = client if client is not None else redis.Redis.from_url(
            url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.prefix = prefix
        self._script = self.client.register_script(_SLIDING_WINDOW)  # EVALSHA, loaded on first use
        self._log = logging.getLogger("hush.auth")

    def take(self, key_id: str, *, rate_per_s: float, burst: float) -> float:
        """0.0 when allowed, else the seconds to wait (Retry-After)."""
        if not (math.isfinite(rate_per_s) and rate_per_s > 0) or not (math.isfinite(burst) and burst >= 1):
            raise ValueError(f"need rate_per_s > 0 and burst >= 1, got {rate_per_s}, {burst}")
        window_us = max(1, round(burst / rate_per_s * 1e6))
        try:
            wait_us = int(self._script(keys=[self.prefix + key_id],
                                       args=[int(burst), window_us, secrets.token_hex(6)]))
        except Exception as e:  # noqa: BLE001 - redis down or slow: allow, say so
            self._log.warning("rate limiter unavailable (%s): request allowed", type(e).__name__)
            return 0.0
        return wait_us / 1e6

    def enforce(self, principal: Principal) -> None:
        """Record one request for ``principal`` or raise ``RateLimited`` with the Retry-After in whole seconds."""
        wait = self.take(principal.key_id, rate_per_s=principal.rate_per_s, burst=principal.burst)
        if wait > 0:
            raise RateLimited(f"rate limit of {principal.rate_per_s:g}/s (burst {principal.burst}) exceeded",
                              retry_after=float(max(1, math.ceil(wait))))


def make_rate_limiter(broker_url: str) -> RateLimiter | RedisRateLimiter:
    """Shared windows in Redis when the farm's broker is Redis (several API processes), else in memory."""
    if broker_url.startswith(("redis://", "rediss://")):
        return RedisRateLimiter(broker_url)
    return RateLimiter()
