"""Inputs that break a rule of the transfer circuit are refused before any proof, naming the rule and no
value (issue 11 item 10; SECURITY 32, 37), over REST and gRPC, for every rule the farm can tell.

Each case breaks exactly one rule of a valid transfer that carries a canary secret; the refusal must
name the rule, carry no canary and no other secret of the transfer, and enqueue nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import grpc
import pytest
from canary import canary_inputs
from farmkit import FakeFarm, make_settings

from transfer.babyjub import SUBORDER
from transfer.constants import AMOUNT_BITS, SHAPES
from transfer.notes import commitment
from transfer.rules import RULES, RuleError, check_rules

CANARY = "5150515051505150515051505150515051505150"


def _bump(d: dict, key: str, *index: int, by: int = 1) -> None:
    target = d[key]
    for i in index[:-1]:
        target = target[i]
    if index:
        target[index[-1]] = str(int(target[index[-1]]) + by)
    else:
        d[key] = str(int(d[key]) + by)


def _conservation(d: dict) -> None:  # one more token out, its commitment made right: only the sum is wrong
    _bump(d, "outAmount", 0)
    d["outputCommitment"][0] = str(commitment(int(d["outAmount"][0]), int(d["outOwner"][0]),
                                              int(d["outBlinding"][0]), int(d["tokenId"])))


BREAK: dict[str, Callable[[dict], None]] = {
    "range": lambda d: d.__setitem__("fee", str(1 << AMOUNT_BITS)),
    "nullifier": lambda d: _bump(d, "inputNullifier", 1),
    "membership": lambda d: _bump(d, "inPathElements", 0, 5),
    "commitment": lambda d: _bump(d, "outputCommitment", 0),
    "conservation": _conservation,
    "signature": lambda d: d.__setitem__("sigS", str((int(d["sigS"]) + 1) % SUBORDER)),
}


def broken(rule: str) -> dict:
    d = canary_inputs(CANARY)
    BREAK[rule](d)
    return d


def _secrets(d: dict) -> list[str]:
    """Values of the request that must never come back: the canary, nk, blindings, amounts' neighbours."""
    return [CANARY, d["nullifyingKey"], *d["inBlinding"], *d["outBlinding"], d["sigS"], *d["inPathElements"][0][:3]]


def test_every_rule_the_farm_checks_has_a_case():
    assert set(BREAK) == set(RULES) - {"token"}  # a token mix-up is the wallet's to see (tests/transfer)


@pytest.mark.parametrize("rule", sorted(BREAK))
def test_the_twin_names_the_rule(rule):
    check_rules(canary_inputs(CANARY), SHAPES["transfer_2x2"])  # the unbroken transfer holds
    with pytest.raises(RuleError) as e:
        check_rules(broken(rule), SHAPES["transfer_2x2"])
    assert e.value.rule == rule


@pytest.fixture(scope="module")
def farm(tmp_path_factory) -> Iterator[FakeFarm]:
    f = FakeFarm(make_settings(tmp_path_factory.mktemp("rules")))
    yield f
    f.close()


@pytest.mark.parametrize("rule", sorted(BREAK))
def test_rest_names_the_rule_and_no_value(farm: FakeFarm, rule: str):
    d = broken(rule)
    before = len(farm.published)
    r = farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": d})
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "BrokenRule" and body["rule"] == rule and f"the {rule} rule" in body["error"]
    assert "constraint does not hold" not in r.text
    assert not any(s in r.text for s in _secrets(d)), r.text
    assert len(farm.published) == before  # nothing enqueued, no proof attempted


@pytest.fixture(scope="module")
def grpc_target(farm: FakeFarm) -> Iterator[str]:
    from service.grpc_api import make_grpc_server

    server = make_grpc_server(farm.farm.jobs, None)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(0).wait()


@pytest.mark.parametrize("rule", sorted(BREAK))
def test_grpc_names_the_rule_and_no_value(farm: FakeFarm, grpc_target: str, rule: str):
    from service.grpc_client import GrpcCallError, GrpcClient

    d = broken(rule)
    before = len(farm.published)
    with GrpcClient(grpc_target) as c, pytest.raises(GrpcCallError) as e:
        c.submit("transfer_2x2", d)
    assert e.value.code == grpc.StatusCode.INVALID_ARGUMENT and e.value.rule == rule
    assert f"the {rule} rule" in e.value.details
    assert not any(s in e.value.details for s in _secrets(d)), e.value.details
    assert len(farm.published) == before


def test_refusals_are_counted(farm: FakeFarm):
    farm.client.post("/v1/proofs", json={"circuit": "transfer_2x2", "inputs": broken("signature")})
    text = farm.client.get("/metrics").text
    assert 'hush_refusals_total{api="rest",code="BrokenRule",status="422"}' in text
