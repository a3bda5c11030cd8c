"""The command-line wallet (exposed as `hush wallet ...`).

    wallet init [--restore] [--show-seed]          new wallet file (seed sealed with a passphrase)
    wallet address                                 the shareable hush1... address
    wallet balance                                 sync and show the shielded balance and notes
    wallet deposit AMOUNT [--from ACCOUNT]         public tokens -> a note of this wallet
    wallet send ADDRESS AMOUNT [--fee F --relayer ACCOUNT | --from ACCOUNT]
    wallet withdraw AMOUNT RECIPIENT [--fee F --relayer ACCOUNT | --from ACCOUNT]
    wallet history                                 this wallet's transfers and received notes

Common options: --rpc URL, --pool ADDRESS, --wallet PATH (default $HUSH_WALLET or ~/.hush/wallet.json),
--prover local|URL (a farm base URL), --api-key KEY. AMOUNTs are in whole tokens ("30", "0.10").
The seed comes from $HUSH_WALLET_SEED (hex) or the wallet file, sealed with the passphrase from
$HUSH_WALLET_PASSPHRASE or a prompt. Ethereum accounts are the node's unlocked accounts (anvil),
or the account of $HUSH_ETH_PRIVATE_KEY, whose transactions are signed locally.

Exit status: 0 on success, 1 when a transfer cannot be made (funds, chain), 2 for bad usage.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser"]

DEFAULT_RPC = "http://127.0.0.1:8545"


class CliError(Exception):
    pass


def _wallet_path(a: argparse.Namespace) -> Path:
    return Path(a.wallet or os.environ.get("HUSH_WALLET") or Path.home() / ".hush" / "wallet.json")


def _passphrase(confirm: bool = False) -> str | None:
    env = os.environ.get("HUSH_WALLET_PASSPHRASE")
    if env:
        return env
    if not sys.stdin.isatty():
        return None
    p = getpass.getpass("wallet passphrase: ")
    if confirm and getpass.getpass("again: ") != p:
        raise CliError("passphrases differ")
    return p


def parse_amount(text: str, decimals: int) -> int:
    """'30', '0.10' -> integer smallest units; refuses negatives, zero and excess precision."""
    try:
        d = Decimal(text)
    except InvalidOperation:
        raise CliError(f"amount: expected a decimal number, got {text!r}") from None
    units = d * (Decimal(10) ** decimals)
    if not d.is_finite() or units != units.to_integral_value():
        raise CliError(f"amount: {text} has more than {decimals} decimals")
    if units < 0:
        raise CliError(f"amount: expected a non-negative number, got {text}")
    return int(units)


def fmt(units: int, decimals: int) -> str:
    return f"{Decimal(units) / (Decimal(10) ** decimals):f}"


class Context:
    """The wallet file, keys, chain and prover the command needs (built lazily)."""

    def __init__(self, a: argparse.Namespace) -> None:
        from .seedfile import read_wallet_file

        self.a = a
        self.path = _wallet_path(a)
        self.doc = read_wallet_file(self.path)
        self.config: dict[str, Any] = self.doc.get("config", {})

    def wallet(self):
        from web3 import Web3

        from .backends import FarmClient, LocalProver
        from .chain import PoolClient
        from .keys import WalletKeys
        from .seedfile import open_seed
        from .store import NoteStore
        from .wallet import Wallet

        rpc = self.a.rpc or self.config.get("rpc") or DEFAULT_RPC
        pool_address = self.a.pool or self.config.get("pool")
        if not pool_address:
            raise CliError("no pool address: pass --pool or set it at `wallet init --pool`")
        w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 120}))
        if not w3.is_connected():
            raise CliError(f"no Ethereum node answers at {rpc}")
        pk = os.environ.get("HUSH_ETH_PRIVATE_KEY")
        self.eth_account = None
        if pk:
            from web3.middleware import SignAndSendRawMiddlewareBuilder

            acct = w3.eth.account.from_key(pk)
            w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(acct), layer=0)
            self.eth_account = acct.address
        self.w3 = w3
        keys = WalletKeys.from_seed(open_seed(self.doc, None if "sealed_seed" not in self.doc else _passphrase()))
        if keys.address.encode() != self.doc.get("address"):
            raise CliError("the seed does not belong to this wallet file (address differs)")
        prover = self.a.prover or self.config.get("prover") or "local"
        backend = LocalProver.shared() if prover == "local" else FarmClient(prover, api_key=self.a.api_key)
        pool = PoolClient(w3, pool_address)
        db = self.config.get("db") or str(self.path.with_suffix(f".{pool.address[2:10].lower()}.db"))
        self.decimals = int(pool.token.functions.decimals().call())
        return Wallet(keys, pool, NoteStore(db), backend, start_block=int(self.config.get("start_block", 0)))

    def account(self, given: str | None) -> str:
        if given:
            return given
        if self.eth_account:
            return self.eth_account
        accounts = self.w3.eth.accounts
        if not accounts:
            raise CliError("no Ethereum account: pass --from or set HUSH_ETH_PRIVATE_KEY")
        return accounts[0]


def cmd_init(a: argparse.Namespace) -> int:
    from .keys import WalletKeys
    from .seedfile import KDF_STRENGTH, SEED_ENV, new_seed, parse_seed_hex, write_wallet_file

    path = _wallet_path(a)
    if path.exists() and not a.force:
        raise CliError(f"{path} exists (use --force to overwrite)")
    if a.restore:
        if not os.environ.get(SEED_ENV):
            raise CliError(f"--restore takes the seed from ${SEED_ENV} (hex)")
        seed = parse_seed_hex(os.environ[SEED_ENV])
    else:
        seed = new_seed()
    keys = WalletKeys.from_seed(seed)
    passphrase = None if a.seed_from_env else _passphrase(confirm=True)
    if not a.seed_from_env and not passphrase:
        raise CliError("a passphrase is needed (HUSH_WALLET_PASSPHRASE or a terminal), or use --seed-from-env")
    config = {k: v for k, v in {"rpc": a.rpc, "pool": a.pool, "prover": a.prover}.items() if v}
    config["start_block"] = a.start_block
    path.parent.mkdir(parents=True, exist_ok=True)
    ops, mem = KDF_STRENGTH[a.kdf]
    write_wallet_file(
        path, None if a.seed_from_env else seed, passphrase, config, keys.address.encode(), opslimit=ops, memlimit=mem
    )
    print(f"wallet {path}")
    print(f"address {keys.address.encode()}")
    if a.show_seed:
        print(f"seed {seed.hex()}  (keep it secret: it spends every note)", file=sys.stderr)
    return 0


def cmd_address(a: argparse.Namespace) -> int:
    print(Context(a).doc["address"])
    return 0


def cmd_balance(a: argparse.Namespace) -> int:
    ctx = Context(a)
    w = ctx.wallet()
    w.sync()
    notes = w.notes()
    print(f"{fmt(w.balance(), ctx.decimals)} (in {len(notes)} notes)")
    for n in notes:
        print(f"  note at leaf {n.leaf_index}: {fmt(n.note.amount, ctx.decimals)} (block {n.block})")
    return 0


def _report(r, decimals: int) -> None:
    print(f"{r.kind} {fmt(r.amount, decimals)} fee {fmt(r.fee, decimals)}: tx {r.tx} block {r.block}, "
          f"gas {r.gas_used}, proof {r.proof_seconds:.2f} s ({r.proof_source}, {r.circuit}, {r.attempts} proof(s))")


def cmd_deposit(a: argparse.Namespace) -> int:
    ctx = Context(a)
    w = ctx.wallet()
    _report(w.deposit(parse_amount(a.amount, ctx.decimals), ctx.account(a.sender)), ctx.decimals)
    return 0


def _route(ctx: Context, a: argparse.Namespace, w) -> dict[str, Any]:
    from .chain import Relayer

    fee = parse_amount(a.fee, ctx.decimals)
    if a.relayer:
        return {"fee": fee, "relayer": Relayer(w.pool, a.relayer)}
    if fee:
        raise CliError("--fee needs --relayer (the account that submits and is paid)")
    return {"sender": ctx.account(a.sender)}


def cmd_send(a: argparse.Namespace) -> int:
    from .keys import Address

    ctx = Context(a)
    to = Address.parse(a.to)
    w = ctx.wallet()
    _report(w.send(to, parse_amount(a.amount, ctx.decimals), **_route(ctx, a, w)), ctx.decimals)
    return 0


def cmd_withdraw(a: argparse.Namespace) -> int:
    ctx = Context(a)
    w = ctx.wallet()
    _report(w.withdraw(parse_amount(a.amount, ctx.decimals), a.recipient, **_route(ctx, a, w)), ctx.decimals)
    return 0


def cmd_history(a: argparse.Namespace) -> int:
    ctx = Context(a)
    w = ctx.wallet()
    w.sync()
    for act in w.store.actions():
        print(f"block {act.block}: {act.kind} {fmt(act.amount, ctx.decimals)} fee {fmt(act.fee, ctx.decimals)} "
              f"{act.counterparty[:24]} tx {act.tx} gas {act.gas}")
    for n in w.notes(include_spent=True):
        state = f"spent in block {n.spent_block}" if n.spent else "unspent"
        print(f"block {n.block}: received {fmt(n.note.amount, ctx.decimals)} at leaf {n.leaf_index}, {state}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    def options(default: Any) -> argparse.ArgumentParser:
        o = argparse.ArgumentParser(add_help=False)
        o.add_argument("--rpc", default=default, help=f"Ethereum JSON-RPC URL (default {DEFAULT_RPC})")
        o.add_argument("--pool", default=default, help="ShieldedPool address")
        o.add_argument("--wallet", default=default, help="wallet file (default $HUSH_WALLET or ~/.hush/wallet.json)")
        o.add_argument("--prover", default=default, help="'local' or the prover farm's base URL")
        o.add_argument("--api-key", default=default, help="the farm's X-API-Key")
        return o

    # The options may come before or after the command; a subcommand's unset option must not
    # overwrite one given before it (argparse copies subparser defaults over the namespace).
    common = options(argparse.SUPPRESS)
    p = argparse.ArgumentParser(
        prog="hush wallet", description="Hush private payments wallet.", parents=[options(None)]
    )
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("init", parents=[common], help="create a wallet file")
    c.add_argument("--restore", action="store_true", help="restore from $HUSH_WALLET_SEED")
    c.add_argument("--seed-from-env", action="store_true", help="store no seed; read $HUSH_WALLET_SEED each time")
    c.add_argument("--show-seed", action="store_true", help="print the new seed (to stderr) for a backup")
    c.add_argument("--kdf", choices=("interactive", "moderate", "sensitive"), default="moderate",
                   help="Argon2id cost of unlocking the seed (default moderate)")
    c.add_argument("--start-block", type=int, default=0, help="first block to scan (the pool's deployment)")
    c.add_argument("--force", action="store_true")
    c.set_defaults(func=cmd_init)
    sub.add_parser("address", parents=[common], help="print the address").set_defaults(func=cmd_address)
    sub.add_parser("balance", parents=[common], help="sync and print the balance").set_defaults(func=cmd_balance)
    c = sub.add_parser("deposit", parents=[common], help="deposit public tokens")
    c.add_argument("amount")
    c.add_argument("--from", dest="sender", help="Ethereum account that pays (and sends the transaction)")
    c.set_defaults(func=cmd_deposit)
    for name, helptext in (("send", "pay a Hush address privately"), ("withdraw", "withdraw to a public address")):
        c = sub.add_parser(name, parents=[common], help=helptext)
        if name == "send":
            c.add_argument("to", help="recipient's hush1... address")
            c.add_argument("amount")
        else:
            c.add_argument("amount")
            c.add_argument("recipient", help="0x... Ethereum address")
        c.add_argument("--fee", default="0", help="relayer fee")
        c.add_argument("--relayer", help="Ethereum account of the relayer that submits and earns the fee")
        c.add_argument("--from", dest="sender", help="send the transaction from this account (no relayer)")
        c.set_defaults(func=cmd_send if name == "send" else cmd_withdraw)
    sub.add_parser("history", parents=[common], help="transfers and notes").set_defaults(func=cmd_history)
    return p


def main(argv: list[str] | None = None) -> int:
    from .keys import AddressError
    from .seedfile import WalletFileError
    from .wallet import WalletError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (CliError, WalletFileError, AddressError) as e:
        print(f"hush wallet: {e}", file=sys.stderr)
        return 2
    except (WalletError, ValueError, RuntimeError) as e:
        print(f"hush wallet: {type(e).__name__}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
