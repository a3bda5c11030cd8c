"""External data of a transfer and its hash, the circuit's public `extDataHash`.

The contract recomputes it as

    uint256(keccak256(abi.encode(recipient, relayer, fee, encryptedOutputs, depositor, chainId, address(this)))) % r

with the Solidity types (address, address, uint256, bytes[], address, uint256, address): the ABI
encoding of those seven values as one argument list (no outer struct offset). Binding it makes a
proof useless with another recipient, relayer, fee, ciphertext, depositor, chain or pool.
`depositor` is the account a deposit's tokens come from: the pool requires it to be the sender of
a deposit (and the zero address otherwise), so nobody — a relayer least of all — can be made to
pay for someone else's deposit. ABI encoding by eth-abi, Keccak-256 by pycryptodome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from Crypto.Hash import keccak

from .constants import AMOUNT_BITS, R

__all__ = ["ExtData", "EXT_DATA_TYPES", "ZERO_ADDRESS", "keccak256"]

EXT_DATA_TYPES = ("address", "address", "uint256", "bytes[]", "address", "uint256", "address")
ZERO_ADDRESS = "0x" + "00" * 20
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def _address(what: str, a: object) -> str:
    if not isinstance(a, str) or not _ADDRESS.fullmatch(a):
        raise ValueError(f"{what}: expected a 0x-prefixed 20-byte hex address, got {a!r}")
    return a


@dataclass(frozen=True)
class ExtData:
    recipient: str
    relayer: str
    fee: int
    encrypted_outputs: tuple[bytes, ...]
    chain_id: int
    pool: str
    depositor: str = ZERO_ADDRESS
    """A deposit's payer, who must send it; the zero address for a transfer without a deposit."""

    def __post_init__(self) -> None:
        _address("recipient", self.recipient)
        _address("relayer", self.relayer)
        _address("pool", self.pool)
        _address("depositor", self.depositor)
        if isinstance(self.fee, bool) or not isinstance(self.fee, int) or not 0 <= self.fee < 1 << AMOUNT_BITS:
            raise ValueError(f"fee: expected an int in [0, 2^{AMOUNT_BITS}), got {self.fee!r}")
        if isinstance(self.chain_id, bool) or not isinstance(self.chain_id, int) or not 0 < self.chain_id < 1 << 256:
            raise ValueError(f"chain id: expected an int in [1, 2^256), got {self.chain_id!r}")
        if not isinstance(self.encrypted_outputs, tuple) or not all(
            isinstance(c, bytes) for c in self.encrypted_outputs
        ):
            raise ValueError("encrypted outputs: expected a tuple of bytes")

    def encode(self) -> bytes:
        """abi.encode(recipient, relayer, fee, encryptedOutputs, depositor, chainId, pool)."""
        from eth_abi import encode as abi_encode  # here: a wallet that only syncs never loads eth_abi

        return abi_encode(
            list(EXT_DATA_TYPES),
            [
                self.recipient, self.relayer, self.fee, list(self.encrypted_outputs), self.depositor,
                self.chain_id, self.pool,
            ],
        )

    def as_tuple(self) -> tuple:
        """ShieldedPool.ExtData as web3 takes it: (recipient, relayer, fee, encryptedOutputs, depositor)."""
        return (self.recipient, self.relayer, self.fee, list(self.encrypted_outputs), self.depositor)

    def hash(self) -> int:
        """extDataHash = keccak256(encode()) mod r."""
        return int.from_bytes(keccak256(self.encode()), "big") % R
