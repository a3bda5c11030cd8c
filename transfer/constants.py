"""Protocol constants of the transfer circuits, mirrored from circuits/ (tests check they agree).

AMOUNT_BITS (circuits/lib/constants.circom): every note amount, the fee and |publicAmount| are below
2^120 — 1.3e18 whole tokens at 18 decimals — while with at most 16 inputs the conservation sums stay
below 2^125, far from r ~ 2^253.6, so the circuit's equality mod r is an equality of integers.

DEFAULT_LEVELS: Merkle tree depth 24, 2^24 = 16.7 million notes (8.4 million two-output
transfers); the 2x2 circuit stays below 2^15 constraints (see circuits/manifest.json).
"""

from __future__ import annotations

from dataclasses import dataclass

from bn254.constants import R

__all__ = [
    "R",
    "AMOUNT_BITS",
    "MAX_AMOUNT",
    "MIN_PUBLIC_AMOUNT",
    "MAX_PUBLIC_AMOUNT",
    "DEFAULT_LEVELS",
    "TransferShape",
    "SHAPES",
    "SPEND_AUTH_VERSION",
]

AMOUNT_BITS = 120
MAX_AMOUNT = (1 << AMOUNT_BITS) - 1
"""Largest note amount or fee the circuit accepts."""
MIN_PUBLIC_AMOUNT = -(1 << AMOUNT_BITS)
MAX_PUBLIC_AMOUNT = (1 << AMOUNT_BITS) - 1
"""publicAmount: the circuit checks publicAmount + 2^bits with Num2Bits(bits + 1), i.e. [-2^bits, 2^bits)."""
DEFAULT_LEVELS = 24
SPEND_AUTH_VERSION = 1
"""Version of the Transfer template's spend message, hashed into its domain tag (circuits/transfer.circom)."""


@dataclass(frozen=True)
class TransferShape:
    """One compiled instance of `Transfer(levels, nIns, nOuts)`."""

    levels: int
    n_ins: int
    n_outs: int

    @property
    def n_public(self) -> int:
        return 4 + self.n_ins + self.n_outs

    @property
    def domain_tag(self) -> int:
        """SpendDomainTag(version, levels, nIns, nOuts) of circuits/lib/spend_auth.circom: the first
        input of the signed message, so a signature holds for this version, shape and depth only."""
        return (
            (int.from_bytes(b"hush", "big") << 64) + (SPEND_AUTH_VERSION << 48) + (self.levels << 32)
            + (self.n_ins << 16) + self.n_outs
        )

    def public_input_names(self) -> list[str]:
        """The public signals in order, as named in the circuit."""
        return (
            ["root", "publicAmount", "fee", "extDataHash"]
            + [f"inputNullifier[{i}]" for i in range(self.n_ins)]
            + [f"outputCommitment[{j}]" for j in range(self.n_outs)]
        )


SHAPES: dict[str, TransferShape] = {
    "transfer_2x2": TransferShape(DEFAULT_LEVELS, 2, 2),
    "transfer_16x2": TransferShape(DEFAULT_LEVELS, 16, 2),
}
"""Circuit name (circuits/main/<name>.circom) -> shape."""
