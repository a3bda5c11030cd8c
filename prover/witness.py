"""Witness generation with the WebAssembly calculator circom 2 compiles (`<name>_js/<name>.wasm`).

Mirrors circom's generated `witness_calculator.js` (and snarkjs' `circom_runtime`), with wasmtime:

* The module imports `runtime.exceptionHandler(code)`, `printErrorMessage()`,
  `writeBufferMessage()` and `showSharedRWMemory()`; messages are read one char at a time with
  `getMessageChar()`. Code 4 is a failed `assert` or `===` in witness generation: we raise
  `CircuitAssertionError` with the message the module printed ("Error in template T_0 line: 11").
* Values cross the boundary through a "shared RW memory" of `getFieldNumLen32()` u32 words at
  `getSharedRWMemoryStart()`, least significant word first.
* `init(sanity)`, then for each input signal, looked up by the FNV-1a 64-bit hash of its name
  (split in two u32 halves), `setInputSignal(hMSB, hLSB, i)` for each of its values, flattened
  row-major; `getInputSignalSize(hMSB, hLSB)` gives its length (0 for unknown names).
  `getWitness(i)` leaves witness value i (standard form) in the shared memory.

Python-to-wasm calls cost ~25 us each in wasmtime-py, far more than the work of `getWitness`, so a
12-line helper module (WAT below) runs the per-value loops inside wasm: it imports the circuit's
memory and exports, owns a second memory (wasm multi-memory) used as a scratch buffer, and
copies values between the two. Reading a 200k-value witness is then one call plus one memory
read.

Inputs are checked before the calculator sees anything: ints, decimal strings or 0x-hex strings,
in [0, r) (never reduced mod r, unlike circom_runtime's `normalize`); bools and floats are
rejected; every input signal of the circuit must be given with exactly its number of values.

A calculator is not thread-safe: use one per thread (the service keeps one warm per worker).
Messages from the circuit's `log()` may contain witness values: they are dropped unless an
`on_log` callback is given.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import wasmtime

from prover.formats.encoding import R, limbs_to_ints
from prover.formats.wtns import write_wtns

__all__ = [
    "WitnessCalculator",
    "WitnessError",
    "CircuitAssertionError",
    "InputError",
    "fnv1a_64",
    "flatten_inputs",
    "parse_field_element",
]


class WitnessError(RuntimeError):
    """The witness calculator failed (a circuit error other than an assertion, or a trap)."""


class CircuitAssertionError(WitnessError):
    """An `assert` (or a `===` checked during witness generation) of the circuit failed."""


class InputError(ValueError):
    """Circuit inputs that do not fit the circuit: unknown or missing signals, wrong sizes, bad values."""


_ERROR_CODES = {
    1: "Signal not found.",
    2: "Too many signals set.",
    3: "Signal already set.",
    4: "Assert Failed.",
    5: "Not enough memory.",
    6: "Input signal array access exceeds the size.",
    7: "Out of bounds array access.",
}
ASSERT_FAILED = 4

_HELPER_WAT = """
(module
  (import "c" "memory" (memory $cm 1))
  (import "c" "getWitness" (func $get_witness (param i32)))
  (import "c" "setInputSignal" (func $set_input (param i32 i32 i32)))
  (memory $scratch (export "scratch") 1)
  ;; scratch[i*n8 .. +n8] = witness value i, for i < n
  (func (export "dump") (param $n i32) (param $shared i32) (param $n8 i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (call $get_witness (local.get $i))
      (memory.copy $scratch $cm (i32.mul (local.get $i) (local.get $n8)) (local.get $shared) (local.get $n8))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))
  ;; signal (hmsb, hlsb)[i] = scratch[i*n8 .. +n8], for i < count
  (func (export "load") (param $hmsb i32) (param $hlsb i32) (param $count i32) (param $shared i32) (param $n8 i32)
    (local $i i32)
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
      (memory.copy $cm $scratch (local.get $shared) (i32.mul (local.get $i) (local.get $n8)) (local.get $n8))
      (call $set_input (local.get $hmsb) (local.get $hlsb) (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))))
"""

_FNV_OFFSET = 0xCBF29CE484222325
_FNV_PRIME = 0x100000001B3
_MASK64 = (1 << 64) - 1

# r has 77 decimal digits and 64 hex digits; a few leading zeros are tolerated, megabyte strings are not.
_DEC = re.compile(r"-?[0-9]{1,90}")
_HEX = re.compile(r"0[xX][0-9a-fA-F]{1,80}")


def fnv1a_64(name: str) -> int:
    """FNV-1a 64-bit hash of a signal name, as circom's runtimes compute it (one byte per char)."""
    h = _FNV_OFFSET
    for ch in name:
        c = ord(ch)
        if c > 0x7F:
            raise InputError(f"signal name {name!r} is not ASCII")
        h = ((h ^ c) * _FNV_PRIME) & _MASK64
    return h


def _show(v: Any) -> str:
    s = repr(v)
    return s if len(s) <= 100 else s[:60] + "...(" + str(len(s)) + " chars)"


def parse_field_element(signal: str, v: Any) -> int:
    """A circuit input value as an int in [0, r): an int, a decimal string or a 0x-hex string."""
    if isinstance(v, bool | np.bool_):
        raise InputError(f"signal {signal}: booleans are not field elements, got {v!r}")
    if isinstance(v, int | np.integer):
        x = int(v)
    elif isinstance(v, str):
        if _DEC.fullmatch(v):
            x = int(v, 10)
        elif _HEX.fullmatch(v):
            x = int(v, 16)
        else:
            raise InputError(f"signal {signal}: expected a decimal or 0x-hex integer string, got {_show(v)}")
    else:
        raise InputError(f"signal {signal}: expected an integer, got {type(v).__name__} {_show(v)}")
    if x < 0:
        raise InputError(f"signal {signal}: value {x} is negative; expected an integer in [0, r)")
    if x >= R:
        raise InputError(f"signal {signal}: value {_show(x)} is not below r = {R}")
    return x


def _flatten_values(name: str, value: Any, out: list[int]) -> None:
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _flatten_values(f"{name}[{i}]", item, out)
    elif isinstance(value, np.ndarray):
        _flatten_values(name, value.tolist(), out)
    else:
        out.append(parse_field_element(name, value))


def _is_struct(v: Any) -> bool:
    return isinstance(v, Mapping)


def _qualify(prefix: str, value: Any, out: dict[str, list[int]]) -> None:
    """circom_runtime's `qualify_input`: objects (buses) become dotted names, arrays of objects
    indexed names, arrays of values one flattened signal."""
    if isinstance(value, Mapping):
        for k, v in value.items():
            if not isinstance(k, str) or not k:
                raise InputError(f"input names must be non-empty strings, got {k!r} under {prefix or 'the top level'}")
            _qualify(f"{prefix}.{k}" if prefix else k, v, out)
        return
    if isinstance(value, list | tuple) and value:
        leaves: list[Any] = []
        _leaves(value, leaves)
        kinds = {_is_struct(x) for x in leaves}
        if len(kinds) > 1:
            raise InputError(f"signal {prefix}: mixes objects and values in one array")
        if kinds == {True}:
            _qualify_list(prefix, value, out)
            return
    if prefix in out:
        raise InputError(f"signal {prefix} is given twice")
    vals: list[int] = []
    _flatten_values(prefix, value, vals)
    out[prefix] = vals


def _leaves(a: Any, out: list[Any]) -> None:
    if isinstance(a, list | tuple):
        for x in a:
            _leaves(x, out)
    else:
        out.append(a)


def _qualify_list(prefix: str, value: Any, out: dict[str, list[int]]) -> None:
    if isinstance(value, list | tuple):
        for i, x in enumerate(value):
            _qualify_list(f"{prefix}[{i}]", x, out)
    else:
        _qualify(prefix, value, out)


def flatten_inputs(inputs: Mapping[str, Any]) -> dict[str, list[int]]:
    """Signal name -> its values (row-major), all parsed and range-checked."""
    if not isinstance(inputs, Mapping):
        raise InputError(f"inputs must be a mapping of signal names to values, got {type(inputs).__name__}")
    out: dict[str, list[int]] = {}
    _qualify("", inputs, out)
    return out


_WASMTIME_VERSION = importlib.metadata.version("wasmtime")


def _compiled_module(engine: wasmtime.Engine, wasm_path: Path) -> wasmtime.Module:
    """The circuit's module, compiled once: wasmtime's native code is kept beside the .wasm as
    `<name>.<sha256 of wasm and wasmtime version>.cwasm` and loaded from there by later processes
    (compiling a transfer circuit takes seconds; loading takes milliseconds). The file is written by
    this process under build/, next to the circuit it came from, and is only ever loaded for the exact
    wasm bytes and wasmtime version it was compiled from; any failure falls back to compiling."""
    wasm = wasm_path.read_bytes()
    tag = hashlib.sha256(wasm + b"\0" + _WASMTIME_VERSION.encode()).hexdigest()[:16]
    cached = wasm_path.with_name(f"{wasm_path.stem}.{tag}.cwasm")
    if cached.is_file():
        try:
            # from bytes, not deserialize_file: a mapped file that anyone truncates later would
            # crash this process with SIGBUS the next time the code runs
            return wasmtime.Module.deserialize(engine, cached.read_bytes())
        except Exception:  # a truncated or foreign file: compile again
            pass
    module = wasmtime.Module(engine, wasm)
    try:
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(module.serialize())
        os.replace(tmp, cached)
    except OSError:  # a read-only tree: still works, just compiles every time
        pass
    return module


class WitnessCalculator:
    """One instantiated circom 2 witness calculator; `calculate` may be called many times."""

    def __init__(self, wasm_path: str | os.PathLike, on_log: Callable[[str], None] | None = None) -> None:
        self.wasm_path = Path(wasm_path)
        self._on_log = on_log
        cfg = wasmtime.Config()
        cfg.wasm_multi_memory = True
        cfg.wasm_bulk_memory = True
        self._engine = wasmtime.Engine(cfg)
        self._module = _compiled_module(self._engine, self.wasm_path)
        self._helper_module = wasmtime.Module(self._engine, _HELPER_WAT)
        names = {e.name for e in self._module.exports}
        if "getVersion" not in names:
            raise WitnessError(f"{self.wasm_path}: not a circom 2 witness calculator (no getVersion export)")
        self._instantiate()
        ex = self._ex
        self.version = (
            ex["getVersion"](self._store),
            ex["getMinorVersion"](self._store) if "getMinorVersion" in names else 0,
            ex["getPatchVersion"](self._store) if "getPatchVersion" in names else 0,
        )
        if self.version[0] != 2:
            raise WitnessError(f"{self.wasm_path}: expected a circom 2 calculator, got version {self.version}")
        self.n32 = ex["getFieldNumLen32"](self._store)
        if self.n32 != 8:
            raise WitnessError(f"{self.wasm_path}: expected 256-bit field elements, got {self.n32} 32-bit words")
        ex["getRawPrime"](self._store)
        self.prime = self._read_shared()
        if self.prime != R:
            raise WitnessError(f"{self.wasm_path}: expected the BN254 scalar field prime, got {self.prime}")
        self.witness_size = ex["getWitnessSize"](self._store)
        self.input_size = ex["getInputSize"](self._store)
        self._n8 = self.n32 * 4

    # -- instance management ------------------------------------------------------------------

    def _instantiate(self) -> None:
        """(Re)create the store and instances: after a failed run the circuit's stack pointer and
        signal flags are left mid-computation, so failures start again from a fresh instance."""
        self._store = wasmtime.Store(self._engine)
        self._err_str = ""
        self._msg_str = ""
        self._inst = None
        hosts = {
            "exceptionHandler": self._exception_handler,
            "printErrorMessage": self._print_error_message,
            "writeBufferMessage": self._write_buffer_message,
            "showSharedRWMemory": self._show_shared_rw_memory,
        }
        imports = []
        for imp in self._module.imports:
            if imp.module != "runtime" or not isinstance(imp.type, wasmtime.FuncType):
                raise WitnessError(f"{self.wasm_path}: unexpected import {imp.module}.{imp.name}")
            fn = hosts.get(imp.name)
            if fn is None:
                # Older/other runtimes' debug hooks (printDebug, logSetSignal, ...): accept, ignore.
                fn = _noop_for(imp.type)
            imports.append(wasmtime.Func(self._store, imp.type, fn))
        self._inst = wasmtime.Instance(self._store, self._module, imports)
        self._ex = self._inst.exports(self._store)
        self._memory = self._ex["memory"]
        self._helper = wasmtime.Instance(
            self._store,
            self._helper_module,
            [self._memory, self._ex["getWitness"], self._ex["setInputSignal"]],
        ).exports(self._store)
        self._scratch = self._helper["scratch"]
        self._shared = self._ex["getSharedRWMemoryStart"](self._store)
        self._dirty = False

    def _ensure_scratch(self, nbytes: int) -> None:
        have = self._scratch.data_len(self._store)
        if nbytes > have:
            self._scratch.grow(self._store, (nbytes - have + 65535) // 65536)

    def _message(self) -> str:
        get = self._ex["getMessageChar"]
        chars = []
        while True:
            c = get(self._store)
            if c == 0:
                return "".join(chars)
            chars.append(chr(c))

    def _read_shared(self) -> int:
        raw = self._memory.read(self._store, self._shared, self._shared + self.n32 * 4)
        return int.from_bytes(raw, "little")

    # -- runtime imports ----------------------------------------------------------------------

    def _exception_handler(self, code: int) -> None:
        detail = self._err_str.strip()
        msg = _ERROR_CODES.get(code, f"Unknown error {code}.") + (f" {detail}" if detail else "")
        if code == ASSERT_FAILED:
            raise CircuitAssertionError(msg)
        raise WitnessError(msg)

    def _print_error_message(self) -> None:
        self._err_str += self._message() + "\n"

    def _write_buffer_message(self) -> None:
        msg = self._message()
        if msg == "\n":
            if self._on_log is not None:
                self._on_log(self._msg_str)
            self._msg_str = ""
        else:
            self._msg_str = f"{self._msg_str} {msg}" if self._msg_str else msg

    def _show_shared_rw_memory(self) -> None:
        value = str(self._read_shared())
        self._msg_str = f"{self._msg_str} {value}" if self._msg_str else value

    # -- calculation --------------------------------------------------------------------------

    def _check_inputs(self, flat: dict[str, list[int]]) -> list[tuple[int, int, str, list[int]]]:
        size_of = self._ex["getInputSignalSize"]
        plan = []
        total = 0
        for name, vals in flat.items():
            h = fnv1a_64(name)
            hmsb, hlsb = h >> 32, h & 0xFFFFFFFF
            size = size_of(self._store, hmsb, hlsb)
            if size <= 0:
                raise InputError(f"unknown input signal {name!r}: the circuit has no input of that name")
            if len(vals) != size:
                raise InputError(f"signal {name} expects {size} values, got {len(vals)}")
            total += size
            plan.append((hmsb, hlsb, name, vals))
        if total != self.input_size:
            raise InputError(
                f"inputs give {total} values, the circuit has {self.input_size} input values: "
                f"an input signal is missing"
            )
        return plan

    def _run(self, inputs: Mapping[str, Any]) -> np.ndarray:
        flat = flatten_inputs(inputs)  # parse and range-check everything first
        if self._dirty:
            self._instantiate()
        plan = self._check_inputs(flat)
        self._dirty = True
        self._err_str = ""
        self._msg_str = ""
        n8 = self._n8
        try:
            self._ex["init"](self._store, 0)
            for hmsb, hlsb, _name, vals in plan:
                self._ensure_scratch(len(vals) * n8)
                self._scratch.write(self._store, b"".join(v.to_bytes(n8, "little") for v in vals), 0)
                self._helper["load"](self._store, hmsb, hlsb, len(vals), self._shared, n8)
            n = self.witness_size
            self._ensure_scratch(n * n8)
            self._helper["dump"](self._store, n, self._shared, n8)
            raw = self._scratch.read(self._store, 0, n * n8)
        except WitnessError:
            raise
        except wasmtime.Trap as e:
            raise WitnessError(f"witness calculator trapped: {e.message}") from None
        except wasmtime.WasmtimeError as e:
            raise WitnessError(f"witness calculator failed: {e}") from None
        self._dirty = False
        return np.frombuffer(raw, dtype="<u8").astype(np.uint64).reshape(n, 4)

    def calculate_limbs(self, inputs: Mapping[str, Any]) -> np.ndarray:
        """The witness as an (n, 4) uint64 array of standard-form limbs."""
        return self._run(inputs)

    def calculate(self, inputs: Mapping[str, Any]) -> list[int]:
        """The witness as Python ints (w[0] = 1, then outputs, public inputs, private inputs, internals)."""
        return limbs_to_ints(self._run(inputs))

    def calculate_wtns(self, inputs: Mapping[str, Any], path: str | os.PathLike) -> np.ndarray:
        """Compute the witness and write it as a .wtns file (mode 0600); returns the limbs."""
        w = self._run(inputs)
        write_wtns(path, w, self.prime)
        return w


def _noop_for(ty: wasmtime.FuncType) -> Callable[..., Any]:
    results = [r for r in ty.results]
    if not results:
        return lambda *args: None
    if len(results) == 1:
        return lambda *args: 0
    return lambda *args: [0] * len(results)
