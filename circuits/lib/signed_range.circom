// SignedRangeCheck(bits): in is a field element x with -2^bits <= x < 2^bits, negatives as r - |x|.
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

template SignedRangeCheck(bits) {
    // x + 2^bits in [0, 2^(bits+1)); sound while 2^(bits+1) < r.
    assert(bits <= 251);
    signal input in;

    component n2b = Num2Bits(bits + 1);
    n2b.in <== in + (1 << bits);
}
