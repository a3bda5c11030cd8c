"""The ceremony verbs of `hush` (snarkjs' names, same files both ways):

    hush zkey new <circuit.r1cs> <in.ptau> <out.zkey>
    hush zkey contribute <in.zkey> <out.zkey> --name NAME [--entropy TEXT]
    hush zkey beacon <in.zkey> <out.zkey> <beacon hash hex> <iterations exp> [--name NAME]
    hush zkey verify <circuit.r1cs> <in.ptau> <zkey>     (prints the transcript; exit 1 if invalid)
    hush ptau verify <in.ptau>                           (exit 1 if invalid)
    hush ceremony serve|status|contribute|finish ...     (see service.ceremony)

A failed check prints the step that failed ("INVALID at contribution #2 delta: ...") and exits 1.
"""

from __future__ import annotations

import argparse
import sys
import time


class Bar:
    """progress(stage, done, total) as a bar on a terminal, one line per finished stage otherwise."""

    WIDTH = 30

    def __init__(self, stream=None) -> None:
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.t0: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        self.t0.setdefault(stage, time.perf_counter())
        if not self.tty and done != total:
            return
        frac = done / total if total else 1.0
        fill = int(frac * self.WIDTH)
        secs = time.perf_counter() - self.t0[stage]
        line = f"  {stage:<18} [{'#' * fill}{'.' * (self.WIDTH - fill)}] {done}/{total} {secs:6.1f} s"
        print(line, end="\n" if done == total else "\r", file=self.stream, flush=True)


def _invalid(e: Exception) -> int:
    step = getattr(e, "step", None)
    print(f"INVALID at {step}: {e}" if step else f"INVALID: {e}")
    return 1


def cmd_zkey_new(a: argparse.Namespace) -> int:
    from prover.ceremony import SetupCheckError, zkey_new

    t0 = time.perf_counter()
    try:
        t = zkey_new(a.r1cs, a.ptau, a.zkey, progress=Bar())
    except SetupCheckError as e:
        return _invalid(e)
    print("\n".join(t.lines()))
    print(f"wrote {a.zkey} in {time.perf_counter() - t0:.1f} s: no contribution yet, do not prove with it")
    return 0


def cmd_zkey_contribute(a: argparse.Namespace) -> int:
    from prover.ceremony import SetupCheckError, zkey_contribute

    t0 = time.perf_counter()
    try:
        c = zkey_contribute(a.zkey_in, a.zkey_out, name=a.name, entropy=a.entropy, progress=Bar())
    except SetupCheckError as e:
        return _invalid(e)
    print("\n".join(c.lines()))
    print(f"wrote {a.zkey_out} in {time.perf_counter() - t0:.1f} s; publish the contribution hash above")
    return 0


def cmd_zkey_beacon(a: argparse.Namespace) -> int:
    from prover.ceremony import SetupCheckError, zkey_beacon

    t0 = time.perf_counter()
    try:
        c = zkey_beacon(a.zkey_in, a.zkey_out, a.beacon_hash, a.iterations_exp, name=a.name, progress=Bar())
    except SetupCheckError as e:
        return _invalid(e)
    print("\n".join(c.lines()))
    print(f"wrote {a.zkey_out} in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_zkey_verify(a: argparse.Namespace) -> int:
    from prover.ceremony import SetupCheckError, zkey_verify

    t0 = time.perf_counter()
    try:
        t = zkey_verify(a.r1cs, a.ptau, a.zkey, progress=Bar())
    except SetupCheckError as e:
        return _invalid(e)
    print("\n".join(t.lines()))
    if not any(c.is_beacon for c in t.contributions):
        print("warning: no beacon contribution ends this ceremony")
    print(f"ZKey OK ({len(t.contributions)} contributions) in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_ptau_verify(a: argparse.Namespace) -> int:
    from prover.setup_verify import SetupCheckError, ptau_verify

    t0 = time.perf_counter()
    try:
        r = ptau_verify(a.ptau, progress=Bar())
    except SetupCheckError as e:
        return _invalid(e)
    print("\n".join(r.lines()))
    print(f"Powers of tau OK in {time.perf_counter() - t0:.1f} s")
    return 0


def add_zkey_parsers(z: argparse._SubParsersAction) -> None:
    """new / contribute / beacon / verify under `hush zkey`."""
    c = z.add_parser("new", help="phase 2 start: the key before contributions (snarkjs groth16 setup)")
    for name in ("r1cs", "ptau", "zkey"):
        c.add_argument(name)
    c.set_defaults(func=cmd_zkey_new)
    c = z.add_parser("contribute", help="add a secret delta contribution")
    c.add_argument("zkey_in")
    c.add_argument("zkey_out")
    c.add_argument("--name", "-n", default=None)
    c.add_argument("--entropy", "-e", default=None, help="extra entropy mixed into the OS randomness")
    c.set_defaults(func=cmd_zkey_contribute)
    c = z.add_parser("beacon", help="the final public-beacon contribution")
    c.add_argument("zkey_in")
    c.add_argument("zkey_out")
    c.add_argument("beacon_hash")
    c.add_argument("iterations_exp", type=int)
    c.add_argument("--name", "-n", default=None)
    c.set_defaults(func=cmd_zkey_beacon)
    c = z.add_parser("verify", help="check a key and every contribution against the circuit and ptau")
    for name in ("r1cs", "ptau", "zkey"):
        c.add_argument(name)
    c.set_defaults(func=cmd_zkey_verify)


def add_parsers(sub: argparse._SubParsersAction) -> None:
    """`hush ptau verify` and `hush ceremony ...`."""
    p = sub.add_parser("ptau", help="powers-of-tau files").add_subparsers(dest="cmd", required=True)
    c = p.add_parser("verify", help="check a ptau: every contribution, the powers, the Lagrange sections")
    c.add_argument("ptau")
    c.set_defaults(func=cmd_ptau_verify)
    from service.ceremony import add_parsers as add_ceremony_parsers

    add_ceremony_parsers(sub)
