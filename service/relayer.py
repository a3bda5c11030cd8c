"""The batching relayer: settles many private transfers in one `transactBatch` (SECURITY 44-46).

A transfer is handed off as the pool's (Proof, ExtData) pair, or as the id of a farm job (the farm
made and self-verified the proof; the relayer reads it from the same job store) plus its ExtData.
Every transfer is recorded durably (table `relay_transfers`, beside the farm's jobs) and moves
through

    waiting -> submitted -> settled            (in a batch that the chain accepted)
    waiting -> dropped                         (its own fault: invalid proof, spent nullifier, ...)
    waiting -> stale                           (its root left the pool's history: re-prove it)

A batch is cut when `max_batch` transfers wait or the oldest has waited `max_wait_s`. Before a
batch is sent, one bad transfer never sinks the others (SECURITY 46):

1. each transfer's root must still be known (else *stale*: only the wallets whose transfers it
   touched re-prove) and its nullifiers unspent on chain (else *dropped*);
2. the batch's proofs are checked per circuit with `batch_verify` under the weights the contract
   will derive (`verifier.solidity.batch_verify_evm`); a failing batch names its first bad proof,
   which is dropped, until the rest passes;
3. of two verified transfers spending one note, the later hand-off is dropped (after step 2, so
   that a forged transfer carrying someone's nullifier cannot push the real one out);
4. the batch is simulated (eth_call); on a revert every member is simulated alone with `transact`
   and those that revert are dropped; then the rest is sent. A batch reverted on chain (a race)
   goes back to waiting and is re-checked.

Each transfer's fate is reported by `status`/`wait`/`watch` (the REST router in
`service.relay_api` serves them, `watch` as a stream of JSON lines) and, when the transfer named a
webhook URL, by a signed webhook (`RelayWebhooks` over `service.webhooks`' signing and delivery;
event types `relay.transfer.<state>`).
"""

from __future__ import annotations

import enum
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from .store import make_engine

log = logging.getLogger("hush.relayer")

__all__ = [
    "BatchOutcome",
    "BatchRelayer",
    "RelayDropped",
    "RelayReceipt",
    "RelayError",
    "RelayState",
    "RelayStore",
    "RelayWebhooks",
    "RelayedTransfer",
    "StaleRoot",
    "ext_from_json",
    "ext_to_json",
    "proof_struct",
]

N_OUTS = 2
ZERO_ADDRESS = "0x" + "00" * 20
AMOUNT_BITS = 120
CIRCUIT_OF_N_INS = {2: "transfer_2x2", 16: "transfer_16x2"}


class RelayState(enum.StrEnum):
    WAITING = "waiting"
    SUBMITTED = "submitted"
    SETTLED = "settled"
    DROPPED = "dropped"
    STALE = "stale"

    @property
    def final(self) -> bool:
        return self in (RelayState.SETTLED, RelayState.DROPPED, RelayState.STALE)


class RelayError(RuntimeError):
    """A transfer the relayer refuses at hand-off, or that did not settle."""


class RelayDropped(RelayError):
    pass


class StaleRoot(RelayError):
    """The transfer's root left the pool's history before it settled: prove it again."""

    stale_root = True
    """What a wallet looks at (it does not import the service): re-prove on a fresh root."""


@dataclass(frozen=True)
class RelayReceipt:
    """A settled transfer, shaped like wallet.chain.TxResult: gas_used is its share of the batch."""

    tx: str
    block: int
    gas_used: int
    relay_id: str
    batch_size: int


relay_metadata = sa.MetaData()
relay_t = sa.Table(
    "relay_transfers",
    relay_metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("circuit", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False, index=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("job_id", sa.String(40)),
    sa.Column("proof", sa.Text, nullable=False),
    sa.Column("ext", sa.Text, nullable=False),
    sa.Column("tx", sa.String(80)),
    sa.Column("block", sa.Integer),
    sa.Column("batch_size", sa.Integer),
    sa.Column("gas_share", sa.Integer),
    sa.Column("first_leaf", sa.Integer),
    sa.Column("reason", sa.Text),
    sa.Column("webhook_url", sa.Text),
)


def ext_to_json(ext: Sequence[Any]) -> dict[str, Any]:
    recipient, relayer, fee, outputs, depositor = ext
    return {
        "recipient": recipient,
        "relayer": relayer,
        "fee": int(fee),
        "encrypted_outputs": [bytes(o).hex() for o in outputs],
        "depositor": depositor,
    }


def ext_from_json(obj: Mapping[str, Any]) -> tuple:
    outs = [bytes.fromhex(o) for o in obj["encrypted_outputs"]]
    return (obj["recipient"], obj["relayer"], int(obj["fee"]), outs, obj.get("depositor", ZERO_ADDRESS))


def proof_struct(proof_json: Mapping[str, Any], public_signals: Sequence[Any]) -> tuple:
    """The pool's `Proof` struct (a, b, c, root, publicAmount, extDataHash, nullifiers, commitments)
    from a snarkjs proof and its public signals (root, publicAmount, fee, extDataHash, nullifiers, 2
    commitments)."""
    from verifier.solidity import proof_to_evm

    s = [int(x) for x in public_signals]
    n_ins = len(s) - 4 - N_OUTS
    if n_ins not in CIRCUIT_OF_N_INS:
        raise RelayError(f"expected the public signals of a 2x2 or 16x2 transfer, got {len(s)} signals")
    a, b, c = proof_to_evm(dict(proof_json))
    return (list(a), [list(b[0]), list(b[1])], list(c), s[0], s[1], s[3], s[4 : 4 + n_ins], s[4 + n_ins :])


def _public_signals(proof: Sequence[Any], fee: int) -> list[int]:
    return [int(proof[3]), int(proof[4]), int(fee), int(proof[5]), *map(int, proof[6]), *map(int, proof[7])]


def _proof_json(proof: Sequence[Any]) -> dict[str, Any]:
    from verifier.solidity import proof_from_evm_words

    a, b, c = proof[0], proof[1], proof[2]
    return proof_from_evm_words([a[0], a[1], b[0][0], b[0][1], b[1][0], b[1][1], c[0], c[1]])


@dataclass
class RelayedTransfer:
    id: str
    circuit: str
    state: RelayState
    proof: tuple
    ext: tuple
    created_at: float
    updated_at: float
    job_id: str | None = None
    tx: str | None = None
    block: int | None = None
    batch_size: int | None = None
    gas_share: int | None = None
    first_leaf: int | None = None
    reason: str | None = None
    webhook_url: str | None = None

    @property
    def nullifiers(self) -> list[int]:
        return [int(n) for n in self.proof[6]]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "circuit": self.circuit,
            "state": self.state.value,
            "job_id": self.job_id,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "tx": self.tx,
            "block": self.block,
            "batch_size": self.batch_size,
            "gas_share": self.gas_share,
            "first_leaf": self.first_leaf,
            "reason": self.reason,
            "nullifiers": [str(n) for n in self.nullifiers],
        }


class RelayStore:
    """The relayer's durable record, in the farm's database (pass the JobStore's engine) or its own."""

    def __init__(self, engine_or_url: sa.Engine | str) -> None:
        self.engine = make_engine(engine_or_url) if isinstance(engine_or_url, str) else engine_or_url
        relay_metadata.create_all(self.engine)
        self._lock = threading.Lock()

    @staticmethod
    def _row(r: Any) -> RelayedTransfer:
        proof = json.loads(r.proof)
        return RelayedTransfer(
            id=r.id,
            circuit=r.circuit,
            state=RelayState(r.state),
            proof=tuple(proof),
            ext=ext_from_json(json.loads(r.ext)),
            created_at=r.created_at,
            updated_at=r.updated_at,
            job_id=r.job_id,
            tx=r.tx,
            block=r.block,
            batch_size=r.batch_size,
            gas_share=r.gas_share,
            first_leaf=r.first_leaf,
            reason=r.reason,
            webhook_url=r.webhook_url,
        )

    def add(self, t: RelayedTransfer) -> None:
        with self.engine.begin() as c:
            c.execute(
                relay_t.insert().values(
                    id=t.id,
                    circuit=t.circuit,
                    state=t.state.value,
                    created_at=t.created_at,
                    updated_at=t.updated_at,
                    job_id=t.job_id,
                    proof=json.dumps(list(t.proof)),
                    ext=json.dumps(ext_to_json(t.ext)),
                    webhook_url=t.webhook_url,
                )
            )

    def get(self, transfer_id: str) -> RelayedTransfer | None:
        with self.engine.connect() as c:
            r = c.execute(sa.select(relay_t).where(relay_t.c.id == transfer_id)).first()
        return None if r is None else self._row(r)

    def in_state(self, state: RelayState, limit: int | None = None) -> list[RelayedTransfer]:
        q = sa.select(relay_t).where(relay_t.c.state == state.value).order_by(relay_t.c.created_at, relay_t.c.id)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as c:
            return [self._row(r) for r in c.execute(q)]

    def update(self, transfer_id: str, state: RelayState, now: float, **fields: Any) -> None:
        with self.engine.begin() as c:
            c.execute(
                relay_t.update().where(relay_t.c.id == transfer_id).values(state=state.value, updated_at=now, **fields)
            )


@dataclass(frozen=True)
class BatchOutcome:
    tx: str | None
    gas_used: int | None
    settled: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)


def _revert_name(exc: BaseException, abi: list[dict]) -> str:
    """The custom error a reverted call raised ("NullifierSpent(uint256)"), or the exception text."""
    from eth_utils import keccak

    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        sel = bytes.fromhex(data[2:10])
        for item in abi:
            if item.get("type") == "error":
                sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                if keccak(text=sig)[:4] == sel:
                    return sig
    return (str(exc) or type(exc).__name__)[:200]


class BatchRelayer:
    """See the module doc. `pool` is a wallet.chain.PoolClient-like object with `.w3`, `.contract`;
    `account` the Ethereum account that sends batches and earns the fees (extData.relayer)."""

    def __init__(
        self,
        pool: Any,
        account: str,
        verifying_keys: Mapping[str, dict],
        *,
        store: RelayStore,
        max_batch: int = 16,
        max_wait_s: float = 10.0,
        min_fee: int = 0,
        job_store: Any = None,
        webhooks: RelayWebhooks | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        from web3 import Web3

        if not 1 <= max_batch <= 64:
            raise ValueError(f"max_batch must be in [1, 64], got {max_batch}")
        self.pool, self.store, self.vkeys = pool, store, dict(verifying_keys)
        self.address = Web3.to_checksum_address(account)
        self.max_batch, self.max_wait_s, self.min_fee = max_batch, max_wait_s, min_fee
        self.job_store, self.webhooks = job_store, webhooks
        self.clock = clock
        self._cond = threading.Condition()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = False

    # -- hand-off ---------------------------------------------------------------------------------
    def hand_off(
        self, proof: Sequence[Any], ext: Sequence[Any], *, job_id: str | None = None, webhook_url: str | None = None
    ) -> str:
        """Accept one transfer (the pool's Proof struct and ExtData tuple); returns its relay id."""
        from web3 import Web3

        from transfer.extdata import ExtData

        proof, ext = tuple(proof), tuple(ext)
        if len(proof) != 8 or len(ext) != 5:
            raise RelayError("expected a Proof struct of 8 fields and an ExtData of 5")
        n_ins = len(proof[6])
        circuit = CIRCUIT_OF_N_INS.get(n_ins)
        if circuit is None or circuit not in self.vkeys or len(proof[7]) != N_OUTS:
            raise RelayError(f"unsupported shape {n_ins}x{len(proof[7])}; this relayer batches {sorted(self.vkeys)}")
        recipient, relayer, fee, outputs, depositor = ext
        if 0 < int(proof[4]) < 1 << AMOUNT_BITS or int(depositor, 16) != 0:
            # The pool pulls a deposit from its depositor, who must send it: never the relayer's to pay.
            raise RelayError("refusing a deposit: its depositor sends it from its own account")
        if Web3.to_checksum_address(relayer) != self.address:
            raise RelayError(f"the transfer pays its fee to {relayer}, not to this relayer {self.address}")
        if int(fee) < self.min_fee:
            raise RelayError(f"fee {fee} is below this relayer's minimum {self.min_fee}")
        want = ExtData(
            recipient,
            relayer,
            int(fee),
            tuple(bytes(o) for o in outputs),
            self.pool.chain_id,
            self.pool.address,
            depositor,
        ).hash()
        if int(proof[5]) != want:
            raise RelayError("extDataHash does not match the external data (another recipient, fee or pool?)")
        now = self.clock()
        t = RelayedTransfer(
            id="rly_" + secrets.token_hex(12),
            circuit=circuit,
            state=RelayState.WAITING,
            proof=_jsonable(proof),
            ext=(recipient, relayer, int(fee), [bytes(o) for o in outputs], depositor),
            created_at=now,
            updated_at=now,
            job_id=job_id,
            webhook_url=webhook_url,
        )
        self.store.add(t)
        with self._cond:
            self._cond.notify_all()
        return t.id

    def hand_off_job(self, job_id: str, ext: Sequence[Any], *, webhook_url: str | None = None) -> str:
        """Accept the proof of a succeeded farm job (read from the farm's job store) with its ExtData."""
        if self.job_store is None:
            raise RelayError("this relayer has no job store")
        job = self.job_store.get_job(job_id)
        if job is None or job.state.value != "succeeded" or job.proof is None or job.public_signals is None:
            raise RelayError(f"job {job_id} has no proof (state {None if job is None else job.state.value})")
        if int(job.public_signals[2]) != int(ext[2]):
            raise RelayError("the job's fee signal is not the ExtData's fee")
        return self.hand_off(proof_struct(job.proof, job.public_signals), ext, job_id=job_id, webhook_url=webhook_url)

    def submit(self, proof: Sequence[Any], ext: Sequence[Any], timeout: float = 600.0) -> Any:
        """The wallet's relayer interface (wallet.chain.Relayer.submit): hand off, wait for the fate;
        returns a TxResult whose gas is this transfer's share of the batch; raises StaleRoot or
        RelayDropped when it did not settle."""
        t = self.wait(self.hand_off(proof, ext), timeout)
        if t.state is RelayState.SETTLED:
            return RelayReceipt(t.tx or "", t.block or 0, t.gas_share or 0, t.id, t.batch_size or 0)
        if t.state is RelayState.STALE:
            raise StaleRoot(t.reason or "root no longer known")
        if t.state is RelayState.DROPPED:
            raise RelayDropped(t.reason or "dropped")
        raise RelayError(f"transfer {t.id} still {t.state.value} after {timeout:g} s")

    # -- fate -------------------------------------------------------------------------------------
    def status(self, transfer_id: str) -> RelayedTransfer:
        t = self.store.get(transfer_id)
        if t is None:
            raise KeyError(transfer_id)
        return t

    def wait(self, transfer_id: str, timeout: float = 600.0) -> RelayedTransfer:
        end = time.monotonic() + timeout
        t = self.status(transfer_id)
        while not t.state.final and time.monotonic() < end:
            with self._cond:
                self._cond.wait(min(0.5, max(0.0, end - time.monotonic())))
            t = self.status(transfer_id)
        return t

    def watch(self, transfer_id: str, timeout: float = 600.0) -> Iterator[RelayedTransfer]:
        """Each state the transfer enters, from its current one, until a final state (or timeout)."""
        end = time.monotonic() + timeout
        t = self.status(transfer_id)
        yield t
        seen = t.state
        while not t.state.final and time.monotonic() < end:
            with self._cond:
                self._cond.wait(min(0.5, max(0.0, end - time.monotonic())))
            t = self.status(transfer_id)
            if t.state is not seen:
                seen = t.state
                yield t

    def _set(self, t: RelayedTransfer, state: RelayState, **fields: Any) -> None:
        self.store.update(t.id, state, self.clock(), **fields)
        if state.final:
            log.info("relay %s %s%s", t.id, state.value, f": {fields.get('reason')}" if fields.get("reason") else "")
            if t.webhook_url and self.webhooks is not None:
                self.webhooks.send(t.webhook_url, f"relay.transfer.{state}", self.status(t.id).to_json())
        with self._cond:
            self._cond.notify_all()

    # -- batching ---------------------------------------------------------------------------------
    def due(self) -> bool:
        waiting = self.store.in_state(RelayState.WAITING, self.max_batch)
        if not waiting:
            return False
        return len(waiting) >= self.max_batch or self.clock() - waiting[0].created_at >= self.max_wait_s

    def start(self) -> None:
        """Run the batching loop on a thread (cut a batch at max_batch waiting or max_wait_s)."""
        if self._thread is not None:
            return
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="hush-relayer", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        self._stop = True
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> BatchRelayer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while not self._stop:
            try:
                if self.due():
                    self.flush()
                    continue
            except Exception:  # keep relaying; the transfers stay waiting and are retried
                log.exception("relayer: a batch failed; retrying")
                time.sleep(1.0)
            with self._cond:
                self._cond.wait(min(0.5, self.max_wait_s / 4))

    def flush(self) -> BatchOutcome | None:
        """Cut and settle one batch of the oldest waiting transfers now (None: nothing waits)."""
        with self._flush_lock:
            batch = self.store.in_state(RelayState.WAITING, self.max_batch)
            if not batch:
                return None
            dropped: list[str] = []
            stale: list[str] = []
            batch = self._precheck(batch, dropped, stale)
            batch = self._verify(batch, dropped)
            batch = self._dedupe(batch, dropped)
            batch = self._simulate(batch, dropped)
            if not batch:
                return BatchOutcome(None, None, [], dropped, stale)
            return self._send(batch, dropped, stale)

    def _precheck(self, batch: list[RelayedTransfer], dropped: list[str], stale: list[str]) -> list[RelayedTransfer]:
        fn = self.pool.contract.functions
        keep: list[RelayedTransfer] = []
        for t in batch:
            if not fn.isKnownRoot(int(t.proof[3])).call():
                self._set(t, RelayState.STALE, reason=f"root {t.proof[3]} is no longer known to the pool: re-prove")
                stale.append(t.id)
                continue
            spent = [n for n in t.nullifiers if fn.nullifierHashes(n).call()]
            if spent:
                self._set(t, RelayState.DROPPED, reason=f"nullifier {spent[0]} is already spent")
                dropped.append(t.id)
                continue
            keep.append(t)
        return keep

    def _dedupe(self, batch: list[RelayedTransfer], dropped: list[str]) -> list[RelayedTransfer]:
        """Of two VERIFIED transfers spending one note, the earlier hand-off stays. Runs after the proof
        check, so a forged transfer naming someone's nullifier cannot push the real one out."""
        keep: list[RelayedTransfer] = []
        seen: dict[int, str] = {}
        for t in batch:
            twice = [n for n in t.nullifiers if n in seen]
            if twice:
                self._set(
                    t,
                    RelayState.DROPPED,
                    reason=f"nullifier {twice[0]} is also spent by {seen[twice[0]]} in this batch",
                )
                dropped.append(t.id)
                continue
            seen.update((n, t.id) for n in t.nullifiers)
            keep.append(t)
        return keep

    def _verify(self, batch: list[RelayedTransfer], dropped: list[str]) -> list[RelayedTransfer]:
        """batch_verify per circuit under the contract's own weights; drop the named bad proof, repeat."""
        from verifier.errors import VerificationError
        from verifier.solidity import batch_verify_evm

        keep = list(batch)
        for circuit in sorted({t.circuit for t in keep}):
            while True:
                group = [t for t in keep if t.circuit == circuit]
                if not group:
                    break
                items = [(_public_signals(t.proof, t.ext[2]), _proof_json(t.proof)) for t in group]
                try:
                    batch_verify_evm(self.vkeys[circuit], items, locate=True)
                    break
                except VerificationError as e:
                    bad = _culprit_index(str(e), len(group))
                    t = group[bad]
                    self._set(t, RelayState.DROPPED, reason=f"invalid proof: {e}")
                    dropped.append(t.id)
                    keep.remove(t)
        return keep

    def _args(self, batch: list[RelayedTransfer]) -> tuple[list, list]:
        return [list(t.proof) for t in batch], [list(t.ext) for t in batch]

    def _simulate(self, batch: list[RelayedTransfer], dropped: list[str]) -> list[RelayedTransfer]:
        fn = self.pool.contract.functions
        while batch:
            try:
                fn.transactBatch(*self._args(batch)).call({"from": self.address})
                return batch
            except Exception as e:  # a revert: find who causes it alone
                culprits = []
                for t in batch:
                    try:
                        fn.transact(list(t.proof), list(t.ext)).call({"from": self.address})
                    except Exception as one:
                        culprits.append((t, _revert_name(one, self.pool.contract.abi)))
                if not culprits:  # only together: keep the first half, the rest waits for the next batch
                    log.warning(
                        "batch of %d reverts (%s) though each member passes alone",
                        len(batch),
                        _revert_name(e, self.pool.contract.abi),
                    )
                    if len(batch) == 1:
                        t = batch[0]
                        self._set(t, RelayState.DROPPED, reason=f"reverted: {_revert_name(e, self.pool.contract.abi)}")
                        dropped.append(t.id)
                        return []
                    batch = batch[: len(batch) // 2]
                    continue
                for t, why in culprits:
                    self._set(t, RelayState.DROPPED, reason=f"reverts alone: {why}")
                    dropped.append(t.id)
                    batch.remove(t)
        return batch

    def _send(self, batch: list[RelayedTransfer], dropped: list[str], stale: list[str]) -> BatchOutcome:
        fn = self.pool.contract.functions.transactBatch(*self._args(batch))
        for t in batch:
            self._set(t, RelayState.SUBMITTED)
        try:
            tx = fn.transact({"from": self.address})
            receipt = self.pool.w3.eth.wait_for_transaction_receipt(tx, timeout=120)
        except Exception:
            for t in batch:
                self._set(t, RelayState.WAITING)
            raise
        if receipt.status != 1:  # a race (a root expired, a note spent meanwhile): re-check next time
            for t in batch:
                self._set(t, RelayState.WAITING)
            return BatchOutcome(receipt.transactionHash.to_0x_hex(), receipt.gasUsed, [], dropped, stale)
        events = self.pool.contract.events.NewCommitment().process_receipt(receipt, errors=_discard())
        first = int(events[0].args.index) if events else None
        share = receipt.gasUsed // len(batch)
        h = receipt.transactionHash.to_0x_hex()
        for k, t in enumerate(batch):
            self._set(
                t,
                RelayState.SETTLED,
                tx=h,
                block=receipt.blockNumber,
                batch_size=len(batch),
                gas_share=share,
                first_leaf=None if first is None else first + 2 * k,
            )
        return BatchOutcome(h, receipt.gasUsed, [t.id for t in batch], dropped, stale)


class RelayWebhooks:
    """Signed fate webhooks (Standard Webhooks, `service.webhooks`: one `attempt` per try, `backoff`
    between tries) from a background thread, so a slow receiver never holds a batch. In memory: a
    fate webhook not delivered when the process stops is not retried (the fate stays in the store)."""

    def __init__(
        self, secret: bytes, *, max_attempts: int = 6, max_delay_s: float = 60.0, allow_private: bool = False
    ) -> None:
        import queue

        self.secret, self.max_attempts, self.max_delay_s = bytes(secret), max_attempts, max_delay_s
        self.allow_private = allow_private
        self.delivered: list[tuple[str, str]] = []
        """(event id, url) of each delivered webhook."""
        self._queue: queue.Queue[tuple[str, str, bytes] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="hush-relay-webhooks", daemon=True)
        self._thread.start()

    def send(self, url: str, event_type: str, data: Mapping[str, Any]) -> str:
        from .webhooks import encode_event

        event_id = "msg_" + secrets.token_hex(16)
        body = encode_event({"type": event_type, "timestamp": int(time.time()), "data": dict(data)})
        self._queue.put((event_id, url, body))
        return event_id

    def _run(self) -> None:
        from .webhooks import attempt, backoff

        while (item := self._queue.get()) is not None:
            event_id, url, body = item
            for n in range(1, self.max_attempts + 1):
                res = attempt(url, self.secret, event_id, body, allow_private=self.allow_private)
                if res.outcome == "delivered":
                    self.delivered.append((event_id, url))
                    break
                if res.outcome == "give up":
                    log.warning("relay webhook %s to %s refused: %s", event_id, url, res.error)
                    break
                time.sleep(backoff(n, base_s=0.5, max_s=self.max_delay_s, retry_after=res.retry_after))

    def close(self, timeout: float = 30.0) -> None:
        """Deliver what is queued (up to `timeout`), then stop."""
        self._queue.put(None)
        self._thread.join(timeout)


def _discard() -> Any:
    from web3.logs import DISCARD

    return DISCARD


def _culprit_index(message: str, n: int) -> int:
    """'proof 3 of 16: ...' -> 3 (batch_verify names the first bad item so)."""
    if message.startswith("proof ") and " of " in message:
        try:
            return min(int(message.split()[1]), n - 1)
        except ValueError:
            pass
    return 0


def _jsonable(proof: tuple) -> tuple:
    a, b, c = proof[0], proof[1], proof[2]
    return (
        [int(a[0]), int(a[1])],
        [[int(b[0][0]), int(b[0][1])], [int(b[1][0]), int(b[1][1])]],
        [int(c[0]), int(c[1])],
        int(proof[3]),
        int(proof[4]),
        int(proof[5]),
        [int(n) for n in proof[6]],
        [int(x) for x in proof[7]],
    )
