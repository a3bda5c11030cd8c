"""Python ints <-> 64-bit limb arrays, in standard and Montgomery form, for BN254's Fq and Fr.

The binary formats snarkjs writes (.zkey, .ptau) store field elements as 32 little-endian bytes;
curve points in Montgomery form x*2^256 mod q, witness values (.wtns) and R1CS coefficients in
standard form. Read as `<u8`, 32 bytes are four little-endian 64-bit limbs: exactly the
`(n, 4) uint64` representation of the numba kernels in `bn254.fields`. The helpers here are the
host-side edge of that representation: vectorised through `int.to_bytes` / `np.frombuffer`, so
converting 10^6 values costs about a second, not a Python loop over limbs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from bn254.constants import Q, R

__all__ = [
    "Q",
    "R",
    "N8",
    "MONT_R",
    "int_to_bytes",
    "bytes_to_int",
    "ints_to_limbs",
    "limbs_to_ints",
    "int_to_limbs",
    "limbs_to_int",
    "to_mont",
    "from_mont",
    "ints_to_mont_limbs",
    "mont_limbs_to_ints",
    "check_range",
    "G1Point",
    "G2Point",
    "g1_from_limbs",
    "g1_to_limbs",
    "g2_from_limbs",
    "g2_to_limbs",
    "g1_uncompressed",
    "g2_uncompressed",
]

N8 = 32
"""Bytes per field element of both BN254 fields (n8q = n8r = 32 in snarkjs headers)."""

MONT_R = 1 << 256
"""The Montgomery radix R = 2^256 (four 64-bit limbs)."""

_MAX = 1 << 256


def int_to_bytes(x: int, n8: int = N8) -> bytes:
    """`x` as `n8` little-endian bytes (snarkjs `Scalar.toRprLE`)."""
    return int(x).to_bytes(n8, "little")


def bytes_to_int(b: bytes | bytearray | memoryview | np.ndarray) -> int:
    """Little-endian bytes (or a uint8/uint64 numpy array holding them) as an int."""
    if isinstance(b, np.ndarray):
        b = np.ascontiguousarray(b).tobytes()
    return int.from_bytes(bytes(b), "little")


def int_to_limbs(x: int) -> np.ndarray:
    """One 256-bit integer as a (4,) uint64 array of little-endian limbs."""
    x = int(x)
    if not 0 <= x < _MAX:
        raise ValueError(f"expected an integer in [0, 2^256), got {x}")
    return np.frombuffer(x.to_bytes(32, "little"), dtype="<u8").astype(np.uint64)


def limbs_to_int(limbs: np.ndarray | Sequence[int]) -> int:
    """(4,) little-endian uint64 limbs as an int."""
    a = np.asarray(limbs, dtype=np.uint64)
    if a.shape != (4,):
        raise ValueError(f"expected 4 limbs, got shape {a.shape}")
    return int.from_bytes(a.astype("<u8").tobytes(), "little")


def ints_to_limbs(values: Iterable[int]) -> np.ndarray:
    """Integers in [0, 2^256) as an (n, 4) uint64 array of little-endian limbs (standard form)."""
    vals = [int(v) for v in values]
    for v in vals:
        if not 0 <= v < _MAX:
            raise ValueError(f"expected an integer in [0, 2^256), got {v}")
    buf = b"".join(v.to_bytes(32, "little") for v in vals)
    return np.frombuffer(buf, dtype="<u8").astype(np.uint64).reshape(len(vals), 4)


def limbs_to_ints(arr: np.ndarray) -> list[int]:
    """An (..., 4) uint64 limb array as a flat list of ints (row-major over the leading axes)."""
    a = np.asarray(arr)
    if a.shape[-1:] != (4,):
        raise ValueError(f"expected an (..., 4) limb array, got shape {a.shape}")
    raw = np.ascontiguousarray(a, dtype="<u8").tobytes()
    return [int.from_bytes(raw[i : i + 32], "little") for i in range(0, len(raw), 32)]


def to_mont(x: int, modulus: int) -> int:
    """x * 2^256 mod modulus: the Montgomery form snarkjs stores points in."""
    return (int(x) << 256) % modulus


def from_mont(x: int, modulus: int) -> int:
    """x * 2^-256 mod modulus."""
    return int(x) * pow(MONT_R, -1, modulus) % modulus


def check_range(values: Iterable[int], modulus: int, what: str = "value") -> None:
    """Raise ValueError naming the first value outside [0, modulus)."""
    for i, v in enumerate(values):
        if not 0 <= v < modulus:
            raise ValueError(f"{what} {i} is {v}, expected an integer in [0, {modulus})")


def ints_to_mont_limbs(values: Iterable[int], modulus: int) -> np.ndarray:
    """Integers in [0, modulus) as (n, 4) uint64 limbs of their Montgomery form."""
    vals = [int(v) for v in values]
    check_range(vals, modulus)
    return ints_to_limbs((v << 256) % modulus for v in vals)


def mont_limbs_to_ints(arr: np.ndarray, modulus: int) -> list[int]:
    """(..., 4) uint64 Montgomery-form limbs as standard ints (flat, row-major)."""
    rinv = pow(MONT_R, -1, modulus)
    return [v * rinv % modulus for v in limbs_to_ints(arr)]


# --- curve points as stored by snarkjs ("LEM": little-endian, Montgomery) ----------------------------
#
# G1 affine (x, y): 64 bytes = x, y; an (.., 2, 4) uint64 limb array.
# G2 affine (x, y) with x = x.c0 + x.c1*u: 128 bytes = x.c0, x.c1, y.c0, y.c1; an (.., 2, 2, 4) array.
# Each coordinate is 32 bytes little-endian in Montgomery form (x * 2^256 mod q).
# The point at infinity is stored as all zeros (snarkjs' zeroAffine); (0, 0) is not on either curve,
# so the encoding is unambiguous. Python-side points are tuples of ints in standard form, None for
# infinity: G1 (x, y), G2 ((x.c0, x.c1), (y.c0, y.c1)).

G1Point = tuple[int, int] | None
G2Point = tuple[tuple[int, int], tuple[int, int]] | None

_QRINV = pow(MONT_R, -1, Q)


def g1_from_limbs(a: np.ndarray) -> G1Point:
    """A stored G1 point ((2, 4) Montgomery limbs) as standard-form ints; None for infinity."""
    x, y = limbs_to_ints(np.asarray(a).reshape(2, 4))
    if x == 0 and y == 0:
        return None
    return (x * _QRINV % Q, y * _QRINV % Q)


def g2_from_limbs(a: np.ndarray) -> G2Point:
    """A stored G2 point ((2, 2, 4) Montgomery limbs) as standard-form ints; None for infinity."""
    v = limbs_to_ints(np.asarray(a).reshape(4, 4))
    if not any(v):
        return None
    x0, x1, y0, y1 = (c * _QRINV % Q for c in v)
    return ((x0, x1), (y0, y1))


def g1_to_limbs(p: G1Point) -> np.ndarray:
    """(2, 4) Montgomery limbs of a G1 point given in standard-form ints (None: infinity)."""
    if p is None:
        return np.zeros((2, 4), dtype=np.uint64)
    check_range(p, Q, "G1 coordinate")
    return ints_to_limbs(to_mont(c, Q) for c in p)


def g2_to_limbs(p: G2Point) -> np.ndarray:
    """(2, 2, 4) Montgomery limbs of a G2 point ((x.c0, x.c1), (y.c0, y.c1)) (None: infinity)."""
    if p is None:
        return np.zeros((2, 2, 4), dtype=np.uint64)
    coords = [p[0][0], p[0][1], p[1][0], p[1][1]]
    check_range(coords, Q, "G2 coordinate")
    return ints_to_limbs(to_mont(c, Q) for c in coords).reshape(2, 2, 4)


def g1_uncompressed(a: np.ndarray) -> bytes:
    """snarkjs' `toRprUncompressed` of a stored G1 point: x || y, 32 bytes big-endian each, standard
    form; all zeros for infinity. This is what snarkjs hashes (circuit hash, MPC transcripts)."""
    p = g1_from_limbs(a)
    if p is None:
        return bytes(64)
    return p[0].to_bytes(32, "big") + p[1].to_bytes(32, "big")


def g2_uncompressed(a: np.ndarray) -> bytes:
    """snarkjs' `toRprUncompressed` of a stored G2 point: x.c1 || x.c0 || y.c1 || y.c0, 32 bytes
    big-endian each (each Fq2 element byte-reversed as a whole), standard form; zeros for infinity."""
    p = g2_from_limbs(a)
    if p is None:
        return bytes(128)
    (x0, x1), (y0, y1) = p
    return b"".join(c.to_bytes(32, "big") for c in (x1, x0, y1, y0))
