"""The job store: legal transitions only, races with one winner, idempotency, secrets erased at the end."""

from __future__ import annotations

import threading

import pytest

from service.model import LEGAL, Job, JobState
from service.store import JobStore


def _new(store: JobStore, jid: str = "job_1", *, key: str = "k", idem: str | None = None, mac: str = "m",
         deadline: float = 1e12) -> tuple[Job, bool]:
    return store.create_job(job_id=jid, circuit="transfer_2x2", key_id=key, idempotency_key=idem, request_mac=mac,
                            deadline=deadline, sealed="SEALED", webhook_url=None)


def test_a_job_moves_along_legal_states_with_times(store):
    job, created = _new(store)
    assert created and job.state is JobState.QUEUED and job.attempts == 0
    assert store.claim("job_1", "w:1", 60) == 1
    assert store.transition("job_1", JobState.SUCCEEDED, expect=[JobState.PROVING], attempts=1, owner="w:1",
                            proof='{"pi_a": []}', public_signals='["1"]')
    job = store.get_job("job_1")
    assert [t.state for t in job.transitions] == [JobState.QUEUED, JobState.PROVING, JobState.SUCCEEDED]
    times = [t.at for t in job.transitions]
    assert times == sorted(times)
    assert store.job_row("job_1")["sealed"] is None, "the sealed payload must be erased when the job ends"
    assert job.proof == {"pi_a": []} and job.public_signals == ["1"]


@pytest.mark.parametrize("old", list(JobState))
@pytest.mark.parametrize("new", list(JobState))
def test_illegal_transitions_raise(store, old, new):
    if new in LEGAL[old]:
        return
    with pytest.raises(ValueError, match="illegal job transition"):
        store.transition("job_x", new, expect=[old])


def test_terminal_states_are_final(store):
    _new(store)
    assert store.transition("job_1", JobState.EXPIRED, expect=[JobState.QUEUED])
    assert not store.transition("job_1", JobState.PROVING, expect=[JobState.QUEUED])
    assert store.claim("job_1", "w:1", 60) is None
    assert store.get_job("job_1").state is JobState.EXPIRED


def test_only_one_claim_wins_a_race(store):
    _new(store)
    wins: list[int | None] = []
    barrier = threading.Barrier(8)

    def go(i: int) -> None:
        barrier.wait()
        wins.append(store.claim("job_1", f"w:{i}", 60))

    ts = [threading.Thread(target=go, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert sorted(w for w in wins if w is not None) == [1]
    assert sum(1 for t in store.get_job("job_1").transitions if t.state is JobState.PROVING) == 1


def test_a_late_attempt_cannot_complete_a_job_taken_over(store):
    _new(store)
    assert store.claim("job_1", "w:old", 60) == 1
    assert store.transition("job_1", JobState.QUEUED, expect=[JobState.PROVING], attempts=1, owner="w:old",
                            detail="lost")
    assert store.claim("job_1", "w:new", 60) == 2
    # the first attempt wakes up and tries to record its proof: refused
    assert not store.transition("job_1", JobState.SUCCEEDED, expect=[JobState.PROVING], attempts=1, owner="w:old")
    assert store.transition("job_1", JobState.SUCCEEDED, expect=[JobState.PROVING], attempts=2, owner="w:new")
    states = [t.state for t in store.get_job("job_1").transitions]
    assert states.count(JobState.SUCCEEDED) == 1 and states.count(JobState.PROVING) == 2


def test_idempotency_key_returns_the_same_job(store):
    a, created_a = _new(store, "job_a", idem="same")
    b, created_b = _new(store, "job_b", idem="same")
    assert created_a and not created_b and b.id == "job_a"
    other_key, created = _new(store, "job_c", key="other", idem="same")
    assert created and other_key.id == "job_c", "idempotency keys are per API key"
    assert store.find_idempotent("k", "same").id == "job_a"


def test_counts_and_estimates(store):
    for i in range(3):
        _new(store, f"job_{i}")
    assert store.count_active(circuit="transfer_2x2") == 3 and store.count_active(key_id="nobody") == 0
    store.claim("job_0", "w", 60, now=100.0)
    store.transition("job_0", JobState.SUCCEEDED, expect=[JobState.PROVING], now=100.75)
    assert store.recent_proving_seconds("transfer_2x2") == [pytest.approx(0.75)]
    assert store.count_active() == 2


def test_workers_heartbeat_and_vanish(store):
    store.heartbeat("h:1", "h", 1, ["transfer_2x2"], now=1000.0)
    assert [w.id for w in store.live_workers(within_s=5, now=1003.0)] == ["h:1"]
    assert store.live_workers(within_s=5, now=1010.0) == []
    store.forget_worker("h:1")
    assert store.live_workers(within_s=1e9, now=1000.0) == []
