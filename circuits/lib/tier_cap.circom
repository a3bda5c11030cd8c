// TierCap(nTiers, capBits): the value leaving the sender is at most the cap of its tier.
//   tier is one of 0..nTiers (exactly one IsEqual hits); cap = tierCap[tier - 1] for tier >= 1, and
//   cap < 2^capBits (Num2Bits); effectiveCap = cap, or 2^capBits when `exempt` (boolean: an exit);
//   leaving <= effectiveCap, compared on capBits + 1 bits: the caller guarantees leaving < 2^capBits.
// A tier-0 (revoked) sender that is not exempt has cap 0. Python twin: transfer.compliant.
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

template TierCap(nTiers, capBits) {
    assert(nTiers >= 1 && capBits <= 250);
    signal input tier;
    signal input tierCap[nTiers];
    signal input exempt;
    signal input leaving;

    component isTier[nTiers + 1];
    signal capTerm[nTiers];
    var hits = 0;
    var cap = 0;
    for (var t = 0; t <= nTiers; t++) {
        isTier[t] = IsEqual();
        isTier[t].in[0] <== tier;
        isTier[t].in[1] <== t;
        hits += isTier[t].out;
        if (t >= 1) {
            capTerm[t - 1] <== isTier[t].out * tierCap[t - 1];
            cap += capTerm[t - 1];
        }
    }
    hits === 1;

    component capRange = Num2Bits(capBits);
    capRange.in <== cap;
    signal effectiveCap;
    effectiveCap <== cap + exempt * ((1 << capBits) - cap);

    component within = LessEqThan(capBits + 1);
    within.in[0] <== leaving;
    within.in[1] <== effectiveCap;
    within.out === 1;
}
