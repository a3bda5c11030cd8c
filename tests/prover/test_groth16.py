"""prover.groth16: proofs against a closed form (py_ecc) and against snarkjs, both directions."""

from __future__ import annotations

import json
import random
import subprocess
from pathlib import Path

import numpy as np
import pytest
from py_ecc import optimized_bn128 as ob
from toolchain import snarkjs, write_input

from bn254.constants import R
from prover.formats.wtns import read_wtns, write_wtns
from prover.formats.zkey import coeff_ints, encode_coeff, read_zkey
from prover.groth16 import Prover, WitnessShapeError
from prover.qap import compute_h_reference
from prover.witness import WitnessCalculator

MIX_OK = {"a": [[1, 2], [3, 4], [5, 6]], "b": 11, "k": 3}


def _mix_inputs(rng: random.Random) -> dict:
    a = [[rng.randrange(R), rng.randrange(R)] for _ in range(3)]
    return {"a": a, "b": rng.randrange(R), "k": rng.randrange(8, R)}


@pytest.fixture(scope="module")
def mix_prover(snarkjs_setup) -> Prover:
    return Prover(snarkjs_setup.zkey_beacon, self_check=False)


@pytest.fixture(scope="module")
def mix_wc(snarkjs_setup) -> WitnessCalculator:
    return WitnessCalculator(snarkjs_setup.circuit.wasm)


def _snarkjs_verifies(vkey: Path, proof: dict, public: list, tmp: Path) -> bool:
    (tmp / "proof.json").write_text(json.dumps(proof))
    (tmp / "public.json").write_text(json.dumps([str(x) for x in public]))
    try:
        out = snarkjs("groth16", "verify", vkey, tmp / "public.json", tmp / "proof.json")
    except RuntimeError:
        return False
    return "OK" in out


# --- closed form ----------------------------------------------------------------------------------


def _pt1(xy):
    return ob.Z1 if xy is None else (ob.FQ(xy[0]), ob.FQ(xy[1]), ob.FQ(1))


def _pt2(xy):
    if xy is None:
        return ob.Z2
    (x0, x1), (y0, y1) = xy
    return (ob.FQ2([x0, x1]), ob.FQ2([y0, y1]), ob.FQ2.one())


def _msm_ref(points, scalars, to_pt):
    acc = None
    for p, s in zip(points, scalars, strict=True):
        if s % R and p is not None:
            t = ob.multiply(to_pt(p), s % R)
            acc = t if acc is None else ob.add(acc, t)
    return acc


@pytest.mark.interop
@pytest.mark.parametrize("glv", [None, True, False])
def test_proof_matches_closed_form(snarkjs_setup, mix_prover, mix_wc, glv) -> None:
    """With chosen r, s the proof is a fixed function of key and witness: rebuild it with py_ecc.
    With the MSMs' default, with the GLV split forced on every MSM, and with it off."""
    from prover.formats.encoding import g1_from_limbs, g2_from_limbs

    zk = read_zkey(snarkjs_setup.zkey_beacon)
    w = mix_wc.calculate(MIX_OK)
    r, s = 12345, 67890
    prover = mix_prover if glv is None else Prover(snarkjs_setup.zkey_beacon, self_check=False, glv=glv)
    got = prover.prove(mix_wc.calculate_limbs(MIX_OK), r=r, s=s).proof
    g1 = [g1_from_limbs(p) for p in zk.a_query]
    b1 = [g1_from_limbs(p) for p in zk.b_g1_query]
    b2 = [g2_from_limbs(p) for p in zk.b_g2_query]
    lq = [g1_from_limbs(p) for p in zk.l_query]
    hq = [g1_from_limbs(p) for p in zk.h_query]
    stored = [(m, c, s, encode_coeff(v)) for m, c, s, v in coeff_ints(zk)]  # the reference takes file values
    h = compute_h_reference(stored, w, zk.domain_size)
    alpha, beta1, delta1 = (_pt1(g1_from_limbs(x)) for x in (zk.alpha_g1, zk.beta_g1, zk.delta_g1))
    beta2, delta2 = (_pt2(g2_from_limbs(x)) for x in (zk.beta_g2, zk.delta_g2))

    def add(*ps):
        acc = ps[0]
        for p in ps[1:]:
            acc = ob.add(acc, p) if p is not None else acc
        return acc

    A = add(alpha, _msm_ref(g1, w, _pt1), ob.multiply(delta1, r))
    B = add(beta2, _msm_ref(b2, w, _pt2), ob.multiply(delta2, s))
    B1 = add(beta1, _msm_ref(b1, w, _pt1), ob.multiply(delta1, s))
    C = add(
        _msm_ref(lq, w[zk.n_public + 1 :], _pt1),
        _msm_ref(hq, h, _pt1),
        ob.multiply(A, s),
        ob.multiply(B1, r),
        ob.multiply(delta1, (-r * s) % R),
    )
    assert ob.normalize(A) == tuple(ob.FQ(v) for v in got.a)
    assert ob.normalize(C) == tuple(ob.FQ(v) for v in got.c)
    bx, by = ob.normalize(B)
    assert ((bx.coeffs[0], bx.coeffs[1]), (by.coeffs[0], by.coeffs[1])) == got.b


# --- snarkjs interop --------------------------------------------------------------------------------


@pytest.mark.interop
def test_snarkjs_verifies_hush_proofs(snarkjs_setup, mix_prover, mix_wc, tmp_path) -> None:
    rng = random.Random(7)
    for inputs in [MIX_OK, _mix_inputs(rng), _mix_inputs(rng)]:
        res = mix_prover.prove(mix_wc.calculate_limbs(inputs))
        assert _snarkjs_verifies(snarkjs_setup.vkey, res.proof.to_json(), res.public_signals, tmp_path)


@pytest.mark.interop
def test_hush_proves_from_snarkjs_witness(snarkjs_setup, mix_prover, tmp_path) -> None:
    wtns = tmp_path / "w.wtns"
    snarkjs("wtns", "calculate", snarkjs_setup.circuit.wasm, write_input(tmp_path / "in.json", MIX_OK), wtns)
    res = mix_prover.prove(np.array(read_wtns(wtns)))
    assert _snarkjs_verifies(snarkjs_setup.vkey, res.proof.to_json(), res.public_signals, tmp_path)


@pytest.mark.interop
def test_tampered_proof_and_public_rejected_by_snarkjs(snarkjs_setup, mix_prover, mix_wc, tmp_path) -> None:
    res = mix_prover.prove(mix_wc.calculate_limbs(MIX_OK))
    proof = res.proof.to_json()
    bad_public = list(res.public_signals)
    bad_public[0] = (bad_public[0] + 1) % R
    assert not _snarkjs_verifies(snarkjs_setup.vkey, proof, bad_public, tmp_path)
    other = mix_prover.prove(mix_wc.calculate_limbs({**MIX_OK, "k": 4})).proof.to_json()
    assert not _snarkjs_verifies(snarkjs_setup.vkey, {**proof, "pi_c": other["pi_c"]}, res.public_signals, tmp_path)


@pytest.mark.interop
def test_forged_witness_gives_no_valid_proof(snarkjs_setup, mix_prover, mix_wc, tmp_path) -> None:
    """A witness that breaks one constraint still 'proves' (H is not checked) but never verifies."""
    w = mix_wc.calculate_limbs(MIX_OK).copy()
    w[-1, 0] ^= 1
    res = mix_prover.prove(w)
    assert not _snarkjs_verifies(snarkjs_setup.vkey, res.proof.to_json(), res.public_signals, tmp_path)


@pytest.mark.interop
def test_two_proofs_of_one_witness_differ(mix_prover, mix_wc) -> None:
    w = mix_wc.calculate_limbs(MIX_OK)
    p1, p2 = mix_prover.prove(w).proof, mix_prover.prove(w).proof
    assert p1.a != p2.a and p1.b != p2.b and p1.c != p2.c


@pytest.mark.interop
def test_witness_shape_is_checked(mix_prover, mix_wc) -> None:
    w = mix_wc.calculate_limbs(MIX_OK)
    with pytest.raises(WitnessShapeError, match=f"witness has {w.shape[0] - 1} values, circuit expects {w.shape[0]}"):
        mix_prover.prove(w[:-1])
    bad = w.copy()
    bad[0, 0] = 2
    with pytest.raises(WitnessShapeError, match="constant wire"):
        mix_prover.prove(bad)
    with pytest.raises(WitnessShapeError):
        mix_prover.prove(w.astype(np.int64))
    over = w.copy()
    over[-1] = [0xFFFFFFFFFFFFFFFF] * 4
    with pytest.raises(ValueError, match="below r"):
        mix_prover.prove(over)


@pytest.mark.interop
def test_cli_prove_and_snarkjs_roundtrip(snarkjs_setup, mix_wc, tmp_path) -> None:
    """`hush groth16 prove` on snarkjs files; `snarkjs groth16 prove` output checked by `hush groth16 verify`."""
    hush = str(Path(__file__).resolve().parents[2] / ".venv" / "bin" / "hush")
    wtns = tmp_path / "w.wtns"
    write_wtns(wtns, mix_wc.calculate(MIX_OK))
    prove = [hush, "groth16", "prove", snarkjs_setup.zkey_beacon, wtns, tmp_path / "p.json", tmp_path / "pub.json"]
    subprocess.run(prove, check=True, timeout=300)
    out = snarkjs("groth16", "verify", snarkjs_setup.vkey, tmp_path / "pub.json", tmp_path / "p.json")
    assert "OK" in out
    snarkjs("groth16", "prove", snarkjs_setup.zkey_beacon, wtns, tmp_path / "sp.json", tmp_path / "spub.json")
    ok = subprocess.run([hush, "groth16", "verify", snarkjs_setup.vkey, tmp_path / "spub.json", tmp_path / "sp.json"],
                        timeout=300)
    assert ok.returncode == 0
    pub = json.loads((tmp_path / "spub.json").read_text())
    pub[0] = str((int(pub[0]) + 1) % R)
    (tmp_path / "spub.json").write_text(json.dumps(pub))
    bad = subprocess.run([hush, "groth16", "verify", snarkjs_setup.vkey, tmp_path / "spub.json", tmp_path / "sp.json"],
                         timeout=300, capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout + bad.stderr


@pytest.mark.interop
def test_warm_prover_self_checks(snarkjs_setup, mix_wc) -> None:
    """warm() runs every stage once (a false dummy proof through the verifier included), then a real
    proof passes its self-check, and a forged witness makes the self-check refuse to return a proof."""
    from verifier.errors import InvalidProof

    prover = Prover(snarkjs_setup.zkey_beacon)
    prover.warm()
    res = prover.prove(mix_wc.calculate_limbs(MIX_OK))
    assert "self_check" in res.timings
    assert res.public_signals == mix_wc.calculate(MIX_OK)[1 : prover.n_public + 1]
    forged = mix_wc.calculate_limbs(MIX_OK).copy()
    forged[-1, 0] ^= 1
    with pytest.raises(InvalidProof):
        prover.prove(forged)
