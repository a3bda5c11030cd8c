"""Tables and a plot of the results `bench.compare` keeps in bench/results/<circuit>.json.

    python -m bench.report [--results bench/results] [--png bench/results/latency.png]

Prints markdown to stdout: one table of whole-proof latencies per circuit (snarkjs, the Hush CLI,
a native prover when one was given, the warm Hush worker, end to end) with the issue's ratios, and
one of the warm prover's stages. Writes a PNG with the same two views: the warm proof split by
stage (stacked) and the whole-process latencies, per circuit. Files that are not `bench.compare`
results (pytest-benchmark JSON, say) are skipped.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

STAGES = ["evaluations", "coset_ntt", "msm_a", "msm_b1", "msm_b2", "msm_c", "msm_h", "blinding", "self_check"]
PROCESSES = [("snarkjs_prove", "snarkjs prove"), ("hush_cli_prove", "hush prove (CLI)"),
             ("baseline_hush_cli_prove", "hush prove before (CLI)"), ("native_prove", "native prove"),
             ("snarkjs_wtns", "snarkjs witness")]


def load_results(results: Path) -> list[dict]:
    """The `bench.compare` results in a directory, sorted by domain size then name."""
    out = []
    for path in sorted(results.glob("*.json")):
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        if isinstance(data, dict) and {"circuit", "warm_prove", "warm_stages_median_s"} <= data.keys():
            out.append(data)
    return sorted(out, key=lambda r: (r.get("domain_size", 0), r["circuit"]))


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1e3:.0f}"


def markdown(results: list[dict]) -> str:
    """The two markdown tables (latencies and ratios; warm stages)."""
    lines = ["| circuit | wires | domain | " + " | ".join(label for _, label in PROCESSES)
             + " | warm hush | end to end | warm/native | CLI/snarkjs | cold start s | RSS/zkey |",
             "|" + "---|" * (3 + len(PROCESSES) + 6)]
    for r in results:
        procs = r.get("processes", {})
        cells = [_ms(procs[k]["median_s"]) if k in procs else "-" for k, _ in PROCESSES]
        ratios = r.get("ratios", {})
        native = f"{ratios['warm_hush_over_native']:.2f}" if "warm_hush_over_native" in ratios else "-"
        nan = float("nan")
        lines.append(
            f"| {r['circuit']} | {r.get('n_vars', '-')} | {r.get('domain_size', '-')} | " + " | ".join(cells)
            + f" | {_ms(r['warm_prove']['median_s'])} | {_ms(r.get('end_to_end_warm', {}).get('median_s'))}"
            + f" | {native} | {ratios.get('hush_cli_over_snarkjs', nan):.2f} | {r.get('cold_start_s', nan):.2f}"
            + f" | {ratios.get('peak_rss_over_zkey', nan):.1f} |"
        )
    lines += ["", "Warm prover, median ms per stage:", "",
              "| circuit | " + " | ".join(STAGES) + " | total |", "|" + "---|" * (len(STAGES) + 2)]
    for r in results:
        st = r["warm_stages_median_s"]
        lines.append(f"| {r['circuit']} | " + " | ".join(_ms(st.get(s)) for s in STAGES)
                     + f" | {_ms(r['warm_prove']['median_s'])} |")
    keys = sorted({k for r in results for k in r.get("ratios", {})})
    if keys:
        lines += ["", "Ratios, each from one interleaved run (median over median):", "",
                  "| ratio | " + " | ".join(r["circuit"] for r in results) + " |", "|" + "---|" * (len(results) + 1)]
        for k in keys:
            vals = [r.get("ratios", {}).get(k) for r in results]
            lines.append(f"| {k} | " + " | ".join("-" if v is None else f"{v:.2f}" for v in vals) + " |")
    machines = {json.dumps(r.get("machine", {}), sort_keys=True) for r in results}
    for m in sorted(machines):
        md = json.loads(m)
        if md:
            lines.append("")
            lines.append(f"Machine: {md.get('cpu', '?')}, {md.get('nproc', '?')} cores, "
                         f"Python {md.get('python', '?')}, numba {md.get('numba', '?')}; "
                         f"load average at start {md.get('loadavg_at_start', '?')}.")
    commands = sorted({r.get("command", "") for r in results} - {""})
    if commands:
        lines.append("Command: " + "; ".join(f"`{c}`" for c in commands))
    return "\n".join(lines)


def plot(results: list[dict], png: Path) -> None:
    """Two panels: warm latency by stage (stacked bars) and whole-process latencies, per circuit."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r["circuit"] for r in results]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    bottom = [0.0] * len(results)
    cmap = plt.get_cmap("tab10")
    for k, stage in enumerate(STAGES):
        vals = [r["warm_stages_median_s"].get(stage, 0.0) * 1e3 for r in results]
        ax1.bar(names, vals, bottom=bottom, label=stage, color=cmap(k % 10))
        bottom = [b + v for b, v in zip(bottom, vals, strict=True)]
    ax1.set_ylabel("ms (median)")
    ax1.set_title("warm Hush proof by stage")
    ax1.legend(fontsize=7)
    series = [(k, label) for k, label in PROCESSES if any(k in r.get("processes", {}) for r in results)]
    series.append(("warm", "warm hush"))
    width = 0.8 / max(1, len(series))
    for j, (key, label) in enumerate(series):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(results))]
        vals = [1e3 * (r["warm_prove"]["median_s"] if key == "warm"
                       else r.get("processes", {}).get(key, {}).get("median_s", 0.0)) for r in results]
        ax2.bar(xs, vals, width=width, label=label, color=cmap(j % 10))
    ax2.set_xticks(range(len(results)), names)
    ax2.set_ylabel("ms (median)")
    ax2.set_title("whole proof: fresh processes vs warm worker")
    ax2.legend(fontsize=7)
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__.split("\n")[0])
    ap.add_argument("--results", type=Path, default=RESULTS)
    ap.add_argument("--png", type=Path, default=None, help="default: <results>/latency.png")
    a = ap.parse_args(argv)
    results = load_results(a.results)
    if not results:
        print(f"no bench.compare results in {a.results} (run `python -m bench.compare` first)", file=sys.stderr)
        return 1
    print(markdown(results))
    png = a.png or a.results / "latency.png"
    plot(results, png)
    print(f"\nplot: {png}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
