"""Where proofs come from: `LocalProver` (Hush's prover in this process) or `FarmClient` (the prover
farm's REST API). Both take the circuit's input dict (decimal strings, snarkjs input.json) — which
holds the nullifying key and the user's signature, never the spending key — and return the
snarkjs proof and public signals. The wallet verifies every proof itself before using it.

Farm REST contract:

    POST {base}/v1/proofs  {"circuit", "inputs", "wait", "deadline_s"?}   headers Idempotency-Key, X-API-Key (optional)
        200 job done within `wait` | 202 job queued/proving -> GET {base}/v1/proofs/{id}?wait=s
    job: {"id", "state": queued|proving|succeeded|failed|expired|dead, "proof", "public_signals",
          "calldata", "timings", "error"}
    errors: {"error": message, "code": ...}; 429 and 503 carry Retry-After (seconds).

Retries (429, 503, 502, 504, connection errors) back off exponentially with full jitter, never
sooner than Retry-After, for a bounded number of attempts, and resend the same Idempotency-Key so
the farm runs one proof however often the request is repeated.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

__all__ = ["ProofOutput", "ProofBackend", "LocalProver", "FarmClient", "FarmError", "ProofFailed"]


@dataclass(frozen=True)
class ProofOutput:
    proof: dict[str, Any]
    """snarkjs proof.json."""
    public_signals: list[int]
    seconds: float
    """Wall time the wallet waited for the proof (witness + proof, + network and queue for the farm)."""
    timings: dict[str, float] = field(default_factory=dict)
    source: str = "local"


class ProofBackend(Protocol):
    def prove(self, circuit: str, inputs: Mapping[str, Any]) -> ProofOutput: ...

    def has_circuit(self, circuit: str) -> bool: ...


class ProofFailed(RuntimeError):
    """The prover could not make a proof for these inputs (or the job failed/expired/died)."""


class FarmError(RuntimeError):
    """The farm answered with an error (after retries, where retrying made sense)."""

    def __init__(self, message: str, status: int | None = None, code: Any = None, rule: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.rule = rule
        """The rule of the circuit the inputs break, when the farm named one (transfer.rules.RULES)."""


# --- local ----------------------------------------------------------------------------------------


class LocalProver:
    """One warm prover and witness calculator per circuit, loaded on first use (or by `warm`)."""

    def __init__(self, zkeys: Mapping[str, str | Path] | None = None) -> None:
        self._zkeys = dict(zkeys or {})
        self._loaded: dict[str, tuple[Any, Any]] = {}

    _shared: LocalProver | None = None

    @classmethod
    def shared(cls) -> LocalProver:
        """The process-wide prover over the development keys (warm provers are costly to make)."""
        if cls._shared is None:
            cls._shared = cls()
        return cls._shared

    def _zkey(self, circuit: str) -> Path:
        if circuit in self._zkeys:
            return Path(self._zkeys[circuit])
        from hush.artifacts import ensure_dev_key

        return ensure_dev_key(circuit)

    def has_circuit(self, circuit: str) -> bool:
        if circuit in self._loaded or circuit in self._zkeys:
            return True
        from hush.artifacts import circuit_files

        files = circuit_files(circuit)
        return files.zkey.is_file() and files.wasm.is_file()

    def load(self, circuit: str) -> tuple[Any, Any]:
        if circuit not in self._loaded:
            from hush.artifacts import circuit_files
            from prover.groth16 import Prover
            from prover.witness import WitnessCalculator

            files = circuit_files(circuit)
            files.check_compiled()
            prover = Prover(self._zkey(circuit), self_check=False)  # the wallet verifies every proof itself
            prover.warm()
            self._loaded[circuit] = (WitnessCalculator(files.wasm), prover)
        return self._loaded[circuit]

    def warm(self, circuit: str) -> None:
        self.load(circuit)

    def prove(self, circuit: str, inputs: Mapping[str, Any]) -> ProofOutput:
        from prover.witness import WitnessError

        calc, prover = self.load(circuit)
        t0 = time.perf_counter()
        try:
            witness = calc.calculate_limbs(inputs)
        except (WitnessError, ValueError) as e:
            raise ProofFailed(f"{circuit}: witness generation failed: {e}") from None
        t1 = time.perf_counter()
        res = prover.prove(witness)
        t2 = time.perf_counter()
        return ProofOutput(
            proof=res.proof.to_json(),
            public_signals=[int(v) for v in res.public_signals],
            seconds=t2 - t0,
            timings={"witness": t1 - t0, **res.timings},
            source="local",
        )


# --- farm -----------------------------------------------------------------------------------------

_RETRY_STATUS = frozenset({429, 502, 503, 504})
_TERMINAL_FAILED = frozenset({"failed", "expired", "dead"})


def _seconds(x: float) -> int | float:
    return int(x) if float(x).is_integer() else x


class FarmClient:
    """REST client of the prover farm (see the module doc)."""

    def __init__(
        self,
        base_url: str,
        *,
        api_key: str | None = None,
        circuits: tuple[str, ...] = ("transfer_2x2", "transfer_16x2"),
        wait: float = 5.0,
        deadline_s: float | None = None,
        timeout: float = 300.0,
        max_attempts: int = 8,
        backoff_base: float = 0.25,
        backoff_cap: float = 30.0,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < wait <= 5:
            raise ValueError(f"wait: expected seconds in (0, 5], got {wait}")
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.circuits = circuits
        self.wait = wait
        self.deadline_s = deadline_s
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self._client = client or httpx.Client(timeout=httpx.Timeout(wait + 30.0))
        self._sleep = sleep
        self._rng = rng or random.SystemRandom()

    def has_circuit(self, circuit: str) -> bool:
        return circuit in self.circuits

    def close(self) -> None:
        self._client.close()

    def _headers(self, idempotency_key: str | None) -> dict[str, str]:
        h = {"Accept": "application/json"}
        if self.api_key:
            h["X-API-Key"] = self.api_key
        if idempotency_key:
            h["Idempotency-Key"] = idempotency_key
        return h

    def backoff(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait before retry `attempt` (1-based): full jitter over base * 2^(attempt-1),
        capped, and never less than the server's Retry-After."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1))
        delay = self._rng.uniform(0, ceiling)
        if retry_after is not None:
            delay = max(delay, retry_after) + self._rng.uniform(0, min(1.0, 0.1 * retry_after + 0.05))
        return delay

    @staticmethod
    def _retry_after(resp: httpx.Response) -> float | None:
        v = resp.headers.get("Retry-After")
        if v is None:
            return None
        try:
            return max(0.0, float(v))
        except ValueError:
            return None  # an HTTP date: fall back to our own backoff

    @staticmethod
    def _error(resp: httpx.Response) -> FarmError:
        try:
            body = resp.json()
            msg, code, rule = body.get("error", resp.text[:200]), body.get("code"), body.get("rule")
        except (ValueError, AttributeError):
            msg, code, rule = resp.text[:200], None, None
        return FarmError(f"farm answered {resp.status_code}: {msg}", resp.status_code, code, rule)

    def _request(self, method: str, url: str, *, json: Any = None, params: Any = None, key: str | None = None):
        """One logical request with retries; returns the final non-retryable response."""
        last: Exception | None = None
        for attempt in range(1, self.max_attempts + 1):
            try:
                resp = self._client.request(method, url, json=json, params=params, headers=self._headers(key))
            except httpx.TransportError as e:
                last = FarmError(f"farm unreachable at {url}: {type(e).__name__}: {e}")
                if attempt < self.max_attempts:
                    self._sleep(self.backoff(attempt, None))
                continue
            if resp.status_code not in _RETRY_STATUS:
                return resp
            last = self._error(resp)
            if attempt < self.max_attempts:
                self._sleep(self.backoff(attempt, self._retry_after(resp)))
        raise FarmError(f"gave up after {self.max_attempts} attempts: {last}") from None

    def _job(self, resp: httpx.Response) -> dict[str, Any]:
        if resp.status_code not in (200, 201, 202):
            raise self._error(resp)
        try:
            job = resp.json()
        except ValueError:
            raise FarmError(f"farm answered {resp.status_code} with a body that is not JSON") from None
        if not isinstance(job, dict) or "state" not in job or "id" not in job:
            raise FarmError(f"farm answered {resp.status_code} without a job (expected id and state)")
        return job

    def submit(self, circuit: str, inputs: Mapping[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        """POST the job (retrying with one idempotency key); returns the job JSON."""
        key = idempotency_key or str(uuid.uuid4())
        body: dict[str, Any] = {"circuit": circuit, "inputs": dict(inputs), "wait": _seconds(self.wait)}
        if self.deadline_s is not None:
            body["deadline_s"] = _seconds(self.deadline_s)  # the farm's own default budget is short (5 s)
        return self._job(self._request("POST", f"{self.base_url}/v1/proofs", json=body, key=key))

    def poll(self, job_id: str) -> dict[str, Any]:
        return self._job(
            self._request("GET", f"{self.base_url}/v1/proofs/{job_id}", params={"wait": _seconds(self.wait)})
        )

    def prove(self, circuit: str, inputs: Mapping[str, Any], idempotency_key: str | None = None) -> ProofOutput:
        t0 = time.perf_counter()
        job = self.submit(circuit, inputs, idempotency_key)
        while job["state"] not in ("succeeded", *_TERMINAL_FAILED):
            if time.perf_counter() - t0 > self.timeout:
                raise ProofFailed(f"farm job {job['id']} not done after {self.timeout:.0f} s (state {job['state']})")
            job = self.poll(str(job["id"]))
        if job["state"] != "succeeded":
            raise ProofFailed(f"farm job {job['id']} {job['state']}: {job.get('error', 'no reason given')}")
        proof, public = job.get("proof"), job.get("public_signals")
        if not isinstance(proof, dict) or not isinstance(public, list):
            raise FarmError(f"farm job {job['id']} succeeded without a proof and public signals")
        try:
            signals = [int(s) for s in public]
        except (TypeError, ValueError):
            raise FarmError(f"farm job {job['id']}: public signals are not integers") from None
        timings = job.get("timings") if isinstance(job.get("timings"), dict) else {}
        return ProofOutput(proof, signals, time.perf_counter() - t0, dict(timings), source="farm")
