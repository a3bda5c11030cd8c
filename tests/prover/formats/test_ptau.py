"""prover.formats.ptau: round trips and contents of snarkjs' powers of tau (interop), strictness (fast)."""

from __future__ import annotations

import json
import random
import struct
from dataclasses import replace

import numpy as np
import pytest
from binbuild import container, replace_section, section, split
from py_ecc.optimized_bn128 import FQ, FQ2, add, normalize
from toolchain import snarkjs

from bn254.constants import G1_GEN, G2_GEN, Q, R
from prover.formats.binfile import FormatError
from prover.formats.encoding import (
    from_mont,
    g1_from_limbs,
    g1_to_limbs,
    g2_from_limbs,
    g2_to_limbs,
    ints_to_limbs,
    limbs_to_int,
)
from prover.formats.ptau import (
    LAGRANGE_ALPHA_TAU_G1,
    LAGRANGE_BETA_TAU_G1,
    LAGRANGE_TAU_G1,
    LAGRANGE_TAU_G2,
    Ptau,
    PtauContribution,
    PtauPublicKey,
    read_ptau,
    write_ptau,
)


def _pts(rng: random.Random, *shape: int) -> np.ndarray:
    n = int(np.prod(shape)) // 4
    return ints_to_limbs([rng.choice([0, 1, Q - 1, rng.randrange(Q)]) for _ in range(n)]).reshape(shape)


def tiny_ptau(power: int = 2, prepared: bool = True) -> Ptau:
    rng = random.Random(power)
    n = 1 << power
    key = PtauPublicKey(*(_pts(rng, 2, 4) for _ in range(6)), *(_pts(rng, 2, 2, 4) for _ in range(3)))
    contrib = PtauContribution(
        _pts(rng, 2, 4),
        _pts(rng, 2, 2, 4),
        _pts(rng, 2, 4),
        _pts(rng, 2, 4),
        _pts(rng, 2, 2, 4),
        key,
        bytes(range(216)),
        bytes(64),
        1,
        "b",
        12,
        b"\x01\x02",
    )
    lag = (
        (
            _pts(rng, 4 * n - 1, 2, 4),
            _pts(rng, 2 * n - 1, 2, 2, 4),
            _pts(rng, 2 * n - 1, 2, 4),
            _pts(rng, 2 * n - 1, 2, 4),
        )
        if prepared
        else (None,) * 4
    )
    return Ptau(
        power,
        power,
        _pts(rng, 2 * n - 1, 2, 4),
        _pts(rng, n, 2, 2, 4),
        _pts(rng, n, 2, 4),
        _pts(rng, n, 2, 4),
        _pts(rng, 2, 2, 4),
        (contrib,),
        *lag,
    )


@pytest.fixture
def tiny(tmp_path):
    p = tmp_path / "tiny.ptau"
    t = tiny_ptau()
    write_ptau(t, p)
    return t, p


def test_synthetic_round_trip(tiny, tmp_path) -> None:
    t, p = tiny
    back = read_ptau(p)
    assert (back.power, back.ceremony_power, back.prepared) == (2, 2, True)
    assert back.section_order == (1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15)
    for f in (
        "tau_g1",
        "tau_g2",
        "alpha_tau_g1",
        "beta_tau_g1",
        "beta_g2",
        "lagrange_tau_g1",
        "lagrange_tau_g2",
        "lagrange_alpha_tau_g1",
        "lagrange_beta_tau_g1",
    ):
        assert np.array_equal(getattr(back, f), getattr(t, f)), f
    c = back.contributions[0]
    assert (c.type, c.name, c.num_iterations_exp, c.beacon_hash, c.partial_hash) == (
        1,
        "b",
        12,
        b"\x01\x02",
        bytes(range(216)),
    )
    assert np.array_equal(c.key.beta_g2_spx, t.contributions[0].key.beta_g2_spx)
    out = tmp_path / "again.ptau"
    write_ptau(back, out)
    assert out.read_bytes() == p.read_bytes()
    # Lagrange blocks: domain size 2^p starts at point 2^p - 1.
    assert np.array_equal(back.lagrange(LAGRANGE_TAU_G1, 3), t.lagrange_tau_g1[7:15])
    assert back.lagrange(LAGRANGE_TAU_G2, 0).shape == (1, 2, 2, 4)
    with pytest.raises(ValueError, match=r"holds domain sizes 2\^0 .. 2\^2, asked for 2\^3"):
        back.lagrange(LAGRANGE_ALPHA_TAU_G1, 3)
    unprepared = tmp_path / "u.ptau"
    write_ptau(
        replace(
            back,
            lagrange_tau_g1=None,
            lagrange_tau_g2=None,
            lagrange_alpha_tau_g1=None,
            lagrange_beta_tau_g1=None,
            section_order=None,
        ),
        unprepared,
    )
    u = read_ptau(unprepared)
    assert not u.prepared and u.section_order == (1, 2, 3, 4, 5, 6, 7)
    with pytest.raises(ValueError, match="not prepared"):
        u.lagrange(LAGRANGE_TAU_G1, 0)


def test_synthetic_layout(tiny) -> None:
    _, p = tiny
    data = p.read_bytes()
    assert section(data, 1) == struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack("<II", 2, 2)
    sizes = {s: len(b) for s, b in split(data)[2]}
    record = 64 * 3 + 128 * 2 + 64 * 6 + 128 * 3 + 216 + 64 + 8 + 9
    assert sizes == {
        1: 44,
        2: 7 * 64,
        3: 4 * 128,
        4: 4 * 64,
        5: 4 * 64,
        6: 128,
        7: 4 + record,
        12: 15 * 64,
        13: 7 * 128,
        14: 7 * 64,
        15: 7 * 64,
    }
    assert section(data, 7).endswith(struct.pack("<II", 1, 9) + b"\x01\x01b\x02\x0c\x03\x02\x01\x02")


@pytest.mark.parametrize(
    "sid, body, message",
    [
        (1, struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack("<II", 0, 0), r"power 0 is outside 1..28"),
        (1, struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack("<II", 29, 29), "power 29 is outside"),
        (1, struct.pack("<I", 32) + (Q - 2).to_bytes(32, "little") + struct.pack("<II", 2, 2), "base field prime"),
        (1, struct.pack("<I", 48) + Q.to_bytes(48, "little") + struct.pack("<II", 2, 2), "expected n8 = 32, got 48"),
        (1, struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack("<III", 2, 2, 0), "section 1 has 48 bytes"),
        (1, struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack("<II", 3, 3), "expected section 2 of 960"),
        (2, bytes(64 * 6), "expected section 2 of 448 bytes, it has 384"),
        (3, Q.to_bytes(32, "little") + bytes(128 * 4 - 32), "section 3: coordinate 0 is not below q"),
        (6, bytes(256), "expected section 6 of 128 bytes, it has 256"),
        (7, struct.pack("<I", 2), "section 7 ends at byte 4, reading tauG1 needs 64 bytes"),
        (7, struct.pack("<I", 0) + b"\0", "section 7 has 5 bytes, its content ends at byte 4"),
        (12, bytes(64 * 14), "expected section 12 of 960 bytes, it has 896"),
    ],
)
def test_strict(tiny, tmp_path, sid: int, body: bytes, message: str) -> None:
    _, p = tiny
    bad = tmp_path / "bad.ptau"
    bad.write_bytes(replace_section(p.read_bytes(), sid, body))
    with pytest.raises(FormatError, match=message):
        read_ptau(bad)


def test_strict_lagrange_all_or_none(tiny, tmp_path) -> None:
    _, p = tiny
    magic, version, secs = split(p.read_bytes())
    bad = tmp_path / "bad.ptau"
    bad.write_bytes(container(magic, version, [s for s in secs if s[0] != 14]))
    with pytest.raises(FormatError, match=r"all of sections \(12, 13, 14, 15\), this one has \[12, 13, 15\]"):
        read_ptau(bad)
    bad.write_bytes(container(magic, version, [s for s in secs if s[0] != 7]))
    with pytest.raises(FormatError, match="missing section 7"):
        read_ptau(bad)
    bad.write_bytes(container(magic, version, secs + [(16, b"")]))
    with pytest.raises(FormatError, match="unknown section 16"):
        read_ptau(bad)


# --- snarkjs' files --------------------------------------------------------------------------------


@pytest.mark.interop
def test_round_trip_snarkjs_ptau(snarkjs_setup, tmp_path) -> None:
    s = snarkjs_setup
    for src in (s.ptau_new, s.ptau_contributed, s.ptau_beacon, s.ptau_final):
        out = tmp_path / src.name
        write_ptau(read_ptau(src), out)
        assert out.read_bytes() == src.read_bytes(), src.name
    p = read_ptau(s.ptau_final)
    assert (p.power, p.prepared) == (6, True)
    assert [(c.name, c.type, c.num_iterations_exp) for c in p.contributions] == [
        ("alice é", 0, None),
        ("ptau beacon", 1, 10),
    ]
    assert p.contributions[1].beacon_hash == bytes(range(1, 33))
    assert not read_ptau(s.ptau_beacon).prepared


@pytest.mark.interop
def test_snarkjs_verifies_ptau_we_wrote(snarkjs_setup, tmp_path) -> None:
    p = read_ptau(snarkjs_setup.ptau_final)
    out = tmp_path / "ours.ptau"
    write_ptau(p, out)
    assert "Powers of Tau Ok!" in snarkjs("powersoftau", "verify", out)
    # Swap two powers: snarkjs must reject what we wrote.
    tau = np.array(p.tau_g1)
    tau[[2, 3]] = tau[[3, 2]]
    write_ptau(replace(p, tau_g1=tau), out)
    with pytest.raises(RuntimeError):
        snarkjs("powersoftau", "verify", out)


@pytest.mark.interop
def test_sections_match_snarkjs_json(snarkjs_setup, tmp_path) -> None:
    """`snarkjs powersoftau export json` prints each point's first 32 raw bytes read as an Fr element in
    Montgomery form (a quirk: stringifyBigIntsWithField(Fr, buffer)). Weak as a value oracle, but it
    pins every section's point count, order and the Lagrange block boundaries."""
    s = snarkjs_setup
    snarkjs("powersoftau", "export", "json", s.ptau_final, tmp_path / "p.json")
    js = json.loads((tmp_path / "p.json").read_text())
    p = read_ptau(s.ptau_final)

    def quirk(points: np.ndarray) -> list[str]:
        return [str(from_mont(limbs_to_int(a.reshape(-1, 4)[0]), R)) for a in points]

    assert quirk(p.tau_g1) == js["tauG1"]
    assert quirk(p.tau_g2) == js["tauG2"]
    assert quirk(p.alpha_tau_g1) == js["alphaTauG1"]
    assert quirk(p.beta_tau_g1) == js["betaTauG1"]
    assert quirk(p.beta_g2[None]) == js["betaG2"]
    for sid, key in (
        (LAGRANGE_TAU_G1, "lTauG1"),
        (LAGRANGE_TAU_G2, "lTauG2"),
        (LAGRANGE_ALPHA_TAU_G1, "lAlphaTauG1"),
        (LAGRANGE_BETA_TAU_G1, "lBetaTauG1"),
    ):
        assert len(js[key]) == p.power + 1
        for k in range(p.power + 1):
            assert quirk(p.lagrange(sid, k)) == js[key][k], (key, k)
    assert [c["name"] for c in js["contributions"]] == [c.name for c in p.contributions]


@pytest.mark.interop
def test_lagrange_bases_sum_to_one(snarkjs_setup) -> None:
    """sum_i L_i(tau) = 1, so each Lagrange block sums to the generator (alpha: to alpha*G1)."""
    p = read_ptau(snarkjs_setup.ptau_final)
    assert g1_from_limbs(p.tau_g1[0]) == G1_GEN and np.array_equal(p.tau_g2[0], g2_to_limbs(G2_GEN))
    assert np.array_equal(p.tau_g1[0], g1_to_limbs(G1_GEN))

    def g1_sum(block):
        acc = None
        for a in block:
            x, y = g1_from_limbs(a)
            pt = (FQ(x), FQ(y), FQ(1))
            acc = pt if acc is None else add(acc, pt)
        return tuple(int(c) for c in normalize(acc))

    def g2_sum(block):
        acc = None
        for a in block:
            (x0, x1), (y0, y1) = g2_from_limbs(a)
            pt = (FQ2([x0, x1]), FQ2([y0, y1]), FQ2.one())
            acc = pt if acc is None else add(acc, pt)
        x, y = normalize(acc)
        return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))

    for k in (0, 2, 4):
        assert g1_sum(p.lagrange(LAGRANGE_TAU_G1, k)) == G1_GEN
        assert g2_sum(p.lagrange(LAGRANGE_TAU_G2, k)) == G2_GEN
        assert g1_sum(p.lagrange(LAGRANGE_ALPHA_TAU_G1, k)) == g1_from_limbs(p.alpha_tau_g1[0])
