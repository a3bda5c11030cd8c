"""Load bench of the prover farm: end-to-end latency, throughput and refusals at nominal load and at 3x.

    python -m bench.farm_load [--clients N] [--duration S] [--rate R] [--url URL] [--grpc]

Without --url it starts `.venv/bin/hush serve --circuits transfer_2x2` as a subprocess (its own
process group) on free loopback ports with a temporary HUSH_FARM_DIR (embedded SQLite store and
broker), waits for GET /readyz, runs, then stops it with SIGTERM to its process group and checks
that nothing it started is left behind.

Phases (issue 5, "The budget"):
  single   a warm-up proof, then --single proofs one after another (deadline 60 s, so admission never
           refuses them): the single-proof latency; capacity = live workers / median latency.
  nominal  open-loop Poisson arrivals at --rate (default 0.7 x capacity) for --duration seconds.
  3x       the same at 3 x capacity: admission control should refuse what cannot meet its deadline.
Every loaded request asks for the default budget (deadline_s = wait = 5 s) and waits for its proof.
Open loop: arrivals follow the schedule whatever the farm does; an arrival that finds all --clients
busy is not sent and is counted as `not_sent`. A phase sends at most --max-requests requests and
each request times out (client side) at budget + 15 s, so every phase is bounded in count and time.

Per phase: offered rate, p50/p95/p99 client-side end-to-end latency of successful proofs, throughput
(successes / seconds from the phase's start to its last response), counts per status (REST 200, 202,
429, 503, other; gRPC OK, NOT_DONE, RESOURCE_EXHAUSTED, UNAVAILABLE, other), budget misses (successes
that took longer than the budget on the client's clock; 202 / NOT_DONE are counted apart) and the
p95 latency of refusals (fast refusals are the point of admission control). Server-side figures
come from each job's recorded transitions (queue wait, proving time, misses of the job's deadline).

The client runs on the same machine as the farm and takes CPU from it: on 2 cores that is visible.
Results go to bench/results/farm_load.json under "rest" or "grpc" (the other protocol's run, if
any, is kept), and a markdown table for the README is printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results" / "farm_load.json"
CIRCUIT = "transfer_2x2"
BUDGET_S = 5.0
"""The farm's default deadline (HUSH_BUDGET_S); loaded requests ask for it and wait for it."""
SINGLE_DEADLINE_S = 60.0
CLIENT_GRACE_S = 15.0
REST_COLUMNS = ("200", "202", "429", "503", "other")
GRPC_COLUMNS = ("OK", "NOT_DONE", "RESOURCE_EXHAUSTED", "UNAVAILABLE", "other")

__all__ = ["Outcome", "Server", "main", "markdown_table", "run_phase", "summarize"]


# -- one request --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """One request as the client saw it."""

    sent_at: float
    """Seconds from the phase's start."""
    latency: float
    """Client-side seconds from sending to the final answer."""
    status: str
    """REST status code ('200', '202', '429', '503', other code or exception name); gRPC 'OK',
    'NOT_DONE' or a status code name."""
    kind: str
    """ok (succeeded) | not_done | refused | failed (the job ended, not succeeded) | error"""
    retry_after: float | None = None
    queue_s: float | None = None
    """Server side, from the job's transitions: queued -> proving (first attempt)."""
    proving_s: float | None = None
    """Server side: proving (last attempt) -> succeeded."""
    late_on_server: bool | None = None
    """The job succeeded after its recorded deadline."""
    detail: str = ""
    """The server's message of a refusal or error (never carries inputs), cut to 200 characters."""


def _server_side(job: dict[str, Any]) -> dict[str, Any]:
    at: dict[str, list[float]] = {}
    for t in job.get("transitions") or ():
        at.setdefault(t["state"], []).append(float(t["at"]))
    out: dict[str, Any] = {}
    if "queued" in at and "proving" in at:
        out["queue_s"] = at["proving"][0] - at["queued"][0]
    if "proving" in at and "succeeded" in at:
        out["proving_s"] = at["succeeded"][-1] - at["proving"][-1]
        out["late_on_server"] = at["succeeded"][-1] > float(job.get("deadline", math.inf))
    return out


def _job_outcome(sent_at: float, latency: float, status: str, job: dict[str, Any]) -> Outcome:
    state = job.get("state")
    if state == "succeeded":
        return Outcome(sent_at, latency, status, "ok", **_server_side(job))
    if state in ("failed", "expired", "dead"):
        return Outcome(sent_at, latency, status, "failed")
    return Outcome(sent_at, latency, "202" if status == "200" else status, "not_done")


def _message(r: httpx.Response) -> str:
    try:
        return str(r.json().get("error", ""))[:200]
    except (ValueError, AttributeError):
        return r.text[:200]


class RestSender:
    """POST /v1/proofs through one shared httpx client (thread-safe), the body serialized once."""

    def __init__(self, url: str, inputs: dict[str, Any], clients: int) -> None:
        self.client = httpx.Client(base_url=url, limits=httpx.Limits(max_connections=clients + 2),
                                   timeout=httpx.Timeout(SINGLE_DEADLINE_S + CLIENT_GRACE_S, connect=10.0))
        self.inputs = inputs

    def body(self, deadline_s: float) -> bytes:
        return json.dumps({"circuit": CIRCUIT, "inputs": self.inputs, "wait": deadline_s,
                           "deadline_s": deadline_s}, separators=(",", ":")).encode()

    def __call__(self, sent_at: float, body: bytes, deadline_s: float) -> Outcome:
        t0 = time.perf_counter()
        try:
            r = self.client.post("/v1/proofs", content=body, headers={"content-type": "application/json"},
                                 timeout=deadline_s + CLIENT_GRACE_S)
        except httpx.HTTPError as e:
            return Outcome(sent_at, time.perf_counter() - t0, type(e).__name__, "error", detail=str(e)[:200])
        latency = time.perf_counter() - t0
        code = str(r.status_code)
        if r.status_code in (429, 503):
            ra = r.headers.get("retry-after")
            return Outcome(sent_at, latency, code, "refused", retry_after=float(ra) if ra else None,
                           detail=_message(r))
        if r.status_code in (200, 202):
            return _job_outcome(sent_at, latency, code, r.json())
        return Outcome(sent_at, latency, code, "error", detail=_message(r))

    def close(self) -> None:
        self.client.close()


class GrpcSender:
    """Submit, then Watch until the job ends, through service.grpc_client.GrpcClient."""

    def __init__(self, target: str, inputs: dict[str, Any]) -> None:
        from service.grpc_client import GrpcClient

        self.client = GrpcClient(target)
        self.inputs = inputs

    def body(self, deadline_s: float) -> dict[str, Any]:
        return self.inputs

    def __call__(self, sent_at: float, inputs: dict[str, Any], deadline_s: float) -> Outcome:
        from service.grpc_client import GrpcCallError

        t0 = time.perf_counter()
        try:
            # the call's timeout caps the job's deadline: give the call more than the deadline
            job = self.client.submit(CIRCUIT, inputs, deadline_s=deadline_s, timeout=deadline_s + CLIENT_GRACE_S)
            if job["state"] not in ("succeeded", "failed", "expired", "dead"):
                job = self.client.wait(job["id"], timeout=deadline_s + 0.5)
        except GrpcCallError as e:
            kind = "refused" if e.code.name in ("RESOURCE_EXHAUSTED", "UNAVAILABLE") else "error"
            return Outcome(sent_at, time.perf_counter() - t0, e.code.name, kind, retry_after=e.retry_after,
                           detail=e.details[:200])
        except Exception as e:  # noqa: BLE001 - any client failure is an outcome of the bench
            return Outcome(sent_at, time.perf_counter() - t0, type(e).__name__, "error", detail=str(e)[:200])
        latency = time.perf_counter() - t0
        out = _job_outcome(sent_at, latency, "OK", job)
        return out if out.kind != "not_done" else Outcome(sent_at, latency, "NOT_DONE", "not_done")

    def close(self) -> None:
        self.client.close()


# -- figures ------------------------------------------------------------------------------------------
def percentile(xs: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..1); None for no samples."""
    if not xs:
        return None
    ys = sorted(xs)
    return ys[min(len(ys) - 1, max(0, math.ceil(q * len(ys)) - 1))]


def _r(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def summarize(name: str, outcomes: list[Outcome], *, offered_rate: float | None, duration_s: float,
              span_s: float, not_sent: int, budget_s: float, columns: tuple[str, ...]) -> dict[str, Any]:
    """The figures of one phase from its outcomes."""
    ok = [o for o in outcomes if o.kind == "ok"]
    lat = [o.latency for o in ok]
    refused = [o.latency for o in outcomes if o.kind == "refused"]
    raw = Counter(o.status for o in outcomes)
    counts = {c: raw.get(c, 0) for c in columns if c != "other"}
    counts["other"] = sum(n for s, n in raw.items() if s not in counts)
    queue = [o.queue_s for o in ok if o.queue_s is not None]
    proving = [o.proving_s for o in ok if o.proving_s is not None]
    return {
        "phase": name,
        "offered_rate_per_s": _r(offered_rate),
        "duration_s": _r(duration_s, 1),
        "sent": len(outcomes),
        "not_sent": not_sent,
        "achieved_send_rate_per_s": _r(len(outcomes) / duration_s) if duration_s > 0 else None,
        "succeeded": len(ok),
        "latency_s": {"n": len(lat), "p50": _r(percentile(lat, 0.50)), "p95": _r(percentile(lat, 0.95)),
                      "p99": _r(percentile(lat, 0.99)), "max": _r(max(lat) if lat else None)},
        "throughput_per_s": _r(len(ok) / span_s) if span_s > 0 else None,
        "span_s": _r(span_s, 2),
        "counts": counts,
        "statuses": dict(sorted(raw.items())),
        "kinds": dict(sorted(Counter(o.kind for o in outcomes).items())),
        "budget_s": budget_s,
        "budget_misses": sum(1 for x in lat if x > budget_s),
        "not_done": sum(1 for o in outcomes if o.kind == "not_done"),
        "refusals": {"n": len(refused), "p50_s": _r(percentile(refused, 0.50)),
                     "p95_s": _r(percentile(refused, 0.95)),
                     "retry_after_s": sorted({o.retry_after for o in outcomes if o.retry_after is not None}),
                     "examples": list(dict.fromkeys(o.detail for o in outcomes if o.kind == "refused"))[:3]},
        "error_examples": list(dict.fromkeys(f"{o.status}: {o.detail}" for o in outcomes
                                             if o.kind == "error"))[:3],
        "server": {"queue_p50_s": _r(percentile(queue, 0.5)), "queue_p95_s": _r(percentile(queue, 0.95)),
                   "proving_p50_s": _r(percentile(proving, 0.5)), "proving_p95_s": _r(percentile(proving, 0.95)),
                   "deadline_misses": sum(1 for o in ok if o.late_on_server)},
    }


def poisson_arrivals(rate: float, duration: float, max_count: int, rng: random.Random) -> list[float]:
    """Arrival times (seconds from 0) of a Poisson process at `rate`, within `duration`, at most `max_count`."""
    out: list[float] = []
    t = 0.0
    while len(out) < max_count:
        t += rng.expovariate(rate)
        if t > duration:
            break
        out.append(t)
    return out


def run_phase(name: str, send: Callable[[float], Outcome], *, rate: float, duration: float, max_requests: int,
              clients: int, rng: random.Random, budget_s: float, columns: tuple[str, ...]) -> dict[str, Any]:
    """Open-loop Poisson load through a pool of `clients` threads; the phase's summary."""
    arrivals = poisson_arrivals(rate, duration, max_requests, rng)
    free = threading.Semaphore(clients)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    not_sent = 0
    load = os.getloadavg()

    def task(at: float) -> None:
        try:
            o = send(at)
            with lock:
                outcomes.append(o)
        finally:
            free.release()

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients, thread_name_prefix=f"load-{name}") as pool:
        for at in arrivals:
            delay = start + at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            if not free.acquire(blocking=False):
                not_sent += 1
                continue
            pool.submit(task, at)
    ends = [o.sent_at + o.latency for o in outcomes if o.kind == "ok"]
    span = max(ends) if ends else time.perf_counter() - start
    out = summarize(name, sorted(outcomes, key=lambda o: o.sent_at), offered_rate=rate, duration_s=duration,
                    span_s=span, not_sent=not_sent, budget_s=budget_s, columns=columns)
    out["load_average_at_start"] = [round(x, 2) for x in load]
    out["scheduled"] = len(arrivals)
    return out


def run_single(send: Callable[[float], Outcome], count: int, columns: tuple[str, ...]) -> dict[str, Any]:
    """A warm-up proof, then `count` proofs one after another."""
    warm = send(0.0)
    outcomes = []
    load = os.getloadavg()
    start = time.perf_counter()
    for _ in range(count):
        outcomes.append(send(time.perf_counter() - start))
    span = time.perf_counter() - start
    out = summarize("single", outcomes, offered_rate=None, duration_s=span, span_s=span, not_sent=0,
                    budget_s=BUDGET_S, columns=columns)
    out["warm_up"] = {"status": warm.status, "kind": warm.kind, "latency_s": _r(warm.latency)}
    out["load_average_at_start"] = [round(x, 2) for x in load]
    return out


# -- the farm under test ------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_table() -> dict[int, tuple[int, str]]:
    """pid -> (ppid, start time in clock ticks) of every process visible in /proc."""
    out: dict[int, tuple[int, str]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        out[int(entry)] = (int(fields[1]), fields[19])
    return out


def descendants(pid: int) -> dict[int, str]:
    """pid -> start time of every live descendant of `pid` (start times tell a reused pid apart)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for p, (pp, _) in table.items():
        children.setdefault(pp, []).append(p)
    out: dict[int, str] = {}
    todo = list(children.get(pid, ()))
    while todo:
        p = todo.pop()
        if p in table and p not in out:
            out[p] = table[p][1]
            todo += children.get(p, ())
    return out


def _alive(procs: dict[int, str]) -> list[int]:
    table = _proc_table()
    return sorted(p for p, st in procs.items() if p in table and table[p][1] == st)


class Server:
    """`hush serve --circuits transfer_2x2` in its own process group, on free loopback ports."""

    def __init__(self) -> None:
        self.farm_dir = Path(tempfile.mkdtemp(prefix="hush-farm-load-"))
        self.rest_addr = f"127.0.0.1:{free_port()}"
        self.grpc_addr = f"127.0.0.1:{free_port()}"
        hush = ROOT / ".venv" / "bin" / "hush"
        self.command = [str(hush) if hush.exists() else "hush", "serve", "--circuits", CIRCUIT]
        env = {k: v for k, v in os.environ.items() if not k.startswith("HUSH_")}  # embedded default, fresh
        env |= {"HUSH_FARM_DIR": str(self.farm_dir), "HUSH_REST_ADDR": self.rest_addr,
                "HUSH_GRPC_ADDR": self.grpc_addr, "HUSH_CIRCUITS": CIRCUIT}
        self.log_path = self.farm_dir / "serve.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(self.command, env=env, cwd=ROOT, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.seen: dict[int, str] = {}
        self.left_behind: list[int] = []

    @property
    def url(self) -> str:
        return f"http://{self.rest_addr}"

    def log_tail(self, n: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def wait_ready(self, timeout: float) -> float:
        """Seconds until GET /readyz said ready; raises if the server exits or the time runs out."""
        t0 = time.monotonic()
        with httpx.Client(base_url=self.url, timeout=5.0) as c:
            while time.monotonic() - t0 < timeout:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"hush serve exited ({self.proc.returncode}) before it was ready:\n"
                                       + self.log_tail())
                self.seen |= descendants(self.proc.pid)
                try:
                    if c.get("/readyz").status_code == 200:
                        self.seen |= descendants(self.proc.pid)
                        return time.monotonic() - t0
                except httpx.HTTPError:
                    pass
                time.sleep(0.5)
        raise TimeoutError(f"hush serve was not ready after {timeout:g} s:\n" + self.log_tail())

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 30 s; then kill any descendant that outlived it."""
        if self.proc.poll() is None:
            self.seen |= descendants(self.proc.pid)
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # the worker pool runs in its own session (hush serve stops it); make sure it did
        end = time.monotonic() + 15
        while (alive := _alive(self.seen)) and time.monotonic() < end:
            time.sleep(0.2)
        self.left_behind = alive
        for p in alive:
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._log.close()

    def cleanup(self) -> None:
        shutil.rmtree(self.farm_dir, ignore_errors=True)


# -- report -------------------------------------------------------------------------------------------
def machine_info() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = ""
    return {"cores": os.cpu_count(), "cpu": model, "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform(), "git_commit": commit}


def markdown_table(run: dict[str, Any]) -> str:
    """The phases of one run as a markdown table (README-ready), with a line of context above it."""
    columns = GRPC_COLUMNS if run["protocol"] == "grpc" else REST_COLUMNS
    m = run["machine"]
    single = next((p for p in run["phases"] if p["phase"] == "single"), None)
    head = (f"{run['protocol'].upper()}, {CIRCUIT}, {m['cores']} cores, load average at start "
            f"{' / '.join(f'{x:.2f}' for x in m['load_average_at_start'])}; ")
    if single is not None:
        head += (f"single-proof latency p50 {_fmt(single['latency_s']['p50'])} s (n={single['latency_s']['n']}), "
                 f"capacity ~{_fmt(run['capacity_per_s'])} proofs/s with {run['workers']} worker(s); ")
    head += f"budget {run['budget_s']:g} s, {run['clients']} client threads."
    hdr = (["phase", "offered/s", "sent", "p50 s", "p95 s", "p99 s", "proofs/s", *columns, "late >budget",
            "refusal p95 s", "load avg"])
    lines = [head, "", "| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for p in run["phases"]:
        lat = p["latency_s"]
        sent = str(p["sent"]) + (f" (+{p['not_sent']} not sent)" if p["not_sent"] else "")
        row = [p["phase"], _fmt(p["offered_rate_per_s"]), sent, _fmt(lat["p50"]), _fmt(lat["p95"]),
               _fmt(lat["p99"]), _fmt(p["throughput_per_s"]), *(str(p["counts"][c]) for c in columns),
               str(p["budget_misses"]), _fmt(p["refusals"]["p95_s"]), f"{p['load_average_at_start'][0]:.2f}"]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _write(out: Path, run: dict[str, Any]) -> None:
    doc: dict[str, Any] = {}
    if out.is_file():
        try:
            doc = json.loads(out.read_text())
        except json.JSONDecodeError:
            doc = {}
    doc["generator"] = "python -m bench.farm_load (bench/farm_load.py)"
    doc[run["protocol"]] = run
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(doc, indent=1) + "\n")


# -- main ---------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.farm_load", description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=16, help="client threads (requests in flight at most)")
    ap.add_argument("--duration", type=float, default=45.0, help="seconds of arrivals per loaded phase")
    ap.add_argument("--rate", type=float, default=None,
                    help="nominal offered rate, requests/s (default 0.7 x measured capacity)")
    ap.add_argument("--overload", type=float, default=3.0, help="the overload phase offers this x capacity")
    ap.add_argument("--single", type=int, default=5, help="sequential proofs that measure the latency")
    ap.add_argument("--max-requests", type=int, default=400, help="at most this many requests per phase")
    ap.add_argument("--url", default=None, help="a running farm's REST URL (default: start hush serve)")
    ap.add_argument("--grpc", action="store_true", help="drive the gRPC API (service.grpc_client)")
    ap.add_argument("--grpc-addr", default=None, help="host:port of a running farm's gRPC API (with --url)")
    ap.add_argument("--ready-timeout", type=float, default=300.0, help="seconds to wait for /readyz")
    ap.add_argument("--seed", type=int, default=1, help="seed of the arrival schedules")
    ap.add_argument("--out", type=Path, default=RESULTS, help=f"results JSON (default {RESULTS.relative_to(ROOT)})")
    a = ap.parse_args(argv)
    if a.clients < 1 or a.duration <= 0 or a.single < 1 or a.max_requests < 1 or a.overload <= 0:
        ap.error("--clients, --single, --max-requests must be >= 1; --duration and --overload > 0")
    if a.rate is not None and a.rate <= 0:
        ap.error(f"--rate: expected a positive rate, got {a.rate}")
    if a.grpc and a.url and not a.grpc_addr:
        ap.error("--grpc with --url needs --grpc-addr host:port")
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse_args(argv)
    from transfer.example import example_transfer

    inputs = example_transfer(CIRCUIT).inputs
    machine = machine_info()
    protocol = "grpc" if a.grpc else "rest"
    columns = GRPC_COLUMNS if a.grpc else REST_COLUMNS
    server = None if a.url else Server()
    run: dict[str, Any] = {"protocol": protocol, "circuit": CIRCUIT, "machine": machine,
                           "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           "command": " ".join(["python -m bench.farm_load", *(argv if argv is not None
                                                                               else sys.argv[1:])]),
                           "clients": a.clients, "budget_s": BUDGET_S, "seed": a.seed}
    try:
        if server is not None:
            print(f"starting {' '.join(server.command)} (REST {server.rest_addr}, gRPC {server.grpc_addr})",
                  flush=True)
            run["server"] = {"command": " ".join(server.command), "farm_dir": "temporary",
                             "rest_addr": server.rest_addr, "grpc_addr": server.grpc_addr}
            run["server"]["ready_after_s"] = round(server.wait_ready(a.ready_timeout), 1)
            print(f"ready after {run['server']['ready_after_s']} s", flush=True)
        url = a.url or server.url
        with httpx.Client(base_url=url, timeout=10.0) as c:
            ready = c.get("/readyz")
            workers = int(ready.json().get("workers", 1)) if ready.status_code == 200 else 1
        run["url"] = url
        run["workers"] = workers
        rng = random.Random(a.seed)
        sender: RestSender | GrpcSender
        if a.grpc:
            sender = GrpcSender(a.grpc_addr or server.grpc_addr, inputs)
        else:
            sender = RestSender(url, inputs, a.clients)
        try:
            single_body, load_body = sender.body(SINGLE_DEADLINE_S), sender.body(BUDGET_S)
            single = run_single(lambda at: sender(at, single_body, SINGLE_DEADLINE_S), a.single, columns)
            run["phases"] = [single]
            p50 = single["latency_s"]["p50"]
            if p50 is None:
                raise RuntimeError(f"no single proof succeeded: {single['statuses']} (warm-up {single['warm_up']})")
            run["capacity_per_s"] = round(workers / p50, 3)
            print(f"single-proof latency p50 {p50:.2f} s -> capacity ~{run['capacity_per_s']:.2f} proofs/s", flush=True)
            nominal = a.rate if a.rate is not None else 0.7 * run["capacity_per_s"]
            for name, rate in (("nominal", nominal), (f"{a.overload:g}x", a.overload * run["capacity_per_s"])):
                print(f"phase {name}: {rate:.2f} req/s for {a.duration:g} s ...", flush=True)
                run["phases"].append(run_phase(name, lambda at: sender(at, load_body, BUDGET_S), rate=rate,
                                               duration=a.duration, max_requests=a.max_requests,
                                               clients=a.clients, rng=rng, budget_s=BUDGET_S, columns=columns))
        finally:
            sender.close()
    finally:
        if server is not None:
            server.stop()
            run["server"]["left_behind"] = server.left_behind
            run["server"]["pid"] = server.proc.pid
            run["server"]["descendant_pids"] = sorted(server.seen)
            if "phases" not in run:
                print(server.log_tail(), file=sys.stderr)
            server.cleanup()
    run["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    _write(a.out, run)
    print()
    print(markdown_table(run))
    print(f"\nwritten: {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
