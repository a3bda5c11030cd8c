"""A tiny in-process stand-in for the prover farm's REST API (http.server), recording every request.

It follows the farm's contract: POST /v1/proofs (Idempotency-Key -> one job), 200 when done within
`wait`, else 202 and GET /v1/proofs/{id}[?wait=s]; scripted 429/503 answers with Retry-After.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Prove = Callable[[str, dict], tuple[dict, list[str]]]

CANNED_PROOF = {
    "pi_a": ["1", "2", "1"],
    "pi_b": [["1", "0"], ["2", "0"], ["1", "0"]],
    "pi_c": ["1", "2", "1"],
    "protocol": "groth16",
    "curve": "bn128",
}


def canned(circuit: str, inputs: dict) -> tuple[dict, list[str]]:
    return CANNED_PROOF, ["1", "2", "3"]


class FakeFarm:
    def __init__(
        self,
        prove: Prove = canned,
        *,
        post_script: list[tuple[int, str | None]] | None = None,
        get_script: list[tuple[int, str | None]] | None = None,
        polls_before_done: int = 0,
        final_state: str = "succeeded",
    ) -> None:
        self.prove = prove
        self.post_script = list(post_script or [])
        self.get_script = list(get_script or [])
        self.polls_before_done = polls_before_done
        self.final_state = final_state
        self.requests: list[dict[str, Any]] = []
        self.jobs: dict[str, dict[str, Any]] = {}
        self.by_key: dict[str, str] = {}
        self.proofs_run = 0
        self.lock = threading.Lock()
        farm = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _record(self, body: bytes) -> None:
                with farm.lock:
                    farm.requests.append(
                        {"method": self.command, "path": self.path, "headers": dict(self.headers), "body": body}
                    )

            def _scripted(self, script: list) -> bool:
                with farm.lock:
                    item = script.pop(0) if script else None
                if item is None:
                    return False
                status, retry_after = item
                self._send(
                    status,
                    {"error": f"scripted {status}", "code": status},
                    {"Retry-After": retry_after} if retry_after is not None else None,
                )
                return True

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                self._record(body)
                if self.path != "/v1/proofs":
                    return self._send(404, {"error": "no such route", "code": "not_found"})
                if self._scripted(farm.post_script):
                    return None
                req = json.loads(body)
                circuit_ok = req.get("circuit") in ("transfer_2x2", "transfer_16x2")
                if not circuit_ok or not isinstance(req.get("inputs"), dict):
                    return self._send(422, {"error": "unknown circuit or missing inputs", "code": "bad_request"})
                if not 0 < float(req.get("wait", 0)) <= 5:
                    return self._send(422, {"error": "wait must be in (0, 5]", "code": "bad_request"})
                key = self.headers.get("Idempotency-Key")
                if not key:
                    return self._send(422, {"error": "Idempotency-Key required", "code": "bad_request"})
                with farm.lock:
                    job_id = farm.by_key.get(key)
                    if job_id is None:
                        job_id = uuid.uuid4().hex
                        farm.by_key[key] = job_id
                        farm.jobs[job_id] = {
                            "id": job_id, "circuit": req["circuit"], "inputs": req["inputs"],
                            "state": "queued", "polls": farm.polls_before_done,
                        }
                    job = farm.jobs[job_id]
                if job["polls"] <= 0:
                    return self._send(200, farm.finish(job))
                return self._send(202, farm.view(job))

            def do_GET(self) -> None:  # noqa: N802
                self._record(b"")
                path = self.path.split("?", 1)[0]
                if not path.startswith("/v1/proofs/"):
                    return self._send(404, {"error": "no such route", "code": "not_found"})
                if self._scripted(farm.get_script):
                    return None
                job = farm.jobs.get(path.rsplit("/", 1)[1])
                if job is None:
                    return self._send(404, {"error": "no such job", "code": "not_found"})
                with farm.lock:
                    job["polls"] -= 1
                    if job["state"] == "queued":
                        job["state"] = "proving"
                if job["polls"] <= 0:
                    return self._send(200, farm.finish(job))
                return self._send(200, farm.view(job))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @staticmethod
    def view(job: dict) -> dict:
        return {k: v for k, v in job.items() if k not in ("inputs", "polls")}

    def finish(self, job: dict) -> dict:
        with self.lock:
            if job["state"] not in ("succeeded", "failed"):
                if self.final_state == "succeeded":
                    self.proofs_run += 1
                    proof, public = self.prove(job["circuit"], job["inputs"])
                    job |= {"state": "succeeded", "proof": proof, "public_signals": public,
                            "calldata": "", "timings": {"prove": 0.01}}
                else:
                    job |= {"state": self.final_state, "error": "witness generation failed"}
        return self.view(job)

    def __enter__(self) -> FakeFarm:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
