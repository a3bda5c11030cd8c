"""prover.witness: input checks (no node) and the wasm calculator against snarkjs / circom's own JS."""

from __future__ import annotations

import os
import random
import subprocess

import numpy as np
import pytest
from toolchain import compile_circuit, snarkjs, write_input

from bn254.constants import R
from prover.formats.r1cs import check_witness, read_r1cs
from prover.formats.wtns import read_wtns_ints
from prover.witness import (
    CircuitAssertionError,
    InputError,
    WitnessCalculator,
    WitnessError,
    flatten_inputs,
    fnv1a_64,
    parse_field_element,
)

# --- pure Python: hashing and input parsing ---------------------------------------------------------


@pytest.mark.parametrize(
    "name, expected",
    # Published FNV-1a 64-bit test vectors (Fowler/Noll/Vo reference test suite).
    [("", 0xCBF29CE484222325), ("a", 0xAF63DC4C8601EC8C), ("foobar", 0x85944171F73967E8)],
)
def test_fnv1a_64_reference_vectors(name: str, expected: int) -> None:
    assert fnv1a_64(name) == expected


@pytest.mark.parametrize(
    "v, expected",
    [
        (0, 0),
        (1, 1),
        (R - 1, R - 1),
        ("0", 0),
        (str(R - 1), R - 1),
        ("0x10", 16),
        ("0XfF", 255),
        (np.uint64(7), 7),
        ("007", 7),
    ],
)
def test_parse_accepts(v, expected: int) -> None:
    assert parse_field_element("s", v) == expected


@pytest.mark.parametrize(
    "v",
    [
        R,
        R + 1,
        -1,
        2**256 - 1,
        str(R),
        "-1",
        hex(R),
        True,
        False,
        np.bool_(True),
        1.0,
        2.5,
        None,
        "1.5",
        " 1",
        "",
        "0x",
        "1e3",
        "1" * 200,
        [1],
        b"1",
    ],
)
def test_parse_rejects(v) -> None:
    with pytest.raises(InputError, match="signal inNullifier"):
        parse_field_element("inNullifier", v)


def test_out_of_range_names_the_value() -> None:
    with pytest.raises(InputError, match=rf"signal x\[1\]: value {R} is not below r"):
        flatten_inputs({"x": [0, R]})
    with pytest.raises(InputError, match=r"signal x\[0\]\[1\]: value -5 is negative"):
        flatten_inputs({"x": [[0, -5]]})


def test_flatten_row_major_and_buses() -> None:
    got = flatten_inputs({"a": [[1, 2], [3, 4]], "b": 5, "p": {"x": 6, "y": [7, 8]}, "q": [{"x": 9}, {"x": 10}]})
    assert got == {"a": [1, 2, 3, 4], "b": [5], "p.x": [6], "p.y": [7, 8], "q[0].x": [9], "q[1].x": [10]}


def test_flatten_rejects_mixed_and_duplicates() -> None:
    with pytest.raises(InputError, match="mixes objects and values"):
        flatten_inputs({"q": [{"x": 1}, 2]})
    with pytest.raises(InputError, match="given twice"):
        flatten_inputs({"p": {"x": 1}, "p.x": 2})
    with pytest.raises(InputError, match="mapping"):
        flatten_inputs([("a", 1)])  # type: ignore[arg-type]


# --- the wasm calculator (needs the circom compiler: node) ------------------------------------------

MIX_OK = {"a": [[1, 2], [3, 4], [5, 6]], "b": 2, "k": 3}


@pytest.fixture(scope="module")
def mix_wc(mix_circuit):
    return WitnessCalculator(mix_circuit.wasm)


def _random_mix_inputs(rng: random.Random) -> dict:
    pick = lambda: rng.choice([0, 1, 2, R - 1, R - 2, rng.randrange(R)])  # noqa: E731
    k = pick()
    if k == 7:
        k = 8
    return {"a": [[pick(), pick()] for _ in range(3)], "b": pick(), "k": k}


@pytest.mark.interop
def test_matches_snarkjs_wtns_calculate(mix_circuit, mix_wc, tmp_path) -> None:
    rng = random.Random(20240611)
    r1cs = read_r1cs(mix_circuit.r1cs)
    for i, inputs in enumerate([MIX_OK] + [_random_mix_inputs(rng) for _ in range(3)]):
        ours = tmp_path / f"ours{i}.wtns"
        theirs = tmp_path / f"theirs{i}.wtns"
        w = mix_wc.calculate_wtns(inputs, ours)
        snarkjs("wtns", "calculate", mix_circuit.wasm, write_input(tmp_path / f"in{i}.json", inputs), theirs)
        assert ours.read_bytes() == theirs.read_bytes()
        assert mix_wc.calculate(inputs) == read_wtns_ints(theirs)
        assert np.array_equal(mix_wc.calculate_limbs(inputs), w)
        assert check_witness(r1cs, w) == []
    assert os.stat(ours).st_mode & 0o777 == 0o600


@pytest.mark.interop
def test_known_values(mix_wc) -> None:
    w = mix_wc.calculate(MIX_OK)
    acc = 2
    for x, y in MIX_OK["a"]:
        acc = acc * (x + 2 * y)
    # wire order: 1, outputs c, d[0], d[1], public b, private a.., k, ...
    assert w[:4] == [1, acc * 3, 2, 2 * 3 + 5]
    assert w[4] == 2 and w[5:11] == [1, 2, 3, 4, 5, 6] and w[11] == 3
    assert len(w) == mix_wc.witness_size


@pytest.mark.interop
def test_assert_failure_then_recovers(mix_wc) -> None:
    good = mix_wc.calculate(MIX_OK)
    with pytest.raises(CircuitAssertionError, match=r"Assert Failed\. Error in template Mix_\d+ line: 20"):
        mix_wc.calculate({**MIX_OK, "k": 7})
    assert mix_wc.calculate(MIX_OK) == good


@pytest.mark.interop
@pytest.mark.parametrize(
    "inputs, message",
    [
        ({**MIX_OK, "a": [[1, 2], [3, 4]]}, "signal a expects 6 values, got 4"),
        ({**MIX_OK, "a": [[1, 2], [3, 4], [5, 6], [7, 8]]}, "signal a expects 6 values, got 8"),
        ({**MIX_OK, "b": [1, 2]}, "signal b expects 1 values, got 2"),
        ({**MIX_OK, "nope": 1}, "unknown input signal 'nope'"),
        ({**MIX_OK, "c": 1}, "unknown input signal 'c'"),  # an output, not an input
        ({"a": MIX_OK["a"], "b": 2}, "input signal is missing"),
        ({**MIX_OK, "k": R}, "signal k: value .* is not below r"),
        ({**MIX_OK, "k": -1}, "signal k: value -1 is negative"),
        ({**MIX_OK, "k": 3.0}, "signal k: expected an integer, got float"),
        ({**MIX_OK, "b": True}, "signal b: booleans"),
    ],
)
def test_rejects_bad_inputs(mix_wc, inputs, message) -> None:
    with pytest.raises(InputError, match=message):
        mix_wc.calculate(inputs)
    assert mix_wc.calculate(MIX_OK)[0] == 1  # still usable


@pytest.mark.interop
def test_values_checked_before_the_calculator_runs(mix_wc, monkeypatch) -> None:
    def boom(*args):
        raise AssertionError("the calculator ran")

    monkeypatch.setattr(mix_wc, "_instantiate", boom)
    monkeypatch.setattr(mix_wc, "_check_inputs", boom)
    with pytest.raises(InputError):
        mix_wc.calculate({**MIX_OK, "k": R + 3})


@pytest.mark.interop
def test_bus_inputs_match_circom_js(bus_circuit, tmp_path) -> None:
    inputs = {"p": {"x": 1, "y": R - 1}, "q": [{"x": 3, "y": 4}, {"x": 5, "y": 6}]}
    inp = write_input(tmp_path / "in.json", inputs)
    out = tmp_path / "js.wtns"
    subprocess.run(
        ["node", "generate_witness.js", bus_circuit.wasm.name, inp, out],
        cwd=bus_circuit.js_dir,
        check=True,
        capture_output=True,
        timeout=120,
    )
    wc = WitnessCalculator(bus_circuit.wasm)
    assert wc.calculate(inputs) == read_wtns_ints(out)
    flat = {"p.x": 1, "p.y": R - 1, "q[0].x": 3, "q[0].y": 4, "q[1].x": 5, "q[1].y": 6}
    assert wc.calculate(flat) == read_wtns_ints(out)


@pytest.mark.interop
def test_log_messages_are_dropped_unless_asked(tmp_path) -> None:
    c = compile_circuit("logger")
    got: list[str] = []
    WitnessCalculator(c.wasm).calculate({"x": 1234567})  # no callback: nothing printed anywhere
    WitnessCalculator(c.wasm, on_log=got.append).calculate({"x": 1234567})
    assert got == ["x is 1234567"]


def test_not_a_circom_wasm(tmp_path) -> None:
    import wasmtime

    p = tmp_path / "other.wasm"
    p.write_bytes(wasmtime.wat2wasm('(module (func (export "f")))'))
    with pytest.raises(WitnessError, match="not a circom 2 witness calculator"):
        WitnessCalculator(p)


@pytest.mark.interop
def test_compiled_module_is_cached_and_a_bad_cache_is_recompiled(mix_circuit, tmp_path) -> None:
    import shutil

    wasm = tmp_path / "mix.wasm"
    shutil.copy(mix_circuit.wasm, wasm)
    first = WitnessCalculator(wasm).calculate(MIX_OK)
    (cached,) = tmp_path.glob("mix.*.cwasm")
    from_cache = WitnessCalculator(wasm)
    assert from_cache.calculate(MIX_OK) == first  # loaded from the cache
    cached.write_bytes(b"\0garbage")  # truncated in place: the modules loaded above must not care
    assert WitnessCalculator(wasm).calculate(MIX_OK) == first  # refused, compiled again, rewritten
    assert cached.read_bytes() != b"\0garbage"
    assert from_cache.calculate(MIX_OK) == first, "a module loaded from the cache survives the file's truncation"
