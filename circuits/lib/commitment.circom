// NoteCommitment(): commitment = Poseidon(amount, owner, blinding, tokenId).
pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

template NoteCommitment() {
    signal input amount;
    signal input owner;
    signal input blinding;
    signal input tokenId;
    signal output commitment;

    component h = Poseidon(4);
    h.inputs[0] <== amount;
    h.inputs[1] <== owner;
    h.inputs[2] <== blinding;
    h.inputs[3] <== tokenId;
    commitment <== h.out;
}
