// Protocol constants shared by the gadgets, the transfer template and (by value) transfer/constants.py.
pragma circom 2.1.0;

// Width of every note amount, of the fee and of |publicAmount|.
//
// 120 bits = 1.3e36 base units: 1.3e18 whole tokens at 18 decimals, 1.3e30 at 6 decimals, far beyond
// any real supply. Soundness of the conservation equation needs the integer sums on both sides to
// stay below r ~ 2^253.6 so that equality mod r is integer equality: with nIns <= 16 inputs,
// sum(in) + |publicAmount| < 17 * 2^120 < 2^125, sum(out) + fee < (nOuts + 1) * 2^120 — both far
// below r. Num2Bits(120) is sound because 2^120 < r (no wrap-around of the bit sum).
function AMOUNT_BITS() {
    return 120;
}
