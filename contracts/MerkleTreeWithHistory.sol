// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./MerkleZeros.sol";

interface IHasher {
    function hash(uint256[2] calldata inputs) external view returns (uint256);
}

/// @title Append-only Poseidon(2) Merkle tree with a window of recent roots (twin of transfer/merkle.py).
/// @notice Leaves go in pairs (every transfer has two outputs), so a pair is one level-1 node.
/// Empty leaves are 0; zeros(h + 1) = Poseidon(zeros(h), zeros(h)), from the generated MerkleZeros
/// (the constructor checks the top one against the hasher it is given).
contract MerkleTreeWithHistory {
    uint256 public constant ROOT_HISTORY_SIZE = 100;

    IHasher public immutable hasher;
    uint32 public immutable levels;

    uint256[] public filledSubtrees;
    uint256[ROOT_HISTORY_SIZE] public roots;
    uint32 public currentRootIndex;
    uint32 public nextIndex;

    error TreeFull(uint32 nextIndex, uint32 capacity);
    error HasherMismatch(uint256 expected, uint256 got);

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
        roots[0] = top;
    }

    /// @notice The root of an empty subtree of the given height (0 for a leaf).
    function zeros(uint256 height) public pure returns (uint256) {
        return MerkleZeros.zeros(height);
    }

    function hashLeftRight(uint256 left, uint256 right) public view returns (uint256) {
        return hasher.hash([left, right]);
    }

    /// @dev Inserts leaves (leaf1, leaf2) at nextIndex, nextIndex + 1; returns the index of leaf1.
    function _insert(uint256 leaf1, uint256 leaf2) internal returns (uint32 index) {
        uint32 _nextIndex = nextIndex;
        uint32 capacity = uint32(1) << levels;
        if (_nextIndex > capacity - 2) revert TreeFull(_nextIndex, capacity);
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
        uint32 newRootIndex = uint32((currentRootIndex + 1) % ROOT_HISTORY_SIZE);
        currentRootIndex = newRootIndex;
        roots[newRootIndex] = node;
        nextIndex = _nextIndex + 2;
        return _nextIndex;
    }

    /// @notice Whether `root` is one of the last ROOT_HISTORY_SIZE roots. Zero is never known.
    function isKnownRoot(uint256 root) public view returns (bool) {
        if (root == 0) return false;
        uint32 _current = currentRootIndex;
        uint32 i = _current;
        do {
            if (root == roots[i]) return true;
            if (i == 0) i = uint32(ROOT_HISTORY_SIZE);
            i--;
        } while (i != _current);
        return false;
    }

    function getLastRoot() public view returns (uint256) {
        return roots[currentRootIndex];
    }
}
