"""Helpers for the circuit tests: compiled circuits with an honest and a forging witness calculator.

Soundness is tested on forged witnesses checked against the R1CS, not by watching the honest
witness generator refuse (that proves nothing about the constraints). To forge a witness that is
honest everywhere except where the adversary lies, the circuit is compiled a second time with
`--wat`, and every `assert`/`===` check of the witness code is cut out of the WebAssembly text:
the check's branch `call $printErrorMessage; i32.const 4; return` (error code 4 = assertion
failed) keeps the message and loses the return. The result computes every signal exactly as the
honest calculator does, but goes on past failed checks. Its R1CS must be byte-identical to the
production one (checked), so the forged witness lines up wire for wire; then `check_witness` says
which constraints the lie breaks, and the .sym file says whose constraints those are.

The forging build also re-compiles the production main: its R1CS hash equal to the manifest's is
the "compiling twice gives the same R1CS" check, for free.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import wasmtime

from circuits import Artifacts
from circuits.build import compile_cached
from circuits.sym import SymbolTable, read_sym
from prover.formats.r1cs import R1CS, check_witness, read_r1cs
from prover.witness import WitnessCalculator

_ASSERT_RETURN = "call $printErrorMessage\ni32.const 4\nreturn\n"
# circom writes some pre-standard mnemonics that wasmtime's text parser no longer accepts.
_LEGACY = {
    "get_local": "local.get",
    "set_local": "local.set",
    "tee_local": "local.tee",
    "get_global": "global.get",
    "set_global": "global.set",
    "i32.wrap/i64": "i32.wrap_i64",
    "i64.extend_u/i32": "i64.extend_i32_u",
    "i64.extend_s/i32": "i64.extend_i32_s",
}
_LEGACY_RE = re.compile(r"(?m)^(" + "|".join(re.escape(k) for k in _LEGACY) + r")(?=\s|$)")


def forging_wasm(arts: Artifacts) -> tuple[Path, int]:
    """Assemble `<name>_forge.wasm` from the .wat with every assertion return removed; returns the path
    and the number of assertion sites cut (cached next to the .wat)."""
    out = arts.dir / f"{arts.name}_forge.wasm"
    count_file = arts.dir / f"{arts.name}_forge.count"
    if out.is_file() and count_file.is_file():
        return out, int(count_file.read_text())
    text = arts.wat.read_text()
    n = text.count(_ASSERT_RETURN)
    if n == 0:
        raise AssertionError(f"{arts.wat}: no assertion sites found; has circom's code generation changed?")
    text = text.replace(_ASSERT_RETURN, "call $printErrorMessage\n")
    if "i32.const 4\nreturn" in text:
        raise AssertionError(f"{arts.wat}: an assertion site in an unexpected form was left in")
    text = _LEGACY_RE.sub(lambda m: _LEGACY[m.group(1)], text)
    binary = wasmtime.wat2wasm(text)
    tmp = out.with_suffix(".tmp")
    tmp.write_bytes(binary)
    tmp.replace(out)
    count_file.write_text(str(n))
    return out, n


@dataclass
class Circuit:
    """A compiled main: R1CS, symbols, an honest calculator and (on demand) a forging one."""

    arts: Artifacts
    _forge_src: Path | None = None
    _honest: WitnessCalculator | None = field(default=None, repr=False)
    _forger: WitnessCalculator | None = field(default=None, repr=False)

    @cached_property
    def r1cs(self) -> R1CS:
        return read_r1cs(self.arts.r1cs)

    @cached_property
    def sym(self) -> SymbolTable:
        return read_sym(self.arts.sym)

    @cached_property
    def r1cs_sha256(self) -> str:
        return hashlib.sha256(self.arts.r1cs.read_bytes()).hexdigest()

    @property
    def honest(self) -> WitnessCalculator:
        if self._honest is None:
            self._honest = WitnessCalculator(self.arts.wasm)
        return self._honest

    @cached_property
    def forge_build(self) -> Artifacts:
        """The same main compiled again with --wat (cached in build/circuits-test), or this build if it has one."""
        if self.arts.wat.is_file():
            return self.arts
        src = self._forge_src
        if src is None:
            raise ValueError("this circuit has no source for a forging build")
        return compile_cached(src, wat=True, wasm=False)

    @property
    def forger(self) -> WitnessCalculator:
        if self._forger is None:
            fb = self.forge_build
            fb_hash = hashlib.sha256(fb.r1cs.read_bytes()).hexdigest()
            if fb_hash != self.r1cs_sha256:
                raise AssertionError(
                    f"the --wat build of {self.arts.name} has R1CS {fb_hash}, the tested build {self.r1cs_sha256}: "
                    "wires would not line up"
                )
            path, _ = forging_wasm(fb)
            self._forger = WitnessCalculator(path)
        return self._forger

    # --- witnesses ------------------------------------------------------------------------------

    def witness(self, inputs: Mapping[str, Any]) -> list[int]:
        return self.honest.calculate(inputs)

    def forge(self, inputs: Mapping[str, Any]) -> list[int]:
        """The witness of `inputs` computed past every failed check."""
        return self.forger.calculate(inputs)

    def failing(self, witness: Sequence[int] | np.ndarray) -> list[int]:
        return check_witness(self.r1cs, witness)

    # --- attribution ----------------------------------------------------------------------------

    @cached_property
    def _rows(self) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """Per matrix, (row starts, cols) for fast per-constraint wire lookups."""
        out = {}
        for name, m in (("A", self.r1cs.A), ("B", self.r1cs.B), ("C", self.r1cs.C)):
            rows = np.asarray(m.rows)
            starts = np.searchsorted(rows, np.arange(self.r1cs.n_constraints + 1))
            out[name] = (starts, np.asarray(m.cols), rows)
        return out

    def constraint_wires(self, k: int, which: str = "ABC") -> set[int]:
        wires: set[int] = set()
        for name in which:
            starts, cols, _ = self._rows[name]
            wires.update(cols[starts[k] : starts[k + 1]].tolist())
        return wires

    def constraints_with(self, wire: int, which: str = "ABC") -> set[int]:
        out: set[int] = set()
        for name in which:
            _, cols, rows = self._rows[name]
            out.update(rows[cols == wire].tolist())
        return out

    def describe(self, constraints: Iterable[int], limit: int = 5) -> str:
        lines = []
        for k in list(constraints)[:limit]:
            names = sorted(self.sym.name(w) for w in self.constraint_wires(k) if w != 0)
            lines.append(f"  constraint {k}: {names[:6]}{' ...' if len(names) > 6 else ''}")
        return "\n".join(lines)

    def assert_caught_only_by(self, witness: Sequence[int], *prefixes: str) -> list[int]:
        """Some constraint fails, and every failing constraint involves a wire of a signal under one of
        `prefixes` (e.g. "outRange[1]."): the lie is caught by that gadget and by nothing else, so
        everything else about the forgery was consistent."""
        bad = self.failing(witness)
        assert bad, "the forged witness satisfies every constraint: the circuit accepts the forgery"
        target: set[int] = set()
        for p in prefixes:
            target |= self.sym.wires_under(p)
        assert target, f"no wires under {prefixes}: wrong signal names?"
        stray = [k for k in bad if not (self.constraint_wires(k) & target)]
        assert not stray, (
            f"{len(stray)} of {len(bad)} failing constraints do not involve {prefixes}: the forgery was "
            f"inconsistent elsewhere\n{self.describe(stray)}"
        )
        return bad
