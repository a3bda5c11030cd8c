"""Every gadget of circuits/lib: a passing test (honest witness, outputs equal to the Python twin) and
failing tests on forged witnesses checked against the gadget's R1CS (SECURITY 3, 5, 6, 7, 8)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from transfer import babyjub
from transfer.babyjub import BASE8, SUBORDER
from transfer.constants import AMOUNT_BITS, R
from transfer.eddsa import PrivateKey, Signature, is_valid
from transfer.keys import Keys, address_of, nullifier_pub_key
from transfer.merkle import MerkleTree
from transfer.notes import commitment, nullifier
from transfer.poseidon import poseidon, poseidon_many

pytestmark = pytest.mark.circuits

VECTORS = json.loads((Path(__file__).resolve().parents[1] / "vectors" / "circomlibjs.json").read_text())
B = AMOUNT_BITS


def _h(label: str) -> int:
    return int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % R


# --- RangeCheck(AMOUNT_BITS) ---------------------------------------------------------------------


@pytest.mark.parametrize("x", [0, 1, 12345, (1 << B) - 1])
def test_range_accepts(gadget, x):
    c = gadget("range")
    assert c.failing(c.witness({"in": x})) == []


@pytest.mark.parametrize(
    "x", [1 << B, (1 << B) + 5, 1 << (B + 1), R - 1, R - (1 << B)], ids=["2^b", "2^b+5", "2^(b+1)", "r-1", "r-2^b"]
)
def test_range_rejects_forged(gadget, x):
    c = gadget("range")
    c.assert_caught_only_by(c.forge({"in": x}), "n2b.")


def _bit_wires(c) -> list[int]:
    """The bit signals the optimiser kept as wires (it substitutes one bit by the weighted-sum equation)."""
    wires = []
    for i in range(B):
        w = c.sym.wire_of[f"main.n2b.out[{i}]"]
        if w >= 0:
            wires.append(w)
    assert len(wires) >= B - 1
    return wires


@pytest.mark.parametrize("x", [1 << B, R - 1])
def test_range_rejects_every_tried_decomposition(gadget, x):
    """For in >= 2^b no boolean bits exist: all-zero, all-one and pseudo-random boolean bits fail, and
    bits that make the weighted sum come out right (bit 0 absorbing the rest) fail bit 0's
    booleanity constraint."""
    c = gadget("range")
    base = c.witness({"in": 5})
    bits = _bit_wires(c)
    win = c.sym.wire("in")
    choices = [[0] * len(bits), [1] * len(bits), [(_h(f"bit {i}") & 1) for i in range(len(bits))]]
    for choice in choices:
        w = list(base)
        w[win] = x
        for b, v in zip(bits, choice, strict=True):
            w[b] = v
        assert c.failing(w), f"boolean bits {choice[:8]}... accepted for {x}"
    # Non-boolean bit 0 = x - 2^(b-1), every other kept bit 0: the eliminated top bit comes out as 1.
    w = list(base)
    w[win] = x
    for b in bits:
        w[b] = 0
    w[c.sym.wire("n2b.out[0]")] = (x - (1 << (B - 1))) % R
    bad = c.failing(w)
    b0 = c.sym.wire("n2b.out[0]")
    assert bad and all(b0 in c.constraint_wires(k, "AB") for k in bad), c.describe(bad)


# --- SignedRangeCheck(AMOUNT_BITS) -----------------------------------------------------------------


@pytest.mark.parametrize("x", [0, 1, -1, (1 << B) - 1, -(1 << B)])
def test_signed_range_accepts(gadget, x):
    c = gadget("signed_range")
    assert c.failing(c.witness({"in": x % R})) == []


@pytest.mark.parametrize("x", [1 << B, -(1 << B) - 1, (R - 1) // 2, (R + 1) // 2, 1 << 200])
def test_signed_range_rejects_forged(gadget, x):
    c = gadget("signed_range")
    c.assert_caught_only_by(c.forge({"in": x % R}), "n2b.")


# --- MerkleRoot(4) -------------------------------------------------------------------------------

LEVELS = 4


@pytest.fixture(scope="module")
def small_tree() -> MerkleTree:
    return MerkleTree(LEVELS, [_h(f"leaf {i}") for i in range(11)])


def _merkle_inputs(tree: MerkleTree, index: int) -> dict:
    path = tree.path(index)
    return {"leaf": tree.leaf(index), "leafIndex": index, "pathElements": list(path.path_elements)}


@pytest.mark.parametrize("index", [0, 1, 6, 10])
def test_merkle_root_matches_python(gadget, small_tree, index):
    c = gadget("merkle")
    w = c.witness(_merkle_inputs(small_tree, index))
    assert c.failing(w) == []
    assert w[c.sym.wire("root")] == small_tree.root


def test_merkle_index_beyond_depth_is_caught_by_the_bit_decomposition(gadget, small_tree):
    """leafIndex + 2^levels has the same low bits, hence the same path and root: only Num2Bits stops it
    (otherwise one leaf would have two indices, two nullifiers)."""
    c = gadget("merkle")
    inp = _merkle_inputs(small_tree, 6)
    inp["leafIndex"] = 6 + (1 << LEVELS)
    w = c.forge(inp)
    assert w[c.sym.wire("root")] == small_tree.root  # the lie would otherwise go through
    c.assert_caught_only_by(w, "indexBits.")


def test_merkle_non_boolean_path_bit(gadget, small_tree):
    """index 1 = 3*1 + (r-1)*2: the weighted sum holds, the bits are not boolean."""
    c = gadget("merkle")
    w = c.witness(_merkle_inputs(small_tree, 1))
    b0, b1 = c.sym.wire("indexBits.out[0]"), c.sym.wire("indexBits.out[1]")
    w[b0], w[b1] = 3, R - 1
    bad = set(c.failing(w))
    for b in (b0, b1):  # b * (b - 1) = 0: the constraints over that bit alone
        booleanity = {k for k in c.constraints_with(b) if c.constraint_wires(k) - {0} == {b}}
        assert booleanity and booleanity <= bad, c.describe(bad)


def test_merkle_wrong_sibling_changes_root(gadget, small_tree):
    c = gadget("merkle")
    inp = _merkle_inputs(small_tree, 6)
    inp["pathElements"][2] = (inp["pathElements"][2] + 1) % R
    w = c.witness(inp)
    assert w[c.sym.wire("root")] != small_tree.root
    w[c.sym.wire("root")] = small_tree.root  # claim the real root anyway
    assert c.failing(w)


# --- Address, NoteCommitment, NoteNullifier --------------------------------------------------------


def test_address_matches_python(gadget):
    c = gadget("address")
    keys = Keys.from_seed(b"gadget test address seed, 32 bytes+")
    w = c.witness({"pubKey": list(keys.public_key), "nullifyingKey": keys.nk})
    assert c.failing(w) == []
    assert w[c.sym.wire("owner")] == keys.address == address_of(keys.public_key, keys.nk)
    assert w[c.sym.wire("nullifierPubKey")] == nullifier_pub_key(keys.nk)
    w[c.sym.wire("owner")] = (keys.address + 1) % R
    assert c.failing(w)


@pytest.mark.parametrize("values", [(0, 0, 0, 0), (5, _h("o"), _h("b"), 1), ((1 << B) - 1, R - 1, R - 1, R - 1)])
def test_commitment_matches_python(gadget, values):
    c = gadget("commitment")
    amount, owner, blinding, token = values
    w = c.witness({"amount": amount, "owner": owner, "blinding": blinding, "tokenId": token})
    assert c.failing(w) == []
    assert w[c.sym.wire("commitment")] == commitment(*values)
    w[c.sym.wire("commitment")] = (w[c.sym.wire("commitment")] + 1) % R
    assert c.failing(w)


@pytest.mark.parametrize("values", [(0, 0, 0), (_h("nk"), _h("cm"), 3), (R - 1, R - 1, (1 << 24) - 1)])
def test_nullifier_matches_python(gadget, values):
    c = gadget("nullifier")
    nk, cm, idx = values
    w = c.witness({"nullifyingKey": nk, "commitment": cm, "leafIndex": idx})
    assert c.failing(w) == []
    assert w[c.sym.wire("nullifier")] == nullifier(*values)
    w[c.sym.wire("nullifier")] = 0 if w[c.sym.wire("nullifier")] else 1
    assert c.failing(w)


# --- AllDistinct(3) ------------------------------------------------------------------------------


@pytest.mark.parametrize("values", [[1, 2, 3], [0, 1, R - 1], [_h("a"), _h("b"), _h("c")]])
def test_distinct_accepts(gadget, values):
    c = gadget("distinct")
    assert c.failing(c.witness({"in": values})) == []


@pytest.mark.parametrize("values", [[1, 2, 1], [5, 5, 7], [R - 1, 0, R - 1], [4, 4, 4]])
def test_distinct_rejects_forged(gadget, values):
    c = gadget("distinct")
    c.assert_caught_only_by(c.forge({"in": values}), "inv[")


def test_distinct_no_inverse_hides_a_repeat(gadget):
    """in[0] == in[2]: (in[0] - in[2]) * inv == 1 fails for every inv the prover may pick."""
    c = gadget("distinct")
    w = c.forge({"in": [9, 2, 9]})
    wire = c.sym.wire("inv[1]")  # pair (0, 2)
    for inv in (0, 1, R - 1, _h("inv"), pow(9, -1, R)):
        w[wire] = inv
        assert c.failing(w)


def test_distinct_wrong_inverse_of_different_values_fails(gadget):
    c = gadget("distinct")
    w = c.witness({"in": [1, 2, 3]})
    w[c.sym.wire("inv[0]")] = 0
    assert c.failing(w)


# --- PoseidonMany(32), circomlib's Poseidon -------------------------------------------------------


def test_poseidon_many_matches_python_and_closed_form(gadget):
    c = gadget("poseidon_many")
    values = [_h(f"pm {i}") for i in range(32)]
    w = c.witness({"in": values})
    assert c.failing(w) == []
    chained = poseidon([poseidon([poseidon(values[:16]), *values[16:31]]), values[31]])
    assert w[c.sym.wire("out")] == poseidon_many(values) == chained
    w[c.sym.wire("out")] = (w[c.sym.wire("out")] + 1) % R
    assert c.failing(w)


def _vector(inputs: list[int]) -> int:
    want = [str(x) for x in inputs]
    for v in VECTORS["poseidon"]:
        if v["inputs"] == want:
            return int(v["hash"])
    raise KeyError(f"no circomlibjs vector for {want}")


@pytest.mark.parametrize("kind", ["1..16", "zeros", "r-1"])
def test_poseidon_circuit_equals_circomlibjs_and_python(gadget, kind):
    """SECURITY 8: Poseidon in the circuit == Python == circomlibjs (committed vectors), at the arities
    1, 2, 5 and 16 (circuits/test/poseidon_test.circom)."""
    c = gadget("poseidon")
    values = {"1..16": list(range(1, 17)), "zeros": [0] * 16, "r-1": [R - 1] * 16}[kind]
    w = c.witness({"in": values})
    assert c.failing(w) == []
    for k, n in enumerate([1, 2, 5, 16]):
        got = w[c.sym.wire(f"out[{k}]")]
        assert got == poseidon(values[:n]) == _vector(values[:n]), f"Poseidon({n})"


# --- SpendAuthorization (EdDSA-Poseidon) ----------------------------------------------------------

KEY = PrivateKey(hashlib.sha256(b"gadget spend auth key").digest())
# S*Base8 == R8 + 8*hm*A: the optimiser merges the two ForceEqualIfEnabled into the last additions.
FINAL_EQUALITY = ("verifier.eqCheck", "verifier.addRight.")
MSG = _h("message")


def _auth_inputs(pub, sig: Signature, msg: int) -> dict:
    return {"pubKey": list(pub), "sigR8": list(sig.r8), "sigS": sig.s, "message": msg}


@pytest.mark.parametrize("msg", [0, 1, R - 1, MSG])
def test_spend_auth_accepts(gadget, msg):
    c = gadget("spend_auth")
    sig = KEY.sign(msg)
    assert c.failing(c.witness(_auth_inputs(KEY.public_key, sig, msg))) == []


def test_spend_auth_rejects_other_message(gadget):
    c = gadget("spend_auth")
    sig = KEY.sign(MSG)
    c.assert_caught_only_by(c.forge(_auth_inputs(KEY.public_key, sig, (MSG + 1) % R)), *FINAL_EQUALITY)


def test_spend_auth_rejects_other_key(gadget):
    c = gadget("spend_auth")
    other = PrivateKey(hashlib.sha256(b"another key").digest())
    sig = KEY.sign(MSG)
    c.assert_caught_only_by(c.forge(_auth_inputs(other.public_key, sig, MSG)), *FINAL_EQUALITY)


def test_spend_auth_rejects_s_plus_l(gadget):
    """S + l gives the same point S*Base8, so only the S < l check (CompConstant) stops this
    malleated signature; Python's verifier rejects it too."""
    c = gadget("spend_auth")
    sig = KEY.sign(MSG)
    forged = Signature(sig.r8, sig.s + SUBORDER)
    assert babyjub.mul(BASE8, forged.s) == babyjub.mul(BASE8, sig.s)
    assert not is_valid(KEY.public_key, MSG, forged)
    c.assert_caught_only_by(c.forge(_auth_inputs(KEY.public_key, forged, MSG)), "verifier.compConstant")


def test_spend_auth_rejects_identity_key(gadget):
    """A = identity: R8 = S*Base8 satisfies the equation for any message; only the 8*A != 0 check stops it."""
    c = gadget("spend_auth")
    s = 12345
    sig = Signature(babyjub.mul(BASE8, s), s)
    c.assert_caught_only_by(c.forge(_auth_inputs(babyjub.IDENTITY, sig, MSG)), "verifier.isZero")


def test_spend_auth_rejects_off_curve_r8(gadget):
    c = gadget("spend_auth")
    sig = KEY.sign(MSG)
    bad = Signature((sig.r8[0], (sig.r8[1] + 1) % R), sig.s)
    failing = c.failing(c.forge(_auth_inputs(KEY.public_key, bad, MSG)))
    on_curve = c.sym.wires_under("rOnCurve.")
    assert any(c.constraint_wires(k) & on_curve for k in failing), c.describe(failing)


def test_spend_auth_rejects_tampered_division_hint(gadget):
    """BabyAdd computes its outputs with `<--` divisions; a different value breaks its constraints."""
    c = gadget("spend_auth")
    w = c.witness(_auth_inputs(KEY.public_key, KEY.sign(MSG), MSG))
    wire = c.sym.wire("verifier.addRight.xout")
    w[wire] = (w[wire] + 1) % R
    assert c.failing(w)
