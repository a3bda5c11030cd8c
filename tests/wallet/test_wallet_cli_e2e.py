"""The command-line wallet as a person uses it: in a terminal (a pseudo-terminal answers the
passphrase prompts), on anvil, with a pool deployed by `hush pool deploy`.

The README's wallet section is run command by command (its code block, with only the node's port
changed): deploy, init, deposit -> send -> withdraw, balance, history. Then, on the same chain, each
mistake a user makes gets its exact message and exit status, and nothing is proven or sent
(the chain's block number does not move). Three proofs in all, one chain for the module.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

pexpect = pytest.importorskip("pexpect")

pytestmark = [pytest.mark.circuits, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PASSPHRASE = "correct horse battery staple"
README_RPC = "http://127.0.0.1:8545"
ALICE_ETH = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"  # anvil's accounts 1, 2, 3 (the README's)
RELAYER = "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
BOB_ETH = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"
UNIT = 10**18


def readme_commands() -> list[str]:
    """The code block of the README's 'From a terminal' section, one command a line."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### From a terminal: deploy a pool, deposit, pay, withdraw"):]
    block = section[section.index("```\n") + 4:]
    return [line for line in block[: block.index("```")].splitlines() if line.strip()]


def terminal(line: str, cwd: Path, env: dict[str, str], passphrase: str = PASSPHRASE,
             timeout: float = 1800) -> tuple[int, str, int]:
    """Run `line` with bash in a pseudo-terminal, typing `passphrase` at each prompt; returns
    (exit status, what the terminal showed, number of prompts)."""
    child = pexpect.spawn("bash", ["-c", line], cwd=str(cwd), env=env, encoding="utf-8", timeout=timeout)
    shown, prompts = [], 0
    while child.expect([r"passphrase[^\n]*: ", pexpect.EOF]) == 0:
        shown.append(child.before + child.after)
        prompts += 1
        child.sendline(passphrase)
    shown.append(child.before)
    child.close()
    status = child.exitstatus if child.exitstatus is not None else 128 + (child.signalstatus or 0)
    return status, "".join(shown).replace("\r\n", "\n"), prompts


@pytest.fixture(scope="module")
def chain():
    from hush.artifacts import circuit_files
    from wallet.chain import start_anvil, stop_process
    from wallet.demo import free_port

    if not circuit_files("transfer_2x2").wasm.is_file():
        pytest.skip("transfer_2x2 is not compiled (make circuits)")
    if not (BIN / "hush").is_file():
        pytest.skip(f"no hush command beside {sys.executable}")
    try:
        proc, w3 = start_anvil(free_port())
    except FileNotFoundError as e:
        pytest.skip(str(e))
    yield w3
    stop_process(proc)


@pytest.fixture(scope="module")
def user(chain, tmp_path_factory):
    """The README's path, run in a terminal; returns (work dir, env, rpc, {command: (status, output)})."""
    cwd = tmp_path_factory.mktemp("user")
    rpc = chain.provider.endpoint_uri
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUSH_")}
    env |= {"PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}", "HOME": str(cwd), "COLUMNS": "200",
            "NUMBA_CACHE_DIR": os.environ.get("NUMBA_CACHE_DIR", str(ROOT / "build" / "numba-cache"))}
    if "HUSH_BUILD_DIR" in os.environ:
        env["HUSH_BUILD_DIR"] = os.environ["HUSH_BUILD_DIR"]
    steps: dict[str, tuple[int, str, int]] = {}
    for line in readme_commands():
        steps[line] = terminal(line.replace(README_RPC, rpc), cwd, env)
        if steps[line][0] != 0:
            break
    return cwd, env, rpc, steps


def step(user, prefix: str) -> tuple[int, str, int]:
    matches = [v for k, v in user[3].items() if k.startswith(prefix)]
    assert matches, f"no README command starts with {prefix!r}"
    return matches[0]


def test_readme_path_deposit_send_withdraw(user, chain):
    cwd, _, _, steps = user
    failed = {k: v for k, v in steps.items() if v[0] != 0}
    assert not failed, failed
    assert len(steps) == len(readme_commands())
    assert "Traceback" not in "".join(out for _, out, _ in steps.values())
    deploy = step(user, "hush pool deploy")[1]
    assert f"minted 100.00 HTT to {ALICE_ETH}" in deploy and "wrote hush-deployment.json" in deploy
    info = step(user, "hush pool info")[1]
    assert re.search(r"^pool\s+0x[0-9a-fA-F]{40}$", info, re.M) and "transfer_2x2 vkey_sha256" in info
    status, init, prompts = step(user, "hush wallet init --wallet alice.json")
    assert prompts == 2 and "scanning from block" in init  # new passphrase, and again
    bob = step(user, "hush wallet address --wallet bob.json")
    assert bob[2] == 0 and re.fullmatch(r"hush1[a-z2-7]{111}", bob[1].strip())  # no prompt, no chain
    deposit = step(user, "hush wallet deposit")
    assert deposit[2] == 1 and f"deposited 100.00 HTT from {ALICE_ETH}" in deposit[1]
    send = step(user, "hush wallet send")[1]
    assert "sent 30.00 HTT to hush1" in send and "fee 0.10 HTT to the relayer" in send
    assert f"sent by {RELAYER} (relayer)" in send and "shielded balance 69.90 HTT" in send
    withdraw = step(user, "hush wallet withdraw")[1]
    assert f"withdrew 30.00 HTT to {BOB_ETH}" in withdraw and "shielded balance 0.00 HTT" in withdraw
    balance = step(user, "hush wallet balance")[1].strip().splitlines()
    assert balance[-2] == "69.90 HTT shielded, in 1 note"
    assert re.fullmatch(r"\s*69\.90 HTT  change of a send, block \d+ \(leaf 3\)", balance[-1])
    # the money moved on chain as the README says
    from wallet.chain import PoolClient

    dep = json.loads((cwd / "hush-deployment.json").read_text())
    pool = PoolClient(chain, dep["contracts"]["pool"])
    assert pool.balance_of(BOB_ETH) == 30 * UNIT and pool.balance_of(RELAYER) == UNIT // 10
    assert pool.balance_of(ALICE_ETH) == 0 and pool.balance_of(pool.address) == 70 * UNIT - UNIT // 10


def _history_lines(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", ln.split("  (tx")[0]).strip() for ln in text.splitlines() if ln.startswith("block")]


def test_history_in_chain_order(user):
    status, out, prompts = step(user, "hush wallet history")
    assert status == 0 and prompts == 0
    lines = _history_lines(out)
    kinds = [ln.split()[2] for ln in lines]
    assert kinds == ["deposit", "note", "sent", "change"]
    blocks = [int(ln.split()[1]) for ln in lines]
    assert blocks == sorted(blocks) and blocks[0] < blocks[2]
    assert lines[0].endswith(f"deposit 100.00 HTT from {ALICE_ETH}")
    assert lines[2].split(" ", 2)[2].startswith("sent 30.00 HTT to hush1") and lines[2].endswith("fee 0.10 HTT")
    assert lines[3].endswith("change 69.90 HTT at leaf 3, unspent")
    assert re.search(r"note 100\.00 HTT at leaf 0, spent in block \d+$", lines[1])


def test_bobs_history_after_a_sync(user):
    cwd, env, _, _ = user
    status, out, prompts = terminal("hush wallet history --sync --wallet bob.json", cwd, env)
    assert (status, prompts) == (0, 1), out
    lines = _history_lines(out)
    assert [ln.split()[2] for ln in lines] == ["received", "withdrew"]
    assert re.search(r"received 30\.00 HTT at leaf 2, spent in block \d+$", lines[0])
    assert lines[1].endswith(f"withdrew 30.00 HTT to {BOB_ETH}")


def test_history_reads_the_local_store_offline(user):
    """No chain (a dead --rpc), no passphrase, no terminal: the same history."""
    cwd, env, _, _ = user
    dead = "http://127.0.0.1:9"
    r = subprocess.run([str(BIN / "hush"), "wallet", "history", "--wallet", "alice.json", "--rpc", dead],
                       cwd=cwd, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert r.returncode == 0, r.stderr
    assert _history_lines(r.stdout) == _history_lines(step(user, "hush wallet history")[1])


def test_commands_that_do_not_prove_import_no_prover(user):
    """balance (which talks to the chain), address and history import neither numba nor the prover."""
    cwd, env, _, _ = user
    probe = (
        "import sys\nfrom hush.cli import main\n"
        "for cmd in (['balance'], ['address'], ['history']):\n"
        "    assert main(['wallet', *cmd, '--wallet', 'alice.json']) == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite', 'prover', 'service'))\n"
        "print('HEAVY', heavy)\n"
    )
    r = subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env | {"HUSH_WALLET_PASSPHRASE": PASSPHRASE,
                       "PYTHONPATH": str(ROOT)}, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "HEAVY []" in r.stdout, r.stdout


def _mint(user, chain, account: str, whole: int) -> None:
    cwd, env, _, _ = user
    status, out, _ = terminal(f"hush pool mint {whole} {account}", cwd, env)
    assert status == 0, out


MISTAKES = [
    # (command, exit status, the exact line on stderr)
    ("hush wallet withdraw 30 0x90F79bf6EB2c4f870365E785982E1f101E93b907 --wallet alice.json", 2,
     "hush wallet: recipient 0x90F79bf6EB2c4f870365E785982E1f101E93b907 fails its EIP-55 checksum: "
     "it is mistyped or altered (nothing was proven or sent)"),
    ("hush wallet withdraw 30 0x90f79bf6eb2c4f870365e785982e1f101e93b906 --wallet alice.json", 2,
     "hush wallet: recipient 0x90f79bf6eb2c4f870365e785982e1f101e93b906 is written in one case only, so it has "
     "no EIP-55 checksum to catch a typo: compare it with the source and pass --allow-unchecked-address, "
     "or paste the checksummed form"),
    ("hush wallet withdraw 30 90F79bf6EB2c4f870365E785982E1f101E93b906 --wallet alice.json", 2,
     "hush wallet: recipient 90F79bf6EB2c4f870365E785982E1f101E93b906: an Ethereum address starts with 0x "
     "(lower-case x)"),
    (f"hush wallet withdraw 30 {BOB_ETH} --relayer 0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC --fee 0.1 "
     "--wallet alice.json", 2,
     "hush wallet: --relayer 0x3c44CdDdB6a900fa2b585dd299e03d12FA4293BC fails its EIP-55 checksum: "
     "it is mistyped or altered (nothing was proven or sent)"),
    (f"hush wallet deposit 5 --from {ALICE_ETH.lower()} --wallet alice.json", 2,
     f"hush wallet: --from {ALICE_ETH.lower()} is written in one case only, so it has no EIP-55 checksum to "
     "catch a typo: compare it with the source and pass --allow-unchecked-address, or paste the checksummed form"),
    ("hush wallet send HUSH1AES 1 --wallet alice.json", 2, "hush wallet: address: expected 116 characters, got 8"),
    ("hush wallet send hush1AEs 1 --wallet alice.json", 2,
     "hush wallet: address: mixes upper and lower case (write it all in one case)"),
    (f"hush wallet withdraw 0.0000000000000000001 {BOB_ETH} --wallet alice.json", 2,
     "hush wallet: amount: 0.0000000000000000001 has more than the token's 18 decimals"),
    (f"hush wallet withdraw 1 {BOB_ETH} --fee 0.01 --wallet alice.json", 2,
     "hush wallet: --fee needs --relayer (the account that submits the transfer and is paid the fee)"),
    # past the address checks, refused before proving (exit 1)
    (f"hush wallet withdraw 500.10 {BOB_ETH} --wallet alice.json", 1,
     "hush wallet: shielded balance 69.90 HTT does not cover 500.10 HTT; nothing was proven or sent"),
    (f"hush wallet withdraw 500 {BOB_ETH.lower()} --allow-unchecked-address --relayer {RELAYER} --fee 0.10 "
     "--wallet alice.json", 1,
     "hush wallet: shielded balance 69.90 HTT does not cover 500.10 HTT (500.00 HTT + fee 0.10 HTT); "
     "nothing was proven or sent"),
    (f"hush wallet deposit 50 --from {BOB_ETH} --wallet alice.json", 1,
     f"hush wallet: {BOB_ETH}'s public balance 30.00 HTT does not cover 50.00 HTT; nothing was proven or sent"),
    ("hush wallet deposit 1 --from 0x000000000000000000000000000000000000dEaD --wallet alice.json", 1,
     "hush wallet: depositor 0x000000000000000000000000000000000000dEaD cannot sign here: it is not one of the "
     "node's unlocked accounts and not HUSH_ETH_PRIVATE_KEY's"),
    ("hush wallet balance --wallet alice.json --rpc http://127.0.0.1:9", 1,
     "hush wallet: no Ethereum node answers at http://127.0.0.1:9 (ConnectError): start one (anvil) or pass --rpc"),
]


@pytest.mark.parametrize("line, status, message", MISTAKES, ids=[f"mistake{i}" for i in range(len(MISTAKES))])
def test_mistakes_are_refused_before_proving(user, chain, line, status, message):
    cwd, env, _, steps = user
    assert all(v[0] == 0 for v in steps.values()), "the README path failed"
    block = chain.eth.block_number
    got, out, _ = terminal(line, cwd, env)
    assert (got, out.strip().splitlines()[-1]) == (status, message), out
    assert "Traceback" not in out
    assert chain.eth.block_number == block  # nothing was sent


def test_unreachable_farm_is_reported_at_once(user, chain):
    cwd, env, _, _ = user
    _mint(user, chain, ALICE_ETH, 1)
    from wallet.demo import free_port

    url = f"http://127.0.0.1:{free_port()}"
    block = chain.eth.block_number
    t0 = time.monotonic()
    status, out, _ = terminal(f"hush wallet deposit 1 --from {ALICE_ETH} --prover {url} --wallet alice.json", cwd, env)
    elapsed = time.monotonic() - t0
    assert (status, out.strip().splitlines()[-1]) == (
        1, f"hush wallet: no prover farm answers at {url} (ConnectError): start `hush serve` or use `--prover local`"
    ), out
    assert elapsed < 10  # not after the client's 13-17 s of retries (a generous bound on a shared machine)
    assert chain.eth.block_number == block


def test_wrong_passphrase(user, chain):
    cwd, env, _, _ = user
    status, out, prompts = terminal("hush wallet balance --wallet alice.json", cwd, env, passphrase="not it")
    assert (status, prompts) == (2, 1)
    assert out.strip().splitlines()[-1] == "hush wallet: wrong passphrase, or the wallet file was altered"


def test_help_names_the_settings_and_the_default_sender(user):
    cwd, env, _, _ = user
    for cmd in ("hush wallet -h", "hush wallet withdraw -h"):
        status, out, _ = terminal(cmd, cwd, env)
        assert status == 0
        flat = " ".join(out.split())
        for needed in ("HUSH_WALLET_PASSPHRASE", "HUSH_ETH_PRIVATE_KEY",
                       "Without either, the sender is HUSH_ETH_PRIVATE_KEY's account, else the node's first account",
                       "exit status: 0 done; 1 refused or failed"):
            assert needed in flat, (cmd, needed)


def test_private_key_account_is_the_default_sender(user, chain):
    """With HUSH_ETH_PRIVATE_KEY set and no --from, its account sends (and is named in the refusal)."""
    from eth_account import Account

    cwd, env, _, _ = user
    key = "0x" + "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a"  # anvil's account 4
    account = Account.from_key(key).address
    block = chain.eth.block_number
    status, out, _ = terminal("hush wallet deposit 1 --wallet alice.json", cwd, env | {"HUSH_ETH_PRIVATE_KEY": key})
    assert (status, out.strip().splitlines()[-1]) == (
        1, f"hush wallet: {account}'s public balance 0.00 HTT does not cover 1.00 HTT; nothing was proven or sent"
    ), out
    assert chain.eth.block_number == block


class StubFarm:
    """An HTTP server answering /readyz and /v1/circuits as a farm would (and nothing else)."""

    def __init__(self, ready: int, circuits: list[dict]) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        stub = self
        self.paths: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                stub.paths.append(self.path)
                status, body = {"/readyz": (ready, {"status": "ready" if ready == 200 else "warming"}),
                                "/v1/circuits": (200, {"circuits": circuits})}.get(self.path, (404, {}))
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:  # noqa: N802
                stub.paths.append("POST " + self.path)
                self.send_response(500)
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_farm_not_ready_or_with_another_key_is_refused_before_proving(user, chain):
    from contracts.deploy import vkey_sha256

    cwd, env, _, _ = user
    _mint(user, chain, ALICE_ETH, 1)
    deposit = f"hush wallet deposit 1 --from {ALICE_ETH} --wallet alice.json --prover "
    other_key = {"protocol": "groth16", "curve": "bn128", "nPublic": 8}
    ours = json.loads((cwd / "hush-deployment.json").read_text())["verifying_keys"]["transfer_2x2"]
    cases = [
        (StubFarm(503, []), "is not ready (/readyz 503: workers warming up or gone): wait, or use `--prover local`"),
        (StubFarm(200, [{"id": "transfer_2x2", "verification_key": other_key}]),
         f"proves transfer_2x2 with another key than the pool verifies (vkey sha256 {vkey_sha256(other_key)[:12]}…, "
         f"the pool's {ours['vkey_sha256'][:12]}…): the pool would reject its proofs"),
        (StubFarm(200, [{"id": "transfer_16x2", "verification_key": other_key}]),
         "does not prove transfer_2x2 (it has transfer_16x2)"),
    ]
    for farm, message in cases:
        block = chain.eth.block_number
        try:
            status, out, _ = terminal(deposit + farm.url, cwd, env)
        finally:
            farm.close()
        assert (status, out.strip().splitlines()[-1]) == (1, f"hush wallet: the prover farm at {farm.url} {message}")
        assert not any(p.startswith("POST") for p in farm.paths)  # no proof was asked for
        assert chain.eth.block_number == block
