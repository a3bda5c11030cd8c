"""The farm for real: a Celery worker pool with warm provers, the embedded broker and store.

Faults (SECURITY #27-31, #36): SIGKILL a worker mid-proof (the job completes exactly once), a
redelivered message does not prove twice, a job that always crashes ends dead after N attempts,
the soft time limit retries by policy, and an API restart loses nothing."""

from __future__ import annotations

import functools
import os
import signal
import time

import pytest
from farmkit import LiveFarm

from service.model import JobState
from transfer.example import example_transfer
from verifier.groth16 import verify
from verifier.keys import verifying_key_from_json

pytestmark = [pytest.mark.circuits, pytest.mark.slow, pytest.mark.farm]


@functools.cache
def example():
    return example_transfer("transfer_2x2")


def body(**kw) -> dict:
    return {"circuit": "transfer_2x2", "inputs": example().inputs, **kw}


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from hush.artifacts import ensure_dev_key

    ensure_dev_key("transfer_2x2")
    farm = LiveFarm(tmp_path_factory.mktemp("farm"), max_attempts=2, time_limit_s=20.0)
    farm.start_worker()
    yield farm
    farm.close()


def _states(job) -> list[str]:
    return [t.state.value for t in job.transitions]


def test_a_proof_end_to_end_verified_by_the_circuit_key(live: LiveFarm):
    r = live.client.post("/v1/proofs", json=body(wait=30, deadline_s=60))
    assert r.status_code == 200, r.text
    job = r.json()
    assert job["state"] == "succeeded" and [t["state"] for t in job["transitions"]] == ["queued", "proving",
                                                                                       "succeeded"]
    assert job["public_signals"] == [str(v) for v in example().public_signals]
    (info,) = live.client.get("/v1/circuits").json()["circuits"]
    assert info["n_constraints"] > 10_000 and len(info["public_inputs"]) == 8
    verify(verifying_key_from_json(info["verification_key"]), job["public_signals"], job["proof"])
    assert job["calldata"].startswith('["0x') and set(job["timings"]) >= {"witness", "msm_h", "self_check"}
    ok = live.client.post("/v1/verify", json={"circuit": "transfer_2x2", "proof": job["proof"],
                                              "public_signals": job["public_signals"]}).json()
    assert ok["valid"] is True
    tampered = [job["public_signals"][0], str(int(job["public_signals"][1]) ^ 1), *job["public_signals"][2:]]
    bad = live.client.post("/v1/verify", json={"circuit": "transfer_2x2", "proof": job["proof"],
                                               "public_signals": tampered}).json()
    assert bad["valid"] is False


def test_an_invalid_transfer_is_refused_naming_the_rule_without_echo(live: LiveFarm):
    inputs = dict(example().inputs)
    inputs["fee"] = str(int(inputs["fee"]) + 1)  # value no longer balances: the circuit's constraint fails
    r = live.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": inputs, "wait": 30, "deadline_s": 60})
    assert r.status_code == 422 and r.json()["rule"] == "conservation"  # checked by the twin, never proved
    assert inputs["nullifyingKey"] not in r.text


def test_sigkill_mid_proof_completes_exactly_once(live: LiveFarm):
    r = live.client.post("/v1/proofs", json=body(deadline_s=240, fault="sleep:3"))
    jid = r.json()["id"]
    end = time.monotonic() + 60
    while (row := live.farm.store.job_row(jid))["state"] != "proving":
        assert time.monotonic() < end, "the job was never taken"
        time.sleep(0.05)
    pid = int(row["owner"].rsplit(":", 1)[1])
    os.kill(pid, signal.SIGKILL)
    job = live.wait_done(jid, timeout=240)
    assert job.state is JobState.SUCCEEDED, job
    states = _states(job)
    assert states.count("succeeded") == 1 and states.count("proving") == 2 and job.attempts == 2
    assert any("lost" in t.detail for t in job.transitions)
    live.wait_ready(120, exclude={pid})


def test_a_redelivered_message_does_not_prove_twice(live: LiveFarm):
    r = live.client.post("/v1/proofs", json=body(deadline_s=120, fault="sleep:2"))
    jid = r.json()["id"]
    sealed = live.farm.store.job_row(jid)["sealed"]
    live.farm.publish(jid, "transfer_2x2", sealed, "sleep:2")  # what a broker's redelivery looks like
    job = live.wait_done(jid, timeout=120)
    assert job.state is JobState.SUCCEEDED and _states(job).count("proving") == 1 and job.attempts == 1


def test_a_job_that_always_crashes_is_dead_after_n_attempts(live: LiveFarm, caplog):
    r = live.client.post("/v1/proofs", json=body(deadline_s=120, fault="crash"))
    job = live.wait_done(r.json()["id"], timeout=120)
    assert job.state is JobState.DEAD and job.attempts == 2 and "gave up after 2 attempts" in job.error
    assert _states(job) == ["queued", "proving", "queued", "proving", "dead"]
    time.sleep(1.0)  # no loop: nothing moves afterwards
    assert _states(live.farm.store.get_job(job.id)) == _states(job)
    live.farm.sweeper.tick()
    assert 'hush_jobs_dead_total{circuit="transfer_2x2"} 1.0' in live.client.get("/metrics").text


def test_the_soft_time_limit_retries_by_policy(live: LiveFarm):
    r = live.client.post("/v1/proofs", json=body(deadline_s=200, fault="sleep:17"))
    job = live.wait_done(r.json()["id"], timeout=200)
    assert job.state is JobState.DEAD and "time limit" in job.error, job


def test_idempotent_retries_run_the_prover_once(live: LiveFarm):
    h = {"Idempotency-Key": "wallet-retry-7"}
    ra = live.client.post("/v1/proofs", json=body(wait=30, deadline_s=60), headers=h)
    assert ra.status_code == 200, (ra.text, live.client.get("/readyz").text)
    a = ra.json()
    b = live.client.post("/v1/proofs", json=body(wait=30, deadline_s=60), headers=h).json()
    assert a["id"] == b["id"] and b["state"] == "succeeded" and b["proof"] == a["proof"]
    assert [t["state"] for t in b["transitions"]].count("proving") == 1


def test_an_api_restart_keeps_every_job(live: LiveFarm):
    from fastapi.testclient import TestClient

    from service.farm import Farm
    from service.rest import make_app

    r = live.client.post("/v1/proofs", json=body(deadline_s=60, fault="sleep:1"))
    jid = r.json()["id"]
    other = Farm.from_settings(live.settings)  # a second API process over the same store
    other.close()
    live.farm.sweeper.stop()  # the first API "dies": nothing of it runs any more
    live.client.close()
    new = Farm.from_settings(live.settings)
    new.start()
    try:
        with TestClient(make_app(new)) as c:
            job = c.get(f"/v1/proofs/{jid}", params={"wait": 60}).json()
            assert job["state"] == "succeeded"
    finally:
        new.close()
        live.farm.sweeper = new.sweeper  # leave the fixture a farm that works


def test_witness_secrets_never_rest_in_the_store_results_or_logs(live: LiveFarm):
    """SECURITY #37, after every job of this module (successes, failures, crashes, kills) has run."""
    import json

    import sqlalchemy as sa

    from service.store import metadata

    ins = example().inputs
    secrets_ = {ins["nullifyingKey"], ins["sigS"], *ins["inBlinding"], *ins["outBlinding"]}
    dump = []
    with live.farm.store.engine.connect() as c:
        for table in metadata.sorted_tables:
            dump += [json.dumps([str(v) for v in row]) for row in c.execute(sa.select(table))]
    text = "\n".join(dump) + (live.tmp_path / "worker.log").read_text()
    assert len(dump) > 10
    leaked = [s for s in secrets_ if s in text]
    assert not leaked
