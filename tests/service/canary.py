"""A valid transfer that carries a canary secret: the API checks every rule of the circuit before it
accepts a job (transfer.rules), so a canary must sit in a valid transfer, here as the blinding of the
change note (a witness secret, like nk)."""

from __future__ import annotations

import dataclasses
import functools

from transfer.example import WITHDRAWAL, example_transfer
from transfer.inputs import build_transfer_inputs


@functools.cache
def _inputs(canary: int, circuit: str) -> tuple[tuple[str, object], ...]:
    ex = example_transfer(circuit)
    outputs = [ex.outputs[0], dataclasses.replace(ex.outputs[1], blinding=canary)]
    counter = iter(range(1 << 20))
    d = build_transfer_inputs(shape=ex.shape, root=ex.tree.root, inputs=list(ex.spent), outputs=outputs,
                              public_amount=-WITHDRAWAL, ext_data=ex.ext_data,
                              authorizing_key=ex.alice.proof_authorizing_key(), signer=ex.alice.spending_key.sign,
                              blinding=lambda: 1000 + next(counter))
    return tuple(d.items())


def canary_inputs(canary: str | int, circuit: str = "transfer_2x2") -> dict:
    """A fresh copy of a valid circuit-input dict whose outBlinding[1] is `canary` (decimal string or int)."""
    import copy

    d = dict(_inputs(int(canary), circuit))
    assert d["outBlinding"][1] == str(int(canary))
    return copy.deepcopy(d)
