"""Compile Hush's Solidity sources with the pinned solc (npm `solc`, solcjs) into contracts/artifacts/.

    python -m contracts.build            compile what changed (by sha256 of sources + compiler settings)
    python -m contracts.build --check    exit 1 unless every artifact matches its sources (for CI)

contracts/<Name>.sol -> contracts/artifacts/<Name>.json {"contractName", "abi", "bytecode",
"deployedBytecode", "sourceHash", "solc"}. `compile_source(src)` compiles one generated source in
memory (tests use it for generated verifiers).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = ROOT / "contracts"
ARTIFACTS = CONTRACTS / "artifacts"
SOLCJS = ROOT / "node_modules" / ".bin" / "solcjs"
SOLC_VERSION = "0.8.37"
SETTINGS: dict[str, Any] = {
    "optimizer": {"enabled": True, "runs": 200},
    "evmVersion": "cancun",
    "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"]}},
}

__all__ = ["compile_sources", "compile_source", "build", "check", "sources_hash"]


class CompileError(RuntimeError):
    """solc reported errors."""


def _solc_js() -> Path:
    return ROOT / "node_modules" / "solc" / "soljson.js"


def compile_sources(sources: dict[str, str], settings: dict[str, Any] | None = None) -> dict[str, dict[str, Any]]:
    """Standard-JSON compile of {filename: source} -> {contractName: {"abi", "bytecode", "deployedBytecode"}}."""
    request = {
        "language": "Solidity",
        "sources": {name: {"content": src} for name, src in sources.items()},
        "settings": settings or SETTINGS,
    }
    # solcjs has no --standard-json stdin mode in every version; the wrapper module does.
    script = (
        "const solc=require('solc');let d='';process.stdin.on('data',c=>d+=c);"
        "process.stdin.on('end',()=>{process.stdout.write(solc.compile(d));});"
    )
    out = subprocess.run(
        ["node", "-e", script], input=json.dumps(request), capture_output=True, text=True, cwd=ROOT, check=True
    )
    result = json.loads(out.stdout)
    errors = [e for e in result.get("errors", []) if e.get("severity") == "error"]
    if errors:
        raise CompileError("\n".join(e.get("formattedMessage", e.get("message", "")) for e in errors))
    contracts: dict[str, dict[str, Any]] = {}
    for file_contracts in result.get("contracts", {}).values():
        for name, c in file_contracts.items():
            contracts[name] = {
                "abi": c["abi"],
                "bytecode": "0x" + c["evm"]["bytecode"]["object"],
                "deployedBytecode": "0x" + c["evm"]["deployedBytecode"]["object"],
            }
    return contracts


def compile_source(src: str, name: str = "Source.sol") -> dict[str, dict[str, Any]]:
    return compile_sources({name: src})


def _sources() -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(CONTRACTS.glob("*.sol"))}


def sources_hash(sources: dict[str, str]) -> str:
    h = hashlib.sha256(json.dumps({"solc": SOLC_VERSION, "settings": SETTINGS}, sort_keys=True).encode())
    for name in sorted(sources):
        h.update(name.encode() + b"\0" + sources[name].encode() + b"\0")
    return h.hexdigest()


def _stale(sources: dict[str, str]) -> list[str]:
    want = sources_hash(sources)
    stale = []
    for name in sources:
        art = ARTIFACTS / f"{Path(name).stem}.json"
        if not art.is_file() or json.loads(art.read_text()).get("sourceHash") != want:
            stale.append(name)
    return stale


def build(force: bool = False) -> list[str]:
    """Compile contracts/*.sol if any source changed; returns the artifacts written."""
    sources = _sources()
    if not sources or (not force and not _stale(sources)):
        return []
    compiled = compile_sources(sources)
    ARTIFACTS.mkdir(exist_ok=True)
    want = sources_hash(sources)
    written = []
    for name in sources:
        stem = Path(name).stem
        if stem not in compiled:
            continue  # an interface or library file without a contract of its own name
        art = {"contractName": stem, **compiled[stem], "sourceHash": want, "solc": SOLC_VERSION}
        (ARTIFACTS / f"{stem}.json").write_text(json.dumps(art, indent=1) + "\n")
        written.append(stem)
    return written


def check() -> list[str]:
    """Sources whose artifact is missing or was built from other sources (empty list: all good)."""
    return _stale(_sources())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m contracts.build", description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="fail unless artifacts match sources")
    ap.add_argument("--force", action="store_true", help="recompile even if nothing changed")
    a = ap.parse_args(argv)
    if a.check:
        stale = check()
        if stale:
            print(f"artifacts out of date for: {', '.join(stale)}; run `python -m contracts.build`", file=sys.stderr)
            return 1
        print("contracts/artifacts match their sources")
        return 0
    written = build(force=a.force)
    print(f"compiled {', '.join(written)}" if written else "contracts/artifacts up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
