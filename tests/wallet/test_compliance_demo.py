"""`make demo-compliance`'s flow on anvil with the in-process prover (issue 13): every check of the demo
holds (refusals before proving, the forged ciphertext reverting, the public events without an address or
amount, the auditor reading Alice -> Bob 30; SECURITY 43)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.interop, pytest.mark.circuits]


def test_compliance_demo_flow(tmp_path):
    from wallet.backends import LocalProver
    from wallet.chain import start_anvil, stop_process
    from wallet.compliance_demo import run_demo
    from wallet.demo import free_port

    lines: list[str] = []
    proc, w3 = start_anvil(free_port())
    try:
        failures = run_demo(w3, LocalProver.shared(), tmp_path, out=lines.append)
    finally:
        stop_process(proc)
    assert failures == [], "\n".join(lines)
    text = "\n".join(lines)
    for rule in ("not registered", "tier cap", "rate limit", "InvalidProof()", "Alice -> Bob 30"):
        assert rule in text
    assert (tmp_path / "audit.json").is_file() and (tmp_path / "audit.csv").is_file()
