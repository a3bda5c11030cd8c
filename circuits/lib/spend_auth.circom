// SpendAuthorization(): an EdDSA-Poseidon signature (R8, S) by the spending key A over the message M,
// checked with circomlib's EdDSAPoseidonVerifier (S < subgroup order, S*Base8 == R8 + 8*H(R8, A, M)*A,
// 8*A != identity). A and R8 are additionally checked to be on Baby Jubjub: the verifier's
// addition formulas are only meaningful for curve points (6 constraints; defence in depth).
//
// SpendDomainTag(version, levels, nIns, nOuts): the constant hashed into a spend message before the
// public inputs, so a signature is for one protocol version, one shape and one tree depth only (without
// it a 2x2 signature was also one for any shape with as many public inputs). Python twin:
// transfer.constants.TransferShape.domain_tag.
//   tag = "hush" * 2^64 + version * 2^48 + levels * 2^32 + nIns * 2^16 + nOuts
pragma circom 2.1.0;

include "circomlib/circuits/babyjub.circom";
include "circomlib/circuits/eddsaposeidon.circom";

function SpendDomainTag(version, levels, nIns, nOuts) {
    assert(version < 65536 && levels < 65536 && nIns < 65536 && nOuts < 65536);
    return 0x68757368 * 2**64 + version * 2**48 + levels * 2**32 + nIns * 2**16 + nOuts;
}

template SpendAuthorization() {
    signal input pubKey[2];
    signal input sigR8[2];
    signal input sigS;
    signal input message;

    component aOnCurve = BabyCheck();
    aOnCurve.x <== pubKey[0];
    aOnCurve.y <== pubKey[1];
    component rOnCurve = BabyCheck();
    rOnCurve.x <== sigR8[0];
    rOnCurve.y <== sigR8[1];

    component verifier = EdDSAPoseidonVerifier();
    verifier.enabled <== 1;
    verifier.Ax <== pubKey[0];
    verifier.Ay <== pubKey[1];
    verifier.S <== sigS;
    verifier.R8x <== sigR8[0];
    verifier.R8y <== sigR8[1];
    verifier.M <== message;
}
