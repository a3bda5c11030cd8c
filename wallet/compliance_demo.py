"""`make demo-compliance`: a compliant private payment on anvil, proven by the farm (issue 13).

The issuer registers Alice (tier 1, cap 1,000) and Bob (tier 2) and deploys the policy (K = 2 transfers
per identity per epoch) and the compliant pool; Alice deposits 2,000 and pays Bob 30 privately. Her
wallet refuses, before proving and with the rule named, a payment to unregistered Carol, a payment of
1,500 (over her cap) and a third transfer in the epoch; a forged attempt (the payment's proof with a
tampered auditor ciphertext) reverts on chain. The auditor decrypts the pool's history (JSON + CSV)
and reads Alice -> Bob 30, while the payment's public events carry no address and no amount.

    python -m wallet.compliance_demo [--start-farm | --farm URL]     (default: prove in this process)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from transfer.compliant import COMPLIANT_SHAPES, NO_CAP, ComplianceError, build_compliant_inputs
from transfer.extdata import ExtData
from transfer.inputs import InputNote
from transfer.keys import Keys
from transfer.merkle import MerkleTree
from transfer.notes import Note, random_blinding
from transfer.poseidon_cipher import AuditorKey

from .compliance import IssuerRegistry, PolicyClient, audit_report, compliant_args, deploy_compliant, write_report

CIRCUIT = "compliant_2x2"
SHAPE = COMPLIANT_SHAPES[CIRCUIT]
TOKEN_ID = 1
EPOCH_LENGTH = 86_400
YEAR = 365 * 86_400


class CompliantWallet:
    """A minimal wallet of the compliant pool: notes it created, the pool's tree mirrored from the events
    of the transactions it sees, its slot in the epoch; proofs from any backend (farm or local)."""

    def __init__(self, name: str, keys: Keys, env: DemoEnv) -> None:
        self.name, self.keys, self.env = name, keys, env
        self.notes: list[tuple[Note, int]] = []
        self.slot = 0

    def _ext(self, depositor: str) -> ExtData:
        e = self.env
        zero = "0x" + "00" * 20
        return ExtData(zero, zero, 0, (b"", b""), e.w3.eth.chain_id, e.dep.pool, depositor)

    def build(
        self,
        outputs: Sequence[Note],
        public_amount: int,
        *,
        spend: Sequence[tuple[Note, int]] = (),
        depositor: str = "",
    ) -> dict[str, Any]:
        """The circuit inputs (the rules are checked here, before any proof); a deposit names its payer."""
        e = self.env
        depositor = depositor or "0x" + "00" * 20
        self._last_ext = self._ext(depositor)
        return build_compliant_inputs(
            shape=SHAPE,
            root=e.tree.root,
            inputs=[InputNote(n, e.tree.path(i)) for n, i in spend],
            outputs=outputs,
            public_amount=public_amount,
            ext_data=self._ext(depositor),
            authorizing_key=self.keys.proof_authorizing_key(),
            signer=self.keys.spending_key.sign,
            policy=e.policy.inputs(),
            sender=e.registry.registered(self.keys.address),
            recipients=e.registry.all_registered(),
            slot=self.slot,
        )

    def send(self, inputs: dict[str, Any], sender: str, *, tamper: Callable[[tuple], tuple] | None = None) -> Any:
        e = self.env
        t0 = time.perf_counter()
        out = e.backend.prove(CIRCUIT, inputs)
        seconds = time.perf_counter() - t0
        proof, compliance = compliant_args(out.proof, inputs, SHAPE)
        x = self._last_ext  # the external data of the last build: no withdrawal in this demo
        ext = (x.recipient, x.relayer, x.fee, list(x.encrypted_outputs), x.depositor)
        args = (proof, ext, compliance)
        if tamper is not None:
            return e.pool.functions.transactCompliant(*tamper(args)), seconds
        receipt = e.w3.eth.wait_for_transaction_receipt(
            e.pool.functions.transactCompliant(*args).transact({"from": sender})
        )
        if receipt.status != 1:
            raise RuntimeError("transactCompliant reverted")
        self.slot += 1
        for ev in e.pool.events.NewCommitment().process_receipt(receipt, errors=_discard()):
            e.tree.insert(ev.args.commitment)
        return receipt, seconds


def _discard() -> Any:
    from web3.logs import DISCARD

    return DISCARD


class DemoEnv:
    def __init__(self, w3: Any, backend: Any, out: Callable[[str], None]) -> None:
        from hush.artifacts import ensure_dev_key
        from prover.formats.zkey import read_zkey
        from verifier.keys import verification_key_json

        self.w3, self.backend, self.out = w3, backend, out
        accounts = w3.eth.accounts
        self.issuer, self.alice_eth, self.bob_eth = accounts[0], accounts[1], accounts[2]
        now = w3.eth.get_block("latest")["timestamp"]
        self.registry = IssuerRegistry()
        self.alice = Keys.from_seed(b"hush compliance demo: alice's seed")
        self.bob = Keys.from_seed(b"hush compliance demo: bob's seed..")
        self.carol = Keys.from_seed(b"hush compliance demo: carol's seed")
        self.registry.register(self.alice.address, 1, 250, now + YEAR, self.alice_eth)
        self.registry.register(self.bob.address, 2, 250, now + YEAR, self.bob_eth)
        self.auditor = AuditorKey.generate()
        vkey = verification_key_json(read_zkey(ensure_dev_key(CIRCUIT)))
        self.dep = deploy_compliant(
            w3,
            self.issuer,
            {CIRCUIT: vkey},
            identity_root=self.registry.root,
            tier_caps=(1_000, 10_000, NO_CAP),
            blocked=(408,),
            auditor_key=self.auditor.public_key,
            epoch_length=EPOCH_LENGTH,
            max_slots=2,
        )
        from .chain import artifact

        self.pool = w3.eth.contract(address=self.dep.pool, abi=artifact("CompliantPool")["abi"])
        self.token = w3.eth.contract(address=self.dep.token, abi=artifact("TestToken")["abi"])
        self.policy = PolicyClient(w3, self.dep.policy)
        self.tree = MerkleTree(SHAPE.levels)


def run_demo(w3: Any, backend: Any, workdir: Path, out: Callable[[str], None] = print) -> list[str]:
    """The demo on a running chain; returns the failures (empty: it passed)."""
    failures: list[str] = []

    def check(cond: bool, what: str) -> None:
        out(f"   {'ok' if cond else 'FAILED'}: {what}")
        if not cond:
            failures.append(what)

    env = DemoEnv(w3, backend, out)
    out(
        f"issuer deployed the policy {env.dep.policy} (caps 1,000 / 10,000 / none, K = 2 per epoch, auditor key "
        f"{str(env.auditor.public_key[0])[:12]}...) and the compliant pool {env.dep.pool}"
    )
    out("issuer registered Alice (tier 1) and Bob (tier 2); Carol is not registered")
    alice, bob = CompliantWallet("alice", env.alice, env), CompliantWallet("bob", env.bob, env)
    w3.eth.wait_for_transaction_receipt(env.token.functions.mint(env.alice_eth, 2_000).transact({"from": env.issuer}))
    w3.eth.wait_for_transaction_receipt(
        env.token.functions.approve(env.dep.pool, 2_000).transact({"from": env.alice_eth})
    )

    note = Note(2_000, env.alice.address, random_blinding(), TOKEN_ID)
    receipt, s = alice.send(alice.build([note], 2_000, depositor=env.alice_eth), env.alice_eth)
    alice.notes.append((note, len(env.tree) - 2))
    out(f"1. Alice deposits 2,000: proof {s:.2f} s, gas {receipt.gasUsed:,}")

    out("2. what Alice's wallet refuses, before proving:")

    def refuse(what: str, rule: str, outputs: list[Note]) -> None:
        try:
            alice.build(outputs, 0, spend=alice.notes)
        except ComplianceError as e:
            out(f"   refused {what}: {e}")
            check(rule in str(e), f"the refusal names the rule ({rule})")
        else:
            check(False, f"{what} was not refused")

    a = env.alice.address
    refuse(
        "a payment of 10 to unregistered Carol",
        "not registered",
        [Note(10, env.carol.address, 1, TOKEN_ID), Note(1_990, a, 2, TOKEN_ID)],
    )
    refuse(
        "a payment of 1,500 to Bob (her tier-1 cap is 1,000)",
        "tier cap",
        [Note(1_500, env.bob.address, 3, TOKEN_ID), Note(500, a, 4, TOKEN_ID)],
    )

    to_bob = Note(30, env.bob.address, random_blinding(), TOKEN_ID)
    change = Note(1_970, a, random_blinding(), TOKEN_ID)
    receipt, s = alice.send(alice.build([to_bob, change], 0, spend=alice.notes), env.issuer)
    pay_receipt = receipt
    tx = receipt.transactionHash.to_0x_hex()
    out(f"3. Alice pays Bob 30 privately: proof {s:.2f} s, gas {receipt.gasUsed:,}, tx {tx[:18]}...")
    alice.notes = [(change, len(env.tree) - 1)]
    refuse(
        "a third transfer in this epoch (K = 2)",
        "rate limit",
        [Note(10, env.bob.address, 5, TOKEN_ID), Note(1_960, a, 6, TOKEN_ID)],
    )

    out("4. a forged attempt: a transfer of Bob's proven, then sent with one word of its auditor ciphertext changed")
    bob_inputs = bob.build([Note(0, env.bob.address, 7, TOKEN_ID)], 0)

    def tamper(args: tuple) -> tuple:
        proof, ext, c = args
        ct = list(c[6])
        ct[4] = (ct[4] + 1) % (1 << 253)
        return proof, ext, (*c[:6], ct)

    fn, s = bob.send(bob_inputs, env.bob_eth, tamper=tamper)
    try:
        fn.call({"from": env.bob_eth})
        check(False, "the forged transaction was accepted")
    except Exception as e:  # noqa: BLE001 - any revert; its name is printed
        reason = "InvalidProof()" if "0x09bde339" in str(e) else str(e)[:80]
        out(f"   reverted on chain: {reason}")
        check("0x09bde339" in str(e), "the chain refuses the forged ciphertext (InvalidProof)")

    out("5. the public record of the payment (events of its transaction):")
    logs = pay_receipt["logs"]
    words = set()
    for log in logs:
        data = bytes(log["data"])
        words |= {int.from_bytes(data[k : k + 32], "big") for k in range(0, len(data), 32)}
        words |= {int.from_bytes(bytes(t), "big") for t in log["topics"][1:]}
    out(f"   {len(logs)} events, {len(words)} distinct words: commitments, nullifiers, epoch nullifier, ciphertext")
    check(
        not ({30, 1_970, env.alice.address, env.bob.address, int(env.alice_eth, 16), int(env.bob_eth, 16)} & words),
        "no amount and no address of Alice's or Bob's in them",
    )

    out("6. the auditor decrypts the pool's history with the auditor key:")
    names = {env.alice.address: "Alice", env.bob.address: "Bob"}
    entries = audit_report(w3, env.dep.pool, env.auditor, from_block=env.dep.block, names=names)
    write_report(entries, workdir / "audit.json", workdir / "audit.csv")
    for e in entries:
        pairs = ", ".join(f"{r} {a}" for r, a in zip(e.recipients, e.amounts, strict=True))
        out(f"   block {e.block}: {e.sender} -> {pairs}; public amount {e.public_amount}, fee {e.fee}")
    check(
        any(e.sender == "Alice" and ("Bob", 30) in zip(e.recipients, e.amounts, strict=True) for e in entries),
        "the auditor reads Alice -> Bob 30",
    )
    out(f"   report: {workdir / 'audit.json'}, {workdir / 'audit.csv'}")
    out(json.dumps([e.__dict__ for e in entries if "Bob" in e.recipients]))
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wallet.compliance_demo", description=__doc__.split("\n\n")[0])
    ap.add_argument("--farm", metavar="URL", help="prover farm base URL (default: prove in this process)")
    ap.add_argument("--start-farm", action="store_true", help="start the prover farm (embedded default) for it")
    ap.add_argument("--report-dir", help="where to keep the auditor's report (default: a temporary directory)")
    ap.add_argument(
        "--deadline",
        type=float,
        default=60.0,
        help="seconds the farm may take per proof (default 60: the farm's 5 s budget is the plain "
        "transfer's, and a shared machine is slower)",
    )
    a = ap.parse_args(argv)

    from .backends import FarmClient, LocalProver
    from .chain import start_anvil, stop_process
    from .demo import free_port, start_farm, stop_farm

    farm_proc = None
    if a.start_farm and not a.farm:
        try:
            farm_proc, a.farm = start_farm(circuits=CIRCUIT)
        except (RuntimeError, TimeoutError) as e:
            print(f"demo: {e}", file=sys.stderr)
            return 2
    backend = FarmClient(a.farm, deadline_s=a.deadline) if a.farm else LocalProver.shared()
    print(f"proving {'on the farm at ' + a.farm if a.farm else 'in this process'}")
    try:
        proc, w3 = start_anvil(free_port())
        try:
            with tempfile.TemporaryDirectory(prefix="hush-compliance-demo-") as tmp:
                failures = run_demo(w3, backend, Path(a.report_dir or tmp))
        finally:
            stop_process(proc)
    finally:
        if farm_proc is not None:
            stop_farm(farm_proc)
    if failures:
        print("DEMO FAILED: " + "; ".join(failures))
        return 1
    print("compliance demo passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
