"""Aggregated settlement on anvil and py-evm: the generated verifyBatch, the batch Merkle insert and
the pool's transactBatch, with real transfer_2x2 proofs (SECURITY 19, 44, 45, 46's on-chain half).

A handful of proofs is made once per module and mutated; py-evm runs the pairing precompile in pure
Python (seconds per pairing), so the long sweeps (every position, every mutation) are anvil only and
py-evm sees one valid and one invalid batch of each kind.
"""

from __future__ import annotations

import json
import random

import pytest
from evm_chain import anvil_only, deploy, expect_revert, send

from bn254.constants import Q, R
from contracts.build import ARTIFACTS, build, compile_source
from transfer.merkle import MerkleTree
from verifier.errors import InvalidProof
from verifier.groth16 import GLV_LAMBDA, batch_verify, prepare_verifying_key
from verifier.keys import verifying_key_from_json
from verifier.solidity import batch_verify_evm, batch_weights, proof_to_evm_words, solidity_verifier

pytestmark = [pytest.mark.interop, pytest.mark.circuits]


def _artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


# --- batch Merkle insert --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hasher(w3):
    build()
    return deploy(w3, _artifact("PoseidonT3"))


def _check_against_python(w3, tree, py: MerkleTree, sizes: list[int], start: int, first: int = 0) -> int:
    """Insert batches of the given sizes into the current tree (twin `py`, whose leaf 0 is at global
    position `first`), comparing every position and root."""
    leaf = start
    for size in sizes:
        leaves = list(range(leaf, leaf + size))
        leaf += size
        idx = tree.functions.insertBatch(leaves).call({"gas": 12_000_000})
        send(w3, tree.functions.insertBatch(leaves))
        assert idx == first + len(py)
        py.extend(leaves)
        assert tree.functions.getLastRoot().call() == py.root, f"root differs after a batch of {size}"
        assert tree.functions.nextIndex().call() == len(py)
    return leaf


def test_batch_insert_matches_python(w3, hasher):
    """Batches of 2N leaves give the root of inserting them one by one (transfer.merkle's twin), at
    aligned and unaligned positions, and leave filledSubtrees right for the single insert after. A
    batch that does not fit fills the tree and goes on in a new one (positions stay consecutive,
    the full tree's last root stays known, NewTree names it)."""
    tree = deploy(w3, _artifact("MerkleTreeHarness"), 4, hasher.address)
    py = MerkleTree(4)
    leaf = _check_against_python(w3, tree, py, [4, 2, 6], 1)
    send(w3, tree.functions.insert(leaf, leaf + 1))
    py.extend([leaf, leaf + 1])
    assert tree.functions.getLastRoot().call() == py.root
    expect_revert(tree.functions.insertBatch([1, 2, 3]), "BadBatchSize(uint256)")
    expect_revert(tree.functions.insertBatch([]), "BadBatchSize(uint256)")
    assert len(py) == 14
    crossing = list(range(100, 108))  # 2 fill tree 0, 6 open tree 1
    assert tree.functions.insertBatch(crossing).call({"gas": 12_000_000}) == 14
    receipt = send(w3, tree.functions.insertBatch(crossing))
    py.extend(crossing[:2])
    full_root = py.root
    events = tree.events.NewTree().process_receipt(receipt)
    assert [(e.args.tree, e.args.previousFinalRoot) for e in events] == [(1, full_root)]
    py1 = MerkleTree(4, crossing[2:])
    assert tree.functions.getLastRoot().call() == py1.root
    assert (tree.functions.currentTree().call(), tree.functions.nextIndex().call()) == (1, 6)
    assert tree.functions.isKnownRoot(full_root).call()
    _check_against_python(w3, tree, py1, [10], 200, first=16)  # fills tree 1 exactly
    assert tree.functions.insertBatch([1, 2]).call() == 32  # tree 2, position 0


@anvil_only
def test_batch_insert_random_sizes(w3, hasher):
    """Random even sizes at random offsets, mixed with single inserts, on a depth-7 tree."""
    rng = random.Random(14)
    tree = deploy(w3, _artifact("MerkleTreeHarness"), 7, hasher.address)
    py = MerkleTree(7)
    leaf = 1
    while len(py) < 90:  # then at most 18 + 18 more: the depth-7 tree holds 128
        if rng.random() < 0.3:
            send(w3, tree.functions.insert(leaf, leaf + 1))
            py.extend([leaf, leaf + 1])
            leaf += 2
            assert tree.functions.getLastRoot().call() == py.root
        else:
            leaf = _check_against_python(w3, tree, py, [2 * rng.randint(1, 9)], leaf)
    first_batch_root = py.root
    leaf = _check_against_python(w3, tree, py, [2 * 9], leaf)
    assert tree.functions.isKnownRoot(first_batch_root).call()


# --- verifyBatch ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_proofs(proof_2x2) -> list[tuple[list[str], dict]]:
    """Five proofs: the session's example proof and four re-proofs of the same witness (fresh
    randomness, so distinct proofs of the same public inputs), as (public, proof.json) pairs."""
    items = [(proof_2x2["public"], proof_2x2["proof"])]
    for _ in range(4):
        res = proof_2x2["prover"].prove(proof_2x2["witness"])
        items.append(([str(s) for s in res.public_signals], res.proof.to_json()))
    assert len({json.dumps(p, sort_keys=True) for _, p in items}) == len(items)
    return items


@pytest.fixture(scope="module")
def verifier(w3, proof_2x2):
    return deploy(w3, compile_source(solidity_verifier(proof_2x2["vkey"]))["Groth16Verifier"])


def _args(items) -> tuple[list[list[int]], list[list[int]]]:
    return [proof_to_evm_words(p) for _, p in items], [[int(x) for x in pub] for pub, _ in items]


def _with_c(proof: dict, c: tuple[int, int]) -> dict:
    return {**proof, "pi_c": [str(c[0]), str(c[1]), "1"]}


def test_valid_batch_and_weights(w3, verifier, batch_proofs, proof_2x2):
    """A valid batch verifies on chain and in the Python twin; the contract's weights are the twin's
    (SECURITY 45: derived from every proof and input; changing one proof changes every weight)."""
    vkey = proof_2x2["vkey"]
    items = batch_proofs[:3]
    proofs, inputs = _args(items)
    assert verifier.functions.verifyBatch(proofs, inputs).call({"gas": 12_000_000})
    batch_verify_evm(vkey, items)
    z = verifier.functions.batchWeights(proofs, inputs).call()
    twin = batch_weights(vkey, items)
    assert z == [(k1 + GLV_LAMBDA * k2) % R for k1, k2 in twin]
    assert all(k1 < 1 << 64 and k2 < 1 << 64 for k1, k2 in twin) and len(set(z)) == len(z)
    other = [items[0], items[1], batch_proofs[3]]
    z2 = verifier.functions.batchWeights(*_args(other)).call()
    assert all(a != b for a, b in zip(z, z2, strict=True))
    inputs2 = [list(x) for x in inputs]
    inputs2[2][7] = (inputs2[2][7] + 1) % R
    z3 = verifier.functions.batchWeights(proofs, inputs2).call()
    assert all(a != b for a, b in zip(z, z3, strict=True))
    expect_revert(verifier.functions.verifyBatch([], []), "BatchShape(uint256,uint256)")
    expect_revert(verifier.functions.verifyBatch(proofs, inputs[:2]), "BatchShape(uint256,uint256)")


def test_bad_public_input_fails(w3, verifier, batch_proofs, proof_2x2):
    """SECURITY 44 on both EVMs: one wrong public input in a batch of three."""
    items = batch_proofs[:3]
    proofs, inputs = _args(items)
    inputs[1][4] = (inputs[1][4] + 1) % R
    assert not verifier.functions.verifyBatch(proofs, inputs).call({"gas": 12_000_000})
    bad = [items[0], ([str(x) for x in inputs[1]], items[1][1]), items[2]]
    with pytest.raises(InvalidProof, match="proof 1 of 3"):
        batch_verify_evm(proof_2x2["vkey"], bad)


@anvil_only
@pytest.mark.parametrize("n", [1, 2, 5])
def test_one_bad_proof_at_any_position(w3, verifier, batch_proofs, n):
    """SECURITY 44: a batch with one mutated proof (A, B, or C swapped with another proof's, or a wrong
    public input) fails whatever the position; the untouched batch passes."""
    items = batch_proofs[:n]
    proofs, inputs = _args(items)
    assert verifier.functions.verifyBatch(proofs, inputs).call()
    for pos in range(n):
        spare = proof_to_evm_words(batch_proofs[(pos + 1) % len(batch_proofs)][1])  # another valid proof
        for lo, hi in ((0, 2), (2, 6), (6, 8)):
            bad = [list(p) for p in proofs]
            bad[pos][lo:hi] = spare[lo:hi]
            assert bad[pos] != proofs[pos]
            assert not verifier.functions.verifyBatch(bad, inputs).call(), (pos, lo)
        for j in range(8):
            bad_in = [list(x) for x in inputs]
            bad_in[pos][j] = (bad_in[pos][j] + 1) % R
            assert not verifier.functions.verifyBatch(proofs, bad_in).call(), (pos, j)


@anvil_only
def test_non_canonical_encodings_rejected(w3, verifier, batch_proofs):
    """The single verifier's canonical checks (SECURITY 21): coordinates >= q, inputs >= r."""
    proofs, inputs = _args(batch_proofs[:2])
    for k in range(8):
        bad = [list(p) for p in proofs]
        bad[1][k] += Q
        assert not verifier.functions.verifyBatch(bad, inputs).call(), k
    bad_in = [list(x) for x in inputs]
    bad_in[0][5] += R
    assert not verifier.functions.verifyBatch(proofs, bad_in).call()
    bad = [list(p) for p in proofs]
    bad[0][1] = (bad[0][1] + 1) % Q  # A off the curve: the precompile fails and the call reverts
    expect_revert(verifier.functions.verifyBatch(bad, inputs))


def test_errors_that_cancel_under_stale_weights_fail(w3, verifier, batch_proofs, proof_2x2):
    """SECURITY 19 and 45 (tampered weight inputs): shift C_0 by z_1 G and C_1 by -z_0 G, using the
    weights z of the honest batch. Under those weights sum z_i C_i is unchanged, so a verifier that
    derived its weights before (or without) seeing the proofs would accept: the twin shows it does,
    given the stale weights. The contract re-derives the weights from the tampered proofs and says no."""
    from py_ecc.optimized_bn128 import G1, add, multiply, neg, normalize

    vkey = proof_2x2["vkey"]
    items = batch_proofs[:2]
    stale = batch_weights(vkey, items)
    z0, z1 = ((k1 + GLV_LAMBDA * k2) % R for k1, k2 in stale)

    def shifted(proof: dict, d) -> dict:
        c = (int(proof["pi_c"][0]), int(proof["pi_c"][1]), 1)
        from py_ecc.optimized_bn128 import FQ

        x, y = normalize(add(tuple(FQ(v) for v in c), d))
        return _with_c(proof, (int(x), int(y)))

    forged = [
        (items[0][0], shifted(items[0][1], multiply(G1, z1))),
        (items[1][0], shifted(items[1][1], neg(multiply(G1, z0)))),
    ]
    pvk = prepare_verifying_key(verifying_key_from_json(vkey))
    batch_verify(pvk, forged, locate=False, weights=stale)  # the attack works against stale weights
    with pytest.raises(InvalidProof):
        batch_verify_evm(vkey, forged)
    assert not verifier.functions.verifyBatch(*_args(forged)).call({"gas": 12_000_000})


# --- transactBatch --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def batch_pool(w3, hasher, proof_2x2):
    from test_pool import SHAPE, ZERO, Wallet

    token = deploy(w3, _artifact("TestToken"))
    src = solidity_verifier(proof_2x2["vkey"], levels=SHAPE.levels)
    verifier = deploy(w3, compile_source(src)["Groth16Verifier"])
    pool = deploy(
        w3, _artifact("ShieldedPool"), SHAPE.levels, hasher.address, token.address, verifier.address, ZERO, 10**6
    )
    wallet = Wallet(w3, pool, token, {"transfer_2x2": proof_2x2})
    depositor = w3.eth.accounts[1]
    send(w3, token.functions.mint(depositor, 1000))
    send(w3, token.functions.approve(pool.address, 2**256 - 1), sender=depositor)
    return {"pool": pool, "token": token, "wallet": wallet, "depositor": depositor}


@pytest.fixture(scope="module")
def deposits(batch_pool):
    """Four real deposit proofs against the empty tree's root: Alice deposits 10, 20, 30, 40."""
    from transfer.notes import Note

    wallet, depositor = batch_pool["wallet"], batch_pool["depositor"]
    notes = [Note(10 * (k + 1), wallet.alice.address, 7000 + k, 1) for k in range(4)]
    ext = wallet.ext(depositor=depositor)
    return notes, [wallet.prove(wallet.alice, [], [note], note.amount, ext) for note in notes]


def _tx(batch: list) -> tuple[list, list]:
    return [p for p, _ in batch], [e for _, e in batch]


def _with_proof(proof: tuple, words: list[int]) -> tuple:
    return ([words[0], words[1]], [[words[2], words[3]], [words[4], words[5]]], [words[6], words[7]], *proof[3:])


def _proof_words(proof: tuple) -> list[int]:
    a, b, c = proof[0], proof[1], proof[2]
    return [a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]]


def test_batch_settles_and_refuses_bad_members(w3, batch_pool, deposits):
    """SECURITY 44 through the pool on both EVMs: a wrong public input or a proof from another member
    reverts the batch (InvalidProof), so does a mismatched extData (BadExtDataHash) and a transfer
    repeated in one batch (NullifierSpent); then the four deposits settle in one transaction with
    one new root, which is the Python tree's, and every note at its index."""
    pool, token, wallet, depositor = (
        batch_pool["pool"],
        batch_pool["token"],
        batch_pool["wallet"],
        batch_pool["depositor"],
    )
    notes, batch = deposits
    proofs, exts = _tx(batch)
    expect_revert(pool.functions.transactBatch(proofs, exts[:3]), "BatchSize(uint256,uint256)", **{"from": depositor})
    expect_revert(pool.functions.transactBatch([], []), "BatchSize(uint256,uint256)", **{"from": depositor})
    bad = list(proofs)
    bad[2] = (*bad[2][:7], [bad[2][7][0] ^ 1, bad[2][7][1]])
    expect_revert(pool.functions.transactBatch(bad, exts), "InvalidProof()", **{"from": depositor})
    expect_revert(
        pool.functions.transactBatch([proofs[0], proofs[1], proofs[0]], exts[:3]),
        "NullifierSpent(uint256)",
        **{"from": depositor},
    )
    bad_ext = list(exts)
    bad_ext[1] = (bad_ext[1][0], bad_ext[1][1], bad_ext[1][2], [b"other", b"ciphertext 1"], bad_ext[1][4])
    expect_revert(
        pool.functions.transactBatch(proofs, bad_ext), "BadExtDataHash(uint256,uint256)", **{"from": depositor}
    )

    receipt = send(w3, pool.functions.transactBatch(proofs, exts), sender=depositor)
    print(f"\ntransactBatch of 4 deposits gasUsed {receipt.gasUsed}")
    indices = [wallet.record(p) for p in proofs]
    assert pool.functions.getLastRoot().call() == wallet.tree.root
    assert token.functions.balanceOf(pool.address).call() == 100
    events = pool.events.NewCommitment().process_receipt(receipt, errors=pytest.importorskip("web3.logs").DISCARD)
    assert [e.args.index for e in events] == [i for pair in indices for i in pair]
    assert [e.args.commitment for e in events][::2] == [n.commitment for n in notes]
    expect_revert(pool.functions.transactBatch(proofs[:1], exts[:1]), "NullifierSpent(uint256)", **{"from": depositor})


@anvil_only
def test_batch_reverts_on_any_bad_member(w3, batch_pool, proof_2x2):
    """SECURITY 44 and 45 on anvil, on three fresh deposits: for every position, the proof of
    another member, a changed public input, or the errors-that-cancel forgery under stale weights
    reverts; a transfer spending a note that another transfer of the same batch spends reverts
    (NullifierSpent) though each is valid alone; the batch without the second spend settles, and
    the second spend stays refused."""
    from py_ecc.optimized_bn128 import FQ, G1, add, multiply, neg, normalize

    from transfer.inputs import InputNote
    from transfer.notes import Note

    pool, wallet, depositor = batch_pool["pool"], batch_pool["wallet"], batch_pool["depositor"]
    alice, bob = wallet.alice, wallet.bob
    notes = [Note(5 + k, alice.address, 8000 + k, 1) for k in range(3)]
    batch = [wallet.prove(alice, [], [note], note.amount, wallet.ext(depositor=depositor)) for note in notes]
    proofs, exts = _tx(batch)
    words = [_proof_words(p) for p in proofs]
    for pos in range(3):
        other = words[(pos + 1) % 3]
        for lo, hi in ((0, 2), (2, 6), (6, 8)):
            w = list(words[pos])
            w[lo:hi] = other[lo:hi]
            bad = list(proofs)
            bad[pos] = _with_proof(proofs[pos], w)
            expect_revert(pool.functions.transactBatch(bad, exts), "InvalidProof()", **{"from": depositor})
        for field in (4, 7):  # publicAmount, outputCommitments (root, extDataHash, fee, nullifiers: own errors)
            bad = list(proofs)
            p = list(proofs[pos])
            p[field] = (p[field] + 1) % R if field == 4 else [p[7][0], (p[7][1] + 1) % R]
            bad[pos] = tuple(p)
            expect_revert(pool.functions.transactBatch(bad, exts), "InvalidProof()", **{"from": depositor})

    # Errors that cancel under the weights of the honest batch (SECURITY 45): C_0 + z_1 G, C_1 - z_0 G.
    vkey = wallet.provers["transfer_2x2"]["vkey"]

    def as_items(ps):
        return [
            ([str(x) for x in (p[3], p[4], e[2], p[5], *p[6], *p[7])], _json(p)) for p, e in zip(ps, exts, strict=False)
        ]

    def _json(p):
        w = _proof_words(p)
        return {
            "pi_a": [str(w[0]), str(w[1]), "1"],
            "pi_b": [[str(w[3]), str(w[2])], [str(w[5]), str(w[4])], ["1", "0"]],
            "pi_c": [str(w[6]), str(w[7]), "1"],
            "protocol": "groth16",
            "curve": "bn128",
        }

    batch_verify_evm(vkey, as_items(proofs))  # the honest batch, checked off chain as on chain
    z0, z1 = ((k1 + GLV_LAMBDA * k2) % R for k1, k2 in batch_weights(vkey, as_items(proofs[:2])))

    def shifted(p, d):
        w = _proof_words(p)
        x, y = normalize(add((FQ(w[6]), FQ(w[7]), FQ(1)), d))
        return _with_proof(p, [*w[:6], int(x), int(y)])

    forged = [shifted(proofs[0], multiply(G1, z1)), shifted(proofs[1], neg(multiply(G1, z0)))]
    expect_revert(pool.functions.transactBatch(forged, exts[:2]), "InvalidProof()", **{"from": depositor})
    send(w3, pool.functions.transactBatch(proofs, exts), sender=depositor)
    indices = [wallet.record(p) for p in proofs]
    assert pool.functions.getLastRoot().call() == wallet.tree.root

    # Two transfers each valid alone, spending the same note: the batch reverts on the nullifier.
    spent = [InputNote(notes[0], wallet.tree.path(indices[0][0]))]
    to_bob = wallet.prove(alice, spent, [Note(5, bob.address, 1, 1)], 0, wallet.ext())
    to_self = wallet.prove(alice, spent, [Note(5, alice.address, 2, 1)], 0, wallet.ext())
    other = wallet.prove(
        alice, [InputNote(notes[1], wallet.tree.path(indices[1][0]))], [Note(6, bob.address, 3, 1)], 0, wallet.ext()
    )
    tx_p, tx_e = _tx([other, to_bob, to_self])
    expect_revert(pool.functions.transactBatch(tx_p, tx_e), "NullifierSpent(uint256)", **{"from": depositor})
    send(w3, pool.functions.transactBatch(tx_p[:2], tx_e[:2]), sender=depositor)
    for p in tx_p[:2]:
        wallet.record(p)
    assert pool.functions.getLastRoot().call() == wallet.tree.root
    expect_revert(pool.functions.transactBatch(tx_p[2:], tx_e[2:]), "NullifierSpent(uint256)", **{"from": depositor})
