"""Compliance tooling (issue 13): the issuer's registry, the policy and compliant pool on chain, and the
auditor's report.

    IssuerRegistry     identities by index in the quaternary identity tree (transfer.identity); register,
                       revoke (tier 0: the identity may only exit to its account), renew; saved as JSON.
                       What it holds is the issuer's (addresses and attributes, no key); the leaves alone
                       (hashes) are what the issuer publishes for wallets to build membership paths.
    PolicyClient       a CompliancePolicy contract: publish a root (a revocation invalidates the older
                       ones), rotate the auditor key, caps, blocked jurisdictions, epoch; `inputs()` gives
                       the `transfer.compliant.Policy` a proof takes now.
    deploy_compliant   PoseidonT3, TestToken, the compliant verifier(s), the policy and the CompliantPool.
    compliant_args     the (Proof, Compliance) arguments of `CompliantPool.transactCompliant`.
    audit_report       every AuditRecord of a pool decrypted with the auditor's key: block, tx, sender,
                       recipients, amounts, token, fee, public amount; `write_report` as JSON and CSV.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from web3 import Web3

from contracts.deploy import deploy_contract as _deploy
from transfer.babyjub import Point
from transfer.compliant import COMPLIANT_SHAPES, CompliantShape, Policy, Registered, public_signals
from transfer.identity import ID_DEPTH, Identity, IdentityTree
from transfer.inputs import decode_public_amount
from transfer.poseidon_cipher import AuditorKey, CipherError

from .chain import ZERO_ADDRESS, artifact, proof_args, verifier_artifact

__all__ = [
    "IssuerRegistry",
    "PolicyClient",
    "CompliantDeployment",
    "deploy_compliant",
    "compliant_args",
    "AuditEntry",
    "audit_report",
    "write_report",
]


class IssuerRegistry:
    """The issuer's identities, by index, and the tree they make."""

    def __init__(self, depth: int = ID_DEPTH) -> None:
        self.tree = IdentityTree(depth)
        self.entries: dict[int, Identity] = {}

    def _write(self, index: int, identity: Identity) -> None:
        self.entries[index] = identity
        self.tree.set(index, identity.leaf)

    def register(self, owner: int, tier: int, jurisdiction: int, expiry: int, account: int | str) -> int:
        """A new identity at the next free index; returns the index."""
        if isinstance(account, str):
            account = int(account, 16)
        if not 1 <= tier:
            raise ValueError(f"tier: expected >= 1 (0 is revocation), got {tier}")
        if jurisdiction == 0:
            raise ValueError("jurisdiction: 0 pads the blocked list, use a non-zero code")
        if account == 0:
            raise ValueError("account: a registered public address is required (it is where an exit goes)")
        if any(i.owner == owner for i in self.entries.values()):
            raise ValueError(f"owner {owner} is already registered")
        index = max(self.entries, default=-1) + 1
        self._write(index, Identity(owner, tier, jurisdiction, expiry, account))
        return index

    def revoke(self, index: int) -> Identity:
        """Tier 0: the identity can no longer pay or be paid, and may only withdraw to its account."""
        old = self.entries[index]
        new = Identity(old.owner, 0, old.jurisdiction, old.expiry, old.account)
        self._write(index, new)
        return new

    def renew(self, index: int, *, tier: int | None = None, expiry: int | None = None) -> Identity:
        old = self.entries[index]
        new = Identity(
            old.owner,
            old.tier if tier is None else tier,
            old.jurisdiction,
            old.expiry if expiry is None else expiry,
            old.account,
        )
        self._write(index, new)
        return new

    @property
    def root(self) -> int:
        return self.tree.root

    def index_of(self, owner: int) -> int:
        for i, ident in self.entries.items():
            if ident.owner == owner:
                return i
        raise KeyError(f"owner {owner} is not registered")

    def registered(self, owner: int) -> Registered:
        """The identity of `owner` with its path under the current root (what a recipient shares)."""
        i = self.index_of(owner)
        return Registered(self.entries[i], self.tree.path(i))

    def all_registered(self) -> dict[int, Registered]:
        return {ident.owner: Registered(ident, self.tree.path(i)) for i, ident in self.entries.items()}

    def to_json(self) -> dict[str, Any]:
        return {
            "depth": self.tree.depth,
            "root": str(self.root),
            "identities": {str(i): {k: str(v) for k, v in asdict(e).items()} for i, e in sorted(self.entries.items())},
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> IssuerRegistry:
        reg = cls(int(obj["depth"]))
        for i, e in obj["identities"].items():
            reg._write(int(i), Identity(**{k: int(v) for k, v in e.items()}))
        if str(reg.root) != obj["root"]:
            raise ValueError(f"registry file: its identities give root {reg.root}, the file says {obj['root']}")
        return reg

    def save(self, path: str | os.PathLike) -> None:
        p = Path(path)
        tmp = p.with_suffix(p.suffix + ".tmp")
        tmp.write_text(json.dumps(self.to_json(), indent=1) + "\n")
        os.replace(tmp, p)

    @classmethod
    def load(cls, path: str | os.PathLike) -> IssuerRegistry:
        return cls.from_json(json.loads(Path(path).read_text()))


class PolicyClient:
    """A CompliancePolicy contract."""

    def __init__(self, w3: Web3, address: str) -> None:
        self.w3 = w3
        self.contract = w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=artifact("CompliancePolicy")["abi"]
        )

    def _send(self, fn: Any, sender: str) -> Any:
        receipt = self.w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender}))
        if receipt.status != 1:
            raise RuntimeError(f"{fn.fn_name} reverted")
        return receipt

    def publish_root(self, root: int, issuer: str, *, invalidate_previous: bool = False) -> Any:
        return self._send(self.contract.functions.publishIdentityRoot(root, invalidate_previous), issuer)

    def set_auditor_key(self, key: Point, issuer: str) -> Any:
        return self._send(self.contract.functions.setAuditorKey(list(key)), issuer)

    def set_tier_caps(self, caps: Sequence[int], issuer: str) -> Any:
        return self._send(self.contract.functions.setTierCaps(list(caps)), issuer)

    def set_blocked(self, blocked: Sequence[int], issuer: str) -> Any:
        padded = list(blocked) + [0] * (4 - len(blocked))
        return self._send(self.contract.functions.setBlockedJurisdictions(padded), issuer)

    def set_epoch(self, epoch_length: int, max_slots: int, issuer: str) -> Any:
        return self._send(self.contract.functions.setEpoch(epoch_length, max_slots), issuer)

    def inputs(self, identity_root: int | None = None, block: int | str = "latest") -> Policy:
        """The policy's public inputs for a proof to be sent now (the epoch of the latest block)."""
        f = self.contract.functions
        epoch_length = f.epochLength().call(block_identifier=block)
        timestamp = self.w3.eth.get_block(block)["timestamp"]
        epoch = timestamp // epoch_length
        blocked = tuple(b for b in f.blockedJurisdictions().call(block_identifier=block) if b != 0)
        return Policy(
            identity_root=identity_root
            if identity_root is not None
            else f.lastIdentityRoot().call(block_identifier=block),
            epoch=epoch,
            epoch_start=epoch * epoch_length,
            tier_caps=tuple(f.tierCaps().call(block_identifier=block)),
            blocked=blocked,
            max_slots=f.maxSlots().call(block_identifier=block),
            auditor_pub_key=tuple(f.auditorKey().call(block_identifier=block)),  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class CompliantDeployment:
    token: str
    pool: str
    policy: str
    hasher: str
    verifier_2x2: str
    verifier_16x2: str
    block: int


def deploy_compliant(
    w3: Web3,
    deployer: str,
    vkeys: Mapping[str, dict],
    *,
    identity_root: int,
    tier_caps: Sequence[int],
    blocked: Sequence[int],
    auditor_key: Point,
    epoch_length: int,
    max_slots: int,
    max_deposit: int = 2**120 - 1,
    levels: int | None = None,
) -> CompliantDeployment:
    """PoseidonT3, TestToken, the verifier(s) of `vkeys` ({"compliant_2x2": vkey, ...}), the policy (the
    deployer is its issuer) and the CompliantPool."""
    levels = levels or COMPLIANT_SHAPES["compliant_2x2"].levels
    hasher, _ = _deploy(w3, artifact("PoseidonT3"), deployer)
    token, _ = _deploy(w3, artifact("TestToken"), deployer)
    v2, _ = _deploy(w3, verifier_artifact(vkeys["compliant_2x2"], COMPLIANT_SHAPES["compliant_2x2"].levels), deployer)
    v16 = ZERO_ADDRESS
    if "compliant_16x2" in vkeys:
        art16 = verifier_artifact(vkeys["compliant_16x2"], COMPLIANT_SHAPES["compliant_16x2"].levels)
        v16, _ = _deploy(w3, art16, deployer)
    padded = list(blocked) + [0] * (4 - len(blocked))
    policy, _ = _deploy(
        w3,
        artifact("CompliancePolicy"),
        deployer,
        identity_root,
        list(tier_caps),
        padded,
        list(auditor_key),
        epoch_length,
        max_slots,
    )
    pool, block = _deploy(w3, artifact("CompliantPool"), deployer, levels, hasher, token, v2, v16, max_deposit, policy)
    return CompliantDeployment(token, pool, policy, hasher, v2, v16, block)


def compliant_args(proof_json: dict, inputs: Mapping[str, Any], shape: CompliantShape) -> tuple[tuple, tuple]:
    """(Proof, Compliance) of `transactCompliant` from a snarkjs proof and the circuit input dict."""
    s = public_signals(inputs, shape)
    n = shape.n_ins
    proof = proof_args(proof_json, s, n)
    c = s[6 + n :]
    t, b = shape.n_tiers, shape.n_blocked
    # identityRoot, epoch, epochStart, caps, blocked, maxSlots | epochNullifier, exitAccount, auditor, eph, ciphertext
    k = 3 + t + b + 1
    compliance = (c[0], c[1], c[k], c[k + 1], [c[k + 2], c[k + 3]], [c[k + 4], c[k + 5]], list(c[k + 6 :]))
    return proof, compliance


@dataclass(frozen=True)
class AuditEntry:
    block: int
    tx: str
    sender: str
    recipients: list[str]
    amounts: list[int]
    token: int
    fee: int
    public_amount: int
    exit_account: str


def _name(owner: int, names: Mapping[int, str]) -> str:
    return names.get(owner, str(owner))


def audit_report(
    w3: Web3,
    pool_address: str,
    auditor: AuditorKey,
    *,
    from_block: int = 0,
    names: Mapping[int, str] | None = None,
    shape: CompliantShape | None = None,
) -> list[AuditEntry]:
    """Every AuditRecord of the pool, decrypted with the auditor's key, in chain order. Zero-amount
    outputs (padding) are left out. `names` maps owner addresses to labels (e.g. the issuer's registry).
    A record that does not decrypt (another key: a rotation) raises CipherError naming its transaction."""
    shape = shape or COMPLIANT_SHAPES["compliant_2x2"]
    names = names or {}
    pool = w3.eth.contract(address=Web3.to_checksum_address(pool_address), abi=artifact("CompliantPool")["abi"])
    logs = pool.events.AuditRecord().get_logs(from_block=from_block, to_block="latest")
    m = shape.n_outs
    out = []
    for log in sorted(logs, key=lambda x: (x.blockNumber, x.logIndex)):
        tx = log.transactionHash.to_0x_hex()
        try:
            plain = auditor.decrypt(tuple(log.args.ephemeralPubKey), list(log.args.auditCiphertext), shape.n_plain)
        except CipherError as e:
            raise CipherError(f"transaction {tx}: {e}") from None
        sender, owners, amounts = plain[0], plain[1 : 1 + m], plain[1 + m : 1 + 2 * m]
        token, fee, public_field = plain[1 + 2 * m], plain[2 + 2 * m], plain[3 + 2 * m]
        kept = [(o, a) for o, a in zip(owners, amounts, strict=True) if a != 0]
        receipt = w3.eth.get_transaction_receipt(log.transactionHash)
        exits = pool.events.Exit().process_receipt(receipt, errors=_discard())
        out.append(
            AuditEntry(
                block=log.blockNumber,
                tx=tx,
                sender=_name(sender, names),
                recipients=[_name(o, names) for o, _ in kept],
                amounts=[a for _, a in kept],
                token=token,
                fee=fee,
                public_amount=decode_public_amount(public_field),
                exit_account=exits[0].args.account if exits else "",
            )
        )
    return out


def _discard() -> Any:
    from web3.logs import DISCARD

    return DISCARD


def write_report(entries: Sequence[AuditEntry], json_path: str | os.PathLike, csv_path: str | os.PathLike) -> None:
    """The report as JSON (a list of entries) and CSV (one row per transfer; recipients and amounts
    separated by ';')."""
    Path(json_path).write_text(json.dumps([asdict(e) for e in entries], indent=1) + "\n")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["block", "tx", "sender", "recipients", "amounts", "token", "fee", "public_amount", "exit_account"])
        for e in entries:
            w.writerow(
                [
                    e.block,
                    e.tx,
                    e.sender,
                    ";".join(e.recipients),
                    ";".join(map(str, e.amounts)),
                    e.token,
                    e.fee,
                    e.public_amount,
                    e.exit_account,
                ]
            )
