"""The command-line wallet without a chain: address checks (EIP-55, hush1 case), amounts in the
token's units, the deployment file, errors as one line with the promised exit status, and commands
that do not prove staying light (no numba, no prover, no web3)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from contracts.deploy import Deployment, DeploymentError, read_deployment, vkey_sha256, write_deployment
from wallet.addresses import EthAddressError, checksum, parse_eth_address, to_checksum
from wallet.cli import CliError, Units, parse_amount
from wallet.keys import Address, AddressError, WalletKeys

ROOT = Path(__file__).resolve().parents[2]

# EIP-55's own test vectors: mixed case, and addresses whose checksummed form is in one case
EIP55 = [
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed",
    "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB",
    "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886E0F7030069857D2E4169EE7",
    "0x8617E340B3D01FA5F11F306F4090FD50E238070D",
    "0xde709f2102306220921060314715629080e2fb77",
    "0x27b1fdb04752bbc536007a920d24acb045561c26",
]
BOB = "0x90F79bf6EB2c4f870365E785982E1f101E93b906"


@pytest.mark.parametrize("address", EIP55)
def test_eip55_vectors(address):
    assert to_checksum(address.lower()) == address
    assert parse_eth_address(address) == address


def test_eip55_agrees_with_eth_utils():
    from eth_utils import to_checksum_address

    for i in range(200):
        a = "0x" + bytes([(i * 37 + j * 11) % 256 for j in range(20)]).hex()
        assert to_checksum(a) == to_checksum_address(a) == checksum(a.upper().replace("0X", "0x"))


def test_every_single_case_flip_is_caught():
    """The issue's mistake: …b907 for …b906, and every one-letter case change of a real address."""
    with pytest.raises(EthAddressError, match="fails its EIP-55 checksum: it is mistyped or altered"):
        parse_eth_address(BOB[:-1] + "7", "recipient")
    letters = [i for i, c in enumerate(BOB) if i > 1 and c.isalpha()]
    for i in letters:
        flipped = BOB[:i] + BOB[i].swapcase() + BOB[i + 1:]
        with pytest.raises(EthAddressError, match="fails its EIP-55 checksum"):
            parse_eth_address(flipped)


@pytest.mark.parametrize(
    "text, message",
    [
        (BOB.lower(), "recipient 0x90f79bf6eb2c4f870365e785982e1f101e93b906 is written in one case only, so it has "
                      "no EIP-55 checksum to catch a typo"),
        ("0x" + BOB[2:].upper(), "is written in one case only"),
        (BOB[2:], "recipient 90F79bf6EB2c4f870365E785982E1f101E93b906: an Ethereum address starts with 0x "
                  "(lower-case x)"),
        ("0X" + BOB[2:], "starts with 0x"),
        (BOB[:-1], "expected 0x and 40 hex digits, got 39 characters"),
        (BOB + "0", "got 41 characters"),
        (BOB[:-1] + "g", "'g' are not hex digits"),
        ("bob.eth", "recipient 'bob.eth': expected an Ethereum address, 0x and 40 hex digits"),
        ("", "expected an Ethereum address"),
    ],
)
def test_malformed_eth_addresses(text, message):
    with pytest.raises(EthAddressError) as e:
        parse_eth_address(text, "recipient")
    assert message in str(e.value)


def test_one_case_only_with_the_flag():
    assert parse_eth_address(BOB.lower(), allow_unchecked=True) == BOB
    assert parse_eth_address("0x" + BOB[2:].upper(), allow_unchecked=True) == BOB
    with pytest.raises(EthAddressError, match="checksum"):  # the flag never excuses a wrong mixed case
        parse_eth_address(BOB[:-1] + "7", allow_unchecked=True)


def test_hush1_upper_case_is_the_same_address():
    keys = WalletKeys.from_seed(bytes(range(32)))
    text = keys.address.encode()
    assert Address.parse(text.upper()) == Address.parse(text) == keys.address
    with pytest.raises(AddressError, match="mixes upper and lower case"):
        Address.parse(text[:20] + text[20:].upper())
    with pytest.raises(AddressError, match="checksum mismatch"):  # upper case keeps the checksum's power
        Address.parse((text[:-1] + ("a" if text[-1] != "a" else "b")).upper())


@pytest.mark.parametrize(
    "units, shown",
    [(0, "0.00 HTT"), (10**18, "1.00 HTT"), (699 * 10**17, "69.90 HTT"), (1, "0.000000000000000001 HTT"),
     (123456789 * 10**15, "123,456.789 HTT"), (5 * 10**17, "0.50 HTT")],
)
def test_amounts_in_the_users_units(units, shown):
    u = Units(18, "HTT")
    assert u(units) == shown
    assert u.parse(shown.split()[0].replace(",", "")) == units


@pytest.mark.parametrize(
    "text, message",
    [("-1", "expected a positive number"), ("abc", "expected a number such as 30 or 0.10, got 'abc'"),
     ("nan", "expected a number"), ("inf", "expected a number"),
     ("0.0000000000000000001", "0.0000000000000000001 has more than the token's 18 decimals")],
)
def test_bad_amounts(text, message):
    with pytest.raises(CliError, match=message):
        parse_amount(text, 18)


def _deployment() -> Deployment:
    return Deployment(
        token="0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512", pool="0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
        hasher="0x5FbDB2315678afecb367f032d93F642f64180aa3", verifier_2x2="0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
        verifier_16x2="0x" + "00" * 20, block=4, chain_id=31337, deployer="0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
        token_symbol="HTT", token_decimals=18, test_token=True, rpc="http://127.0.0.1:8545",
        verifying_keys={"transfer_2x2": {"vkey_sha256": vkey_sha256({"protocol": "groth16"})}},
    )


def test_deployment_file_round_trip(tmp_path):
    dep = _deployment()
    path = write_deployment(dep, tmp_path / "d.json")
    assert read_deployment(path) == dep
    doc = json.loads(path.read_text())
    assert doc["start_block"] == 4 and doc["chain_id"] == 31337 and doc["contracts"]["pool"] == dep.pool
    with pytest.raises(DeploymentError, match="no deployment file"):
        read_deployment(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text(json.dumps({"version": 1, "contracts": {}}))
    with pytest.raises(DeploymentError, match="malformed deployment file"):
        read_deployment(tmp_path / "bad.json")


def _hush(*args: str, cwd: Path, env: dict[str, str] | None = None, probe: bool = False):
    """Run `hush ARGS` in a fresh interpreter; with `probe`, also print which heavy modules it imported."""
    code = "import sys\nfrom hush.cli import main\nrc = main(sys.argv[1:])\n"
    if probe:
        code += ("heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
                 "('numba', 'llvmlite', 'prover', 'service', 'web3'))\nprint('HEAVY', heavy, file=sys.stderr)\n")
    code += "sys.exit(rc)\n"
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("HUSH_")} | {"PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", code, *args], cwd=cwd, env=full_env | (env or {}),
                          capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


@pytest.fixture
def wallet_dir(tmp_path):
    write_deployment(_deployment(), tmp_path / "hush-deployment.json")
    r = _hush("wallet", "init", "--wallet", "w.json", "--kdf", "interactive", cwd=tmp_path,
              env={"HUSH_WALLET_PASSPHRASE": "pw"})
    assert r.returncode == 0, r.stderr
    return tmp_path


def test_init_reads_the_deployment_file(wallet_dir):
    config = json.loads((wallet_dir / "w.json").read_text())["config"]
    assert config["pool"] == _deployment().pool and config["start_block"] == 4 and config["chain_id"] == 31337
    assert config["token_symbol"] == "HTT" and config["rpc"] == "http://127.0.0.1:8545"


def test_light_commands_import_no_prover_nor_web3(wallet_dir):
    """address, history (offline) and pool info: no numba, no prover, not even web3."""
    for args in (["wallet", "address", "--wallet", "w.json"], ["wallet", "history", "--wallet", "w.json"],
                 ["pool", "info"]):
        r = _hush(*args, cwd=wallet_dir, probe=True)
        assert r.returncode == 0, r.stderr
        assert "HEAVY []" in r.stderr, (args, r.stderr)
    assert _hush("wallet", "address", "--wallet", "w.json", cwd=wallet_dir).stdout.startswith("hush1")
    assert "no history yet" in _hush("wallet", "history", "--wallet", "w.json", cwd=wallet_dir).stdout
    info = _hush("pool", "info", cwd=wallet_dir).stdout
    assert re.search(r"^start block +4$", info, re.M) and re.search(r"^chain id +31337$", info, re.M)
    assert "HTT, 18 decimals, test token: anyone can mint" in info


@pytest.mark.parametrize(
    "args, status, message",
    [
        # checked before the chain is touched: the wallet's node (port 8545 here) need not exist
        (["wallet", "withdraw", "30", BOB[:-1] + "7", "--wallet", "w.json"], 2,
         f"hush wallet: recipient {BOB[:-1]}7 fails its EIP-55 checksum: it is mistyped or altered "
         "(nothing was proven or sent)"),
        (["wallet", "send", "hush1x", "1", "--wallet", "w.json"], 2, "hush wallet: address: expected 116 characters, "
         "got 6"),
        (["wallet", "deposit", "1", "--from", BOB.lower(), "--wallet", "w.json"], 2,
         f"hush wallet: --from {BOB.lower()} is written in one case only"),
        (["wallet", "balance", "--wallet", "w.json", "--pool", BOB.lower()], 2,
         f"hush wallet: --pool {BOB.lower()} is written in one case only"),
        (["wallet", "balance", "--wallet", "nope.json"], 2,
         "hush wallet: nope.json: no wallet file (run `wallet init`)"),
        (["wallet", "init", "--wallet", "w.json"], 2, "hush wallet: w.json exists (use --force to overwrite it, "
         "or --wallet for another file)"),
        (["wallet", "balance", "--wallet", "w.json", "--rpc", "http://127.0.0.1:9"], 1,
         "hush wallet: no Ethereum node answers at http://127.0.0.1:9 (ConnectError): start one (anvil) or pass --rpc"),
        (["pool", "deploy", "--rpc", "http://127.0.0.1:9", "--mint", "5"], 2,
         "hush pool: --mint needs --to ACCOUNT (who receives the test tokens)"),
        (["pool", "deploy", "--rpc", "http://127.0.0.1:9", "--out", "new.json"], 1,
         "hush pool: no Ethereum node answers at http://127.0.0.1:9"),
        (["pool", "info", "--deployment", "missing.json"], 2,
         "hush pool: missing.json: no deployment file (make one with `hush pool deploy`)"),
    ],
)
def test_errors_are_one_line_with_the_promised_status(wallet_dir, args, status, message):
    r = _hush(*args, cwd=wallet_dir, env={"HUSH_WALLET_PASSPHRASE": "pw"})
    assert r.returncode == status, r.stderr
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.strip().startswith(message), r.stderr


def test_help_names_the_settings_and_who_sends():
    from wallet.cli import build_parser

    text = " ".join(build_parser().format_help().split())
    for needed in ("HUSH_WALLET_PASSPHRASE", "HUSH_ETH_PRIVATE_KEY", "HUSH_WALLET_SEED", "HUSH_DEPLOYMENT",
                   "Without either, the sender is HUSH_ETH_PRIVATE_KEY's account, else the node's first account",
                   "exit status: 0 done; 1 refused or failed", "2 bad usage"):
        assert needed in text


def test_deploy_refuses_a_test_token_on_a_chain_that_is_not_for_development(tmp_path):
    """A token anyone can mint must not appear on a chain with value: elsewhere than anvil/hardhat/geth
    --dev, `hush pool deploy` wants --token (an existing ERC-20) or an explicit --test-token."""
    from wallet.chain import ANVIL
    from wallet.demo import free_port

    if not ANVIL.is_file():
        pytest.skip(f"anvil not installed at {ANVIL} (npm install)")
    port = free_port()
    proc = subprocess.Popen([str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--chain-id", "12345"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rpc = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            r = _hush("pool", "deploy", "--rpc", rpc, cwd=tmp_path)
            if "no Ethereum node answers" not in r.stderr:
                break
            time.sleep(0.1)
        assert (r.returncode, r.stderr.strip()) == (2, "hush pool: chain 12345 is not a development chain: pass "
                                                       "--token ADDRESS (an ERC-20), or --test-token for a token "
                                                       "anyone can mint (never with value)")
        r = _hush("pool", "deploy", "--rpc", rpc, "--token", "0x000000000000000000000000000000000000dEaD", cwd=tmp_path)
        assert (r.returncode, r.stderr.strip()) == (
            1, "hush pool: no contract at --token 0x000000000000000000000000000000000000dEaD on chain 12345")
        assert not (tmp_path / "hush-deployment.json").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
