"""Fixtures for the prover tests (helpers in toolchain.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from toolchain import Compiled, compile_circuit, snarkjs


@pytest.fixture(scope="session")
def mix_circuit() -> Compiled:
    return compile_circuit("mix")


@pytest.fixture(scope="session")
def bus_circuit() -> Compiled:
    return compile_circuit("point_bus")


@dataclass(frozen=True)
class SnarkjsSetup:
    """A tiny phase 1 + phase 2 run by snarkjs on the `mix` circuit (power 6)."""

    dir: Path
    circuit: Compiled
    ptau_new: Path
    ptau_contributed: Path
    ptau_beacon: Path
    ptau_final: Path
    zkey_new: Path
    zkey_contributed: Path
    zkey_beacon: Path
    vkey: Path
    contribution_hash: bytes
    """What `snarkjs zkey contribute` printed as the contribution hash of zkey_contributed."""


BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"


def _printed_hash(out: str, label: str) -> bytes:
    text = re.sub(r"\x1b\[[0-9;]*m", "", out)
    tail = text.split(label, 1)[1]
    words = re.findall(r"\b[0-9a-f]{8}\b", tail)[:16]
    return bytes.fromhex("".join(words))


@pytest.fixture(scope="session")
def snarkjs_setup(mix_circuit: Compiled, tmp_path_factory: pytest.TempPathFactory) -> SnarkjsSetup:
    d = tmp_path_factory.mktemp("snarkjs-setup")
    snarkjs("powersoftau", "new", "bn128", "6", d / "p0.ptau")
    snarkjs("powersoftau", "contribute", d / "p0.ptau", d / "p1.ptau", "--name=alice é", "-e=entropy 1")
    snarkjs("powersoftau", "beacon", d / "p1.ptau", d / "p2.ptau", BEACON, "10", "-n=ptau beacon")
    snarkjs("powersoftau", "prepare", "phase2", d / "p2.ptau", d / "pf.ptau")
    snarkjs("groth16", "setup", mix_circuit.r1cs, d / "pf.ptau", d / "z0.zkey")
    out = snarkjs("zkey", "contribute", d / "z0.zkey", d / "z1.zkey", "--name=bob", "-e=entropy 2")
    snarkjs("zkey", "beacon", d / "z1.zkey", d / "z2.zkey", BEACON, "10", "-n=zkey beacon")
    snarkjs("zkey", "export", "verificationkey", d / "z2.zkey", d / "vkey.json")
    return SnarkjsSetup(
        dir=d,
        circuit=mix_circuit,
        ptau_new=d / "p0.ptau",
        ptau_contributed=d / "p1.ptau",
        ptau_beacon=d / "p2.ptau",
        ptau_final=d / "pf.ptau",
        zkey_new=d / "z0.zkey",
        zkey_contributed=d / "z1.zkey",
        zkey_beacon=d / "z2.zkey",
        vkey=d / "vkey.json",
        contribution_hash=_printed_hash(out, "Contribution Hash:"),
    )
