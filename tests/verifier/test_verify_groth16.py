"""Groth16 verification on trapdoor-made keys and proofs: acceptance, every mutation of SECURITY.md
items 10-12, 16, 17 and 19 rejected with the right typed error, and batch verification."""

from __future__ import annotations

import copy
import random

import numpy as np
import pytest
from verifier_fixtures import Synthetic, g1, g2, make_synthetic, twist_point_outside_g2

from bn254.constants import G1_GEN, G2_GEN, Q, R
from bn254.pairing import multi_pairing_is_one
from verifier import groth16 as V
from verifier.errors import InvalidProof, MalformedProof, PublicInputError, VerifyingKeyError
from verifier.keys import Proof, VerifyingKey

rng = random.Random(20261130)


@pytest.fixture(scope="module")
def pvk(synthetic: Synthetic) -> V.PreparedVerifyingKey:
    return V.prepare_verifying_key(synthetic.vk)


@pytest.fixture(scope="module")
def good(synthetic: Synthetic) -> tuple[list[int], Proof]:
    xs = synthetic.inputs()
    return xs, synthetic.prove(xs)


def test_accepts_valid_proofs(synthetic: Synthetic, pvk, good) -> None:
    xs, proof = good
    assert V.verify(pvk, xs, proof) is None
    V.verify(pvk, [str(x) for x in xs], proof.to_json())  # public.json strings, proof.json object
    V.verify(synthetic.vk, xs, proof)  # an unprepared key is prepared on the fly
    for edge in ([0, 0, 0], [1, R - 1, 0], [R - 1] * 3):
        V.verify(pvk, edge, synthetic.prove(edge))


def test_accepts_a_random_gamma_key() -> None:
    s = make_synthetic(1, 7, gamma_generator=False)
    xs = s.inputs()
    V.verify(V.prepare_verifying_key(s.vk.to_json()), xs, s.prove(xs))


def test_the_equation_is_checked_not_echoed(synthetic: Synthetic, pvk, good) -> None:
    """Independent check with the public pairing API: the same product is 1 for the proof."""
    xs, p = good
    vk = synthetic.vk
    vk_x = g1(synthetic.vk_x(xs))
    neg_a = (p.a[0], (Q - p.a[1]) % Q)
    assert multi_pairing_is_one([neg_a, vk.alpha_g1, vk_x, p.c], [p.b, vk.beta_g2, vk.gamma_g2, vk.delta_g2])


def test_rerandomised_proof_still_verifies(synthetic: Synthetic, pvk, good) -> None:
    """(tA, B/t, C) is another valid proof of the same statement: nothing may deduplicate on proof bytes."""
    xs, p = good
    a_log, b_log = rng.randrange(1, R), rng.randrange(1, R)
    c = synthetic.c_for(a_log, b_log, xs)
    t = rng.randrange(2, R)
    p1, p2 = Proof(g1(a_log), g2(b_log), g1(c)), Proof(g1(a_log * t), g2(b_log * pow(t, -1, R)), g1(c))
    assert p1 != p2
    V.verify(pvk, xs, p1)
    V.verify(pvk, xs, p2)


# --- public inputs (SECURITY 1, 10, 11) -----------------------------------------------------------


@pytest.mark.parametrize("i", range(3))
def test_each_public_input_changed_is_rejected(pvk, good, i: int) -> None:
    xs, proof = good
    x = xs[i]
    for v, err in [
        ((x + 1) % R, InvalidProof),
        (x + R, PublicInputError),
        (R, PublicInputError),
        ((R - 1) if x != R - 1 else 0, InvalidProof),
        ((1 << 256) - 1, PublicInputError),
        (-1, PublicInputError),
        (-x, PublicInputError if x else InvalidProof),
        (str(x + R), PublicInputError),
    ]:
        ys = list(xs)
        ys[i] = v
        with pytest.raises(err):
            V.verify(pvk, ys, proof)


def test_public_input_count(pvk, good) -> None:
    xs, proof = good
    with pytest.raises(PublicInputError, match="expected 3 public inputs, got 2"):
        V.verify(pvk, xs[:2], proof)
    with pytest.raises(PublicInputError, match="expected 3 public inputs, got 4"):
        V.verify(pvk, [*xs, 0], proof)
    with pytest.raises(PublicInputError, match="expected 3 public inputs, got 0"):
        V.verify(pvk, [], proof)


# --- proof points (SECURITY 12) -------------------------------------------------------------------


def _mutants(proof: Proof) -> list[tuple[str, object, type, str]]:
    (bx0, bx1), (by0, by1) = proof.b
    outside = twist_point_outside_g2(rng)
    j = proof.to_json()

    def jset(path: list, value: str) -> dict:
        p = copy.deepcopy(j)
        o = p
        for k in path[:-1]:
            o = o[k]
        o[path[-1]] = value
        return p

    return [
        ("a.x + q", jset(["pi_a", 0], str(proof.a[0] + Q)), MalformedProof, "< q"),
        ("a.y + q", jset(["pi_a", 1], str(proof.a[1] + Q)), MalformedProof, "< q"),
        ("c.y + q", jset(["pi_c", 1], str(proof.c[1] + Q)), MalformedProof, "< q"),
        ("b.x.c1 + q", jset(["pi_b", 0, 1], str(bx1 + Q)), MalformedProof, "< q"),
        ("a.x = q (ints)", Proof((Q, proof.a[1]), proof.b, proof.c), MalformedProof, r"< q|\[0, q\)"),
        ("b.y.c0 + q (ints)", Proof(proof.a, ((bx0, bx1), (by0 + Q, by1)), proof.c), MalformedProof, r"< q|\[0, q\)"),
        ("a off curve", Proof((proof.a[0], (proof.a[1] + 1) % Q), proof.b, proof.c), MalformedProof, r"point on y\^2"),
        ("c off curve", Proof(proof.a, proof.b, (proof.c[0], (proof.c[1] + 1) % Q)), MalformedProof, r"point on y\^2"),
        ("b off twist", Proof(proof.a, ((bx0, bx1), (by0, (by1 + 1) % Q)), proof.c), MalformedProof, "twist"),
        ("a infinity", Proof(None, proof.b, proof.c), MalformedProof, "infinity"),
        ("c infinity", Proof(proof.a, proof.b, None), MalformedProof, "infinity"),
        ("b infinity", Proof(proof.a, None, proof.c), MalformedProof, "infinity"),
        ("a (0, 0)", Proof((0, 0), proof.b, proof.c), MalformedProof, "infinity"),
        ("a infinity json", {**j, "pi_a": ["0", "1", "0"]}, MalformedProof, "infinity"),
        ("b outside G2", Proof(proof.a, outside, proof.c), MalformedProof, "subgroup"),
        ("b coordinates swapped", Proof(proof.a, ((bx1, bx0), (by1, by0)), proof.c), MalformedProof, "twist"),
        ("b x and y swapped", Proof(proof.a, ((by0, by1), (bx0, bx1)), proof.c), MalformedProof, "twist"),
        ("a not a pair", Proof((proof.a[0],), proof.b, proof.c), MalformedProof, "pair"),
        ("a strings", Proof((str(proof.a[0]), str(proof.a[1])), proof.b, proof.c), MalformedProof, "int"),
        ("-a", Proof((proof.a[0], Q - proof.a[1]), proof.b, proof.c), InvalidProof, "pairing check"),
        ("a and c swapped", Proof(proof.c, proof.b, proof.a), InvalidProof, "pairing check"),
        ("c = generator", Proof(proof.a, proof.b, G1_GEN), InvalidProof, "pairing check"),
        ("b = generator", Proof(proof.a, G2_GEN, proof.c), InvalidProof, "pairing check"),
        ("z = 2", jset(["pi_c", 2], "2"), MalformedProof, "z = 1"),
        ("not a proof", 42, MalformedProof, "expected a proof"),
    ]


def test_proof_mutations_are_rejected(pvk, good) -> None:
    xs, proof = good
    for name, mutant, err, msg in _mutants(proof):
        with pytest.raises(err, match=msg):
            V.verify(pvk, xs, mutant)
        # the same mutant inside a batch of valid proofs: rejected, and the error names its index
        with pytest.raises(err, match="proof 1 of 3" if err is not InvalidProof else "proof 1 of 3|batch"):
            V.batch_verify(pvk, [(xs, proof), (xs, mutant), (xs, proof)])
        assert name


def test_a_proof_for_other_inputs_is_rejected(synthetic: Synthetic, pvk) -> None:
    xs, ys = synthetic.inputs(), synthetic.inputs()
    with pytest.raises(InvalidProof):
        V.verify(pvk, ys, synthetic.prove(xs))


# --- verifying key (SECURITY 17) ------------------------------------------------------------------


def _vk(s: Synthetic, **changes) -> VerifyingKey:
    return VerifyingKey(**{**s.vk.__dict__, **changes})


def test_verifying_key_checks(synthetic: Synthetic) -> None:
    s = synthetic
    vk = s.vk
    outside = twist_point_outside_g2(rng)
    cases = [
        (dict(gamma_abc_g1=vk.gamma_abc_g1[:3]), r"IC: expected nPublic \+ 1 = 4 points, got 3"),
        (dict(gamma_abc_g1=(*vk.gamma_abc_g1, g1(5))), r"expected nPublic \+ 1 = 4 points, got 5"),
        (dict(delta_g2=vk.gamma_g2), "vk_gamma_2 == vk_delta_2"),
        (dict(delta_g2=G2_GEN, gamma_g2=g2(9)), "vk_delta_2 is the G2 generator"),
        (dict(alpha_g1=(1, 3)), "vk_alpha_1: expected a point on"),
        (dict(alpha_g1=None), "vk_alpha_1: expected a G1 point, got the point at infinity"),
        (dict(gamma_abc_g1=(vk.gamma_abc_g1[0], None, *vk.gamma_abc_g1[2:])), r"IC\[1\]: .*infinity"),
        (dict(gamma_abc_g1=(*vk.gamma_abc_g1[:3], (vk.gamma_abc_g1[3][0], Q))), r"IC\[3\]: .*< q|IC\[3\].*\[0, q\)"),
        (dict(beta_g2=outside), "vk_beta_2: .*subgroup"),
        (dict(gamma_g2=outside), "vk_gamma_2: .*subgroup"),
        (dict(delta_g2=outside), "vk_delta_2: .*subgroup"),
        (dict(delta_g2=None), "vk_delta_2: .*infinity"),
        (dict(alphabeta_12=((((1, 0),) * 3), ((0, 0),) * 3)), "vk_alphabeta_12: expected e"),
    ]
    for changes, msg in cases:
        with pytest.raises(VerifyingKeyError, match=msg):
            V.prepare_verifying_key(_vk(s, **changes))
    with pytest.raises(TypeError):
        V.prepare_verifying_key("vk.json")  # type: ignore[arg-type]
    # the right vk_alphabeta_12 passes
    j = vk.to_json()
    V.prepare_verifying_key(j)
    # the snarkjs default gamma = generator is accepted
    assert vk.gamma_g2 == G2_GEN


def test_prepared_key_contents(synthetic: Synthetic, pvk) -> None:
    from bn254.pairing import N_LINES

    assert pvk.n_public == 3
    assert pvk.gamma_abc_g1.shape == (4, 2, 4)
    assert pvk.verify_lines.shape == (2, N_LINES, 3, 2, 4)
    assert pvk.batch_lines.shape == (3, N_LINES, 3, 2, 4)
    assert np.array_equal(pvk.batch_lines[1:], pvk.verify_lines)


# --- small MSM ------------------------------------------------------------------------------------


def test_vk_x_msm_against_scalar_arithmetic(synthetic: Synthetic, pvk) -> None:
    from bn254.g1 import g1_array_to_ints

    for xs in ([0, 0, 0], [1, 2, 3], [R - 1, 0, (1 << 253) + 5], synthetic.inputs()):
        got = g1_array_to_ints(V._vk_x(pvk, xs))[0]
        assert got == g1(synthetic.vk_x(xs))
    pts = np.concatenate([pvk.gamma_abc_g1[:2], np.zeros((1, 2, 4), np.uint64)])  # infinity among the points
    assert g1_array_to_ints(V._msm(pts, [3, 4, 5]))[0] == g1(3 * synthetic.ic[0] + 4 * synthetic.ic[1])
    assert g1_array_to_ints(V._msm(pts, [0, 0, 0]))[0] is None


# --- batches (SECURITY 19) ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch(synthetic: Synthetic) -> list[tuple[list[int], Proof]]:
    out = []
    for _ in range(6):
        xs = synthetic.inputs()
        out.append((xs, synthetic.prove(xs)))
    return out


def test_batch_accepts_valid_proofs(pvk, batch) -> None:
    assert V.batch_verify(pvk, batch) is None
    V.batch_verify(pvk, batch[:1])
    V.batch_verify(pvk, [])
    V.batch_verify(pvk, [(xs, p.to_json()) for xs, p in batch])


def test_batch_rejects_one_bad_proof(synthetic: Synthetic, pvk, batch) -> None:
    bad = list(batch)
    xs, p = bad[4]
    bad[4] = (xs, Proof(p.a, p.b, g1(synthetic.c_for(1, 1, xs))))
    with pytest.raises(InvalidProof, match="proof 4 of 6"):
        V.batch_verify(pvk, bad)
    with pytest.raises(InvalidProof, match="batch of 6 proofs failed"):
        V.batch_verify(pvk, bad, locate=False)
    ys = list(bad[2][0])
    ys[0] = (ys[0] + 1) % R
    with pytest.raises(InvalidProof, match="proof 2 of 6"):
        V.batch_verify(pvk, [*batch[:2], (ys, batch[2][1]), *batch[3:]])
    with pytest.raises(PublicInputError, match="proof 3 of 6: expected 3 public inputs, got 2"):
        V.batch_verify(pvk, [*batch[:3], (batch[3][0][:2], batch[3][1]), *batch[4:]])
    with pytest.raises(MalformedProof, match="proof 0 of 1: expected a .public inputs, proof. pair"):
        V.batch_verify(pvk, [batch[0][1]])


@pytest.fixture(scope="module")
def logged_batch(synthetic: Synthetic) -> list[tuple[list[int], Proof, int]]:
    """Valid proofs with the discrete log of their C."""
    out = []
    for _ in range(4):
        xs = synthetic.inputs()
        a, b = rng.randrange(1, R), rng.randrange(1, R)
        c = synthetic.c_for(a, b, xs)
        out.append((xs, Proof(g1(a), g2(b), g1(c)), c))
    return out


def test_batch_rejects_errors_that_cancel(pvk, logged_batch, monkeypatch) -> None:
    """Proofs 0 and 1 with C0 + D and C1 - D: each is false, their unweighted product holds."""
    d = rng.randrange(1, R)
    (x0, p0, c0), (x1, p1, c1) = logged_batch[:2]
    items = [(x0, Proof(p0.a, p0.b, g1(c0 + d))), (x1, Proof(p1.a, p1.b, g1(c1 - d)))]
    items += [(xs, p) for xs, p, _ in logged_batch[2:]]
    for xs, p in items[:2]:
        with pytest.raises(InvalidProof):
            V.verify(pvk, xs, p)
    with pytest.raises(InvalidProof, match="proof 0 of 4"):
        V.batch_verify(pvk, items)
    # the weights are what catches it: with every weight forced to 1 the forged pair passes
    monkeypatch.setattr(V, "_batch_weights", lambda n: (np.ones(n, dtype=np.uint64), np.zeros(n, dtype=np.uint64)))
    V.batch_verify(pvk, items)


def test_batch_weights_come_from_the_csprng(pvk, batch, monkeypatch) -> None:
    calls = []
    real = V.secrets.randbits

    def spy(k: int) -> int:
        calls.append(k)
        return real(k)

    monkeypatch.setattr(V.secrets, "randbits", spy)
    V.batch_verify(pvk, batch)
    assert calls == [64] * (2 * len(batch))
    k1, k2 = V._batch_weights(1000)
    assert not np.any((k1 == 0) & (k2 == 0)) and len(set(zip(k1.tolist(), k2.tolist(), strict=True))) == 1000


def test_glv_weights_scale_points(synthetic: Synthetic) -> None:
    """-(k1 + lambda k2) A by the endomorphism kernels equals the scalar multiple by bn254.g1."""
    from bn254.g1 import g1_array, g1_array_to_ints

    logs = [rng.randrange(1, R) for _ in range(5)]
    pts = g1_array([g1(k) for k in logs])
    m = (1 << 64) - 1
    k1 = np.array([0, 1, m, rng.getrandbits(64), m], dtype=np.uint64)
    k2 = np.array([1, 0, m, rng.getrandbits(64), 0], dtype=np.uint64)
    phi = np.empty_like(pts)
    V._g1_endo(pts, V._BETA_M, phi)
    assert g1_array_to_ints(phi) == [g1(k * V.GLV_LAMBDA) for k in logs]
    ab = V._to_affine(V._jacobian(V._g1_plus, pts, phi))
    out = np.empty((5, 3, 4), dtype=np.uint64)
    V._g1_neg_glv_each(pts, phi, ab, k1, k2, out)
    want = [g1(-(int(u) + V.GLV_LAMBDA * int(v)) * k) for u, v, k in zip(k1, k2, logs, strict=True)]
    assert g1_array_to_ints(V._to_affine(out)) == want
