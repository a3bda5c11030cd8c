"""SECURITY #32 and #37 at the door: bad values are refused before enqueue, and errors never quote them."""

from __future__ import annotations

import copy
import functools

import pytest

from bn254.constants import R
from service.model import BadRequest
from service.validation import check_inputs
from transfer.example import example_transfer


@functools.cache
def good() -> dict:
    return example_transfer("transfer_2x2").inputs


def _with(path: tuple, value) -> dict:
    d = copy.deepcopy(good())
    target = d
    for p in path[:-1]:
        target = target[p]
    target[path[-1]] = value
    return d


def test_the_example_passes_in_canonical_form():
    out = check_inputs("transfer_2x2", good())
    assert out == good()
    as_ints = {k: ([int(x) for x in v] if isinstance(v, list) and not isinstance(v[0], list) else v)
               for k, v in good().items()}
    assert check_inputs("transfer_2x2", as_ints)["inAmount"] == good()["inAmount"]


CANARY = str(R - 1)[:-3] + "777"  # looks like a field element, but it is a secret the error must not echo


@pytest.mark.parametrize(
    "path,value,expect",
    [
        (("inAmount", 1), str(R), "inputs.inAmount[1]: expected a decimal integer 0 <= x < r"),
        (("inAmount", 1), R + 5, "an integer >= r"),
        (("nullifyingKey",), -1, "a negative integer"),
        (("nullifyingKey",), "-" + CANARY, "a string of"),
        (("nullifyingKey",), "9" * 79, "a string of 79 characters"),
        (("nullifyingKey",), "0x" + CANARY, "a string of"),
        (("nullifyingKey",), " " + CANARY, "a string of"),
        (("nullifyingKey",), "", "a string of 0 characters"),
        (("nullifyingKey",), 1.5, "float"),
        (("nullifyingKey",), True, "a boolean"),
        (("nullifyingKey",), None, "null"),
        (("inAmount",), [CANARY], "inputs.inAmount: expected an array of 2 values, got an array of 1 values"),
        (("inPathElements", 0), [CANARY] * 23, "expected an array of 24 values"),
        (("sigR8",), CANARY, "expected an array of 2 values, got a string"),
    ],
)
def test_bad_values_are_refused_without_being_echoed(path, value, expect):
    with pytest.raises(BadRequest) as e:
        check_inputs("transfer_2x2", _with(path, value))
    assert expect in str(e.value)
    assert CANARY not in str(e.value) and "999999999" not in str(e.value)


def test_unknown_and_missing_signals():
    d = dict(good())
    d.pop("fee")
    d["secretKey"] = CANARY
    with pytest.raises(BadRequest, match=r"unknown signals \['secretKey'\], missing signals \['fee'\]"):
        check_inputs("transfer_2x2", d)
    d = dict(good())
    d[CANARY] = 1  # a secret-looking signal name is not echoed either
    with pytest.raises(BadRequest) as e:
        check_inputs("transfer_2x2", d)
    assert CANARY not in str(e.value)


def test_edge_values():
    for v in (0, 1, R - 1, str(R - 1), "0", "000001"):
        assert check_inputs("transfer_2x2", _with(("fee",), v))["fee"] == str(int(v))
    with pytest.raises(BadRequest):
        check_inputs("transfer_2x2", "not an object")


def test_json_depth_without_parsing():
    from service.validation import json_depth

    assert json_depth(b"") == 0 and json_depth(b"7") == 0 and json_depth(b"{}") == 1
    assert json_depth(b'{"a": [[1, 2], [3]], "b": {"c": []}}') == 3
    import json

    tricky = json.dumps({"s": '[[[[{{{{\\"]]] \\', "t": [1]}).encode()
    assert json_depth(tricky) == 2, "brackets inside strings (escaped quotes and all) do not count"
    assert json_depth(b"[" * 100_000 + b"]" * 100_000) == 100_000
    assert json_depth(b"[" * 100_000 + b"]" * 100_000, stop_above=32) == 33
    assert json_depth(b'["\\\\", [["\\""]]]') == 3, "an escaped backslash ends before the closing quote"
