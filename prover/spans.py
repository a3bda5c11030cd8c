"""Named, timed spans: each stage of a proof reports how long it took.

    spans = Spans()
    with spans("msm_a"):
        ...
    spans.as_dict()  # {"msm_a": 0.0123, ...} seconds, in the order the stages ran

Spans carry names and durations only, never values, so they are safe to log and return.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("hush.spans")


class Spans:
    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._times: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            dt = time.perf_counter() - t0
            self._times[name] = self._times.get(name, 0.0) + dt
            log.debug("%s%s %.6f s", self.prefix, name, dt)

    def as_dict(self) -> dict[str, float]:
        return dict(self._times)

    def total(self) -> float:
        return sum(self._times.values())

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v * 1e3:.1f}ms" for k, v in self._times.items())
        return f"Spans({inner})"
