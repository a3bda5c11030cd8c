"""prover.formats.binfile: the iden3 container, built here byte by byte with struct (independent oracle)."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from binbuild import container

from prover.formats.binfile import FormatError, read_binfile, write_binfile


def _read(tmp_path, data: bytes, **kw):
    p = tmp_path / "f.bin"
    p.write_bytes(data)
    args = {"magic": b"test", "version": 1, "known": (1, 2, 3)} | kw
    return read_binfile(p, **args)


def test_reads_sections_as_views(tmp_path) -> None:
    f = _read(tmp_path, container(b"test", 1, [(2, b"\x01\x02\x03\x04"), (1, bytes(range(16)))]))
    assert f.order == (2, 1)
    assert f.body(2).tobytes() == b"\x01\x02\x03\x04"
    r = f.reader(1)
    assert r.u32() == 0x03020100
    assert r.u64() == int.from_bytes(bytes(range(4, 12)), "little")
    assert r.array("<u2", (2,)).tolist() == [0x0D0C, 0x0F0E]
    r.end()
    assert not f.body(1).flags.writeable and not f.body(1).flags.owndata  # a view over the read-only map


@pytest.mark.parametrize(
    "data, message",
    [
        (b"tes", "file has 3 bytes, a test header needs 12"),
        (container(b"tset", 1, []), r"expected magic b'test', got b'tset'"),
        (container(b"test", 2, []), "expected test version 1, got 2"),
        (container(b"test", 0, []), "expected test version 1, got 0"),
        (container(b"test", 1, [(1, b"ab"), (1, b"cd")]), "duplicate section 1"),
        (container(b"test", 1, [(7, b"")]), "unknown section 7"),
        (container(b"test", 1, [(2, b"x")]), "missing section 1"),
        (container(b"test", 1, [(1, b"x")], n_sections=2), "header of section 2 of 2 needs 12 bytes"),
        (container(b"test", 1, [(1, b"x")]) + b"\x00", "1 bytes after the last of 1 sections"),
        (container(b"test", 1, [(1, bytes(1024))])[:-24], "expected section 1 of 1024 bytes, file has 1000"),
    ],
)
def test_strict_container(tmp_path, data: bytes, message: str) -> None:
    with pytest.raises(FormatError, match=message):
        _read(tmp_path, data, required=(1,))


def test_reader_bounds_and_exact_size(tmp_path) -> None:
    f = _read(tmp_path, container(b"test", 1, [(1, b"\x00" * 6)]))
    r = f.reader(1)
    r.u32()
    with pytest.raises(FormatError, match="section 1 ends at byte 6, reading u64 needs 8 bytes at offset 4"):
        r.u64()
    r = f.reader(1)
    r.u32()
    with pytest.raises(FormatError, match="section 1 has 6 bytes, its content ends at byte 4"):
        r.end()
    with pytest.raises(FormatError, match="expected section 1 of 5 bytes, it has 6"):
        f.body(1, size=5)
    with pytest.raises(FormatError, match="missing section 3"):
        f.body(3)


def test_write_matches_struct_layout_and_is_atomic(tmp_path) -> None:
    p = tmp_path / "w.bin"
    write_binfile(p, b"test", 1, [(3, [b"ab", np.array([1, 2], dtype="<u4")]), (1, [])])
    assert p.read_bytes() == container(b"test", 1, [(3, b"ab" + struct.pack("<II", 1, 2)), (1, b"")])
    # Overwriting a file that a live reader has mapped leaves the reader's view intact.
    f = read_binfile(p, b"test", 1, known=(1, 3))
    view = f.body(3)
    write_binfile(p, b"test", 1, [(1, [b"zz"])])
    assert view.tobytes() == b"ab" + struct.pack("<II", 1, 2)
    assert [x.name for x in tmp_path.iterdir()] == ["w.bin"]  # no temp file left behind
    with pytest.raises(ValueError, match="duplicate section 1"):
        write_binfile(p, b"test", 1, [(1, []), (1, [])])
    with pytest.raises(ValueError, match="big-endian"):
        write_binfile(p, b"test", 1, [(1, [np.array([1], dtype=">u4")])])


def test_write_empty_array_section(tmp_path) -> None:
    """A circuit without private wires has an empty C section: writing it must work."""
    import numpy as np

    from prover.formats.binfile import read_binfile, write_binfile

    path = tmp_path / "e.bin"
    write_binfile(path, b"test", 1, [(1, [np.zeros((0, 2, 4), dtype=np.uint64)]), (2, [b"ab"])])
    f = read_binfile(path, b"test", 1, known={1, 2})
    assert bytes(f.body(1)) == b"" and bytes(f.body(2)) == b"ab"
