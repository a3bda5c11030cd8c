"""FarmClient against a fake farm: retries honouring Retry-After with one Idempotency-Key, polling,
errors, bounded attempts — and the request never carries the spending key."""

from __future__ import annotations

import json
import random
import socket

import pytest
from wallet_fake_farm import CANNED_PROOF, FakeFarm

from transfer.constants import SHAPES
from transfer.example import example_transfer
from transfer.inputs import input_shapes
from wallet.backends import FarmClient, FarmError, ProofFailed
from wallet.keys import WalletKeys


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(url: str, sleeps: Sleeps, **kw) -> FarmClient:
    return FarmClient(url, sleep=sleeps, rng=random.Random(7), wait=0.5, **kw)


def test_retries_honour_retry_after_and_reuse_the_key():
    sleeps = Sleeps()
    farm = FakeFarm(post_script=[(429, "2"), (503, "1")], get_script=[(503, "3")], polls_before_done=2)
    with farm:
        out = client(farm.url, sleeps, api_key="k-123").prove("transfer_2x2", {"x": "1"})
    posts = [r for r in farm.requests if r["method"] == "POST"]
    gets = [r for r in farm.requests if r["method"] == "GET"]
    assert len(posts) == 3 and len(gets) == 3
    keys = {r["headers"]["Idempotency-Key"] for r in posts}
    assert len(keys) == 1 and len(next(iter(keys))) >= 16
    assert all(r["headers"].get("X-API-Key") == "k-123" for r in farm.requests)
    assert len(farm.jobs) == 1 and farm.proofs_run == 1
    assert all("wait=0.5" in r["path"] for r in gets)
    # each retry waits at least the server's Retry-After (2 s, 1 s, then 3 s for the poll)
    assert len(sleeps) == 3
    assert 2 <= sleeps[0] < 2.5 and 1 <= sleeps[1] < 1.5 and 3 <= sleeps[2] < 3.5
    assert out.proof == CANNED_PROOF and out.public_signals == [1, 2, 3] and out.source == "farm"


def test_the_same_key_is_one_job_and_new_calls_get_new_keys():
    sleeps = Sleeps()
    with FakeFarm() as farm:
        c = client(farm.url, sleeps)
        c.prove("transfer_2x2", {"x": "1"}, idempotency_key="fixed-key")
        c.prove("transfer_2x2", {"x": "1"}, idempotency_key="fixed-key")
        assert len(farm.jobs) == 1 and farm.proofs_run == 1
        c.prove("transfer_2x2", {"x": "1"})
        c.prove("transfer_2x2", {"x": "1"})
    assert len(farm.jobs) == 3
    assert sleeps == []


def test_bounded_attempts():
    sleeps = Sleeps()
    with FakeFarm(post_script=[(503, "0")] * 10) as farm:
        with pytest.raises(FarmError, match="gave up after 4 attempts.*503"):
            client(farm.url, sleeps, max_attempts=4).prove("transfer_2x2", {"x": "1"})
    posts = [r for r in farm.requests if r["method"] == "POST"]
    assert len(posts) == 4 and len({r["headers"]["Idempotency-Key"] for r in posts}) == 1
    assert len(sleeps) == 3


def test_backoff_grows_is_capped_and_respects_retry_after():
    c = FarmClient("http://127.0.0.1:1", rng=random.Random(1), backoff_base=0.5, backoff_cap=4.0)
    for attempt in range(1, 10):
        ceiling = min(4.0, 0.5 * 2 ** (attempt - 1))
        draws = [c.backoff(attempt, None) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in draws)
        assert max(draws) > 0.5 * ceiling  # full jitter spreads over the whole window
    assert all(10 <= c.backoff(1, 10.0) <= 11.05 for _ in range(100))
    assert all(c.backoff(5, 0.0) <= 4.05 for _ in range(100))


def test_client_errors_are_not_retried():
    sleeps = Sleeps()
    with FakeFarm() as farm:
        with pytest.raises(FarmError, match="422: unknown circuit") as info:
            client(farm.url, sleeps).prove("transfer_3x3", {"x": "1"})
    assert info.value.status == 422 and info.value.code == "bad_request"
    assert len(farm.requests) == 1 and sleeps == []


@pytest.mark.parametrize("state", ["failed", "expired", "dead"])
def test_failed_jobs_raise(state):
    with FakeFarm(final_state=state, polls_before_done=1) as farm:
        with pytest.raises(ProofFailed, match=f"{state}: witness generation failed"):
            client(farm.url, Sleeps()).prove("transfer_2x2", {"x": "1"})


def test_unreachable_farm_gives_up():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sleeps = Sleeps()
    with pytest.raises(FarmError, match="gave up after 3 attempts.*unreachable"):
        client(f"http://127.0.0.1:{port}", sleeps, max_attempts=3).prove("transfer_2x2", {"x": "1"})
    assert len(sleeps) == 2


def test_wait_bound():
    with pytest.raises(ValueError, match="wait"):
        FarmClient("http://x", wait=6)


def _secrets_of(ex) -> list[str]:
    """Every encoding of the spender's spending key material we can think of."""
    sk = ex.alice.spending_key
    scalar, prefix = sk._scalar, sk._prefix
    wk = WalletKeys(ex.alice)
    out = [str(scalar), hex(scalar)[2:], f"{scalar:064x}", prefix.hex(), ex.alice.viewing_key.hex(),
           bytes(wk.encryption_secret).hex()]
    return out


def test_request_never_carries_the_spending_key():
    """What the farm receives: exactly the circuit's input signals (nk, A and the signature among
    them), and no encoding of the spending key, viewing key or encryption key."""
    ex = example_transfer("transfer_2x2")
    with FakeFarm(polls_before_done=1) as farm:
        client(farm.url, Sleeps()).prove("transfer_2x2", ex.inputs)
    post = next(r for r in farm.requests if r["method"] == "POST")
    body = json.loads(post["body"])
    assert set(body) == {"circuit", "inputs", "wait"}
    assert set(body["inputs"]) == set(input_shapes(SHAPES["transfer_2x2"]))
    assert body["inputs"]["nullifyingKey"] == str(ex.alice.nk)  # the prover needs nk, by design
    everything = b"".join(r["body"] + json.dumps(r["headers"]).encode() + r["path"].encode() for r in farm.requests)
    for secret in _secrets_of(ex):
        assert secret.encode() not in everything, "the farm received spending/viewing key material"
    assert str(ex.alice.nk).encode() in everything  # the scan above does see what is really there
