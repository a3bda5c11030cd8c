"""The REST API against its own OpenAPI schema, with schemathesis (issue 11 item 9): every status,
content type, header and body the API answers is one the schema documents, a request the schema
forbids is refused, a route that needs a key refuses a call without one, and nothing answers 5xx.

Run as an operator runs the farm in production (HUSH_AUTH=required, the examples carry a valid key;
schemathesis also tries them without), in-process (ASGI) over the real jobs layer and store with the
broker replaced by a list. Bounded: at most 20 examples per operation, `wait` capped at 0.2 s.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from farmkit import FakeFarm, make_settings

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402

from bn254.constants import G1_GEN, G2_GEN  # noqa: E402
from service.auth import hash_api_key, new_api_key  # noqa: E402
from service.model import CircuitInfo  # noqa: E402
from transfer.constants import SHAPES  # noqa: E402
from verifier.keys import VerifyingKey  # noqa: E402

SEMANTIC = {"POST /v1/proofs", "POST /v1/verify"}
"""Operations whose bodies are checked beyond what a schema can say (every input a field element of the
circuit's shape, the transfer's rules, a proof's points on the curve): a schema-valid body may rightly
answer 422 there, so schemathesis' positive-data check is off for them; every other check stays on."""


def _farm() -> tuple[FakeFarm, str]:
    """Built at import (schemathesis needs the schema to parametrize; its from_fixture fails on this pytest):
    a temporary SQLite store, no thread, no process; removed by the module fixture below."""
    f = FakeFarm(make_settings(Path(tempfile.mkdtemp(prefix="hush-contract-")), auth_required=True))
    shape = SHAPES["transfer_2x2"]
    from py_ecc.optimized_bn128 import G2, multiply, normalize

    x, y = normalize(multiply(G2, 2))
    delta = ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))
    vk = VerifyingKey(n_public=shape.n_public, alpha_g1=G1_GEN, beta_g2=G2_GEN, gamma_g2=G2_GEN, delta_g2=delta,
                      gamma_abc_g1=(G1_GEN,) * (shape.n_public + 1)).to_json(alphabeta=False)
    f.farm.store.put_circuit(CircuitInfo(id="transfer_2x2", public_inputs=shape.public_input_names(),
                                         n_constraints=1, verification_key=vk, zkey_sha256="0" * 64,
                                         r1cs_sha256="0" * 64))
    key, key_id = new_api_key()
    f.farm.store.add_api_key(key_id, hash_api_key(key), rate_per_s=1000.0, burst=1000, max_active=1000)
    return f, key


FARM, KEY = _farm()
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", FARM.client.app)


@SCHEMA.auth()
class ApiKey:
    """The caller's valid key; schemathesis also calls without it, or with its own, and expects 401."""

    def get(self, case, ctx) -> str:
        return KEY

    def set(self, case, data: str, ctx) -> None:
        case.headers = {**(case.headers or {}), "X-API-Key": data}


@pytest.fixture(scope="module", autouse=True)
def _close_farm():
    yield
    FARM.close()
    import shutil

    shutil.rmtree(Path(FARM.settings.database_url.removeprefix("sqlite:///")).parent, ignore_errors=True)


@pytest.mark.slow
@SCHEMA.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_the_api_keeps_its_own_contract(case):
    for where in (case.query, case.body):
        if isinstance(where, dict) and isinstance(where.get("wait"), int | float) and where["wait"] > 0.2:
            where["wait"] = 0.2  # a long poll of a job no worker will ever take would only wait
    excluded = [positive_data_acceptance] if case.operation.label in SEMANTIC else []
    case.call_and_validate(excluded_checks=excluded)
