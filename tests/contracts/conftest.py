"""Shared fixtures for contract tests: a chain per module on each EVM backend, real proofs per session.

`w3` is parametrized over evm_chain.BACKENDS (anvil on a free loopback port, and py-evm in process
through eth-tester); a test that only makes sense or is only affordable on anvil narrows it with
`@evm_chain.anvil_only`. Proofs and keys do not depend on the chain and are made once per session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from evm_chain import BACKENDS, anvil_web3, eth_tester_web3


@pytest.fixture(scope="module", params=BACKENDS)
def w3(request) -> Iterator:
    pytest.importorskip("web3")
    if request.param == "anvil":
        try:
            with anvil_web3() as client:
                yield client
        except RuntimeError as e:
            pytest.fail(str(e))
    else:
        yield eth_tester_web3()


def _real_proof(name: str) -> dict:
    from hush.artifacts import circuit_files, ensure_dev_key
    from prover.formats.zkey import verification_key_json
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator
    from transfer.example import example_transfer

    files = circuit_files(name)
    try:
        files.check_compiled()
    except FileNotFoundError as e:
        pytest.skip(str(e))
    zkey = ensure_dev_key(name)
    prover = Prover(zkey, self_check=False)
    wc = WitnessCalculator(files.wasm)
    witness = wc.calculate_limbs(example_transfer(name).inputs)
    res = prover.prove(witness)
    return {
        "zkey": zkey,
        "vkey": verification_key_json(prover.zkey),
        "prover": prover,
        "wc": wc,
        "witness": witness,
        "proof": res.proof.to_json(),
        "public": [str(s) for s in res.public_signals],
    }


@pytest.fixture(scope="session")
def proof_2x2() -> dict:
    """A real Hush proof of the example transfer_2x2: {"zkey", "vkey", "prover", "wc", "witness", "proof", "public"}."""
    return _real_proof("transfer_2x2")


@pytest.fixture(scope="session")
def proof_16x2() -> dict:
    """As proof_2x2 for transfer_16x2 (its dev key takes about two minutes to make the first time)."""
    return _real_proof("transfer_16x2")
