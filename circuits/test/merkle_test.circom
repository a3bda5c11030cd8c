// Gadget test main: MerkleRoot(4).
pragma circom 2.1.0;
include "../lib/merkle.circom";
component main = MerkleRoot(4);
