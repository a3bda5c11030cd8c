"""Node toolchain helpers for the prover tests: test circuits compiled on demand, snarkjs runs.

Circuits in tests/prover/circuits/*.circom are compiled with the pinned circom2 into
build/test-circuits/<name>-<hash of source and compiler version>/ (atomically: compile into a temp
dir, rename), so a changed source recompiles and an unchanged one is reused across runs. Tests
using these fixtures need node: mark them `interop`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
CIRCOM = NODE_BIN / "circom2"
SNARKJS = NODE_BIN / "snarkjs"
CIRCUITS = Path(__file__).resolve().parent / "circuits"
BUILD = ROOT / "build" / "test-circuits"


@dataclass(frozen=True)
class Compiled:
    name: str
    dir: Path
    r1cs: Path
    wasm: Path
    sym: Path
    js_dir: Path


def _require(tool: Path) -> None:
    if not tool.exists() or shutil.which("node") is None:
        pytest.skip(f"{tool.name} (node) is not installed: run `make node`")


def compile_circuit(name: str) -> Compiled:
    """Compile tests/prover/circuits/<name>.circom (cached by source hash)."""
    _require(CIRCOM)
    src = CIRCUITS / f"{name}.circom"
    circom_version = json.loads((ROOT / "node_modules" / "circom2" / "package.json").read_text())["version"]
    key = hashlib.sha256(src.read_bytes() + circom_version.encode()).hexdigest()[:16]
    out = BUILD / f"{name}-{key}"
    if not (out / "ok").exists():
        BUILD.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=BUILD))
        try:
            subprocess.run(
                [str(CIRCOM), str(src), "--r1cs", "--wasm", "--sym", "-o", str(tmp), "-l", str(ROOT / "node_modules")],
                check=True,
                capture_output=True,
                timeout=300,
                cwd=ROOT,  # circom2 (WASI) resolves include paths relative to its working directory
            )
            (tmp / "ok").write_text(circom_version + "\n")
            try:
                os.rename(tmp, out)
            except OSError:  # someone else finished first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return Compiled(
        name=name,
        dir=out,
        r1cs=out / f"{name}.r1cs",
        wasm=out / f"{name}_js" / f"{name}.wasm",
        sym=out / f"{name}.sym",
        js_dir=out / f"{name}_js",
    )


def snarkjs(*args: str | os.PathLike, cwd: Path | None = None) -> str:
    """Run snarkjs; returns stdout, raises with its output on failure."""
    _require(SNARKJS)
    p = subprocess.run([str(SNARKJS), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError(f"snarkjs {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p.stdout


def write_input(path: Path, inputs: dict) -> Path:
    """Inputs as snarkjs' input.json (numbers as decimal strings)."""

    def enc(v):
        if isinstance(v, dict):
            return {k: enc(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [enc(x) for x in v]
        return str(v)

    path.write_text(json.dumps(enc(inputs)))
    return path
