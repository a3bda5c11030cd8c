// Address(): nullifierPubKey = Poseidon(nk) and the shareable address
// owner = Poseidon(Ax, Ay, nullifierPubKey) of a spending public key A = (Ax, Ay) and a nullifying key nk.
pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

template Address() {
    signal input pubKey[2];
    signal input nullifyingKey;
    signal output nullifierPubKey;
    signal output owner;

    component nkHash = Poseidon(1);
    nkHash.inputs[0] <== nullifyingKey;
    nullifierPubKey <== nkHash.out;

    component ownerHash = Poseidon(3);
    ownerHash.inputs[0] <== pubKey[0];
    ownerHash.inputs[1] <== pubKey[1];
    ownerHash.inputs[2] <== nullifierPubKey;
    owner <== ownerHash.out;
}
