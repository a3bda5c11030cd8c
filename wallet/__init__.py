"""Hush wallet SDK: keys and addresses, encrypted notes, a synced note store, coin selection, and
transfers (deposit, private send, withdraw) proved locally or by the prover farm and submitted with
web3.py, directly or through a relayer. See wallet.wallet for the flow, wallet.demo for a run."""

from importlib import import_module
from typing import Any

# Names are imported on first use (PEP 562): `import wallet.cli` for `hush wallet address` must not
# pay for web3, the prover or numba.
_WHERE = {
    "FarmClient": "backends", "FarmError": "backends", "LocalProver": "backends", "ProofBackend": "backends",
    "ProofFailed": "backends", "ProofOutput": "backends",
    "PoolClient": "chain", "Relayer": "chain", "deploy_local": "chain",
    "Address": "keys", "AddressError": "keys", "WalletKeys": "keys",
    "decrypt_note": "notes", "encrypt_note": "notes",
    "NoteStore": "store",
    "InsufficientFunds": "wallet", "StaleRootError": "wallet", "TransferResult": "wallet", "Wallet": "wallet",
    "WalletError": "wallet",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Address",
    "AddressError",
    "FarmClient",
    "FarmError",
    "InsufficientFunds",
    "LocalProver",
    "NoteStore",
    "PoolClient",
    "ProofBackend",
    "ProofFailed",
    "ProofOutput",
    "Relayer",
    "StaleRootError",
    "TransferResult",
    "Wallet",
    "WalletError",
    "WalletKeys",
    "decrypt_note",
    "deploy_local",
    "encrypt_note",
]
