"""`hush` builds the farm's and the compliance parsers only for their verbs (a fresh `hush groth16
prove` skips importing the farm and web3): FARM_VERBS and COMPLIANCE_VERBS must be exactly the
top-level verbs `service.serve.add_parsers` and `wallet.compliance_cli.add_parsers` add, or one of
them would be refused."""

from __future__ import annotations

import argparse

from hush.cli import COMPLIANCE_VERBS, FARM_VERBS, build_parser


def _verbs(p: argparse.ArgumentParser) -> set[str]:
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    return set(sub.choices)


def test_lazy_verbs_are_their_modules_parsers() -> None:
    full = _verbs(build_parser())
    assert full - _verbs(build_parser(farm=False)) == FARM_VERBS
    assert full - _verbs(build_parser(compliance=False)) == COMPLIANCE_VERBS
    light = _verbs(build_parser(farm=False, compliance=False))
    assert "groth16" in light and not (FARM_VERBS | COMPLIANCE_VERBS) & light
