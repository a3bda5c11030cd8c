"""The gRPC API (service.grpc_api, service.grpc_client, service.grpc_gen) against an in-memory jobs double.

FakeJobs implements the blocking Jobs interface with job states driven by the test (`advance`), records
every call, and raises whatever error a test plants, so each RPC, each error mapping, the Watch stream,
auth metadata, deadlines and size limits are checked through a real grpc server on a free loopback port.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import threading
import time
import types
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import grpc
import pytest

from service import grpc_gen
from service.grpc_api import hush_pb2, hush_pb2_grpc, job_to_pb, make_grpc_server
from service.grpc_client import GrpcCallError, GrpcClient, job_from_pb
from service.model import (
    BadRequest,
    CircuitInfo,
    Conflict,
    FarmError,
    Job,
    JobState,
    NotFound,
    Overloaded,
    Principal,
    RateLimited,
    TooLarge,
    Transition,
    Unauthorized,
    Unavailable,
)

R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
T0 = 1_700_000_000.25
ALICE, BOB = "key-alice-0123456789", "key-bob-9876543210"
CANARY = "7318008731800873180087318008"
"""A secret-looking value planted in inputs: it must never come back in an error or reach a log."""

VKEY = {
    "protocol": "groth16",
    "curve": "bn128",
    "nPublic": 2,
    "vk_alpha_1": ["1", "2", "1"],
    "IC": [["1", "2", "1"], ["3", str(R - 1), "1"], ["5", "6", "1"]],
}
CIRCUIT = CircuitInfo(
    id="transfer2x2",
    public_inputs=["root", "inputNullifier[0]"],
    n_constraints=31337,
    verification_key=VKEY,
    zkey_sha256="ab" * 32,
    r1cs_sha256="cd" * 32,
)
PROOF = {
    "pi_a": ["1", str(R - 1), "1"],
    "pi_b": [["1", "2"], [str(2**253), "4"], ["1", "0"]],
    "pi_c": ["5", "6", "1"],
    "protocol": "groth16",
    "curve": "bn128",
}
SIGNALS = [str(R - 1), "0"]
INPUTS = {"root": str(R - 1), "inAmount": [CANARY, "0"], "inPath": [["0", "1"], [str(2**256 - 1), "3"]]}


class FakeJobs:
    """A deterministic double of service.jobs.Jobs: thread-safe, blocking, states moved by the test."""

    KEYS = {ALICE: Principal("alice"), BOB: Principal("bob")}

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._jobs: dict[str, tuple[str, Job]] = {}
        self._by_key: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {}
        self.calls: list[tuple[Any, ...]] = []
        self.fail: dict[str, BaseException] = {}
        self.watch_timeouts: list[float] = []
        self.active_watches = 0

    def _raise_planted(self, method: str) -> None:
        exc = self.fail.pop(method, None)
        if exc is not None:
            raise exc

    def authenticate(self, api_key: str | None) -> Principal:
        self._raise_planted("authenticate")
        if api_key is None:
            raise Unauthorized("missing x-api-key")
        try:
            return self.KEYS[api_key]
        except KeyError:
            raise Unauthorized("unknown API key") from None

    def circuits(self) -> list[CircuitInfo]:
        self._raise_planted("circuits")
        return [CIRCUIT]

    def submit(
        self,
        principal: Principal,
        circuit: str,
        inputs: dict[str, Any],
        *,
        idempotency_key: str | None = None,
        deadline_s: float | None = None,
        webhook_url: str | None = None,
        deadline_cap_s: float | None = None,
    ) -> Job:
        self._raise_planted("submit")
        if deadline_cap_s is not None:  # the job is due at the call's deadline (the request keeps its deadline_s)
            deadline_s = deadline_cap_s
        self.calls.append(("submit", principal.key_id, circuit, inputs, idempotency_key, deadline_s, webhook_url))
        if circuit != CIRCUIT.id:
            raise BadRequest(f"unknown circuit {circuit!r}; expected one of ['{CIRCUIT.id}']")
        with self._cv:
            if idempotency_key is not None and (principal.key_id, idempotency_key) in self._by_key:
                job_id, first_inputs = self._by_key[(principal.key_id, idempotency_key)]
                if first_inputs != inputs:
                    raise Conflict("idempotency key reused with other inputs")
                return self._jobs[job_id][1]
            job_id = f"job-{len(self._jobs) + 1}"
            job = Job(
                id=job_id,
                circuit=circuit,
                state=JobState.QUEUED,
                created_at=T0,
                deadline=T0 + (5.0 if deadline_s is None else deadline_s),
                transitions=(Transition(JobState.QUEUED, T0, "accepted"),),
                webhook_url=webhook_url,
            )
            self._jobs[job_id] = (principal.key_id, job)
            if idempotency_key is not None:
                self._by_key[(principal.key_id, idempotency_key)] = (job_id, inputs)
            return job

    def _get(self, principal: Principal, job_id: str) -> Job:
        owner, job = self._jobs.get(job_id, (None, None))
        if owner != principal.key_id or job is None:
            raise NotFound(f"no job {job_id!r}")
        return job

    def get(self, principal: Principal, job_id: str) -> Job:
        self._raise_planted("get")
        with self._cv:
            return self._get(principal, job_id)

    def watch(self, principal: Principal, job_id: str, timeout: float) -> Iterator[Job]:
        self._raise_planted("watch")
        self.watch_timeouts.append(timeout)
        end = time.monotonic() + timeout
        with self._cv:
            job = self._get(principal, job_id)
            self.active_watches += 1
        try:
            yield job
            while not job.done:
                with self._cv:
                    left = max(0.0, end - time.monotonic())
                    self._cv.wait_for(lambda old=job: self._jobs[job_id][1] != old, timeout=left)
                    new = self._jobs[job_id][1]
                if new == job:
                    return
                job = new
                yield job
        finally:
            with self._cv:
                self.active_watches -= 1
                self._cv.notify_all()

    def verify(self, circuit: str, proof: dict, public_signals: list[str]) -> tuple[bool, str]:
        self._raise_planted("verify")
        self.calls.append(("verify", circuit, proof, public_signals))
        if circuit != CIRCUIT.id:
            raise BadRequest(f"unknown circuit {circuit!r}")
        if proof.get("protocol") != "groth16":
            raise BadRequest(f"expected a groth16 proof, got protocol {proof.get('protocol')!r}")
        if proof == PROOF and public_signals == SIGNALS:
            return True, ""
        return False, "pairing check failed"

    # -- driven by the test -------------------------------------------------------------------------

    def advance(self, job_id: str, state: JobState, **changes: Any) -> Job:
        with self._cv:
            owner, job = self._jobs[job_id]
            at = T0 + len(job.transitions)
            job = replace(
                job, state=state, transitions=job.transitions + (Transition(state, at, state.value),), **changes
            )
            self._jobs[job_id] = (owner, job)
            self._cv.notify_all()
            return job

    def wait_no_watchers(self, timeout: float) -> bool:
        with self._cv:
            return self._cv.wait_for(lambda: self.active_watches == 0, timeout=timeout)


def _succeed(fake: FakeJobs, job_id: str) -> Job:
    fake.advance(job_id, JobState.PROVING, attempts=1)
    return fake.advance(
        job_id,
        JobState.SUCCEEDED,
        proof=PROOF,
        public_signals=SIGNALS,
        calldata='["0x01"],[["0x02","0x03"]]',
        timings={"witness": 0.125, "prove": 1.5, "verify": 0.0625},
    )


def _serve(fake: FakeJobs, **kw: Any) -> tuple[grpc.Server, str]:
    server = make_grpc_server(fake, None, **kw)
    port = server.add_insecure_port("127.0.0.1:0")
    assert port > 0
    server.start()
    return server, f"127.0.0.1:{port}"


@pytest.fixture
def farm() -> Iterator[tuple[FakeJobs, str]]:
    """A fresh double behind a fresh server for each test: no state or stray stream crosses tests."""
    fake = FakeJobs()
    server, target = _serve(fake, max_workers=8)
    yield fake, target
    server.stop(0).wait()


@pytest.fixture
def fake(farm: tuple[FakeJobs, str]) -> FakeJobs:
    return farm[0]


@pytest.fixture
def target(farm: tuple[FakeJobs, str]) -> str:
    return farm[1]


@pytest.fixture
def client(target: str, fake: FakeJobs) -> Iterator[GrpcClient]:
    with GrpcClient(target, api_key=ALICE) as c:
        yield c


@pytest.fixture
def stub(target: str) -> Iterator[Any]:
    with grpc.insecure_channel(target) as channel:
        yield hush_pb2_grpc.ProverStub(channel)


def _auth(key: str = ALICE) -> tuple[tuple[str, str], ...]:
    return (("x-api-key", key),)


# -- codegen ---------------------------------------------------------------------------------------------


def test_codegen_is_current_and_check_passes() -> None:
    assert grpc_gen.main(["--check"]) == 0
    header = grpc_gen.header()
    assert "sha256:" in header and "do not edit" in header
    for name in grpc_gen.FILES:
        assert (grpc_gen.OUT_DIR / name).read_text().splitlines()[0] == header
    assert "from . import hush_pb2" in (grpc_gen.OUT_DIR / "hush_pb2_grpc.py").read_text()


def test_codegen_check_sees_missing_and_edited_files(tmp_path: Path) -> None:
    out = tmp_path / "_pb"
    assert set(grpc_gen.differences(out)) == set(grpc_gen.FILES)
    assert not grpc_gen.is_current(out)
    grpc_gen.write(out)
    assert grpc_gen.differences(out) == [] and grpc_gen.is_current(out)
    target = out / "hush_pb2.py"
    target.write_text(target.read_text() + "# edited\n")
    assert grpc_gen.differences(out) == ["hush_pb2.py"]
    target.write_text(target.read_text().replace("sha256:", "sha256:0", 1))
    assert not grpc_gen.is_current(out)


def test_import_generates_missing_code_under_concurrency(tmp_path: Path) -> None:
    """A fresh tree without service/_pb: two processes importing at once both get working code."""
    root = Path(grpc_gen.__file__).resolve().parent
    tree = tmp_path / "service"
    (tree / "proto").mkdir(parents=True)
    shutil.copy(root / "grpc_gen.py", tree / "grpc_gen.py")
    shutil.copy(grpc_gen.PROTO, tree / "proto" / "hush.proto")
    (tree / "__init__.py").write_text("")
    code = (
        "from service.grpc_gen import load; pb2, g = load(); "
        "assert g.ProverStub and pb2.Job(state=pb2.JOB_STATE_DEAD).state == 6; print(pb2.__file__)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    for p in procs:
        out, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
        assert out.decode().strip() == str(tree / "_pb" / "hush_pb2.py")
    assert grpc_gen.differences(tree / "_pb") == []


# -- conversions -----------------------------------------------------------------------------------------


def _jobs_in_every_state() -> list[Job]:
    fake = FakeJobs()
    p = Principal("alice")
    out = [fake.submit(p, CIRCUIT.id, INPUTS)]
    out.append(_succeed(fake, fake.submit(p, CIRCUIT.id, INPUTS).id))
    j = fake.submit(p, CIRCUIT.id, INPUTS).id
    fake.advance(j, JobState.PROVING, attempts=1)
    fake.advance(j, JobState.QUEUED)
    out.append(fake.advance(j, JobState.DEAD, attempts=3, error="worker crashed 3 times"))
    out.append(fake.advance(fake.submit(p, CIRCUIT.id, INPUTS).id, JobState.FAILED, error="inputs rejected"))
    out.append(fake.advance(fake.submit(p, CIRCUIT.id, INPUTS).id, JobState.EXPIRED))
    return out


@pytest.mark.parametrize("job", _jobs_in_every_state(), ids=lambda j: j.state.value)
def test_job_message_carries_to_json(job: Job) -> None:
    msg = hush_pb2.Job.FromString(job_to_pb(job).SerializeToString())
    assert job_from_pb(msg) == job.to_json()


def test_succeeded_job_proof_is_snarkjs_json_text() -> None:
    job = _jobs_in_every_state()[1]
    msg = job_to_pb(job)
    assert json.loads(msg.proof_json) == PROOF
    assert list(msg.public_signals) == SIGNALS and msg.state == hush_pb2.JOB_STATE_SUCCEEDED
    assert not job_to_pb(_jobs_in_every_state()[0]).HasField("proof_json")


# -- the RPCs --------------------------------------------------------------------------------------------


def test_list_circuits(client: GrpcClient) -> None:
    assert client.list_circuits() == [CIRCUIT.to_json()]


def test_submit_carries_everything_to_the_jobs_layer(client: GrpcClient, fake: FakeJobs) -> None:
    job = client.submit(CIRCUIT.id, INPUTS, idempotency_key="tx-1", deadline_s=4.0, webhook_url="https://w.example/h")
    assert job["state"] == "queued" and job["id"] == "job-1"
    ((name, key_id, circuit, inputs, idem, deadline_s, webhook),) = fake.calls
    assert (name, key_id, circuit, idem, deadline_s, webhook) == (
        "submit",
        "alice",
        CIRCUIT.id,
        "tx-1",
        4.0,
        "https://w.example/h",
    )
    assert inputs == INPUTS  # nested arrays and 254/256-bit decimals arrive exactly


def test_client_sends_python_ints_as_decimal_strings(client: GrpcClient, fake: FakeJobs) -> None:
    client.submit(CIRCUIT.id, {"a": R - 1, "b": [0, [1, 2**256 - 1]], "c": "5"})
    assert fake.calls[0][3] == {"a": str(R - 1), "b": ["0", ["1", str(2**256 - 1)]], "c": "5"}


def test_idempotency_key_plumbed(client: GrpcClient, fake: FakeJobs) -> None:
    first = client.submit(CIRCUIT.id, INPUTS, idempotency_key="tx-7")
    assert client.submit(CIRCUIT.id, INPUTS, idempotency_key="tx-7")["id"] == first["id"]
    with pytest.raises(GrpcCallError) as err:
        client.submit(CIRCUIT.id, {**INPUTS, "root": "1"}, idempotency_key="tx-7")
    assert err.value.code == grpc.StatusCode.ALREADY_EXISTS


def test_get_returns_the_whole_succeeded_job(client: GrpcClient, fake: FakeJobs) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    assert client.get(job_id)["state"] == "queued"
    done = _succeed(fake, job_id)
    got = client.get(job_id)
    assert got == done.to_json()
    assert got["proof"] == PROOF and got["public_signals"] == SIGNALS and got["timings"]["prove"] == 1.5
    assert [t["state"] for t in got["transitions"]] == ["queued", "proving", "succeeded"]


def test_get_unknown_and_other_tenants_job_is_not_found(target: str, client: GrpcClient) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    with GrpcClient(target, api_key=BOB) as bob:
        for jid in (job_id, "job-999", ""):
            with pytest.raises(GrpcCallError) as err:
                bob.get(jid)
            assert err.value.code == grpc.StatusCode.NOT_FOUND and err.value.retry_after is None
        with pytest.raises(GrpcCallError) as err:
            list(bob.watch(job_id, timeout=5))
        assert err.value.code == grpc.StatusCode.NOT_FOUND


def test_verify_valid_invalid_and_malformed(client: GrpcClient, fake: FakeJobs) -> None:
    assert client.verify(CIRCUIT.id, PROOF, SIGNALS) == (True, "")
    assert fake.calls[-1] == ("verify", CIRCUIT.id, PROOF, SIGNALS)
    assert client.verify(CIRCUIT.id, PROOF, [SIGNALS[0], "1"]) == (False, "pairing check failed")
    for circuit, proof in ((CIRCUIT.id, {**PROOF, "protocol": "plonk"}), ("nope", PROOF)):
        with pytest.raises(GrpcCallError) as err:
            client.verify(circuit, proof, SIGNALS)
        assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT


@pytest.mark.parametrize("proof_json", ["", "not json", "[1, 2]", '{"pi_a": NaN}', '{"a": 1, "a": 2}'])
def test_verify_refuses_malformed_proof_json(stub: Any, fake: FakeJobs, proof_json: str) -> None:
    request = hush_pb2.VerifyRequest(circuit=CIRCUIT.id, proof_json=proof_json, public_signals=SIGNALS)
    with pytest.raises(grpc.RpcError) as err:
        stub.Verify(request, metadata=_auth(), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "proof_json" in err.value.details()
    assert fake.calls == []


# -- Watch -----------------------------------------------------------------------------------------------


def _drive(fake: FakeJobs, steps: list[tuple[float, str, JobState, dict[str, Any]]]) -> threading.Thread:
    def run() -> None:
        start = time.monotonic()
        for at, job_id, state, changes in steps:
            time.sleep(max(0.0, start + at - time.monotonic()))
            fake.advance(job_id, state, **changes)

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_watch_streams_each_state_and_ends_at_success(client: GrpcClient, fake: FakeJobs) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    done = {"proof": PROOF, "public_signals": SIGNALS, "calldata": "0x", "timings": {"prove": 1.0}}
    driver = _drive(fake, [(0.1, job_id, JobState.PROVING, {"attempts": 1}), (0.2, job_id, JobState.SUCCEEDED, done)])
    start = time.monotonic()
    seen = list(client.watch(job_id, timeout=10))
    assert time.monotonic() - start < 2.0  # ended at the terminal state, not at the timeout
    driver.join()
    assert [j["state"] for j in seen] == ["queued", "proving", "succeeded"]
    assert seen[-1] == fake.get(Principal("alice"), job_id).to_json()


def test_watch_follows_a_retry_to_dead_across_slices(client: GrpcClient, fake: FakeJobs) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    driver = _drive(
        fake,
        [
            (0.05, job_id, JobState.PROVING, {"attempts": 1}),
            (0.1, job_id, JobState.QUEUED, {}),
            (1.3, job_id, JobState.PROVING, {"attempts": 2}),  # after the first 1 s slice
            (1.4, job_id, JobState.DEAD, {"error": "worker lost twice"}),
        ],
    )
    seen = list(client.watch(job_id, timeout=10))
    driver.join()
    assert [j["state"] for j in seen] == ["queued", "proving", "queued", "proving", "dead"]
    assert seen[-1]["error"] == "worker lost twice" and seen[-1]["attempts"] == 2
    assert len(fake.watch_timeouts) >= 2 and max(fake.watch_timeouts) <= 1.0


def test_watch_of_a_terminal_job_sends_it_once(client: GrpcClient, fake: FakeJobs) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    fake.advance(job_id, JobState.EXPIRED)
    assert [j["state"] for j in client.watch(job_id, timeout=10)] == ["expired"]
    assert client.wait(job_id, timeout=10)["state"] == "expired"


def test_watch_ends_at_the_call_deadline(client: GrpcClient, fake: FakeJobs) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    start = time.monotonic()
    seen = list(client.watch(job_id, timeout=0.4))
    elapsed = time.monotonic() - start
    assert [j["state"] for j in seen] == ["queued"]
    assert 0.3 < elapsed < 2.5
    assert fake.watch_timeouts and max(fake.watch_timeouts) <= 0.45  # grpc rounds deadlines up slightly


def test_cancelled_watch_frees_its_thread(client: GrpcClient, fake: FakeJobs) -> None:
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    stream = client.watch(job_id, timeout=30)
    assert next(stream)["state"] == "queued"
    stream.close()  # cancels the call
    start = time.monotonic()
    assert fake.wait_no_watchers(timeout=5.0), "the server kept watching a cancelled stream"
    assert time.monotonic() - start < 2.5  # about one watch slice (1 s), far below the call's 30 s


# -- deadlines -------------------------------------------------------------------------------------------


def test_call_deadline_caps_job_deadline(client: GrpcClient, fake: FakeJobs, stub: Any) -> None:
    # grpc rounds the deadline it sends up a little (the grpc-timeout header's units), hence the slack
    client.submit(CIRCUIT.id, INPUTS, timeout=2.0)
    assert 1.0 < fake.calls[-1][5] <= 2.05
    client.submit(CIRCUIT.id, INPUTS, deadline_s=0.5, timeout=30.0)
    assert fake.calls[-1][5] == 0.5
    client.submit(CIRCUIT.id, INPUTS, deadline_s=10.0, timeout=1.0)
    assert 0.0 < fake.calls[-1][5] <= 1.05
    stub.Submit(hush_pb2.SubmitRequest(circuit=CIRCUIT.id, inputs_json="{}"), metadata=_auth())  # no deadline
    assert fake.calls[-1][5] is None
    client.submit(CIRCUIT.id, INPUTS, deadline_s=3.0, timeout=None)
    assert fake.calls[-1][5] == 3.0
    # a call deadline past the default budget (5 s) leaves the jobs layer's default in force
    client.submit(CIRCUIT.id, INPUTS, timeout=30.0)
    assert fake.calls[-1][5] is None
    client.submit(CIRCUIT.id, INPUTS, deadline_s=60.0, timeout=30.0)
    assert 29.0 < fake.calls[-1][5] <= 30.2


@pytest.mark.parametrize("source", ["argument", "jobs.settings"])
def test_call_deadline_is_weighed_against_the_configured_budget(source: str) -> None:
    fake = FakeJobs()
    if source == "argument":
        server, target = _serve(fake, budget_s=1.0)
    else:
        fake.settings = types.SimpleNamespace(budget_s=1.0)  # as service.jobs.Jobs carries it
        server, target = _serve(fake)
    try:
        with GrpcClient(target, api_key=ALICE) as c:
            c.submit(CIRCUIT.id, INPUTS, timeout=2.0)
            assert fake.calls[-1][5] is None
            c.submit(CIRCUIT.id, INPUTS, timeout=0.8)
            assert 0.4 < fake.calls[-1][5] <= 0.85
    finally:
        server.stop(0).wait()


@pytest.mark.parametrize("deadline_s", [0.0, -1.0, float("nan"), float("inf")])
def test_bad_requested_deadline_is_invalid(client: GrpcClient, fake: FakeJobs, deadline_s: float) -> None:
    with pytest.raises(GrpcCallError) as err:
        client.submit(CIRCUIT.id, INPUTS, deadline_s=deadline_s)
    assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and fake.calls == []


# -- auth ------------------------------------------------------------------------------------------------

RPCS = {
    "Submit": hush_pb2.SubmitRequest(circuit=CIRCUIT.id, inputs_json=json.dumps(INPUTS)),
    "Get": hush_pb2.GetRequest(job_id="job-1"),
    "Watch": hush_pb2.WatchRequest(job_id="job-1"),
    "Verify": hush_pb2.VerifyRequest(circuit=CIRCUIT.id, proof_json=json.dumps(PROOF), public_signals=SIGNALS),
    "ListCircuits": hush_pb2.ListCircuitsRequest(),
}


def _call(stub: Any, method: str, metadata: Any) -> Any:
    result = getattr(stub, method)(RPCS[method], metadata=metadata, timeout=5)
    return list(result) if method == "Watch" else result


@pytest.mark.parametrize("method", list(RPCS))
@pytest.mark.parametrize(
    "metadata",
    [(), (("x-api-key", "wrong"),), (("x-api-key", ALICE), ("x-api-key", BOB)), (("authorization", ALICE),)],
    ids=["none", "wrong", "two", "other-header"],
)
def test_every_rpc_needs_a_valid_api_key(stub: Any, fake: FakeJobs, method: str, metadata: Any) -> None:
    with pytest.raises(grpc.RpcError) as err:
        _call(stub, method, metadata)
    assert err.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert ALICE not in err.value.details() and BOB not in err.value.details()
    assert fake.calls == []


def test_api_key_selects_the_principal(client: GrpcClient, target: str, fake: FakeJobs) -> None:
    client.submit(CIRCUIT.id, INPUTS)
    with GrpcClient(target, api_key=BOB) as bob:
        bob.submit(CIRCUIT.id, INPUTS)
    assert [c[1] for c in fake.calls] == ["alice", "bob"]


# -- error mapping ---------------------------------------------------------------------------------------

# The table of service/model.py's docstring, written out here rather than read from .grpc_code.
ERRORS = [
    (BadRequest("inputs: root is not below r"), grpc.StatusCode.INVALID_ARGUMENT, None),
    (Unauthorized("key revoked"), grpc.StatusCode.UNAUTHENTICATED, None),
    (NotFound("no such job"), grpc.StatusCode.NOT_FOUND, None),
    (Conflict("idempotency key reused"), grpc.StatusCode.ALREADY_EXISTS, None),
    (TooLarge("inputs too large"), grpc.StatusCode.INVALID_ARGUMENT, None),
    (RateLimited("20 requests/s exceeded", 0.25), grpc.StatusCode.RESOURCE_EXHAUSTED, "0.25"),
    (Overloaded("cannot finish within the deadline", 3.0), grpc.StatusCode.RESOURCE_EXHAUSTED, "3"),
    (Unavailable("broker down"), grpc.StatusCode.UNAVAILABLE, None),
    (FarmError("unexpected farm state"), grpc.StatusCode.INTERNAL, None),
]


def _error_id(value: Any) -> str:
    return type(value).__name__ if isinstance(value, Exception) else ""


JOBS_METHOD = {"Submit": "submit", "Get": "get", "Watch": "watch", "Verify": "verify", "ListCircuits": "circuits"}


@pytest.mark.parametrize("method", list(RPCS))
@pytest.mark.parametrize(
    "exc, code, retry_after", ERRORS, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else ""
)
def test_farm_errors_map_to_status_and_retry_after(
    stub: Any, fake: FakeJobs, method: str, exc: FarmError, code: grpc.StatusCode, retry_after: str | None
) -> None:
    fake.submit(Principal("alice"), CIRCUIT.id, INPUTS)  # job-1 exists for Get / Watch
    fake.calls.clear()
    fake.fail[JOBS_METHOD[method]] = exc
    with pytest.raises(grpc.RpcError) as err:
        _call(stub, method, _auth())
    assert err.value.code() == code and err.value.details() == str(exc)
    trailing = dict(err.value.trailing_metadata() or ())
    assert trailing.get("retry-after") == retry_after


@pytest.mark.parametrize(
    "exc, code, retry_after", ERRORS, ids=lambda v: type(v).__name__ if isinstance(v, Exception) else ""
)
def test_client_raises_code_and_retry_after(
    client: GrpcClient, fake: FakeJobs, exc: FarmError, code: grpc.StatusCode, retry_after: str | None
) -> None:
    fake.fail["submit"] = exc
    with pytest.raises(GrpcCallError) as err:
        client.submit(CIRCUIT.id, INPUTS)
    assert err.value.code == code and err.value.details == str(exc) and err.value.method == "Submit"
    assert err.value.retry_after == (None if retry_after is None else float(retry_after))
    assert err.value.retryable == (code in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE))


def test_authentication_errors_come_from_the_jobs_layer(client: GrpcClient, fake: FakeJobs) -> None:
    fake.fail["authenticate"] = RateLimited("too many failed keys", 1.5)
    with pytest.raises(GrpcCallError) as err:
        client.list_circuits()
    assert err.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED and err.value.retry_after == 1.5


# -- inputs never leak -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inputs_json",
    [
        "",
        '{"inAmount": [' + CANARY + ",",  # truncated
        "[" + json.dumps(CANARY) + "]",  # not an object
        '{"inAmount": "' + CANARY + '", "inAmount": "1"}',  # duplicate key
        '{"inAmount": ' + CANARY + "e99999, " + '"x": NaN}',
        '{"x": ' + CANARY * 200 + "}",  # over Python's integer digit limit
        '{"x": ' + "[" * 100_000 + "]" * 100_000 + "}",  # nests too deeply
    ],
    ids=["empty", "truncated", "array", "duplicate", "nan", "long-int", "deep"],
)
def test_malformed_inputs_refused_without_echo(
    stub: Any, fake: FakeJobs, caplog: pytest.LogCaptureFixture, inputs_json: str
) -> None:
    caplog.set_level("DEBUG")
    with pytest.raises(grpc.RpcError) as err:
        stub.Submit(hush_pb2.SubmitRequest(circuit=CIRCUIT.id, inputs_json=inputs_json), metadata=_auth(), timeout=5)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "inputs_json" in err.value.details()
    assert CANARY not in err.value.details() and CANARY[:8] not in caplog.text
    assert fake.calls == []


def test_deep_nesting_refused_under_a_raised_recursion_limit(stub: Any, fake: FakeJobs) -> None:
    """py_ecc sets sys.setrecursionlimit(100000); parsing this in a server thread would overflow its stack
    (this crashed a whole test run before the depth check)."""
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        deep = '{"x": ' + "[" * 120_000 + "]" * 120_000 + "}"
        with pytest.raises(grpc.RpcError) as err:
            stub.Submit(hush_pb2.SubmitRequest(circuit=CIRCUIT.id, inputs_json=deep), metadata=_auth(), timeout=5)
    finally:
        sys.setrecursionlimit(old)
    assert err.value.code() == grpc.StatusCode.INVALID_ARGUMENT and "nests too deeply" in err.value.details()
    assert fake.calls == []


def test_unexpected_error_is_internal_and_not_echoed(
    client: GrpcClient, fake: FakeJobs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    fake.fail["submit"] = ValueError(f"bad amount {CANARY}")
    with pytest.raises(GrpcCallError) as err:
        client.submit(CIRCUIT.id, INPUTS)
    assert err.value.code == grpc.StatusCode.INTERNAL and err.value.details == "internal error"
    assert "ValueError" in caplog.text and "Submit" in caplog.text
    assert CANARY not in caplog.text and CANARY not in str(err.value)


def test_successful_calls_log_no_input_or_key(
    client: GrpcClient, fake: FakeJobs, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    job_id = client.submit(CIRCUIT.id, INPUTS)["id"]
    _succeed(fake, job_id)
    client.wait(job_id, timeout=5)
    with pytest.raises(GrpcCallError):
        client.submit("nope", INPUTS)
    assert CANARY not in caplog.text and ALICE not in caplog.text


# -- size limits and a busy server -----------------------------------------------------------------------


@pytest.fixture
def small_farm() -> Iterator[tuple[FakeJobs, str]]:
    fake = FakeJobs()
    server, target = _serve(fake, max_message_bytes=64 * 1024, max_workers=2, max_watch_s=0.3)
    yield fake, target
    server.stop(0).wait()


def test_oversized_message_is_refused_before_the_jobs_layer(small_farm: tuple[FakeJobs, str]) -> None:
    fake, target = small_farm
    with GrpcClient(target, api_key=ALICE) as c:
        fits = {"x": ["1" * 70] * 800}  # ~58 KiB of JSON
        assert c.submit(CIRCUIT.id, fits)["state"] == "queued"
        for big in ({"x": ["1" * 70] * 1000}, {"x": [CANARY] * 100_000}):  # ~72 KiB, ~3 MiB
            with pytest.raises(GrpcCallError) as err:
                c.submit(CIRCUIT.id, big)
            assert err.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED and CANARY not in err.value.details
        with pytest.raises(GrpcCallError) as err:
            c.verify(CIRCUIT.id, {**PROOF, "pad": "0" * 70_000}, SIGNALS)
        assert err.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert len(fake.calls) == 1


def test_watch_without_deadline_ends_at_the_server_cap(small_farm: tuple[FakeJobs, str]) -> None:
    fake, target = small_farm
    job_id = fake.submit(Principal("alice"), CIRCUIT.id, INPUTS).id
    with grpc.insecure_channel(target) as channel:
        start = time.monotonic()
        seen = list(hush_pb2_grpc.ProverStub(channel).Watch(hush_pb2.WatchRequest(job_id=job_id), metadata=_auth()))
    assert [m.state for m in seen] == [hush_pb2.JOB_STATE_QUEUED]
    assert time.monotonic() - start < 2.0


def test_concurrent_submits(client: GrpcClient, fake: FakeJobs) -> None:
    results: list[str] = []

    def one(i: int) -> None:
        results.append(client.submit(CIRCUIT.id, {**INPUTS, "i": str(i)}, idempotency_key=f"k{i}")["id"])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(results)) == 24 and len(fake.calls) == 24


def test_make_grpc_server_binds_its_address_exclusively(fake: FakeJobs) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = make_grpc_server(fake, f"127.0.0.1:{port}")
    server.start()
    try:
        with GrpcClient(f"127.0.0.1:{port}", api_key=ALICE) as c:
            assert c.list_circuits()[0]["id"] == CIRCUIT.id
        with pytest.raises(RuntimeError):
            make_grpc_server(fake, f"127.0.0.1:{port}")  # busy: no silent SO_REUSEPORT sharing
    finally:
        server.stop(0).wait()


# -- over the real jobs layer ----------------------------------------------------------------------------


def test_over_the_real_jobs_layer(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """service.jobs.Jobs with its store (the broker a list, no worker process): the two views agree."""
    from canary import canary_inputs
    from farmkit import FakeFarm, make_settings

    caplog.set_level("DEBUG")
    inputs = canary_inputs(CANARY)  # a valid transfer carrying the canary as a blinding
    ff = FakeFarm(make_settings(tmp_path), live_worker=False)
    server = make_grpc_server(ff.farm.jobs, None)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with GrpcClient(f"127.0.0.1:{port}") as c:
            with pytest.raises(GrpcCallError) as err:  # no live worker: refused at once, with a retry-after
                c.submit("transfer_2x2", inputs)
            assert err.value.code == grpc.StatusCode.RESOURCE_EXHAUSTED and err.value.retry_after >= 1
            ff.beat()
            with pytest.raises(GrpcCallError) as err:
                c.submit("transfer_2x2", {**inputs, "root": str(R)})
            assert err.value.code == grpc.StatusCode.INVALID_ARGUMENT and "root" in err.value.details
            job = c.submit("transfer_2x2", inputs, idempotency_key="tx-1", timeout=30)  # a long call deadline is fine
            assert c.submit("transfer_2x2", inputs, idempotency_key="tx-1")["id"] == job["id"]
            assert job["deadline"] - job["created_at"] == pytest.approx(ff.settings.budget_s)
            assert len(ff.published) == 1 and CANARY not in repr(ff.published)

            def work() -> None:
                time.sleep(0.2)
                ff.farm.store.claim(job["id"], "test:1", 60)
                ff.farm.store.transition(
                    job["id"],
                    JobState.SUCCEEDED,
                    expect=[JobState.PROVING],
                    proof=json.dumps(PROOF),
                    public_signals=json.dumps(SIGNALS),
                    calldata="[]",
                    timings='{"total": 0.1}',
                )

            worker = threading.Thread(target=work)
            worker.start()
            seen = list(c.watch(job["id"], timeout=10))
            worker.join()
            assert [j["state"] for j in seen][-1] == "succeeded" and seen[0]["state"] == "queued"
            got = c.get(job["id"])
            assert got["proof"] == PROOF and got["public_signals"] == SIGNALS
            rest = ff.client.get(f"/v1/proofs/{job['id']}").json()
            assert {k: rest[k] for k in got} == got
    finally:
        server.stop(0).wait()
        ff.close()
    assert CANARY not in caplog.text
