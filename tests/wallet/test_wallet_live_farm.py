"""The demo's flow with every proof from the real farm (Celery worker with warm provers, the REST API
in process through its TestClient): the wallet's FarmClient speaks the server's contract."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.circuits, pytest.mark.slow, pytest.mark.farm]

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "service"))  # the farm tests' LiveFarm kit


@pytest.fixture(scope="module")
def live_farm(tmp_path_factory):
    from hush.artifacts import circuit_files

    if not circuit_files("transfer_2x2").zkey.is_file():
        pytest.skip("no transfer_2x2 key (hush setup circuit transfer_2x2)")
    farmkit = pytest.importorskip("farmkit")
    farm = farmkit.LiveFarm(tmp_path_factory.mktemp("farm"), max_attempts=2, time_limit_s=60.0)
    try:
        farm.start_worker()
        yield farm
    finally:
        farm.close()


def test_demo_through_the_farm(live_farm, tmp_path):
    from wallet.backends import FarmClient
    from wallet.chain import start_anvil, stop_process
    from wallet.demo import free_port, run_demo

    client = FarmClient("http://testserver", client=live_farm.client, deadline_s=120)
    try:
        proc, w3 = start_anvil(free_port())
    except FileNotFoundError as e:
        pytest.skip(str(e))
    lines: list[str] = []
    try:
        res = run_demo(w3, client, tmp_path, out=lines.append)
    finally:
        stop_process(proc)
    print("\n" + "\n".join(lines))
    assert res.ok, res.failures
    assert [s.proof_source for s in res.steps] == ["farm"] * 3
    # nothing the farm keeps (job store, worker log) holds a spending key
    kept = b"".join(p.read_bytes() for p in Path(live_farm.tmp_path).rglob("*") if p.is_file())
    assert kept, "the farm directory is empty: nothing was checked"
    for w in res.wallets.values():
        sk = w.keys.keys.spending_key
        for secret in (str(sk._scalar), f"{sk._scalar:064x}", sk._prefix.hex()):
            assert secret.encode() not in kept
