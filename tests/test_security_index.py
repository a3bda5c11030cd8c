"""SECURITY.md is the index of the security tests: every test file it names exists, its items are
numbered 1..N without gaps, and each test file that cites an item by number is named on that item."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ITEM = re.compile(r"^(\d+)\. (.*)$", re.M)
TEST_PATH = re.compile(r"`(tests/[\w/.-]+\.py)`")


def _items() -> dict[int, str]:
    return {int(n): text for n, text in ITEM.findall((ROOT / "SECURITY.md").read_text())}


def test_items_are_numbered_without_gaps():
    numbers = sorted(_items())
    assert numbers == list(range(1, len(numbers) + 1)), f"SECURITY.md items are numbered {numbers}"


def test_every_named_test_file_exists():
    missing = [(n, p) for n, text in _items().items() for p in TEST_PATH.findall(text) if not (ROOT / p).is_file()]
    assert not missing, f"SECURITY.md names test files that do not exist: {missing}"


def test_a_file_citing_an_item_is_indexed_there():
    items = _items()
    unindexed = []
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for n in sorted({int(m) for m in re.findall(r"SECURITY (\d+)\b", path.read_text())}):
            if n in items and rel not in items[n]:
                unindexed.append((n, rel))
    assert not unindexed, f"test files cite SECURITY items that do not name them: {unindexed}"
