"""The wallet: sync with the pool, hold notes, select coins, build, prove, verify and submit transfers.

    w = Wallet(WalletKeys.from_seed(seed), PoolClient(w3, pool), NoteStore("alice.db"), LocalProver())
    w.sync(); w.deposit(100 * 10**18, depositor=eth_account)
    w.send(bob_address, 30 * 10**18, fee=10**17, relayer=relayer)
    w.withdraw(30 * 10**18, recipient=eth_address)

Each transfer: sync -> coin selection -> output notes sealed to their recipients -> ExtData ->
`build_transfer_inputs` (signed here with the spending key; the prover only ever sees the input
dict with nk and the signature) -> proof from the backend -> the public signals must be the ones
the wallet computed and the proof must verify under the wallet's own verifying key -> the root
must still be known to the pool and the nullifiers unspent, else resync and prove again ->
`transact` (directly or through a relayer) -> sync. A batching relayer (`service.relayer.BatchRelayer`,
same `address` and `submit` as `wallet.chain.Relayer`) settles the transfer in a `transactBatch` with
others; if the root expired while it waited, the wallet proves that transfer again.

Token id: the circuit's tokenId of every note is the pool token's address as an integer, so notes of
one pool cannot be confused with another token's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from transfer.constants import SHAPES, TransferShape
from transfer.extdata import ExtData
from transfer.inputs import InputNote, build_transfer_inputs, public_signals
from transfer.merkle import MerkleTree
from transfer.notes import Note, random_blinding

from .backends import ProofBackend
from .chain import ZERO_ADDRESS, PoolClient, Relayer, TxResult, proof_args
from .keys import Address, WalletKeys
from .notes import decrypt_note, encrypt_note
from .store import NoteStore, StoredNote

__all__ = [
    "Wallet",
    "TransferResult",
    "SyncResult",
    "WalletError",
    "InsufficientFunds",
    "StaleRootError",
    "load_verifying_keys",
    "VerifyingKeys",
]

log = logging.getLogger("hush.wallet")


class WalletError(RuntimeError):
    pass


class InsufficientFunds(WalletError):
    pass


class _LeafGap(WalletError):
    """The pool's next leaf index is not the local tree's size (a reorg or a missed event)."""


class StaleRootError(WalletError):
    """The pool kept rejecting the wallet's root after resyncs."""


@dataclass(frozen=True)
class SyncResult:
    from_block: int
    to_block: int
    new_leaves: int
    new_notes: int
    new_nullifiers: int
    rescanned: bool


@dataclass(frozen=True)
class TransferResult:
    kind: str
    amount: int
    fee: int
    tx: str
    block: int
    gas_used: int
    circuit: str
    proof_seconds: float
    """Latency of the (last) proof: witness + proving (+ network and queue with a farm)."""
    attempts: int
    """Proofs made: more than 1 when the root went stale and the transfer was re-proved."""
    proof_source: str


_VK_CACHE: dict[tuple[str, float], Any] = {}


class VerifyingKeys(Mapping[str, Any]):
    """Prepared verifying keys by circuit name: given ones, else the development zkeys in build/keys,
    read on first use and cached per process (preparing a key costs a second or more)."""

    def __init__(self, given: Mapping[str, Any] | None = None) -> None:
        self._given = dict(given or {})

    def _zkey(self, circuit: str):
        from hush.artifacts import circuit_files

        return circuit_files(circuit).zkey

    def __contains__(self, circuit: object) -> bool:
        return isinstance(circuit, str) and (circuit in self._given or self._zkey(circuit).is_file())

    def __getitem__(self, circuit: str) -> Any:
        if circuit in self._given:
            return self._given[circuit]
        path = self._zkey(circuit)
        if not path.is_file():
            raise KeyError(f"no verifying key for {circuit} (no {path}; run `hush setup circuit {circuit}`)")
        key = (str(path), path.stat().st_mtime)
        if key not in _VK_CACHE:
            from prover.formats.zkey import read_zkey
            from verifier.groth16 import prepare_verifying_key
            from verifier.keys import verifying_key_from_zkey

            _VK_CACHE[key] = prepare_verifying_key(verifying_key_from_zkey(read_zkey(path)))
        return _VK_CACHE[key]

    def __iter__(self):
        return iter([c for c in SHAPES if c in self])

    def __len__(self) -> int:
        return sum(1 for _ in self)


def load_verifying_keys(circuits: tuple[str, ...] = ("transfer_2x2", "transfer_16x2")) -> dict[str, Any]:
    """Prepared verifying keys of the development zkeys present in build/keys."""
    vks = VerifyingKeys()
    return {c: vks[c] for c in circuits if c in vks}


Submit = Callable[[tuple, tuple], TxResult]


class Wallet:
    def __init__(
        self,
        keys: WalletKeys,
        pool: PoolClient,
        store: NoteStore,
        backend: ProofBackend,
        *,
        start_block: int = 0,
        verifying_keys: Mapping[str, Any] | None = None,
        max_proofs: int = 3,
    ) -> None:
        self.keys = keys
        self.pool = pool
        self.store = store
        self.backend = backend
        self.start_block = start_block
        self.token_id = int(pool.token_address, 16)
        self.verifying_keys = VerifyingKeys(verifying_keys)
        if "transfer_2x2" not in self.verifying_keys:
            raise WalletError("no verifying key for transfer_2x2 (run `hush setup circuit transfer_2x2`)")
        self.max_proofs = max_proofs
        store.bind(owner=str(keys.owner), pool=pool.address, chain_id=str(pool.chain_id))
        self._load_trees()

    @property
    def address(self) -> Address:
        return self.keys.address

    # -- trees -----------------------------------------------------------------------------------
    # The pool starts a new tree when one is full; leaves are numbered globally, tree * 2^levels +
    # position. `self.tree` is the current tree (the one the pool inserts into); a full tree's notes
    # are spent with paths in that tree, against its last root, which the pool knows for ever.
    def _load_trees(self) -> None:
        """Rebuild the current tree from the store (the full ones are rebuilt when a note needs them)."""
        leaves = self.store.leaves()
        capacity = 1 << self.pool.levels
        self.tree_number = max(0, (len(leaves) - 1) // capacity)
        self.tree = MerkleTree(self.pool.levels, leaves[self.tree_number * capacity :])
        self._full_trees: dict[int, MerkleTree] = {}

    def _tree_of(self, number: int) -> MerkleTree:
        if number == self.tree_number:
            return self.tree
        if number not in self._full_trees:
            capacity = 1 << self.pool.levels
            leaves = self.store.leaves(number * capacity, (number + 1) * capacity)
            if len(leaves) != capacity:
                raise WalletError(f"tree {number} has {len(leaves)} leaves in the store, a full tree has {capacity}")
            self._full_trees[number] = MerkleTree(self.pool.levels, leaves)
        return self._full_trees[number]

    def tree_position(self, leaf_index: int) -> tuple[int, int]:
        """(tree number, position inside that tree) of a global leaf index."""
        return divmod(leaf_index, 1 << self.pool.levels)

    # -- sync ------------------------------------------------------------------------------------
    def sync(self) -> SyncResult:
        """Scan new pool events; when the tree disagrees with the chain (a reorg), rescan everything."""
        try:
            res = self._scan()
            consistent = self.tree.root == self.pool.last_root(res.to_block)
        except _LeafGap as e:
            log.warning("%s", e)
            consistent = False
        if not consistent:
            log.warning("local tree disagrees with the pool: rescanning from block %d", self.start_block)
            self.store.reset_chain_data()
            self._load_trees()
            res = self._scan()
            if self.tree.root != self.pool.last_root(res.to_block):
                raise WalletError(f"after a full rescan the tree still disagrees with the pool at block {res.to_block}")
            res = SyncResult(res.from_block, res.to_block, res.new_leaves, res.new_notes, res.new_nullifiers, True)
        return res

    def _scan(self) -> SyncResult:
        to_block = self.pool.block_number()
        from_block = max(self.start_block, self.store.synced_block + 1)
        leaves: list = []
        notes: list = []
        nullifiers: list = []
        try:
            self._scan_events(from_block, to_block, leaves, notes, nullifiers)
        except BaseException:
            self._load_trees()  # drop what was not stored
            raise
        self.store.apply(leaves, notes, nullifiers, max(to_block, self.store.synced_block))
        return SyncResult(from_block, to_block, len(leaves), len(notes), len(nullifiers), False)

    def _scan_events(self, from_block: int, to_block: int, leaves: list, notes: list, nullifiers: list) -> None:
        secret, owner = self.keys.encryption_secret, self.keys.owner
        capacity = 1 << self.pool.levels
        if from_block <= to_block:
            for ev in self.pool.events(from_block, to_block):
                if ev.kind == "nullifier":
                    nullifiers.append((ev.value, ev.block, ev.tx))
                    continue
                expected = self.tree_number * capacity + len(self.tree)
                if len(self.tree) == capacity and ev.index == expected:  # the pool opened the next tree
                    self._full_trees[self.tree_number] = self.tree
                    self.tree_number += 1
                    self.tree = MerkleTree(self.pool.levels)
                if ev.index != expected:
                    raise _LeafGap(f"pool event puts leaf {ev.index} where the local tree expects {expected}")
                position = self.tree.insert(ev.value)
                leaves.append((ev.index, ev.value, ev.block))
                note = decrypt_note(ev.ciphertext, secret, owner, ev.value)
                if note is not None and note.amount > 0 and note.token_id == self.token_id:
                    # The nullifier takes the position inside the note's tree (what the circuit sees).
                    notes.append((note, ev.index, note.nullifier(self.keys.nk, position), ev.block, ev.tx))

    # -- notes -----------------------------------------------------------------------------------
    def notes(self, *, include_spent: bool = False) -> list[StoredNote]:
        return [
            n
            for n in self.store.notes(self.keys.owner, include_spent=include_spent)
            if n.note.token_id == self.token_id
        ]

    def balance(self) -> int:
        return sum(n.note.amount for n in self.notes())

    def _max_inputs(self) -> int:
        if (
            "transfer_16x2" in self.verifying_keys
            and self.backend.has_circuit("transfer_16x2")
            and int(self.pool.verifier_16x2, 16) != 0
        ):
            return SHAPES["transfer_16x2"].n_ins
        return SHAPES["transfer_2x2"].n_ins

    def select_notes(self, target: int) -> list[StoredNote]:
        """Coin selection: the smallest single note that covers `target`, else the best pair, else
        largest first (up to 16 inputs when the 16x2 circuit is available). One transfer proves
        membership under one root, so its notes come from one tree: the oldest tree that can pay."""
        if target <= 0:
            return []
        notes = self.notes()
        total = sum(n.note.amount for n in notes)
        if total < target:
            raise InsufficientFunds(f"balance {total} does not cover {target}")
        by_tree: dict[int, list[StoredNote]] = {}
        for n in notes:
            by_tree.setdefault(self.tree_position(n.leaf_index)[0], []).append(n)
        failures = []
        for number in sorted(by_tree):
            try:
                return self._select_in(by_tree[number], target)
            except InsufficientFunds as e:
                failures.append(e)
        if len(by_tree) == 1:
            raise failures[0]
        raise InsufficientFunds(
            f"balance {total} covers {target}, but no one tree's notes do (a transfer spends notes of one "
            f"tree; the pool has started a new tree): {'; '.join(str(e) for e in failures)}"
        )

    def _select_in(self, notes: list[StoredNote], target: int) -> list[StoredNote]:
        notes = sorted(notes, key=lambda n: n.note.amount)
        total = sum(n.note.amount for n in notes)
        if total < target:
            raise InsufficientFunds(f"balance {total} does not cover {target}")
        single = [n for n in notes if n.note.amount >= target]
        if single:
            return [single[0]]
        if len(notes) >= 2 and notes[-1].note.amount + notes[-2].note.amount >= target:
            big = notes[-1]
            for n in notes[:-1]:  # the smallest partner that completes the largest note
                if n.note.amount + big.note.amount >= target:
                    return [big, n]
        chosen, acc = [], 0
        for n in reversed(notes):
            chosen.append(n)
            acc += n.note.amount
            if acc >= target:
                break
        limit = self._max_inputs()
        if len(chosen) > limit:
            raise InsufficientFunds(
                f"{target} needs {len(chosen)} notes but at most {limit} can be spent in one transfer "
                "(the 16x2 circuit is unavailable or too small); consolidate notes first"
            )
        return chosen

    @staticmethod
    def _circuit(n_inputs: int) -> tuple[str, TransferShape]:
        name = "transfer_2x2" if n_inputs <= 2 else "transfer_16x2"
        return name, SHAPES[name]

    # -- transfers -------------------------------------------------------------------------------
    def _transfer(
        self,
        kind: str,
        *,
        spend: int,
        outputs: list[tuple[int, Address]],
        public_amount: int,
        recipient: str,
        relayer: str,
        fee: int,
        submit: Submit,
        counterparty: str,
        depositor: str = ZERO_ADDRESS,
    ) -> TransferResult:
        """Prove and submit one transfer spending notes worth >= `spend`; `outputs` are (amount, to),
        the change goes back to this wallet."""
        from verifier.groth16 import verify

        for attempt in range(1, self.max_proofs + 1):
            self.sync()
            chosen = self.select_notes(spend)
            change = sum(n.note.amount for n in chosen) + public_amount - sum(a for a, _ in outputs) - fee
            if change < 0:
                raise WalletError(f"selected notes leave a negative change {change}")
            outs = [(Note(a, to.owner, random_blinding(), self.token_id), to.encryption_key) for a, to in outputs]
            me = bytes(self.keys.encryption_public)
            outs.append((Note(change, self.keys.owner, random_blinding(), self.token_id), me))
            while len(outs) < 2:
                outs.append((Note(0, self.keys.owner, random_blinding(), self.token_id), me))
            circuit, shape = self._circuit(len(chosen))
            ext = ExtData(
                recipient=recipient,
                relayer=relayer,
                fee=fee,
                encrypted_outputs=tuple(encrypt_note(n, k) for n, k in outs),
                chain_id=self.pool.chain_id,
                pool=self.pool.address,
                depositor=depositor,
            )
            tree = self._tree_of(self.tree_position(chosen[0].leaf_index)[0] if chosen else self.tree_number)
            root = tree.root
            inputs = build_transfer_inputs(
                shape=shape,
                root=root,
                inputs=[InputNote(n.note, tree.path(self.tree_position(n.leaf_index)[1])) for n in chosen],
                outputs=[n for n, _ in outs],
                public_amount=public_amount,
                ext_data=ext,
                authorizing_key=self.keys.keys.proof_authorizing_key(),
                signer=self.keys.keys.spending_key.sign,
            )
            expected = public_signals(inputs, shape)
            out = self.backend.prove(circuit, inputs)
            if out.public_signals != expected:
                raise WalletError(f"the {out.source} prover returned public signals for another statement")
            verify(self.verifying_keys[circuit], out.public_signals, out.proof)  # raises VerificationError
            if not self.pool.is_known_root(root):
                log.warning("root %d is no longer known to the pool (attempt %d): resync, re-prove", root, attempt)
                continue
            spent = [nf for nf in expected[4 : 4 + shape.n_ins] if self.pool.is_spent(nf)]
            if spent:
                log.warning("a selected note was spent meanwhile (attempt %d): resyncing", attempt)
                continue
            try:
                tx = submit(proof_args(out.proof, out.public_signals, shape.n_ins), ext.as_tuple())
            except Exception as e:  # a batching relayer (service.relayer) reports a root that expired while it waited
                if not getattr(e, "stale_root", False):
                    raise
                log.warning("the relayer found root %d stale (attempt %d): resync, re-prove", root, attempt)
                continue
            amount = abs(public_amount) if kind != "send" else outputs[0][0]
            self.store.add_action(kind, amount, fee, counterparty, tx.tx, tx.block, tx.gas_used, out.seconds)
            self.sync()
            return TransferResult(
                kind, amount, fee, tx.tx, tx.block, tx.gas_used, circuit, out.seconds, attempt, out.source
            )
        raise StaleRootError(f"the pool rejected the wallet's root {self.max_proofs} times in a row")

    def deposit(self, amount: int, depositor: str, *, approve: bool = True) -> TransferResult:
        """Move `amount` tokens from the Ethereum account `depositor` (which sends the transaction and is
        bound in the proof's external data) into a new note of this wallet.

        With `approve`, the pool's allowance is set to exactly `amount` once the proof is made and
        checked, right before the transaction, and set back to 0 if the transaction fails: no
        allowance is ever left behind for someone else's deposit proof to draw on."""
        if amount <= 0:
            raise ValueError(f"deposit amount must be positive, got {amount}")
        from web3 import Web3

        depositor = Web3.to_checksum_address(depositor)

        def submit(proof: tuple, ext: tuple) -> TxResult:
            if not approve:
                return self.pool.transact(proof, ext, depositor)
            self.pool.approve(depositor, amount)
            try:
                return self.pool.transact(proof, ext, depositor)
            except BaseException:
                try:
                    self.pool.approve(depositor, 0)
                except Exception as e:  # the original failure matters more; say the allowance may remain
                    log.error("could not clear the pool's allowance of %s after a failed deposit: %s", depositor, e)
                raise

        # A deposit spends nothing: the inputs are dummies, the output is amount to ourselves.
        return self._transfer(
            "deposit", spend=0, outputs=[], public_amount=amount, recipient=ZERO_ADDRESS, relayer=ZERO_ADDRESS,
            fee=0, submit=submit, counterparty=depositor, depositor=depositor,
        )

    def _submitter(self, relayer: Relayer | None, sender: str | None, fee: int) -> tuple[str, Submit]:
        if relayer is not None:
            return relayer.address, relayer.submit
        if sender is None:
            raise ValueError("give a relayer, or an Ethereum account to send the transaction from")
        if fee:
            raise ValueError("a fee needs a relayer to receive it")

        def submit(proof: tuple, ext: tuple) -> TxResult:
            return self.pool.transact(proof, ext, sender)

        return ZERO_ADDRESS, submit

    def send(
        self,
        to: Address | str,
        amount: int,
        *,
        fee: int = 0,
        relayer: Relayer | None = None,
        sender: str | None = None,
    ) -> TransferResult:
        """Pay `amount` privately to a Hush address; `fee` goes to the relayer that submits it."""
        to = to if isinstance(to, Address) else Address.parse(to)
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {amount}")
        relayer_address, submit = self._submitter(relayer, sender, fee)
        return self._transfer(
            "send", spend=amount + fee, outputs=[(amount, to)], public_amount=0, recipient=ZERO_ADDRESS,
            relayer=relayer_address, fee=fee, submit=submit, counterparty=to.encode(),
        )

    def withdraw(
        self,
        amount: int,
        recipient: str,
        *,
        fee: int = 0,
        relayer: Relayer | None = None,
        sender: str | None = None,
    ) -> TransferResult:
        """Withdraw `amount` to the public Ethereum address `recipient` (plus `fee` to the relayer)."""
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {amount}")
        relayer_address, submit = self._submitter(relayer, sender, fee)
        from web3 import Web3

        recipient = Web3.to_checksum_address(recipient)
        return self._transfer(
            "withdraw", spend=amount + fee, outputs=[], public_amount=-amount, recipient=recipient,
            relayer=relayer_address, fee=fee, submit=submit, counterparty=recipient,
        )
