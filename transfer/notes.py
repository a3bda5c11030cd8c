"""Notes: (amount, owner, blinding, tokenId), their commitments and nullifiers (twins of
circuits/lib/commitment.circom and circuits/lib/nullifier.circom).

    commitment = Poseidon(amount, owner, blinding, tokenId)
    nullifier  = Poseidon(nk, commitment, leafIndex)
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from .constants import AMOUNT_BITS, R
from .poseidon import poseidon

__all__ = ["Note", "commitment", "nullifier", "random_blinding", "check_field", "check_amount"]


def check_field(what: str, x: object) -> int:
    """x as a field element: an int in [0, r), else an error saying what came."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{what}: expected an int in [0, r), got {type(x).__name__} {x!r}")
    if not 0 <= x < R:
        raise ValueError(f"{what}: expected an integer in [0, r), got {x}")
    return x


def check_amount(what: str, x: object) -> int:
    """x as an amount: an int in [0, 2^AMOUNT_BITS)."""
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{what}: expected an int amount, got {type(x).__name__} {x!r}")
    if not 0 <= x < 1 << AMOUNT_BITS:
        raise ValueError(f"{what}: expected an amount in [0, 2^{AMOUNT_BITS}), got {x}")
    return x


def random_blinding() -> int:
    """A uniformly random blinding factor in [0, r) from the OS CSPRNG."""
    return secrets.randbelow(R)


def commitment(amount: int, owner: int, blinding: int, token_id: int) -> int:
    return poseidon([amount, owner, blinding, token_id])


def nullifier(nk: int, note_commitment: int, leaf_index: int) -> int:
    return poseidon([nk, note_commitment, leaf_index])


@dataclass(frozen=True, repr=False)
class Note:
    """A shielded note; the repr hides the blinding."""

    amount: int
    owner: int
    blinding: int
    token_id: int

    def __post_init__(self) -> None:
        check_amount("note amount", self.amount)
        check_field("note owner", self.owner)
        check_field("note blinding", self.blinding)
        check_field("note token id", self.token_id)

    @property
    def commitment(self) -> int:
        return commitment(self.amount, self.owner, self.blinding, self.token_id)

    def nullifier(self, nk: int, leaf_index: int) -> int:
        return nullifier(check_field("nk", nk), self.commitment, check_field("leaf index", leaf_index))

    def __repr__(self) -> str:
        return f"Note(amount={self.amount}, owner={self.owner}, token_id={self.token_id}, blinding=<hidden>)"
