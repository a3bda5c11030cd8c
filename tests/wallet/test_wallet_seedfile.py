"""The wallet file: the seed sealed under a passphrase (Argon2id + SecretBox), or kept in the environment."""

from __future__ import annotations

import json
import stat

import pytest
from nacl import pwhash

from wallet.seedfile import SEED_ENV, WalletFileError, new_seed, open_seed, read_wallet_file, write_wallet_file

FAST = {"opslimit": pwhash.argon2id.OPSLIMIT_MIN, "memlimit": pwhash.argon2id.MEMLIMIT_MIN}


def test_round_trip_and_no_seed_in_clear(tmp_path):
    seed = new_seed()
    path = write_wallet_file(tmp_path / "w.json", seed, "correct horse", {"pool": "0x" + "11" * 20}, "hush1x", **FAST)
    raw = path.read_bytes()
    assert seed.hex().encode() not in raw and seed not in raw
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    doc = read_wallet_file(path)
    assert doc["config"]["pool"] == "0x" + "11" * 20
    assert open_seed(doc, "correct horse", env={}) == seed


def test_wrong_passphrase_and_tampering(tmp_path):
    seed = new_seed()
    path = write_wallet_file(tmp_path / "w.json", seed, "pw", {}, "hush1x", **FAST)
    doc = read_wallet_file(path)
    with pytest.raises(WalletFileError, match="wrong passphrase"):
        open_seed(doc, "pW", env={})
    bad = dict(doc)
    sealed = bytearray(bytes.fromhex(doc["sealed_seed"]))
    sealed[-1] ^= 1
    bad["sealed_seed"] = sealed.hex()
    with pytest.raises(WalletFileError, match="altered"):
        open_seed(bad, "pw", env={})
    with pytest.raises(WalletFileError, match="passphrase"):
        open_seed(doc, None, env={})


def test_seed_from_environment(tmp_path):
    seed = new_seed()
    path = write_wallet_file(tmp_path / "w.json", None, None, {}, "hush1x")
    doc = read_wallet_file(path)
    assert "sealed_seed" not in doc
    assert open_seed(doc, None, env={SEED_ENV: seed.hex()}) == seed
    with pytest.raises(WalletFileError, match=SEED_ENV):
        open_seed(doc, None, env={})
    for bad in ("zz" * 32, "ab" * 16):
        with pytest.raises(WalletFileError):
            open_seed(doc, None, env={SEED_ENV: bad})


def test_unreadable_files(tmp_path):
    with pytest.raises(WalletFileError, match="no wallet file"):
        read_wallet_file(tmp_path / "missing.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(WalletFileError, match="JSON"):
        read_wallet_file(tmp_path / "bad.json")
    (tmp_path / "v9.json").write_text(json.dumps({"version": 9}))
    with pytest.raises(WalletFileError, match="version"):
        read_wallet_file(tmp_path / "v9.json")
    with pytest.raises(WalletFileError, match="passphrase is needed"):
        write_wallet_file(tmp_path / "x.json", new_seed(), "", {}, "hush1x")
