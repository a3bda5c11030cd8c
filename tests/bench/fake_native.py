#!/usr/bin/env python3
"""A stand-in for a native prover, for tests of `bench.compare --native`:

    fake_native.py [prove] <zkey> <wtns> <proof> <public>

runs `snarkjs groth16 prove` on the same files (the argument convention rapidsnark's `prover` and
snarkjs share). With HUSH_FAKE_NATIVE_BROKEN=1 it writes a proof that does not verify instead,
so the tests can see the comparison refuse it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SNARKJS = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "snarkjs"


def main(argv: list[str]) -> int:
    args = argv[1:] if argv and argv[0] == "prove" else argv
    if len(args) != 4:
        print(f"usage: fake_native.py [prove] <zkey> <wtns> <proof> <public>, got {len(args)} arguments",
              file=sys.stderr)
        return 2
    code = subprocess.run([str(SNARKJS), "groth16", "prove", *args]).returncode
    if code == 0 and os.environ.get("HUSH_FAKE_NATIVE_BROKEN") == "1":
        proof = json.loads(Path(args[2]).read_text())
        proof["pi_a"], proof["pi_c"] = proof["pi_c"], proof["pi_a"]
        Path(args[2]).write_text(json.dumps(proof))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
