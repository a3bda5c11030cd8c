// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./MerkleZeros.sol";

interface IHasher {
    function hash(uint256[2] calldata inputs) external view returns (uint256);
}

/// @title Append-only Poseidon(2) Merkle trees, one after another, whose every root stays known
/// (twin of transfer/merkle.py, one tree of `levels` levels at a time).
/// @notice Leaves go in pairs (every transfer has two outputs), so a pair is one level-1 node.
/// Empty leaves are 0; zeros(h + 1) = Poseidon(zeros(h), zeros(h)), from the generated MerkleZeros
/// (the constructor checks the top one against the hasher it is given).
///
/// Nothing can lock a note: when a tree is full the next insert starts a new, empty tree (leaf
/// positions are numbered globally, tree * 2^levels + index), and every root any tree ever had,
/// the last root of each full tree included, stays a known root for ever. So a full tree never
/// blocks a withdrawal, and no number of transactions can push out the root a pending proof was
/// made against (a window of the last N roots could be flushed by N cheap transactions). Keeping
/// every root costs one storage slot per insert; nothing else needs them to expire: a root is a
/// past state of an append-only tree, and nullifiers (ShieldedPool) are global across trees.
contract MerkleTreeWithHistory {
    IHasher public immutable hasher;
    uint32 public immutable levels;

    uint256[] public filledSubtrees;
    /// @notice Every root a tree has had, the current one and each full tree's last included.
    mapping(uint256 => bool) public knownRoots;
    uint256 internal currentRoot;
    /// @notice The tree leaves go into (0 for the first); a full tree is followed by the next one.
    uint32 public currentTree;
    /// @notice Position of the next leaf inside the current tree (2^levels when it is full).
    uint32 public nextIndex;

    event NewTree(uint256 indexed tree, uint256 previousFinalRoot);

    error HasherMismatch(uint256 expected, uint256 got);
    error BadBatchSize(uint256 leaves);

    constructor(uint32 _levels, IHasher _hasher) {
        require(_levels >= 1 && _levels <= 31, "levels must be in [1, 31]");
        levels = _levels;
        hasher = _hasher;
        for (uint32 i = 0; i < _levels; i++) {
            filledSubtrees.push(MerkleZeros.zeros(i));
        }
        uint256 top = MerkleZeros.zeros(_levels);
        uint256 below = MerkleZeros.zeros(_levels - 1);
        uint256 got = _hasher.hash([below, below]);
        if (got != top) revert HasherMismatch(top, got);
        currentRoot = top;
        knownRoots[top] = true;
    }

    /// @notice The root of an empty subtree of the given height (0 for a leaf).
    function zeros(uint256 height) public pure returns (uint256) {
        return MerkleZeros.zeros(height);
    }

    function hashLeftRight(uint256 left, uint256 right) public view returns (uint256) {
        return hasher.hash([left, right]);
    }

    /// @dev Inserts leaves (leaf1, leaf2) as the next pair; returns leaf1's global position
    /// currentTree * 2^levels + index. A full tree is followed by a new one, whose first insert this is.
    function _insert(uint256 leaf1, uint256 leaf2) internal returns (uint256 position) {
        uint32 _nextIndex = nextIndex;
        uint32 tree = currentTree;
        if (_nextIndex == uint32(1) << levels) {
            // The current tree is full; its last root stays known (knownRoots) for ever.
            tree += 1;
            currentTree = tree;
            _nextIndex = 0;
            emit NewTree(tree, currentRoot);
        }
        // filledSubtrees needs no reset for a new tree: a left sibling is always written by an
        // earlier insert of the same tree before a right one reads it.
        uint32 currentIndex = _nextIndex / 2;
        uint256 node = hashLeftRight(leaf1, leaf2);
        for (uint32 i = 1; i < levels; i++) {
            if (currentIndex % 2 == 0) {
                filledSubtrees[i] = node;
                node = hashLeftRight(node, MerkleZeros.zeros(i));
            } else {
                node = hashLeftRight(filledSubtrees[i], node);
            }
            currentIndex /= 2;
        }
        currentRoot = node;
        knownRoots[node] = true;
        nextIndex = _nextIndex + 2;
        return (uint256(tree) << levels) | _nextIndex;
    }

    /// @dev Inserts `leaves` (an even, non-zero number of them) as the next positions and returns the
    /// global position of the first; the i-th leaf is at that position + i. Within a tree the batch
    /// goes in as one subtree (`_insertSubtree`): the tree gains ONE root however many pairs it
    /// holds. A batch that does not fit fills the current tree and continues in a new one (the
    /// positions stay consecutive, and the full tree's last root stays known, as with _insert).
    /// Overwrites `leaves` (used as scratch).
    function _insertBatch(uint256[] memory leaves) internal returns (uint256 position) {
        uint256 count = leaves.length;
        if (count == 0 || count % 2 != 0) revert BadBatchSize(count);
        uint256 capacity = uint256(1) << levels;
        uint256 done = 0;
        while (done < count) {
            uint32 tree = currentTree;
            uint256 index = nextIndex;
            if (index == capacity) {
                tree += 1;
                currentTree = tree;
                index = 0;
                emit NewTree(tree, currentRoot);
            }
            if (done == 0) position = (uint256(tree) << levels) | index;
            uint256 take = capacity - index < count - done ? capacity - index : count - done;
            uint256[] memory part = leaves;
            if (take != count) {
                part = new uint256[](take);
                for (uint256 k = 0; k < take; k++) {
                    part[k] = leaves[done + k];
                }
            }
            uint256 root = _insertSubtree(part, index);
            currentRoot = root;
            knownRoots[root] = true;
            nextIndex = uint32(index + take);
            done += take;
        }
    }

    /// @dev The root after writing `nodes` (even count, fitting) at leaf index `start` of the current
    /// tree: each level hashes the batch's own nodes once, plus a left neighbour from filledSubtrees
    /// and a zero on the right where the batch does not fill a pair, so 2N leaves cost about
    /// 2N + levels - log2(2N) hashes instead of N * levels; filledSubtrees ends as _insert would
    /// leave it after the same pairs one by one. Overwrites `nodes`.
    function _insertSubtree(uint256[] memory nodes, uint256 start) internal returns (uint256) {
        uint256 count = nodes.length;
        for (uint32 i = 0; i < levels; i++) {
            uint256 pad = start % 2; // 1: the first node is a right child; its left is filledSubtrees[i]
            uint256 leftNeighbour = pad == 1 ? filledSubtrees[i] : 0; // read before it is replaced
            // filledSubtrees[i] is the left (even) node of the pair holding the last node written at
            // this level, as _insert leaves it; level 0 pairs are always whole, so it is never read.
            uint256 lastEven = (start + count - 1) & ~uint256(1);
            if (i > 0 && lastEven >= start) filledSubtrees[i] = nodes[lastEven - start];
            uint256 parents = (count + pad + 1) / 2;
            for (uint256 k = 0; k < parents; k++) {
                uint256 left = (k == 0 && pad == 1) ? leftNeighbour : nodes[2 * k - pad];
                uint256 r = 2 * k + 1 - pad;
                uint256 right = r < count ? nodes[r] : MerkleZeros.zeros(i);
                nodes[k] = hashLeftRight(left, right);
            }
            start >>= 1;
            count = parents;
        }
        return nodes[0];
    }

    /// @notice Whether `root` is a root some tree of this contract has had. Zero is never known.
    function isKnownRoot(uint256 root) public view returns (bool) {
        return root != 0 && knownRoots[root];
    }

    /// @notice The current tree's root.
    function getLastRoot() public view returns (uint256) {
        return currentRoot;
    }
}
