// QuadMerkleRoot(depth): the root of a quaternary Poseidon(4) Merkle tree of `depth` levels (4^depth
// leaves) from a leaf, its index and, per level, the three siblings in ascending position order.
// The index is decomposed by Num2Bits(2 * depth), so it is bounded by 4^depth and every bit is
// boolean; at level i the node's position among its four siblings is p = bit[2i] + 2 * bit[2i+1].
// The children in order are then (p = 0) x s0 s1 s2, (1) s0 x s1 s2, (2) s0 s1 x s2, (3) s0 s1 s2 x:
// 7 constraints of selection per level beside the hash. Python twin: transfer.identity.
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/poseidon.circom";

template QuadMerkleRoot(depth) {
    assert(depth >= 1 && depth <= 126);
    signal input leaf;
    signal input leafIndex;
    signal input pathElements[depth][3];
    signal output root;

    component indexBits = Num2Bits(2 * depth);
    indexBits.in <== leafIndex;

    signal node[depth + 1];
    signal e3[depth];
    signal c0[depth];
    signal t1[depth];
    signal c1[depth];
    signal t2[depth];
    signal c2[depth];
    signal c3[depth];
    component hashers[depth];
    node[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        var b0 = indexBits.out[2 * i];
        var b1 = indexBits.out[2 * i + 1];
        var s0 = pathElements[i][0];
        var s1 = pathElements[i][1];
        var s2 = pathElements[i][2];
        // one-hot position flags: e3 = b0*b1, e0 = (1-b0)(1-b1), e1 = b0(1-b1), e2 = (1-b0)b1
        e3[i] <== b0 * b1;
        var e0 = 1 - b0 - b1 + e3[i];
        var e1 = b0 - e3[i];
        var e2 = b1 - e3[i];
        c0[i] <== s0 + e0 * (node[i] - s0);
        t1[i] <== e1 * (node[i] - s1);
        c1[i] <== s1 + t1[i] + e0 * (s0 - s1);
        t2[i] <== e2 * (node[i] - s1);
        c2[i] <== s1 + t2[i] + e3[i] * (s2 - s1);
        c3[i] <== s2 + e3[i] * (node[i] - s2);
        hashers[i] = Poseidon(4);
        hashers[i].inputs[0] <== c0[i];
        hashers[i].inputs[1] <== c1[i];
        hashers[i].inputs[2] <== c2[i];
        hashers[i].inputs[3] <== c3[i];
        node[i + 1] <== hashers[i].out;
    }
    root <== node[depth];
}
