// MerkleRoot(levels): the root of a binary Poseidon(2) Merkle tree of depth `levels` from a leaf, its
// index and the sibling path. The index is decomposed by Num2Bits(levels), so it is bounded by
// 2^levels and every path bit is boolean; the left/right order at level i comes from bit i
// (bit 0 = this node is the left child).
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

template MerkleRoot(levels) {
    assert(levels >= 1 && levels <= 252);
    signal input leaf;
    signal input leafIndex;
    signal input pathElements[levels];
    signal output root;

    component indexBits = Num2Bits(levels);
    indexBits.in <== leafIndex;

    signal node[levels + 1];
    signal left[levels];
    component hashers[levels];
    node[0] <== leaf;
    for (var i = 0; i < levels; i++) {
        // left = bit ? sibling : node (one multiplication); right = the other one (linear).
        left[i] <== node[i] + indexBits.out[i] * (pathElements[i] - node[i]);
        hashers[i] = Poseidon(2);
        hashers[i].inputs[0] <== left[i];
        hashers[i].inputs[1] <== node[i] + pathElements[i] - left[i];
        node[i + 1] <== hashers[i].out;
    }
    root <== node[levels];
}
