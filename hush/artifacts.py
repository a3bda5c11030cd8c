"""Where the compiled circuits and their development keys live, and how to make the keys.

    build/circuits/<name>/<name>.r1cs, <name>_js/<name>.wasm   (`make circuits`)
    build/keys/<name>.ptau, build/keys/<name>.zkey          (`hush setup circuit <name>`)

Keys made here come from Hush's development setup: fine for tests and demos, never for value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_dir() -> Path:
    return Path(os.environ.get("HUSH_BUILD_DIR", ROOT / "build"))


@dataclass(frozen=True)
class CircuitFiles:
    name: str
    r1cs: Path
    wasm: Path
    sym: Path
    zkey: Path

    def check_compiled(self) -> None:
        missing = [p for p in (self.r1cs, self.wasm) if not p.is_file()]
        if missing:
            raise FileNotFoundError(
                f"circuit {self.name} is not compiled (missing {', '.join(map(str, missing))}); run `make circuits`"
            )


def circuit_files(name: str) -> CircuitFiles:
    base = build_dir() / "circuits" / name
    return CircuitFiles(
        name=name,
        r1cs=base / f"{name}.r1cs",
        wasm=base / f"{name}_js" / f"{name}.wasm",
        sym=base / f"{name}.sym",
        zkey=build_dir() / "keys" / f"{name}.zkey",
    )


def manifest() -> dict:
    return json.loads((ROOT / "circuits" / "manifest.json").read_text())


def known_circuits() -> list[str]:
    return sorted(manifest()["circuits"])


Progress = Callable[[str, int, int], None]


def ensure_dev_key(name: str, *, progress: Progress | None = None, force: bool = False) -> Path:
    """The development .zkey of a compiled circuit, made (with its .ptau) if it is missing or stale.

    A key is stale when the circuit's .r1cs changed since it was made (recorded beside the key)."""
    import hashlib

    from prover.setup import dev_setup

    files = circuit_files(name)
    files.check_compiled()
    r1cs_hash = hashlib.sha256(files.r1cs.read_bytes()).hexdigest()
    stamp = files.zkey.with_suffix(".json")
    if not force and files.zkey.is_file() and stamp.is_file():
        if json.loads(stamp.read_text()).get("r1cs_sha256") == r1cs_hash:
            return files.zkey
    files.zkey.parent.mkdir(parents=True, exist_ok=True)
    ptau_res, _ = dev_setup(files.r1cs, files.zkey.parent / f"{name}.ptau", files.zkey, progress=progress)
    ptau = ptau_res.path
    stamp.write_text(json.dumps({"r1cs_sha256": r1cs_hash, "ptau": ptau.name, "development": True}, indent=2))
    return files.zkey
