"""`hush ceremony`: the coordinator over HTTP on loopback, real contributors, SIGKILL and restart,
a final beacon; a three-party ceremony for transfer_2x2 that snarkjs accepts and the farm proves
with. The coordinator runs as a real process (`hush ceremony serve`) on a free port and is always
stopped at the end of its test."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import httpx
import numpy as np
import pytest
from farmkit import free_port

from prover import ceremony as C
from prover.formats.zkey import read_zkey, write_zkey
from service.ceremony import GENESIS, CeremonyStateError, Coordinator, contribute, entry_hash

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "prover"))
from test_setup import _write_small_r1cs  # noqa: E402
from toolchain import snarkjs  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
BEACON = "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
TOKEN = "test-admin-token"


class CoordinatorProcess:
    def __init__(self, state: Path, *, r1cs: Path | None = None, ptau: Path | None = None,
                 slot_timeout: float = 600.0) -> None:
        self.state, self.port = state, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [sys.executable, "-m", "hush.cli", "ceremony", "serve", "--dir", str(state),
                     "--addr", f"127.0.0.1:{self.port}", "--slot-timeout", str(slot_timeout)]
        if r1cs is not None:
            self.args += ["--r1cs", str(r1cs), "--ptau", str(ptau)]
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 600.0) -> CoordinatorProcess:
        env = {**os.environ, "HUSH_CEREMONY_ADMIN_TOKEN": TOKEN}
        log = open(self.state.parent / f"{self.state.name}-coordinator.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(self.args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"coordinator exited {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise TimeoutError("coordinator did not come up")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)
        self.proc = None

    def transcript(self) -> dict:
        return httpx.get(f"{self.url}/v1/transcript", timeout=30).json()


def _check_chain(entries: list[dict], state: Path) -> None:
    prev = GENESIS
    for i, e in enumerate(entries):
        assert e["index"] == i and e["prev"] == prev and entry_hash(prev, e) == e["entry_hash"]
        key = state / "keys" / f"{i:04d}.zkey"
        assert hashlib.sha256(key.read_bytes()).hexdigest() == e["file_sha256"]
        prev = e["entry_hash"]
    assert sorted(p.name for p in (state / "keys").glob("*.zkey")) == [f"{i:04d}.zkey" for i in range(len(entries))]


def _tampered_contribution(head: Path, out: Path) -> None:
    """A real contribution to head whose C points are then swapped."""
    C.zkey_contribute(head, out, name="mallory")
    z = read_zkey(out)
    lq = np.array(z.l_query)
    j = next(j for j in range(1, len(lq)) if not np.array_equal(lq[0], lq[j]))
    lq[[0, j]] = lq[[j, 0]]
    from dataclasses import replace

    write_zkey(replace(z, l_query=lq), out.with_suffix(".tmp"))
    os.replace(out.with_suffix(".tmp"), out)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A hand-written R1CS (tests/prover/test_setup.py's, domain 2^3) and a development ptau."""
    from prover.setup import DevSetupWarning, powers_of_tau

    d = tmp_path_factory.mktemp("small")
    _write_small_r1cs(d / "small.r1cs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DevSetupWarning)
        powers_of_tau(5, d / "p5.ptau")
    return d / "small.r1cs", d / "p5.ptau"


# --- in process: the state machine ------------------------------------------------------------------


def test_slots_tokens_expiry_and_recovery(small: tuple[Path, Path], tmp_path: Path) -> None:
    r1cs, ptau = small
    state = tmp_path / "state"
    co = Coordinator.create(state, r1cs, ptau, admin_token=TOKEN, slot_timeout=1.0)
    slot, token = co.take_slot("alice")
    with pytest.raises(CeremonyStateError) as e:
        co.take_slot("bob")
    assert e.value.code == "busy" and e.value.status == 409
    mine = tmp_path / "alice.zkey"
    C.zkey_contribute(co.head_path, mine, name="alice")
    with pytest.raises(CeremonyStateError) as e:
        co.accept(slot.slot, "not the token", mine)
    assert e.value.status == 403
    time.sleep(1.2)  # the slot expires: the late upload is refused, another contributor may go
    with pytest.raises(CeremonyStateError) as e:
        co.accept(slot.slot, token, mine)
    assert e.value.code == "slot"
    slot, token = co.take_slot("bob")
    with pytest.raises(CeremonyStateError) as e:  # the head itself: no new contribution
        co.accept(slot.slot, token, co.head_path)
    assert e.value.code == "invalid" and e.value.step == "contributions"
    entry = co.accept(slot.slot, token, mine)
    assert entry["index"] == 1 and co.head_index == 1
    with pytest.raises(CeremonyStateError) as e:
        co.finish("wrong", BEACON, 10)
    assert e.value.status == 403
    # a crash between storing a key and writing its transcript line: a key file without an entry and
    # a torn last line; both dropped on restart, the accepted state intact
    (state / "keys" / "0002.zkey").write_bytes(b"half a key")
    with open(state / "transcript.jsonl", "a") as f:
        f.write('{"index": 2, "contrib')
    co2 = Coordinator(state)
    assert co2.head_index == 1 and not (state / "keys" / "0002.zkey").exists()
    _check_chain(co2.entries, state)
    final = co2.finish(TOKEN, BEACON, 10)
    assert final["index"] == 2 and final["beacon_hash"] == BEACON and co2.finished
    with pytest.raises(CeremonyStateError) as e:
        co2.take_slot("carol")
    assert e.value.status == 410
    t = C.zkey_verify(r1cs, ptau, co2.head_path)
    assert [c.hash.hex() for c in t.contributions] == [e["hash"] for e in co2.entries[1:]]


# --- over HTTP, with SIGKILL ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.interop
def test_coordinator_survives_sigkill_and_finishes(small: tuple[Path, Path], tmp_path: Path) -> None:
    r1cs, ptau = small
    state = tmp_path / "state"
    co = CoordinatorProcess(state, r1cs=r1cs, ptau=ptau).start()
    try:
        a = contribute(co.url, "alice", workdir=tmp_path)
        assert a["index"] == 1
        # mallory: a tampered upload is refused with the failed step, the head stays
        s = httpx.post(f"{co.url}/v1/slots", json={"name": "mallory"}, timeout=30).json()
        busy = httpx.post(f"{co.url}/v1/slots", json={"name": "bob"}, timeout=30)
        assert busy.status_code == 409 and busy.json()["code"] == "busy" and "retry-after" in busy.headers
        head = tmp_path / "head.zkey"
        head.write_bytes(httpx.get(f"{co.url}/v1/head", timeout=60).content)
        _tampered_contribution(head, tmp_path / "bad.zkey")
        r = httpx.put(f"{co.url}/v1/slots/{s['slot']}", content=(tmp_path / "bad.zkey").read_bytes(),
                      headers={"X-Slot-Token": s["token"]}, timeout=120)
        assert r.status_code == 422 and r.json()["step"] == "C section"
        assert co.transcript()["entries"][-1]["index"] == 1

        # bob contributes while mallory's slot is still held: he waits for it... so release it by
        # restarting with a short slot timeout after a SIGKILL, and check nothing accepted was lost
        before = co.transcript()
        co.kill()
        co = CoordinatorProcess(state, slot_timeout=600.0)
        co.start()
        assert co.transcript() == before
        _check_chain(before["entries"], state)
        # mallory's slot survived the restart (it is durable): bob waits; free it by letting mallory
        # upload a valid contribution this time
        C.zkey_contribute(head, tmp_path / "good.zkey", name="mallory")
        r = httpx.put(f"{co.url}/v1/slots/{s['slot']}", content=(tmp_path / "good.zkey").read_bytes(),
                      headers={"X-Slot-Token": s["token"]}, timeout=120)
        assert r.status_code == 200 and r.json()["index"] == 2

        # SIGKILL while an upload is being verified: afterwards the transcript and the key files agree,
        # and the upload is either fully accepted or absent
        s = httpx.post(f"{co.url}/v1/slots", json={"name": "bob"}, timeout=30).json()
        head.write_bytes(httpx.get(f"{co.url}/v1/head", timeout=60).content)
        bob = C.zkey_contribute(head, tmp_path / "bob.zkey", name="bob")
        body = (tmp_path / "bob.zkey").read_bytes()

        def upload() -> None:
            try:
                httpx.put(f"{co.url}/v1/slots/{s['slot']}", content=body, headers={"X-Slot-Token": s["token"]},
                          timeout=120)
            except httpx.HTTPError:
                pass

        th = threading.Thread(target=upload)
        th.start()
        time.sleep(0.3)
        co.kill()
        th.join(timeout=60)
        co = CoordinatorProcess(state).start()
        entries = co.transcript()["entries"]
        _check_chain(entries, state)
        assert len(entries) in (3, 4)
        if len(entries) == 3:  # not accepted before the kill: bob retries with his slot
            r = httpx.put(f"{co.url}/v1/slots/{s['slot']}", content=body, headers={"X-Slot-Token": s["token"]},
                          timeout=120)
            assert r.status_code == 200
        entries = co.transcript()["entries"]
        assert entries[3]["hash"] == bob.hash.hex() and entries[3]["contributor"] == "bob"

        out = subprocess.run([sys.executable, "-m", "hush.cli", "ceremony", "finish", co.url, BEACON, "10",
                              "--token", TOKEN], cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stdout + out.stderr
        final = tmp_path / "final.zkey"
        final.write_bytes(httpx.get(f"{co.url}/v1/final", timeout=60).content)
        entries = co.transcript()["entries"]
        _check_chain(entries, state)
        t = C.zkey_verify(r1cs, ptau, final)
        assert [c.hash.hex() for c in t.contributions] == [e["hash"] for e in entries[1:]]
        assert "ZKey Ok!" in snarkjs("zkey", "verify", r1cs, ptau, final)
        assert json.loads((state / "ceremony.json").read_text())["finished"]
    finally:
        co.kill()


# --- transfer_2x2, three parties ------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.circuits
@pytest.mark.interop
def test_three_party_ceremony_for_transfer_2x2(tmp_path: Path) -> None:
    from hush.artifacts import circuit_files, ensure_dev_key

    files = circuit_files("transfer_2x2")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ensure_dev_key("transfer_2x2")  # its phase-1 file: a development ptau of 2^16, prepared
    ptau = files.zkey.parent / "transfer_2x2.ptau"
    state = tmp_path / "state"
    co = CoordinatorProcess(state, r1cs=files.r1cs, ptau=ptau, slot_timeout=900.0).start(timeout=900)
    procs = []
    try:
        for name in ("alice", "bob", "carol"):  # all at once: they take the slot one after the other
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "hush.cli", "ceremony", "contribute", co.url, "--name", name, "--wait", "1800"],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outs = [p.communicate(timeout=1800) for p in procs]
        for p, (out, err) in zip(procs, outs, strict=True):
            assert p.returncode == 0, out + err
            assert "accepted; publish its hash" in out
        entries = co.transcript()["entries"]
        assert sorted(e["contributor"] for e in entries[1:]) == ["alice", "bob", "carol"]
        r = httpx.post(f"{co.url}/v1/finish", json={"beacon_hash": BEACON, "iterations_exp": 10},
                       headers={"X-Admin-Token": TOKEN}, timeout=900)
        assert r.status_code == 200, r.text
        final = tmp_path / "transfer_2x2.zkey"
        final.write_bytes(httpx.get(f"{co.url}/v1/final", timeout=120).content)
    finally:
        co.kill()
        for p in procs:
            if p.poll() is None:
                p.kill()
    entries = json.loads("[" + ",".join((state / "transcript.jsonl").read_text().splitlines()) + "]")
    _check_chain(entries, state)
    out = snarkjs("zkey", "verify", files.r1cs, ptau, final)
    assert "ZKey Ok!" in out
    for e in entries[1:]:
        assert " ".join(e["hash"][i : i + 8] for i in range(0, 32, 8)) in " ".join(out.split())

    # the farm's worker warms up on the ceremony key, unchanged: it proves the example transfer and
    # checks it; the proof verifies against the key's verification key
    build = tmp_path / "build"
    (build / "keys").mkdir(parents=True)
    (build / "circuits").symlink_to(files.r1cs.parent.parent)
    shutil.copyfile(final, build / "keys" / "transfer_2x2.zkey")
    old = os.environ.get("HUSH_BUILD_DIR")
    os.environ["HUSH_BUILD_DIR"] = str(build)
    try:
        from farmkit import make_settings

        from service.worker import WorkerState

        ws = WorkerState(make_settings(tmp_path))
        ws.warm()
        ws.close()
        warm = ws.circuits["transfer_2x2"]
        assert warm.prover.zkey.delta_g1.tobytes() == read_zkey(final).delta_g1.tobytes()
    finally:
        if old is None:
            os.environ.pop("HUSH_BUILD_DIR", None)
        else:
            os.environ["HUSH_BUILD_DIR"] = old
    assert hashlib.sha256((build / "keys" / "transfer_2x2.zkey").read_bytes()).digest() == \
        hashlib.sha256(final.read_bytes()).digest()
