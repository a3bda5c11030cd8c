"""Wall time and peak memory of the wallet commands that do not prove.

    python -m bench.wallet_cli [--reps 5]

Starts anvil on a free loopback port, `hush pool deploy`s a pool, makes two wallets (Argon2id
"interactive" and the default "moderate"), deposits once (one proof), then runs `hush wallet
address`, `history`, `balance` and `hush pool info` as fresh processes, --reps times each, and
records each run's wall time, CPU time (wait4's rusage) and peak RSS (the process's VmHWM). Writes
bench/results/wallet_cli.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "wallet_cli.json"
ALICE_ETH = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's account 1


# The peak RSS is the process's own VmHWM at exit: wait4's ru_maxrss would also count the pages of
# this (larger) process that the child shares between fork and exec.
_LAUNCH = (
    "import atexit, sys\n"
    "def hwm():\n"
    "    kb = open('/proc/self/status').read().split('VmHWM:')[1].split()[0]\n"
    "    print(f'VmHWM {kb}', file=sys.stderr)\n"
    "atexit.register(hwm)\n"
    "from hush.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)


def run(args: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float]:
    """One fresh `hush ARGS` process: wall s, cpu s, peak RSS MiB; raises if it fails."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", _LAUNCH, *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    err = proc.stderr.read().decode() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"hush {' '.join(args)} exited {proc.returncode}: {err}")
    hwm_kb = int(err.rsplit("VmHWM ", 1)[1].split()[0])
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "max_rss_mib": hwm_kb / 1024}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.wallet_cli", description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args(argv)

    from wallet.chain import start_anvil, stop_process
    from wallet.demo import free_port

    proc, w3 = start_anvil(free_port())
    rpc = w3.provider.endpoint_uri
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUSH_")}
    env |= {"HUSH_WALLET_PASSPHRASE": "bench passphrase", "PYTHONPATH": str(ROOT)}
    results: dict[str, dict] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="hush-bench-wallet-") as tmp:
            cwd = Path(tmp)
            run(["pool", "deploy", "--rpc", rpc, "--mint", "10", "--to", ALICE_ETH], cwd, env)
            for kdf in ("interactive", "moderate"):
                run(["wallet", "init", "--wallet", f"{kdf}.json", "--kdf", kdf], cwd, env)
            run(["wallet", "deposit", "1", "--from", ALICE_ETH, "--wallet", "interactive.json"], cwd, env)
            commands = {
                "wallet address": ["wallet", "address", "--wallet", "interactive.json"],
                "wallet history": ["wallet", "history", "--wallet", "interactive.json"],
                "pool info": ["pool", "info"],
                "wallet balance (kdf interactive, 64 MiB)": ["wallet", "balance", "--wallet", "interactive.json"],
                "wallet balance (kdf moderate, 256 MiB)": ["wallet", "balance", "--wallet", "moderate.json"],
            }
            for name, args in commands.items():
                runs = [run(args, cwd, env) for _ in range(a.reps)]
                results[name] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                results[name]["runs"] = runs
    finally:
        stop_process(proc)
    doc = {"load_average": os.getloadavg(), "python": sys.version.split()[0], "reps": a.reps, "commands": results}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"{'command':<42} {'wall (median)':>14} {'cpu':>8} {'peak RSS':>10}")
    for name, r in results.items():
        print(f"{name:<42} {r['wall_s']:>12.2f} s {r['cpu_s']:>6.2f} s {r['max_rss_mib']:>6.0f} MiB")
    print(f"load average {doc['load_average'][0]:.1f}; {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
