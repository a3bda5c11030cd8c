"""Witnesses in snarkjs' .wtns format (`snarkjs/src/wtns_utils.js`, circom's `calculateWTNSBin`).

Sections (container: `binfile`, magic b"wtns", version 2):

    1 HEADER   n8 u32 | prime n8 bytes | nWitness u32
    2 WITNESS  nWitness values, n8 bytes each, little-endian, STANDARD form (not Montgomery)

As read, the witness is an (n, 4) uint64 view over the mapped file (four little-endian limbs per
value, standard form). Every value must be below the prime; only BN254's r is accepted. A witness
holds the prover's secrets: files are written with mode 0600.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from ._kernels import first_not_below_r
from .binfile import FormatError, read_binfile, write_binfile
from .encoding import N8, R, limbs_to_ints

__all__ = ["read_wtns", "read_wtns_ints", "write_wtns", "HEADER", "WITNESS"]

MAGIC = b"wtns"
VERSION = 2
HEADER = 1
WITNESS = 2


def read_wtns(path: str | os.PathLike) -> np.ndarray:
    """The witness as an (n, 4) uint64 array of standard-form limbs (a read-only view of the file)."""
    f = read_binfile(path, MAGIC, VERSION, known=(HEADER, WITNESS), required=(HEADER, WITNESS))
    h = f.reader(HEADER)
    n8 = h.u32("n8")
    if n8 != N8:
        raise FormatError(f"{path}: expected field size n8 = {N8}, got {n8}")
    prime = h.bigint(n8, "prime")
    if prime != R:
        raise FormatError(f"{path}: expected the BN254 scalar field prime {R}, got {prime}")
    n = h.u32("nWitness")
    h.end()
    body = f.body(WITNESS)
    if body.shape[0] != n * n8:
        raise FormatError(f"{path}: expected section {WITNESS} of {n * n8} bytes ({n} values), it has {body.shape[0]}")
    w = body.view("<u8").reshape(n, 4)
    bad = first_not_below_r(w)
    if bad >= 0:
        raise FormatError(f"{path}: witness value {bad} is {limbs_to_ints(w[bad])[0]}, not below the prime r")
    return w


def read_wtns_ints(path: str | os.PathLike) -> list[int]:
    """The witness as Python ints."""
    return limbs_to_ints(read_wtns(path))


def write_wtns(path: str | os.PathLike, values: Sequence[int] | np.ndarray, prime: int = R) -> None:
    """Write a witness (ints, or an (n, 4) uint64 standard-form array); every value must be < prime."""
    if prime != R:
        raise ValueError(f"only the BN254 scalar field is supported, got prime {prime}")
    if isinstance(values, np.ndarray) and values.dtype != object:
        if values.ndim != 2 or values.shape[1] != 4 or values.dtype != np.uint64:
            raise ValueError(f"expected (n, 4) uint64 limbs, got {values.shape} {values.dtype}")
        bad = first_not_below_r(np.ascontiguousarray(values))
        if bad >= 0:
            raise ValueError(f"witness value {bad} is {limbs_to_ints(values[bad])[0]}, expected it below {prime}")
        body = np.ascontiguousarray(values, dtype="<u8")
        n = values.shape[0]
    else:
        vals = list(values)
        for i, v in enumerate(vals):
            if isinstance(v, bool) or not isinstance(v, int | np.integer) or not 0 <= v < prime:
                raise ValueError(f"witness value {i} is {v!r}, expected an integer in [0, {prime})")
        body = b"".join(int(v).to_bytes(N8, "little") for v in vals)
        n = len(vals)
    header = N8.to_bytes(4, "little") + prime.to_bytes(N8, "little") + n.to_bytes(4, "little")
    write_binfile(path, MAGIC, VERSION, [(HEADER, [header]), (WITNESS, [body])], mode=0o600)
