// PoseidonEncrypt(length): the Poseidon encryption of Grassi, Khovratovich, Rechberger, Roy and
// Schofnegger (eprint 2019/458, section 7.2: a duplex sponge of width 4, rate 3) as
// @zk-kit/poseidon-cipher and MACI compute it:
//   state = (0, key[0], key[1], nonce + length * 2^128)
//   per block of 3 (the plaintext zero-padded to a multiple of 3):
//       state = Perm(state); state[1..3] += block; ciphertext ++= state[1..3]
//   state = Perm(state); ciphertext ++= state[1]       (the authentication tag)
// Perm is circomlib's Poseidon permutation of width 4 (PoseidonEx(3, 4)). The ciphertext is an
// output: a caller compares it with the public ciphertext. nonce < 2^128 is the caller's duty (it
// is a constant 0 here: every key is fresh). Python twin: transfer.poseidon_cipher.
pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

function CIPHER_LENGTH(length) {
    return ((length + 2) \ 3) * 3 + 1;
}

template PoseidonEncrypt(length) {
    assert(length >= 1 && length < 1 << 32);
    var nBlocks = (length + 2) \ 3;
    signal input plaintext[length];
    signal input key[2];
    signal input nonce;
    signal output ciphertext[nBlocks * 3 + 1];

    component perm[nBlocks + 1];
    var state[4];
    state[0] = 0;
    state[1] = key[0];
    state[2] = key[1];
    state[3] = nonce + length * (1 << 128);
    for (var b = 0; b < nBlocks; b++) {
        perm[b] = PoseidonEx(3, 4);
        perm[b].initialState <== state[0];
        for (var k = 0; k < 3; k++) {
            perm[b].inputs[k] <== state[k + 1];
        }
        state[0] = perm[b].out[0];
        for (var k = 0; k < 3; k++) {
            var m = b * 3 + k < length ? plaintext[b * 3 + k] : 0;
            ciphertext[b * 3 + k] <== perm[b].out[k + 1] + m;
            state[k + 1] = ciphertext[b * 3 + k];
        }
    }
    perm[nBlocks] = PoseidonEx(3, 4);
    perm[nBlocks].initialState <== state[0];
    for (var k = 0; k < 3; k++) {
        perm[nBlocks].inputs[k] <== state[k + 1];
    }
    ciphertext[nBlocks * 3] <== perm[nBlocks].out[1];
}
