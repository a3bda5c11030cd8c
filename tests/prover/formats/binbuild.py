"""Container surgery for format tests: split a file into sections and rebuild it (struct only)."""

from __future__ import annotations

import struct


def container(magic: bytes, version: int, sections: list[tuple[int, bytes]], n_sections: int | None = None) -> bytes:
    out = magic + struct.pack("<II", version, len(sections) if n_sections is None else n_sections)
    for sid, body in sections:
        out += struct.pack("<IQ", sid, len(body)) + body
    return out


def split(data: bytes) -> tuple[bytes, int, list[tuple[int, bytes]]]:
    magic = data[:4]
    version, n = struct.unpack_from("<II", data, 4)
    pos, secs = 12, []
    for _ in range(n):
        sid, size = struct.unpack_from("<IQ", data, pos)
        pos += 12
        secs.append((sid, data[pos : pos + size]))
        pos += size
    assert pos == len(data)
    return magic, version, secs


def replace_section(data: bytes, sid: int, body: bytes) -> bytes:
    magic, version, secs = split(data)
    return container(magic, version, [(s, body if s == sid else b) for s, b in secs])


def section(data: bytes, sid: int) -> bytes:
    return dict(split(data)[2])[sid]
