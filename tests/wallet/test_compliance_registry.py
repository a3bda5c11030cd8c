"""The issuer's registry and its CLI verbs (issue 13): register, revoke, the file round trip, the
auditor's key file."""

from __future__ import annotations

import json

import pytest

from hush.cli import main
from transfer.identity import Identity, IdentityTree, quad_root_from_path
from wallet.compliance import IssuerRegistry
from wallet.compliance_cli import load_auditor_key


def test_registry_register_revoke_and_file(tmp_path):
    reg = IssuerRegistry()
    a = reg.register(111, 1, 250, 2_000_000_000, "0x" + "aa" * 20)
    b = reg.register(222, 2, 276, 2_000_000_000, 0xBB)
    assert (a, b) == (0, 1)
    tree = IdentityTree()
    tree.set(0, Identity(111, 1, 250, 2_000_000_000, int("aa" * 20, 16)).leaf)
    tree.set(1, Identity(222, 2, 276, 2_000_000_000, 0xBB).leaf)
    assert reg.root == tree.root
    r = reg.registered(222)
    assert quad_root_from_path(r.identity.leaf, r.path) == reg.root
    before = reg.root
    assert reg.revoke(1).tier == 0 and reg.root != before
    with pytest.raises(ValueError, match="already registered"):
        reg.register(111, 1, 250, 5, 1)
    with pytest.raises(ValueError, match="account"):
        reg.register(333, 1, 250, 5, 0)
    reg.save(tmp_path / "r.json")
    back = IssuerRegistry.load(tmp_path / "r.json")
    assert back.root == reg.root and back.entries == reg.entries
    obj = json.loads((tmp_path / "r.json").read_text())
    obj["identities"]["0"]["tier"] = "3"  # a tampered file no longer gives its recorded root
    (tmp_path / "bad.json").write_text(json.dumps(obj))
    with pytest.raises(ValueError, match="root"):
        IssuerRegistry.load(tmp_path / "bad.json")


def test_cli_register_revoke_keygen(tmp_path, capsys):
    reg_file = tmp_path / "registry.json"
    args = ["--registry", str(reg_file), "--jurisdiction", "250", "--expiry", "2000000000"]
    assert main(["issuer", "register", *args, "--owner", "111", "--tier", "1", "--account", "0x" + "aa" * 20]) == 0
    assert main(["issuer", "register", *args, "--owner", "0xde", "--tier", "2", "--account", "0x" + "bb" * 20]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["index"] for x in lines] == [0, 1]
    reg = IssuerRegistry.load(reg_file)
    assert str(reg.root) == lines[1]["root"] and reg.entries[1].owner == 0xDE
    assert main(["issuer", "revoke", "--registry", str(reg_file), "--index", "1"]) == 0
    assert IssuerRegistry.load(reg_file).entries[1].tier == 0
    key_file = tmp_path / "auditor.json"
    assert main(["auditor", "keygen", "--out", str(key_file)]) == 0
    assert key_file.stat().st_mode & 0o777 == 0o600
    pub = json.loads(capsys.readouterr().out.splitlines()[-1])["public_key"]
    assert [str(c) for c in load_auditor_key(key_file).public_key] == pub
    assert main(["auditor", "keygen", "--out", str(key_file)]) == 2  # never overwrites a key
