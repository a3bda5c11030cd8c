"""Aggregated settlement demo: 16 private transfers by 16 wallets settled in ONE transaction.

    python -m wallet.demo_batch [--farm URL] [--transfers 16]

Starts anvil on a free loopback port, deploys the pool with the transfer_2x2 verifier (which also
verifies batches), and a batching relayer (`service.relayer.BatchRelayer`, max batch = the number
of transfers). Each wallet deposits a note of its own, then all of them pay the next wallet at
once, handing their transfers to the relayer (`Wallet.send(..., relayer=batch_relayer)`): the
relayer checks them with `batch_verify` under the contract's weights and settles them in one
`transactBatch`. Then one more transfer goes through a plain relayer (`transact`) for comparison.
Prints the batch's gas, the per-transfer share and the single transfer's gas, and checks every
balance. Exit status 0 when all transfers settled in one transaction and every balance is right.
Development keys: never use them for value.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .demo import UNIT, fmt, free_port

__all__ = ["main", "run_batch_demo"]


class _OneAtATime:
    """A proof backend shared by threads, proving one statement at a time (the warm prover is not
    re-entrant; the farm client is, but a queue of 16 is all the same to it)."""

    def __init__(self, backend: Any) -> None:
        self.backend, self._lock = backend, threading.Lock()

    def prove(self, circuit: str, inputs: Any) -> Any:
        with self._lock:
            return self.backend.prove(circuit, inputs)

    def has_circuit(self, circuit: str) -> bool:
        return self.backend.has_circuit(circuit)


def run_batch_demo(w3, backend, workdir: Path, n: int = 16, out=print) -> list[str]:
    """The flow on a running chain; returns the list of failures (empty: passed)."""
    from hush.artifacts import ensure_dev_key
    from prover.formats.zkey import read_zkey
    from service.relayer import BatchRelayer, RelayStore
    from verifier.keys import verification_key_json

    from .chain import PoolClient, Relayer, deploy_local
    from .keys import WalletKeys
    from .seedfile import new_seed
    from .store import NoteStore
    from .wallet import VerifyingKeys, Wallet

    failures: list[str] = []
    accounts = w3.eth.accounts
    deployer, funder, relayer_eth = accounts[0], accounts[1], accounts[2]
    vkeys = {"transfer_2x2": verification_key_json(read_zkey(ensure_dev_key("transfer_2x2")))}
    dep = deploy_local(w3, deployer, vkeys)
    pool = PoolClient(w3, dep.pool)
    out(f"deployed on chain {pool.chain_id}: pool {dep.pool} (transfer_2x2 verifier with verifyBatch)")
    pool.send(pool.token.functions.mint(funder, (n + 1) * 10 * UNIT), deployer)
    pvks = VerifyingKeys()
    seeds = [new_seed() for _ in range(n)]

    def wallet(i: int) -> Wallet:  # a note store's SQLite connection belongs to the thread that opened it
        return Wallet(WalletKeys.from_seed(seeds[i]), pool, NoteStore(workdir / f"w{i}.db"), backend,
                      start_block=dep.block, verifying_keys=pvks)

    wallets = [wallet(i) for i in range(n)]
    t0 = time.perf_counter()
    for w in wallets:
        w.deposit(10 * UNIT, funder)
    out(f"{n} wallets deposited 10.00 each ({n} transact calls, {time.perf_counter() - t0:.1f} s)")

    fee = UNIT // 100
    store = RelayStore(f"sqlite:///{workdir / 'relay.db'}")
    relayer = BatchRelayer(pool, relayer_eth, vkeys, store=store, max_batch=n, max_wait_s=600.0)
    results: list[Any] = [None] * n
    errors: list[str] = []

    def pay(i: int) -> None:
        try:
            results[i] = wallet(i).send(wallets[(i + 1) % n].address, (i + 1) * UNIT // 4, fee=fee, relayer=relayer)
        except Exception as e:  # reported below
            errors.append(f"wallet {i}: {type(e).__name__}: {e}")

    t0 = time.perf_counter()
    with relayer:
        threads = [threading.Thread(target=pay, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(1800)
    if errors:
        return errors
    txs = {r.tx for r in results}
    receipt = w3.eth.get_transaction_receipt(next(iter(txs)))
    out(f"{n} transfers proved, handed to the batching relayer and settled in {len(txs)} transaction(s) "
        f"in {time.perf_counter() - t0:.1f} s: tx {next(iter(txs))[:18]}..., gas {receipt.gasUsed:,}")
    if len(txs) != 1:
        failures.append(f"expected one settling transaction, got {len(txs)}")

    for w in wallets:
        w.sync()
    single = wallets[0].send(wallets[1].address, UNIT // 8, fee=fee, relayer=Relayer(pool, relayer_eth))
    per = receipt.gasUsed // n
    out(f"per transfer in the batch: {per:,} gas; a single transact transfer: {single.gas_used:,} gas "
        f"({100 * per / single.gas_used:.1f}%)")

    for w in wallets:
        w.sync()
    for i, w in enumerate(wallets):
        want = 10 * UNIT - (i + 1) * UNIT // 4 - fee + (((i - 1) % n) + 1) * UNIT // 4
        if i == 0:
            want -= UNIT // 8 + fee
        if i == 1:
            want += UNIT // 8
        if w.balance() != want:
            failures.append(f"wallet {i}: shielded {fmt(w.balance())}, expected {fmt(want)}")
    got_fees = pool.balance_of(relayer_eth)
    if got_fees != (n + 1) * fee:
        failures.append(f"relayer fees {fmt(got_fees)}, expected {fmt((n + 1) * fee)}")
    out(f"balances: {n} wallets as expected{'' if not failures else ' NOT'}; relayer earned {fmt(got_fees)} HTT")
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wallet.demo_batch", description=__doc__.splitlines()[0])
    ap.add_argument("--farm", metavar="URL", help="prover farm base URL (default: prove in this process)")
    ap.add_argument("--api-key", help="the farm's X-API-Key")
    ap.add_argument("--transfers", type=int, default=16, help="wallets and transfers in the batch (2..32)")
    a = ap.parse_args(argv)
    if not 2 <= a.transfers <= 32:
        ap.error("--transfers must be in [2, 32]")

    from .backends import FarmClient, LocalProver
    from .chain import start_anvil, stop_process

    if a.farm:
        backend: Any = FarmClient(a.farm, api_key=a.api_key)
    else:
        backend = LocalProver.shared()
        try:
            backend.warm("transfer_2x2")
        except FileNotFoundError as e:
            print(f"demo-batch: {e}", file=sys.stderr)
            return 2
    try:
        proc, w3 = start_anvil(free_port())
    except (FileNotFoundError, RuntimeError) as e:
        print(f"demo-batch: {e}", file=sys.stderr)
        return 2
    try:
        with tempfile.TemporaryDirectory(prefix="hush-demo-batch-") as tmp:
            failures = run_batch_demo(w3, _OneAtATime(backend), Path(tmp), a.transfers)
    finally:
        stop_process(proc)
    if failures:
        print("DEMO FAILED: " + "; ".join(failures))
        return 1
    print("demo-batch passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
