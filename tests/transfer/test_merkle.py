"""transfer.merkle against a naive full-tree computation."""

from __future__ import annotations

import pytest

from transfer.merkle import ZERO_LEAF, MerklePath, MerkleTree, TreeFullError, root_from_path, zero_hashes
from transfer.poseidon import R, poseidon


def naive_root(leaves: list[int], levels: int) -> int:
    layer = leaves + [ZERO_LEAF] * ((1 << levels) - len(leaves))
    for _ in range(levels):
        layer = [poseidon([layer[i], layer[i + 1]]) for i in range(0, len(layer), 2)]
    return layer[0]


@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
def test_root_matches_naive(n):
    leaves = [1000 + i for i in range(n)]
    tree = MerkleTree(3, leaves)
    assert tree.root == naive_root(leaves, 3)
    assert len(tree) == n


def test_paths_verify_and_bind_the_index():
    leaves = [7 * i + 1 for i in range(6)]
    tree = MerkleTree(4, leaves)
    for i, leaf in enumerate(leaves):
        path = tree.path(i)
        assert MerkleTree.verify(tree.root, leaf, path)
        assert not MerkleTree.verify(tree.root, leaf + 1, path)
        other = MerklePath((i + 1) % 16, path.path_elements)
        assert not MerkleTree.verify(tree.root, leaf, other)


def test_zero_hashes_and_empty_root():
    z = zero_hashes(24)
    assert z[0] == 0 and z[1] == poseidon([0, 0]) and z[2] == poseidon([z[1], z[1]])
    assert MerkleTree(24).root == z[24]


def test_full_tree_and_bounds():
    tree = MerkleTree(2, [1, 2, 3, 4])
    with pytest.raises(TreeFullError, match="full"):
        tree.insert(5)
    with pytest.raises(IndexError):
        tree.path(4)
    with pytest.raises(ValueError, match=r"\[0, r\)"):
        MerkleTree(2).insert(R)
    with pytest.raises(ValueError, match=r"leaf index must be in \[0, 2\^2\)"):
        root_from_path(1, MerklePath(4, (0, 0)))
