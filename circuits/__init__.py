"""Hush's circom circuits: where the sources, the build outputs and the committed manifest live.

    circuits/lib/*.circom      one gadget per file
    circuits/transfer.circom   Transfer(levels, nIns, nOuts)
    circuits/main/<name>.circom    one-line mains, compiled by `python -m circuits.build`
    circuits/test/*.circom     tiny mains per gadget, compiled on demand by tests
    circuits/manifest.json     generated: compiler, flags, source and artifact hashes, sizes
    build/circuits/<name>/     <name>.r1cs, <name>_js/<name>.wasm, <name>.sym, stamp.json

Nothing here compiles; see `circuits.build`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ROOT",
    "CIRCUITS_DIR",
    "MAIN_DIR",
    "TEST_DIR",
    "BUILD_DIR",
    "TEST_BUILD_DIR",
    "MANIFEST_PATH",
    "Artifacts",
    "artifacts",
    "circuit_names",
    "load_manifest",
    "public_input_names",
]

ROOT = Path(__file__).resolve().parent.parent
CIRCUITS_DIR = ROOT / "circuits"
MAIN_DIR = CIRCUITS_DIR / "main"
TEST_DIR = CIRCUITS_DIR / "test"
BUILD_DIR = ROOT / "build" / "circuits"
TEST_BUILD_DIR = ROOT / "build" / "circuits-test"
MANIFEST_PATH = CIRCUITS_DIR / "manifest.json"


@dataclass(frozen=True)
class Artifacts:
    """The compiler's outputs for one main."""

    name: str
    dir: Path

    @property
    def r1cs(self) -> Path:
        return self.dir / f"{self.name}.r1cs"

    @property
    def wasm(self) -> Path:
        return self.dir / f"{self.name}_js" / f"{self.name}.wasm"

    @property
    def wat(self) -> Path:
        return self.dir / f"{self.name}_js" / f"{self.name}.wat"

    @property
    def sym(self) -> Path:
        return self.dir / f"{self.name}.sym"

    def missing(self, *, wasm: bool = True, wat: bool = False) -> list[Path]:
        want = [self.r1cs, self.sym] + ([self.wasm] if wasm else []) + ([self.wat] if wat else [])
        return [p for p in want if not p.is_file()]


def circuit_names() -> list[str]:
    """The mains in circuits/main/, sorted."""
    return sorted(p.stem for p in MAIN_DIR.glob("*.circom"))


def artifacts(name: str) -> Artifacts:
    """Where `python -m circuits.build` puts circuit `name` (it may not be built yet)."""
    if name not in circuit_names():
        raise KeyError(f"unknown circuit {name!r}; expected one of {circuit_names()}")
    return Artifacts(name, BUILD_DIR / name)


def load_manifest() -> dict[str, Any]:
    return json.loads(MANIFEST_PATH.read_text())


def public_input_names(name: str) -> list[str]:
    """The public signals of circuit `name`, in order, as the committed manifest records them."""
    return list(load_manifest()["circuits"][name]["public_inputs"])
