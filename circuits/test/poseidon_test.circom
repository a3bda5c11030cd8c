// Known-answer main for circomlib's Poseidon at arities 1, 2, 5 and 16:
// out[k] = Poseidon(N[k])(in[0..N[k]]) for N = 1, 2, 5, 16 (the others are compared through the gadgets).
pragma circom 2.1.0;
include "circomlib/circuits/poseidon.circom";

template PoseidonKat() {
    var N[4] = [1, 2, 5, 16];
    signal input in[16];
    signal output out[4];
    component h[4];
    for (var k = 0; k < 4; k++) {
        h[k] = Poseidon(N[k]);
        for (var i = 0; i < N[k]; i++) {
            h[k].inputs[i] <== in[i];
        }
        out[k] <== h[k].out;
    }
}

component main = PoseidonKat();
