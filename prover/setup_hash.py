"""The transcript primitives of snarkjs' ceremonies: BLAKE2b with an exportable state, and ChaCha20.

BLAKE2b-512 (RFC 7693) hashes every ceremony transcript. A powers-of-tau contribution record stores
the *partial* state of its response hash (the hash of the previous challenge and the compressed
points, before the contributor's public key is appended), in the 216-byte layout snarkjs copies out
of `@noble/hashes`' object (`misc.js` toPartialHash / fromPartialHash):

    0    128  the unprocessed block buffer (the last 1..128 bytes fed; BLAKE2b keeps the final block
              back until it knows whether it is the last one)
    128   64  h[0..7], little-endian u64
    192    8  bytes already compressed (u64 LE; snarkjs writes only the low 32 bits, the high word
              is zero for transcripts below 4 GiB)
    200    8  bytes in the buffer (u64 LE)
    208    8  zero

`hashlib.blake2b` cannot export its state, so the response hash runs through `Blake2b` below, whose
compression function is a numba kernel; every other hash uses hashlib. `Blake2b` and hashlib agree on
every input (tested), so the two are interchangeable wherever no partial state is needed.

`ChaCha` is ffjavascript's ChaCha20 stream (`chacha.js`): state = constants | 8 seed words | a
128-bit block counter starting at 0, no nonce; `next_u32` returns the block words in order. snarkjs
seeds it with the first 32 bytes of a BLAKE2b digest read as big-endian u32 to derive the point
g2_sp of a proof of knowledge (`keypair.js` hashToG2), so it must match bit for bit.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numba import njit

__all__ = ["Blake2b", "PARTIAL_HASH_BYTES", "blake2b_512", "ChaCha"]

PARTIAL_HASH_BYTES = 216
BLOCK = 128

_IV = np.array(
    [
        0x6A09E667F3BCC908,
        0xBB67AE8584CAA73B,
        0x3C6EF372FE94F82B,
        0xA54FF53A5F1D36F1,
        0x510E527FADE682D1,
        0x9B05688C2B3E6C1F,
        0x1F83D9ABFB41BD6B,
        0x5BE0CD19137E2179,
    ],
    dtype=np.uint64,
)

_SIGMA = np.array(
    [
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
        [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
        [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
        [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
        [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
        [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
        [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
        [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
        [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    ],
    dtype=np.int64,
)


@njit(cache=True, inline="always")
def _rotr(x, n):
    return (x >> np.uint64(n)) | (x << np.uint64(64 - n))


@njit(cache=True, inline="always")
def _g(v, a, b, c, d, x, y):
    v[a] = v[a] + v[b] + x
    v[d] = _rotr(v[d] ^ v[a], 32)
    v[c] = v[c] + v[d]
    v[b] = _rotr(v[b] ^ v[c], 24)
    v[a] = v[a] + v[b] + y
    v[d] = _rotr(v[d] ^ v[a], 16)
    v[c] = v[c] + v[d]
    v[b] = _rotr(v[b] ^ v[c], 63)


@njit(cache=True)
def _rounds(h, v, m, sigma):
    """The 12 rounds of G over the working vector, then fold it into the state h."""
    for r in range(12):
        s = sigma[r]
        _g(v, 0, 4, 8, 12, m[s[0]], m[s[1]])
        _g(v, 1, 5, 9, 13, m[s[2]], m[s[3]])
        _g(v, 2, 6, 10, 14, m[s[4]], m[s[5]])
        _g(v, 3, 7, 11, 15, m[s[6]], m[s[7]])
        _g(v, 0, 5, 10, 15, m[s[8]], m[s[9]])
        _g(v, 1, 6, 11, 12, m[s[10]], m[s[11]])
        _g(v, 2, 7, 8, 13, m[s[12]], m[s[13]])
        _g(v, 3, 4, 9, 14, m[s[14]], m[s[15]])
    for i in range(8):
        h[i] ^= v[i] ^ v[i + 8]



@njit(cache=True)
def _compress_blocks(h, data, start, n_blocks, counter, iv, sigma):
    """Compress `n_blocks` non-final 128-byte blocks of `data` (uint8) from byte `start` into `h`.

    `counter` is the byte count before the first block; returns the count after the last."""
    v = np.empty(16, dtype=np.uint64)
    m = np.empty(16, dtype=np.uint64)
    for blk in range(n_blocks):
        base = start + blk * 128
        for i in range(16):
            w = np.uint64(0)
            for b in range(7, -1, -1):
                w = (w << np.uint64(8)) | np.uint64(data[base + 8 * i + b])
            m[i] = w
        counter += 128
        for i in range(8):
            v[i] = h[i]
            v[i + 8] = iv[i]
        v[12] ^= np.uint64(counter)
        _rounds(h, v, m, sigma)
    return counter


@njit(cache=True)
def _compress_final(h, block, length, iv, sigma):
    """The final compression: `block` is the zero-padded last block, `length` the total byte count."""
    v = np.empty(16, dtype=np.uint64)
    m = np.empty(16, dtype=np.uint64)
    for i in range(16):
        w = np.uint64(0)
        for b in range(7, -1, -1):
            w = (w << np.uint64(8)) | np.uint64(block[8 * i + b])
        m[i] = w
    for i in range(8):
        v[i] = h[i]
        v[i + 8] = iv[i]
    v[12] ^= np.uint64(length)  # transcripts stay far below 2^64 bytes: the high counter word is 0
    v[14] = ~v[14]
    _rounds(h, v, m, sigma)


class Blake2b:
    """Streaming BLAKE2b-512 (no key, salt or personalisation) whose state snarkjs can resume.

    Buffering follows `@noble/hashes`: the last 1..128 bytes stay in the buffer until more data
    comes, so `partial_state()` is byte-compatible with snarkjs' `toPartialHash`."""

    def __init__(self) -> None:
        self._h = _IV.copy()
        self._h[0] ^= np.uint64(0x01010000 | 64)
        self._buf = np.zeros(BLOCK, dtype=np.uint8)
        self._pos = 0
        self._compressed = 0
        self._done = False

    def update(self, data: bytes | bytearray | memoryview | np.ndarray) -> Blake2b:
        if self._done:
            raise ValueError("Blake2b: update after digest")
        if isinstance(data, np.ndarray):
            arr = np.ascontiguousarray(data).reshape(-1).view(np.uint8)
        else:
            arr = np.frombuffer(memoryview(data).cast("B"), dtype=np.uint8)
        n = arr.shape[0]
        if n == 0:
            return self
        i = 0
        if self._pos:
            take = min(BLOCK - self._pos, n)
            self._buf[self._pos : self._pos + take] = arr[:take]
            self._pos += take
            i = take
            if i == n:
                return self
            # More data follows, so the full buffer is not the final block.
            self._compressed = _compress_blocks(self._h, self._buf, 0, 1, self._compressed, _IV, _SIGMA)
            self._pos = 0
        rest = n - i
        full = (rest - 1) // BLOCK  # keep 1..128 bytes back
        if full:
            self._compressed = _compress_blocks(self._h, arr, i, full, self._compressed, _IV, _SIGMA)
            i += full * BLOCK
        tail = n - i
        self._buf[:tail] = arr[i:]
        self._pos = tail
        return self

    def digest(self) -> bytes:
        if self._done:
            raise ValueError("Blake2b: digest called twice")
        self._done = True
        block = self._buf.copy()
        block[self._pos :] = 0
        _compress_final(self._h, block, self._compressed + self._pos, _IV, _SIGMA)
        return self._h.astype("<u8").tobytes()

    def partial_state(self) -> bytes:
        """The 216-byte state snarkjs stores in a contribution record (see the module docstring)."""
        if self._done:
            raise ValueError("Blake2b: no partial state after digest")
        out = bytearray(PARTIAL_HASH_BYTES)
        out[0:128] = self._buf.tobytes()
        out[128:192] = self._h.astype("<u8").tobytes()
        out[192:200] = self._compressed.to_bytes(8, "little")
        out[200:208] = self._pos.to_bytes(8, "little")
        return bytes(out)

    @classmethod
    def from_partial_state(cls, state: bytes) -> Blake2b:
        """Resume a hash from `partial_state()` bytes (snarkjs `fromPartialHash`)."""
        if len(state) != PARTIAL_HASH_BYTES:
            raise ValueError(f"a partial BLAKE2b state has {PARTIAL_HASH_BYTES} bytes, got {len(state)}")
        obj = cls()
        obj._buf = np.frombuffer(state[0:128], dtype=np.uint8).copy()
        obj._h = np.frombuffer(state[128:192], dtype="<u8").astype(np.uint64)
        obj._compressed = int.from_bytes(state[192:200], "little")
        obj._pos = int.from_bytes(state[200:208], "little")
        if obj._pos > BLOCK or obj._compressed % BLOCK:
            raise ValueError(f"inconsistent partial BLAKE2b state: {obj._pos} buffered, {obj._compressed} compressed")
        return obj


def blake2b_512(*parts: bytes | bytearray | memoryview) -> bytes:
    """BLAKE2b-512 of the concatenation of `parts` (hashlib)."""
    h = hashlib.blake2b(digest_size=64)
    for p in parts:
        h.update(p)
    return h.digest()


# --- ChaCha20 as ffjavascript implements it ---------------------------------------------------------

_M32 = 0xFFFFFFFF


def _quarter(st: list[int], a: int, b: int, c: int, d: int) -> None:
    st[a] = (st[a] + st[b]) & _M32
    st[d] ^= st[a]
    st[d] = ((st[d] << 16) | (st[d] >> 16)) & _M32
    st[c] = (st[c] + st[d]) & _M32
    st[b] ^= st[c]
    st[b] = ((st[b] << 12) | (st[b] >> 20)) & _M32
    st[a] = (st[a] + st[b]) & _M32
    st[d] ^= st[a]
    st[d] = ((st[d] << 8) | (st[d] >> 24)) & _M32
    st[c] = (st[c] + st[d]) & _M32
    st[b] ^= st[c]
    st[b] = ((st[b] << 7) | (st[b] >> 25)) & _M32


class ChaCha:
    """ffjavascript's `ChaCha(seed)`: a deterministic stream of u32 from eight seed words."""

    def __init__(self, seed: list[int] | tuple[int, ...]) -> None:
        if len(seed) != 8 or any(not 0 <= s <= _M32 for s in seed):
            raise ValueError(f"ChaCha seed must be 8 words of 32 bits, got {seed!r}")
        self._state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574, *seed, 0, 0, 0, 0]
        self._buf: list[int] = []
        self._idx = 16

    @classmethod
    def from_hash(cls, digest: bytes) -> ChaCha:
        """Seeded as snarkjs seeds it from a hash: its first 32 bytes as eight big-endian u32."""
        if len(digest) < 32:
            raise ValueError(f"need at least 32 bytes of hash to seed ChaCha, got {len(digest)}")
        return cls([int.from_bytes(digest[4 * i : 4 * i + 4], "big") for i in range(8)])

    def _update(self) -> None:
        st = list(self._state)
        for _ in range(10):
            _quarter(st, 0, 4, 8, 12)
            _quarter(st, 1, 5, 9, 13)
            _quarter(st, 2, 6, 10, 14)
            _quarter(st, 3, 7, 11, 15)
            _quarter(st, 0, 5, 10, 15)
            _quarter(st, 1, 6, 11, 12)
            _quarter(st, 2, 7, 8, 13)
            _quarter(st, 3, 4, 9, 14)
        self._buf = [(x + y) & _M32 for x, y in zip(st, self._state, strict=True)]
        self._idx = 0
        for i in range(12, 16):  # 128-bit counter
            self._state[i] = (self._state[i] + 1) & _M32
            if self._state[i]:
                break

    def next_u32(self) -> int:
        if self._idx == 16:
            self._update()
        v = self._buf[self._idx]
        self._idx += 1
        return v

    def next_u64(self) -> int:
        """High word first, as `nextU64` computes hi * 2^32 + lo."""
        hi = self.next_u32()
        return hi * (1 << 32) + self.next_u32()

    def next_bool(self) -> bool:
        return (self.next_u32() & 1) == 1
