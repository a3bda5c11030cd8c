"""The Hush demo: a private payment on a local chain.

    python -m wallet.demo [--farm URL | --start-farm] [--api-key KEY]

Starts anvil on a free loopback port, deploys the test stablecoin (TestToken, 18 decimals), Poseidon,
the Groth16 verifier generated from the transfer_2x2 proving key and the ShieldedPool; then

    1. Alice deposits 100 from her public account,
    2. Alice pays Bob 30 privately; a relayer submits the transfer and earns a 0.10 fee,
    3. Bob withdraws 30 to a public address.

Each step prints its proof latency and gas; at the end the public and private balances are shown and
checked. Exit status 0 when every balance is as expected, 1 otherwise, 2 when the demo cannot run.
Proofs are made in this process (warm prover) unless --farm gives the prover farm's base URL, or
--start-farm (what `make demo` does) starts the farm on the embedded default for the demo's length
(`hush serve` on free loopback ports, a temporary job store and broker) and proves there.
The keys are development keys: never use them for value.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

__all__ = ["main", "run_demo", "DemoResult"]

DECIMALS = 18
UNIT = 10**DECIMALS


def fmt(amount: int) -> str:
    return f"{Decimal(amount) / UNIT:,.2f}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class DemoResult:
    def __init__(self) -> None:
        self.steps: list = []
        self.public: dict[str, int] = {}
        self.private: dict[str, int] = {}
        self.failures: list[str] = []
        self.pool = None
        self.deployment = None
        self.wallets: dict = {}
        self.seeds: dict[str, bytes] = {}
        self.accounts: dict[str, str] = {}

    @property
    def ok(self) -> bool:
        return not self.failures


def run_demo(w3, backend, workdir: Path, out=print, *, with_16x2: bool = False) -> DemoResult:
    """The demo's flow on a running chain `w3` (accounts unlocked, as anvil's are)."""
    from hush.artifacts import circuit_files, ensure_dev_key
    from prover.formats.zkey import read_zkey
    from verifier.keys import verification_key_json

    from .chain import PoolClient, Relayer, deploy_local
    from .keys import WalletKeys
    from .seedfile import new_seed
    from .store import NoteStore
    from .wallet import VerifyingKeys, Wallet

    res = DemoResult()
    accounts = w3.eth.accounts
    deployer, alice_eth, relayer_eth, bob_public = accounts[0], accounts[1], accounts[2], accounts[3]

    t0 = time.perf_counter()
    zkey = ensure_dev_key("transfer_2x2")
    vkeys = {"transfer_2x2": verification_key_json(read_zkey(zkey))}
    if with_16x2 and circuit_files("transfer_16x2").zkey.is_file():
        vkeys["transfer_16x2"] = verification_key_json(read_zkey(circuit_files("transfer_16x2").zkey))
    dep = deploy_local(w3, deployer, vkeys)
    pool = PoolClient(w3, dep.pool)
    out(f"deployed on chain {pool.chain_id}: token {dep.token}, pool {dep.pool} "
        f"(verifiers: {', '.join(vkeys)}) in {time.perf_counter() - t0:.1f} s")
    pool.send(pool.token.functions.mint(alice_eth, 100 * UNIT), deployer)

    pvks = VerifyingKeys()
    res.seeds = {"alice": new_seed(), "bob": new_seed()}
    alice = Wallet(WalletKeys.from_seed(res.seeds["alice"]), pool, NoteStore(workdir / "alice.db"), backend,
                   start_block=dep.block, verifying_keys=pvks)
    bob = Wallet(WalletKeys.from_seed(res.seeds["bob"]), pool, NoteStore(workdir / "bob.db"), backend,
                 start_block=dep.block, verifying_keys=pvks)
    relayer = Relayer(pool, relayer_eth)
    res.pool, res.deployment, res.wallets = pool, dep, {"alice": alice, "bob": bob}
    res.accounts = {"alice": alice_eth, "relayer": relayer_eth, "bob_public": bob_public, "deployer": deployer}
    out(f"Alice  {alice.address.encode()[:24]}...  public account {alice_eth}")
    out(f"Bob    {bob.address.encode()[:24]}...  public withdrawal address {bob_public}")
    out(f"relayer {relayer.address}")

    def step(n: int, text: str, r) -> None:
        res.steps.append(r)
        out(f"{n}. {text}: proof {r.proof_seconds:.2f} s ({r.proof_source}, {r.circuit}), gas {r.gas_used:,}, "
            f"tx {r.tx[:18]}... block {r.block}")

    step(1, "Alice deposits 100.00", alice.deposit(100 * UNIT, alice_eth))
    fee = UNIT // 10
    step(2, "Alice pays Bob 30.00 privately, fee 0.10 to the relayer",
         alice.send(bob.address, 30 * UNIT, fee=fee, relayer=relayer))
    bob.sync()
    step(3, f"Bob withdraws 30.00 to {bob_public}", bob.withdraw(30 * UNIT, bob_public, sender=bob_public))
    alice.sync()
    bob.sync()

    res.public = {
        "Alice (public)": pool.balance_of(alice_eth),
        "relayer": pool.balance_of(relayer_eth),
        "Bob's public address": pool.balance_of(bob_public),
        "pool": pool.balance_of(pool.address),
    }
    res.private = {"Alice (shielded)": alice.balance(), "Bob (shielded)": bob.balance()}
    expected = {
        "Alice (public)": 0,
        "relayer": fee,
        "Bob's public address": 30 * UNIT,
        "pool": 70 * UNIT - fee,
        "Alice (shielded)": 70 * UNIT - fee,
        "Bob (shielded)": 0,
    }
    out("final balances (HTT):")
    for name, value in {**res.public, **res.private}.items():
        good = value == expected[name]
        out(f"  {name:<22} {fmt(value):>10}  {'ok' if good else f'WRONG, expected {fmt(expected[name])}'}")
        if not good:
            res.failures.append(f"{name}: {value} != {expected[name]}")
    return res


def start_farm(timeout: float = 600.0, circuits: str = "transfer_2x2") -> tuple[subprocess.Popen, str]:
    """`hush serve --circuits <circuits>` on free loopback ports with a temporary farm directory;
    returns the process and the REST base URL once every worker is warm."""
    import os

    import httpx

    rest, grpc = free_port(), free_port()
    farm_dir = tempfile.mkdtemp(prefix="hush-demo-farm-")
    env = {**os.environ, "HUSH_FARM_DIR": farm_dir, "HUSH_REST_ADDR": f"127.0.0.1:{rest}",
           "HUSH_GRPC_ADDR": f"127.0.0.1:{grpc}", "HUSH_CIRCUITS": circuits}
    log = open(Path(farm_dir) / "serve.log", "wb")  # noqa: SIM115 (lives as long as the farm)
    proc = subprocess.Popen([sys.executable, "-m", "hush.cli", "serve", "--circuits", circuits], env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{rest}"
    t0 = time.perf_counter()
    print(f"starting the prover farm at {url} (gRPC 127.0.0.1:{grpc}); workers warming up...", flush=True)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the farm exited ({proc.returncode}); see {farm_dir}/serve.log")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.perf_counter() - t0 > timeout:
            stop_farm(proc)
            raise TimeoutError(f"the farm was not ready after {timeout:.0f} s; see {farm_dir}/serve.log")
        time.sleep(0.5)
    print(f"farm ready in {time.perf_counter() - t0:.1f} s", flush=True)
    return proc, url


def stop_farm(proc: subprocess.Popen) -> None:
    import os
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m wallet.demo", description="Hush: a private payment on anvil.")
    ap.add_argument("--farm", metavar="URL", help="prover farm base URL (default: prove in this process)")
    ap.add_argument("--start-farm", action="store_true",
                    help="start the prover farm (embedded default) for the demo and prove there")
    ap.add_argument("--api-key", help="the farm's X-API-Key")
    ap.add_argument("--deadline", type=float, default=None,
                    help="seconds the farm may take per proof (default: the farm's budget, 5 s)")
    ap.add_argument("--with-16x2", action="store_true", help="also deploy the transfer_16x2 verifier")
    a = ap.parse_args(argv)

    from .backends import FarmClient, LocalProver
    from .chain import start_anvil, stop_process

    farm_proc = None
    if a.start_farm and not a.farm:
        try:
            farm_proc, a.farm = start_farm()
        except (RuntimeError, TimeoutError) as e:
            print(f"demo: {e}", file=sys.stderr)
            return 2
    if a.farm:
        backend = FarmClient(a.farm, api_key=a.api_key, deadline_s=a.deadline)
        print(f"proving on the farm at {a.farm}")
    else:
        backend = LocalProver.shared()
        t0 = time.perf_counter()
        try:
            backend.warm("transfer_2x2")
        except FileNotFoundError as e:
            print(f"demo: {e}", file=sys.stderr)
            return 2
        print(f"local prover for transfer_2x2 loaded and warmed in {time.perf_counter() - t0:.1f} s")
    try:
        try:
            proc, w3 = start_anvil(free_port())
        except (FileNotFoundError, RuntimeError) as e:
            print(f"demo: {e}", file=sys.stderr)
            return 2
        try:
            with tempfile.TemporaryDirectory(prefix="hush-demo-") as tmp:
                res = run_demo(w3, backend, Path(tmp), with_16x2=a.with_16x2)
        finally:
            stop_process(proc)
    finally:
        if farm_proc is not None:
            stop_farm(farm_proc)
    if not res.ok:
        print("DEMO FAILED: " + "; ".join(res.failures))
        return 1
    print("demo passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
