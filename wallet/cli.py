"""The command-line wallet (`hush wallet ...`); `hush pool ...` is in wallet.pool_cli.

Every check that can be made before proving is made before proving: addresses (EIP-55, hush1
checksums), amounts and their decimals, the chain and the pool, the account that sends (can this
node or key sign for it, does it hold gas), public and shielded balances, and the prover (compiled
key, or a farm that answers). A user's mistake ends in one line on stderr and an exit status, never
a traceback. Commands that do not prove (address, balance, history) import neither the prover nor
numba; address and history do not even touch the chain.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

__all__ = ["main", "build_parser", "parse_amount", "Units", "CliError", "Refused"]

DEFAULT_RPC = "http://127.0.0.1:8545"
DEPLOYMENT_ENV = "HUSH_DEPLOYMENT"
DEFAULT_DEPLOYMENT = "hush-deployment.json"

EXIT_STATUS = """\
exit status: 0 done; 1 refused or failed, nothing or not everything was done (funds, chain, prover);
2 bad usage (arguments, addresses, amounts, the wallet file or its passphrase). An error is one line
on stderr; checks run before any proof, and nothing is sent when one fails."""

SETTINGS = """\
settings (environment):
  HUSH_WALLET_PASSPHRASE  the wallet file's passphrase (else it is asked on the terminal)
  HUSH_WALLET_SEED        the seed in hex (for `init --restore`, or a wallet made with --seed-from-env)
  HUSH_WALLET             the wallet file (default ~/.hush/wallet.json)
  HUSH_DEPLOYMENT         the deployment file `init` reads (default ./hush-deployment.json)
  HUSH_ETH_PRIVATE_KEY    an Ethereum key whose transactions are signed here; else the node's
                          unlocked accounts (anvil's) sign

who sends: a deposit is sent by --from (it pays the tokens and the gas); a send or withdraw by
--relayer (which earns --fee), else by --from. Without either, the sender is HUSH_ETH_PRIVATE_KEY's
account, else the node's first account; the output names it. The sender is public on chain: a
withdrawal sent from your own account links you to it, a relayer does not."""


class CliError(Exception):
    """Bad usage: exit 2."""


class Refused(Exception):
    """The command cannot be done as asked (funds, chain, prover): exit 1."""


# --- amounts --------------------------------------------------------------------------------------


def parse_amount(text: str, decimals: int, what: str = "amount") -> int:
    """'30', '0.10' -> integer smallest units; refuses negatives, non-numbers and excess precision."""
    try:
        d = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise CliError(f"{what}: expected a number such as 30 or 0.10, got {text!r}") from None
    if not d.is_finite():
        raise CliError(f"{what}: expected a number such as 30 or 0.10, got {text!r}")
    if d < 0:
        raise CliError(f"{what}: expected a positive number, got {text}")
    units = d.scaleb(decimals)
    if units != units.to_integral_value():
        raise CliError(f"{what}: {text} has more than the token's {decimals} decimals")
    return int(units)


class Units:
    """A token's decimals and symbol: formats amounts as the user typed them ("69.90 HTT")."""

    def __init__(self, decimals: int = 18, symbol: str = "") -> None:
        self.decimals = decimals
        self.symbol = symbol or "tokens"

    def plain(self, units: int) -> str:
        d = Decimal(units).scaleb(-self.decimals)
        if d == d.quantize(Decimal("0.01")):
            return f"{d:,.2f}"
        return f"{d.normalize():,f}"

    def __call__(self, units: int) -> str:
        return f"{self.plain(units)} {self.symbol}"

    def parse(self, text: str, what: str = "amount") -> int:
        return parse_amount(text, self.decimals, what)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def short(text: str, keep: int = 10) -> str:
    return text if len(text) <= 2 * keep + 1 else f"{text[:keep]}…{text[-6:]}"


# --- the wallet file and its keys -----------------------------------------------------------------


def _wallet_path(a: argparse.Namespace) -> Path:
    return Path(a.wallet or os.environ.get("HUSH_WALLET") or Path.home() / ".hush" / "wallet.json")


def _passphrase(prompt: str, confirm: bool = False) -> str | None:
    env = os.environ.get("HUSH_WALLET_PASSPHRASE")
    if env:
        return env
    if not sys.stdin.isatty():
        return None
    p = getpass.getpass(prompt)
    if confirm and getpass.getpass("the same passphrase again: ") != p:
        raise CliError("the two passphrases differ")
    return p


def eth_address(text: str | None, what: str, a: argparse.Namespace) -> str | None:
    """A typed Ethereum address, EIP-55 checked (all one case only with --allow-unchecked-address)."""
    if text is None:
        return None
    from .addresses import parse_eth_address

    return parse_eth_address(text, what, allow_unchecked=bool(getattr(a, "allow_unchecked_address", False)))


class Context:
    """The wallet file; the chain, keys and prover when a command needs them (built lazily)."""

    def __init__(self, a: argparse.Namespace) -> None:
        from .seedfile import read_wallet_file

        self.a = a
        self.path = _wallet_path(a)
        self.doc = read_wallet_file(self.path)
        self.config: dict[str, Any] = self.doc.get("config", {})
        self.units = Units(int(self.config.get("token_decimals", 18)), str(self.config.get("token_symbol", "")))
        self.eth_account: str | None = None
        self.w3: Any = None
        self._pool: Any = None

    @property
    def pool_address(self) -> str:
        pool = eth_address(self.a.pool, "--pool", self.a) if self.a.pool else self.config.get("pool")
        if not pool:
            raise CliError(f"{self.path} names no pool: make it with `hush wallet init --deployment FILE` "
                           "(or --pool ADDRESS), or pass --pool")
        return pool

    def db_path(self) -> Path:
        return Path(self.config.get("db") or self.path.with_suffix(f".{self.pool_address[2:10].lower()}.db"))

    def connect(self) -> Any:
        """web3 on the wallet's node, checked: it answers, it is the wallet's chain, the pool is there."""
        self.pool_address  # noqa: B018 - a typed --pool is checked before the node is asked anything
        rpc = self.a.rpc or self.config.get("rpc") or DEFAULT_RPC
        self.w3 = connect(rpc, int(self.config["chain_id"]) if self.config.get("chain_id") else None)
        pool = self.pool_address
        if self.w3.eth.get_code(to_checksum(pool)) in (b"", None):
            raise Refused(f"no contract at the pool address {pool} on the node at {rpc} "
                          f"(chain {self.w3.eth.chain_id}): is this the chain it was deployed on?")
        self.eth_account = install_signer(self.w3)
        return self.w3

    def unlock(self):
        from .keys import WalletKeys
        from .seedfile import open_seed

        sealed = "sealed_seed" in self.doc and not os.environ.get("HUSH_WALLET_SEED")
        seed = open_seed(self.doc, _passphrase(f"passphrase for {self.path}: ") if sealed else None)
        keys = WalletKeys.from_seed(seed)
        if keys.address.encode() != self.doc.get("address"):
            raise CliError("the seed does not belong to this wallet file (its address differs)")
        return keys

    def backend(self) -> Any:
        from .backends import FarmClient, LocalProver

        prover = self.a.prover or self.config.get("prover") or "local"
        if prover == "local":
            return LocalProver.shared()
        return FarmClient(prover, api_key=self.a.api_key)

    def pool(self):
        """The PoolClient on the checked chain (made once)."""
        from .chain import PoolClient

        if self._pool is None:
            if self.w3 is None:
                self.connect()
            self._pool = PoolClient(self.w3, self.pool_address)
        return self._pool

    def reader(self):
        """The pool's read side over plain JSON-RPC (no web3), checked as `connect` checks."""
        from .rpc import JsonRpc, PoolReader, RpcError

        self.pool_address  # noqa: B018 - a typed --pool is checked before the node is asked anything
        rpc = self.a.rpc or self.config.get("rpc") or DEFAULT_RPC
        if not rpc.startswith(("http://", "https://")):
            raise CliError(f"--rpc {rpc!r}: expected an http:// or https:// URL")
        client = JsonRpc(rpc)
        try:
            chain_id = int(client.call("eth_chainId"), 16)
            want = int(self.config["chain_id"]) if self.config.get("chain_id") else chain_id
            if chain_id != want:
                raise Refused(f"the node at {rpc} is on chain {chain_id}, but the wallet's pool is on chain {want}")
            if client.call("eth_getCode", to_checksum(self.pool_address), "latest") in ("0x", "", None):
                raise Refused(f"no contract at the pool address {self.pool_address} on the node at {rpc} "
                              f"(chain {chain_id}): is this the chain it was deployed on?")
            return PoolReader(client, self.pool_address)
        except RpcError as e:
            raise Refused(f"{e}: start one (anvil) or pass --rpc") from None

    def wallet(self, backend: Any = None, *, read_only: bool = False):
        """The Wallet on the checked chain (unlocks the seed); `read_only` syncs without web3."""
        from .store import NoteStore
        from .wallet import Wallet

        pool = self.reader() if read_only else self.pool()
        keys = self.unlock()
        return Wallet(keys, pool, NoteStore(self.db_path()), backend or NeverProves(),
                      start_block=int(self.config.get("start_block", 0)))

    def default_sender(self) -> tuple[str, str]:
        """(account, who it is) when the user named no sender."""
        if self.eth_account:
            return self.eth_account, "the account of HUSH_ETH_PRIVATE_KEY"
        accounts = self.w3.eth.accounts
        if not accounts:
            raise CliError("nobody to send the transaction: pass --from (or --relayer), or set HUSH_ETH_PRIVATE_KEY")
        return to_checksum(accounts[0]), "the node's first account: choose with --from or --relayer"

    def check_sender(self, account: str, role: str, fee_units: int = 0) -> None:
        """The node or HUSH_ETH_PRIVATE_KEY can sign for `account`, and it holds ETH for gas."""
        if account != self.eth_account and account not in {to_checksum(x) for x in self.w3.eth.accounts}:
            raise Refused(f"{role} {account} cannot sign here: it is not one of the node's unlocked accounts "
                          "and not HUSH_ETH_PRIVATE_KEY's")
        if self.w3.eth.get_balance(account) == 0:
            raise Refused(f"{role} {account} has no ETH to pay for gas")


class NeverProves:
    """The backend of a wallet that only syncs: proving with it is a bug."""

    def has_circuit(self, circuit: str) -> bool:
        return circuit == "transfer_2x2"

    def prove(self, circuit: str, inputs: Any) -> Any:  # pragma: no cover - never called
        raise RuntimeError("this command does not prove")


def to_checksum(address: str) -> str:
    from .addresses import to_checksum as cs

    return cs(address)


def connect(rpc: str, chain_id: int | None = None) -> Any:
    """A Web3 on `rpc` that answers (on chain `chain_id` when given), else Refused."""
    from web3 import Web3

    if not rpc.startswith(("http://", "https://")):
        raise CliError(f"--rpc {rpc!r}: expected an http:// or https:// URL")
    w3 = Web3(Web3.HTTPProvider(rpc, request_kwargs={"timeout": 120}))
    try:
        have = int(w3.eth.chain_id)
    except Exception as e:  # noqa: BLE001 - any transport failure means the same to the user
        raise Refused(f"no Ethereum node answers at {rpc} ({type(e).__name__}): start one (anvil) "
                      "or pass --rpc") from None
    if chain_id is not None and have != chain_id:
        raise Refused(f"the node at {rpc} is on chain {have}, but the wallet's pool is on chain {chain_id}")
    return w3


def install_signer(w3: Any) -> str | None:
    """Sign locally with HUSH_ETH_PRIVATE_KEY when set; returns its account."""
    pk = os.environ.get("HUSH_ETH_PRIVATE_KEY")
    if not pk:
        return None
    from web3.middleware import SignAndSendRawMiddlewareBuilder

    try:
        acct = w3.eth.account.from_key(pk)
    except (ValueError, TypeError):
        raise CliError("HUSH_ETH_PRIVATE_KEY: expected a 32-byte private key in hex") from None
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(acct), layer=0)
    return acct.address


# --- commands -------------------------------------------------------------------------------------


def cmd_init(a: argparse.Namespace) -> int:
    from .keys import WalletKeys
    from .seedfile import KDF_STRENGTH, SEED_ENV, new_seed, parse_seed_hex, write_wallet_file

    path = _wallet_path(a)
    if path.exists() and not a.force:
        raise CliError(f"{path} exists (use --force to overwrite it, or --wallet for another file)")
    config = _init_config(a)
    if a.restore:
        if not os.environ.get(SEED_ENV):
            raise CliError(f"--restore takes the seed from ${SEED_ENV} (hex)")
        seed = parse_seed_hex(os.environ[SEED_ENV])
    else:
        seed = new_seed()
    keys = WalletKeys.from_seed(seed)
    passphrase = None if a.seed_from_env else _passphrase(f"new passphrase for {path}: ", confirm=True)
    if not a.seed_from_env and not passphrase:
        raise CliError("a passphrase is needed: set HUSH_WALLET_PASSPHRASE or run in a terminal "
                       "(or keep the seed in HUSH_WALLET_SEED with --seed-from-env)")
    path.parent.mkdir(parents=True, exist_ok=True)
    ops, mem = KDF_STRENGTH[a.kdf]
    write_wallet_file(
        path, None if a.seed_from_env else seed, passphrase, config, keys.address.encode(), opslimit=ops, memlimit=mem
    )
    print(f"wallet {path}")
    print(f"address {keys.address.encode()}")
    if config.get("pool"):
        units = Units(int(config.get("token_decimals", 18)), str(config.get("token_symbol", "")))
        print(f"pool {config['pool']} on chain {config.get('chain_id', '?')} ({units.symbol}), "
              f"scanning from block {config.get('start_block', 0)}")
    if a.show_seed:
        print(f"seed {seed.hex()}  (keep it secret: it spends every note)", file=sys.stderr)
    return 0


def _init_config(a: argparse.Namespace) -> dict[str, Any]:
    """Where the wallet talks to: a deployment file (default ./hush-deployment.json when no --pool is
    given), or --pool with the token read from the chain."""
    from contracts.deploy import read_deployment

    config: dict[str, Any] = {k: v for k, v in {"rpc": a.rpc, "prover": a.prover}.items() if v}
    deployment = a.deployment or os.environ.get(DEPLOYMENT_ENV)
    if deployment is None and a.pool is None and Path(DEFAULT_DEPLOYMENT).is_file():
        deployment = DEFAULT_DEPLOYMENT
    if deployment:
        dep = read_deployment(deployment)
        if a.pool and to_checksum(eth_address(a.pool, "--pool", a) or "") != to_checksum(dep.pool):
            raise CliError(f"--pool {a.pool} is not the pool of {deployment} ({dep.pool})")
        config.setdefault("rpc", dep.rpc or DEFAULT_RPC)
        config |= {
            "pool": dep.pool, "chain_id": dep.chain_id, "token_symbol": dep.token_symbol,
            "token_decimals": dep.token_decimals, "verifying_keys": dep.verifying_keys,
            "start_block": dep.block if a.start_block is None else a.start_block,
        }
        return config
    if not a.pool:
        config["start_block"] = a.start_block or 0
        return config  # a wallet without a pool yet: address only
    pool = eth_address(a.pool, "--pool", a)
    from .chain import artifact

    rpc = a.rpc or DEFAULT_RPC
    w3 = connect(rpc)
    if w3.eth.get_code(pool) in (b"", None):
        raise Refused(f"no contract at --pool {pool} on chain {w3.eth.chain_id} ({rpc})")
    token = w3.eth.contract(address=w3.eth.contract(address=pool, abi=artifact("ShieldedPool")["abi"])
                            .functions.token().call(), abi=artifact("TestToken")["abi"])
    from contracts.deploy import _token_info

    symbol, decimals = _token_info(token)
    if a.start_block is None:
        print("note: scanning from block 0; pass --start-block (the pool's deployment block) or use "
              "--deployment to skip the blocks before it", file=sys.stderr)
    return config | {"rpc": rpc, "pool": pool, "chain_id": int(w3.eth.chain_id), "token_symbol": symbol,
                     "token_decimals": decimals, "start_block": a.start_block or 0}


def cmd_address(a: argparse.Namespace) -> int:
    print(Context(a).doc["address"])
    return 0


def _note_kinds(store) -> dict[str, str]:
    """tx hash -> the kind of this wallet's action in it (a note made in it is the deposit or change)."""
    return {act.tx: act.kind for act in store.actions()}


def _note_label(n, kinds: dict[str, str]) -> str:
    kind = kinds.get(n.tx)
    if kind == "deposit":
        return "deposit"
    if kind in ("send", "withdraw"):
        return f"change of a {kind}"
    return "received"


def cmd_balance(a: argparse.Namespace) -> int:
    ctx = Context(a)
    w = ctx.wallet(read_only=True)
    w.sync()
    notes = w.notes()
    u = ctx.units
    print(f"{u(w.balance())} shielded, in {plural(len(notes), 'note')}")
    kinds = _note_kinds(w.store)
    for n in notes:
        print(f"  {u(n.note.amount):>20}  {_note_label(n, kinds)}, block {n.block} (leaf {n.leaf_index})")
    return 0


def cmd_history(a: argparse.Namespace) -> int:
    """This wallet's transfers and notes in chain order, from the local store (no chain, no seed)."""
    from .keys import Address
    from .store import NoteStore

    ctx = Context(a)
    if a.sync:
        ctx.wallet(read_only=True).sync()
    db = ctx.db_path()
    if not db.is_file():
        print("no history yet: `hush wallet balance` scans the pool")
        return 0
    store = NoteStore(db)
    owner = Address.parse(ctx.doc["address"]).owner
    u = ctx.units
    rows: list[tuple[int, int, int, str]] = []
    for i, act in enumerate(store.actions()):
        fee = f", fee {u(act.fee)}" if act.fee else ""
        if act.kind == "deposit":
            what = f"deposit   {u(act.amount)} from {act.counterparty}"
        elif act.kind == "send":
            what = f"sent      {u(act.amount)} to {short(act.counterparty, 14)}{fee}"
        else:
            what = f"withdrew  {u(act.amount)} to {act.counterparty}{fee}"
        rows.append((act.block, 0, i, f"{what}  (tx {short(act.tx)})"))
    kinds = _note_kinds(store)
    for n in store.notes(owner, include_spent=True):
        if n.note.amount == 0:
            continue
        label = _note_label(n, kinds)
        label = {"deposit": "note", "received": "received"}.get(label, "change")
        state = f"spent in block {n.spent_block}" if n.spent else "unspent"
        rows.append((n.block, 1, n.leaf_index, f"{label:<9} {u(n.note.amount)} at leaf {n.leaf_index}, {state}"))
    synced = store.synced_block
    store.close()
    if not rows:
        print("no transfers yet")
    for block, _, _, text in sorted(rows):
        print(f"block {block:>6}  {text}")
    if synced >= 0:
        print(f"(synced to block {synced}; --sync to scan the chain first)")
    return 0


# --- transfers: check everything, then prove ------------------------------------------------------


def _prover_ready(ctx: Context) -> Any:
    """The proving backend, checked before any proof: a compiled key that matches the pool's
    verifier, or a farm that answers and is ready."""
    backend = ctx.backend()
    from .backends import FarmClient

    if isinstance(backend, FarmClient):
        import httpx

        url = backend.base_url
        try:
            r = httpx.get(f"{url}/readyz", timeout=3.0)
        except httpx.HTTPError as e:
            raise Refused(f"no prover farm answers at {url} ({type(e).__name__}): start `hush serve` "
                          "or use `--prover local`") from None
        if r.status_code != 200:
            raise Refused(f"the prover farm at {url} is not ready (/readyz {r.status_code}: workers warming up "
                          "or gone): wait, or use `--prover local`")
        _farm_key_matches(ctx, backend)
        return backend
    if not backend.has_circuit("transfer_2x2"):
        raise Refused("transfer_2x2 is not compiled or has no proving key here: run `make circuits` and "
                      "`hush setup circuit transfer_2x2`, or prove on a farm with `--prover URL`")
    expected = (ctx.config.get("verifying_keys") or {}).get("transfer_2x2", {}).get("vkey_sha256")
    if expected:
        from contracts.deploy import vkey_sha256
        from hush.artifacts import circuit_files
        from prover.formats.zkey import read_zkey
        from verifier.keys import verification_key_json

        have = vkey_sha256(verification_key_json(read_zkey(circuit_files("transfer_2x2").zkey)))
        if have != expected:
            raise Refused(f"the local transfer_2x2 key is not the one the pool verifies (vkey sha256 {have[:12]}…, "
                          f"the deployment's {expected[:12]}…): the pool would reject its proofs")
    return backend


def _farm_key_matches(ctx: Context, farm: Any) -> None:
    """The farm proves transfer_2x2 with the key the pool's verifier was made from (when the wallet
    knows that key's hash from the deployment file)."""
    import httpx

    from contracts.deploy import vkey_sha256

    url = farm.base_url
    headers = {"X-API-Key": farm.api_key} if farm.api_key else {}
    try:
        r = httpx.get(f"{url}/v1/circuits", headers=headers, timeout=5.0)
    except httpx.HTTPError as e:
        raise Refused(f"the prover farm at {url} stopped answering ({type(e).__name__})") from None
    if r.status_code in (401, 403):
        raise Refused(f"the prover farm at {url} refuses this caller ({r.status_code}): pass its --api-key")
    if r.status_code != 200:
        raise Refused(f"the prover farm at {url} answered /v1/circuits with {r.status_code}")
    try:
        circuits = {c["id"]: c for c in r.json()["circuits"]}
    except (ValueError, KeyError, TypeError):
        raise Refused(f"{url} does not answer as a Hush prover farm (/v1/circuits)") from None
    if "transfer_2x2" not in circuits:
        raise Refused(f"the prover farm at {url} does not prove transfer_2x2 (it has {', '.join(circuits) or 'none'})")
    expected = (ctx.config.get("verifying_keys") or {}).get("transfer_2x2", {}).get("vkey_sha256")
    have = vkey_sha256(circuits["transfer_2x2"].get("verification_key") or {})
    if expected and have != expected:
        raise Refused(f"the prover farm at {url} proves transfer_2x2 with another key than the pool verifies "
                      f"(vkey sha256 {have[:12]}…, the pool's {expected[:12]}…): the pool would reject its proofs")


def _shielded_check(ctx: Context, w, amount: int, fee: int) -> None:
    w.sync()
    have, need = w.balance(), amount + fee
    if have < need:
        u = ctx.units
        parts = f" ({u(amount)} + fee {u(fee)})" if fee else ""
        raise Refused(f"shielded balance {u(have)} does not cover {u(need)}{parts}; nothing was proven or sent")


def _selectable(ctx: Context, w, need: int) -> None:
    """Coin selection succeeds with the prover at hand (16x2 or not), before any proof."""
    from .wallet import InsufficientFunds

    try:
        w.select_notes(need)
    except InsufficientFunds:
        raise Refused(f"{ctx.units(need)} needs more notes than one transfer can spend here (this pool or prover "
                      "has no transfer_16x2): send part of it first, or consolidate by sending to yourself") from None


def _route(ctx: Context, a: argparse.Namespace) -> tuple[dict[str, Any], str, str]:
    """(wallet kwargs, who sends, why) for send/withdraw; addresses were checked by _typed."""
    fee = ctx.units.parse(a.fee, "--fee")
    if a.relayer and a.sender:
        raise CliError("give --relayer or --from, not both (the relayer sends the transaction)")
    if a.relayer:
        return {"fee": fee}, a.relayer, "relayer"
    if fee:
        raise CliError("--fee needs --relayer (the account that submits the transfer and is paid the fee)")
    if a.sender:
        return {}, a.sender, "--from"
    who, why = ctx.default_sender()
    return {}, who, why


def _typed(a: argparse.Namespace) -> None:
    """Check every address the user typed, before anything else."""
    for attr, what in (("sender", "--from"), ("relayer", "--relayer"), ("recipient", "recipient"),
                       ("pool", "--pool")):
        if getattr(a, attr, None) is not None:
            setattr(a, attr, eth_address(getattr(a, attr), what, a))
    if getattr(a, "to", None) is not None:
        from .keys import Address

        a.to = Address.parse(a.to)


def _report(ctx: Context, r, line: str, sender: str, why: str) -> None:
    print(f"{line}: tx {r.tx} in block {r.block}")
    print(f"  sent by {sender} ({why}); gas {r.gas_used:,}; proof {r.proof_seconds:.2f} s "
          f"({r.proof_source}, {r.circuit}{', ' + str(r.attempts) + ' proofs' if r.attempts > 1 else ''})")


def cmd_deposit(a: argparse.Namespace) -> int:
    _typed(a)
    ctx = Context(a)
    u = ctx.units
    amount = u.parse(a.amount)
    if amount == 0:
        raise CliError("amount: a deposit must be more than 0")
    ctx.connect()
    if a.sender:
        sender, why = a.sender, "--from"
    else:
        sender, why = ctx.default_sender()
    ctx.check_sender(sender, "depositor")
    pool = ctx.pool()
    public = pool.balance_of(sender)
    if public < amount:
        raise Refused(f"{sender}'s public balance {u(public)} does not cover {u(amount)}; nothing was proven or sent")
    limit = int(pool.contract.functions.maximumDepositAmount().call())
    if amount > limit:
        raise Refused(f"the pool takes deposits up to {u(limit)}, not {u(amount)}")
    if pool.contract.functions.depositsPaused().call():
        raise Refused("the pool's owner has paused deposits")
    backend = _prover_ready(ctx)
    w = ctx.wallet(backend)
    r = w.deposit(amount, sender)
    _report(ctx, r, f"deposited {u(amount)} from {sender}", sender, why)
    print(f"  the pool was allowed exactly {u(amount)}, right before the deposit")
    return 0


def _send_or_withdraw(a: argparse.Namespace, kind: str) -> int:
    _typed(a)
    ctx = Context(a)
    u = ctx.units
    amount = u.parse(a.amount)
    if amount == 0:
        raise CliError(f"amount: a {kind} must be more than 0")
    ctx.connect()
    kwargs, sender, why = _route(ctx, a)
    role = "relayer" if a.relayer else "sender"
    ctx.check_sender(sender, role)
    w = ctx.wallet()
    _shielded_check(ctx, w, amount, kwargs.get("fee", 0))
    w.backend = _prover_ready(ctx)
    _selectable(ctx, w, amount + kwargs.get("fee", 0))
    from .chain import Relayer

    if a.relayer:
        kwargs["relayer"] = Relayer(w.pool, sender)
    else:
        kwargs["sender"] = sender
    fee = f", fee {u(kwargs['fee'])} to the relayer" if kwargs.get("fee") else ""
    if kind == "send":
        r = w.send(a.to, amount, **kwargs)
        line = f"sent {u(amount)} to {short(a.to.encode(), 14)}{fee}"
    else:
        r = w.withdraw(amount, a.recipient, **kwargs)
        line = f"withdrew {u(amount)} to {a.recipient}{fee}"
    _report(ctx, r, line, sender, why)
    print(f"  shielded balance {u(w.balance())}")
    return 0


def cmd_send(a: argparse.Namespace) -> int:
    return _send_or_withdraw(a, "send")


def cmd_withdraw(a: argparse.Namespace) -> int:
    return _send_or_withdraw(a, "withdraw")


# --- parser ---------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    def options(default: Any) -> argparse.ArgumentParser:
        o = argparse.ArgumentParser(add_help=False)
        o.add_argument("--wallet", default=default, help="wallet file (default $HUSH_WALLET or ~/.hush/wallet.json)")
        o.add_argument("--rpc", default=default,
                       help=f"Ethereum JSON-RPC URL (default: the wallet's, else {DEFAULT_RPC})")
        o.add_argument("--pool", default=default, help="ShieldedPool address (default: the wallet's)")
        o.add_argument("--prover", default=default,
                       help="'local' (default) or a prover farm's base URL, e.g. http://127.0.0.1:8000")
        o.add_argument("--api-key", default=default, help="the farm's X-API-Key")
        o.add_argument("--allow-unchecked-address", action="store_true", default=default,
                       help="accept Ethereum addresses written in one case (no EIP-55 checksum); check them yourself")
        return o

    # The options may come before or after the command; a subcommand's unset option must not
    # overwrite one given before it (argparse copies subparser defaults over the namespace).
    common = options(argparse.SUPPRESS)
    fmt = argparse.RawDescriptionHelpFormatter
    p = argparse.ArgumentParser(
        prog="hush wallet", description="Hush private payments wallet. Amounts are in whole tokens (30, 0.10).",
        parents=[options(None)], epilog=f"{SETTINGS}\n\n{EXIT_STATUS}", formatter_class=fmt,
    )
    sub = p.add_subparsers(dest="cmd", required=True, metavar="COMMAND")

    def cmd(name: str, helptext: str, func: Any) -> argparse.ArgumentParser:
        c = sub.add_parser(name, parents=[common], help=helptext, description=helptext,
                           epilog=f"{SETTINGS}\n\n{EXIT_STATUS}", formatter_class=fmt)
        c.set_defaults(func=func)
        return c

    c = cmd("init", "create a wallet file for the pool of a deployment file (`hush pool deploy` writes one)", cmd_init)
    c.add_argument("--deployment", help=f"deployment file (default ${DEPLOYMENT_ENV}, else ./{DEFAULT_DEPLOYMENT} "
                   "when present and no --pool is given)")
    c.add_argument("--restore", action="store_true", help="restore from $HUSH_WALLET_SEED")
    c.add_argument("--seed-from-env", action="store_true", help="store no seed; read $HUSH_WALLET_SEED each time")
    c.add_argument("--show-seed", action="store_true", help="print the new seed (to stderr) for a backup")
    c.add_argument("--kdf", choices=("interactive", "moderate", "sensitive"), default="moderate",
                   help="Argon2id cost of unlocking the seed: 64 MiB, 256 MiB (default) or 1 GiB")
    c.add_argument("--start-block", type=int, default=None,
                   help="first block to scan (default: the deployment file's; with --pool only, 0)")
    c.add_argument("--force", action="store_true", help="overwrite an existing wallet file")
    cmd("address", "print this wallet's hush1 address (to receive payments)", cmd_address)
    cmd("balance", "scan the pool and print the shielded balance and its notes", cmd_balance)
    c = cmd("history", "this wallet's transfers and notes in chain order, from the local store", cmd_history)
    c.add_argument("--sync", action="store_true", help="scan the chain first (needs the passphrase)")
    c = cmd("deposit", "move public tokens into a note of this wallet", cmd_deposit)
    c.add_argument("amount", metavar="AMOUNT", help="whole tokens, e.g. 100 or 0.5")
    c.add_argument("--from", dest="sender", metavar="ACCOUNT",
                   help="the Ethereum account that pays the tokens and sends the transaction "
                        "(default: HUSH_ETH_PRIVATE_KEY's, else the node's first account)")
    for name, helptext, func in (("send", "pay a hush1 address privately", cmd_send),
                                 ("withdraw", "withdraw to a public Ethereum address", cmd_withdraw)):
        c = cmd(name, helptext, func)
        if name == "send":
            c.add_argument("to", metavar="ADDRESS", help="the recipient's hush1… address")
            c.add_argument("amount", metavar="AMOUNT", help="whole tokens, e.g. 30 or 0.5")
        else:
            c.add_argument("amount", metavar="AMOUNT", help="whole tokens, e.g. 30 or 0.5")
            c.add_argument("recipient", metavar="RECIPIENT", help="0x… Ethereum address (EIP-55 checksummed)")
        c.add_argument("--fee", default="0", help="fee paid to the relayer (needs --relayer)")
        c.add_argument("--relayer", metavar="ACCOUNT",
                       help="Ethereum account that submits the transfer and earns --fee")
        c.add_argument("--from", dest="sender", metavar="ACCOUNT",
                       help="send the transaction from this account, no relayer (default: HUSH_ETH_PRIVATE_KEY's, "
                            "else the node's first account)")
    return p


def run(func: Any, args: Any, prog: str) -> int:
    """Run a command; user errors become one line on stderr and the exit status the help promises."""
    from contracts.deploy import DeploymentError

    from .addresses import EthAddressError
    from .keys import AddressError
    from .seedfile import WalletFileError

    try:
        return func(args)
    except (CliError, WalletFileError, AddressError, EthAddressError, DeploymentError) as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 2
    except Refused as e:
        print(f"{prog}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # noqa: BLE001 - classified below; anything else is a bug and re-raised
        message = explain(e)
        if message is None:
            raise
        print(f"{prog}: {message}", file=sys.stderr)
        return 1


def explain(e: BaseException) -> str | None:
    """One line for a failure of the chain, the prover or the wallet; None for a bug."""
    mod = type(e).__module__
    from .store import StoreMismatch

    if isinstance(e, StoreMismatch):
        return f"{e} (use another --wallet, or delete the store to rescan)"
    if mod.startswith("wallet."):
        from .backends import FarmError, ProofFailed
        from .wallet import WalletError

        if isinstance(e, (WalletError, ProofFailed, FarmError)):
            return f"{e}"
    if mod.startswith("transfer.") and isinstance(e, ValueError):
        return f"the transfer was not proven: {e}"
    if mod.startswith("verifier."):
        return f"a proof did not verify, nothing was sent: {e}"
    if mod.startswith("web3.") or mod.startswith("requests.") or mod.startswith("urllib3."):
        return f"the chain refused: {revert_reason(e)}"
    return None


def revert_reason(e: BaseException) -> str:
    """A revert's custom error decoded with the pool's and token's ABIs, else the node's message."""
    data = getattr(e, "data", None)
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10:
        from Crypto.Hash import keccak

        from .chain import artifact

        for name in ("ShieldedPool", "TestToken"):
            for item in artifact(name)["abi"]:
                if item.get("type") != "error":
                    continue
                sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                if keccak.new(digest_bits=256, data=sig.encode()).hexdigest()[:8] == data[2:10]:
                    return f"{item['name']} ({sig})"
    return f"{type(e).__name__}: {e}"


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run(args.func, args, "hush wallet")


if __name__ == "__main__":
    sys.exit(main())
