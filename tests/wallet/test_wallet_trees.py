"""The wallet across the pool's trees, on anvil: a depth-2 pool (4 leaves a tree) filled for real by
transacts through a verifier that accepts every proof, so trees fill in a few transactions.

SECURITY 24 (issue 11, item 13): when a tree is full the pool opens the next one and numbers leaves
globally (tree * 2^levels + position); the wallet follows it, computes each note's nullifier from its
position inside its tree (what the circuit hashes), rebuilds a full tree's paths against that tree's
last root (which the pool keeps known for ever), and rebuilds the same state after a restart.
"""

from __future__ import annotations

import hashlib

import pytest

from contracts.build import compile_source
from transfer.constants import R
from transfer.extdata import ExtData
from transfer.merkle import root_from_path
from transfer.notes import Note
from wallet.backends import LocalProver
from wallet.chain import PoolClient, artifact, start_anvil, stop_process
from wallet.demo import free_port
from wallet.keys import WalletKeys
from wallet.notes import encrypt_note
from wallet.store import NoteStore
from wallet.wallet import Wallet

pytestmark = [pytest.mark.interop]

LEVELS = 2
ZERO = "0x" + "00" * 20
YES_VERIFIER = f"""
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;
contract YesVerifier {{
    uint256 public constant LEVELS = {LEVELS};
    uint256 public constant N_PUBLIC = 8;
    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[8] calldata)
        external pure returns (bool) {{ return true; }}
}}
"""


@pytest.fixture(scope="module")
def w3():
    try:
        proc, client = start_anvil(free_port())
    except FileNotFoundError as e:
        pytest.skip(str(e))
    yield client
    stop_process(proc)


def _deploy(w3, art: dict, *args) -> str:
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"from": w3.eth.accounts[0]}))
    assert receipt.status == 1
    return receipt.contractAddress


def test_wallet_follows_the_pool_into_new_trees(w3, tmp_path):
    deployer, depositor, recipient = w3.eth.accounts[0], w3.eth.accounts[1], w3.eth.accounts[2]
    hasher = _deploy(w3, artifact("PoseidonT3"))
    token = _deploy(w3, artifact("TestToken"))
    yes = _deploy(w3, compile_source(YES_VERIFIER)["YesVerifier"])
    pool_address = _deploy(w3, artifact("ShieldedPool"), LEVELS, hasher, token, yes, ZERO, 10**6)
    start = w3.eth.block_number
    pool = PoolClient(w3, pool_address)
    pool.send(pool.token.functions.mint(depositor, 1000), deployer)
    pool.send(pool.token.functions.approve(pool.address, 1000), depositor)
    keys = WalletKeys.from_seed(hashlib.sha256(b"wallet across trees").digest())
    me = bytes(keys.encryption_public)
    token_id = int(pool.token_address, 16)

    def transact(public_amount: int, notes: list[Note], nullifiers: list[int]) -> None:
        ext = ExtData(
            recipient=recipient if public_amount < 0 else ZERO,
            relayer=ZERO,
            fee=0,
            encrypted_outputs=tuple(encrypt_note(n, me) for n in notes),
            chain_id=pool.chain_id,
            pool=pool.address,
            depositor=depositor if public_amount > 0 else ZERO,
        )
        proof = (
            [0, 0], [[0, 0], [0, 0]], [0, 0], pool.last_root(), public_amount % R, ext.hash(), nullifiers,
            [n.commitment for n in notes],
        )
        pool.transact(proof, ext.as_tuple(), depositor if public_amount > 0 else recipient)

    deposits = [Note(10 + k, keys.owner, 100 + k, token_id) for k in range(3)]
    for k, note in enumerate(deposits):  # leaves 0-1, 2-3 (tree 0 full), 4-5 (tree 1)
        transact(note.amount, [note, Note(0, keys.owner, 200 + k, token_id)], [1000 + 2 * k, 1001 + 2 * k])
    final_root = w3.eth.contract(address=pool.address, abi=artifact("ShieldedPool")["abi"]).events.NewTree()
    new_tree = final_root.get_logs(from_block=start)
    assert [e.args.tree for e in new_tree] == [1]
    full_root = new_tree[0].args.previousFinalRoot

    store_path = tmp_path / "trees.db"
    wallet = Wallet(keys, pool, NoteStore(store_path), LocalProver(), start_block=start,
                    verifying_keys={"transfer_2x2": object()})
    wallet.sync()
    assert wallet.tree_number == 1 and wallet.tree.root == pool.last_root() and len(wallet.tree) == 2
    notes = wallet.notes()
    assert [n.leaf_index for n in notes] == [0, 2, 4] and wallet.balance() == 33
    for n in notes:
        number, position = wallet.tree_position(n.leaf_index)
        assert n.nullifier == n.note.nullifier(keys.nk, position)
        path = wallet._tree_of(number).path(position)
        root = root_from_path(n.note.commitment, path)
        assert root == (full_root if number == 0 else pool.last_root()) and pool.is_known_root(root)
    assert [n.leaf_index for n in wallet.select_notes(21)] == [2, 0]  # tree 0's two notes

    # Spending the note of tree 1 (its in-tree nullifier) is seen; a restart rebuilds the same state.
    transact(-12, [Note(0, keys.owner, 300, token_id), Note(0, keys.owner, 301, token_id)], [notes[2].nullifier, 7])
    wallet.sync()
    assert wallet.balance() == 21 and wallet.tree_number == 1 and len(wallet.tree) == 4  # full, still current
    again = Wallet(keys, pool, NoteStore(store_path), LocalProver(), start_block=start,
                   verifying_keys={"transfer_2x2": object()})
    assert again.tree_number == 1 and again.tree.root == pool.last_root() and again.balance() == 21
    assert again._tree_of(0).root == full_root
    transact(5, [Note(5, keys.owner, 400, token_id), Note(0, keys.owner, 401, token_id)], [9, 11])  # opens tree 2
    assert not again.sync().rescanned
    assert again.tree_number == 2 and again.balance() == 26 and [n.leaf_index for n in again.notes()] == [0, 2, 8]
