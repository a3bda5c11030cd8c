"""Helpers for the contract tests: paths of the node tools, a free port, deploy, JSON files."""

from __future__ import annotations

import json
import socket
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deploy(w3, artifact: dict, *args):
    """Deploy a compiled contract (abi + bytecode) and return the web3 contract object."""
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    tx = factory.constructor(*args).transact()
    receipt = w3.eth.wait_for_transaction_receipt(tx)
    assert receipt.status == 1, "deployment failed"
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path
