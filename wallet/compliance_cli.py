"""Command-line verbs of the issuer and the auditor (issue 13), added to `hush` by `add_parsers`:

    hush issuer register --registry R.json --owner ADDR --tier T --jurisdiction J --expiry UNIX --account 0x..
    hush issuer revoke --registry R.json --index I
    hush issuer publish-root --registry R.json --rpc URL --policy 0x.. --from 0x.. [--invalidate]
    hush issuer rotate-auditor --rpc URL --policy 0x.. --from 0x.. --auditor-pub X,Y
    hush auditor keygen --out auditor.json          (the secret, mode 0600; prints the public key)
    hush audit --rpc URL --pool 0x.. --key auditor.json --json report.json --csv report.csv [--registry R.json]

The registry file is the issuer's (owners and attributes, no secret key); the auditor's key file holds
the auditor's secret and is written readable by its owner only.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from transfer.poseidon_cipher import AuditorKey

from .compliance import IssuerRegistry, PolicyClient, audit_report, write_report

__all__ = ["add_parsers", "load_auditor_key", "save_auditor_key"]


def save_auditor_key(key: AuditorKey, path: str | os.PathLike) -> None:
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"auditor_secret": str(key.secret), "public_key": [str(c) for c in key.public_key]}, f)


def load_auditor_key(path: str | os.PathLike) -> AuditorKey:
    obj = json.loads(Path(path).read_text())
    key = AuditorKey(int(obj["auditor_secret"]))
    if [str(c) for c in key.public_key] != obj.get("public_key"):
        raise ValueError(f"{path}: the secret does not give the public key the file records")
    return key


def _registry(path: str) -> IssuerRegistry:
    p = Path(path)
    return IssuerRegistry.load(p) if p.is_file() else IssuerRegistry()


def _w3(url: str):
    from web3 import Web3

    return Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))


def cmd_register(a: argparse.Namespace) -> int:
    reg = _registry(a.registry)
    owner = int(a.owner, 0)
    index = reg.register(owner, a.tier, a.jurisdiction, a.expiry, a.account)
    reg.save(a.registry)
    print(json.dumps({"index": index, "root": str(reg.root)}))
    return 0


def cmd_revoke(a: argparse.Namespace) -> int:
    reg = IssuerRegistry.load(a.registry)
    reg.revoke(a.index)
    reg.save(a.registry)
    print(json.dumps({"revoked": a.index, "root": str(reg.root), "note": "publish it with --invalidate"}))
    return 0


def cmd_publish_root(a: argparse.Namespace) -> int:
    reg = IssuerRegistry.load(a.registry)
    receipt = PolicyClient(_w3(a.rpc), a.policy).publish_root(reg.root, a.sender, invalidate_previous=a.invalidate)
    print(json.dumps({"root": str(reg.root), "tx": receipt.transactionHash.hex(), "invalidated": a.invalidate}))
    return 0


def cmd_rotate_auditor(a: argparse.Namespace) -> int:
    x, y = (int(v, 0) for v in a.auditor_pub.split(","))
    receipt = PolicyClient(_w3(a.rpc), a.policy).set_auditor_key((x, y), a.sender)
    print(json.dumps({"auditor_pub": [str(x), str(y)], "tx": receipt.transactionHash.hex()}))
    return 0


def cmd_keygen(a: argparse.Namespace) -> int:
    key = AuditorKey.generate()
    save_auditor_key(key, a.out)
    print(json.dumps({"public_key": [str(c) for c in key.public_key], "file": a.out}))
    return 0


def cmd_audit(a: argparse.Namespace) -> int:
    key = load_auditor_key(a.key)
    names: dict[int, str] = {}
    if a.registry:
        reg = IssuerRegistry.load(a.registry)
        names = {i.owner: f"#{idx} 0x{i.account:040x}" for idx, i in reg.entries.items()}
    entries = audit_report(_w3(a.rpc), a.pool, key, from_block=a.from_block, names=names)
    write_report(entries, a.json, a.csv)
    for e in entries:
        pairs = ", ".join(f"{r} {amt}" for r, amt in zip(e.recipients, e.amounts, strict=True)) or "-"
        print(f"block {e.block} tx {e.tx[:12]}: {e.sender} -> {pairs}; public {e.public_amount}, fee {e.fee}")
    print(f"{len(entries)} transfers: {a.json}, {a.csv}")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    i = sub.add_parser("issuer", help="compliance issuer: register, revoke, publish-root, rotate-auditor")
    isub = i.add_subparsers(dest="cmd", required=True)
    c = isub.add_parser("register", help="add an identity to the registry file")
    c.add_argument("--registry", required=True)
    c.add_argument("--owner", required=True, help="the shielded address (decimal or 0x hex)")
    c.add_argument("--tier", type=int, required=True)
    c.add_argument("--jurisdiction", type=int, required=True)
    c.add_argument("--expiry", type=int, required=True, help="unix time")
    c.add_argument("--account", required=True, help="registered public address (0x...), where an exit goes")
    c.set_defaults(func=cmd_register)
    c = isub.add_parser("revoke", help="set an identity to tier 0 (exit only)")
    c.add_argument("--registry", required=True)
    c.add_argument("--index", type=int, required=True)
    c.set_defaults(func=cmd_revoke)
    for name, fn, help_ in (
        ("publish-root", cmd_publish_root, "publish the registry's root to the policy"),
        ("rotate-auditor", cmd_rotate_auditor, "set the policy's auditor key"),
    ):
        c = isub.add_parser(name, help=help_)
        c.add_argument("--rpc", required=True)
        c.add_argument("--policy", required=True)
        c.add_argument("--from", dest="sender", required=True, help="the issuer's account (unlocked on the node)")
        if name == "publish-root":
            c.add_argument("--registry", required=True)
            c.add_argument("--invalidate", action="store_true", help="drop every older root (after a revocation)")
        else:
            c.add_argument("--auditor-pub", required=True, help="X,Y of the new auditor public key")
        c.set_defaults(func=fn)

    k = sub.add_parser("auditor", help="auditor key").add_subparsers(dest="cmd", required=True)
    c = k.add_parser("keygen", help="a new auditor key pair into a 0600 file")
    c.add_argument("--out", required=True)
    c.set_defaults(func=cmd_keygen)

    c = sub.add_parser("audit", help="decrypt a compliant pool's history with the auditor key: JSON + CSV")
    c.add_argument("--rpc", required=True)
    c.add_argument("--pool", required=True)
    c.add_argument("--key", required=True, help="the auditor key file (hush auditor keygen)")
    c.add_argument("--json", required=True)
    c.add_argument("--csv", required=True)
    c.add_argument("--registry", help="the issuer's registry file, to name owners")
    c.add_argument("--from-block", type=int, default=0)
    c.set_defaults(func=cmd_audit)
