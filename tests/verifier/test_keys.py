"""snarkjs JSON readers and writers: round trips, strict decimal and coordinate parsing, typed errors."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from verifier_fixtures import Synthetic

from bn254.constants import G2_GEN, Q, R
from bn254.g1 import g1_array
from bn254.g2 import g2_array
from verifier import keys as K
from verifier.errors import MalformedProof, PublicInputError, VerificationError, VerifyingKeyError


@pytest.fixture(scope="module")
def vk_json(synthetic: Synthetic) -> dict:
    return synthetic.vk.to_json()


@pytest.fixture(scope="module")
def proof_json(synthetic: Synthetic) -> dict:
    return synthetic.prove(synthetic.inputs()).to_json()


def test_error_hierarchy() -> None:
    for cls in (MalformedProof, PublicInputError, VerifyingKeyError):
        assert issubclass(cls, VerificationError) and issubclass(cls, ValueError)


def test_verifying_key_round_trip(synthetic: Synthetic, vk_json: dict, tmp_path: Path) -> None:
    assert list(vk_json) == ["protocol", "curve", "nPublic", "vk_alpha_1", "vk_beta_2", "vk_gamma_2", "vk_delta_2",
                             "vk_alphabeta_12", "IC"]
    vk = K.verifying_key_from_json(json.loads(json.dumps(vk_json)))
    assert vk.alphabeta_12 is not None
    assert vk == K.VerifyingKey(**{**synthetic.vk.__dict__, "alphabeta_12": vk.alphabeta_12})
    assert vk.IC == synthetic.vk.gamma_abc_g1
    K.write_verification_key(vk, tmp_path / "vk.json")
    assert K.read_verification_key(tmp_path / "vk.json") == vk
    assert vk_json["vk_gamma_2"] == [[str(G2_GEN[0][0]), str(G2_GEN[0][1])], [str(G2_GEN[1][0]), str(G2_GEN[1][1])],
                                     ["1", "0"]]
    assert "vk_alphabeta_12" not in synthetic.vk.to_json(alphabeta=False)


def test_verifying_key_from_zkey_arrays(synthetic: Synthetic) -> None:
    vk = synthetic.vk
    zkey = SimpleNamespace(
        n_public=vk.n_public,
        alpha_g1=g1_array([vk.alpha_g1])[0],
        beta_g2=g2_array([vk.beta_g2])[0],
        gamma_g2=g2_array([vk.gamma_g2])[0],
        delta_g2=g2_array([vk.delta_g2])[0],
        gamma_abc_g1=g1_array(vk.gamma_abc_g1),
    )
    assert K.verifying_key_from_zkey(zkey) == vk
    assert K.verification_key_json(zkey) == K.VerifyingKey(**vk.__dict__).to_json()


def test_proof_and_public_round_trip(synthetic: Synthetic, proof_json: dict, tmp_path: Path) -> None:
    proof = K.proof_from_json(proof_json)
    assert proof.to_json() == proof_json
    K.write_proof(proof, tmp_path / "proof.json")
    assert K.read_proof(tmp_path / "proof.json") == proof
    xs = [0, 1, R - 1]
    K.write_public(xs, tmp_path / "public.json")
    assert json.loads((tmp_path / "public.json").read_text()) == ["0", "1", str(R - 1)]
    assert K.read_public(tmp_path / "public.json") == xs


BAD_DECIMALS = [5, 5.0, None, True, "", "+5", "-5", " 5", "5 ", "05", "00", "0x5", "5e3", "1_000", "\u0661", "9" * 79]


@pytest.mark.parametrize("bad", BAD_DECIMALS, ids=repr)
def test_strict_decimals_everywhere(bad, vk_json: dict, proof_json: dict) -> None:
    p = copy.deepcopy(proof_json)
    p["pi_a"][0] = bad
    with pytest.raises(MalformedProof, match="pi_a.x"):
        K.proof_from_json(p)
    p = copy.deepcopy(proof_json)
    p["pi_b"][1][1] = bad
    with pytest.raises(MalformedProof, match=r"pi_b.y.c1"):
        K.proof_from_json(p)
    v = copy.deepcopy(vk_json)
    v["IC"][1][1] = bad
    with pytest.raises(VerifyingKeyError, match=r"IC\[1\].y"):
        K.verifying_key_from_json(v)
    v = copy.deepcopy(vk_json)
    v["vk_alphabeta_12"][1][2][0] = bad
    with pytest.raises(VerifyingKeyError, match=r"vk_alphabeta_12\[1\]\[2\]\[0\]"):
        K.verifying_key_from_json(v)
    with pytest.raises(PublicInputError, match="public input 1"):
        K.public_from_json(["1", bad])


@pytest.mark.parametrize("value", [Q, Q + 1, 2 * Q, (1 << 256) - 1])
def test_coordinates_must_be_below_q(value: int, vk_json: dict, proof_json: dict) -> None:
    for path in (["pi_a", 0], ["pi_a", 1], ["pi_c", 1], ["pi_b", 0, 0], ["pi_b", 0, 1], ["pi_b", 1, 0], ["pi_b", 1, 1]):
        p = copy.deepcopy(proof_json)
        o = p
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = str(value)
        with pytest.raises(MalformedProof, match="< q"):
            K.proof_from_json(p)
    v = copy.deepcopy(vk_json)
    v["vk_delta_2"][0][1] = str(value)
    with pytest.raises(VerifyingKeyError, match=r"vk_delta_2.x.c1: expected a coordinate < q"):
        K.verifying_key_from_json(v)


def test_projective_z(vk_json: dict, proof_json: dict) -> None:
    for z in ("0", "2", str(Q - 1)):
        p = copy.deepcopy(proof_json)
        p["pi_c"][2] = z
        with pytest.raises(MalformedProof, match="pi_c"):
            K.proof_from_json(p)
    for z in (["0", "0"], ["1", "1"], ["0", "1"], ["2", "0"]):
        p = copy.deepcopy(proof_json)
        p["pi_b"][2] = z
        with pytest.raises(MalformedProof, match="pi_b"):
            K.proof_from_json(p)
    # the snarkjs infinity: refused in proofs, read (and refused later by prepare) in IC
    for name, inf in (("pi_a", ["0", "1", "0"]), ("pi_c", ["0", "1", "0"]),
                      ("pi_b", [["0", "0"], ["1", "0"], ["0", "0"]])):
        with pytest.raises(MalformedProof, match=f"{name}: expected a G[12] point, got the point at infinity"):
            K.proof_from_json({**proof_json, name: inf})
    v = copy.deepcopy(vk_json)
    v["IC"][2] = ["0", "1", "0"]
    assert K.verifying_key_from_json(v).gamma_abc_g1[2] is None
    v["vk_alpha_1"] = ["0", "1", "0"]
    with pytest.raises(VerifyingKeyError, match="vk_alpha_1: expected a G1 point, got the point at infinity"):
        K.verifying_key_from_json(v)


def test_shapes_and_headers(vk_json: dict, proof_json: dict) -> None:
    with pytest.raises(MalformedProof, match="pi_a: expected a list of 3, got a list of 2"):
        K.proof_from_json({**proof_json, "pi_a": proof_json["pi_a"][:2]})
    with pytest.raises(MalformedProof, match="pi_b.x: expected a list of 2"):
        K.proof_from_json({**proof_json, "pi_b": [proof_json["pi_b"][0][:1], *proof_json["pi_b"][1:]]})
    with pytest.raises(MalformedProof, match="expected protocol 'groth16', got 'plonk'"):
        K.proof_from_json({**proof_json, "protocol": "plonk"})
    with pytest.raises(MalformedProof, match="expected curve 'bn128', got 'bls12381'"):
        K.proof_from_json({**proof_json, "curve": "bls12381"})
    with pytest.raises(MalformedProof, match="expected a pi_c field"):
        K.proof_from_json({k: v for k, v in proof_json.items() if k != "pi_c"})
    with pytest.raises(MalformedProof, match="expected a JSON object, got list"):
        K.proof_from_json([])
    with pytest.raises(VerifyingKeyError, match=r"IC: expected nPublic \+ 1 = 4 points, got 3"):
        K.verifying_key_from_json({**vk_json, "IC": vk_json["IC"][:3]})
    for n in (-1, "3", 3.0, True, None):
        with pytest.raises(VerifyingKeyError, match="nPublic"):
            K.verifying_key_from_json({**vk_json, "nPublic": n})
    with pytest.raises(VerifyingKeyError, match="expected a vk_delta_2 field"):
        K.verifying_key_from_json({k: v for k, v in vk_json.items() if k != "vk_delta_2"})
    v = {k: v for k, v in vk_json.items() if k != "vk_alphabeta_12"}
    assert K.verifying_key_from_json(v).alphabeta_12 is None


def test_public_inputs() -> None:
    assert K.public_inputs([0, "1", np.uint64(7), str(R - 1)], 4) == [0, 1, 7, R - 1]
    assert K.public_inputs(np.array([3, 4], dtype=np.uint64), 2) == [3, 4]
    with pytest.raises(PublicInputError, match="expected a list"):
        K.public_inputs(np.zeros((2, 4), dtype=np.uint64), 2)  # limb arrays are not public inputs
    with pytest.raises(PublicInputError, match="expected 3 public inputs, got 2"):
        K.public_inputs([1, 2], 3)
    with pytest.raises(PublicInputError, match="expected 1 public inputs, got 2"):
        K.public_inputs([1, 2], 1)
    for bad, msg in [(R, "< r"), (R + 5, "< r"), ((1 << 256) - 1, "< r"), (-1, "negative"), (True, "integer"),
                     (1.0, "integer"), (str(R), "< r"), ("-1", "canonical decimal")]:
        with pytest.raises(PublicInputError, match=msg):
            K.public_inputs([bad], 1)
    with pytest.raises(PublicInputError, match="expected a list"):
        K.public_inputs("123", None)
    with pytest.raises(PublicInputError, match="expected a decimal string, got int"):
        K.public_from_json([1])


def test_files(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(MalformedProof, match="expected a JSON file"):
        K.read_proof(tmp_path / "bad.json")
    with pytest.raises(VerifyingKeyError, match="expected a JSON file"):
        K.read_verification_key(tmp_path / "bad.json")
    with pytest.raises(PublicInputError, match="expected a JSON file"):
        K.read_public(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError):
        K.read_proof(tmp_path / "missing.json")


def test_calldata_layout(synthetic: Synthetic) -> None:
    xs = [5, 0, R - 1]
    p = synthetic.prove(xs)
    s = K.proof_calldata(p, xs)
    words = json.loads("[" + s + "]")
    (bx0, bx1), (by0, by1) = p.b
    assert words[0] == [f"0x{p.a[0]:064x}", f"0x{p.a[1]:064x}"]
    assert words[1] == [[f"0x{bx1:064x}", f"0x{bx0:064x}"], [f"0x{by1:064x}", f"0x{by0:064x}"]]
    assert words[2] == [f"0x{p.c[0]:064x}", f"0x{p.c[1]:064x}"]
    assert words[3] == [f"0x{x:064x}" for x in xs]
    with pytest.raises(PublicInputError):
        K.proof_calldata(p, [R])
