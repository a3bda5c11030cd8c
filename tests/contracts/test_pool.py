"""ShieldedPool, MerkleTreeWithHistory and PoseidonT3 on anvil and py-evm with real transfer proofs.

SECURITY.md items 8 (Poseidon in Python, circomlibjs and Solidity; the circuit through the roots
its proofs are checked against), 20-26; deposit, transfer and withdrawal flows with transfer_2x2,
and the transfer_16x2 verifier behind the same pool (slow: its key).
"""

from __future__ import annotations

import json

import pytest
from eth_abi import encode as abi_encode
from evm_chain import ROOT, anvil_only, deploy, expect_revert, send

from bn254.constants import Q, R
from contracts.build import ARTIFACTS, build, compile_source
from transfer.constants import SHAPES, TransferShape
from transfer.extdata import EXT_DATA_TYPES, ExtData, keccak256
from transfer.inputs import InputNote, build_transfer_inputs, public_signals
from transfer.keys import Keys
from transfer.merkle import MerkleTree, zero_hashes
from transfer.notes import Note
from transfer.poseidon import poseidon
from verifier.solidity import proof_to_evm, solidity_verifier

pytestmark = [pytest.mark.interop, pytest.mark.circuits]

SHAPE = SHAPES["transfer_2x2"]
TOKEN_ID = 1
ZERO = "0x" + "00" * 20
MAX_AMOUNT = 1 << 120
TWO_256_MOD_Q = (1 << 256) % Q
SMALL_LEVELS = 6
"""Tree depth of the yes-verifier pools: no real proof names their root, and 24 levels cost 24
Poseidon calls per transact (seconds each on py-evm)."""


def _artifact(name: str) -> dict:
    return json.loads((ARTIFACTS / f"{name}.json").read_text())


def _verifier_artifact(vkey: dict, levels: int = SHAPE.levels) -> dict:
    """The generated verifier of `vkey`, carrying the tree depth `levels` the pool checks."""
    return compile_source(solidity_verifier(vkey, levels=levels))["Groth16Verifier"]


@pytest.fixture(scope="module")
def chain(w3, proof_2x2):
    build()
    hasher = deploy(w3, _artifact("PoseidonT3"))
    token = deploy(w3, _artifact("TestToken"))
    verifier = deploy(w3, _verifier_artifact(proof_2x2["vkey"]))
    pool = deploy(
        w3, _artifact("ShieldedPool"), SHAPE.levels, hasher.address, token.address, verifier.address, ZERO, 10**6
    )
    return {"hasher": hasher, "token": token, "verifier": verifier, "pool": pool}


# --- Poseidon -------------------------------------------------------------------------------------


def test_poseidon_known_answers(chain):
    hasher = chain["hasher"]
    vectors = json.loads((ROOT / "tests" / "vectors" / "circomlibjs.json").read_text())["poseidon"]
    pairs = [v for v in vectors if len(v["inputs"]) == 2]
    assert pairs, "circomlibjs vectors have no 2-input Poseidon cases"
    for v in pairs:
        x = [int(s) for s in v["inputs"]]
        assert hasher.functions.hash(x).call() == int(v["hash"]) == poseidon(x)
    for x in ([0, 0], [1, 2], [R - 1, R - 1], [0, R - 1]):
        assert hasher.functions.hash(x).call() == poseidon(x)


@pytest.mark.parametrize("x", [[R, 0], [0, R], [2**256 - 1, 1]])
def test_poseidon_rejects_non_field_inputs(chain, x):
    expect_revert(chain["hasher"].functions.hash(x))


# --- Merkle tree ----------------------------------------------------------------------------------


def test_empty_root_matches_python(chain):
    pool = chain["pool"]
    assert pool.functions.getLastRoot().call() == zero_hashes(SHAPE.levels)[SHAPE.levels] == MerkleTree(24).root
    assert not pool.functions.isKnownRoot(0).call()


def test_small_tree_fills_and_a_new_one_follows(w3, chain):
    """SECURITY 24 (issue 11, item 13) on a depth-3 harness tree filled for real: each root equals the
    Python twin's; when the tree is full the next insert starts tree 1 at global position 8 (NewTree
    names the full tree's last root), every earlier root, the full tree's last one included, stays
    known, and the new tree's roots are the twin's for a fresh tree."""
    tree = deploy(w3, _artifact("MerkleTreeHarness"), 3, chain["hasher"].address)
    py = MerkleTree(3)
    seen = [tree.functions.getLastRoot().call()]
    for k in range(4):
        assert tree.functions.insert(10 + 2 * k, 11 + 2 * k).call() == 2 * k
        send(w3, tree.functions.insert(10 + 2 * k, 11 + 2 * k))
        py.insert(10 + 2 * k)
        py.insert(11 + 2 * k)
        assert tree.functions.getLastRoot().call() == py.root
        seen.append(py.root)
    assert (tree.functions.currentTree().call(), tree.functions.nextIndex().call()) == (0, 8)
    final = py.root
    assert tree.functions.insert(1, 2).call() == 8  # full: the next pair opens tree 1
    receipt = send(w3, tree.functions.insert(1, 2))
    events = tree.events.NewTree().process_receipt(receipt)
    assert [(e.args.tree, e.args.previousFinalRoot) for e in events] == [(1, final)]
    py1 = MerkleTree(3)
    py1.insert(1)
    py1.insert(2)
    assert tree.functions.getLastRoot().call() == py1.root
    assert (tree.functions.currentTree().call(), tree.functions.nextIndex().call()) == (1, 2)
    assert all(tree.functions.isKnownRoot(r).call() for r in seen)
    assert not tree.functions.isKnownRoot(0).call() and not tree.functions.isKnownRoot(12345).call()


class _Creation:
    """A contract creation run as eth_call (no `to`), so expect_revert can see its revert."""

    def __init__(self, w3, data: str) -> None:
        self.w3, self.data = w3, data

    def call(self, tx: dict):
        return self.w3.eth.call({**tx, "data": self.data})


def test_zeros_table_matches_python_and_hasher(w3, chain):
    """The generated MerkleZeros table is transfer.merkle's; a tree refuses a hasher that disagrees."""
    pool = chain["pool"]
    z = list(zero_hashes(32))
    assert [pool.functions.zeros(h).call() for h in range(33)] == z
    assert z[1] == poseidon([0, 0]) and z[2] == poseidon([z[1], z[1]])
    expect_revert(pool.functions.zeros(33), "HeightOutOfRange(uint256)")
    wrong = compile_source(
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.20;\n"
        "contract WrongHasher { function hash(uint256[2] calldata x) external pure returns (uint256) "
        "{ return x[0] + x[1] + 1; } }"
    )["WrongHasher"]
    wrong_hasher = deploy(w3, wrong)
    harness = w3.eth.contract(
        abi=_artifact("MerkleTreeHarness")["abi"], bytecode=_artifact("MerkleTreeHarness")["bytecode"]
    )
    creation = harness.constructor(3, wrong_hasher.address).data_in_transaction
    expect_revert(_Creation(w3, creation), "HasherMismatch(uint256,uint256)")
    creation = harness.constructor(3, chain["hasher"].address).data_in_transaction
    assert w3.eth.call({"data": creation, "gas": 5_000_000})  # the right hasher: runtime code comes back


def test_pool_refuses_a_depth_other_than_its_verifiers(w3, chain, proof_2x2):
    """SECURITY 24 (issue 11, item 14): a pool deployed at depth 20 behind depth-24 verifiers would
    take deposits no proof could spend; the pool refuses it at deployment, as it refuses a verifier
    without the generated LEVELS constant (snarkjs' own), or one of another shape in a slot."""
    src = solidity_verifier(proof_2x2["vkey"], levels=SHAPE.levels)
    assert f"uint256 public constant LEVELS = {SHAPE.levels};" in src
    assert chain["verifier"].functions.LEVELS().call() == SHAPE.levels
    assert chain["verifier"].functions.N_PUBLIC().call() == SHAPE.n_public
    factory = w3.eth.contract(abi=_artifact("ShieldedPool")["abi"], bytecode=_artifact("ShieldedPool")["bytecode"])
    hasher, token, v2 = chain["hasher"].address, chain["token"].address, chain["verifier"].address

    def creation(levels: int, v2x2: str, v16x2: str = ZERO) -> _Creation:
        return _Creation(w3, factory.constructor(levels, hasher, token, v2x2, v16x2, 10**6).data_in_transaction)

    mismatch = "VerifierLevelsMismatch(address,uint256,uint256)"
    expect_revert(creation(20, v2), mismatch)
    expect_revert(creation(SHAPE.levels - 1, v2), mismatch)
    unmarked = deploy(w3, compile_source(solidity_verifier(proof_2x2["vkey"]))["Groth16Verifier"])
    expect_revert(creation(SHAPE.levels, unmarked.address), mismatch)  # no LEVELS: snarkjs-style verifier
    expect_revert(creation(SHAPE.levels, w3.eth.accounts[3]), mismatch)  # not a contract
    other = deploy(w3, _verifier_artifact(proof_2x2["vkey"], levels=20))
    expect_revert(creation(SHAPE.levels, v2, other.address), mismatch)  # the 16x2 slot is checked too
    # The 2x2 verifier in the 16x2 slot: right depth, wrong shape.
    expect_revert(creation(SHAPE.levels, v2, v2), "VerifierShapeMismatch(address,uint256,uint256)")
    assert w3.eth.call({"data": creation(SHAPE.levels, v2).data, "gas": 10_000_000})  # the matching depth deploys
    with pytest.raises(ValueError, match="levels"):
        solidity_verifier(proof_2x2["vkey"], levels=0)


@anvil_only  # 130 transactions: fast on anvil, minutes on py-evm
def test_no_number_of_inserts_flushes_a_root(w3, chain):
    """SECURITY 24 (issue 11, item 13): the old pool kept the last 100 roots, so 100 cheap transfers
    pushed out the root of every pending proof. Now every root stays known: after 130 inserts into a
    depth-2 tree (65 trees filled one after another) the first root and every later one are known."""
    tree = deploy(w3, _artifact("MerkleTreeHarness"), 2, chain["hasher"].address)
    seen = [tree.functions.getLastRoot().call()]
    for k in range(130):
        send(w3, tree.functions.insert(k + 1, k + 1))
        seen.append(tree.functions.getLastRoot().call())
    assert tree.functions.currentTree().call() == 64 and tree.functions.nextIndex().call() == 4
    assert all(tree.functions.isKnownRoot(r).call() for r in seen)


# --- pool flows -----------------------------------------------------------------------------------


class Wallet:
    """The test's view of one pool: the Python tree twin, keys, and a prover per circuit shape."""

    def __init__(self, w3, pool, token, provers: dict[str, dict]) -> None:
        self.w3, self.pool, self.token = w3, pool, token
        self.provers = provers
        self.tree = MerkleTree(SHAPE.levels)
        self.alice = Keys.from_seed(b"pool test alice".ljust(32, b"\0"))
        self.bob = Keys.from_seed(b"pool test bob".ljust(32, b"\0"))

    def ext(self, recipient: str = ZERO, relayer: str = ZERO, fee: int = 0, depositor: str = ZERO) -> ExtData:
        return ExtData(
            recipient=recipient,
            relayer=relayer,
            fee=fee,
            encrypted_outputs=(b"ciphertext 0", b"ciphertext 1"),
            chain_id=self.w3.eth.chain_id,
            pool=self.pool.address,
            depositor=depositor,
        )

    def prove(
        self,
        spender: Keys,
        spent: list[InputNote],
        outputs: list[Note],
        public_amount: int,
        ext: ExtData,
        circuit: str = "transfer_2x2",
    ):
        shape: TransferShape = SHAPES[circuit]
        inputs = build_transfer_inputs(
            shape=shape,
            root=self.tree.root,
            inputs=spent,
            outputs=outputs,
            public_amount=public_amount,
            ext_data=ext,
            authorizing_key=spender.proof_authorizing_key(),
            signer=spender.spending_key.sign,
        )
        p = self.provers[circuit]
        res = p["prover"].prove(p["wc"].calculate_limbs(inputs))
        sig = public_signals(inputs, shape)
        assert res.public_signals == sig
        a, b, c = proof_to_evm(res.proof.to_json())
        n = shape.n_ins
        proof = (list(a), [list(b[0]), list(b[1])], list(c), sig[0], sig[1], sig[3], sig[4 : 4 + n], sig[4 + n :])
        return proof, ext.as_tuple()

    def submit(self, proof, ext_t, sender: str) -> dict:
        return send(self.w3, self.pool.functions.transact(proof, ext_t), sender=sender)

    def record(self, proof) -> list[int]:
        """Mirror the two output commitments the pool inserted (padding notes included)."""
        return [self.tree.insert(cm) for cm in proof[7]]


@pytest.fixture(scope="module")
def wallet(w3, chain, proof_2x2):
    return Wallet(w3, chain["pool"], chain["token"], {"transfer_2x2": proof_2x2})


def test_deposit_transfer_withdraw(w3, chain, wallet):
    pool, token = chain["pool"], chain["token"]
    depositor, recipient, relayer = w3.eth.accounts[1], w3.eth.accounts[2], w3.eth.accounts[3]
    send(w3, token.functions.mint(depositor, 1000))
    send(w3, token.functions.approve(pool.address, 2**256 - 1), sender=depositor)

    # Deposit 50 into a note of Alice's.
    alice, bob = wallet.alice, wallet.bob
    note_a = Note(50, alice.address, 123456789, TOKEN_ID)
    outs = [note_a, Note(0, alice.address, 987654321, TOKEN_ID)]
    proof, ext_t = wallet.prove(alice, [], outs, 50, wallet.ext(depositor=depositor))
    receipt = wallet.submit(proof, ext_t, depositor)
    print(f"\ndeposit transact gasUsed {receipt.gasUsed}")
    idx = wallet.record(proof)
    assert pool.functions.getLastRoot().call() == wallet.tree.root
    assert token.functions.balanceOf(pool.address).call() == 50
    assert token.functions.balanceOf(depositor).call() == 950
    events = pool.events.NewCommitment().process_receipt(receipt, errors=pytest.importorskip("web3.logs").DISCARD)
    assert [e.args.commitment for e in events] == [n.commitment for n in outs]
    assert [e.args.index for e in events] == idx
    assert [e.args.encryptedOutput for e in events] == [b"ciphertext 0", b"ciphertext 1"]

    # Shielded transfer: Alice pays Bob 30, keeps 20 (public amount 0), sent by anyone.
    note_b = Note(30, bob.address, 555, TOKEN_ID)
    outs2 = [note_b, Note(20, alice.address, 666, TOKEN_ID)]
    proof, ext_t = wallet.prove(alice, [InputNote(note_a, wallet.tree.path(idx[0]))], outs2, 0, wallet.ext())
    receipt = wallet.submit(proof, ext_t, w3.eth.accounts[4])
    print(f"transfer transact gasUsed {receipt.gasUsed}")
    idx2 = wallet.record(proof)
    assert token.functions.balanceOf(pool.address).call() == 50

    # Withdrawal by Bob: 25 to recipient, fee 2 to the relayer, change 3.
    outs3 = [Note(3, bob.address, 777, TOKEN_ID), Note(0, bob.address, 888, TOKEN_ID)]
    ext = wallet.ext(recipient=recipient, relayer=relayer, fee=2)
    proof, ext_t = wallet.prove(bob, [InputNote(note_b, wallet.tree.path(idx2[0]))], outs3, -25, ext)

    # Another recipient, relayer, fee or ciphertext with the same proof: BadExtDataHash (item 22).
    other = w3.eth.accounts[5]
    for bad in [
        (other, ext_t[1], 2, ext_t[3], ZERO),
        (ext_t[0], other, 2, ext_t[3], ZERO),
        (ext_t[0], ext_t[1], 3, ext_t[3], ZERO),
        (ext_t[0], ext_t[1], 2, [b"ciphertext X", b"ciphertext 1"], ZERO),
        (ext_t[0], ext_t[1], 2, ext_t[3], other),
    ]:
        expect_revert(pool.functions.transact(proof, bad), "BadExtDataHash(uint256,uint256)", **{"from": relayer})
    # Unknown root and zero root (item 24).
    for root in (12345, 0):
        bad_proof = (*proof[:3], root, *proof[4:])
        expect_revert(pool.functions.transact(bad_proof, ext_t), "UnknownRoot(uint256)", **{"from": relayer})
    # A nullifier + r is not a field element: the verifier says no (item 20).
    nulls = list(proof[6])
    bad_proof = (*proof[:6], [nulls[0] + R, nulls[1]], proof[7])
    expect_revert(pool.functions.transact(bad_proof, ext_t), "InvalidProof()", **{"from": relayer})
    # publicAmount outside [-2^120, 2^120) (item 23): caught before the verifier.
    for pa in (1 << 120, R - (1 << 120) - 1, R, 2**256 - 1):
        bad_proof = (*proof[:4], pa, *proof[5:])
        expect_revert(pool.functions.transact(bad_proof, ext_t), "AmountOutOfRange(uint256)", **{"from": relayer})
    # A mutated commitment: invalid proof.
    bad_proof = (*proof[:7], [proof[7][0] ^ 1, proof[7][1]])
    expect_revert(pool.functions.transact(bad_proof, ext_t), "InvalidProof()", **{"from": relayer})

    # Non-canonical proof coordinates (item 21): y + q, the snarkjs alias y + (2^256 mod q) + q, B and C + q.
    a, b, c = proof[0], proof[1], proof[2]
    for bad_a, bad_b, bad_c in [
        ([a[0], a[1] + Q], b, c),
        ([a[0], a[1] + TWO_256_MOD_Q + Q], b, c),
        ([a[0] + Q, a[1]], b, c),
        (a, [[b[0][0] + Q, b[0][1]], b[1]], c),
        (a, [b[0], [b[1][0], b[1][1] + Q]], c),
        (a, b, [c[0], c[1] + Q]),
    ]:
        bad_proof = (bad_a, bad_b, bad_c, *proof[3:])
        expect_revert(pool.functions.transact(bad_proof, ext_t), "InvalidProof()", **{"from": relayer})

    receipt = wallet.submit(proof, ext_t, relayer)
    print(f"withdraw transact gasUsed {receipt.gasUsed}")
    wallet.record(proof)
    assert token.functions.balanceOf(recipient).call() == 25
    assert token.functions.balanceOf(relayer).call() == 2
    assert token.functions.balanceOf(pool.address).call() == 23
    assert pool.functions.getLastRoot().call() == wallet.tree.root

    # Re-spending: the same transaction again reverts on the nullifier (item 20).
    expect_revert(pool.functions.transact(proof, ext_t), "NullifierSpent(uint256)", **{"from": relayer})


@anvil_only
def test_owner_limits_deposits_but_cannot_touch_funds(w3, chain, wallet):
    pool, token = chain["pool"], chain["token"]
    owner, depositor, stranger = w3.eth.accounts[0], w3.eth.accounts[6], w3.eth.accounts[7]
    send(w3, token.functions.mint(depositor, 10**7))
    send(w3, token.functions.approve(pool.address, 2**256 - 1), sender=depositor)
    expect_revert(pool.functions.setDepositsPaused(True), "NotOwner()", **{"from": stranger})
    expect_revert(pool.functions.setMaximumDepositAmount(1), "NotOwner()", **{"from": stranger})

    outs = [Note(10**6 + 1, wallet.alice.address, 42, TOKEN_ID)]
    proof, ext_t = wallet.prove(wallet.alice, [], outs, 10**6 + 1, wallet.ext(depositor=depositor))
    expect_revert(pool.functions.transact(proof, ext_t), "DepositTooLarge(uint256,uint256)", **{"from": depositor})

    outs = [Note(5, wallet.alice.address, 43, TOKEN_ID)]
    proof, ext_t = wallet.prove(wallet.alice, [], outs, 5, wallet.ext(depositor=depositor))
    send(w3, pool.functions.setDepositsPaused(True), sender=owner)
    expect_revert(pool.functions.transact(proof, ext_t), "DepositsArePaused()", **{"from": depositor})
    send(w3, pool.functions.setDepositsPaused(False), sender=owner)
    send(w3, pool.functions.transact(proof, ext_t), sender=depositor)
    wallet.record(proof)
    assert pool.functions.getLastRoot().call() == wallet.tree.root

    # The ABI has no function that moves tokens except transact.
    names = {
        f["name"]
        for f in pool.abi
        if f.get("type") == "function" and f.get("stateMutability") != "view" and f.get("stateMutability") != "pure"
    }
    assert names == {"transact", "transactBatch", "setMaximumDepositAmount", "setDepositsPaused", "transferOwnership"}


def _yes_verifier(levels: int = SMALL_LEVELS) -> dict:
    """A verifier that accepts every proof, marked for a tree of `levels` levels."""
    src = f"""
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;
contract YesVerifier {{
    uint256 public constant LEVELS = {levels};
    uint256 public constant N_PUBLIC = 8;
    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[8] calldata)
        external pure returns (bool) {{ return true; }}
}}
"""
    return compile_source(src)["YesVerifier"]


def test_yes_verifier_cannot_pay_out_more_than_held(w3, chain):
    """Item 25: even if every proof verified, withdrawals are bounded by the pool's own balance."""
    token = chain["token"]
    yes = deploy(w3, _yes_verifier())
    pool = deploy(
        w3, _artifact("ShieldedPool"), SMALL_LEVELS, chain["hasher"].address, token.address, yes.address, ZERO, 10**6
    )
    send(w3, token.functions.mint(pool.address, 10))
    recipient = w3.eth.accounts[8]
    ext = ExtData(
        recipient=recipient,
        relayer=ZERO,
        fee=0,
        encrypted_outputs=(b"x", b"y"),
        chain_id=w3.eth.chain_id,
        pool=pool.address,
    )
    ext_t = ext.as_tuple()
    root = pool.functions.getLastRoot().call()

    def forged(amount: int, nullifiers: list[int]):
        return ([0, 0], [[0, 0], [0, 0]], [0, 0], root, (R - amount) % R, ext.hash(), nullifiers, [1, 2])

    expect_revert(pool.functions.transact(forged(11, [1, 2]), ext_t), "TokenCallFailed()")
    send(w3, pool.functions.transact(forged(10, [3, 4]), ext_t))
    assert token.functions.balanceOf(recipient).call() == 10
    assert token.functions.balanceOf(pool.address).call() == 0
    expect_revert(pool.functions.transact(forged(1, [5, 6]), ext_t), "TokenCallFailed()")
    # A repeated nullifier inside one transfer is refused even by a yes-verifier pool.
    expect_revert(pool.functions.transact(forged(0, [7, 7]), ext_t), "NullifierSpent(uint256)")


def test_full_tree_never_blocks_a_withdrawal(w3, chain):
    """SECURITY 24 (issue 11, item 13) through the pool (a yes-verifier pool of depth 2, filled for
    real by transacts): after the tree fills, withdrawals against its last root still pay out, now
    and after later trees have grown; their leaves open tree 1 at global position 4; a nullifier
    spent in tree 0 stays spent in every later tree."""
    token = deploy(w3, _artifact("TestToken"))
    yes = deploy(w3, _yes_verifier(2))
    pool = deploy(w3, _artifact("ShieldedPool"), 2, chain["hasher"].address, token.address, yes.address, ZERO, 10**6)
    depositor, recipient = w3.eth.accounts[1], w3.eth.accounts[8]
    send(w3, token.functions.mint(depositor, 100))
    send(w3, token.functions.approve(pool.address, 100), sender=depositor)
    fresh = iter(range(5000, 6000, 2))

    def tx(public_amount: int, root: int, nullifiers: list[int] | None = None):
        ext = ExtData(
            recipient=recipient if public_amount < 0 else ZERO,
            relayer=ZERO,
            fee=0,
            encrypted_outputs=(b"x", b"y"),
            chain_id=w3.eth.chain_id,
            pool=pool.address,
            depositor=depositor if public_amount > 0 else ZERO,
        )
        n = next(fresh)
        nullifiers = nullifiers or [n, n + 1]
        proof = ([0, 0], [[0, 0], [0, 0]], [0, 0], root, public_amount % R, ext.hash(), nullifiers, [n, n + 1])
        return pool.functions.transact(proof, ext.as_tuple())

    def root() -> int:
        return pool.functions.getLastRoot().call()

    send(w3, tx(60, root()), sender=depositor)
    send(w3, tx(40, root()), sender=depositor)  # leaves 2, 3: tree 0 is full
    final = root()
    assert (pool.functions.currentTree().call(), pool.functions.nextIndex().call()) == (0, 4)
    receipt = send(w3, tx(-10, final, [1, 2]))  # a withdrawal against the full tree's root
    events = pool.events.NewCommitment().process_receipt(receipt, errors=pytest.importorskip("web3.logs").DISCARD)
    assert [e.args.index for e in events] == [4, 5]
    assert pool.functions.currentTree().call() == 1
    for _ in range(3):  # trees 1 and 2 fill up; tree 0's last root is still known
        send(w3, tx(-1, root()))
    assert (pool.functions.currentTree().call(), pool.functions.nextIndex().call()) == (2, 4)
    send(w3, tx(-10, final))
    assert token.functions.balanceOf(recipient).call() == 23
    expect_revert(tx(-1, root(), [2, 3]), "NullifierSpent(uint256)")  # spent while tree 0 was current


def _ext_hash(recipient: str, relayer: str, fee: int, outputs: list[bytes], chain_id: int, pool: str) -> int:
    """extDataHash straight from eth-abi + Keccak, for fees ExtData itself refuses to build (>= 2^120)."""
    encoded = abi_encode(list(EXT_DATA_TYPES), [recipient, relayer, fee, outputs, ZERO, chain_id, pool])
    return int.from_bytes(keccak256(encoded), "big") % R


def test_yes_verifier_fee_bounds(w3, chain):
    """Items 23 and 25 for the relayer fee: a fee >= 2^120 reverts before any transfer; a fee beyond
    what the pool holds, alone or with a withdrawal, reverts and moves nothing; the relayer gets
    exactly the fee and the recipient exactly the withdrawal."""
    token = deploy(w3, _artifact("TestToken"))
    yes = deploy(w3, _yes_verifier())
    pool = deploy(
        w3, _artifact("ShieldedPool"), SMALL_LEVELS, chain["hasher"].address, token.address, yes.address, ZERO, 10**6
    )
    send(w3, token.functions.mint(pool.address, 10))
    recipient, relayer = w3.eth.accounts[8], w3.eth.accounts[9]
    root = pool.functions.getLastRoot().call()
    fresh = iter(range(100, 200, 2))
    chain_id = w3.eth.chain_id

    def tx(withdrawal: int, fee: int, relayer: str = relayer):
        outputs = [b"x", b"y"]
        h = _ext_hash(recipient, relayer, fee, outputs, chain_id, pool.address)
        n = next(fresh)
        proof = ([0, 0], [[0, 0], [0, 0]], [0, 0], root, (R - withdrawal) % R, h, [n, n + 1], [1, 2])
        return pool.functions.transact(proof, (recipient, relayer, fee, outputs, ZERO))

    def balances() -> tuple[int, int, int]:
        return tuple(token.functions.balanceOf(a).call() for a in (pool.address, recipient, relayer))

    # The hash above is the contract's: a valid-range fee with it gets past BadExtDataHash.
    assert (
        _ext_hash(recipient, relayer, 3, [b"x", b"y"], chain_id, pool.address)
        == ExtData(recipient, relayer, 3, (b"x", b"y"), chain_id, pool.address).hash()
    )
    for fee in (MAX_AMOUNT, MAX_AMOUNT + 1, R - 1, 2**256 - 1):
        expect_revert(tx(0, fee), "FeeOutOfRange(uint256)")
    expect_revert(tx(0, MAX_AMOUNT - 1), "TokenCallFailed()")  # in range, far beyond the pool
    expect_revert(tx(0, 11), "TokenCallFailed()")  # the fee alone exceeds the pool's 10
    expect_revert(tx(6, 5), "TokenCallFailed()")  # each fits, together they do not
    expect_revert(tx(0, 1, relayer=ZERO), "ZeroAddress(string)")
    assert balances() == (10, 0, 0)
    send(w3, tx(6, 4))
    assert balances() == (0, 6, 4)
    expect_revert(tx(0, 1), "TokenCallFailed()")
    expect_revert(tx(1, 0), "TokenCallFailed()")


def test_relayer_gets_exactly_the_fee(w3, chain, wallet):
    """Real proofs: a fee larger than the withdrawal, a fee with no withdrawal at all, a fee with a
    deposit; every account moves by exactly its share and the pool by the sum."""
    pool, token = chain["pool"], chain["token"]
    depositor, recipient, relayer = w3.eth.accounts[1], w3.eth.accounts[4], w3.eth.accounts[5]
    send(w3, token.functions.mint(depositor, 100))
    send(w3, token.functions.approve(pool.address, 2**256 - 1), sender=depositor)
    alice, bob = wallet.alice, wallet.bob

    def balances() -> list[int]:
        return [token.functions.balanceOf(a).call() for a in (pool.address, depositor, recipient, relayer)]

    def run(spender, spent, outs, public_amount, fee, sender):
        ext = wallet.ext(recipient=recipient, relayer=relayer, fee=fee, depositor=sender if public_amount > 0 else ZERO)
        proof, ext_t = wallet.prove(spender, spent, outs, public_amount, ext)
        before = balances()
        wallet.submit(proof, ext_t, sender)
        idx = wallet.record(proof)
        assert pool.functions.getLastRoot().call() == wallet.tree.root
        return [b - a for a, b in zip(before, balances(), strict=True)], idx

    # A deposit of 40 paying a fee of 3: the depositor pays 40, the note holds 37.
    note = Note(37, alice.address, 2024, TOKEN_ID)
    delta, idx = run(alice, [], [note], 40, 3, depositor)
    assert delta == [37, -40, 0, 3]
    # Withdraw 2, fee 8 (larger than the withdrawal), change 27.
    change = Note(27, alice.address, 2025, TOKEN_ID)
    delta, idx = run(alice, [InputNote(note, wallet.tree.path(idx[0]))], [change], -2, 8, relayer)
    assert delta == [-10, 0, 2, 8]
    # No withdrawal, all value but 1 to the relayer: fee 26, a 1 note to Bob.
    spent = [InputNote(change, wallet.tree.path(idx[0]))]
    delta, _ = run(alice, spent, [Note(1, bob.address, 2026, TOKEN_ID)], 0, 26, relayer)
    assert delta == [-26, 0, 0, 26]


def test_relayer_never_pays_for_a_deposit(w3, chain, wallet):
    """SECURITY 22 (issue 11, item 12), the attack as reproduced: a relayer with an allowance left on
    the pool (a deposit of its own that failed after approving) is handed an attacker's deposit proof.
    On the old pool the relayer's tokens paid the attacker's note. Now the proof names its depositor
    and only the depositor may send it: a proof naming nobody, or the attacker, reverts when the
    relayer sends it; one naming the relayer is refused by `wallet.chain.Relayer` before it is sent;
    the attacker's own account can still deposit. The relayer's balance and allowance never move."""
    from wallet.chain import PoolClient, Relayer

    pool, token = chain["pool"], chain["token"]
    attacker, relayer_eth = w3.eth.accounts[8], w3.eth.accounts[9]
    send(w3, token.functions.approve(pool.address, 10_000), sender=relayer_eth)  # the leftover allowance
    send(w3, token.functions.mint(relayer_eth, 10_000))
    relayer_balance = token.functions.balanceOf(relayer_eth).call()
    send(w3, token.functions.mint(attacker, 5_000))
    send(w3, token.functions.approve(pool.address, 5_000), sender=attacker)
    attacker_before = token.functions.balanceOf(attacker).call()
    relayer = Relayer(PoolClient(w3, pool.address), relayer_eth)

    def relayer_state() -> tuple[int, int]:
        return (
            token.functions.balanceOf(relayer_eth).call(),
            token.functions.allowance(relayer_eth, pool.address).call(),
        )

    alice = wallet.alice
    for depositor in (ZERO, attacker):
        note = Note(5_000, alice.address, 7000 + len(depositor), TOKEN_ID)
        proof, ext_t = wallet.prove(alice, [], [note], 5_000, wallet.ext(depositor=depositor))
        expect_revert(
            pool.functions.transact(proof, ext_t), "DepositorMismatch(address,address)", **{"from": relayer_eth}
        )
        with pytest.raises(ValueError, match="refusing a deposit"):
            relayer.submit(proof, ext_t)
    note = Note(5_000, alice.address, 7100, TOKEN_ID)
    proof, ext_t = wallet.prove(alice, [], [note], 5_000, wallet.ext(relayer=relayer_eth, depositor=relayer_eth))
    with pytest.raises(ValueError, match="refusing a deposit"):
        relayer.submit(proof, ext_t)
    # A withdrawal or transfer may not name a depositor (it would be a free-floating field).
    empty = [Note(0, alice.address, 7200, TOKEN_ID)]
    proof_w, ext_w = wallet.prove(alice, [], empty, 0, wallet.ext(depositor=attacker))
    expect_revert(pool.functions.transact(proof_w, ext_w), "DepositorMismatch(address,address)", **{"from": attacker})
    assert relayer_state() == (relayer_balance, 10_000)

    # The attacker's deposit from the attacker's own account: paid by the attacker.
    note = Note(5_000, alice.address, 7300, TOKEN_ID)
    proof, ext_t = wallet.prove(alice, [], [note], 5_000, wallet.ext(depositor=attacker))
    wallet.submit(proof, ext_t, attacker)
    wallet.record(proof)
    assert token.functions.balanceOf(attacker).call() == attacker_before - 5_000
    assert relayer_state() == (relayer_balance, 10_000)
    assert pool.functions.getLastRoot().call() == wallet.tree.root


ODD_TOKEN = """
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;
/// mode 0 normal, 1 returns false, 2 returns nothing, 3 burns 1 on every transfer, 4 re-enters `target`.
contract OddToken {
    mapping(address => uint256) public balanceOf;
    uint8 public mode;
    address public target;
    bytes public reentry;
    function setMode(uint8 m) external { mode = m; }
    function setReentry(address t, bytes calldata data) external { target = t; reentry = data; }
    function mint(address to, uint256 amount) external { balanceOf[to] += amount; }
    function _move(address from, address to, uint256 amount) internal {
        require(balanceOf[from] >= amount, "balance");
        balanceOf[from] -= amount;
        balanceOf[to] += mode == 3 ? amount - 1 : amount;
        if (mode == 4) {
            (bool ok, bytes memory ret) = target.call(reentry);
            if (!ok) { assembly { revert(add(ret, 32), mload(ret)) } }
        }
    }
    function transfer(address to, uint256 amount) external returns (bool) {
        _move(msg.sender, to, amount);
        if (mode == 1) return false;
        if (mode == 2) assembly { return(0, 0) }
        return true;
    }
    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        _move(from, to, amount);
        if (mode == 1) return false;
        if (mode == 2) assembly { return(0, 0) }
        return true;
    }
}
"""


def test_odd_and_reentrant_tokens_never_double_credit(w3, chain):
    """Item 26 with a yes-verifier pool: false returns and fee-on-transfer deposits revert, no-return
    tokens work, and a token re-entering transact is stopped by the guard (the whole call reverts)."""
    yes = deploy(w3, _yes_verifier())
    token = deploy(w3, compile_source(ODD_TOKEN)["OddToken"])
    pool = deploy(
        w3, _artifact("ShieldedPool"), SMALL_LEVELS, chain["hasher"].address, token.address, yes.address, ZERO, 10**6
    )
    depositor, recipient = w3.eth.accounts[0], w3.eth.accounts[9]
    send(w3, token.functions.mint(depositor, 100))
    root = pool.functions.getLastRoot().call()
    fresh = iter(range(1000, 2000, 2))

    def tx(public_amount: int):
        ext = ExtData(
            recipient=recipient,
            relayer=ZERO,
            fee=0,
            encrypted_outputs=(b"x", b"y"),
            chain_id=w3.eth.chain_id,
            pool=pool.address,
            depositor=depositor if public_amount > 0 else ZERO,
        )
        n = next(fresh)
        proof = ([0, 0], [[0, 0], [0, 0]], [0, 0], root, public_amount % R, ext.hash(), [n, n + 1], [1, 2])
        return pool.functions.transact(proof, ext.as_tuple())

    send(w3, token.functions.setMode(1))
    expect_revert(tx(10), "TokenCallFailed()")
    send(w3, token.functions.setMode(3))
    expect_revert(tx(10), "TokenCallFailed()")
    send(w3, token.functions.setMode(2))
    send(w3, tx(10))
    assert token.functions.balanceOf(pool.address).call() == 10
    send(w3, token.functions.setMode(4))
    send(w3, token.functions.setReentry(pool.address, tx(-5)._encode_transaction_data()))
    expect_revert(tx(-5))
    assert token.functions.balanceOf(pool.address).call() == 10
    assert token.functions.balanceOf(recipient).call() == 0
    send(w3, token.functions.setMode(0))
    send(w3, tx(-5))
    assert token.functions.balanceOf(recipient).call() == 5


@pytest.mark.slow
def test_16x2_through_the_pool(w3, chain, proof_2x2, proof_16x2):
    """A pool with both verifiers: notes deposited with 2x2 and 16x2 proofs are spent together in one
    real transfer_16x2 proof; mutated 16x2 proofs, and a 16x2 proof cut down to two nullifiers
    (handed to the 2x2 verifier) are refused; a spent 16x2 nullifier set cannot be replayed."""
    token = chain["token"]
    v16 = deploy(w3, _verifier_artifact(proof_16x2["vkey"]))
    pool = deploy(
        w3,
        _artifact("ShieldedPool"),
        SHAPE.levels,
        chain["hasher"].address,
        token.address,
        chain["verifier"].address,
        v16.address,
        10**6,
    )
    wallet = Wallet(w3, pool, token, {"transfer_2x2": proof_2x2, "transfer_16x2": proof_16x2})
    depositor, recipient, relayer = w3.eth.accounts[1], w3.eth.accounts[6], w3.eth.accounts[7]
    send(w3, token.functions.mint(depositor, 100))
    send(w3, token.functions.approve(pool.address, 2**256 - 1), sender=depositor)
    alice = wallet.alice

    n1 = Note(30, alice.address, 3001, TOKEN_ID)
    proof, ext_t = wallet.prove(alice, [], [n1], 30, wallet.ext(depositor=depositor))
    wallet.submit(proof, ext_t, depositor)
    i1 = wallet.record(proof)
    n2 = Note(12, alice.address, 3002, TOKEN_ID)
    proof, ext_t = wallet.prove(alice, [], [n2], 12, wallet.ext(depositor=depositor), circuit="transfer_16x2")
    assert len(proof[6]) == 16
    receipt = wallet.submit(proof, ext_t, depositor)
    print(f"\n16x2 deposit transact gasUsed {receipt.gasUsed}")
    i2 = wallet.record(proof)
    assert pool.functions.getLastRoot().call() == wallet.tree.root
    assert token.functions.balanceOf(pool.address).call() == 42

    ext = wallet.ext(recipient=recipient, relayer=relayer, fee=2)
    spent = [InputNote(n1, wallet.tree.path(i1[0])), InputNote(n2, wallet.tree.path(i2[0]))]
    proof, ext_t = wallet.prove(alice, spent, [Note(20, alice.address, 3003, TOKEN_ID)], -20, ext, "transfer_16x2")
    nulls = list(proof[6])
    for k, v in [(1, (nulls[1] + 1) % R), (9, (nulls[9] + 1) % R), (15, nulls[15] + R)]:
        bad = list(nulls)
        bad[k] = v
        expect_revert(
            pool.functions.transact((*proof[:6], bad, proof[7]), ext_t), "InvalidProof()", **{"from": relayer}
        )
    bad_pa = (*proof[:4], (proof[4] - 1) % R, *proof[5:])
    expect_revert(pool.functions.transact(bad_pa, ext_t), "InvalidProof()", **{"from": relayer})
    expect_revert(
        pool.functions.transact((*proof[:6], nulls[:2], proof[7]), ext_t), "InvalidProof()", **{"from": relayer}
    )
    expect_revert(
        pool.functions.transact((*proof[:6], nulls[:3], proof[7]), ext_t),
        "UnsupportedShape(uint256,uint256)",
        **{"from": relayer},
    )

    before = [token.functions.balanceOf(a).call() for a in (pool.address, recipient, relayer)]
    receipt = wallet.submit(proof, ext_t, relayer)
    print(f"16x2 withdraw transact gasUsed {receipt.gasUsed}")
    wallet.record(proof)
    after = [token.functions.balanceOf(a).call() for a in (pool.address, recipient, relayer)]
    assert [b - a for a, b in zip(before, after, strict=True)] == [-22, 20, 2]
    assert pool.functions.getLastRoot().call() == wallet.tree.root
    expect_revert(pool.functions.transact(proof, ext_t), "NullifierSpent(uint256)", **{"from": relayer})
