"""Strict, redacting checks of a proof request's inputs, before anything is enqueued (SECURITY #32, #37).

Every value must be a field element: a non-negative integer below r, as a JSON integer or a decimal
string of at most 78 digits; arrays must have exactly the circuit's lengths; no signal may be missing
or unknown. Errors name the signal and what was expected, never the value that came (it may be a
secret): "inputs.inAmount[1]: expected a decimal integer 0 <= x < r, got a string of 90 characters".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bn254.constants import R
from transfer import compliant
from transfer.constants import SHAPES
from transfer.inputs import input_shapes

from .model import BadRequest

MAX_DIGITS = 78  # r has 77 decimal digits
MAX_JSON_DEPTH = 32
"""Deepest JSON nesting a request may have: a transfer's inputs nest 3 deep. Checked before parsing,
because the C JSON decoder recurses, and some libraries (py_ecc, py-evm) raise Python's recursion
limit far past what a thread's stack holds: a 256 KiB body of brackets would crash the process."""

_JSON_STRUCTURE = bytes(range(256)).translate(None, b'"\\[]{}')
"""Every byte but the six that decide nesting (quote, backslash, brackets, braces): deleted before scanning."""


def json_depth(data: bytes, stop_above: int | None = None) -> int:
    """The deepest nesting of arrays and objects in a JSON text, without parsing it: no recursion, no
    allocation beyond one copy of the structural bytes. With `stop_above`, returns as soon as the
    depth passes it (a body of brackets is refused after a few dozen bytes)."""
    depth = best = 0
    in_string = escaped = False
    for c in data.translate(None, _JSON_STRUCTURE):
        if in_string:
            if escaped:
                escaped = False
            elif c == 0x5C:
                escaped = True
            elif c == 0x22:
                in_string = False
        elif c == 0x22:
            in_string = True
        elif c == 0x5B or c == 0x7B:
            depth += 1
            if depth > best:
                best = depth
                if stop_above is not None and best > stop_above:
                    return best
        elif c == 0x5D or c == 0x7D:
            depth -= 1
    return best


def _what(v: Any) -> str:
    if isinstance(v, str):
        return f"a string of {len(v)} characters"
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, int):
        return "a negative integer" if v < 0 else "an integer >= r"
    if isinstance(v, list):
        return f"an array of {len(v)} values"
    return type(v).__name__ if v is not None else "null"


def _element(path: str, v: Any) -> str:
    if isinstance(v, bool):
        raise BadRequest(f"{path}: expected a decimal integer 0 <= x < r, got {_what(v)}")
    if isinstance(v, int):
        if 0 <= v < R:
            return str(v)
    elif isinstance(v, str) and 0 < len(v) <= MAX_DIGITS and v.isascii() and v.isdigit():
        if int(v) < R:
            return str(int(v))
    raise BadRequest(f"{path}: expected a decimal integer 0 <= x < r, got {_what(v)}")


def _array(path: str, v: Any, shape: tuple[int, ...]) -> Any:
    if not shape:
        return _element(path, v)
    if not isinstance(v, list) or len(v) != shape[0]:
        raise BadRequest(f"{path}: expected an array of {shape[0]} values, got {_what(v)}")
    return [_array(f"{path}[{i}]", x, shape[1:]) for i, x in enumerate(v)]


def _generic(path: str, v: Any, depth: int = 0) -> Any:
    if isinstance(v, list):
        if depth > 4 or len(v) > 1 << 16:
            raise BadRequest(f"{path}: arrays nest at most 4 deep and hold at most 65536 values")
        return [_generic(f"{path}[{i}]", x, depth + 1) for i, x in enumerate(v)]
    return _element(path, v)


def check_inputs(circuit: str, inputs: Any) -> dict[str, Any]:
    """The inputs in canonical form (decimal strings), or BadRequest naming the first problem."""
    if not isinstance(inputs, Mapping):
        raise BadRequest(f"inputs: expected an object of signal names, got {_what(inputs)}")
    shape = SHAPES.get(circuit)
    cshape = compliant.COMPLIANT_SHAPES.get(circuit)
    if shape is None and cshape is None:  # a circuit Hush does not know the signals of: field elements still
        return {str(k): _generic(f"inputs.{k}", v) for k, v in inputs.items()}
    shapes = input_shapes(shape) if shape is not None else compliant.input_shapes(cshape)
    unknown = sorted(k for k in inputs if k not in shapes)
    missing = sorted(k for k in shapes if k not in inputs)
    if unknown or missing:
        shown = [k if len(k) <= 40 and k.isidentifier() else "<invalid name>" for k in unknown][:5]
        raise BadRequest(f"inputs: unknown signals {shown}, missing signals {missing}")
    return {k: _array(f"inputs.{k}", inputs[k], shapes[k]) for k in shapes}


def public_input_names(circuit: str) -> list[str]:
    if circuit in compliant.COMPLIANT_SHAPES:
        return compliant.COMPLIANT_SHAPES[circuit].public_input_names()
    shape = SHAPES[circuit]
    return (["root", "publicAmount", "fee", "extDataHash"] + [f"inputNullifier[{i}]" for i in range(shape.n_ins)]
            + [f"outputCommitment[{i}]" for i in range(shape.n_outs)])
