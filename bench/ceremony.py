"""Phase-2 ceremony timings, Hush next to snarkjs: one contribution and one full verify per circuit.

    python -m bench.ceremony [--circuits transfer_2x2,transfer_16x2] [--no-snarkjs]

For each circuit: its development ptau (build/keys/<name>.ptau, made by `hush setup circuit` when
missing), then `zkey new` once (Hush), and timed, each once, wall clock, as separate processes
(so every figure includes start-up and, for Hush, loading the numba cache):

    hush contribute     `hush zkey contribute new.zkey h1.zkey`
    snarkjs contribute  `snarkjs zkey contribute new.zkey s1.zkey`
    hush verify         `hush zkey verify r1cs ptau s2.zkey` (a two-contribution key: Hush then snarkjs)
    hush ptau verify    `hush ptau verify ptau` (every check, Lagrange sections included)
    snarkjs verify      `snarkjs zkey verify r1cs ptau s2.zkey`

Both tools verify the same file. Results go to bench/results/ceremony.json (per circuit, with the
machine's CPU count and load average at the start) and a markdown table is printed. Long: snarkjs'
verify of the 16x2 key takes many minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HUSH = [sys.executable, "-m", "hush.cli"]
SNARKJS = [str(ROOT / "node_modules" / ".bin" / "snarkjs")]
RESULTS = ROOT / "bench" / "results" / "ceremony.json"


def _run(cmd: list[str], marker: str) -> float:
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=7200)
    dt = time.perf_counter() - t0
    if p.returncode != 0 or marker not in p.stdout + p.stderr:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return dt


def bench_circuit(name: str, snarkjs: bool, save=lambda r: None) -> dict:
    """Timings of one circuit; `save(partial)` after every measurement, so an interrupted run keeps
    what it measured."""
    from hush.artifacts import circuit_files, ensure_dev_key

    files = circuit_files(name)
    ensure_dev_key(name)
    ptau = files.zkey.parent / f"{name}.ptau"
    out: dict = {"circuit": name, "load_average": os.getloadavg()[0], "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="hush-bench-ceremony-") as d:
        dd = Path(d)
        out["hush_new_s"] = _run([*HUSH, "zkey", "new", str(files.r1cs), str(ptau), str(dd / "new.zkey")], "wrote")
        save(out)
        out["hush_contribute_s"] = _run([*HUSH, "zkey", "contribute", str(dd / "new.zkey"), str(dd / "h1.zkey"),
                                         "--name", "bench"], "wrote")
        save(out)
        if snarkjs:
            out["snarkjs_contribute_s"] = _run([*SNARKJS, "zkey", "contribute", str(dd / "new.zkey"),
                                                str(dd / "s1.zkey"), "--name=bench", "-e=bench entropy"],
                                               "Contribution Hash")
            save(out)
            _run([*SNARKJS, "zkey", "contribute", str(dd / "h1.zkey"), str(dd / "s2.zkey"), "--name=bench 2",
                  "-e=more entropy"], "Contribution Hash")
        else:
            _run([*HUSH, "zkey", "contribute", str(dd / "h1.zkey"), str(dd / "s2.zkey"), "--name", "bench 2"], "wrote")
        out["hush_verify_s"] = _run([*HUSH, "zkey", "verify", str(files.r1cs), str(ptau), str(dd / "s2.zkey")],
                                    "ZKey OK")
        save(out)
        out["hush_ptau_verify_s"] = _run([*HUSH, "ptau", "verify", str(ptau)], "Powers of tau OK")
        save(out)
        if snarkjs:
            out["snarkjs_verify_s"] = _run([*SNARKJS, "zkey", "verify", str(files.r1cs), str(ptau),
                                            str(dd / "s2.zkey")], "ZKey Ok!")
            save(out)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--circuits", default="transfer_2x2,transfer_16x2")
    ap.add_argument("--no-snarkjs", action="store_true")
    a = ap.parse_args(argv)
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    def save(r: dict) -> None:
        r = {**r, "machine": platform.machine(), "date": time.strftime("%Y-%m-%d", time.gmtime())}
        results[r["circuit"]] = r
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")

    for name in a.circuits.split(","):
        r = bench_circuit(name, not a.no_snarkjs, save)
        save(r)
        print(json.dumps(r), flush=True)
    print("| circuit | Hush contribute | snarkjs contribute | Hush verify | snarkjs verify |")
    print("|---|---|---|---|---|")
    for name, r in results.items():
        def f(k: str, r: dict = r) -> str:
            return f"{r[k]:.1f} s" if k in r else "-"

        print(f"| {name} | {f('hush_contribute_s')} | {f('snarkjs_contribute_s')} | {f('hush_verify_s')} | "
              f"{f('snarkjs_verify_s')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
