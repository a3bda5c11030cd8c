"""The Python twin of the compliant transfer: Poseidon encryption and ECDH against @zk-kit's independent
implementations (known-answer vectors), the quaternary identity tree, and the builder's refusals
(compliance rules are refused before proving, with the rule named; SECURITY 41, 43)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from transfer import babyjub
from transfer.compliant import ComplianceError, compliance_hash, public_signals, validate_inputs
from transfer.compliant_example import compliance_scenario
from transfer.identity import Identity, IdentityTree, quad_root_from_path, quad_zero_hashes
from transfer.poseidon import poseidon
from transfer.poseidon_cipher import AuditorKey, CipherError, cipher_length, decrypt, ecdh, encrypt, poseidon_perm

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "tests" / "vectors" / "poseidon_cipher.json").read_text())


def _ints(xs):
    return [int(x) for x in xs]


# --- known answers from @zk-kit/poseidon-cipher and @zk-kit/baby-jubjub ---------------------------


@pytest.mark.parametrize("vec", VECTORS["perm"], ids=lambda v: v["state"][0][:6])
def test_poseidon_perm_kat(vec):
    assert poseidon_perm(_ints(vec["state"])) == _ints(vec["out"])


def test_perm_is_circomlib_poseidon_on_a_zero_capacity():
    """Poseidon(3 inputs) is the permutation's first element from (0, x, y, z): the same constants."""
    assert poseidon_perm([0, 5, 6, 7])[0] == poseidon([5, 6, 7])


@pytest.mark.parametrize("vec", VECTORS["encryption"], ids=lambda v: f"len{len(v['plaintext'])}")
def test_encryption_kat(vec):
    msg, key, nonce = _ints(vec["plaintext"]), _ints(vec["key"]), int(vec["nonce"])
    ct = encrypt(msg, key, nonce)
    assert ct == _ints(vec["ciphertext"])
    assert len(ct) == cipher_length(len(msg))
    assert decrypt(ct, key, len(msg), nonce) == msg


@pytest.mark.parametrize("vec", VECTORS["ecdh"], ids=lambda v: v["auditor_secret"][:6])
def test_ecdh_kat(vec):
    auditor = AuditorKey(int(vec["auditor_secret"]))
    assert list(auditor.public_key) == _ints(vec["auditor_pub"])
    e = int(vec["ephemeral_secret"])
    assert list(ecdh(e, auditor.public_key)) == _ints(vec["shared"])
    assert list(ecdh(auditor.secret, tuple(_ints(vec["ephemeral_pub"])))) == _ints(vec["shared"])


def test_decrypt_refuses_wrong_key_and_tampering():
    vec = VECTORS["encryption"][6]
    msg, key, nonce = _ints(vec["plaintext"]), _ints(vec["key"]), int(vec["nonce"])
    ct = encrypt(msg, key, nonce)
    with pytest.raises(CipherError, match="tag|padding"):
        decrypt(ct, [key[0], (key[1] + 1) % babyjub.P], len(msg), nonce)
    bad = list(ct)
    bad[2] = (bad[2] + 1) % babyjub.P
    with pytest.raises(CipherError, match="tag|padding"):
        decrypt(bad, key, len(msg), nonce)
    with pytest.raises(CipherError, match="nonce"):
        encrypt(msg, key, 1 << 128)


@pytest.mark.interop
def test_cipher_vectors_regenerate_identically():
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the interop tests need it (run `make node`)")
    p = subprocess.run(
        ["node", "tests/vectors/gen_poseidon_cipher.js"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert p.returncode == 0, p.stderr[-4000:]
    assert json.loads(p.stdout) == VECTORS, "stale: node tests/vectors/gen_poseidon_cipher.js > ..."


# --- the identity tree ----------------------------------------------------------------------------


def test_identity_tree_paths_and_overwrite():
    tree = IdentityTree(3)
    assert tree.root == quad_zero_hashes(3)[3] == poseidon([quad_zero_hashes(3)[2]] * 4)
    leaves = {i: poseidon([i, 77]) for i in (0, 1, 2, 3, 6, 63)}
    for i, leaf in leaves.items():
        tree.set(i, leaf)
    for i, leaf in leaves.items():
        p = tree.path(i)
        assert quad_root_from_path(leaf, p) == tree.root
        assert quad_root_from_path((leaf + 1), p) != tree.root
    # the children of the root level are hashed in position order
    l1 = [poseidon([leaves.get(4 * q + k, 0) for k in range(4)]) for q in range(16)]
    l2 = [poseidon(l1[4 * q : 4 * q + 4]) for q in range(4)]
    assert tree.root == poseidon(l2)
    old = tree.root
    tree.set(6, 0)  # revocation by removal
    assert tree.root != old and quad_root_from_path(leaves[6], tree.path(6)) != tree.root


def test_identity_validation():
    with pytest.raises(ValueError, match="expiry"):
        Identity(1, 1, 250, 1 << 40, 0)
    with pytest.raises(ValueError, match="account"):
        Identity(1, 1, 250, 5, 1 << 160)


# --- the builder: rules refused before proving ---------------------------------------------------


@pytest.fixture(scope="module")
def sc():
    return compliance_scenario()


def test_honest_transfer_and_auditor_view(sc):
    v = sc.build([sc.note(30, sc.bob), sc.note(1070, sc.alice)])
    vals = validate_inputs(v, sc.shape)
    signals = public_signals(v, sc.shape)
    assert len(signals) == sc.shape.n_public
    plain = sc.auditor.decrypt(tuple(vals["ephemeralPubKey"]), vals["auditCiphertext"], sc.shape.n_plain)
    assert plain == [sc.alice.address, sc.bob.address, sc.alice.address, 30, 1070, 1, 0, 0]
    other = AuditorKey(12345)
    with pytest.raises(CipherError):
        other.decrypt(tuple(vals["ephemeralPubKey"]), vals["auditCiphertext"], sc.shape.n_plain)
    assert compliance_hash(vals) != 0


def test_refuses_unregistered_recipient(sc):
    with pytest.raises(ComplianceError, match="not registered"):
        sc.build([sc.note(30, sc.carol), sc.note(1070, sc.alice)])


def test_refuses_over_the_tier_cap_by_one(sc):
    sc.build([sc.note(1000, sc.bob), sc.note(100, sc.alice)])  # exactly the cap
    with pytest.raises(ComplianceError, match=r"tier cap.*over the cap 1000 of tier 1 by 1"):
        sc.build([sc.note(1000, sc.bob), sc.note(99, sc.alice)], fee=1)
    with pytest.raises(ComplianceError, match="by 500"):
        sc.build([sc.note(1500, sc.bob)], spend=(0, 1), public_amount=400)


def test_refuses_slot_beyond_k(sc):
    with pytest.raises(ComplianceError, match="rate limit"):
        sc.build([sc.note(30, sc.bob), sc.note(1070, sc.alice)], slot=sc.policy.max_slots)


def test_refuses_blocked_and_expired(sc):
    from dataclasses import replace

    blocked = replace(sc.policy, blocked=(250,))
    with pytest.raises(ComplianceError, match="jurisdiction 250 is blocked"):
        sc.build([sc.note(30, sc.bob), sc.note(1070, sc.alice)], policy=blocked)
    late = replace(sc.policy, epoch_start=sc.registry[sc.bob.address].identity.expiry)
    # Alice too is expired then: she may only exit
    with pytest.raises(ComplianceError, match="revoked or expired"):
        sc.build([sc.note(30, sc.bob), sc.note(1070, sc.alice)], policy=late)
