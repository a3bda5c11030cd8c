// Gadget test main: RangeCheck(AMOUNT_BITS).
pragma circom 2.1.0;
include "../lib/constants.circom";
include "../lib/range.circom";
component main = RangeCheck(AMOUNT_BITS());
