"""The Python twin of the generated verifyBatch (verifier.solidity.batch_weights / batch_verify_evm)
on a synthetic key with known trapdoors: fast, no chain (the contract side: tests/contracts/test_batch.py).

SECURITY 19 (errors that cancel under the weights of another batch are caught) and SECURITY 45 (the
weights change entirely when any coordinate, input or position changes).
"""

from __future__ import annotations

import pytest
from verifier_fixtures import Synthetic

from bn254.constants import R
from verifier.errors import InvalidProof
from verifier.groth16 import GLV_LAMBDA, batch_verify, prepare_verifying_key
from verifier.keys import Proof, proof_from_json
from verifier.solidity import batch_verify_evm, batch_weights, proof_from_evm_words, proof_to_evm_words


@pytest.fixture(scope="module")
def batch(synthetic: Synthetic) -> tuple[dict, list[tuple[list[str], dict]]]:
    vkey = synthetic.vk.to_json()
    items = []
    for _ in range(4):
        xs = synthetic.inputs()
        items.append(([str(x) for x in xs], synthetic.prove(xs).to_json()))
    return vkey, items


def _z(w: tuple[int, int]) -> int:
    return (w[0] + GLV_LAMBDA * w[1]) % R


def test_valid_batch_and_words_round_trip(batch):
    vkey, items = batch
    batch_verify_evm(vkey, items)
    for _, proof in items:
        assert proof_from_evm_words(proof_to_evm_words(proof)) == proof
    weights = batch_weights(vkey, items)
    assert len({_z(w) for w in weights}) == len(items)
    assert all(0 <= k < 1 << 64 for w in weights for k in w)
    assert batch_weights(vkey, items) == weights  # a function of the batch alone


def test_every_weight_changes_with_any_word(batch):
    vkey, items = batch
    base = [_z(w) for w in batch_weights(vkey, items)]
    for i in range(len(items)):
        for k in range(8):
            words = proof_to_evm_words(items[i][1])
            words[k] += 1
            changed = list(items)
            changed[i] = (items[i][0], proof_from_evm_words(words))
            assert all(a != b for a, b in zip(base, (_z(w) for w in batch_weights(vkey, changed)), strict=True))
        changed = list(items)
        changed[i] = ([*items[i][0][:-1], str(int(items[i][0][-1]) + 1)], items[i][1])
        assert all(a != b for a, b in zip(base, (_z(w) for w in batch_weights(vkey, changed)), strict=True))
    swapped = [items[1], items[0], *items[2:]]  # positions are bound too
    assert [_z(w) for w in batch_weights(vkey, swapped)] != [base[1], base[0], *base[2:]]


def test_cancelling_errors_pass_only_under_stale_weights(batch, synthetic: Synthetic):
    """C_0 + z_1 G and C_1 - z_0 G with the honest batch's weights: the weighted sum of C is unchanged
    under those weights (accepted with them: the attack is real), but not under the forged batch's."""
    vkey, items = batch
    stale = batch_weights(vkey, items)
    z0, z1 = _z(stale[0]), _z(stale[1])
    forged = list(items)
    for i, shift in ((0, z1), (1, -z0)):
        forged[i] = (items[i][0], _shift_c(proof_from_json(items[i][1]), shift).to_json())
    pvk = prepare_verifying_key(synthetic.vk)
    batch_verify(pvk, forged, locate=False, weights=stale)
    with pytest.raises(InvalidProof, match="batch of 4"):
        batch_verify_evm(vkey, forged, locate=False)
    with pytest.raises(InvalidProof, match="proof 0 of 4"):
        batch_verify_evm(vkey, forged, locate=True)


def _shift_c(p: Proof, k: int) -> Proof:
    """C + k G1 (G1 the generator): e(C + kG, delta) = e(C, delta) e(G, delta)^k."""
    from py_ecc.optimized_bn128 import FQ, add, multiply, normalize
    from py_ecc.optimized_bn128 import G1 as GEN

    x, y = normalize(add((FQ(p.c[0]), FQ(p.c[1]), FQ(1)), multiply(GEN, k % R)))
    return Proof(p.a, p.b, (int(x), int(y)))


def test_explicit_weights_are_checked(batch, synthetic: Synthetic):
    vkey, items = batch
    pvk = prepare_verifying_key(synthetic.vk)
    for bad in ([(1, 2)] * 3, [(0, 0)] * 4, [(1 << 64, 1)] * 4, [(1, -1)] * 4):
        with pytest.raises(ValueError):
            batch_verify(pvk, items, weights=bad)
    batch_verify(pvk, items, weights=[(1, 0), (0, 1), (2, 3), ((1 << 64) - 1, 5)])
