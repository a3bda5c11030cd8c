"""`hush ceremony`: a phase-2 ceremony coordinator over HTTP, and the contributor's one command.

    hush ceremony serve --dir D --r1cs C.r1cs --ptau P.ptau [--addr 127.0.0.1:8765] [--slot-timeout 900]
    hush ceremony contribute <url> --name NAME [--entropy TEXT] [--wait 3600]
    hush ceremony status <url>
    hush ceremony finish <url> <beacon hash hex> <iterations exp> --token T     (the coordinator's operator)

The coordinator (FastAPI in `service.ceremony_api`, served by uvicorn on loopback unless told otherwise, errors as
{"error", "code"} like the farm's REST API) holds the head of the ceremony, the latest accepted key:

    POST /v1/slots                 {"name"} -> {"slot", "token", "expires_at", "index"}; 409 while another
                                   contributor holds the slot (Retry-After), 410 once finished
    GET  /v1/head                  the head .zkey (X-Ceremony-Index: its number of contributions)
    PUT  /v1/slots/{slot}          the contributed .zkey (X-Slot-Token); verified before it becomes the
                                   head: 200 {"index", "hash"}, or 422 {"error", "code": "invalid", "step"}
    GET  /v1/transcript            every accepted contribution: contributor, time, contribution hash,
                                   the key file's SHA-256, and a hash chain over the entries
    POST /v1/finish                {"beacon_hash", "iterations_exp"} (X-Admin-Token): the public beacon,
                                   applied by the coordinator; the ceremony is closed
    GET  /v1/final                 the final key;  GET /healthz

One slot at a time: a contributor takes the slot, downloads the head, contributes, uploads within
`slot_timeout` seconds; after that the slot is free again and a late upload is refused (409). An
upload is accepted only if (prover.ceremony) its contribution chain checks, it extends the head by
exactly one contribution (the head's records unchanged), every section a contribution must not touch
equals the head's, and C and H are the head's divided by the new contribution's secret
(e(sum r_i C_head_i, delta_head) = e(sum r_i C_i, delta_new) for random r).

Durability (the state directory): keys/NNNN.zkey (0000 is `zkey new`'s), transcript.jsonl (one
JSON line per accepted key, fsynced, each line carrying the SHA-256 of the previous one: entry_hash
= SHA-256(previous entry_hash | the entry's canonical JSON)), slot.json (the slot in progress),
ceremony.json (circuit, ptau and circuit hashes, the admin token's SHA-256). A key is accepted when
its transcript line is on disk, and only then does the contributor get its 200: the key file is
fsynced and renamed into keys/ first, so a crash at any point loses nothing accepted; a key file
without its transcript line (a crash in between) is dropped on restart, and its contributor, who got
no answer, retries. On start the coordinator re-checks the chain and the files' hashes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger("hush.ceremony")

MAX_KEY_GROWTH = 1 << 16
"""An upload may exceed the head's size by this much (one more contribution record)."""


def _fsync_dir(d: Path) -> None:
    fd = os.open(d, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _atomic_json(path: Path, obj: Any) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def entry_hash(prev: str, entry: dict) -> str:
    body = {k: v for k, v in entry.items() if k != "entry_hash"}
    return hashlib.sha256(bytes.fromhex(prev) + json.dumps(body, sort_keys=True).encode()).hexdigest()


GENESIS = "00" * 32


class CeremonyStateError(Exception):
    def __init__(self, code: str, message: str, status: int, step: str | None = None) -> None:
        super().__init__(message)
        self.code, self.status, self.step = code, status, step


@dataclass
class Slot:
    slot: str
    token_sha256: str
    name: str
    expires_at: float
    index: int


class Coordinator:
    """The ceremony's state on disk and its transitions (thread-safe; the HTTP layer is `make_app`)."""

    def __init__(self, state_dir: str | os.PathLike, *, slot_timeout: float = 900.0) -> None:
        self.dir = Path(state_dir)
        self.keys = self.dir / "keys"
        self.slot_timeout = slot_timeout
        self.lock = threading.Lock()
        self.meta = json.loads((self.dir / "ceremony.json").read_text())
        self.entries: list[dict] = []
        self._recover()

    # --- set-up and recovery -------------------------------------------------------------------

    @classmethod
    def create(cls, state_dir: str | os.PathLike, r1cs: str | os.PathLike, ptau: str | os.PathLike, *,
               admin_token: str, progress=None, slot_timeout: float = 900.0) -> Coordinator:
        """Make the initial key (zkey new) into a fresh state directory; refuses a used one."""
        from prover.ceremony import zkey_new

        d = Path(state_dir)
        if (d / "ceremony.json").exists():
            raise FileExistsError(f"{d} already holds a ceremony")
        (d / "keys").mkdir(parents=True, exist_ok=True)
        first = d / "keys" / "0000.zkey"
        t = zkey_new(r1cs, ptau, first, progress=progress)
        with open(first, "rb+") as f:
            os.fsync(f.fileno())
        entry = {"index": 0, "contributor": "zkey new", "name": None, "time": time.time(), "hash": None,
                 "file_sha256": _sha256_file(first), "prev": GENESIS}
        entry["entry_hash"] = entry_hash(GENESIS, entry)
        with open(d / "transcript.jsonl", "w") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        _atomic_json(d / "ceremony.json", {
            "circuit_hash": t.cs_hash.hex(), "r1cs_sha256": _sha256_file(Path(r1cs)),
            "ptau_sha256": _sha256_file(Path(ptau)), "r1cs": str(Path(r1cs).resolve()),
            "ptau": str(Path(ptau).resolve()),
            "admin_token_sha256": hashlib.sha256(admin_token.encode()).hexdigest(), "finished": False})
        return cls(d, slot_timeout=slot_timeout)

    def _recover(self) -> None:
        lines = (self.dir / "transcript.jsonl").read_text().splitlines()
        prev = GENESIS
        good: list[dict] = []
        for i, line in enumerate(lines):
            try:
                e = json.loads(line)
            except json.JSONDecodeError:
                if i == len(lines) - 1:  # a torn last line: never acknowledged
                    log.warning("dropping a torn last transcript line")
                    break
                raise
            if e.get("prev") != prev or entry_hash(prev, e) != e.get("entry_hash") or e.get("index") != i:
                raise RuntimeError(f"transcript line {i + 1}: the hash chain is broken")
            path = self._key_path(i)
            if _sha256_file(path) != e["file_sha256"]:
                raise RuntimeError(f"{path}: the key file does not match its transcript entry")
            good.append(e)
            prev = e["entry_hash"]
        if len(good) != len(lines):
            self._rewrite_transcript(good)
        self.entries = good
        for p in self.keys.glob("*.zkey"):  # keys written but never acknowledged
            if p.stem.isdigit() and int(p.stem) >= len(good):
                log.warning("dropping %s: written but not accepted before a crash", p.name)
                p.unlink()
        for p in self.dir.glob("upload-*"):
            p.unlink()

    def _rewrite_transcript(self, entries: list[dict]) -> None:
        tmp = self.dir / "transcript.jsonl.tmp"
        with open(tmp, "w") as f:
            for e in entries:
                f.write(json.dumps(e, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.dir / "transcript.jsonl")
        _fsync_dir(self.dir)

    def _key_path(self, index: int) -> Path:
        return self.keys / f"{index:04d}.zkey"

    # --- queries ---------------------------------------------------------------------------------------

    @property
    def head_index(self) -> int:
        return len(self.entries) - 1

    @property
    def head_path(self) -> Path:
        return self._key_path(self.head_index)

    @property
    def finished(self) -> bool:
        return bool(self.meta.get("finished"))

    def transcript(self) -> dict:
        return {"circuit_hash": self.meta["circuit_hash"], "finished": self.finished, "entries": self.entries}

    def _slot(self) -> Slot | None:
        p = self.dir / "slot.json"
        if not p.exists():
            return None
        s = Slot(**json.loads(p.read_text()))
        if s.expires_at < time.time() or s.index != self.head_index:
            return None
        return s

    # --- transitions -----------------------------------------------------------------------------------

    def take_slot(self, name: str) -> tuple[Slot, str]:
        with self.lock:
            if self.finished:
                raise CeremonyStateError("finished", "the ceremony is finished", 410)
            cur = self._slot()
            if cur is not None:
                left = cur.expires_at - time.time()
                raise CeremonyStateError("busy", f"another contributor holds the slot for {left:.0f} s", 409)
            token = secrets.token_urlsafe(32)
            s = Slot(secrets.token_hex(8), hashlib.sha256(token.encode()).hexdigest(), name,
                     time.time() + self.slot_timeout, self.head_index)
            _atomic_json(self.dir / "slot.json", s.__dict__)
            return s, token

    def accept(self, slot_id: str, token: str, upload: Path) -> dict:
        """Verify an uploaded key against the head and make it the head (see the module docstring)."""
        from prover.ceremony import SetupCheckError

        with self.lock:
            s = self._slot()
            if s is None or s.slot != slot_id:
                raise CeremonyStateError("slot", "no such slot, or it expired", 409)
            if not secrets.compare_digest(hashlib.sha256(token.encode()).hexdigest(), s.token_sha256):
                raise CeremonyStateError("token", "wrong slot token", 403)
            try:
                c = check_extends(self.head_path, upload)
            except SetupCheckError as e:
                raise CeremonyStateError("invalid", str(e), 422, e.step) from None
            return self._append(upload, s.name, c.name, c.hash.hex())

    def _append(self, upload: Path, contributor: str, name: str | None, chash: str, **extra: Any) -> dict:
        index = self.head_index + 1
        with open(upload, "rb+") as f:
            os.fsync(f.fileno())
        path = self._key_path(index)
        os.replace(upload, path)
        _fsync_dir(self.keys)
        prev = self.entries[-1]["entry_hash"]
        entry = {"index": index, "contributor": contributor, "name": name, "time": time.time(), "hash": chash,
                 "file_sha256": _sha256_file(path), "prev": prev, **extra}
        entry["entry_hash"] = entry_hash(prev, entry)
        with open(self.dir / "transcript.jsonl", "a") as f:
            f.write(json.dumps(entry, sort_keys=True) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.entries.append(entry)
        (self.dir / "slot.json").unlink(missing_ok=True)
        log.info("accepted contribution %d from %s", index, contributor)
        return entry

    def finish(self, admin_token: str, beacon_hash: str, iterations_exp: int) -> dict:
        from prover.ceremony import zkey_beacon

        with self.lock:
            want = self.meta["admin_token_sha256"]
            if not secrets.compare_digest(hashlib.sha256(admin_token.encode()).hexdigest(), want):
                raise CeremonyStateError("token", "wrong admin token", 403)
            if self.finished:
                raise CeremonyStateError("finished", "the ceremony is finished", 410)
            if self.head_index < 1:
                raise CeremonyStateError("empty", "no contribution yet", 409)
            if self._slot() is not None:
                raise CeremonyStateError("busy", "a contributor holds the slot", 409)
            tmp = self.dir / f"upload-beacon-{secrets.token_hex(4)}"
            try:
                c = zkey_beacon(self.head_path, tmp, beacon_hash, iterations_exp, name="final beacon")
            except ValueError as e:
                tmp.unlink(missing_ok=True)
                raise CeremonyStateError("beacon", str(e), 400) from None
            entry = self._append(tmp, "beacon", c.name, c.hash.hex(), beacon_hash=beacon_hash,
                                 iterations_exp=iterations_exp)
            self.meta["finished"] = True
            _atomic_json(self.dir / "ceremony.json", self.meta)
            return entry


def check_extends(head_path: Path, new_path: Path):
    """The new key is the head plus one valid contribution (raises SetupCheckError); returns its line."""
    import numpy as np

    from prover.ceremony import (
        SetupCheckError,
        _read,
        check_divided_by_delta,
        compare_untouched,
        verify_contributions,
    )
    from prover.setup import _pubkey_bytes

    head, new = _read(head_path), _read(new_path)
    t = verify_contributions(new)
    if len(new.contributions) != len(head.contributions) + 1:
        raise SetupCheckError("contributions", f"expected {len(head.contributions) + 1} contributions, "
                                               f"got {len(new.contributions)}")
    for i, (a, b) in enumerate(zip(head.contributions, new.contributions, strict=False), start=1):
        if _pubkey_bytes(a) != _pubkey_bytes(b) or (a.type, a.name) != (b.type, b.name):
            raise SetupCheckError(f"contribution #{i} transcript", "an earlier contribution record was changed")
    compare_untouched(head, new)
    for what, a, b in (("C section", head.l_query, new.l_query), ("H section", head.h_query, new.h_query)):
        check_divided_by_delta(np.asarray(a), np.asarray(b), np.asarray(new.delta_g2), what,
                               before_g2=np.asarray(head.delta_g2))
    return t.contributions[-1]


# --- contributor ---------------------------------------------------------------------------------------


def contribute(url: str, name: str, *, entropy: str | None = None, wait: float = 3600.0, progress=None,
               workdir: str | os.PathLike | None = None) -> dict:
    """Take the slot (waiting while it is busy), download the head, contribute, upload; returns the
    coordinator's transcript entry (whose "hash" the contributor publishes)."""
    import tempfile

    import httpx

    from prover.ceremony import zkey_contribute

    url = url.rstrip("/")
    deadline = time.monotonic() + wait
    with httpx.Client(timeout=httpx.Timeout(600.0, connect=10.0)) as http:
        while True:
            r = http.post(f"{url}/v1/slots", json={"name": name})
            if r.status_code == 409 and time.monotonic() < deadline:
                time.sleep(min(float(r.headers.get("retry-after", "2")), max(0.1, deadline - time.monotonic())))
                continue
            _raise_for(r)
            slot = r.json()
            break
        with tempfile.TemporaryDirectory(dir=workdir, prefix="hush-ceremony-") as d:
            head, out = Path(d) / "head.zkey", Path(d) / "mine.zkey"
            with http.stream("GET", f"{url}/v1/head") as resp:
                _raise_for(resp)
                with open(head, "wb") as f:
                    for chunk in resp.iter_bytes(1 << 20):
                        f.write(chunk)
            c = zkey_contribute(head, out, name=name, entropy=entropy, progress=progress)
            data = out.read_bytes()
        r = http.put(f"{url}/v1/slots/{slot['slot']}", content=data,
                     headers={"X-Slot-Token": slot["token"], "Content-Type": "application/octet-stream"})
        _raise_for(r)
        got = r.json()
        if got["hash"] != c.hash.hex():
            raise RuntimeError("the coordinator recorded another hash than the one we computed")
        return got


class CeremonyClientError(RuntimeError):
    pass


def _raise_for(r) -> None:
    if r.status_code >= 400:
        try:
            body = r.json()
        except Exception:  # noqa: BLE001 (a non-JSON error page)
            r.read()
            body = {"error": r.text[:200]}
        step = f" at {body['step']}" if body.get("step") else ""
        why = body.get("error") or body.get("detail")
        raise CeremonyClientError(f"coordinator refused ({r.status_code}){step}: {why}")


# --- command line -----------------------------------------------------------------------------------------


def _addr(s: str) -> tuple[str, int]:
    host, _, port = s.rpartition(":")
    return host or "127.0.0.1", int(port)


def cmd_serve(a: argparse.Namespace) -> int:
    from hush.ceremony_cli import Bar

    d = Path(a.dir)
    token = os.environ.get("HUSH_CEREMONY_ADMIN_TOKEN")
    if not (d / "ceremony.json").exists():
        if not (a.r1cs and a.ptau):
            print("hush: a new ceremony needs --r1cs and --ptau")
            return 2
        if token is None:
            token = secrets.token_urlsafe(24)
            tp = d / "admin-token"
            d.mkdir(parents=True, exist_ok=True)
            tp.write_text(token + "\n")
            tp.chmod(0o600)
            print(f"admin token written to {tp}")
        Coordinator.create(d, a.r1cs, a.ptau, admin_token=token, progress=Bar())
    from .ceremony_api import serve

    coord = Coordinator(d, slot_timeout=a.slot_timeout)
    host, port = _addr(a.addr)
    print(f"ceremony at http://{host}:{port} (head: contribution {coord.head_index})", flush=True)
    serve(coord, host, port)
    return 0


def cmd_contribute(a: argparse.Namespace) -> int:
    from hush.ceremony_cli import Bar

    try:
        got = contribute(a.url, a.name, entropy=a.entropy, wait=a.wait, progress=Bar())
    except CeremonyClientError as e:
        print(f"hush: {e}")
        return 1
    from prover.setup_verify import format_hash

    print(f"contribution #{got['index']} accepted; publish its hash:\n  {format_hash(bytes.fromhex(got['hash']))}")
    return 0


def cmd_status(a: argparse.Namespace) -> int:
    import httpx

    r = httpx.get(a.url.rstrip("/") + "/v1/transcript", timeout=30)
    _raise_for(r)
    t = r.json()
    print(f"circuit hash {t['circuit_hash']}; {'finished' if t['finished'] else 'open'}")
    for e in t["entries"]:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(e["time"]))
        print(f"#{e['index']} {when} UTC {e['contributor']}: {e['hash'] or '(initial key)'}")
    return 0


def cmd_finish(a: argparse.Namespace) -> int:
    import httpx

    token = a.token or os.environ.get("HUSH_CEREMONY_ADMIN_TOKEN", "")
    r = httpx.post(a.url.rstrip("/") + "/v1/finish", json={"beacon_hash": a.beacon_hash,
                                                           "iterations_exp": a.iterations_exp},
                   headers={"X-Admin-Token": token}, timeout=3600)
    _raise_for(r)
    e = r.json()
    print(f"beacon applied: contribution #{e['index']} {e['hash']}; final key at {a.url.rstrip('/')}/v1/final")
    return 0


def add_parsers(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("ceremony", help="a multi-party phase-2 ceremony over HTTP").add_subparsers(dest="cmd",
                                                                                                  required=True)
    c = g.add_parser("serve", help="run the coordinator (state in --dir; survives restarts)")
    c.add_argument("--dir", required=True)
    c.add_argument("--r1cs")
    c.add_argument("--ptau")
    c.add_argument("--addr", default=os.environ.get("HUSH_CEREMONY_ADDR", "127.0.0.1:8765"))
    c.add_argument("--slot-timeout", type=float, default=900.0)
    c.set_defaults(func=cmd_serve)
    c = g.add_parser("contribute", help="download the head, contribute, upload; prints the hash to publish")
    c.add_argument("url")
    c.add_argument("--name", "-n", required=True)
    c.add_argument("--entropy", "-e", default=None)
    c.add_argument("--wait", type=float, default=3600.0, help="seconds to wait for the slot")
    c.set_defaults(func=cmd_contribute)
    c = g.add_parser("status", help="print the transcript")
    c.add_argument("url")
    c.set_defaults(func=cmd_status)
    c = g.add_parser("finish", help="apply the public beacon and close the ceremony")
    c.add_argument("url")
    c.add_argument("beacon_hash")
    c.add_argument("iterations_exp", type=int)
    c.add_argument("--token", default=None, help="the admin token (default HUSH_CEREMONY_ADMIN_TOKEN)")
    c.set_defaults(func=cmd_finish)
