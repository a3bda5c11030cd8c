"""`hush pool`: deploy a pool, print a deployment file, mint test tokens.

    hush pool deploy --rpc URL [--mint AMOUNT --to ACCOUNT ...] [--token ADDRESS] [--out FILE]
    hush pool info [--deployment FILE]
    hush pool mint AMOUNT ACCOUNT [--deployment FILE]

`deploy` puts the token (a test token anyone can mint, on a development chain, unless --token names
an ERC-20), Poseidon, the Groth16 verifier(s) generated from the development proving keys and the
ShieldedPool on the chain, and writes the deployment file (contracts.deploy) that `hush wallet init`
reads: addresses, start block, chain id, token, verifying-key hashes.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

from .cli import (
    DEFAULT_DEPLOYMENT,
    DEFAULT_RPC,
    DEPLOYMENT_ENV,
    EXIT_STATUS,
    CliError,
    Refused,
    Units,
    eth_address,
    run,
)

__all__ = ["main", "build_parser"]

SETTINGS = f"""\
settings (environment):
  HUSH_ETH_PRIVATE_KEY  an Ethereum key whose transactions are signed here; else the node's unlocked
                        accounts sign, and the deployer is --from or the node's first account
  {DEPLOYMENT_ENV}       the deployment file (default ./{DEFAULT_DEPLOYMENT})"""


def _deployment_path(a: argparse.Namespace) -> Path:
    return Path(getattr(a, "deployment", None) or getattr(a, "out", None) or os.environ.get(DEPLOYMENT_ENV)
                or DEFAULT_DEPLOYMENT)


def _deployer(w3: Any, a: argparse.Namespace) -> tuple[str, str]:
    from .cli import install_signer, to_checksum

    key_account = install_signer(w3)
    if a.sender:
        sender, why = a.sender, "--from"
    elif key_account:
        sender, why = key_account, "HUSH_ETH_PRIVATE_KEY"
    elif w3.eth.accounts:
        sender, why = to_checksum(w3.eth.accounts[0]), "the node's first account"
    else:
        raise CliError("nobody to deploy from: pass --from, or set HUSH_ETH_PRIVATE_KEY")
    if sender != key_account and sender not in {to_checksum(x) for x in w3.eth.accounts}:
        raise Refused(f"deployer {sender} cannot sign here: not an unlocked account of the node nor "
                      "HUSH_ETH_PRIVATE_KEY's")
    if w3.eth.get_balance(sender) == 0:
        raise Refused(f"deployer {sender} has no ETH to pay for gas")
    return sender, why


def cmd_deploy(a: argparse.Namespace) -> int:
    from contracts.deploy import DEV_CHAIN_IDS, deploy_pool, dev_verifying_keys, write_deployment

    from .cli import connect

    token = eth_address(a.token, "--token", a)
    a.sender = eth_address(a.sender, "--from", a)
    recipients = [eth_address(t, "--to", a) for t in a.to]
    if a.mint is not None and not recipients:
        raise CliError("--mint needs --to ACCOUNT (who receives the test tokens)")
    if recipients and a.mint is None:
        raise CliError("--to needs --mint AMOUNT")
    if a.mint is not None and token is not None:
        raise CliError("--mint works with the test token only; --token names an existing ERC-20")
    out = _deployment_path(a)
    if out.exists() and not a.force:
        raise CliError(f"{out} exists (use --force to overwrite it, or --out for another file)")
    w3 = connect(a.rpc)
    chain_id = int(w3.eth.chain_id)
    if token is None and chain_id not in DEV_CHAIN_IDS and not a.test_token:
        raise CliError(f"chain {chain_id} is not a development chain: pass --token ADDRESS (an ERC-20), or "
                       "--test-token for a token anyone can mint (never with value)")
    if token is not None and w3.eth.get_code(token) in (b"", None):
        raise Refused(f"no contract at --token {token} on chain {chain_id}")
    deployer, why = _deployer(w3, a)
    t0 = time.perf_counter()
    vkeys, zkey_hashes = dev_verifying_keys(with_16x2=a.with_16x2)
    print(f"deploying on chain {chain_id} from {deployer} ({why}): "
          f"{'test token, ' if token is None else ''}Poseidon, verifiers {', '.join(vkeys)}, pool")
    dep = deploy_pool(w3, deployer, vkeys, token=token, zkey_hashes=zkey_hashes)
    from dataclasses import replace

    dep = replace(dep, rpc=a.rpc)
    units = Units(dep.token_decimals, dep.token_symbol)
    if a.mint is not None:
        amount = units.parse(a.mint, "--mint")
        token_contract = w3.eth.contract(address=dep.token, abi=_abi("TestToken"))
        for to in recipients:
            _send(w3, token_contract.functions.mint(to, amount), deployer)
            print(f"minted {units(amount)} to {to}")
    write_deployment(dep, out)
    print(f"pool {dep.pool} (token {dep.token}, {units.symbol}) from block {dep.block} "
          f"in {time.perf_counter() - t0:.1f} s")
    print(f"wrote {out}: next, `hush wallet init --deployment {out}`")
    return 0


def _abi(name: str) -> list:
    from contracts.deploy import artifact

    return artifact(name)["abi"]


def _send(w3: Any, fn: Any, sender: str) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}), timeout=120)
    if receipt.status != 1:
        raise Refused(f"transaction {fn.fn_name} reverted")


def cmd_info(a: argparse.Namespace) -> int:
    from contracts.deploy import read_deployment

    path = _deployment_path(a)
    dep = read_deployment(path)
    units = Units(dep.token_decimals, dep.token_symbol)
    rows = [
        ("deployment", str(path)),
        ("chain id", str(dep.chain_id)),
        ("rpc", dep.rpc or "-"),
        ("pool", dep.pool),
        ("start block", str(dep.block)),
        ("token", f"{dep.token} ({units.symbol}, {dep.token_decimals} decimals"
                  f"{', test token: anyone can mint' if dep.test_token else ''})"),
        ("poseidon", dep.hasher),
        ("verifier 2x2", dep.verifier_2x2),
        ("verifier 16x2", dep.verifier_16x2 if int(dep.verifier_16x2, 16) else "none (at most 2 notes per transfer)"),
        ("tree depth", f"{dep.levels} ({2**dep.levels:,} notes)"),
        ("max deposit", "no limit but the circuit's (2^120 - 1 units)" if dep.max_deposit >= 2**120 - 1
         else units(dep.max_deposit)),
        ("deployer", dep.deployer),
    ]
    for circuit, hashes in sorted(dep.verifying_keys.items()):
        for kind, h in sorted(hashes.items()):
            rows.append((f"{circuit} {kind}", h))
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    return 0


def cmd_mint(a: argparse.Namespace) -> int:
    from contracts.deploy import read_deployment

    from .cli import connect

    to = eth_address(a.account, "account", a)
    a.sender = eth_address(a.sender, "--from", a)
    dep = read_deployment(_deployment_path(a))
    if not dep.test_token:
        raise CliError(f"the token {dep.token} is not the test token: it cannot be minted")
    units = Units(dep.token_decimals, dep.token_symbol)
    amount = units.parse(a.amount)
    w3 = connect(a.rpc or dep.rpc or DEFAULT_RPC, dep.chain_id)
    sender, _ = _deployer(w3, a)
    token = w3.eth.contract(address=dep.token, abi=_abi("TestToken"))
    _send(w3, token.functions.mint(to, amount), sender)
    print(f"minted {units(amount)} to {to}; its public balance is {units(token.functions.balanceOf(to).call())}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    epilog = f"{SETTINGS}\n\n{EXIT_STATUS}"
    p = argparse.ArgumentParser(prog="hush pool", description="Deploy and inspect a Hush shielded pool.",
                                epilog=epilog, formatter_class=fmt)
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def cmd(name: str, helptext: str, func: Any) -> argparse.ArgumentParser:
        c = sub.add_parser(name, help=helptext, description=helptext, epilog=epilog, formatter_class=fmt)
        c.set_defaults(func=func)
        c.add_argument("--allow-unchecked-address", action="store_true",
                       help="accept Ethereum addresses written in one case (no EIP-55 checksum)")
        return c

    c = cmd("deploy", "deploy token (test token on a dev chain), Poseidon, verifiers and pool; write the "
            "deployment file", cmd_deploy)
    c.add_argument("--rpc", default=DEFAULT_RPC, help=f"Ethereum JSON-RPC URL (default {DEFAULT_RPC})")
    c.add_argument("--from", dest="sender", metavar="ACCOUNT",
                   help="deployer (default: HUSH_ETH_PRIVATE_KEY's account, else the node's first account)")
    c.add_argument("--token", metavar="ADDRESS", help="an existing ERC-20 (default: deploy the test token HTT)")
    c.add_argument("--test-token", action="store_true", help="deploy the test token on a non-development chain too")
    c.add_argument("--mint", metavar="AMOUNT", help="mint this many test tokens to each --to account")
    c.add_argument("--to", metavar="ACCOUNT", action="append", default=[], help="who receives --mint (repeatable)")
    c.add_argument("--with-16x2", action="store_true", help="also deploy the transfer_16x2 verifier (up to 16 notes "
                   "per transfer; its development key takes minutes to make the first time)")
    c.add_argument("--out", metavar="FILE", help=f"deployment file to write (default ${DEPLOYMENT_ENV}, "
                   f"else ./{DEFAULT_DEPLOYMENT})")
    c.add_argument("--force", action="store_true", help="overwrite an existing deployment file")
    c = cmd("info", "print a deployment file", cmd_info)
    c.add_argument("--deployment", metavar="FILE", help=f"default ${DEPLOYMENT_ENV}, else ./{DEFAULT_DEPLOYMENT}")
    c = cmd("mint", "mint test tokens to an account", cmd_mint)
    c.add_argument("amount", metavar="AMOUNT", help="whole tokens, e.g. 100")
    c.add_argument("account", metavar="ACCOUNT", help="0x… Ethereum address (EIP-55 checksummed)")
    c.add_argument("--deployment", metavar="FILE", help=f"default ${DEPLOYMENT_ENV}, else ./{DEFAULT_DEPLOYMENT}")
    c.add_argument("--rpc", help="Ethereum JSON-RPC URL (default: the deployment file's)")
    c.add_argument("--from", dest="sender", metavar="ACCOUNT", help="who sends the mint transaction")
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args.func, args, "hush pool")


if __name__ == "__main__":
    sys.exit(main())
