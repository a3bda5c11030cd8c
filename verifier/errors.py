"""Typed verification errors: `verify()` returns nothing or raises one of these, with a reason.

All derive from `VerificationError` (itself a ValueError), so a caller that only needs "accepted or
not" catches one class, and one that must answer differently (HTTP 422 for bad input, a failed proof
for a well-formed forgery) can tell them apart.
"""

from __future__ import annotations


class VerificationError(ValueError):
    """A proof, its public inputs or the verifying key was refused."""


class VerifyingKeyError(VerificationError):
    """The verifying key is malformed or unsafe: wrong JSON, IC length != nPublic + 1, a point off its
    curve or outside its subgroup, gamma == delta, delta the G2 generator, a wrong vk_alphabeta_12."""


class MalformedProof(VerificationError):
    """The proof is not a well-formed Groth16 proof: wrong JSON shape, a non-decimal or >= q coordinate,
    a projective z other than 1, a point off its curve, at infinity, or (B) outside G2."""


class PublicInputError(VerificationError):
    """Wrong number of public inputs, or one that is not a canonical field element in [0, r)."""


class InvalidProof(VerificationError):
    """Well-formed proof and inputs, but the pairing equation does not hold: the proof is false."""
