"""Shared fixtures for contract tests: one anvil per module on a free loopback port, real proofs."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
from evm_chain import ANVIL, free_port


@pytest.fixture(scope="module")
def w3() -> Iterator:
    web3 = pytest.importorskip("web3")
    if not ANVIL.is_file():
        pytest.skip(f"anvil not installed at {ANVIL} (npm install)")
    port = free_port()
    proc = subprocess.Popen(
        [str(ANVIL), "--host", "127.0.0.1", "--port", str(port), "--silent", "--gas-limit", "100000000"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = web3.Web3(web3.Web3.HTTPProvider(f"http://127.0.0.1:{port}", request_kwargs={"timeout": 60}))
        for _ in range(100):
            if proc.poll() is not None:
                pytest.fail(f"anvil exited with status {proc.returncode}")
            if client.is_connected():
                break
            time.sleep(0.1)
        else:
            pytest.fail("anvil did not answer within 10 s")
        client.eth.default_account = client.eth.accounts[0]
        yield client
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def proof_2x2() -> dict:
    """A real Hush proof of the example transfer_2x2: {"zkey", "vkey", "prover", "witness", "proof", "public"}."""
    from hush.artifacts import circuit_files, ensure_dev_key
    from prover.formats.zkey import verification_key_json
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator
    from transfer.example import example_transfer

    files = circuit_files("transfer_2x2")
    try:
        files.check_compiled()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    zkey = ensure_dev_key("transfer_2x2")
    prover = Prover(zkey, self_check=False)
    witness = WitnessCalculator(files.wasm).calculate_limbs(example_transfer("transfer_2x2").inputs)
    res = prover.prove(witness)
    return {
        "zkey": zkey,
        "vkey": verification_key_json(prover.zkey),
        "prover": prover,
        "witness": witness,
        "proof": res.proof.to_json(),
        "public": [str(s) for s in res.public_signals],
    }
