"""What an idle farm costs, and what idling costs the next job (issue 11, item 7).

    python -m bench.farm_idle [--idle 10] [--jobs 3]

Starts `hush serve --circuits transfer_2x2` on free loopback ports in a temporary farm directory,
proves once, then measures the CPU used by the API process and its Celery pool (parent and
children, from /proc) over `--idle` seconds at rest, then the queued -> proving wait and the
end-to-end time of `--jobs` proofs each sent after 5 s of rest, and how long SIGTERM takes to stop
it all. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stat(pid: int) -> list[bytes] | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    return raw[raw.rfind(b")") + 2:].split()


def _tree(pid: int) -> list[int]:
    out, todo = [pid], [pid]
    while todo:
        parent = todo.pop()
        for d in os.listdir("/proc"):
            if d.isdigit() and (st := _stat(int(d))) is not None and int(st[1]) == parent:
                out.append(int(d))
                todo.append(int(d))
    return out


def _cpu(pids: list[int]) -> float:
    ticks = sum(int(st[11]) + int(st[12]) for p in pids if (st := _stat(p)) is not None)
    return ticks / os.sysconf("SC_CLK_TCK")


def main(argv: list[str] | None = None) -> int:
    import httpx

    from transfer.example import example_transfer

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--idle", type=float, default=10.0, help="seconds at rest to measure")
    ap.add_argument("--jobs", type=int, default=3, help="proofs sent after 5 s of rest each")
    a = ap.parse_args(argv)
    farm_dir = Path(tempfile.mkdtemp(prefix="hush-idle-"))
    rest = _port()
    env = {**os.environ, "HUSH_FARM_DIR": str(farm_dir), "HUSH_CIRCUITS": "transfer_2x2",
           "HUSH_REST_ADDR": f"127.0.0.1:{rest}", "HUSH_GRPC_ADDR": f"127.0.0.1:{_port()}"}
    for k in ("HUSH_DATABASE_URL", "HUSH_BROKER_URL", "HUSH_PAYLOAD_KEY"):
        env.pop(k, None)
    log = open(farm_dir / "serve.log", "wb")  # noqa: SIM115 (closed below)
    t0 = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "hush.cli", "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    body = {"circuit": "transfer_2x2", "inputs": example_transfer("transfer_2x2").inputs, "wait": 60,
            "deadline_s": 60}
    out: dict = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{rest}", timeout=120) as http:
            while True:
                try:
                    if http.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if proc.poll() is not None or time.monotonic() - t0 > 600:
                    raise RuntimeError(f"hush serve did not become ready; see {farm_dir}/serve.log")
                time.sleep(0.2)
            out["ready_s"] = round(time.monotonic() - t0, 2)
            assert http.post("/v1/proofs", json=body).json()["state"] == "succeeded"
            time.sleep(2.0)
            pids = _tree(proc.pid)
            c0, w0 = _cpu(pids), time.monotonic()
            time.sleep(a.idle)
            out["idle_cpu_percent_of_a_core"] = round(100 * (_cpu(pids) - c0) / (time.monotonic() - w0), 2)
            out["processes"] = len(pids)
            waits, ends = [], []
            for _ in range(a.jobs):
                time.sleep(5.0)
                t = time.perf_counter()
                job = http.post("/v1/proofs", json=body).json()
                ends.append(round(time.perf_counter() - t, 3))
                tr = job["transitions"]
                waits.append(round(tr[1]["at"] - tr[0]["at"], 3))
            out["after_idle_queued_to_proving_s"] = waits
            out["after_idle_end_to_end_s"] = ends
        t = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
        out["sigterm_s"] = round(time.monotonic() - t, 2)
        time.sleep(1.0)
        out["left_running"] = [p for p in pids if _stat(p) is not None and _stat(p)[0] not in (b"Z", b"X")]
    finally:
        if proc.poll() is None:
            proc.kill()
        for p in _tree(proc.pid)[1:]:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        log.close()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
