"""Gas of Hush's contracts on anvil, for the README's table (`python -m bench.gas`).

    python -m bench.gas [--hardfork NAME] [--out bench/results/gas.json]

Deploys PoseidonT3, TestToken, the generated verifiers for the transfer_2x2 and transfer_16x2
development keys, snarkjs 0.7.6's verifiers for the same keys and a ShieldedPool on a fresh anvil
(loopback, free port), then sends, with real Hush proofs, and records gasUsed of each receipt:

    verifyProof        ours and snarkjs', 2x2 (8 public inputs) and 16x2 (22), as transactions
    poseidon           one PoseidonT3.hash call as a transaction
    deposit            2x2 transact, publicAmount > 0, two fresh output notes
    transfer           2x2 transact, one real input, publicAmount 0
    withdraw           2x2 transact, one real input, publicAmount < 0, relayer fee
    transact_16x2      16x2 transact: a deposit (16 dummy inputs) and a withdrawal spending 2 notes
    batch.<N>          transactBatch of N private 2x2 transfers (one real input each, publicAmount 0,
                       like `transfer`), N = 1, 2, 4, 8, 16, 32: gasUsed, per_transfer, and the
                       share of one `transact` transfer; verifyBatch alone for the same N
    batch_mixed        transactBatch of 15 2x2 transfers and one 16x2 withdrawal (two verifyBatch
                       calls, one tree insert)

Every figure is a whole transaction: 21000 intrinsic gas and calldata included. Pool figures
depend a little on state (the first write of a storage slot costs 20000 instead of 2900): each
row says which transaction of a fresh pool it was. Proofs are checked by the Python verifier
before they are sent; receipts must succeed.
"""

from __future__ import annotations

import argparse
import json
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ANVIL = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
SNARKJS = ROOT / "node_modules" / ".bin" / "snarkjs"
RESULTS = ROOT / "bench" / "results"
GAS = 12_000_000
ZERO = "0x" + "00" * 20
TOKEN_ID = 1

__all__ = ["measure", "main", "BATCH_SIZES"]

BATCH_SIZES = (1, 2, 4, 8, 16, 32)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _version(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=ROOT).stdout.strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "unknown"


class _Chain:
    """A web3 client on an anvil it started; `close()` ends that anvil."""

    def __init__(self, hardfork: str | None) -> None:
        from web3 import Web3

        if not ANVIL.is_file():
            raise SystemExit(f"anvil not installed at {ANVIL}; run `npm install`")
        port = _free_port()
        cmd = [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--gas-limit", "100000000"]
        if hardfork:
            cmd += ["--hardfork", hardfork]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.w3 = Web3(Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 120}))
        for _ in range(100):
            if self.proc.poll() is not None:
                raise SystemExit(f"anvil exited with status {self.proc.returncode}")
            if self.w3.is_connected():
                break
            time.sleep(0.1)
        else:
            self.close()
            raise SystemExit("anvil did not answer within 10 s")
        self.w3.eth.default_account = self.w3.eth.accounts[0]

    def close(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def deploy(self, artifact: dict, *args) -> tuple[Any, int]:
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        receipt = self.w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact({"gas": GAS}))
        if receipt.status != 1:
            raise RuntimeError("deployment failed")
        return self.w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"]), receipt.gasUsed

    def send(self, fn, sender: str | None = None) -> int:
        tx: dict = {"gas": GAS}
        if sender:
            tx["from"] = sender
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact(tx))
        if receipt.status != 1:
            raise RuntimeError(f"transaction {fn.fn_name} failed")
        return receipt.gasUsed


class _Keys:
    """Dev key, prover, witness calculator and both verifier sources for one circuit."""

    def __init__(self, name: str, workdir: Path) -> None:
        from hush.artifacts import circuit_files, ensure_dev_key
        from prover.formats.zkey import verification_key_json
        from prover.groth16 import Prover
        from prover.witness import WitnessCalculator
        from verifier.solidity import key_hash, solidity_verifier

        files = circuit_files(name)
        files.check_compiled()
        self.name = name
        self.zkey = ensure_dev_key(name)
        self.prover = Prover(self.zkey, self_check=False)
        self.wc = WitnessCalculator(files.wasm)
        self.vkey = verification_key_json(self.prover.zkey)
        self.key_hash = key_hash(self.vkey)
        from transfer.constants import SHAPES

        self.ours_src = solidity_verifier(self.vkey, levels=SHAPES[name].levels)
        out = workdir / f"{name}_snarkjs_verifier.sol"
        subprocess.run(
            [str(SNARKJS), "zkey", "export", "solidityverifier", str(self.zkey), str(out)],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        self.snarkjs_src = out.read_text()


def _python_verifies(vkey: dict, public: list, proof: dict) -> bool:
    from verifier.errors import VerificationError
    from verifier.groth16 import prepare_verifying_key, verify
    from verifier.keys import verifying_key_from_json

    try:
        verify(prepare_verifying_key(verifying_key_from_json(vkey)), public, proof)
    except VerificationError:
        return False
    return True


def _verify_args(proof: dict, public: list) -> tuple:
    from verifier.solidity import proof_to_evm

    a, b, c = proof_to_evm(proof)
    return list(a), [list(b[0]), list(b[1])], list(c), [int(s) for s in public]


def measure(hardfork: str | None = None) -> dict:
    """Deploy everything on a fresh anvil, send the transactions, return the figures."""
    from contracts.build import ARTIFACTS, SETTINGS, SOLC_VERSION, build, compile_source
    from transfer.constants import SHAPES
    from transfer.example import example_transfer
    from transfer.extdata import ExtData
    from transfer.inputs import InputNote, build_transfer_inputs, public_signals
    from transfer.keys import Keys
    from transfer.merkle import MerkleTree
    from transfer.notes import Note
    from verifier.solidity import proof_to_evm

    build()

    def artifact(name: str) -> dict:
        return json.loads((ARTIFACTS / f"{name}.json").read_text())

    result: dict[str, Any] = {"verifyProof": {}, "deploy": {}, "pool": {}}
    with tempfile.TemporaryDirectory() as tmp:
        keys = {name: _Keys(name, Path(tmp)) for name in ("transfer_2x2", "transfer_16x2")}
    chain = _Chain(hardfork)
    try:
        w3 = chain.w3
        node_info = w3.provider.make_request("anvil_nodeInfo", [])
        fork = (node_info.get("result") or {}).get("hardFork") or hardfork or "anvil default"
        hasher, g = chain.deploy(artifact("PoseidonT3"))
        result["deploy"]["PoseidonT3"] = g
        token, g = chain.deploy(artifact("TestToken"))
        verifiers: dict[str, Any] = {}
        for name, k in keys.items():
            ours, g_ours = chain.deploy(compile_source(k.ours_src)["Groth16Verifier"])
            theirs, g_theirs = chain.deploy(compile_source(k.snarkjs_src)["Groth16Verifier"])
            verifiers[name] = ours
            result["deploy"][f"verifier_{name}"] = {"hush": g_ours, "snarkjs": g_theirs}
            ex = example_transfer(name)
            res = k.prover.prove(k.wc.calculate_limbs(ex.inputs))
            proof, public = res.proof.to_json(), [str(s) for s in res.public_signals]
            if not _python_verifies(k.vkey, public, proof):
                raise RuntimeError(f"{name}: the Python verifier rejects the example proof")
            args = _verify_args(proof, public)
            if not (ours.functions.verifyProof(*args).call() and theirs.functions.verifyProof(*args).call()):
                raise RuntimeError(f"{name}: a verifier contract rejects the example proof")
            result["verifyProof"][name] = {
                "n_public": len(public),
                "key_sha256": k.key_hash,
                "hush": chain.send(ours.functions.verifyProof(*args)),
                "snarkjs_0.7.6": chain.send(theirs.functions.verifyProof(*args)),
            }
        result["poseidon_hash_tx"] = chain.send(hasher.functions.hash([1, 2]))

        levels = SHAPES["transfer_2x2"].levels
        pool, g = chain.deploy(
            artifact("ShieldedPool"),
            levels,
            hasher.address,
            token.address,
            verifiers["transfer_2x2"].address,
            verifiers["transfer_16x2"].address,
            10**6,
        )
        result["deploy"]["ShieldedPool"] = g
        depositor, recipient, relayer = w3.eth.accounts[1], w3.eth.accounts[2], w3.eth.accounts[3]
        chain.send(token.functions.mint(depositor, 10**6))
        chain.send(token.functions.approve(pool.address, 2**256 - 1), depositor)
        tree = MerkleTree(levels)
        alice = Keys.from_seed(b"bench gas alice".ljust(32, b"\0"))
        bob = Keys.from_seed(b"bench gas bob".ljust(32, b"\0"))

        def transact(circuit, spender, spent, outputs, public_amount, fee, sender, recipient_=ZERO, relayer_=ZERO):
            shape = SHAPES[circuit]
            depositor = sender if public_amount > 0 else ZERO
            ext = ExtData(
                recipient_, relayer_, fee, (b"\x01" * 120, b"\x02" * 120), w3.eth.chain_id, pool.address, depositor
            )
            inputs = build_transfer_inputs(
                shape=shape,
                root=tree.root,
                inputs=spent,
                outputs=outputs,
                public_amount=public_amount,
                ext_data=ext,
                authorizing_key=spender.proof_authorizing_key(),
                signer=spender.spending_key.sign,
            )
            k = keys[circuit]
            res = k.prover.prove(k.wc.calculate_limbs(inputs))
            sig = public_signals(inputs, shape)
            if res.public_signals != sig:
                raise RuntimeError("prover's public signals differ from the inputs builder's")
            a, b, c = proof_to_evm(res.proof.to_json())
            n = shape.n_ins
            proof = (list(a), [list(b[0]), list(b[1])], list(c), sig[0], sig[1], sig[3], sig[4 : 4 + n], sig[4 + n :])
            ext_t = ext.as_tuple()
            gas = chain.send(pool.functions.transact(proof, ext_t), sender)
            idx = [tree.insert(cm) for cm in proof[7]]
            if pool.functions.getLastRoot().call() != tree.root:
                raise RuntimeError("pool root differs from the Python tree twin")
            return gas, idx

        rows = result["pool"]
        # Warm-up deposit: the first insert writes every filledSubtrees slot from zero.
        first = Note(1, alice.address, 11, TOKEN_ID)
        g, _ = transact("transfer_2x2", alice, [], [first], 1, 0, depositor)
        rows["first_deposit_2x2"] = {"gasUsed": g, "tx": 1}
        note_a = Note(50, alice.address, 12, TOKEN_ID)
        g, idx_a = transact("transfer_2x2", alice, [], [note_a], 50, 0, depositor)
        rows["deposit_2x2"] = {"gasUsed": g, "tx": 2}
        note_b = Note(30, bob.address, 13, TOKEN_ID)
        change = Note(20, alice.address, 14, TOKEN_ID)
        spent = [InputNote(note_a, tree.path(idx_a[0]))]
        g, idx_b = transact("transfer_2x2", alice, spent, [note_b, change], 0, 0, relayer)
        rows["transfer_2x2"] = {"gasUsed": g, "tx": 3}
        spent = [InputNote(note_b, tree.path(idx_b[0]))]
        g, _ = transact(
            "transfer_2x2", bob, spent, [Note(3, bob.address, 15, TOKEN_ID)], -25, 2, relayer, recipient, relayer
        )
        rows["withdraw_2x2"] = {"gasUsed": g, "tx": 4, "note": "recipient's token balance written from zero"}
        note_c = Note(12, alice.address, 16, TOKEN_ID)
        g, idx_c = transact("transfer_16x2", alice, [], [note_c], 12, 0, depositor)
        rows["deposit_16x2"] = {"gasUsed": g, "tx": 5}
        spent = [InputNote(change, tree.path(idx_b[1])), InputNote(note_c, tree.path(idx_c[0]))]
        outs = [Note(10, alice.address, 17, TOKEN_ID)]
        g, _ = transact("transfer_16x2", alice, spent, outs, -20, 2, relayer, recipient, relayer)
        rows["withdraw_16x2"] = {"gasUsed": g, "tx": 6}
        result["batch"], result["batch_mixed"] = _measure_batches(
            chain,
            pool,
            keys,
            verifiers,
            tree,
            alice,
            bob,
            depositor,
            relayer,
            recipient,
            rows["transfer_2x2"]["gasUsed"],
        )
    finally:
        chain.close()

    result["setup"] = {
        "node": _version([str(ANVIL), "--version"]),
        "hardfork": fork,
        "solc": SOLC_VERSION,
        "solc_settings": {k: v for k, v in SETTINGS.items() if k != "outputSelection"},
        "snarkjs": json.loads((ROOT / "node_modules" / "snarkjs" / "package.json").read_text())["version"],
        "python": platform.python_version(),
        "tree_levels": levels,
        "ciphertext_bytes": 120,
        "note": "gasUsed of whole transactions (21000 intrinsic + calldata included), dev keys",
    }
    return result


def _measure_batches(chain, pool, keys, verifiers, tree, alice, bob, depositor, relayer, recipient, single: int):
    """transactBatch of N private transfers for each N in BATCH_SIZES, and one mixed 2x2/16x2 batch.

    The notes they spend are deposited first, 32 per transactBatch (those batches are recorded
    too); every transfer proof of every N is then made against the root after the deposits (a root
    stays known for 100 inserts), checked by the Python twin of verifyBatch before it is sent."""
    from transfer.constants import SHAPES
    from transfer.extdata import ExtData
    from transfer.inputs import InputNote, build_transfer_inputs, public_signals
    from transfer.notes import Note
    from verifier.solidity import batch_verify_evm, proof_to_evm, proof_to_evm_words

    w3 = chain.w3

    def prove(circuit, spender, spent, outputs, public_amount, fee=0, recipient_=ZERO, relayer_=ZERO):
        shape = SHAPES[circuit]
        depositor_ = depositor if public_amount > 0 else ZERO
        ext = ExtData(
            recipient_, relayer_, fee, (b"\x01" * 120, b"\x02" * 120), w3.eth.chain_id, pool.address, depositor_
        )
        inputs = build_transfer_inputs(
            shape=shape,
            root=tree.root,
            inputs=spent,
            outputs=outputs,
            public_amount=public_amount,
            ext_data=ext,
            authorizing_key=spender.proof_authorizing_key(),
            signer=spender.spending_key.sign,
        )
        k = keys[circuit]
        res = k.prover.prove(k.wc.calculate_limbs(inputs))
        sig = public_signals(inputs, shape)
        if res.public_signals != sig:
            raise RuntimeError("prover's public signals differ from the inputs builder's")
        js = res.proof.to_json()
        a, b, c = proof_to_evm(js)
        n = shape.n_ins
        proof = (list(a), [list(b[0]), list(b[1])], list(c), sig[0], sig[1], sig[3], sig[4 : 4 + n], sig[4 + n :])
        return proof, ext.as_tuple(), ([str(x) for x in sig], js)

    def settle(batch, sender) -> int:
        gas = chain.send(pool.functions.transactBatch([p for p, _, _ in batch], [e for _, e, _ in batch]), sender)
        idx = [[tree.insert(cm) for cm in p[7]] for p, _, _ in batch]
        if pool.functions.getLastRoot().call() != tree.root:
            raise RuntimeError("pool root differs from the Python tree twin after a batch")
        return gas, idx

    need = sum(BATCH_SIZES) + 15 + 2
    notes = [Note(1000 + k, alice.address, 50_000 + k, TOKEN_ID) for k in range(need)]
    deposits: dict[str, Any] = {}
    placed: list[int] = []
    for start in range(0, need, 32):
        chunk = notes[start : start + 32]
        batch = [prove("transfer_2x2", alice, [], [note], note.amount) for note in chunk]
        gas, idx = settle(batch, depositor)
        deposits[str(len(chunk))] = {"gasUsed": gas, "per_deposit": gas // len(chunk)}
        placed += [pair[0] for pair in idx]
    spendable = iter(zip(notes, placed, strict=True))

    def transfer_2x2():
        note, index = next(spendable)
        spent = [InputNote(note, tree.path(index))]
        outs = [
            Note(note.amount - 7, bob.address, note.blinding + 1, TOKEN_ID),
            Note(7, alice.address, note.blinding + 2, TOKEN_ID),
        ]
        return prove("transfer_2x2", alice, spent, outs, 0)

    vkey = keys["transfer_2x2"].vkey
    plans = {n: [transfer_2x2() for _ in range(n)] for n in BATCH_SIZES}
    mixed = [transfer_2x2() for _ in range(15)]
    two = [next(spendable) for _ in range(2)]
    spent16 = [InputNote(note, tree.path(index)) for note, index in two]
    total = sum(note.amount for note, _ in two)
    mixed.append(
        prove(
            "transfer_16x2",
            alice,
            spent16,
            [Note(10, alice.address, 99, TOKEN_ID)],
            -(total - 12),
            2,
            recipient,
            relayer,
        )
    )
    out: dict[str, Any] = {"deposit_batches": deposits}
    for n, batch in plans.items():
        batch_verify_evm(vkey, [item for _, _, item in batch])
        ver = verifiers["transfer_2x2"]
        words = [proof_to_evm_words(js) for _, _, (_, js) in batch]
        inputs = [[int(x) for x in pub] for _, _, (pub, _) in batch]
        verify_gas = chain.send(ver.functions.verifyBatch(words, inputs))
        gas, _ = settle(batch, relayer)
        out[str(n)] = {
            "gasUsed": gas,
            "per_transfer": gas // n,
            "share_of_single_transact": round(gas / n / single, 4),
            "verifyBatch_gasUsed": verify_gas,
            "verifyBatch_per_proof": verify_gas // n,
        }
    batch_verify_evm(keys["transfer_16x2"].vkey, [mixed[-1][2]])
    gas, _ = settle(mixed, relayer)
    out_mixed = {
        "gasUsed": gas,
        "transfers": "15 x transfer_2x2 + 1 x transfer_16x2 withdrawal with fee",
        "per_transfer": gas // 16,
    }
    return out, out_mixed


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.gas", description=__doc__.splitlines()[0])
    ap.add_argument("--hardfork", default=None, help="anvil --hardfork (default: anvil's own default)")
    ap.add_argument("--out", type=Path, default=RESULTS / "gas.json")
    a = ap.parse_args(argv)
    result = measure(a.hardfork)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(result, indent=1) + "\n")
    v = result["verifyProof"]
    print(f"{'':24}{'hush':>10}{'snarkjs':>10}")
    for name, row in v.items():
        print(f"verifyProof {name:12}{row['hush']:>10}{row['snarkjs_0.7.6']:>10}")
    for name, row in result["pool"].items():
        print(f"{name:24}{row['gasUsed']:>10}")
    single = result["pool"]["transfer_2x2"]["gasUsed"]
    print(f"{'transactBatch N':24}{'gasUsed':>10}{'per transfer':>14}{'of single':>11}{'verify/proof':>14}")
    for n in BATCH_SIZES:
        row = result["batch"][str(n)]
        print(
            f"{n:<24}{row['gasUsed']:>10}{row['per_transfer']:>14}{100 * row['per_transfer'] / single:>10.1f}%"
            f"{row['verifyBatch_per_proof']:>14}"
        )
    mixed = result["batch_mixed"]
    print(f"{'mixed 15x 2x2 + 1x 16x2':24}{mixed['gasUsed']:>10}{mixed['per_transfer']:>14}")
    print(f"wrote {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
