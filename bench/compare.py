"""Side-by-side latency of Hush and snarkjs on the same zkey and witness (`make bench`).

    python -m bench.compare [--circuits transfer_2x2] [--reps 5] [--native PATH]

For each circuit: make the development key if needed, compute the witness of the example
transfer, then time, interleaved, on the same files:
  snarkjs groth16 prove (fresh node process)   hush groth16 prove (fresh Python process)
  a native prover given with --native PATH (any program taking snarkjs' `prove zkey wtns proof
  public` arguments, e.g. rapidsnark's `prover`; PATH may carry leading arguments, split like a
  shell would: --native "/opt/bin/prover" or --native "mytool prove")
  a warm in-process Hush prover (per-stage spans), the end-to-end warm path (inputs -> witness
  -> proof -> self-check), the Python verifier (one proof, a batch of 64), cold start (new
  process to first proof) and a warm worker's peak RSS against the zkey size.
Every proof timed is checked by `snarkjs groth16 verify` once. Results go to
bench/results/<circuit>.json with the machine facts and the command line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"
HUSH = ROOT / ".venv" / "bin" / "hush"
if not HUSH.is_file():  # a checkout without its own virtualenv (a git worktree): the running interpreter's
    HUSH = Path(sys.executable).parent / "hush"
RESULTS = ROOT / "bench" / "results"

_COLD = r"""
import resource, sys, time, json
t0 = time.perf_counter()
import numpy as np
from prover.groth16 import Prover
from prover.formats.wtns import read_wtns
p = Prover(sys.argv[1]); p.warm()
w = np.array(read_wtns(sys.argv[2]))
p.prove(w)
t1 = time.perf_counter()
for _ in range(3):
    p.prove(w)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"cold_start_s": t1 - t0, "peak_rss_bytes": rss}))
"""


def _run(cmd: list[str], timeout: float = 600) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, timeout=timeout)
    return time.perf_counter() - t0


def _snarkjs_ok(vkey: Path, public: Path, proof: Path) -> bool:
    p = subprocess.run([str(SNARKJS), "groth16", "verify", str(vkey), str(public), str(proof)],
                       capture_output=True, text=True, timeout=120)
    return p.returncode == 0 and "OK" in p.stdout


def native_command(native: str, zkey: Path, wtns: Path, proof: Path, public: Path) -> list[str]:
    """The command line of a native prover: `native` (an executable, optionally followed by leading
    arguments) then snarkjs' four file arguments. FileNotFoundError when it is not executable."""
    parts = shlex.split(native)
    if not parts:
        raise ValueError("expected the path of a native prover, got an empty string")
    exe = shutil.which(parts[0]) or parts[0]
    if not (Path(exe).is_file() and os.access(exe, os.X_OK)):
        raise FileNotFoundError(f"expected an executable native prover, got {parts[0]!r}")
    return [exe, *parts[1:], str(zkey), str(wtns), str(proof), str(public)]


def _stats(xs: list[float]) -> dict:
    return {"median_s": statistics.median(xs), "min_s": min(xs), "runs": len(xs)}


def _machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import numba

    return {"nproc": os.cpu_count(), "cpu": cpu, "python": platform.python_version(), "numba": numba.__version__,
            "loadavg_at_start": os.getloadavg()}


def bench_circuit(name: str, reps: int, native: str | None) -> dict:

    from hush.artifacts import circuit_files, ensure_dev_key
    from prover.formats.wtns import write_wtns
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator
    from transfer.example import example_transfer
    from verifier.groth16 import batch_verify, verify

    files = circuit_files(name)
    zkey = ensure_dev_key(name)
    tmp = Path(tempfile.mkdtemp(prefix=f"hush-bench-{name}-"))
    ex = example_transfer(name)
    calc = WitnessCalculator(files.wasm)
    witness = calc.calculate_limbs(ex.inputs)
    wtns = tmp / "w.wtns"
    write_wtns(wtns, calc.calculate(ex.inputs))
    (tmp / "input.json").write_text(json.dumps(ex.inputs))
    vkey = tmp / "vk.json"
    subprocess.run([str(HUSH), "zkey", "export", "verificationkey", str(zkey), str(vkey)], check=True)

    # snarkjs' witness equals ours
    subprocess.run([str(SNARKJS), "wtns", "calculate", str(files.wasm), str(tmp / "input.json"), str(tmp / "s.wtns")],
                   check=True, capture_output=True)
    assert (tmp / "s.wtns").read_bytes()[-witness.nbytes:] == wtns.read_bytes()[-witness.nbytes:], "witness differs"

    def prove_cmd(tool: Path, prefix: str) -> list[str]:
        return [str(tool), "groth16", "prove", str(zkey), str(wtns), str(tmp / f"{prefix}p.json"),
                str(tmp / f"{prefix}pub.json")]

    runners = {"snarkjs_prove": prove_cmd(SNARKJS, "s"), "hush_cli_prove": prove_cmd(HUSH, "h")}
    if native:
        runners["native_prove"] = native_command(native, zkey, wtns, tmp / "np.json", tmp / "npub.json")
    snarkjs_wtns = [str(SNARKJS), "wtns", "calculate", str(files.wasm), str(tmp / "input.json"), str(tmp / "s.wtns")]
    times: dict[str, list[float]] = {k: [] for k in [*runners, "snarkjs_wtns"]}
    for _ in range(reps):  # interleaved, so machine noise falls on all alike
        for k, cmd in runners.items():
            times[k].append(_run(cmd))
        times["snarkjs_wtns"].append(_run(snarkjs_wtns))
    for k, prefix in (("snarkjs_prove", "s"), ("hush_cli_prove", "h"), ("native_prove", "n")):
        if k in runners:
            assert _snarkjs_ok(vkey, tmp / f"{prefix}pub.json", tmp / f"{prefix}p.json"), f"{k} proof does not verify"

    prover = Prover(zkey)
    prover.warm()
    prover.prove(witness)
    warm, stages, e2e = [], [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        res = prover.prove(witness)
        warm.append(time.perf_counter() - t0)
        stages.append(res.timings)
        t0 = time.perf_counter()
        res = prover.prove(calc.calculate_limbs(ex.inputs))
        e2e.append(time.perf_counter() - t0)
    (tmp / "wp.json").write_text(json.dumps(res.proof.to_json()))
    (tmp / "wpub.json").write_text(json.dumps([str(v) for v in res.public_signals]))
    assert _snarkjs_ok(vkey, tmp / "wpub.json", tmp / "wp.json"), "warm proof does not verify"
    stage_median = {k: statistics.median(s[k] for s in stages) for k in stages[0]}

    pvk = prover.verifying_key()
    proofs = [(res.public_signals, prover.prove(witness).proof) for _ in range(64)]
    vt = []
    for _ in range(max(reps, 20)):
        t0 = time.perf_counter()
        verify(pvk, *proofs[0])
        vt.append(time.perf_counter() - t0)
    t0 = time.perf_counter()
    for pub, pr in proofs:
        verify(pvk, pub, pr)
    singles64 = time.perf_counter() - t0
    bt = []
    for _ in range(3):
        t0 = time.perf_counter()
        batch_verify(pvk, proofs)
        bt.append(time.perf_counter() - t0)

    cold = json.loads(subprocess.run([sys.executable, "-c", _COLD, str(zkey), str(wtns)], check=True,
                                     capture_output=True, text=True, cwd=ROOT, timeout=600).stdout)
    zkey_size = zkey.stat().st_size
    out = {
        "circuit": name,
        "n_vars": prover.n_vars,
        "domain_size": prover.domain_size,
        "processes": {k: _stats(v) for k, v in times.items()},
        "warm_prove": _stats(warm),
        "warm_stages_median_s": stage_median,
        "end_to_end_warm": _stats(e2e),
        "verify_ms_median": statistics.median(vt) * 1e3,
        "batch64_ms": min(bt) * 1e3,
        "singles64_ms": singles64 * 1e3,
        **cold,
        "zkey_bytes": zkey_size,
    }
    sj = out["processes"]["snarkjs_prove"]["median_s"]
    ratios = {
        "hush_cli_over_snarkjs": out["processes"]["hush_cli_prove"]["median_s"] / sj,
        "warm_hush_over_snarkjs": out["warm_prove"]["median_s"] / sj,
        "batch64_over_64_singles": out["batch64_ms"] / out["singles64_ms"],
        "peak_rss_over_zkey": out["peak_rss_bytes"] / zkey_size,
    }
    if native:
        ratios["warm_hush_over_native"] = out["warm_prove"]["median_s"] / out["processes"]["native_prove"]["median_s"]
    out["ratios"] = ratios
    return out


def _print(res: dict) -> None:
    print(f"\n{res['circuit']}: {res['n_vars']} wires, domain {res['domain_size']}")
    for k, v in res["processes"].items():
        print(f"  {k:<22} median {v['median_s'] * 1e3:8.0f} ms   min {v['min_s'] * 1e3:8.0f} ms")
    print(f"  {'warm hush prove':<22} median {res['warm_prove']['median_s'] * 1e3:8.0f} ms   "
          f"min {res['warm_prove']['min_s'] * 1e3:8.0f} ms")
    print("    stages: " + ", ".join(f"{k} {v * 1e3:.0f}" for k, v in res["warm_stages_median_s"].items()) + " ms")
    print(f"  {'end to end (warm)':<22} median {res['end_to_end_warm']['median_s'] * 1e3:8.0f} ms")
    print(f"  cold start {res['cold_start_s']:.2f} s, peak RSS {res['peak_rss_bytes'] / 2**20:.0f} MiB "
          f"(zkey {res['zkey_bytes'] / 2**20:.1f} MiB)")
    print(f"  verify {res['verify_ms_median']:.2f} ms; batch of 64 {res['batch64_ms']:.1f} ms vs 64 singles "
          f"{res['singles64_ms']:.1f} ms")
    print("  ratios: " + ", ".join(f"{k} {v:.2f}" for k, v in res["ratios"].items()))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__.split("\n")[0])
    ap.add_argument("--circuits", default="transfer_2x2")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--native", help="a native prover taking snarkjs' `prove <zkey> <wtns> <proof> <public>`")
    a = ap.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = _machine()
    for name in a.circuits.split(","):
        res = bench_circuit(name, a.reps, a.native)
        res["machine"] = machine
        res["command"] = "python -m bench.compare " + " ".join(argv if argv is not None else sys.argv[1:])
        res["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _print(res)
        (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
