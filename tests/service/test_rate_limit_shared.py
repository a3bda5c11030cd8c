"""Rate limits shared by every API process when the broker is Redis (issue 11 item 8; SECURITY 34).

A real redis-server on a free loopback port (no persistence), started and stopped here. Two limiters
with their own connections stand for two API processes; then two API apps (each its own jobs layer,
limiter and Redis connection, one store) enforce one limit between them."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator

import pytest
from canary import canary_inputs
from farmkit import FakeFarm, free_port, make_settings

from service.auth import RateLimiter, RedisRateLimiter, hash_api_key, make_rate_limiter, new_api_key
from service.model import Principal, RateLimited

REDIS = shutil.which("redis-server")


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory) -> Iterator[str]:
    if REDIS is None:
        pytest.skip("redis-server is not installed (.ci/services.sh installs it)")
    import redis

    port = free_port()
    proc = subprocess.Popen([REDIS, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path_factory.mktemp("redis"))], stdout=subprocess.DEVNULL)
    try:
        end = time.monotonic() + 20
        while True:
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > end or proc.poll() is not None:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_broker_decides_where_limits_live(redis_url: str):
    assert isinstance(make_rate_limiter(redis_url), RedisRateLimiter)
    assert isinstance(make_rate_limiter("hushsql+sqlite:///x.sqlite"), RateLimiter)


def test_two_limiters_share_one_sliding_window(redis_url: str):
    a, b = RedisRateLimiter(redis_url), RedisRateLimiter(redis_url)
    p = Principal("k-shared", rate_per_s=2.0, burst=4)  # 4 requests in any 2 s window
    for limiter in (a, b, a, b):
        limiter.enforce(p)
    for limiter in (a, b):
        with pytest.raises(RateLimited) as e:
            limiter.enforce(p)
        assert 1 <= e.value.retry_after <= 2
    assert a.take("k-other", rate_per_s=2.0, burst=4) == 0.0  # keys are independent
    time.sleep(2.1)  # the window slides past the first four
    b.enforce(p)
    a.enforce(p)


def test_refused_requests_do_not_extend_the_window(redis_url: str):
    a = RedisRateLimiter(redis_url)
    assert a.take("k-refused", rate_per_s=10.0, burst=2) == 0.0
    assert a.take("k-refused", rate_per_s=10.0, burst=2) == 0.0
    waits = [a.take("k-refused", rate_per_s=10.0, burst=2) for _ in range(20)]
    assert all(0 < w <= 0.2 for w in waits)
    time.sleep(0.25)
    assert a.take("k-refused", rate_per_s=10.0, burst=2) == 0.0


def test_two_api_processes_enforce_one_limit(tmp_path, redis_url: str):
    settings = make_settings(tmp_path, broker_url=redis_url, auth_required=True)
    one, two = FakeFarm(settings), FakeFarm(settings)
    try:
        key, key_id = new_api_key()
        one.farm.store.add_api_key(key_id, hash_api_key(key), rate_per_s=0.05, burst=3, max_active=100)
        h = {"X-API-Key": key}
        codes = [app.client.post("/v1/proofs", headers=h, json={"circuit": "transfer_2x2", "deadline_s": 60,
                                                                 "inputs": canary_inputs(7 + i)}).status_code
                 for i, app in enumerate((one, two, one, two, one))]
        assert codes == [202, 202, 202, 429, 429]  # in memory each process would have let 3 through
        assert len(one.published) + len(two.published) == 3
    finally:
        one.close()
        two.close()


def test_redis_down_allows_and_says_so(caplog):
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0")
    with caplog.at_level("WARNING", logger="hush.auth"):
        assert limiter.take("k", rate_per_s=1.0, burst=1) == 0.0
    assert "rate limiter unavailable" in caplog.text
