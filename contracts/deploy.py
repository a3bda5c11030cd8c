"""Deploying a Hush pool, the one way the demo, the tests and `hush pool deploy` all use.

    dep = deploy_pool(w3, deployer, {"transfer_2x2": vkey_json, ...})   # token (test token if none
                                                                         # given), Poseidon, verifiers, pool
    write_deployment(dep, "hush-deployment.json"); read_deployment(path)

The deployment file is what a wallet needs to find the pool and start scanning, so that nobody
copies a block number by hand:

    {"version": 1, "chain_id", "rpc", "start_block", "deployer", "levels", "max_deposit",
     "contracts": {"pool", "token", "poseidon", "verifier_2x2", "verifier_16x2"},
     "token": {"symbol", "decimals", "test_token"},
     "verifying_keys": {"transfer_2x2": {"vkey_sha256", "zkey_sha256"?}, ...}}

`vkey_sha256` is the SHA-256 of the verification key as canonical JSON (snarkjs' fields, sorted keys,
no spaces): the key the pool's verifier contract was generated from, which a wallet or a farm
compares with the key it proves or verifies with.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Deployment",
    "DeploymentError",
    "DEV_CHAIN_IDS",
    "artifact",
    "deploy_contract",
    "deploy_pool",
    "verifier_artifact",
    "vkey_sha256",
    "dev_verifying_keys",
    "write_deployment",
    "read_deployment",
]

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ZERO_ADDRESS = "0x" + "00" * 20
DEPLOYMENT_VERSION = 1
DEV_CHAIN_IDS = frozenset({31337, 1337})
"""anvil and hardhat (31337), geth --dev and ganache (1337): chains where a test token is fitting."""
DEFAULT_LEVELS = 24
"""The transfer circuits' Merkle depth (transfer.constants.SHAPES), kept here so reading a deployment
file needs no circuit code."""


class DeploymentError(ValueError):
    """A deployment file that is missing or malformed, or a deployment that failed."""


@dataclass(frozen=True)
class Deployment:
    token: str
    pool: str
    hasher: str
    verifier_2x2: str
    verifier_16x2: str
    block: int
    """Block of the pool's deployment: where a wallet starts scanning."""
    chain_id: int = 0
    deployer: str = ""
    levels: int = DEFAULT_LEVELS
    max_deposit: int = 2**120 - 1
    token_symbol: str = ""
    token_decimals: int = 18
    test_token: bool = False
    verifying_keys: dict[str, dict[str, str]] = field(default_factory=dict)
    rpc: str = ""
    """The node the pool was deployed through (a hint for `hush wallet init`)."""

    def to_json(self) -> dict[str, Any]:
        return {
            "version": DEPLOYMENT_VERSION,
            "chain_id": self.chain_id,
            "rpc": self.rpc,
            "start_block": self.block,
            "deployer": self.deployer,
            "levels": self.levels,
            "max_deposit": str(self.max_deposit),
            "contracts": {
                "pool": self.pool,
                "token": self.token,
                "poseidon": self.hasher,
                "verifier_2x2": self.verifier_2x2,
                "verifier_16x2": self.verifier_16x2,
            },
            "token": {"symbol": self.token_symbol, "decimals": self.token_decimals, "test_token": self.test_token},
            "verifying_keys": self.verifying_keys,
        }

    @classmethod
    def from_json(cls, doc: Any, where: str = "deployment") -> Deployment:
        if not isinstance(doc, dict) or doc.get("version") != DEPLOYMENT_VERSION:
            raise DeploymentError(f"{where}: expected a version {DEPLOYMENT_VERSION} Hush deployment file")
        try:
            c, t = doc["contracts"], doc["token"]
            return cls(
                token=str(c["token"]),
                pool=str(c["pool"]),
                hasher=str(c["poseidon"]),
                verifier_2x2=str(c["verifier_2x2"]),
                verifier_16x2=str(c.get("verifier_16x2", ZERO_ADDRESS)),
                block=int(doc["start_block"]),
                chain_id=int(doc["chain_id"]),
                deployer=str(doc.get("deployer", "")),
                levels=int(doc.get("levels", DEFAULT_LEVELS)),
                max_deposit=int(doc.get("max_deposit", 2**120 - 1)),
                token_symbol=str(t.get("symbol", "")),
                token_decimals=int(t.get("decimals", 18)),
                test_token=bool(t.get("test_token", False)),
                verifying_keys=dict(doc.get("verifying_keys", {})),
                rpc=str(doc.get("rpc", "")),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise DeploymentError(f"{where}: malformed deployment file ({type(e).__name__}: {e})") from None


def write_deployment(dep: Deployment, path: str | os.PathLike) -> Path:
    path = Path(path)
    if path.parent != Path(""):
        path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(dep.to_json(), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def read_deployment(path: str | os.PathLike) -> Deployment:
    try:
        doc = json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise DeploymentError(f"{path}: no deployment file (make one with `hush pool deploy`)") from None
    except json.JSONDecodeError as e:
        raise DeploymentError(f"{path}: not valid JSON ({e})") from None
    return Deployment.from_json(doc, str(path))


# --- deploying ------------------------------------------------------------------------------------


def artifact(name: str) -> dict[str, Any]:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


def deploy_contract(w3: Any, art: dict[str, Any], sender: str, *args: Any, gas: int | None = None) -> tuple[str, int]:
    """Deploy a compiled contract (abi + bytecode) from `sender`; returns (address, block)."""
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    tx: dict[str, Any] = {"from": sender}
    if gas is not None:
        tx["gas"] = gas
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact(tx), timeout=120)
    if receipt.status != 1:
        raise DeploymentError(f"deployment of {art.get('contractName', 'a contract')} reverted")
    return receipt.contractAddress, receipt.blockNumber


def verifier_artifact(vkey: dict, levels: int) -> dict[str, Any]:
    """The Groth16 verifier contract for a verification key of a circuit whose tree has `levels` levels
    (generated with that LEVELS constant, compiled with the pinned solc)."""
    from contracts.build import compile_source
    from verifier.solidity import solidity_verifier

    return compile_source(solidity_verifier(vkey, levels=levels))["Groth16Verifier"]


def circuit_levels(circuit: str) -> int:
    """The Merkle depth a transfer circuit proves membership in (transfer.constants.SHAPES)."""
    from transfer.constants import SHAPES

    return SHAPES[circuit].levels


def vkey_sha256(vkey: dict) -> str:
    return hashlib.sha256(json.dumps(vkey, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def dev_verifying_keys(with_16x2: bool = False) -> tuple[dict[str, dict], dict[str, str]]:
    """({circuit: snarkjs verification key}, {circuit: zkey sha256}) of the development keys in
    build/keys (transfer_2x2, made if missing; transfer_16x2 too when asked and compiled)."""
    from hush.artifacts import circuit_files, ensure_dev_key
    from prover.formats.zkey import read_zkey
    from verifier.keys import verification_key_json

    circuits = ["transfer_2x2"]
    if with_16x2 and circuit_files("transfer_16x2").wasm.is_file():
        circuits.append("transfer_16x2")
    vkeys, zkey_hashes = {}, {}
    for c in circuits:
        zkey = ensure_dev_key(c)
        vkeys[c] = verification_key_json(read_zkey(zkey))
        zkey_hashes[c] = hashlib.sha256(zkey.read_bytes()).hexdigest()
    return vkeys, zkey_hashes


def deploy_pool(
    w3: Any,
    deployer: str,
    vkeys: dict[str, dict],
    *,
    token: str | None = None,
    max_deposit: int = 2**120 - 1,
    levels: int | None = None,
    zkey_hashes: dict[str, str] | None = None,
    gas: int | None = None,
) -> Deployment:
    """Deploy PoseidonT3, the token (TestToken unless `token` gives an ERC-20 address), the
    verifier(s) of `vkeys` ({"transfer_2x2": vkey, "transfer_16x2": vkey?}), each generated with its
    circuit's tree depth, and the ShieldedPool at `levels` (default that depth; it refuses any other)."""
    levels = levels or DEFAULT_LEVELS
    hasher, _ = deploy_contract(w3, artifact("PoseidonT3"), deployer, gas=gas)
    test_token = token is None
    if token is None:
        token, _ = deploy_contract(w3, artifact("TestToken"), deployer, gas=gas)
    v2, _ = deploy_contract(w3, verifier_artifact(vkeys["transfer_2x2"], circuit_levels("transfer_2x2")), deployer,
                            gas=gas)
    v16 = ZERO_ADDRESS
    if "transfer_16x2" in vkeys:
        v16, _ = deploy_contract(w3, verifier_artifact(vkeys["transfer_16x2"], circuit_levels("transfer_16x2")),
                                 deployer, gas=gas)
    pool, block = deploy_contract(
        w3, artifact("ShieldedPool"), deployer, levels, hasher, token, v2, v16, max_deposit, gas=gas
    )
    erc20 = w3.eth.contract(address=token, abi=artifact("TestToken")["abi"])
    symbol, decimals = _token_info(erc20)
    keys = {c: {"vkey_sha256": vkey_sha256(v)} for c, v in vkeys.items()}
    for c, h in (zkey_hashes or {}).items():
        keys.setdefault(c, {})["zkey_sha256"] = h
    return Deployment(
        token=token, pool=pool, hasher=hasher, verifier_2x2=v2, verifier_16x2=v16, block=block,
        chain_id=int(w3.eth.chain_id), deployer=deployer, levels=levels, max_deposit=max_deposit,
        token_symbol=symbol, token_decimals=decimals, test_token=test_token, verifying_keys=keys,
    )


def _token_info(erc20: Any) -> tuple[str, int]:
    """(symbol, decimals) of an ERC-20; ("", 18) for a token without the optional views."""
    try:
        symbol = str(erc20.functions.symbol().call())
    except Exception:  # noqa: BLE001 - symbol() is optional in ERC-20
        symbol = ""
    try:
        decimals = int(erc20.functions.decimals().call())
    except Exception:  # noqa: BLE001 - decimals() is optional in ERC-20
        decimals = 18
    return symbol, decimals
