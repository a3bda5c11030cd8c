"""prover.formats.wtns: layout (struct oracle), strictness, and round trips with snarkjs' files."""

from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from toolchain import snarkjs, write_input

from bn254.constants import Q, R
from prover.formats.binfile import FormatError
from prover.formats.encoding import ints_to_limbs
from prover.formats.wtns import read_wtns, read_wtns_ints, write_wtns

EDGE = [1, 0, 2, R - 1, R - 2, 2**64, 2**128 + 5, 12345678901234567890123456789]


def wtns_bytes(
    values: list[int], n8: int = 32, prime: int = R, n: int | None = None, version: int = 2, extra: bytes = b""
) -> bytes:
    h = struct.pack("<I", n8) + prime.to_bytes(n8, "little") + struct.pack("<I", len(values) if n is None else n)
    body = b"".join(v.to_bytes(n8, "little") for v in values) + extra
    out = b"wtns" + struct.pack("<II", version, 2)
    return out + struct.pack("<IQ", 1, len(h)) + h + struct.pack("<IQ", 2, len(body)) + body


def test_write_layout_and_read_back(tmp_path) -> None:
    p = tmp_path / "w.wtns"
    write_wtns(p, EDGE, R)
    assert p.read_bytes() == wtns_bytes(EDGE)
    assert os.stat(p).st_mode & 0o777 == 0o600
    w = read_wtns(p)
    assert w.shape == (len(EDGE), 4) and w.dtype == np.uint64
    assert read_wtns_ints(p) == EDGE
    assert np.array_equal(w, ints_to_limbs(EDGE))
    q = tmp_path / "from_limbs.wtns"
    write_wtns(q, w)
    assert q.read_bytes() == p.read_bytes()


@pytest.mark.parametrize("bad", [R, R + 1, 2**256 - 1, -1])
def test_write_rejects_out_of_range(tmp_path, bad: int) -> None:
    with pytest.raises(ValueError, match="witness value 2 is"):
        write_wtns(tmp_path / "w.wtns", [1, 5, bad])
    if bad >= 0:
        arr = ints_to_limbs([1, 5, bad])
        with pytest.raises(ValueError, match="witness value 2 is"):
            write_wtns(tmp_path / "w.wtns", arr)
    assert not (tmp_path / "w.wtns").exists()


@pytest.mark.parametrize(
    "data, message",
    [
        (wtns_bytes([1, R]), f"witness value 1 is {R}, not below the prime r"),
        (wtns_bytes([1, 2**256 - 1]), "witness value 1 is"),
        (wtns_bytes([1, 2], n=3), "expected section 2 of 96 bytes .3 values., it has 64"),
        (wtns_bytes([1, 2], extra=b"\0"), "expected section 2 of 64 bytes .2 values., it has 65"),
        (wtns_bytes([1, 2], prime=Q), "expected the BN254 scalar field prime"),
        (wtns_bytes([1, 2], n8=48), "expected field size n8 = 32, got 48"),
        (wtns_bytes([1, 2], version=1), "expected wtns version 2, got 1"),
        (wtns_bytes([1, 2])[:-1], "expected section 2 of 64 bytes, file has 63"),
        (b"zkey" + wtns_bytes([1])[4:], "expected magic b'wtns'"),
    ],
)
def test_read_strict(tmp_path, data: bytes, message: str) -> None:
    p = tmp_path / "bad.wtns"
    p.write_bytes(data)
    with pytest.raises(FormatError, match=message):
        read_wtns(p)


@pytest.mark.interop
def test_round_trip_snarkjs_wtns(mix_circuit, tmp_path) -> None:
    inputs = {"a": [[R - 1, 0], [3, 4], [5, 6]], "b": 2, "k": 3}
    theirs = tmp_path / "js.wtns"
    snarkjs("wtns", "calculate", mix_circuit.wasm, write_input(tmp_path / "in.json", inputs), theirs)
    ours = tmp_path / "py.wtns"
    write_wtns(ours, read_wtns(theirs))
    assert ours.read_bytes() == theirs.read_bytes()
    write_wtns(ours, read_wtns_ints(theirs))
    assert ours.read_bytes() == theirs.read_bytes()
    # snarkjs reads ours: export it to JSON and compare values.
    snarkjs("wtns", "export", "json", ours, tmp_path / "w.json")
    assert [int(x) for x in json.loads((tmp_path / "w.json").read_text())] == read_wtns_ints(theirs)
