"""The issuer's identity registry (twin of circuits/lib/identity.circom and circuits/lib/quad_merkle.circom).

    leaf = Poseidon(owner, tier, jurisdiction, expiry, account)

owner: the shielded address (transfer.keys.address_of); tier: 0 = revoked (the identity may only exit
to its account), 1..n; jurisdiction: a non-zero code (ISO 3166 numeric, say); expiry: unix time, the
identity is active while the epoch's start is before it; account: the registered public (Ethereum)
address, as an int, where an exit must go.

The tree is quaternary: node = Poseidon(c0, c1, c2, c3), depth ID_DEPTH = 10, so 4^10 = 2^20 leaves. A
binary tree of depth 20 costs 20 Poseidon(2) per path (about 4,900 constraints); the quaternary one
10 Poseidon(4) (about 3,100), which keeps the compliant 16x2 circuit, with its three identity paths,
inside 2^17 constraints. Empty leaves are 0 and an empty subtree of height h hashes to zeros[h],
zeros[h+1] = Poseidon(zeros[h] x 4). Leaf i's position at level k is (i >> 2k) & 3; its path lists, per
level bottom up, the three siblings in ascending position order. Unlike the note tree, a leaf can be
overwritten (revocation, renewal): the issuer then publishes the new root.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .notes import check_field
from .poseidon import poseidon

__all__ = ["ID_DEPTH", "TIME_BITS", "Identity", "QuadPath", "IdentityTree", "quad_root_from_path", "quad_zero_hashes"]

ID_DEPTH = 10
TIME_BITS = 40
"""Expiry and epoch start are unix times below 2^40 (circuits/compliant_transfer.circom TIME_BITS)."""


@dataclass(frozen=True)
class Identity:
    owner: int
    tier: int
    jurisdiction: int
    expiry: int
    account: int

    def __post_init__(self) -> None:
        for name in ("owner", "tier", "jurisdiction", "expiry", "account"):
            check_field(f"identity {name}", getattr(self, name))
        if self.expiry >= 1 << TIME_BITS:
            raise ValueError(f"identity expiry: expected a unix time below 2^{TIME_BITS}, got {self.expiry}")
        if self.account >= 1 << 160:
            raise ValueError(f"identity account: expected a 20-byte address, got {self.account}")

    @property
    def leaf(self) -> int:
        return poseidon([self.owner, self.tier, self.jurisdiction, self.expiry, self.account])

    def active_at(self, epoch_start: int) -> bool:
        """Not revoked (tier != 0) and not expired at the start of the epoch."""
        return self.tier != 0 and epoch_start < self.expiry


@dataclass(frozen=True)
class QuadPath:
    leaf_index: int
    siblings: tuple[tuple[int, int, int], ...]

    @property
    def depth(self) -> int:
        return len(self.siblings)


@cache
def quad_zero_hashes(depth: int) -> tuple[int, ...]:
    z = [0]
    for _ in range(depth):
        z.append(poseidon([z[-1]] * 4))
    return tuple(z)


def quad_root_from_path(leaf: int, path: QuadPath) -> int:
    """The root implied by `leaf` at `path` (what QuadMerkleRoot computes)."""
    if not 0 <= path.leaf_index < 1 << (2 * path.depth):
        raise ValueError(f"identity leaf index must be in [0, 4^{path.depth}), got {path.leaf_index}")
    node = check_field("leaf", leaf)
    for level, sib in enumerate(path.siblings):
        if len(sib) != 3:
            raise ValueError(f"identity path level {level}: expected 3 siblings, got {len(sib)}")
        pos = (path.leaf_index >> (2 * level)) & 3
        children = list(sib)
        children.insert(pos, node)
        node = poseidon(children)
    return node


class IdentityTree:
    """A sparse quaternary tree of depth `depth` storing only non-empty nodes; leaves can be overwritten."""

    def __init__(self, depth: int = ID_DEPTH) -> None:
        if not 1 <= depth <= 32:
            raise ValueError(f"identity tree depth must be in [1, 32], got {depth}")
        self.depth = depth
        self._zeros = quad_zero_hashes(depth)
        self._nodes: list[dict[int, int]] = [{} for _ in range(depth + 1)]

    @property
    def capacity(self) -> int:
        return 1 << (2 * self.depth)

    def _node(self, level: int, index: int) -> int:
        return self._nodes[level].get(index, self._zeros[level])

    @property
    def root(self) -> int:
        return self._node(self.depth, 0)

    def leaf(self, index: int) -> int:
        return self._node(0, index)

    def set(self, index: int, leaf: int) -> None:
        """Write leaf `index` (0 clears it) and rehash its branch."""
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.capacity:
            raise IndexError(f"identity index must be in [0, {self.capacity}), got {index!r}")
        self._nodes[0][index] = check_field("leaf", leaf)
        i = index
        for level in range(self.depth):
            parent = i >> 2
            children = [self._node(level, 4 * parent + k) for k in range(4)]
            self._nodes[level + 1][parent] = poseidon(children)
            i = parent

    def path(self, index: int) -> QuadPath:
        if not 0 <= index < self.capacity:
            raise IndexError(f"identity index must be in [0, {self.capacity}), got {index}")
        siblings = []
        i = index
        for level in range(self.depth):
            base, pos = i & ~3, i & 3
            siblings.append(tuple(self._node(level, base + k) for k in range(4) if k != pos))
            i >>= 2
        return QuadPath(index, tuple(siblings))  # type: ignore[arg-type]
