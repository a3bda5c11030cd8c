"""Fixtures for the transfer (Python twin) tests: the committed circomlibjs vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

VECTORS_PATH = Path(__file__).resolve().parents[1] / "vectors" / "circomlibjs.json"


@pytest.fixture(scope="session")
def vectors() -> dict:
    return json.loads(VECTORS_PATH.read_text())
