"""Ethereum addresses as a person types them: EIP-55 checked before anything is proven or sent.

EIP-55 writes an address's hex letters in upper or lower case according to the keccak-256 of its
lower-case form, so a mistyped character is caught with probability about 1 - 2^-15 (for an address
with 15 letters). An address in one case only (all lower, all upper) carries no checksum: it is
refused unless the caller explicitly allows it (`allow_unchecked`), because nothing then protects a
withdrawal from a typo. A missing `0x`, a wrong length or a character that is not hex is refused.

This module is imported by the command-line wallet on every command, so it stays light: keccak from
pycryptodome, no web3.
"""

from __future__ import annotations

import re

from Crypto.Hash import keccak

__all__ = ["EthAddressError", "to_checksum", "checksum", "parse_eth_address", "is_checksummed"]

_HEX40 = re.compile(r"[0-9a-fA-F]{40}")


class EthAddressError(ValueError):
    """An Ethereum address that is malformed or fails its EIP-55 checksum."""


def to_checksum(address: str) -> str:
    """The EIP-55 form of a 0x-prefixed 40-hex-digit address (any case)."""
    body = address[2:].lower()
    digest = keccak.new(digest_bits=256, data=body.encode()).hexdigest()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(body, digest[:40], strict=True))


def checksum(address: str) -> str:
    """Any well-formed address (0x and 40 hex digits, any case) in its EIP-55 form, as
    web3's to_checksum_address; for addresses from code, not from a person (parse_eth_address)."""
    if not isinstance(address, str) or address[:2] not in ("0x", "0X") or not _HEX40.fullmatch(address[2:]):
        raise EthAddressError(f"expected 0x and 40 hex digits, got {address!r}")
    return to_checksum("0x" + address[2:])


def is_checksummed(address: str) -> bool:
    return len(address) == 42 and address[:2] == "0x" and _HEX40.fullmatch(address[2:]) is not None and (
        to_checksum(address) == address
    )


def _short(text: str) -> str:
    return text if len(text) <= 46 else text[:20] + "…" + text[-8:]


def parse_eth_address(text: str, what: str = "address", *, allow_unchecked: bool = False) -> str:
    """The checksummed address `text` stands for, or EthAddressError saying what is wrong.

    `what` names the argument in the message ("recipient", "--relayer", ...)."""
    t = text.strip()
    if not t.startswith("0x"):
        if _HEX40.fullmatch(t) or (t[:2] == "0X" and _HEX40.fullmatch(t[2:])):
            raise EthAddressError(f"{what} {_short(t)}: an Ethereum address starts with 0x (lower-case x)")
        raise EthAddressError(f"{what} {_short(t)!r}: expected an Ethereum address, 0x and 40 hex digits")
    body = t[2:]
    if len(body) != 40:
        raise EthAddressError(f"{what} {_short(t)}: expected 0x and 40 hex digits, got {len(body)} characters")
    if not _HEX40.fullmatch(body):
        bad = sorted(set(c for c in body if c not in "0123456789abcdefABCDEF"))
        raise EthAddressError(f"{what} {_short(t)}: {''.join(bad)!r} are not hex digits")
    checked = to_checksum(t)
    if checked == t:  # includes the rare addresses whose EIP-55 form is in one case
        return t
    if body == body.lower() or body == body.upper():
        if allow_unchecked:
            return checked
        raise EthAddressError(
            f"{what} {t} is written in one case only, so it has no EIP-55 checksum to catch a typo: "
            f"compare it with the source and pass --allow-unchecked-address, or paste the checksummed form"
        )
    if checked != t:
        raise EthAddressError(
            f"{what} {t} fails its EIP-55 checksum: it is mistyped or altered (nothing was proven or sent)"
        )
    return t
