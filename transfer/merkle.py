"""The note tree: a sparse binary Merkle tree of Poseidon(2) (twin of circuits/lib/merkle.circom).

Empty leaves are ZERO_LEAF = 0 (a note commitment is a Poseidon output, so 0 has no known
preimage), and an empty subtree of height h hashes to zeros[h], zeros[h+1] = Poseidon(zeros[h],
zeros[h]). Leaves are appended left to right. The path of leaf i lists, bottom up, the sibling at
each level; bit k of i says whether the node at level k is a right child (1) or a left child (0).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache

from .constants import DEFAULT_LEVELS
from .notes import check_field
from .poseidon import poseidon

__all__ = ["ZERO_LEAF", "zero_hashes", "MerklePath", "MerkleTree", "root_from_path", "TreeFullError"]

ZERO_LEAF = 0


class TreeFullError(ValueError):
    pass


@cache
def zero_hashes(levels: int) -> tuple[int, ...]:
    """zeros[0..levels]: the root of an empty subtree of each height (zeros[levels] = empty tree root)."""
    z = [ZERO_LEAF]
    for _ in range(levels):
        z.append(poseidon([z[-1], z[-1]]))
    return tuple(z)


@dataclass(frozen=True)
class MerklePath:
    leaf_index: int
    path_elements: tuple[int, ...]

    @property
    def levels(self) -> int:
        return len(self.path_elements)


def root_from_path(leaf: int, path: MerklePath) -> int:
    """The root implied by `leaf` at `path` (what the circuit computes)."""
    levels = path.levels
    if not 0 <= path.leaf_index < 1 << levels:
        raise ValueError(f"leaf index must be in [0, 2^{levels}), got {path.leaf_index}")
    node = check_field("leaf", leaf)
    for k, sibling in enumerate(path.path_elements):
        check_field(f"path element {k}", sibling)
        if (path.leaf_index >> k) & 1:
            node = poseidon([sibling, node])
        else:
            node = poseidon([node, sibling])
    return node


class MerkleTree:
    """An append-only sparse tree of depth `levels` storing only non-empty nodes."""

    def __init__(self, levels: int = DEFAULT_LEVELS, leaves: Iterable[int] = ()) -> None:
        if not 1 <= levels <= 64:
            raise ValueError(f"tree depth must be in [1, 64], got {levels}")
        self.levels = levels
        self._zeros = zero_hashes(levels)
        self._nodes: list[dict[int, int]] = [{} for _ in range(levels + 1)]
        self._size = 0
        for leaf in leaves:
            self.insert(leaf)

    def __len__(self) -> int:
        return self._size

    @property
    def capacity(self) -> int:
        return 1 << self.levels

    def _node(self, level: int, index: int) -> int:
        return self._nodes[level].get(index, self._zeros[level])

    @property
    def root(self) -> int:
        return self._node(self.levels, 0)

    def leaf(self, index: int) -> int:
        if not 0 <= index < self._size:
            raise IndexError(f"leaf index {index} out of range: the tree has {self._size} leaves")
        return self._nodes[0][index]

    def insert(self, leaf: int) -> int:
        """Append a leaf; returns its index."""
        check_field("leaf", leaf)
        if self._size >= self.capacity:
            raise TreeFullError(f"the tree of depth {self.levels} is full ({self.capacity} leaves)")
        index = self._size
        self._size += 1
        self._nodes[0][index] = leaf
        node, i = leaf, index
        for level in range(self.levels):
            sibling = self._node(level, i ^ 1)
            node = poseidon([sibling, node]) if i & 1 else poseidon([node, sibling])
            i >>= 1
            self._nodes[level + 1][i] = node
        return index

    def extend(self, leaves: Sequence[int]) -> list[int]:
        return [self.insert(leaf) for leaf in leaves]

    def path(self, index: int) -> MerklePath:
        if not 0 <= index < self._size:
            raise IndexError(f"leaf index {index} out of range: the tree has {self._size} leaves")
        siblings = []
        i = index
        for level in range(self.levels):
            siblings.append(self._node(level, i ^ 1))
            i >>= 1
        return MerklePath(index, tuple(siblings))

    @staticmethod
    def verify(root: int, leaf: int, path: MerklePath) -> bool:
        return root_from_path(leaf, path) == root
