// PoseidonMany(n): a Poseidon hash of n >= 1 field elements, for n beyond circomlib's 16 inputs.
//   n <= 16: Poseidon(in[0..n])
//   n >  16: h = Poseidon(in[0..16]), then h = Poseidon(h, next <= 15 inputs) until all are absorbed.
// The arity of every call is fixed by n, so no padding or length tag is needed inside one circuit.
// Python twin: transfer.poseidon.poseidon_many.
pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

template PoseidonMany(n) {
    assert(n >= 1);
    signal input in[n];
    signal output out;

    var nChunks = n <= 16 ? 1 : 1 + (n - 16 + 14) \ 15;
    component h[nChunks];
    h[0] = Poseidon(n <= 16 ? n : 16);
    var first = n <= 16 ? n : 16;
    for (var i = 0; i < first; i++) {
        h[0].inputs[i] <== in[i];
    }
    var pos = first;
    for (var c = 1; c < nChunks; c++) {
        var take = n - pos < 15 ? n - pos : 15;
        h[c] = Poseidon(1 + take);
        h[c].inputs[0] <== h[c - 1].out;
        for (var i = 0; i < take; i++) {
            h[c].inputs[1 + i] <== in[pos + i];
        }
        pos += take;
    }
    out <== h[nChunks - 1].out;
}
