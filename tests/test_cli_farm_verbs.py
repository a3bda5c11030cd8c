"""`hush` builds the farm's parsers only for farm verbs (a fresh `hush groth16 prove` skips importing
the farm): FARM_VERBS must be exactly the top-level verbs `service.serve.add_parsers` adds, or a
farm verb would be refused."""

from __future__ import annotations

import argparse

from hush.cli import FARM_VERBS, build_parser


def _verbs(p: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_farm_verbs_are_the_farm_parsers() -> None:
    with_farm, without = _verbs(build_parser()), _verbs(build_parser(farm=False))
    assert with_farm - without == FARM_VERBS
    assert "groth16" in without and not FARM_VERBS & without
