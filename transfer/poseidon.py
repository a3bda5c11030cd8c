"""Poseidon over BN254's scalar field, bit for bit as circomlib's `Poseidon(n)` and circomlibjs compute it.

Poseidon (Grassi, Khovratovich, Rechberger, Roy, Schofnegger, eprint 2019/458) with circomlib's
parameters: state width t = n + 1 for n = 1..16 inputs, x^5 S-box, R_F = 8 full rounds and
R_P = N_ROUNDS_P[t - 2] partial rounds, the capacity element (state[0]) starting at 0, the hash
being state[0] after the permutation.

The round constants and the MDS matrix are not stored: they are re-derived the way the reference
script `generate_parameters_grain.sage` (Grain LFSR, the paper's appendix F) produced circomlib's:
an 80-bit LFSR seeded with (field = 1, S-box = 0, n = 254, t, R_F, R_P, 30 ones), 160 warm-up
clocks, bits kept by the "self-shrinking" filter (a pair (1, b) yields b, a pair (0, _) nothing);
round constants are 254-bit big-endian draws rejected until < r, then 2t more draws (reduced mod r)
x_0..x_{t-1}, y_0..y_{t-1} give the Cauchy matrix M[i][j] = 1 / (x_i + y_j). tests/transfer compare
every t against circomlibjs' `poseidon_constants.json` and against hashes circomlibjs computed.

This is the plain (unoptimised) round structure of circomlibjs' `poseidon_reference.js`; the
circuit uses the equivalent sparse-matrix form, which gives the same permutation.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from bn254.constants import R

__all__ = ["R", "N_ROUNDS_F", "N_ROUNDS_P", "MAX_INPUTS", "poseidon", "poseidon_many", "constants"]

N_ROUNDS_F = 8
N_ROUNDS_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)
"""Partial rounds for t = 2..17 (circomlib: the paper's table 2/8 numbers rounded up to a multiple of t)."""
MAX_INPUTS = len(N_ROUNDS_P)
FIELD_BITS = 254
ALPHA = 5

_LFSR_BITS = 80
_MASK80 = (1 << _LFSR_BITS) - 1


def _pair_filter_table() -> tuple[tuple[int, int], ...]:
    """For each byte of 4 raw LFSR bits pairs (bit 2i = keep flag, bit 2i+1 = value, oldest pair in the
    low bits): the kept bits as an int (oldest first = most significant) and how many there are."""
    table = []
    for byte in range(256):
        v = n = 0
        for i in range(4):
            if (byte >> (2 * i)) & 1:
                v = (v << 1) | ((byte >> (2 * i + 1)) & 1)
                n += 1
        table.append((v, n))
    return tuple(table)


_FILTER = _pair_filter_table()


class _Grain:
    """The Grain LFSR of the reference parameter script, clocked 16 bits at a time.

    Bit i of `state` is b_{k+i}, the i-th oldest of the 80 bits; the recurrence
    b_{k+80} = b_{k+62} + b_{k+51} + b_{k+38} + b_{k+23} + b_{k+13} + b_k (mod 2) has its nearest tap
    18 clocks back, so 16 new bits can be computed with one shift-xor of the whole state."""

    def __init__(self, t: int, r_f: int, r_p: int) -> None:
        seed = 0
        for value, width in ((1, 2), (0, 4), (FIELD_BITS, 12), (t, 12), (r_f, 10), (r_p, 10), ((1 << 30) - 1, 30)):
            for k in range(width - 1, -1, -1):  # big-endian fields, first bit oldest
                seed = (seed << 1) | ((value >> k) & 1)
        # `seed` has the oldest bit as its most significant bit; store it as bit 0.
        self.state = int(f"{seed:080b}"[::-1], 2)
        for _ in range(160 // 16):  # discard the first 160 output bits
            self._clock16()
        self._buf = 0
        self._nbuf = 0

    def _clock16(self) -> int:
        s = self.state
        new = ((s >> 62) ^ (s >> 51) ^ (s >> 38) ^ (s >> 23) ^ (s >> 13) ^ s) & 0xFFFF
        self.state = (s >> 16) | (new << (_LFSR_BITS - 16))
        return new

    def bits(self, n: int) -> int:
        """The next n filtered bits as an int, the first bit most significant."""
        while self._nbuf < n:
            raw = self._clock16()
            for byte in (raw & 0xFF, raw >> 8):
                v, k = _FILTER[byte]
                self._buf = (self._buf << k) | v
                self._nbuf += k
        self._nbuf -= n
        out = self._buf >> self._nbuf
        self._buf &= (1 << self._nbuf) - 1
        return out


@cache
def constants(t: int) -> tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]:
    """(C, M) for state width t: (R_F + R_P) * t round constants and the t x t MDS matrix."""
    if not 2 <= t <= MAX_INPUTS + 1:
        raise ValueError(f"Poseidon state width must be in [2, {MAX_INPUTS + 1}], got {t}")
    r_p = N_ROUNDS_P[t - 2]
    g = _Grain(t, N_ROUNDS_F, r_p)
    c = []
    for _ in range((N_ROUNDS_F + r_p) * t):
        x = g.bits(FIELD_BITS)
        while x >= R:
            x = g.bits(FIELD_BITS)
        c.append(x)
    xy = [g.bits(FIELD_BITS) % R for _ in range(2 * t)]
    if len(set(xy)) != 2 * t:  # the reference redraws; never happens for t <= 17 (checked by tests)
        raise AssertionError(f"Poseidon t={t}: repeated Cauchy points, the reference would redraw")
    m = tuple(tuple(pow(xy[i] + xy[t + j], -1, R) for j in range(t)) for i in range(t))
    return tuple(c), m


def _check_element(what: str, x: object) -> int:
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"{what}: expected an int field element, got {type(x).__name__} {x!r}")
    if not 0 <= x < R:
        raise ValueError(f"{what}: expected an integer in [0, r), got {x}")
    return x


def poseidon(inputs: Sequence[int]) -> int:
    """circomlib's Poseidon(len(inputs)) of 1..16 field elements (each an int in [0, r), never reduced)."""
    n = len(inputs)
    if not 1 <= n <= MAX_INPUTS:
        raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {n}")
    state = [0] + [_check_element(f"poseidon input {i}", x) for i, x in enumerate(inputs)]
    t = n + 1
    c, m = constants(t)
    r_p = N_ROUNDS_P[t - 2]
    half = N_ROUNDS_F // 2
    for rnd in range(N_ROUNDS_F + r_p):
        base = rnd * t
        state = [(s + c[base + i]) % R for i, s in enumerate(state)]
        if rnd < half or rnd >= half + r_p:
            state = [pow(s, ALPHA, R) for s in state]
        else:
            state[0] = pow(state[0], ALPHA, R)
        state = [sum(mij * s for mij, s in zip(row, state, strict=True)) % R for row in m]
    return state[0]


def poseidon_many(values: Sequence[int]) -> int:
    """The twin of circuits/lib/poseidon_many.circom: Poseidon of any number >= 1 of field elements.

    n <= 16: poseidon(values); otherwise h = poseidon(values[:16]), then h = poseidon([h, next <= 15])
    until every value is absorbed."""
    n = len(values)
    if n == 0:
        raise ValueError("poseidon_many needs at least one input, got none")
    if n <= MAX_INPUTS:
        return poseidon(values)
    h = poseidon(values[:MAX_INPUTS])
    pos = MAX_INPUTS
    while pos < n:
        take = min(MAX_INPUTS - 1, n - pos)
        h = poseidon([h, *values[pos : pos + take]])
        pos += take
    return h
