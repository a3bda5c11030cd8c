"""prover.formats.encoding: limb and point encodings against plain integer arithmetic and the bn254 kernels."""

from __future__ import annotations

import random

import numpy as np
import pytest

from bn254.constants import G1_GEN, G2_GEN, Q, R
from bn254.fields import fq_to_mont_array, fr_to_mont_array
from prover.formats.encoding import (
    from_mont,
    g1_from_limbs,
    g1_to_limbs,
    g1_uncompressed,
    g2_from_limbs,
    g2_to_limbs,
    g2_uncompressed,
    int_to_limbs,
    ints_to_limbs,
    ints_to_mont_limbs,
    limbs_to_int,
    limbs_to_ints,
    mont_limbs_to_ints,
    to_mont,
)
from prover.formats.zkey import decode_coeff, decode_coeff_limbs, encode_coeff

EDGE = [0, 1, 2, 2**64 - 1, 2**64, 2**128 + 1, R - 1, R, Q - 1, Q, 2**255, 2**256 - 1]


def test_limbs_round_trip_edges() -> None:
    arr = ints_to_limbs(EDGE)
    assert arr.dtype == np.uint64 and arr.shape == (len(EDGE), 4)
    assert limbs_to_ints(arr) == EDGE
    for v in EDGE:
        limbs = int_to_limbs(v)
        assert [int(x) for x in limbs] == [(v >> (64 * i)) & (2**64 - 1) for i in range(4)]
        assert limbs_to_int(limbs) == v
    assert arr.tobytes() == b"".join(v.to_bytes(32, "little") for v in EDGE)  # = the file bytes


@pytest.mark.parametrize("bad", [-1, 2**256, 2**300])
def test_limbs_reject_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match=r"expected an integer in \[0, 2\^256\)"):
        ints_to_limbs([1, bad])
    with pytest.raises(ValueError):
        int_to_limbs(bad)


def test_montgomery_agrees_with_kernels() -> None:
    rng = random.Random(5)
    for m, kernel in ((R, fr_to_mont_array), (Q, fq_to_mont_array)):
        vals = [0, 1, m - 1, m - 2] + [rng.randrange(m) for _ in range(50)]
        ours = ints_to_mont_limbs(vals, m)
        assert np.array_equal(ours, kernel(ints_to_limbs(vals)))
        assert limbs_to_ints(ours) == [(v << 256) % m for v in vals]
        assert mont_limbs_to_ints(ours, m) == vals
        assert all(from_mont(to_mont(v, m), m) == v for v in vals)
        with pytest.raises(ValueError, match="value 1 is"):
            ints_to_mont_limbs([0, m], m)


def test_g1_points() -> None:
    limbs = g1_to_limbs(G1_GEN)
    assert limbs.shape == (2, 4)
    assert limbs_to_ints(limbs) == [(1 << 256) % Q, (2 << 256) % Q]
    assert g1_from_limbs(limbs) == G1_GEN
    assert g1_uncompressed(limbs) == (1).to_bytes(32, "big") + (2).to_bytes(32, "big")
    inf = g1_to_limbs(None)
    assert not inf.any() and g1_from_limbs(inf) is None and g1_uncompressed(inf) == bytes(64)
    with pytest.raises(ValueError, match="G1 coordinate 1 is"):
        g1_to_limbs((1, Q))


def test_g2_points() -> None:
    limbs = g2_to_limbs(G2_GEN)
    assert limbs.shape == (2, 2, 4)
    (x0, x1), (y0, y1) = G2_GEN
    assert limbs_to_ints(limbs) == [(c << 256) % Q for c in (x0, x1, y0, y1)]  # x.c0, x.c1, y.c0, y.c1
    assert g2_from_limbs(limbs) == G2_GEN
    # snarkjs' uncompressed form reverses each 64-byte Fq2 element: c1 first, big-endian.
    assert g2_uncompressed(limbs) == b"".join(c.to_bytes(32, "big") for c in (x1, x0, y1, y0))
    inf = g2_to_limbs(None)
    assert not inf.any() and g2_from_limbs(inf) is None and g2_uncompressed(inf) == bytes(128)


def test_zkey_coefficient_encoding() -> None:
    rng = random.Random(9)
    vals = [0, 1, 2, R - 1] + [rng.randrange(R) for _ in range(20)]
    enc = [encode_coeff(c) for c in vals]
    assert enc[1] == pow(2, 512, R)  # 1 -> R^2 mod r: "Montgomery times R"
    assert [decode_coeff(v) for v in enc] == vals
    assert limbs_to_ints(decode_coeff_limbs(ints_to_limbs(enc))) == vals
    # A prover multiplies the stored value with a standard-form witness value in one Montgomery
    # product and gets c*w in Montgomery form: (c R^2) * w / R = (c w) R.
    w = rng.randrange(R)
    rinv = pow(2, -256, R)
    assert enc[5] * w * rinv % R == (vals[5] * w << 256) % R
    with pytest.raises(ValueError):
        encode_coeff(R)
