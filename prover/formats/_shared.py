"""Pieces shared by the zkey and ptau codecs: point-array checks and MPC contribution parameters."""

from __future__ import annotations

import os

import numpy as np

from ._kernels import first_not_below_q
from .binfile import FormatError, SectionReader
from .encoding import N8

G1_BYTES = 2 * N8
G2_BYTES = 4 * N8

PARAM_NAME = 1
PARAM_ITERATIONS = 2
PARAM_BEACON_HASH = 3


def read_params(r: SectionReader, where: str) -> tuple[str | None, int | None, bytes | None]:
    """The (name, numIterationsExp, beaconHash) parameter block shared by zkey and ptau contributions."""
    length = r.u32("paramLength")
    end = r.pos + length
    if end > r.size:
        raise FormatError(f"{where}: parameters of {length} bytes run past the section")
    name = iters = beacon = None
    last = 0
    while r.pos < end:
        kind = r.take(1, "parameter id")[0]
        if kind <= last:
            raise FormatError(f"{where}: contribution parameters must be sorted by id, got {kind} after {last}")
        last = int(kind)
        if kind == PARAM_NAME:
            n = int(r.take(1, "name length")[0])
            raw = r.take(n, "name").tobytes()
            try:
                name = raw.decode("utf-8")
            except UnicodeDecodeError:
                raise FormatError(f"{where}: contribution name is not UTF-8: {raw!r}") from None
        elif kind == PARAM_ITERATIONS:
            iters = int(r.take(1, "numIterationsExp")[0])
        elif kind == PARAM_BEACON_HASH:
            n = int(r.take(1, "beacon hash length")[0])
            beacon = r.take(n, "beacon hash").tobytes()
        else:
            raise FormatError(f"{where}: unknown contribution parameter id {kind}")
    if r.pos != end:
        raise FormatError(f"{where}: parameters end at {r.pos}, expected {end}")
    return name, iters, beacon


def encode_params(ctype: int, name: str | None, iters: int | None, beacon: bytes | None) -> bytes:
    """paramLength u32 + params, as snarkjs writes them (a name is cut to 64 UTF-16 units there; we
    refuse names over 255 bytes rather than cut them)."""
    out = bytearray()
    if name:
        raw = name.encode("utf-8")
        if len(raw) > 255:
            raise ValueError(f"contribution name is {len(raw)} bytes, at most 255 fit")
        out += bytes([PARAM_NAME, len(raw)]) + raw
    if ctype == 1:
        if iters is None or beacon is None:
            raise ValueError("a beacon contribution (type 1) needs num_iterations_exp and beacon_hash")
        if not 0 <= iters < 256 or len(beacon) > 255:
            raise ValueError("num_iterations_exp must fit a byte and beacon_hash at most 255 bytes")
        out += bytes([PARAM_ITERATIONS, iters, PARAM_BEACON_HASH, len(beacon)]) + beacon
    return len(out).to_bytes(4, "little") + bytes(out)


def check_q(path: str | os.PathLike, section: int, arr: np.ndarray) -> None:
    bad = first_not_below_q(arr)
    if bad >= 0:
        raise FormatError(f"{path}: section {section}: coordinate {bad} is not below q (not a Montgomery Fq element)")


def points_for_write(arr: np.ndarray, shape: tuple[int, ...], what: str, count: int | None = None) -> np.ndarray:
    a = np.asarray(arr)
    if a.dtype != np.uint64 or a.shape[-len(shape):] != shape or (count is not None and a.shape[0] != count):
        want = ((count,) if count is not None else ()) + shape
        raise ValueError(f"{what}: expected uint64 limbs of shape {want}, got {a.dtype} {a.shape}")
    bad = first_not_below_q(np.ascontiguousarray(a))
    if bad >= 0:
        raise ValueError(f"{what}: coordinate {bad} is not below q")
    return np.ascontiguousarray(a, dtype="<u8")
