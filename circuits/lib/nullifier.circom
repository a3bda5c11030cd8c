// NoteNullifier(): nullifier = Poseidon(nk, commitment, leafIndex).
pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

template NoteNullifier() {
    signal input nullifyingKey;
    signal input commitment;
    signal input leafIndex;
    signal output nullifier;

    component h = Poseidon(3);
    h.inputs[0] <== nullifyingKey;
    h.inputs[1] <== commitment;
    h.inputs[2] <== leafIndex;
    nullifier <== h.out;
}
