"""prover.formats.zkey: a synthetic key (fast) for layout and strictness; snarkjs' keys (interop) for
byte-identical round trips, `snarkjs zkey verify` on keys we wrote, the point and coefficient
encodings against `snarkjs zkey export json`, MPC hashes, and the verification key export."""

from __future__ import annotations

import hashlib
import json
import random
import struct
from dataclasses import replace

import numpy as np
import pytest
from binbuild import container, replace_section, section, split
from toolchain import snarkjs

from bn254.constants import Q, R
from prover.formats.binfile import FormatError
from prover.formats.encoding import (
    g1_from_limbs,
    g1_uncompressed,
    g2_from_limbs,
    g2_uncompressed,
    ints_to_limbs,
)
from prover.formats.r1cs import read_r1cs
from prover.formats.zkey import (
    COEFF_DTYPE,
    Zkey,
    ZkeyContribution,
    coeff_ints,
    coeffs_from_r1cs,
    encode_coeff,
    read_zkey,
    verification_key_json,
    write_zkey,
)

# --- a synthetic key (coordinates are arbitrary field elements, not curve points) ---------------------


def _pts(rng: random.Random, *shape: int) -> np.ndarray:
    n = int(np.prod(shape)) // 4
    vals = [rng.choice([0, 1, Q - 1, rng.randrange(Q)]) for _ in range(n)]
    return ints_to_limbs(vals).reshape(shape)


def tiny_zkey(seed: int = 1) -> Zkey:
    rng = random.Random(seed)
    n_vars, n_public, domain = 5, 1, 4
    coeffs = np.zeros(4, dtype=COEFF_DTYPE)
    coeffs["matrix"] = [0, 1, 0, 0]
    coeffs["constraint"] = [0, 0, 1, 2]
    coeffs["signal"] = [2, 3, 0, 1]
    coeffs["value"] = ints_to_limbs([encode_coeff(c) for c in (1, R - 1, 1, 1)])
    contribs = (
        ZkeyContribution(
            _pts(rng, 2, 4), _pts(rng, 2, 4), _pts(rng, 2, 4), _pts(rng, 2, 2, 4), bytes(range(64)), 0, "alice"
        ),
        ZkeyContribution(
            _pts(rng, 2, 4),
            _pts(rng, 2, 4),
            _pts(rng, 2, 4),
            _pts(rng, 2, 2, 4),
            bytes(64),
            1,
            "beacon é",
            10,
            bytes(range(32)),
        ),
        ZkeyContribution(_pts(rng, 2, 4), _pts(rng, 2, 4), _pts(rng, 2, 4), _pts(rng, 2, 2, 4), bytes(64)),
    )
    return Zkey(
        n_vars=n_vars,
        n_public=n_public,
        domain_size=domain,
        alpha_g1=_pts(rng, 2, 4),
        beta_g1=_pts(rng, 2, 4),
        beta_g2=_pts(rng, 2, 2, 4),
        gamma_g2=_pts(rng, 2, 2, 4),
        delta_g1=_pts(rng, 2, 4),
        delta_g2=_pts(rng, 2, 2, 4),
        gamma_abc_g1=_pts(rng, n_public + 1, 2, 4),
        coeffs=coeffs,
        a_query=_pts(rng, n_vars, 2, 4),
        b_g1_query=_pts(rng, n_vars, 2, 4),
        b_g2_query=_pts(rng, n_vars, 2, 2, 4),
        l_query=_pts(rng, n_vars - n_public - 1, 2, 4),
        h_query=_pts(rng, domain, 2, 4),
        cs_hash=hashlib.blake2b(b"cs", digest_size=64).digest(),
        contributions=contribs,
    )


POINT_FIELDS = (
    "alpha_g1",
    "beta_g1",
    "beta_g2",
    "gamma_g2",
    "delta_g1",
    "delta_g2",
    "gamma_abc_g1",
    "a_query",
    "b_g1_query",
    "b_g2_query",
    "l_query",
    "h_query",
)


@pytest.fixture
def tiny(tmp_path):
    z = tiny_zkey()
    p = tmp_path / "tiny.zkey"
    write_zkey(z, p)
    return z, p


def test_synthetic_round_trip(tiny, tmp_path) -> None:
    z, p = tiny
    back = read_zkey(p)
    assert (back.n_vars, back.n_public, back.domain_size, back.power) == (5, 1, 4, 2)
    for name in POINT_FIELDS:
        assert np.array_equal(getattr(back, name), getattr(z, name)), name
    assert back.coeffs.tobytes() == z.coeffs.tobytes()
    assert coeff_ints(back) == [(0, 0, 2, 1), (1, 0, 3, R - 1), (0, 1, 0, 1), (0, 2, 1, 1)]
    assert back.cs_hash == z.cs_hash and back.section_order == tuple(range(1, 11))
    for a, b in zip(back.contributions, z.contributions, strict=True):
        assert (a.transcript, a.type, a.name, a.num_iterations_exp, a.beacon_hash) == (
            b.transcript,
            b.type,
            b.name,
            b.num_iterations_exp,
            b.beacon_hash,
        )
        assert all(np.array_equal(getattr(a, f), getattr(b, f)) for f in ("delta_after", "g1_s", "g1_sx", "g2_spx"))
    assert np.shares_memory(back.a_query, back.b_g1_query) is False
    assert not back.a_query.flags.writeable  # a view of the read-only map
    again = tmp_path / "again.zkey"
    write_zkey(back, again)
    assert again.read_bytes() == p.read_bytes()


def test_synthetic_layout(tiny) -> None:
    """Section bodies byte for byte (struct oracle) for the header and the contribution records."""
    z, p = tiny
    data = p.read_bytes()
    assert [s for s, _ in split(data)[2]] == list(range(1, 11))
    assert section(data, 1) == struct.pack("<I", 1)
    hdr = section(data, 2)
    assert hdr[: 4 + 32 + 4 + 32] == struct.pack("<I", 32) + Q.to_bytes(32, "little") + struct.pack(
        "<I", 32
    ) + R.to_bytes(32, "little")
    assert struct.unpack_from("<III", hdr, 72) == (5, 1, 4)
    assert hdr[84:] == b"".join(getattr(z, f).tobytes() for f in POINT_FIELDS[:6])
    coeffs = section(data, 4)
    assert struct.unpack_from("<I", coeffs) == (4,) and len(coeffs) == 4 + 4 * 44
    assert struct.unpack_from("<III", coeffs, 4 + 44) == (1, 0, 3)
    assert int.from_bytes(coeffs[4 + 44 + 12 : 4 + 88], "little") == (R - 1) * pow(2, 512, R) % R
    c10 = section(data, 10)
    assert c10[:64] == z.cs_hash and struct.unpack_from("<I", c10, 64) == (3,)
    rec = 64 + 64 + 64 + 128 + 64
    first = c10[68 : 68 + rec + 8 + 7]
    assert first[rec:] == struct.pack("<II", 0, 7) + b"\x01\x05alice"
    beacon_params = b"\x01\x09" + "beacon é".encode() + b"\x02\x0a\x03\x20" + bytes(range(32))
    second = c10[68 + len(first) : 68 + len(first) + rec + 8 + len(beacon_params)]
    assert second[rec:] == struct.pack("<II", 1, len(beacon_params)) + beacon_params
    assert c10.endswith(bytes(64) + struct.pack("<II", 0, 0))


def _mutated(p, sid: int, fn) -> bytes:
    data = p.read_bytes()
    return replace_section(data, sid, fn(bytearray(section(data, sid))))


def _set(buf: bytearray, off: int, raw: bytes) -> bytes:
    buf[off : off + len(raw)] = raw
    return bytes(buf)


@pytest.mark.parametrize(
    "sid, fn, message",
    [
        (1, lambda b: struct.pack("<I", 2), "expected a Groth16 key .protocol id 1., got protocol id 2"),
        (2, lambda b: _set(b, 0, struct.pack("<I", 48)), "expected n8q = 32, got 48"),
        (2, lambda b: _set(b, 4, (Q + 2).to_bytes(32, "little")), "expected BN254"),
        (2, lambda b: _set(b, 72, struct.pack("<I", 6)), "expected section 5 of 384 bytes, it has 320"),
        (2, lambda b: _set(b, 76, struct.pack("<I", 5)), "nPublic = 5 needs more than nVars = 5"),
        (2, lambda b: _set(b, 80, struct.pack("<I", 6)), "domainSize 6 is not a power of two"),
        (2, lambda b: _set(b, 84, Q.to_bytes(32, "little")), "section 2: coordinate 0 is not below q"),
        (2, lambda b: bytes(b) + b"\0", "section 2 has 661 bytes, its content ends at byte 660"),
        (5, lambda b: bytes(b[:-64]), "expected section 5 of 320 bytes, it has 256"),
        (
            7,
            lambda b: _set(b, 128 * 3 + 32, (2**256 - 1).to_bytes(32, "little")),
            "section 7: coordinate 13 is not below q",
        ),
        (9, lambda b: bytes(b) + bytes(64), "expected section 9 of 256 bytes, it has 320"),
        (4, lambda b: _set(b, 0, struct.pack("<I", 5)), r"expected section 4 of 224 bytes \(5 coefficients\)"),
        (4, lambda b: _set(b, 4, struct.pack("<I", 2)), "matrix ids must be 0 .A. or 1 .B."),
        (4, lambda b: _set(b, 4 + 8, struct.pack("<I", 5)), "refers to a signal >= nVars = 5"),
        (4, lambda b: _set(b, 4 + 4, struct.pack("<I", 4)), "refers to a constraint >= domainSize = 4"),
        (4, lambda b: _set(b, 4 + 12, R.to_bytes(32, "little")), "coefficient 0 is not below r"),
        (10, lambda b: _set(b, 64, struct.pack("<I", 4)), "section 10 ends at byte"),
        (10, lambda b: bytes(b) + b"\0", "section 10 has .* bytes, its content ends at byte"),
        (10, lambda b: _set(b, 68 + 384 + 8, b"\x00"), "must be sorted by id, got 0 after 0"),
        (10, lambda b: _set(b, 68 + 384 + 8, b"\x07"), "unknown contribution parameter id 7"),
        (10, lambda b: _set(b, 68 + 384 + 4, struct.pack("<I", 10**6)), "parameters of 1000000 bytes run past"),
        (10, lambda b: _set(b, 68 + 384 + 10, b"\xff"), "contribution name is not UTF-8"),
    ],
)
def test_strict(tiny, tmp_path, sid: int, fn, message: str) -> None:
    _, p = tiny
    bad = tmp_path / "bad.zkey"
    bad.write_bytes(_mutated(p, sid, fn))
    with pytest.raises(FormatError, match=message):
        read_zkey(bad)


def test_strict_container(tiny, tmp_path) -> None:
    _, p = tiny
    magic, version, secs = split(p.read_bytes())
    cases = [
        (container(magic, 2, secs), "expected zkey version 1, got 2"),
        (container(magic, version, secs[:-1]), "missing section 10"),
        (container(magic, version, secs + [secs[2]]), "duplicate section 3"),
        (container(b"zkex", version, secs), "expected magic b'zkey'"),
        (container(magic, version, secs + [(11, b"")]), "unknown section 11"),
    ]
    for data, message in cases:
        bad = tmp_path / "bad.zkey"
        bad.write_bytes(data)
        with pytest.raises(FormatError, match=message):
            read_zkey(bad)


def test_write_rejects_bad_content(tiny, tmp_path) -> None:
    z, _ = tiny
    out = tmp_path / "o.zkey"
    with pytest.raises(ValueError, match=r"a_query: expected uint64 limbs of shape \(5, 2, 4\)"):
        write_zkey(replace(z, a_query=z.a_query[:4]), out)
    big = z.h_query.copy()
    big[1, 1] = ints_to_limbs([Q])[0]
    with pytest.raises(ValueError, match="h_query: coordinate 3 is not below q"):
        write_zkey(replace(z, h_query=big), out)
    vals = z.coeffs.copy()
    vals["value"][0] = ints_to_limbs([R])[0]
    with pytest.raises(ValueError, match="coefficient value is not below r"):
        write_zkey(replace(z, coeffs=vals), out)
    with pytest.raises(ValueError, match="cs_hash must be 64 bytes"):
        write_zkey(replace(z, cs_hash=b"x"), out)
    with pytest.raises(ValueError, match="beacon contribution .type 1. needs"):
        write_zkey(replace(z, contributions=(replace(z.contributions[0], type=1),)), out)
    assert not out.exists()


def test_vkey_pairing_hook(tiny) -> None:
    z, _ = tiny
    calls = []

    def fake(p, q):
        calls.append((p, q))
        return [[[i, i + 1] for i in range(j, j + 3)] for j in (0, 10)]

    z = replace(z, alpha_g1=ints_to_limbs([5, 6]), beta_g2=ints_to_limbs([1, 2, 3, 4]).reshape(2, 2, 4))
    vk = verification_key_json(z, pairing=fake)
    assert calls == [
        (
            (5 * pow(2, -256, Q) % Q, 6 * pow(2, -256, Q) % Q),
            ((1 * pow(2, -256, Q) % Q, 2 * pow(2, -256, Q) % Q), (3 * pow(2, -256, Q) % Q, 4 * pow(2, -256, Q) % Q)),
        )
    ]
    assert vk["vk_alphabeta_12"][1][2] == ["12", "13"]
    assert vk["nPublic"] == 1 and len(vk["IC"]) == 2


# --- snarkjs keys ----------------------------------------------------------------------------------


@pytest.mark.interop
def test_round_trip_snarkjs_keys(snarkjs_setup, tmp_path) -> None:
    for src in (snarkjs_setup.zkey_new, snarkjs_setup.zkey_contributed, snarkjs_setup.zkey_beacon):
        out = tmp_path / src.name
        write_zkey(read_zkey(src), out)
        assert out.read_bytes() == src.read_bytes(), src.name
    assert read_zkey(snarkjs_setup.zkey_new).section_order == (1, 2, 4, 3, 9, 8, 5, 6, 7, 10)
    z = read_zkey(snarkjs_setup.zkey_beacon)
    assert [(c.name, c.type, c.num_iterations_exp) for c in z.contributions] == [
        ("bob", 0, None),
        ("zkey beacon", 1, 10),
    ]
    assert z.contributions[1].beacon_hash == bytes(range(1, 33))


@pytest.mark.interop
def test_snarkjs_verifies_keys_we_wrote(snarkjs_setup, tmp_path) -> None:
    s = snarkjs_setup
    # zkey_new is rewritten in id order (a different byte layout); both must still verify.
    for src in (s.zkey_new, s.zkey_beacon):
        z = read_zkey(src)
        out = tmp_path / f"ours-{src.name}"
        write_zkey(replace(z, section_order=tuple(range(1, 11))), out)
        assert "ZKey Ok!" in snarkjs("zkey", "verify", s.circuit.r1cs, s.ptau_final, out)
    # And a key whose delta we changed without a matching contribution does not.
    z = read_zkey(s.zkey_beacon)
    bad = tmp_path / "bad.zkey"
    write_zkey(replace(z, delta_g1=z.alpha_g1), bad)
    with pytest.raises(RuntimeError, match="Invalid delta1"):
        snarkjs("zkey", "verify", s.circuit.r1cs, s.ptau_final, bad)


@pytest.mark.interop
def test_points_and_coefficients_match_snarkjs_json(snarkjs_setup, tmp_path) -> None:
    s = snarkjs_setup
    snarkjs("zkey", "export", "json", s.zkey_beacon, tmp_path / "z.json")
    js = json.loads((tmp_path / "z.json").read_text())
    z = read_zkey(s.zkey_beacon)

    def g1(a):
        p = g1_from_limbs(a)
        return ["0", "1", "0"] if p is None else [str(p[0]), str(p[1]), "1"]

    def g2(a):
        p = g2_from_limbs(a)
        if p is None:
            return [["0", "0"], ["1", "0"], ["0", "0"]]
        return [[str(p[0][0]), str(p[0][1])], [str(p[1][0]), str(p[1][1])], ["1", "0"]]

    assert (z.n_vars, z.n_public, z.domain_size, z.power) == (js["nVars"], js["nPublic"], js["domainSize"], js["power"])
    for ours, theirs in (("alpha_g1", "vk_alpha_1"), ("beta_g1", "vk_beta_1"), ("delta_g1", "vk_delta_1")):
        assert g1(getattr(z, ours)) == js[theirs]
    for ours, theirs in (("beta_g2", "vk_beta_2"), ("gamma_g2", "vk_gamma_2"), ("delta_g2", "vk_delta_2")):
        assert g2(getattr(z, ours)) == js[theirs]
    assert [g1(p) for p in z.gamma_abc_g1] == js["IC"]
    assert [g1(p) for p in z.a_query] == js["A"]
    assert [g1(p) for p in z.b_g1_query] == js["B1"]
    assert [g2(p) for p in z.b_g2_query] == js["B2"]
    assert [g1(p) for p in z.l_query] == js["C"][z.n_public + 1 :]
    assert [g1(p) for p in z.h_query] == js["hExps"]
    assert coeff_ints(z) == [(c["matrix"], c["constraint"], c["signal"], int(c["value"])) for c in js["ccoefs"]]


@pytest.mark.interop
def test_coefficients_from_r1cs_and_infinity(snarkjs_setup) -> None:
    s = snarkjs_setup
    r1cs = read_r1cs(s.circuit.r1cs)
    z = read_zkey(s.zkey_new)
    assert coeffs_from_r1cs(r1cs).tobytes() == z.coeffs.tobytes()
    # Infinity (all-zero limbs) exactly where a wire has no B coefficient (B_i(tau) = 0).
    in_b = set(r1cs.B.cols.tolist())
    inf = {i for i in range(z.n_vars) if not z.b_g2_query[i].any()}
    assert inf == set(range(z.n_vars)) - in_b and inf
    assert inf == {i for i in range(z.n_vars) if not z.b_g1_query[i].any()}
    assert all(g2_from_limbs(z.b_g2_query[i]) is None for i in inf)


@pytest.mark.interop
def test_mpc_hashes_match_snarkjs(snarkjs_setup) -> None:
    """The transcript and contribution hashes, recomputed with our uncompressed encodings."""
    z = read_zkey(snarkjs_setup.zkey_beacon)
    acc = hashlib.blake2b(digest_size=64)
    acc.update(z.cs_hash)
    for c in z.contributions:
        mine = acc.copy()
        mine.update(g1_uncompressed(c.g1_s) + g1_uncompressed(c.g1_sx))
        assert mine.digest() == c.transcript
        pub = g1_uncompressed(c.delta_after) + g1_uncompressed(c.g1_s) + g1_uncompressed(c.g1_sx)
        pub += g2_uncompressed(c.g2_spx) + c.transcript
        acc.update(pub)
        if c.name == "bob":
            assert hashlib.blake2b(pub, digest_size=64).digest() == snarkjs_setup.contribution_hash
    assert np.array_equal(z.contributions[-1].delta_after, z.delta_g1)


@pytest.mark.interop
def test_verification_key_matches_snarkjs(snarkjs_setup) -> None:
    z = read_zkey(snarkjs_setup.zkey_beacon)
    theirs = json.loads(snarkjs_setup.vkey.read_text())
    ours = verification_key_json(z)
    assert ours == theirs
    assert list(ours) == list(theirs)
