"""Hush wallet SDK: keys and addresses, encrypted notes, a synced note store, coin selection, and
transfers (deposit, private send, withdraw) proved locally or by the prover farm and submitted with
web3.py, directly or through a relayer. See wallet.wallet for the flow, wallet.demo for a run."""

from .backends import FarmClient, FarmError, LocalProver, ProofBackend, ProofFailed, ProofOutput
from .chain import PoolClient, Relayer, deploy_local
from .keys import Address, AddressError, WalletKeys
from .notes import decrypt_note, encrypt_note
from .store import NoteStore
from .wallet import InsufficientFunds, StaleRootError, TransferResult, Wallet, WalletError

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
