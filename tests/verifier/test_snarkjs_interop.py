"""Hush's verifier against snarkjs on real proofs: acceptance, the same verification key JSON, the same
calldata, and the same verdict on every mutation (SECURITY 1, 10-12, 15), except where snarkjs is
laxer: it reduces coordinates mod q and reads "007" as 7, Hush refuses both (SECURITY 21)."""

from __future__ import annotations

import copy
import json
import random
import subprocess
from pathlib import Path

import pytest
from verifier_fixtures import ROOT, SnarkjsRun, run_snarkjs, twist_point_outside_g2

from bn254.constants import Q, R
from verifier import groth16 as V
from verifier import keys as K
from verifier.errors import InvalidProof, MalformedProof, PublicInputError, VerificationError, VerifyingKeyError

pytestmark = pytest.mark.interop

rng = random.Random(20261201)

VERIFY_MANY = """
import * as snarkjs from "%s/node_modules/snarkjs/main.js";
import { readFileSync } from "fs";
const cases = JSON.parse(readFileSync(process.argv[2], "utf8"));
const vk = JSON.parse(readFileSync(process.argv[3], "utf8"));
const out = [];
for (const c of cases) {
    try { out.push(await snarkjs.groth16.verify(vk, c.public, c.proof)); }
    catch (e) { out.push("error"); }
}
console.log(JSON.stringify(out));
process.exit(0);
"""


def snarkjs_verdicts(run: SnarkjsRun, cases: list[dict], tmp: Path) -> list:
    """snarkjs.groth16.verify on each {public, proof} (one node process): True, False or "error"."""
    (tmp / "verify_many.mjs").write_text(VERIFY_MANY % ROOT)
    (tmp / "cases.json").write_text(json.dumps(cases))
    p = subprocess.run(["node", str(tmp / "verify_many.mjs"), str(tmp / "cases.json"), str(run.vkey)],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def pvk(snarkjs_run: SnarkjsRun) -> V.PreparedVerifyingKey:
    return V.prepare_verifying_key(K.read_verification_key(snarkjs_run.vkey))


def test_hush_verifies_snarkjs_proofs(snarkjs_run: SnarkjsRun, pvk) -> None:
    items = []
    for proof, public in snarkjs_run.proofs:
        xs, p = K.read_public(public), K.read_proof(proof)
        V.verify(pvk, xs, p)
        items.append((xs, p))
    V.batch_verify(pvk, items)
    assert K.read_public(snarkjs_run.proofs[0][1]) == [3 * 11 * 7, 7]  # outputs first, then public inputs


def test_verification_key_json_equals_snarkjs(snarkjs_run: SnarkjsRun) -> None:
    """Read and re-written (vk_alphabeta_12 recomputed with Hush's pairing): byte-equal JSON objects."""
    want = json.loads(snarkjs_run.vkey.read_text())
    assert K.read_verification_key(snarkjs_run.vkey).to_json() == want
    from prover.formats.zkey import read_zkey

    assert K.verification_key_json(read_zkey(snarkjs_run.zkey)) == want


def test_key_without_phase2_is_refused(snarkjs_run: SnarkjsRun) -> None:
    """snarkjs accepts proofs under a zkey that had no contribution (delta = gamma = generator); Hush refuses
    the key: anyone can forge proofs for it."""
    vk0 = K.read_verification_key(snarkjs_run.vkey_no_phase2)
    with pytest.raises(VerifyingKeyError, match="vk_gamma_2 == vk_delta_2"):
        V.prepare_verifying_key(vk0)


def test_tampered_alphabeta_is_refused(snarkjs_run: SnarkjsRun) -> None:
    j = json.loads(snarkjs_run.vkey.read_text())
    j["vk_alphabeta_12"][0][0][0] = str((int(j["vk_alphabeta_12"][0][0][0]) + 1) % Q)
    with pytest.raises(VerifyingKeyError, match="vk_alphabeta_12"):
        V.prepare_verifying_key(K.verifying_key_from_json(j))


def test_calldata_equals_snarkjs(snarkjs_run: SnarkjsRun) -> None:
    proof, public = snarkjs_run.proofs[2]
    want = run_snarkjs("zkey", "export", "soliditycalldata", public, proof).stdout.strip()
    assert K.proof_calldata(K.read_proof(proof), K.read_public(public)) == want


def _mutations(proof: dict, public: list[str]) -> list[tuple[str, dict, list, type, bool]]:
    """(name, proof, public, Hush's error, snarkjs accepts?)."""
    out: list[tuple[str, dict, list, type, bool]] = []
    for i, x in enumerate(int(v) for v in public):
        for tag, v, err in [
            ("x+1", (x + 1) % R, InvalidProof),
            ("x+r", x + R, PublicInputError),
            ("r", R, PublicInputError),
            ("r-1", R - 1, InvalidProof),
            ("2^256-1", (1 << 256) - 1, PublicInputError),
            ("-1", -1, PublicInputError),
        ]:
            ys = list(public)
            ys[i] = str(v)
            out.append((f"public[{i}] {tag}", proof, ys, err, False))
        ys = list(public)
        ys[i] = "00" + ys[i]
        out.append((f"public[{i}] leading zeros", proof, ys, PublicInputError, True))
    out.append(("one input too few", proof, public[:-1], PublicInputError, False))
    out.append(("one input too many", proof, [*public, "1"], PublicInputError, False))

    def mut(path: list, f) -> dict:
        p = copy.deepcopy(proof)
        o = p
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = str(f(int(o[path[-1]])))
        return p

    for path in (["pi_a", 0], ["pi_a", 1], ["pi_b", 0, 0], ["pi_b", 1, 1], ["pi_c", 0], ["pi_c", 1]):
        name = ".".join(map(str, path))
        out.append((f"{name} + q", mut(path, lambda v: v + Q), public, MalformedProof, True))
        out.append((f"{name} + 1", mut(path, lambda v: (v + 1) % Q), public, MalformedProof, False))
    out.append(("pi_a infinity", {**proof, "pi_a": ["0", "1", "0"]}, public, MalformedProof, False))
    out.append(("pi_c infinity", {**proof, "pi_c": ["0", "1", "0"]}, public, MalformedProof, False))
    b = proof["pi_b"]
    out.append(("pi_b c0/c1 swapped", {**proof, "pi_b": [b[0][::-1], b[1][::-1], b[2]]}, public, MalformedProof, False))
    t = twist_point_outside_g2(rng)
    outside = [[str(t[0][0]), str(t[0][1])], [str(t[1][0]), str(t[1][1])], ["1", "0"]]
    out.append(("pi_b outside G2", {**proof, "pi_b": outside}, public, MalformedProof, False))
    out.append(("pi_a z = 2", mut(["pi_a", 2], lambda v: 2), public, MalformedProof, False))
    out.append(("pi_a and pi_c swapped", {**proof, "pi_a": proof["pi_c"], "pi_c": proof["pi_a"]}, public,
                InvalidProof, False))
    return out


def test_mutations_agree_with_snarkjs(snarkjs_run: SnarkjsRun, pvk, tmp_path: Path) -> None:
    proof = json.loads(snarkjs_run.proofs[0][0].read_text())
    public = json.loads(snarkjs_run.proofs[0][1].read_text())
    muts = _mutations(proof, public)
    verdicts = snarkjs_verdicts(snarkjs_run, [{"proof": proof, "public": public}] + [
        {"proof": p, "public": x} for _, p, x, _, _ in muts], tmp_path)
    assert verdicts[0] is True
    for (name, p, x, err, snarkjs_accepts), verdict in zip(muts, verdicts[1:], strict=True):
        assert (verdict is True) == snarkjs_accepts, (name, verdict)
        with pytest.raises(err):
            V.verify(pvk, K.public_from_json(x), K.proof_from_json(p))
        # and through the readers' error types as a whole
        with pytest.raises(VerificationError):
            V.verify(pvk, x, p)


def test_snarkjs_cli_agrees_on_one_valid_and_one_mutated(snarkjs_run: SnarkjsRun, tmp_path: Path) -> None:
    proof, public = snarkjs_run.proofs[1]
    ok = run_snarkjs("groth16", "verify", snarkjs_run.vkey, public, proof, check=False)
    assert ok.returncode == 0
    xs = json.loads(public.read_text())
    xs[0] = str((int(xs[0]) + 1) % R)
    (tmp_path / "public.json").write_text(json.dumps(xs))
    bad = run_snarkjs("groth16", "verify", snarkjs_run.vkey, tmp_path / "public.json", proof, check=False)
    assert bad.returncode != 0
    pvk = V.prepare_verifying_key(K.read_verification_key(snarkjs_run.vkey))
    V.verify(pvk, K.read_public(public), K.read_proof(proof))
    with pytest.raises(InvalidProof):
        V.verify(pvk, K.read_public(tmp_path / "public.json"), K.read_proof(proof))
