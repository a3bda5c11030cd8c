"""Helpers for the contract tests: the two EVM backends, deploy/send/expect_revert, JSON files.

Backends: "anvil" (Foundry's node from npm, over HTTP on loopback) and "eth-tester" (py-evm in
process through web3's EthereumTesterProvider). Every transaction is sent with an explicit gas
budget: without one web3 asks eth_estimateGas first, which py-evm answers by a binary search that
re-runs the pairing precompile (pure-Python py_ecc) a dozen times.
"""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from eth_utils import keccak

ROOT = Path(__file__).resolve().parents[2]
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"

BACKENDS = ("anvil", "eth-tester")
GAS = 12_000_000
"""Gas budget of every transaction the tests send (below eth-tester's 30M block gas limit)."""

anvil_only = pytest.mark.parametrize("w3", ["anvil"], indirect=True)
"""For tests too slow on py-evm (many pairings, eth_estimateGas) or about a node's RPC behaviour."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def anvil_web3(*extra_args: str) -> Iterator:
    """A Web3 on a fresh anvil (loopback, free port, 100M block gas limit); the node dies on exit."""
    from web3 import Web3

    if not ANVIL.is_file():
        pytest.skip(f"anvil not installed at {ANVIL} (npm install)")
    port = free_port()
    cmd = [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--gas-limit", "100000000"]
    proc = subprocess.Popen([*cmd, *extra_args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 60}))
        for _ in range(100):
            if proc.poll() is not None:
                raise RuntimeError(f"anvil exited with status {proc.returncode}")
            if client.is_connected():
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("anvil did not answer within 10 s")
        client.eth.default_account = client.eth.accounts[0]
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def eth_tester_web3():
    """A Web3 on a fresh in-process py-evm chain (eth-tester's PyEVMBackend, its default fork)."""
    eth_tester = pytest.importorskip("eth_tester", reason='needs eth-tester[py-evm] (pip install "eth-tester[py-evm]")')
    pytest.importorskip("eth", reason="needs py-evm (pip install 'eth-tester[py-evm]')")
    from web3 import EthereumTesterProvider, Web3

    client = Web3(EthereumTesterProvider(eth_tester.EthereumTester(eth_tester.PyEVMBackend())))
    client.eth.default_account = client.eth.accounts[0]
    return client


def deploy(w3, artifact: dict, *args):
    """Deploy a compiled contract (abi + bytecode) and return the web3 contract object
    (contracts.deploy.deploy_contract: the deployment the demo and `hush pool deploy` use)."""
    from contracts.deploy import deploy_contract

    address, _ = deploy_contract(w3, artifact, w3.eth.default_account, *args, gas=GAS)
    return w3.eth.contract(address=address, abi=artifact["abi"])


def send(w3, fn, sender: str | None = None) -> dict:
    """Send fn as a transaction with GAS, wait for it and require success (anvil may answer before mining)."""
    tx: dict = {"gas": GAS}
    if sender:
        tx["from"] = sender
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact(tx))
    assert receipt.status == 1, f"transaction {fn.fn_name} failed"
    return receipt


def selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert data of a failed call: web3's `.data` (anvil) or the bytes literal in
    eth-tester's "execution reverted: b'...'" message; None when neither is there."""
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes):
        return data
    msg = str(exc.args[0]) if exc.args else ""
    for prefix in ("execution reverted: ", ""):
        if msg.startswith(prefix + "b'") or msg.startswith(prefix + 'b"'):
            try:
                lit = ast.literal_eval(msg[len(prefix) :])
            except (SyntaxError, ValueError):
                return None
            return lit if isinstance(lit, bytes) else None
    return None


def revert_errors() -> tuple[type[BaseException], ...]:
    """The exceptions a reverted call raises on either backend."""
    from web3.exceptions import ContractCustomError, ContractLogicError

    errors: tuple[type[BaseException], ...] = (ContractCustomError, ContractLogicError)
    try:
        from eth_tester.exceptions import TransactionFailed
    except ImportError:
        return errors
    return (*errors, TransactionFailed)


def expect_revert(fn, error: str | None = None, **tx) -> None:
    """fn (a web3 ContractFunction) must revert when called; with `error` ("Name(types)"), with that custom error."""
    with pytest.raises(revert_errors()) as info:
        fn.call({"gas": GAS, **tx})
    if error is not None:
        data = revert_data(info.value)
        assert data is not None and data[:4] == selector(error), (
            f"expected revert {error}, got {info.value!r} data {data!r}"
        )


def write_json(path: Path, obj) -> Path:
    path.write_text(json.dumps(obj))
    return path
