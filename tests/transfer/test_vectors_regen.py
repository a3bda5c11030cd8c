"""tests/vectors/circomlibjs.json is what its generator produces today (generated files are re-checked)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.interop
def test_committed_vectors_are_regenerated_identically(vectors):
    if shutil.which("node") is None:
        pytest.fail("node is not installed: the interop tests need it (run `make node`)")
    p = subprocess.run(
        ["node", "tests/vectors/gen_circomlibjs.js"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert p.returncode == 0, p.stderr[-4000:]
    assert json.loads(p.stdout) == vectors, (
        "stale: node tests/vectors/gen_circomlibjs.js > tests/vectors/circomlibjs.json"
    )
