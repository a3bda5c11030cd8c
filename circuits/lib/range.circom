// RangeCheck(bits): in is an integer in [0, 2^bits).
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";

template RangeCheck(bits) {
    // Num2Bits(bits) is sound only while 2^bits < r: the weighted bit sum must not wrap.
    assert(bits <= 252);
    signal input in;

    component n2b = Num2Bits(bits);
    n2b.in <== in;
}
