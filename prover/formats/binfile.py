"""The iden3 binary container under .r1cs, .wtns, .zkey and .ptau (`@iden3/binfileutils`).

    magic      4 bytes   b"r1cs" | b"wtns" | b"zkey" | b"ptau"
    version    u32 LE
    nSections  u32 LE
    nSections times:
        type   u32 LE    section id (the format's named constants)
        size   u64 LE    body length in bytes
        body   size bytes

snarkjs tolerates a lot (repeated sections, bytes after the last one, versions below the one it
writes); this reader does not: the magic and the version must be the expected ones, every section
id known and present at most once, every body inside the file, and nothing may follow the last
section. Each format's parser then consumes its sections to their exact size through
`SectionReader`, so a section that is longer than its content says is rejected too.

The file is memory-mapped read-only and bodies are handed out as numpy views over the map (no
copy). A view of a section that does not start at a multiple of 8 bytes is unaligned; x86-64 and
numba read it fine, and nothing here copies to realign it. Views keep the map (and the file)
alive; writers replace files atomically (write a temporary file, then `os.replace`), so writing
a file that is mapped by a live reader does not pull pages from under it.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FormatError", "Section", "BinFile", "SectionReader", "read_binfile", "write_binfile", "Part"]

HEADER_BYTES = 12
SECTION_HEADER_BYTES = 12


class FormatError(ValueError):
    """A file that is not what its reader expects (bad magic, version, section layout or content)."""


@dataclass(frozen=True)
class Section:
    """One section: its id and where its body lies in the file."""

    id: int
    offset: int
    size: int


class SectionReader:
    """Sequential little-endian reads within one section body; `end()` checks it was consumed exactly."""

    def __init__(self, owner: str, section_id: int, body: np.ndarray) -> None:
        self._owner = owner
        self.id = section_id
        self.body = body
        self.pos = 0

    @property
    def size(self) -> int:
        return int(self.body.shape[0])

    @property
    def remaining(self) -> int:
        return self.size - self.pos

    def _need(self, n: int, what: str) -> None:
        if n < 0 or self.pos + n > self.size:
            raise FormatError(
                f"{self._owner}: section {self.id} ends at byte {self.size}, "
                f"reading {what} needs {n} bytes at offset {self.pos}"
            )

    def take(self, n: int, what: str = "data") -> np.ndarray:
        """The next `n` bytes as a uint8 view."""
        self._need(n, what)
        out = self.body[self.pos : self.pos + n]
        self.pos += n
        return out

    def u32(self, what: str = "u32") -> int:
        return int.from_bytes(self.take(4, what).tobytes(), "little")

    def u64(self, what: str = "u64") -> int:
        return int.from_bytes(self.take(8, what).tobytes(), "little")

    def bigint(self, n8: int, what: str = "integer") -> int:
        return int.from_bytes(self.take(n8, what).tobytes(), "little")

    def array(self, dtype: np.dtype | str, shape: tuple[int, ...], what: str = "array") -> np.ndarray:
        """The next `prod(shape)` items of `dtype` as a view (no copy)."""
        dt = np.dtype(dtype)
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        raw = self.take(count * dt.itemsize, what)
        return raw.view(dt).reshape(shape)

    def end(self) -> None:
        """Raise unless every byte of the section was read."""
        if self.pos != self.size:
            raise FormatError(
                f"{self._owner}: section {self.id} has {self.size} bytes, its content ends at byte {self.pos}"
            )


class BinFile:
    """A parsed, memory-mapped container. `sections` maps id -> Section; `order` is the file order."""

    def __init__(
        self, path: Path, magic: bytes, version: int, sections: dict[int, Section], order: tuple[int, ...], data
    ) -> None:
        self.path = path
        self.magic = magic
        self.version = version
        self.sections = sections
        self.order = order
        self.data = data

    def __repr__(self) -> str:
        return f"BinFile({str(self.path)!r}, magic={self.magic!r}, version={self.version}, sections={self.order})"

    def has(self, section_id: int) -> bool:
        return section_id in self.sections

    def _get(self, section_id: int) -> Section:
        try:
            return self.sections[section_id]
        except KeyError:
            raise FormatError(f"{self.path}: missing section {section_id}") from None

    def body(self, section_id: int, size: int | None = None) -> np.ndarray:
        """The body of a section as a uint8 view; with `size`, it must be exactly that long."""
        s = self._get(section_id)
        if size is not None and s.size != size:
            raise FormatError(f"{self.path}: expected section {section_id} of {size} bytes, it has {s.size}")
        return self.data[s.offset : s.offset + s.size]

    def reader(self, section_id: int) -> SectionReader:
        return SectionReader(str(self.path), section_id, self.body(section_id))


def read_binfile(
    path: str | os.PathLike,
    magic: bytes,
    version: int,
    known: Collection[int],
    required: Collection[int] = (),
) -> BinFile:
    """Map `path` and check its container layout (see the module docstring for what is checked)."""
    p = Path(path)
    if len(magic) != 4:
        raise ValueError(f"magic must be 4 bytes, got {magic!r}")
    size = p.stat().st_size
    if size < HEADER_BYTES:
        raise FormatError(f"{p}: file has {size} bytes, a {magic.decode()} header needs {HEADER_BYTES}")
    # np.asarray drops the memmap subclass (plain ndarray views, same buffer, no copy).
    data = np.asarray(np.memmap(p, dtype=np.uint8, mode="r"))
    got = data[:4].tobytes()
    if got != magic:
        raise FormatError(f"{p}: expected magic {magic!r}, got {got!r}")
    ver = int.from_bytes(data[4:8].tobytes(), "little")
    if ver != version:
        raise FormatError(f"{p}: expected {magic.decode()} version {version}, got {ver}")
    n_sections = int.from_bytes(data[8:12].tobytes(), "little")
    known_set = set(known)
    sections: dict[int, Section] = {}
    order: list[int] = []
    pos = HEADER_BYTES
    for i in range(n_sections):
        if pos + SECTION_HEADER_BYTES > size:
            raise FormatError(
                f"{p}: header of section {i + 1} of {n_sections} needs {SECTION_HEADER_BYTES} bytes "
                f"at byte {pos}, file has {size - pos}"
            )
        sid = int.from_bytes(data[pos : pos + 4].tobytes(), "little")
        ssize = int.from_bytes(data[pos + 4 : pos + 12].tobytes(), "little")
        pos += SECTION_HEADER_BYTES
        if sid not in known_set:
            raise FormatError(f"{p}: unknown section {sid} (known: {sorted(known_set)})")
        if sid in sections:
            raise FormatError(f"{p}: duplicate section {sid}")
        if pos + ssize > size:
            raise FormatError(f"{p}: expected section {sid} of {ssize} bytes, file has {size - pos}")
        sections[sid] = Section(sid, pos, ssize)
        order.append(sid)
        pos += ssize
    if pos != size:
        raise FormatError(f"{p}: {size - pos} bytes after the last of {n_sections} sections")
    for sid in required:
        if sid not in sections:
            raise FormatError(f"{p}: missing section {sid}")
    return BinFile(p, magic, version, sections, tuple(order), data)


Part = bytes | bytearray | memoryview | np.ndarray
"""A piece of a section body: raw bytes or a numpy array (written as its little-endian memory)."""


def _as_bytes(part: Part) -> memoryview:
    if isinstance(part, np.ndarray):
        if part.dtype.byteorder == ">":
            raise ValueError(f"big-endian array {part.dtype} in a little-endian file")
        if part.size == 0:  # an empty section (e.g. no private wires): memoryview cannot cast it
            return memoryview(b"")
        return memoryview(np.ascontiguousarray(part)).cast("B")
    return memoryview(part).cast("B")


def write_binfile(
    path: str | os.PathLike,
    magic: bytes,
    version: int,
    sections: Iterable[tuple[int, list[Part]]],
    mode: int = 0o644,
) -> None:
    """Write a container atomically: `sections` is [(id, [parts...]), ...] in file order.

    `mode` is the new file's permission bits (0o600 for files holding witness secrets)."""
    p = Path(path)
    if len(magic) != 4:
        raise ValueError(f"magic must be 4 bytes, got {magic!r}")
    secs = [(sid, [_as_bytes(x) for x in parts]) for sid, parts in sections]
    seen: set[int] = set()
    for sid, _ in secs:
        if sid in seen:
            raise ValueError(f"duplicate section {sid}")
        seen.add(sid)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(magic)
            f.write(version.to_bytes(4, "little"))
            f.write(len(secs).to_bytes(4, "little"))
            for sid, parts in secs:
                f.write(sid.to_bytes(4, "little"))
                f.write(sum(m.nbytes for m in parts).to_bytes(8, "little"))
                for m in parts:
                    f.write(m)
        os.chmod(tmp, mode)
        os.replace(tmp, p)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
