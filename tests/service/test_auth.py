"""API keys hashed at rest and per-key token-bucket rate limits (SECURITY.md item 34)."""

from __future__ import annotations

import hashlib
import re
import sys
import threading
import time

import pytest

from service.auth import (
    ApiKeyFormatError,
    RateLimiter,
    TokenBucket,
    authenticate,
    hash_api_key,
    new_api_key,
    parse_api_key,
    verify_api_key,
)
from service.model import Principal, RateLimited, Unauthorized


class FakeClock:
    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t

    def advance(self, dt: float) -> None:
        self.t += dt


# --- API keys -----------------------------------------------------------------------------------


def test_new_api_key_format_and_id() -> None:
    key, key_id = new_api_key()
    assert re.fullmatch(r"hush_[0-9a-f]{16}_[0-9a-f]{64}", key)
    assert key.split("_")[1] == key_id
    assert parse_api_key(key) == key_id


def test_new_api_keys_are_unique() -> None:
    keys = [new_api_key() for _ in range(200)]
    assert len({k for k, _ in keys}) == 200 and len({i for _, i in keys}) == 200


def test_hash_is_stored_instead_of_the_key() -> None:
    key, key_id = new_api_key()
    h = hash_api_key(key)
    secret = key.split("_")[2]
    assert re.fullmatch(r"sha256v1\$[0-9a-f]{64}", h)
    assert secret not in h and key not in h
    assert h != "sha256v1$" + hashlib.sha256(key.encode()).hexdigest()  # domain-separated, not bare SHA-256
    assert hash_api_key(key) == h  # deterministic: the store looks it up by key id and compares
    assert hash_api_key(new_api_key()[0]) != h


def test_verify_api_key() -> None:
    key, _ = new_api_key()
    other, _ = new_api_key()
    stored = hash_api_key(key)
    assert verify_api_key(key, stored)
    assert not verify_api_key(other, stored)
    # One flipped hex digit of the secret, and of the id.
    last = "0" if key[-1] != "0" else "1"
    assert not verify_api_key(key[:-1] + last, stored)
    i = len("hush_")
    assert not verify_api_key(key[:i] + ("0" if key[i] != "0" else "1") + key[i + 1 :], stored)
    assert not verify_api_key("not a key", stored)
    assert not verify_api_key(key.upper(), stored)


@pytest.mark.parametrize("stored", ["", "sha256v1$", "sha256v1$" + "g" * 64, "md5$" + "0" * 64, "0" * 64])
def test_verify_api_key_refuses_a_malformed_stored_hash(stored: str) -> None:
    key, _ = new_api_key()
    with pytest.raises(ValueError, match="stored API key hash"):
        verify_api_key(key, stored)


_GOOD_ID, _GOOD_SECRET = "0123456789abcdef", "ab" * 32


@pytest.mark.parametrize(
    "key",
    [
        "",
        "hush_",
        f"hush_{_GOOD_ID}",
        f"hush_{_GOOD_ID}_",
        f"hosh_{_GOOD_ID}_{_GOOD_SECRET}",
        f"HUSH_{_GOOD_ID}_{_GOOD_SECRET}",
        f"hush_{_GOOD_ID.upper()}_{_GOOD_SECRET}",
        f"hush_{_GOOD_ID}_{_GOOD_SECRET.upper()}",
        f"hush_{_GOOD_ID[:-1]}_{_GOOD_SECRET}",
        f"hush_{_GOOD_ID}0_{_GOOD_SECRET}",
        f"hush_{_GOOD_ID}_{_GOOD_SECRET[:-1]}",
        f"hush_{_GOOD_ID}_{_GOOD_SECRET}0",
        f"hush_{_GOOD_ID}_{_GOOD_SECRET}\n",
        f" hush_{_GOOD_ID}_{_GOOD_SECRET}",
        f"hush-{_GOOD_ID}-{_GOOD_SECRET}",
        f"hush_{_GOOD_ID}_{_GOOD_SECRET[:-2]}zz",
        f"hush_{_GOOD_ID}_{'٣' * 64}",  # non-ASCII digits that int() and \d would take
    ],
)
def test_parse_api_key_refuses_malformed_keys_without_echoing_them(key: str) -> None:
    with pytest.raises(ApiKeyFormatError) as info:
        parse_api_key(key)
    message = str(info.value)
    assert "expected" in message or "must read" in message
    assert _GOOD_SECRET[:16] not in message
    assert not verify_api_key(key, hash_api_key(f"hush_{_GOOD_ID}_{_GOOD_SECRET}"))


def test_parse_api_key_refuses_non_strings() -> None:
    with pytest.raises(ApiKeyFormatError, match="string"):
        parse_api_key(f"hush_{_GOOD_ID}_{_GOOD_SECRET}".encode())  # type: ignore[arg-type]
    assert issubclass(ApiKeyFormatError, ValueError)


def test_authenticate() -> None:
    key, key_id = new_api_key()
    table = {key_id: hash_api_key(key)}
    looked_up: list[str] = []

    def lookup(kid: str) -> str | None:
        looked_up.append(kid)
        return table.get(kid)

    assert authenticate(key, lookup) == key_id
    assert looked_up == [key_id]
    unknown, _ = new_api_key()
    wrong_secret = key[: -64] + ("0" * 64 if key[-64:] != "0" * 64 else "1" * 64)
    for bad in (unknown, wrong_secret, "garbage", "", None):
        with pytest.raises(Unauthorized) as info:
            authenticate(bad, lookup)
        assert info.value.http_status == 401
        if bad:
            assert bad not in str(info.value)


# --- token bucket -------------------------------------------------------------------------------


def test_token_bucket_burst_then_wait() -> None:
    clock = FakeClock()
    b = TokenBucket(rate_per_s=2.0, burst=3, clock=clock)
    assert [b.take() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take() == pytest.approx(0.5)  # one token needs 1/rate seconds
    assert b.take() == pytest.approx(0.5)  # refusing takes nothing
    clock.advance(0.2)
    assert b.take() == pytest.approx(0.3)
    clock.advance(0.3)
    assert b.take() == 0.0
    assert b.take() == pytest.approx(0.5)


def test_token_bucket_waiting_exactly_the_answer_succeeds() -> None:
    clock = FakeClock(0.1)
    for rate in (3.0, 7.0, 0.3, 1e-3, 1000.0):
        b = TokenBucket(rate_per_s=rate, burst=1, clock=clock)
        assert b.take() == 0.0
        wait = b.take()
        assert wait == pytest.approx(1 / rate)
        clock.advance(wait)
        assert b.take() == 0.0, rate


def test_token_bucket_refill_is_capped_at_burst() -> None:
    clock = FakeClock()
    b = TokenBucket(rate_per_s=10.0, burst=5, clock=clock)
    for _ in range(5):
        b.take()
    clock.advance(3600)
    assert b.tokens == 5.0
    assert [b.take() for _ in range(6)][-1] == pytest.approx(0.1)


def test_token_bucket_fractional_rate_and_multi_token_takes() -> None:
    clock = FakeClock()
    b = TokenBucket(rate_per_s=0.5, burst=4, clock=clock)
    assert b.take(3) == 0.0
    assert b.take(2) == pytest.approx(2.0)  # 1 left, needs 1 more at 0.5/s
    clock.advance(2.0)
    assert b.take(2) == 0.0
    with pytest.raises(ValueError, match="burst"):
        b.take(5)
    with pytest.raises(ValueError):
        b.take(0)


def test_token_bucket_ignores_a_clock_stepping_back() -> None:
    clock = FakeClock(100.0)
    b = TokenBucket(rate_per_s=1.0, burst=1, clock=clock)
    assert b.take() == 0.0
    clock.t = 50.0
    assert b.take() == pytest.approx(1.0)
    clock.t = 100.5  # progress is measured from the last reading that moved forward
    assert b.take() == pytest.approx(0.5)


@pytest.mark.parametrize("rate, burst", [(0, 1), (-1, 1), (float("inf"), 1), (float("nan"), 1), (1, 0), (1, 0.5)])
def test_token_bucket_refuses_bad_parameters(rate: float, burst: float) -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate_per_s=rate, burst=burst)


def test_token_bucket_is_thread_safe() -> None:
    # A frozen clock (no refill, so exactly `burst` takes may succeed) that yields the GIL, and a tiny
    # switch interval, so that an unlocked read-check-write would interleave and over-grant.
    clock = FakeClock()
    b = TokenBucket(rate_per_s=1.0, burst=2000, clock=lambda: (time.sleep(0), clock())[1])
    granted = [0] * 8
    barrier = threading.Barrier(8)

    def worker(i: int) -> None:
        barrier.wait()
        for _ in range(400):
            if b.take() == 0.0:
                granted[i] += 1

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
    assert sum(granted) == 2000


# --- rate limiter -------------------------------------------------------------------------------


def test_rate_limiter_keys_are_independent() -> None:
    clock = FakeClock()
    rl = RateLimiter(clock=clock)
    assert [rl.take("a", rate_per_s=1, burst=2) for _ in range(2)] == [0.0, 0.0]
    assert rl.take("a", rate_per_s=1, burst=2) == pytest.approx(1.0)
    # A flood on "a" leaves "b" untouched.
    for _ in range(100):
        rl.take("a", rate_per_s=1, burst=2)
    assert rl.take("b", rate_per_s=1, burst=2) == 0.0


def test_rate_limiter_is_a_bounded_lru() -> None:
    clock = FakeClock()
    rl = RateLimiter(max_keys=2, clock=clock)
    for k in ("a", "b"):
        assert rl.take(k, rate_per_s=1, burst=1) == 0.0
    assert rl.take("a", rate_per_s=1, burst=1) > 0  # touches "a": "b" is now least recently used
    assert rl.take("c", rate_per_s=1, burst=1) == 0.0
    assert len(rl) == 2
    assert rl.take("a", rate_per_s=1, burst=1) > 0  # kept, still empty
    assert rl.take("b", rate_per_s=1, burst=1) == 0.0  # evicted, so it starts full again
    assert len(rl) == 2


def test_rate_limiter_replaces_a_bucket_when_limits_change() -> None:
    clock = FakeClock()
    rl = RateLimiter(clock=clock)
    assert rl.take("a", rate_per_s=1, burst=1) == 0.0
    assert rl.take("a", rate_per_s=1, burst=1) > 0
    assert rl.take("a", rate_per_s=10, burst=5) == 0.0


def test_enforce_raises_rate_limited_with_whole_second_retry_after() -> None:
    clock = FakeClock()
    rl = RateLimiter(clock=clock)
    p = Principal(key_id="k1", rate_per_s=0.25, burst=2)
    rl.enforce(p)
    rl.enforce(p)
    with pytest.raises(RateLimited) as info:
        rl.enforce(p)
    assert info.value.http_status == 429 and info.value.retry_after == 4.0
    clock.advance(3.5)
    with pytest.raises(RateLimited) as info:
        rl.enforce(p)
    assert info.value.retry_after == 1.0  # 0.5 s rounded up, never 0
    clock.advance(0.5)
    rl.enforce(p)
