"""Smoke test of the farm load bench (bench/farm_load.py): `.venv/bin/pytest bench/test_bench_farm.py`.

Runs the tool as a user would (a subprocess: it starts `hush serve` itself) for about 10 s of load at
a tiny rate, then checks the report's structure, that at least one proof succeeded, that every
request is accounted for, and that the farm it started left no process behind. No timing asserts:
the figures depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.farm, pytest.mark.circuits]

ROOT = Path(__file__).resolve().parents[1]
PHASE_KEYS = {"phase", "offered_rate_per_s", "sent", "not_sent", "succeeded", "latency_s", "throughput_per_s",
              "counts", "statuses", "budget_misses", "refusals", "server", "load_average_at_start"}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_farm_load_smoke(tmp_path: Path):
    out = tmp_path / "farm_load.json"
    cmd = [sys.executable, "-m", "bench.farm_load", "--single", "2", "--duration", "3", "--rate", "0.3",
           "--clients", "2", "--max-requests", "4", "--out", str(out)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]

    doc = json.loads(out.read_text())
    assert set(doc) == {"generator", "rest"}
    run = doc["rest"]
    assert run["protocol"] == "rest" and run["circuit"] == "transfer_2x2"
    assert run["machine"]["cores"] >= 1 and len(run["machine"]["load_average_at_start"]) == 3
    assert run["command"].startswith("python -m bench.farm_load") and "hush serve" in run["server"]["command"]
    assert [p["phase"] for p in run["phases"]] == ["single", "nominal", "3x"]
    single, nominal, over = run["phases"]
    assert single["latency_s"]["n"] >= 1 and run["capacity_per_s"] > 0
    assert nominal["offered_rate_per_s"] == 0.3 and over["offered_rate_per_s"] > nominal["offered_rate_per_s"]
    for p in run["phases"]:
        assert PHASE_KEYS <= set(p), PHASE_KEYS - set(p)
        assert set(p["counts"]) == {"200", "202", "429", "503", "other"}
        assert sum(p["counts"].values()) == p["sent"] == sum(p["statuses"].values())
        assert p["succeeded"] == p["latency_s"]["n"] <= p["counts"]["200"]
        assert p["budget_misses"] <= p["succeeded"]
        lat = p["latency_s"]
        if lat["n"]:
            assert 0 < lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["max"]
        assert p["refusals"]["n"] == p["counts"]["429"] + p["counts"]["503"]
    assert sum(p["succeeded"] for p in run["phases"]) >= 1

    # the farm it started is gone, worker pool included
    server = run["server"]
    assert server["left_behind"] == [] and server["descendant_pids"]
    assert not [p for p in [server["pid"], *server["descendant_pids"]] if _alive(p)]

    # the README table: a header row and one row per phase
    rows = [line for line in r.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| phase |") and [row.split(" | ")[0] for row in rows[1:]] == [
        "| single", "| nominal", "| 3x"]
