// AuditorEncryption(length): the plaintext encrypted to the auditor's Baby Jubjub key P.
//   ephemeralPubKey = e * Base8 for the prover's fresh secret e < 2^253 (its bits: Num2Bits(253))
//   shared          = e * P                               (ECDH; the auditor computes a * ephemeralPubKey)
//   ciphertext      = PoseidonEncrypt(plaintext, key = shared, nonce = 0)
// P is checked to be a curve point (BabyCheck); that it is the policy's key is the pool's check.
// Python twin: transfer.poseidon_cipher.audit_encrypt.
pragma circom 2.1.0;

include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/escalarmulany.circom";
include "circomlib/circuits/escalarmulfix.circom";
include "poseidon_cipher.circom";

template AuditorEncryption(length) {
    signal input plaintext[length];
    signal input ephemeralSecret;
    signal input auditorPubKey[2];
    signal output ephemeralPubKey[2];
    signal output ciphertext[CIPHER_LENGTH(length)];

    var BASE8[2] = [
        5299619240641551281634865583518297030282874472190772894086521144482721001553,
        16950150798460657717958625567821834550301663161624707787222815936182638968203
    ];

    component onCurve = BabyCheck();
    onCurve.x <== auditorPubKey[0];
    onCurve.y <== auditorPubKey[1];

    component eBits = Num2Bits(253);
    eBits.in <== ephemeralSecret;

    component ephemeral = EscalarMulFix(253, BASE8);
    component shared = EscalarMulAny(253);
    for (var i = 0; i < 253; i++) {
        ephemeral.e[i] <== eBits.out[i];
        shared.e[i] <== eBits.out[i];
    }
    shared.p[0] <== auditorPubKey[0];
    shared.p[1] <== auditorPubKey[1];
    ephemeralPubKey[0] <== ephemeral.out[0];
    ephemeralPubKey[1] <== ephemeral.out[1];

    component cipher = PoseidonEncrypt(length);
    for (var i = 0; i < length; i++) {
        cipher.plaintext[i] <== plaintext[i];
    }
    cipher.key[0] <== shared.out[0];
    cipher.key[1] <== shared.out[1];
    cipher.nonce <== 0;
    for (var i = 0; i < CIPHER_LENGTH(length); i++) {
        ciphertext[i] <== cipher.ciphertext[i];
    }
}
