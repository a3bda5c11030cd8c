"""The farm validates compliant circuits' inputs by their exact signals (issue 13), and names their
public inputs as the manifest does."""

from __future__ import annotations

import pytest

from circuits import load_manifest
from service.model import BadRequest
from service.validation import check_inputs, public_input_names
from transfer.compliant_example import warmup_example


@pytest.mark.parametrize("name", ["compliant_2x2"])
def test_compliant_inputs_checked_by_signal(name):
    inputs, _ = warmup_example(name)
    assert check_inputs(name, inputs) == inputs
    broken = dict(inputs)
    del broken["epochSlot"]
    with pytest.raises(BadRequest, match="missing signals.*epochSlot"):
        check_inputs(name, broken)
    wrong = dict(inputs, outIdPath=inputs["outIdPath"][:1])
    with pytest.raises(BadRequest, match="outIdPath"):
        check_inputs(name, wrong)


@pytest.mark.parametrize("name", ["compliant_2x2", "compliant_16x2"])
def test_public_input_names_match_the_manifest(name):
    assert public_input_names(name) == load_manifest()["circuits"][name]["public_inputs"]
