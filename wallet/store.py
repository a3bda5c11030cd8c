"""The wallet's local state in SQLite: the pool's leaves (to rebuild the Merkle tree), the user's
notes, every nullifier the pool has published, the sync cursor and a history of the user's actions.

What is stored: note plaintexts (amount, blinding, token id) and their nullifiers — data a viewing
key already reveals. Never stored: the seed, the spending key, the nullifying key. Values are
decimal strings (field elements exceed SQLite's 64-bit integers).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from transfer.notes import Note

__all__ = ["NoteStore", "StoredNote", "Action", "StoreMismatch"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leaves (idx INTEGER PRIMARY KEY, commitment TEXT NOT NULL, block INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS notes (
    leaf_index INTEGER PRIMARY KEY, commitment TEXT NOT NULL, amount TEXT NOT NULL, blinding TEXT NOT NULL,
    token_id TEXT NOT NULL, nullifier TEXT NOT NULL UNIQUE, block INTEGER NOT NULL, tx TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS nullifiers (nullifier TEXT PRIMARY KEY, block INTEGER NOT NULL, tx TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, amount TEXT NOT NULL, fee TEXT NOT NULL,
    counterparty TEXT NOT NULL, tx TEXT NOT NULL, block INTEGER NOT NULL, gas INTEGER NOT NULL,
    proof_seconds REAL NOT NULL, at REAL NOT NULL
);
"""


class StoreMismatch(RuntimeError):
    """The store belongs to another wallet, pool or chain."""


@dataclass(frozen=True)
class StoredNote:
    note: Note
    leaf_index: int
    nullifier: int
    block: int
    tx: str
    spent_block: int | None
    spent_tx: str | None

    @property
    def spent(self) -> bool:
        return self.spent_block is not None


@dataclass(frozen=True)
class Action:
    kind: str
    amount: int
    fee: int
    counterparty: str
    tx: str
    block: int
    gas: int
    proof_seconds: float
    at: float


class NoteStore:
    """One SQLite file (or ":memory:") per wallet and pool.

    Notes are keyed by their leaf's global index, never by commitment: two leaves may carry the same
    commitment (a payer can send one note twice), and each is a note of its own with its own
    nullifier (the nullifier hashes the leaf position), so both count and both can be spent."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.db = sqlite3.connect(self.path)
        self._migrate()
        self.db.executescript(_SCHEMA)
        self.db.commit()

    def _migrate(self) -> None:
        """A store written before notes were keyed by leaf (commitment was the key, so a second note
        with the same commitment was dropped): forget what came from the chain, the next sync rescans."""
        cols = self.db.execute("PRAGMA table_info(notes)").fetchall()
        if any(name == "commitment" and pk for _, name, _, _, _, pk in cols):
            with self.db:
                for table in ("notes", "leaves", "nullifiers"):
                    self.db.execute(f"DROP TABLE IF EXISTS {table}")
                self.db.execute("DELETE FROM meta WHERE key = 'synced_block'")

    def close(self) -> None:
        self.db.close()

    # -- meta ------------------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))
        self.db.commit()

    def bind(self, **identity: str) -> None:
        """Record (first use) or check (later) which owner, pool and chain this store belongs to."""
        for key, value in identity.items():
            have = self.get_meta(key)
            if have is None:
                self.set_meta(key, value)
            elif have != value:
                raise StoreMismatch(f"store {self.path}: {key} is {have}, this wallet has {value}")

    @property
    def synced_block(self) -> int:
        v = self.get_meta("synced_block")
        return -1 if v is None else int(v)

    # -- leaves ----------------------------------------------------------------------------------
    def leaf_count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM leaves").fetchone()[0]

    def leaves(self, start: int = 0, stop: int | None = None) -> list[int]:
        """Commitments of the leaves at global positions [start, stop), in order."""
        stop = (1 << 63) - 1 if stop is None else stop
        rows = self.db.execute("SELECT commitment FROM leaves WHERE idx >= ? AND idx < ? ORDER BY idx", (start, stop))
        return [int(c) for (c,) in rows]

    def apply(
        self,
        leaves: Iterable[tuple[int, int, int]],
        notes: Iterable[tuple[Note, int, int, int, str]],
        nullifiers: Iterable[tuple[int, int, str]],
        synced_block: int,
    ) -> None:
        """Atomically add (index, commitment, block) leaves, (note, index, nullifier, block, tx) notes,
        (nullifier, block, tx) nullifiers and move the cursor."""
        with self.db:
            self.db.executemany(
                "INSERT INTO leaves (idx, commitment, block) VALUES (?, ?, ?)",
                [(i, str(c), b) for i, c, b in leaves],
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO notes (leaf_index, commitment, amount, blinding, token_id, nullifier, block, "
                "tx) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (i, str(n.commitment), str(n.amount), str(n.blinding), str(n.token_id), str(nf), b, tx)
                    for n, i, nf, b, tx in notes
                ],
            )
            self.db.executemany(
                "INSERT OR IGNORE INTO nullifiers VALUES (?, ?, ?)", [(str(n), b, tx) for n, b, tx in nullifiers]
            )
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('synced_block', ?)", (str(synced_block),))

    def reset_chain_data(self) -> None:
        """Forget everything learnt from the chain (before a full rescan); the action history stays."""
        with self.db:
            self.db.execute("DELETE FROM leaves")
            self.db.execute("DELETE FROM notes")
            self.db.execute("DELETE FROM nullifiers")
            self.db.execute("DELETE FROM meta WHERE key = 'synced_block'")

    # -- notes -----------------------------------------------------------------------------------
    def notes(self, owner: int, *, include_spent: bool = True) -> list[StoredNote]:
        rows = self.db.execute(
            "SELECT n.commitment, n.leaf_index, n.amount, n.blinding, n.token_id, n.nullifier, n.block, n.tx, "
            "s.block, s.tx FROM notes n LEFT JOIN nullifiers s ON s.nullifier = n.nullifier ORDER BY n.leaf_index"
        ).fetchall()
        out = []
        for _cm, idx, amount, blinding, token_id, nf, block, tx, sb, stx in rows:
            sn = StoredNote(Note(int(amount), owner, int(blinding), int(token_id)), idx, int(nf), block, tx, sb, stx)
            if include_spent or not sn.spent:
                out.append(sn)
        return out

    def is_spent(self, nullifier: int) -> bool:
        return self.db.execute("SELECT 1 FROM nullifiers WHERE nullifier = ?", (str(nullifier),)).fetchone() is not None

    # -- history ---------------------------------------------------------------------------------
    def add_action(
        self, kind: str, amount: int, fee: int, counterparty: str, tx: str, block: int, gas: int, proof_seconds: float
    ) -> None:
        with self.db:
            self.db.execute(
                "INSERT INTO actions (kind, amount, fee, counterparty, tx, block, gas, proof_seconds, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (kind, str(amount), str(fee), counterparty, tx, block, gas, proof_seconds, time.time()),
            )

    def actions(self) -> list[Action]:
        rows = self.db.execute(
            "SELECT kind, amount, fee, counterparty, tx, block, gas, proof_seconds, at FROM actions ORDER BY id"
        ).fetchall()
        return [Action(k, int(a), int(f), c, t, b, g, p, at) for k, a, f, c, t, b, g, p, at in rows]
