"""Side-by-side latency of Hush and snarkjs on the same zkey and witness (`make bench`).

    python -m bench.compare [--circuits transfer_2x2] [--reps 5] [--native PATH]

For each circuit: make the development key if needed, compute the witness of the example
transfer, then time, interleaved, on the same files:
  snarkjs groth16 prove (fresh node process)   hush groth16 prove (fresh Python process)
  a baseline Hush CLI given with --baseline-hush PATH (another checkout's `hush`, e.g. main's:
  before/after of the fresh process in one run)
  a native prover given with --native PATH (any program taking snarkjs' `prove zkey wtns proof
  public` arguments, e.g. rapidsnark's `prover`; PATH may carry leading arguments, split like a
  shell would: --native "/opt/bin/prover" or --native "mytool prove")
  a warm native prover given with --native-warm PATH (a program taking `zkey wtns proof public reps`
  that keeps the key in one process, proves once to warm up, then `reps` times, and prints
  {"warm_s": [...]}: bench/native/warm_prover.cpp over rapidsnark's C API), run interleaved with
  the warm Hush prover, one native process per Hush proof
  a warm in-process Hush prover (per-stage spans) and, interleaved with it, the same prover with the
  previous MSM kernels (`Prover(glv=False)`: before/after in one run), the end-to-end warm path (inputs -> witness
  -> proof -> self-check), the Python verifier (one proof, a batch of 64), cold start (new
  process to first proof) and a warm worker's peak RSS against the zkey size.
Every proof timed is checked by `snarkjs groth16 verify` once. Results go to
bench/results/<circuit>.json with the machine facts, the load average before and after, and the
command line. When build/rapidsnark holds rapidsnark (`make rapidsnark`), `prover` and
`warm_prover` there are the defaults of --native and --native-warm (`--native ''` turns both off).
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
RAPIDSNARK = ROOT / "build" / "rapidsnark"
NATIVE_WARM_REPS = 3

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

_WORKER = r"""
import json, resource, sys
from hush.artifacts import circuit_files
from prover.groth16 import Prover
from prover.witness import WitnessCalculator
from transfer.example import example_transfer
held = []
for name in sys.argv[1:]:
    f = circuit_files(name)
    p = Prover(f.zkey)
    p.warm()
    held.append((p, WitnessCalculator(f.wasm), example_transfer(name).inputs))
for _ in range(3):
    for p, calc, inputs in held:
        p.prove(calc.calculate_limbs(inputs))
print(json.dumps({"peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
"""


def worker_rss(circuits: list[str]) -> dict:
    """Peak RSS of one process holding a warm prover and a witness calculator per circuit (a farm
    worker serving them all), after three end-to-end proofs of each."""
    out = subprocess.run([sys.executable, "-c", _WORKER, *circuits], check=True, capture_output=True, text=True,
                         cwd=ROOT, timeout=1800).stdout
    return {"circuits": circuits, **json.loads(out.strip().splitlines()[-1])}


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


def native_warm_times(native_warm: str, zkey: Path, wtns: Path, proof: Path, public: Path,
                      reps: int = NATIVE_WARM_REPS) -> list[float]:
    """One run of a warm native prover: the seconds of each of its `reps` warm proofs."""
    cmd = [*native_command(native_warm, zkey, wtns, proof, public), str(reps)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=600).stdout
    times = json.loads(out.strip().splitlines()[-1])["warm_s"]
    if len(times) != reps or not all(isinstance(t, (int, float)) and t > 0 for t in times):
        raise ValueError(f"expected {reps} positive warm times from {cmd[0]}, got {times!r}")
    return [float(t) for t in times]


def default_natives() -> tuple[str | None, str | None]:
    """rapidsnark's `prover` and bench/native's `warm_prover` when `make rapidsnark` built them."""
    found = [RAPIDSNARK / n for n in ("prover", "warm_prover")]
    return tuple(str(p) if p.is_file() and os.access(p, os.X_OK) else None for p in found)  # type: ignore[return-value]


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


def bench_circuit(name: str, reps: int, native: str | None, native_warm: str | None = None,
                  baseline_hush: str | None = None) -> dict:

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
    if baseline_hush:
        runners["baseline_hush_cli_prove"] = prove_cmd(Path(baseline_hush), "b")
    if native:
        runners["native_prove"] = native_command(native, zkey, wtns, tmp / "np.json", tmp / "npub.json")
    for cmd in runners.values():  # untimed: a first run may compile or page in what later runs reuse
        _run(cmd)
    snarkjs_wtns = [str(SNARKJS), "wtns", "calculate", str(files.wasm), str(tmp / "input.json"), str(tmp / "s.wtns")]
    times: dict[str, list[float]] = {k: [] for k in [*runners, "snarkjs_wtns"]}
    for _ in range(reps):  # interleaved, so machine noise falls on all alike
        for k, cmd in runners.items():
            times[k].append(_run(cmd))
        times["snarkjs_wtns"].append(_run(snarkjs_wtns))
    for k, prefix in (("snarkjs_prove", "s"), ("hush_cli_prove", "h"), ("native_prove", "n"),
                      ("baseline_hush_cli_prove", "b")):
        if k in runners:
            assert _snarkjs_ok(vkey, tmp / f"{prefix}pub.json", tmp / f"{prefix}p.json"), f"{k} proof does not verify"

    prover = Prover(zkey)
    before = Prover(prover.zkey, glv=False)  # the previous MSM kernels, on the same mapped key
    for pr in (prover, before):
        pr.warm()
        pr.prove(witness)
    warm, stages, e2e, nwarm, bwarm, bstages = [], [], [], [], [], []
    for _ in range(reps):  # interleaved: a Hush proof, the previous kernels, a warm native run, end to end
        t0 = time.perf_counter()
        res = prover.prove(witness)
        warm.append(time.perf_counter() - t0)
        stages.append(res.timings)
        t0 = time.perf_counter()
        bstages.append(before.prove(witness).timings)
        bwarm.append(time.perf_counter() - t0)
        if native_warm:
            nwarm.extend(native_warm_times(native_warm, zkey, wtns, tmp / "nwp.json", tmp / "nwpub.json"))
        t0 = time.perf_counter()
        res = prover.prove(calc.calculate_limbs(ex.inputs))
        e2e.append(time.perf_counter() - t0)
    if native_warm:
        assert _snarkjs_ok(vkey, tmp / "nwpub.json", tmp / "nwp.json"), "warm native proof does not verify"
    (tmp / "wp.json").write_text(json.dumps(res.proof.to_json()))
    (tmp / "wpub.json").write_text(json.dumps([str(v) for v in res.public_signals]))
    assert _snarkjs_ok(vkey, tmp / "wpub.json", tmp / "wp.json"), "warm proof does not verify"
    stage_median = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    before_stage_median = {k: statistics.median(s[k] for s in bstages) for k in bstages[0]}
    del before

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
        **({"native_warm_prove": _stats(nwarm)} if nwarm else {}),
        "warm_prove_before": _stats(bwarm),
        "warm_stages_before_median_s": before_stage_median,
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
        "warm_after_over_before": out["warm_prove"]["median_s"] / out["warm_prove_before"]["median_s"],
    }
    if baseline_hush:
        ratios["hush_cli_after_over_before"] = (out["processes"]["hush_cli_prove"]["median_s"]
                                                / out["processes"]["baseline_hush_cli_prove"]["median_s"])
    if native:
        ratios["warm_hush_over_native"] = out["warm_prove"]["median_s"] / out["processes"]["native_prove"]["median_s"]
        ratios["hush_cli_over_native"] = (out["processes"]["hush_cli_prove"]["median_s"]
                                          / out["processes"]["native_prove"]["median_s"])
    if nwarm:
        ratios["warm_hush_over_warm_native"] = out["warm_prove"]["median_s"] / out["native_warm_prove"]["median_s"]
    out["ratios"] = ratios
    return out


def _print(res: dict) -> None:
    print(f"\n{res['circuit']}: {res['n_vars']} wires, domain {res['domain_size']}")
    for k, v in res["processes"].items():
        print(f"  {k:<22} median {v['median_s'] * 1e3:8.0f} ms   min {v['min_s'] * 1e3:8.0f} ms")
    print(f"  {'warm hush prove':<22} median {res['warm_prove']['median_s'] * 1e3:8.0f} ms   "
          f"min {res['warm_prove']['min_s'] * 1e3:8.0f} ms")
    print("    stages: " + ", ".join(f"{k} {v * 1e3:.0f}" for k, v in res["warm_stages_median_s"].items()) + " ms")
    print(f"  {'warm, before (glv off)':<22} median {res['warm_prove_before']['median_s'] * 1e3:8.0f} ms")
    print("    stages: " + ", ".join(f"{k} {v * 1e3:.0f}" for k, v in res["warm_stages_before_median_s"].items())
          + " ms")
    if "native_warm_prove" in res:
        print(f"  {'warm native prove':<22} median {res['native_warm_prove']['median_s'] * 1e3:8.0f} ms   "
              f"min {res['native_warm_prove']['min_s'] * 1e3:8.0f} ms")
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
    ap.add_argument("--native", help="a native prover taking snarkjs' `prove <zkey> <wtns> <proof> <public>` "
                    "(default: build/rapidsnark/prover when built; '' for none)")
    ap.add_argument("--native-warm", help="a warm native prover taking `<zkey> <wtns> <proof> <public> <reps>` "
                    "(default: build/rapidsnark/warm_prover when built; '' for none)")
    ap.add_argument("--baseline-hush", help="another checkout's `hush` executable, timed as a fresh process "
                    "beside this one (before/after)")
    a = ap.parse_args(argv)
    found = default_natives()
    native = found[0] if a.native is None else a.native or None
    native_warm = (found[1] if a.native is None else None) if a.native_warm is None else a.native_warm or None
    RESULTS.mkdir(parents=True, exist_ok=True)
    machine = _machine()
    for name in a.circuits.split(","):
        res = bench_circuit(name, a.reps, native, native_warm, a.baseline_hush)
        res["machine"] = machine
        res["loadavg_at_end"] = os.getloadavg()
        res["command"] = "python -m bench.compare " + " ".join(argv if argv is not None else sys.argv[1:])
        res["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        _print(res)
        (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    names = a.circuits.split(",")
    if len(names) > 1:
        w = worker_rss(names)
        w["ratio_to_512MiB"] = w["peak_rss_bytes"] / 2**29
        print(f"\nwarm worker holding {', '.join(names)}: peak RSS {w['peak_rss_bytes'] / 2**20:.0f} MiB "
              f"({w['ratio_to_512MiB']:.2f}x the 512 MiB goal)")
        (RESULTS / "worker.json").write_text(json.dumps({**w, "machine": machine}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
