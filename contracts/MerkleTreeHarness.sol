// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

import "./MerkleTreeWithHistory.sol";

/// @title Test harness: exposes MerkleTreeWithHistory's insert so small trees can be filled. Tests only.
contract MerkleTreeHarness is MerkleTreeWithHistory {
    constructor(uint32 _levels, IHasher _hasher) MerkleTreeWithHistory(_levels, _hasher) {}

    function insert(uint256 leaf1, uint256 leaf2) external returns (uint256) {
        return _insert(leaf1, leaf2);
    }

    function insertBatch(uint256[] memory leaves) external returns (uint256) {
        return _insertBatch(leaves);
    }
}
