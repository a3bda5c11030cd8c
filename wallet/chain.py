"""The chain side of the wallet (web3.py): the pool's events and views, `transact`, relayers and a
local deployment (token, Poseidon, Groth16 verifier generated from the proving key, pool).

A transfer goes to `ShieldedPool.transact(proof, extData)` with
    proof   = (a, b, c, root, publicAmount, extDataHash, inputNullifiers, outputCommitments)
    extData = (recipient, relayer, fee, encryptedOutputs, depositor)
A deposit is sent by its depositor (the pool pulls the tokens from extData.depositor and requires
it to be msg.sender); any other transfer by any account, usually a `Relayer` — an account that
submits other people's transfers and is paid by the `fee` the transfer itself moves to
`extData.relayer`. A relayer never submits a deposit: it would be the one paying for it.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contracts.deploy import Deployment, deploy_pool
from transfer.constants import AMOUNT_BITS, SHAPES

from .addresses import checksum as _checksum

if TYPE_CHECKING:  # web3 is imported where it is used: a wallet that only syncs does not load it
    from web3 import Web3

__all__ = ["PoolClient", "Relayer", "Deployment", "deploy_local", "start_anvil", "ZERO_ADDRESS", "Event", "TxResult"]

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "contracts" / "artifacts"
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ZERO_ADDRESS = "0x" + "00" * 20


def artifact(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


@dataclass(frozen=True)
class Event:
    """A pool event in chain order: kind "commitment" (value, index, ciphertext) or "nullifier" (value)."""

    kind: str
    block: int
    log_index: int
    tx: str
    value: int
    index: int = -1
    ciphertext: bytes = b""


@dataclass(frozen=True)
class TxResult:
    tx: str
    block: int
    gas_used: int


class PoolClient:
    """A ShieldedPool at `address` and its token."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.address = _checksum(address)
        self.contract = w3.eth.contract(address=self.address, abi=artifact("ShieldedPool")["abi"])
        self.token_address = self.contract.functions.token().call()
        self.token = w3.eth.contract(address=self.token_address, abi=artifact("TestToken")["abi"])
        self.chain_id = w3.eth.chain_id
        self.levels = int(self.contract.functions.levels().call())
        self.verifier_16x2 = self.contract.functions.verifier16x2().call()

    # -- views -----------------------------------------------------------------------------------
    def last_root(self, block: int | str = "latest") -> int:
        return int(self.contract.functions.getLastRoot().call(block_identifier=block))

    def is_known_root(self, root: int) -> bool:
        return bool(self.contract.functions.isKnownRoot(root).call())

    def is_spent(self, nullifier: int) -> bool:
        return bool(self.contract.functions.nullifierHashes(nullifier).call())

    def balance_of(self, who: str) -> int:
        return int(self.token.functions.balanceOf(_checksum(who)).call())

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    def events(self, from_block: int, to_block: int, chunk: int = 5000) -> Iterator[Event]:
        """NewCommitment and NewNullifier events in [from_block, to_block], in chain order."""
        ev = self.contract.events
        start = from_block
        while start <= to_block:
            end = min(to_block, start + chunk - 1)
            batch: list[Event] = []
            for log in ev.NewCommitment().get_logs(from_block=start, to_block=end):
                a = log["args"]
                batch.append(
                    Event(
                        "commitment", log["blockNumber"], log["logIndex"], log["transactionHash"].to_0x_hex(),
                        int(a["commitment"]), int(a["index"]), bytes(a["encryptedOutput"]),
                    )
                )
            for log in ev.NewNullifier().get_logs(from_block=start, to_block=end):
                batch.append(
                    Event(
                        "nullifier", log["blockNumber"], log["logIndex"], log["transactionHash"].to_0x_hex(),
                        int(log["args"]["nullifier"]),
                    )
                )
            batch.sort(key=lambda e: (e.block, e.log_index))
            yield from batch
            start = end + 1

    # -- transactions ----------------------------------------------------------------------------
    def send(self, fn: Any, sender: str) -> TxResult:
        tx = fn.transact({"from": _checksum(sender)})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx, timeout=120)
        if receipt.status != 1:
            raise RuntimeError(f"transaction {tx.to_0x_hex()} ({fn.fn_name}) reverted")
        return TxResult(receipt.transactionHash.to_0x_hex(), receipt.blockNumber, receipt.gasUsed)

    def transact(self, proof: tuple, ext: tuple, sender: str) -> TxResult:
        fn = self.contract.functions.transact(proof, ext)
        fn.call({"from": _checksum(sender)})  # surface a revert reason before sending
        return self.send(fn, sender)

    def approve(self, owner: str, amount: int) -> TxResult:
        return self.send(self.token.functions.approve(self.address, amount), owner)


class Relayer:
    """An Ethereum account that submits shielded transfers and earns their fee (extData.relayer)."""

    def __init__(self, pool: PoolClient, account: str, min_fee: int = 0) -> None:
        self.pool = pool
        self.address = _checksum(account)
        self.min_fee = min_fee

    def submit(self, proof: tuple, ext: tuple) -> TxResult:
        """Send someone's transfer from this relayer's account; refuses deposits (SECURITY: a relayer is
        never made to pay for a deposit) and transfers that do not pay this relayer its minimum fee."""
        recipient, relayer, fee, _, depositor = ext
        public_amount = int(proof[4])
        if 0 < public_amount < 1 << AMOUNT_BITS or int(depositor, 16) != 0:
            raise ValueError(
                "relayer: refusing a deposit (public amount > 0): its depositor must send it from its own account"
            )
        if _checksum(relayer) != self.address:
            raise ValueError(f"relayer: the transfer pays its fee to {relayer}, not to this relayer {self.address}")
        if fee < self.min_fee:
            raise ValueError(f"relayer: fee {fee} is below this relayer's minimum {self.min_fee}")
        return self.pool.transact(proof, ext, self.address)


# --- local chain and deployment -------------------------------------------------------------------


def start_anvil(port: int, *, timeout: float = 15.0) -> tuple[subprocess.Popen, Web3]:
    """anvil on 127.0.0.1:port (node_modules' binary); returns the process and a connected Web3."""
    if not ANVIL.is_file():
        raise FileNotFoundError(f"anvil not installed at {ANVIL} (npm install)")
    from web3 import Web3

    proc = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--gas-limit", "100000000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 60}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"anvil exited with status {proc.returncode}")
        if w3.is_connected():
            return proc, w3
        time.sleep(0.1)
    proc.terminate()
    proc.wait()
    raise RuntimeError(f"anvil did not answer within {timeout} s")


def stop_process(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def verifier_artifact(vkey: dict, levels: int) -> dict:
    """The Groth16 verifier contract for a verification key of a circuit whose tree has `levels`
    levels (generated with that LEVELS constant, compiled with the pinned solc)."""
    from contracts.deploy import verifier_artifact as generate

    return generate(vkey, levels)


def deploy_local(
    w3: Web3, deployer: str, vkeys: dict[str, dict], *, max_deposit: int = 2**120 - 1, levels: int | None = None
) -> Deployment:
    """Deploy PoseidonT3, TestToken, the verifier(s) of `vkeys` ({"transfer_2x2": vkey, ...}) and the pool
    (contracts.deploy.deploy_pool: the one deployment the demo, the tests and `hush pool deploy` share).

    Each verifier carries its circuit's tree depth (SHAPES); the pool is deployed at `levels` (by default
    that depth) and refuses any other."""
    return deploy_pool(w3, deployer, vkeys, max_deposit=max_deposit, levels=levels or SHAPES["transfer_2x2"].levels)


def proof_args(proof_json: dict, signals: Sequence[int], n_ins: int) -> tuple:
    """The `Proof` struct of transact from a snarkjs proof and the public signals."""
    from verifier.solidity import proof_to_evm

    a, b, c = proof_to_evm(proof_json)
    s = list(signals)
    return (
        list(a), [list(b[0]), list(b[1])], list(c),
        s[0], s[1], s[3], s[4 : 4 + n_ins], s[4 + n_ins : 6 + n_ins],
    )
