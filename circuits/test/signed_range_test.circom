// Gadget test main: SignedRangeCheck(AMOUNT_BITS).
pragma circom 2.1.0;
include "../lib/constants.circom";
include "../lib/signed_range.circom";
component main = SignedRangeCheck(AMOUNT_BITS());
