"""The Celery worker: one warm prover per circuit, each proof verified before it is returned.

    celery -A service.worker worker -Q hush.prove.transfer_2x2,hush.prove.transfer_16x2 -c 1

(or `hush worker`). The pool's parent process never runs a kernel: numba's OpenMP layer is not
fork-safe, so each pool child loads its proving keys (memory-mapped), compiles the kernels (from
numba's cache) and proves the example transfer once in `worker_process_init`, after the fork and
before it takes its first job. Then it publishes each circuit's verification key and its warm-up
proving time (admission's first estimate) to the store and beats a heartbeat there every second.
A pool child dies with the pool's parent (PR_SET_PDEATHSIG, and a thread that watches the parent),
and the parent refuses to start with a payload key other than the farm's (its fingerprint is in
the store). It answers the API's consumer probes (service.sweeper) so readiness means "consuming".

An attempt: claim the job in the store (queued -> proving, attempt n, owner = this process), check
its deadline, open the sealed inputs, witness, prove, self-check, and record success only if the
store still says this process holds attempt n. A redelivered message for a job another live process
holds does nothing; one for a job whose owner is gone (SIGKILL, time limit) takes the job over. The
inputs are never logged: errors are recorded as redacted messages.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_init, worker_process_init, worker_process_shutdown

from .config import Settings, load_settings
from .model import CircuitInfo, JobState
from .queue import TASK_PROBE, TASK_PROVE, make_celery, publish
from .sealing import SealError, unseal
from .store import JobStore
from .sweeper import attempt_lost, requeue_lost
from .validation import check_inputs, public_input_names

log = logging.getLogger("hush.worker")

settings: Settings = load_settings()
app = make_celery(settings)


@dataclass
class Warm:
    prover: Any
    calculator: Any


class WorkerState:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = JobStore(settings.database_url)
        self.hostname = socket.gethostname()
        self.pid = os.getpid()
        self.id = f"{self.hostname}:{self.pid}"
        self.circuits: dict[str, Warm] = {}
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def warm(self) -> None:
        from hush.artifacts import circuit_files, manifest
        from prover.groth16 import Prover
        from prover.witness import WitnessCalculator
        from transfer.compliant_example import warmup_example
        from verifier.keys import verification_key_json

        for name in self.settings.circuits:
            t0 = time.perf_counter()
            files = circuit_files(name)
            files.check_compiled()
            if not files.zkey.is_file():
                raise FileNotFoundError(f"no proving key for {name} at {files.zkey}; run `hush setup circuit {name}`")
            prover = Prover(files.zkey)
            prover.warm()
            calc = WitnessCalculator(files.wasm)
            ex_inputs, ex_signals = warmup_example(name)  # one real proof: kernels and wasm compiled, key checked
            t1 = time.perf_counter()
            result = prover.prove(calc.calculate_limbs(ex_inputs))
            proving_s = time.perf_counter() - t1
            if result.public_signals != ex_signals:
                raise RuntimeError(f"{name}: the warm-up proof's public signals differ from the example's")
            self.circuits[name] = Warm(prover, calc)
            m = manifest()["circuits"].get(name, {})
            self.store.put_circuit(CircuitInfo(
                id=name,
                public_inputs=m.get("public_inputs") or public_input_names(name),
                n_constraints=int(m.get("constraints", 0)),
                verification_key=verification_key_json(prover.zkey),
                zkey_sha256=_sha256(files.zkey),
                r1cs_sha256=_sha256(files.r1cs),
            ))
            self.store.put_seed(name, self.id, proving_s)
            log.info("warm prover for %s in %.2f s (warm-up proof %.2f s)", name, time.perf_counter() - t0, proving_s)
        self.beat()
        self._beat = threading.Thread(target=self._beat_loop, name="hush-heartbeat", daemon=True)
        self._beat.start()

    def beat(self) -> None:
        self.store.heartbeat(self.id, self.hostname, self.pid, list(self.circuits))

    def _beat_loop(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.beat()
            except Exception:  # the store is down: try again; jobs are safe in it
                log.warning("heartbeat failed", exc_info=False)

    def close(self) -> None:
        self._stop.set()
        try:
            self.store.forget_worker(self.id)
        except Exception:
            pass

    # -- one attempt ----------------------------------------------------------------------------------
    def run(self, job_id: str, sealed: str, fault: str | None = None) -> str:
        """Run one delivery of a job; returns what happened (for logs and tests)."""
        st, s = self.store, self.settings
        attempt = st.claim(job_id, self.id, s.lease_s)
        if attempt is None:
            row = st.job_row(job_id)
            if row is None:
                return "unknown job"
            if row["state"] != JobState.PROVING.value:
                return f"nothing to do: job is {row['state']}"
            if not attempt_lost(row, st.live_workers(within_s=10.0), now=time.time()):
                return "held by a live attempt"
            if not self.requeue_lost(row):
                return "lost the race to take over"
            attempt = st.claim(job_id, self.id, s.lease_s)
            if attempt is None:
                return "lost the race to claim"
        row = st.job_row(job_id)
        assert row is not None
        circuit = row["circuit"]
        if time.time() > row["deadline"]:
            st.transition(job_id, JobState.EXPIRED, expect=[JobState.PROVING], attempts=attempt, owner=self.id,
                          detail="deadline passed before proving", error="deadline passed before a worker took it")
            return "expired"
        warm = self.circuits.get(circuit)
        if warm is None:
            st.transition(job_id, JobState.QUEUED, expect=[JobState.PROVING], attempts=attempt, owner=self.id,
                          detail=f"worker {self.id} does not serve {circuit}")
            return "not served here"
        try:
            if fault and s.test_faults:
                _inject(fault, attempt)
            try:
                inputs = check_inputs(circuit, unseal(s.payload_key, job_id, circuit, sealed)["inputs"])
            except SealError:
                return self._fail(job_id, attempt, "the task payload does not open with this farm's key")
            t0 = time.perf_counter()
            try:
                witness = warm.calculator.calculate_limbs(inputs)
            except SoftTimeLimitExceeded:
                raise
            except Exception as e:  # the circuit's own checks: an invalid transfer, not a crash
                return self._fail(job_id, attempt, _circuit_error(e))
            t1 = time.perf_counter()
            result = warm.prover.prove(witness)  # self-check: verified against the key's vk inside
            del witness, inputs
            from verifier.keys import proof_calldata

            proof_json = result.proof.to_json()
            timings = {"witness": t1 - t0, **{k.removeprefix("groth16."): v for k, v in result.timings.items()},
                       "total": time.perf_counter() - t0}
            ok = st.transition(
                job_id, JobState.SUCCEEDED, expect=[JobState.PROVING], attempts=attempt, owner=self.id,
                detail=f"attempt {attempt} proved and verified",
                proof=json.dumps(proof_json), public_signals=json.dumps([str(v) for v in result.public_signals]),
                calldata=proof_calldata(result.proof, result.public_signals), timings=json.dumps(timings),
            )
            return "succeeded" if ok else "proved, but the attempt had been taken over"
        except SoftTimeLimitExceeded:
            return self._retry_or_dead(job_id, attempt, sealed, circuit, "time limit exceeded", fault)
        except Exception as e:
            log.error("job %s attempt %d crashed: %s", job_id, attempt, type(e).__name__)
            return self._retry_or_dead(job_id, attempt, sealed, circuit, f"attempt crashed ({type(e).__name__})",
                                       fault)

    def _fail(self, job_id: str, attempt: int, why: str) -> str:
        self.store.transition(job_id, JobState.FAILED, expect=[JobState.PROVING], attempts=attempt, owner=self.id,
                              detail=why, error=why)
        return "failed"

    def _retry_or_dead(self, job_id: str, attempt: int, sealed: str, circuit: str, why: str,
                       fault: str | None) -> str:
        if attempt >= self.settings.max_attempts:
            if self.store.transition(job_id, JobState.DEAD, expect=[JobState.PROVING], attempts=attempt,
                                     owner=self.id, detail=f"{why}; dead after {attempt} attempts",
                                     error=f"{why}; gave up after {attempt} attempts"):
                log.error("ALERT job %s is dead after %d attempts: %s", job_id, attempt, why)
            return "dead"
        if self.store.transition(job_id, JobState.QUEUED, expect=[JobState.PROVING], attempts=attempt,
                                 owner=self.id, detail=f"{why}; retrying"):
            publish(app, job_id, circuit, sealed, fault)
            self.store.mark_enqueued(job_id)
        return "retrying"

    def requeue_lost(self, row: dict[str, Any]) -> bool:
        return requeue_lost(self.store, self.settings, row)


def _inject(fault: str, attempt: int) -> None:
    """Test-only faults (HUSH_TEST_FAULTS=1 in the worker): crash, exit, sleep:<s>, crash-once, exit-once."""
    if fault == "crash" or (fault == "crash-once" and attempt == 1):
        raise RuntimeError("injected crash")
    if fault == "exit" or (fault == "exit-once" and attempt == 1):
        os._exit(3)
    if fault.startswith("sleep:"):
        time.sleep(float(fault.split(":", 1)[1]))


def _circuit_error(e: Exception) -> str:
    # The witness calculator's messages can quote input values: keep the kind, drop the text.
    from prover.witness import CircuitAssertionError, InputError

    if isinstance(e, CircuitAssertionError):
        return "the circuit rejected the inputs: a constraint does not hold (not a valid transfer)"
    if isinstance(e, InputError):
        return "the circuit rejected the inputs: a signal is missing, extra or out of range"
    return f"witness calculation failed ({type(e).__name__})"


def _sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


STATE: WorkerState | None = None
PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGKILL) -> None:
    """This process gets `sig` when its parent dies (Linux), and a thread checks the parent twice a second
    (elsewhere, and in case the parent died before the call)."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=watch, name="hush-parent-watch", daemon=True).start()


@worker_init.connect
def _init_parent(**_: Any) -> None:
    """The pool's parent: refuse a payload key other than the farm's before any child warms up."""
    from .sealing import PayloadKeyMismatch, check_payload_key

    store = JobStore(settings.database_url)
    try:
        check_payload_key(store, settings.payload_key)
    except PayloadKeyMismatch as e:
        log.critical("%s", e)
        print(f"hush worker: {e}", file=sys.stderr, flush=True)
        os._exit(78)  # EX_CONFIG: a supervisor should not restart this in a loop
    finally:
        store.dispose()


@worker_process_init.connect
def _init_child(**_: Any) -> None:
    global STATE
    die_with_parent()
    STATE = WorkerState(settings)
    STATE.warm()


@worker_process_shutdown.connect
def _shutdown_child(**_: Any) -> None:
    if STATE is not None:
        STATE.close()


@app.task(name=TASK_PROVE, bind=True)
def prove(self, job_id: str, sealed: str, fault: str | None = None) -> str:
    if STATE is None:  # a solo/threads pool: warm in this process on first use
        _init_child()
    assert STATE is not None
    outcome = STATE.run(job_id, sealed, fault)
    log.info("job %s: %s", job_id, outcome)
    return outcome


@app.task(name=TASK_PROBE, ignore_result=True)
def probe(probe_id: str) -> None:
    """A consumer probe (service.sweeper): this worker took work from the queue; say so in the store."""
    if STATE is None:
        _init_child()
    assert STATE is not None
    STATE.store.consume_probe(probe_id, STATE.id)
