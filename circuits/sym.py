"""circom's .sym symbol table: one line per signal, `label_id,wire_id,component_id,name`.

wire_id is the signal's index in the witness, or -1 when the optimiser removed it (the signal was
replaced by a linear combination of other wires). Names are fully qualified from `main`, with array
indices: `main.inTree[0].indexBits.out[3]`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

__all__ = ["SymbolTable", "read_sym"]


@dataclass(frozen=True)
class SymbolTable:
    wire_of: dict[str, int]
    """Signal name -> wire index (-1: eliminated)."""
    names_of: dict[int, list[str]]
    """Wire index -> the names of the signals it holds (several when signals were merged)."""

    def wire(self, name: str) -> int:
        """The wire of a signal (`main.` may be omitted); KeyError if unknown, ValueError if eliminated."""
        full = name if name.startswith("main.") or name == "main" else f"main.{name}"
        if full not in self.wire_of:
            raise KeyError(f"no signal {full!r} in the symbol table")
        w = self.wire_of[full]
        if w < 0:
            raise ValueError(f"signal {full!r} was removed by the optimiser (no wire)")
        return w

    def name(self, wire: int) -> str:
        names = self.names_of.get(wire)
        return names[0] if names else f"<wire {wire}>"

    def wires_under(self, prefix: str) -> set[int]:
        """Wires of every signal whose name starts with `prefix` (`main.` may be omitted)."""
        full = prefix if prefix.startswith("main") else f"main.{prefix}"
        return {w for n, w in self.wire_of.items() if n.startswith(full) and w >= 0}


def read_sym(path: str | os.PathLike) -> SymbolTable:
    wire_of: dict[str, int] = {}
    names_of: dict[int, list[str]] = {}
    with open(path, encoding="ascii") as f:
        for lineno, line in enumerate(f, 1):
            parts = line.rstrip("\n").split(",", 3)
            if len(parts) != 4:
                raise ValueError(f"{path}:{lineno}: expected `label,wire,component,name`, got {line[:80]!r}")
            wire, name = int(parts[1]), parts[3]
            wire_of[name] = wire
            if wire >= 0:
                names_of.setdefault(wire, []).append(name)
    return SymbolTable(wire_of, names_of)
