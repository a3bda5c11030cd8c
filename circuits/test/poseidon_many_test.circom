// Gadget test main: PoseidonMany(32) = three chunks (16, 1 + 15, 1 + 1).
pragma circom 2.1.0;
include "../lib/poseidon_many.circom";
component main = PoseidonMany(32);
