"""Phase-2 ceremony (prover.ceremony) and `hush ptau verify` (prover.setup_verify): every
contribution checked, files and transcripts shared with snarkjs both ways, and wrong files refused
with the step that failed. Interop tests use the `mix` circuit (domain 2^4) on snarkjs' power-6 ptau
(conftest's `snarkjs_setup`); the others a hand-written R1CS (test_setup's, domain 2^3) on a
development ptau, so they need neither node nor circom. The transfer circuit's three-party ceremony
is in tests/service/test_ceremony_service.py."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from toolchain import snarkjs

from hush.cli import main as hush
from prover import ceremony as C
from prover.formats.ptau import read_ptau, write_ptau
from prover.formats.zkey import read_zkey, write_zkey
from prover.setup import DevSetupWarning, powers_of_tau
from prover.setup_verify import SetupCheckError, ptau_verify

BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"  # conftest's snarkjs_setup uses it too
SnarkjsSetup = Any  # conftest.SnarkjsSetup (not importable by name when several conftest.py are loaded)


def _printed_hashes(out: str) -> dict[str, bytes]:
    """{name: hash} of the contributions `snarkjs zkey verify` prints."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", out)
    found = {}
    for m in re.finditer(r"contribution #\d+ ([^:]*):((?:\s+[0-9a-f]{8}){16})", text):
        found[m.group(1).strip()] = bytes.fromhex("".join(m.group(2).split()))
    return found


def _dev_ptau(power: int, path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevSetupWarning)
        powers_of_tau(power, path)
    return path


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A hand-written R1CS, development ptaus, and a Hush chain new -> alice -> bob -> beacon."""
    from test_setup import _write_small_r1cs

    d = tmp_path_factory.mktemp("hush-chain")
    r1cs = d / "small.r1cs"
    _write_small_r1cs(r1cs)
    ptau = _dev_ptau(5, d / "p5.ptau")
    p = read_ptau(ptau)
    write_ptau(replace(p, lagrange_tau_g1=None, lagrange_tau_g2=None, lagrange_alpha_tau_g1=None,
                       lagrange_beta_tau_g1=None), d / "p5-unprepared.ptau")
    C.zkey_new(r1cs, ptau, d / "k0.zkey")
    a = C.zkey_contribute(d / "k0.zkey", d / "k1.zkey", name="alice", entropy="a")
    b = C.zkey_contribute(d / "k1.zkey", d / "k2.zkey", name="bob")
    z = C.zkey_beacon(d / "k2.zkey", d / "k3.zkey", BEACON, 10, name="final beacon")
    return {"dir": d, "r1cs": r1cs, "ptau": ptau, "unprepared": d / "p5-unprepared.ptau", "final": d / "k3.zkey",
            "lines": (a, b, z)}


# --- Hush <-> snarkjs ----------------------------------------------------------------------------------


@pytest.mark.interop
def test_zkey_new_is_snarkjs_groth16_setup_byte_for_byte(snarkjs_setup: SnarkjsSetup, tmp_path: Path) -> None:
    C.zkey_new(snarkjs_setup.circuit.r1cs, snarkjs_setup.ptau_final, tmp_path / "new.zkey")
    assert (tmp_path / "new.zkey").read_bytes() == snarkjs_setup.zkey_new.read_bytes()


@pytest.mark.interop
def test_beacon_is_snarkjs_beacon_byte_for_byte(snarkjs_setup: SnarkjsSetup, tmp_path: Path) -> None:
    """The beacon is deterministic: from the same key and beacon, the same file as `snarkjs zkey beacon`."""
    C.zkey_beacon(snarkjs_setup.zkey_contributed, tmp_path / "b.zkey", BEACON, 10, name="zkey beacon")
    assert (tmp_path / "b.zkey").read_bytes() == snarkjs_setup.zkey_beacon.read_bytes()


@pytest.mark.interop
def test_snarkjs_verifies_a_hush_ceremony(snarkjs_setup: SnarkjsSetup, tmp_path: Path) -> None:
    s, d = snarkjs_setup, tmp_path
    C.zkey_new(s.circuit.r1cs, s.ptau_final, d / "k0.zkey")
    a = C.zkey_contribute(d / "k0.zkey", d / "k1.zkey", name="alice", entropy="a")
    b = C.zkey_contribute(d / "k1.zkey", d / "k2.zkey", name="bob")
    z = C.zkey_beacon(d / "k2.zkey", d / "k3.zkey", BEACON, 10, name="final beacon")
    out = snarkjs("zkey", "verify", s.circuit.r1cs, s.ptau_final, d / "k3.zkey")
    assert "ZKey Ok!" in out
    assert _printed_hashes(out) == {"alice": a.hash, "bob": b.hash, "final beacon": z.hash}
    t = C.zkey_verify(s.circuit.r1cs, s.ptau_final, d / "k3.zkey")
    assert [c.hash for c in t.contributions] == [a.hash, b.hash, z.hash]
    assert [c.index for c in t.contributions] == [1, 2, 3] and t.contributions[2].is_beacon


@pytest.mark.interop
def test_hush_verifies_a_snarkjs_ceremony(snarkjs_setup: SnarkjsSetup) -> None:
    s = snarkjs_setup
    t = C.zkey_verify(s.circuit.r1cs, s.ptau_final, s.zkey_beacon)
    assert [c.name for c in t.contributions] == ["bob", "zkey beacon"]
    assert t.contributions[0].hash == s.contribution_hash
    assert t.contributions[1].beacon_hash == bytes.fromhex(BEACON) and t.contributions[1].iterations_exp == 10


@pytest.mark.interop
def test_mixed_chain_hush_snarkjs_hush(snarkjs_setup: SnarkjsSetup, tmp_path: Path) -> None:
    s = snarkjs_setup
    h1 = C.zkey_contribute(s.zkey_new, tmp_path / "1.zkey", name="hush one")
    out = snarkjs("zkey", "contribute", tmp_path / "1.zkey", tmp_path / "2.zkey", "--name=snarkjs two", "-e=xyz")
    h3 = C.zkey_contribute(tmp_path / "2.zkey", tmp_path / "3.zkey", name="hush three")
    snarkjs("zkey", "beacon", tmp_path / "3.zkey", tmp_path / "4.zkey", BEACON, "10", "-n=snarkjs beacon")
    printed = _printed_hashes(snarkjs("zkey", "verify", s.circuit.r1cs, s.ptau_final, tmp_path / "4.zkey"))
    t = C.zkey_verify(s.circuit.r1cs, s.ptau_final, tmp_path / "4.zkey")
    ours = {c.name: c.hash for c in t.contributions}
    assert ours == printed
    assert ours["hush one"] == h1.hash and ours["hush three"] == h3.hash
    assert ours["snarkjs two"] == _contribution_hash_printed(out)


def _contribution_hash_printed(out: str) -> bytes:
    text = re.sub(r"\x1b\[[0-9;]*m", "", out).split("Contribution Hash:", 1)[1]
    return bytes.fromhex("".join(re.findall(r"\b[0-9a-f]{8}\b", text)[:16]))


@pytest.mark.interop
def test_ptau_verify_accepts_snarkjs_files_and_prints_their_hashes(snarkjs_setup: SnarkjsSetup) -> None:
    r = ptau_verify(snarkjs_setup.ptau_final)
    assert r.prepared and [c.name for c in r.contributions] == ["alice é", "ptau beacon"]
    assert r.contributions[1].beacon_hash == bytes.fromhex(BEACON)
    assert r.next_challenge == r.contributions[-1].next_challenge
    out = snarkjs("powersoftau", "verify", snarkjs_setup.ptau_final)
    text = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert "".join(r.contributions[0].response_hash.hex()[i : i + 8] for i in range(0, 16, 8)) in text.replace(" ", "")
    assert not ptau_verify(snarkjs_setup.ptau_beacon).prepared


# --- refusals -------------------------------------------------------------------------------------------


def _swap_two(pts: np.ndarray) -> np.ndarray:
    """pts with its first two different points swapped."""
    out = np.array(pts)
    j = next(j for j in range(1, len(out)) if not np.array_equal(out[0], out[j]))
    out[[0, j]] = out[[j, 0]]
    return out


def _rewrite(src: Path, dst: Path, **changes) -> Path:
    z = read_zkey(src)
    write_zkey(replace(z, **changes), dst)
    return dst


def _verify_step(local: dict, zkey: Path, ptau: Path | None = None) -> str:
    with pytest.raises(SetupCheckError) as e:
        C.zkey_verify(local["r1cs"], ptau or local["ptau"], zkey)
    return e.value.step


def test_refuses_swapped_points(local: dict, tmp_path: Path) -> None:
    z = read_zkey(local["final"])
    for section, attr in (("C section", "l_query"), ("H section", "h_query"), ("A section", "a_query"),
                          ("B2 section", "b_g2_query")):
        bad = _rewrite(local["final"], tmp_path / f"{attr}.zkey", **{attr: _swap_two(getattr(z, attr))})
        assert _verify_step(local, bad) == section


def test_refuses_a_wrong_delta(local: dict, tmp_path: Path) -> None:
    z = read_zkey(local["final"])
    other = read_zkey(local["dir"] / "k2.zkey")
    # delta of an earlier key: delta_g1 no longer the last contribution's
    bad = _rewrite(local["final"], tmp_path / "d1.zkey", delta_g1=np.array(other.delta_g1))
    assert _verify_step(local, bad) == "delta_g1"
    bad = _rewrite(local["final"], tmp_path / "d2.zkey", delta_g2=np.array(other.delta_g2))
    assert _verify_step(local, bad) == "delta_g2"
    # a last contribution claiming another delta (deltaAfter and delta_g1 consistent): the key's
    # proof of knowledge does not cover it
    last = replace(z.contributions[-1], delta_after=np.array(other.delta_g1))
    bad = _rewrite(local["final"], tmp_path / "d3.zkey", delta_g1=np.array(other.delta_g1),
                   contributions=(*z.contributions[:-1], last))
    assert _verify_step(local, bad) == "contribution #3 delta"
    # C divided by another delta than the key's
    bad = _rewrite(local["final"], tmp_path / "d4.zkey", l_query=np.array(other.l_query))
    assert _verify_step(local, bad) == "C section"


def test_refuses_a_broken_transcript(local: dict, tmp_path: Path) -> None:
    z = read_zkey(local["final"])
    first = z.contributions[0]
    t = bytearray(first.transcript)
    t[0] ^= 1
    bad = _rewrite(local["final"], tmp_path / "t.zkey",
                   contributions=(replace(first, transcript=bytes(t)), *z.contributions[1:]))
    assert _verify_step(local, bad) == "contribution #1 transcript"
    # a contribution dropped from the middle: the next one's transcript no longer chains
    bad = _rewrite(local["final"], tmp_path / "drop.zkey", contributions=(z.contributions[0], z.contributions[2]))
    assert _verify_step(local, bad) == "contribution #2 transcript"
    # another name on a beacon record: the beacon's proof is recomputed from its parameters
    beacon = replace(z.contributions[2], beacon_hash=bytes(32))
    bad = _rewrite(local["final"], tmp_path / "b.zkey", contributions=(*z.contributions[:2], beacon))
    assert _verify_step(local, bad) == "contribution #3 beacon"


def test_refuses_a_ptau_not_prepared_or_too_small(local: dict, tmp_path: Path) -> None:
    with pytest.raises(SetupCheckError, match="not prepared") as e:
        C.zkey_new(local["r1cs"], local["unprepared"], tmp_path / "x.zkey")
    assert e.value.step == "ptau" and not (tmp_path / "x.zkey").exists()
    assert _verify_step(local, local["final"], local["unprepared"]) == "ptau"
    with pytest.raises(SetupCheckError, match="domain of 2\\^3") as e:
        C.zkey_new(local["r1cs"], _dev_ptau(2, tmp_path / "p2.ptau"), tmp_path / "x.zkey")
    assert e.value.step == "ptau"
    # a sound ptau, but not the one the key was made from
    assert _verify_step(local, local["final"], _dev_ptau(5, tmp_path / "other.ptau")) == "alpha_g1"


def test_contribute_refuses_a_broken_input(local: dict, tmp_path: Path) -> None:
    z = read_zkey(local["dir"] / "k2.zkey")
    earlier = np.array(z.contributions[0].delta_after)
    bad = _rewrite(local["dir"] / "k2.zkey", tmp_path / "bad.zkey", delta_g1=earlier)
    with pytest.raises(SetupCheckError) as e:
        C.zkey_contribute(bad, tmp_path / "out.zkey", name="carol")
    assert e.value.step == "delta_g1" and not (tmp_path / "out.zkey").exists()


def test_ptau_verify_refuses_tampering(local: dict, tmp_path: Path) -> None:
    assert ptau_verify(local["ptau"]).prepared
    p = read_ptau(local["ptau"])
    cases = {}
    tau = np.array(p.tau_g1)
    tau[[5, 6]] = tau[[6, 5]]
    cases["tauG1 powers"] = replace(p, tau_g1=tau)
    lag = np.array(p.lagrange_tau_g2)
    lag[[3, 4]] = lag[[4, 3]]  # the 2^2 block of section 13
    cases["Lagrange section 13 at 2^2"] = replace(p, lagrange_tau_g2=lag)
    beta = np.array(p.beta_tau_g1)
    beta[[1, 2]] = beta[[2, 1]]
    cases["betaTauG1 powers"] = replace(p, beta_tau_g1=beta)
    c0 = p.contributions[0]
    k = replace(c0.key, tau_g1_sx=np.array(c0.key.alpha_g1_sx))
    cases["contribution #1 proof of knowledge (tau)"] = replace(p, contributions=(replace(c0, key=k),))
    cases["next challenge"] = replace(p, contributions=(replace(c0, next_challenge=bytes(64)),))
    cases["contributions"] = replace(p, contributions=())
    for step, bad in cases.items():
        path = tmp_path / "bad.ptau"
        write_ptau(bad, path)
        with pytest.raises(SetupCheckError) as e:
            ptau_verify(path)
        assert e.value.step == step


# --- command line ---------------------------------------------------------------------------------------


def test_cli_verbs(local: dict, tmp_path: Path, capsys) -> None:
    r1cs, ptau = str(local["r1cs"]), str(local["ptau"])
    assert hush(["zkey", "new", r1cs, ptau, str(tmp_path / "0.zkey")]) == 0
    assert hush(["zkey", "contribute", str(tmp_path / "0.zkey"), str(tmp_path / "1.zkey"), "--name", "cli",
                 "--entropy", "some words"]) == 0
    assert hush(["zkey", "beacon", str(tmp_path / "1.zkey"), str(tmp_path / "2.zkey"), BEACON, "10"]) == 0
    capsys.readouterr()
    assert hush(["zkey", "verify", r1cs, ptau, str(tmp_path / "2.zkey")]) == 0
    out = capsys.readouterr()
    assert "contribution #1 cli" in out.out and "ZKey OK (2 contributions)" in out.out
    assert "[####" in out.err  # progress
    z = read_zkey(tmp_path / "2.zkey")
    _rewrite(tmp_path / "2.zkey", tmp_path / "bad.zkey", l_query=_swap_two(z.l_query))
    assert hush(["zkey", "verify", r1cs, ptau, str(tmp_path / "bad.zkey")]) == 1
    assert "INVALID at C section" in capsys.readouterr().out
    assert hush(["ptau", "verify", ptau]) == 0
    assert "Powers of tau OK" in capsys.readouterr().out
    write_ptau(replace(read_ptau(ptau), contributions=()), tmp_path / "none.ptau")
    assert hush(["ptau", "verify", str(tmp_path / "none.ptau")]) == 1
    assert "INVALID at contributions" in capsys.readouterr().out
