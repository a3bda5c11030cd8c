// EpochNullifier(slotBits): the rate-limit nullifier Poseidon(identitySecret, epoch, slot) of one of
// the K = maxSlots transfers an identity may make in an epoch: slot < maxSlots, both < 2^slotBits
// (Num2Bits), so an identity has exactly maxSlots distinct nullifiers per epoch. The pool refuses a
// nullifier it has seen (in its own set, apart from note nullifiers). Python twin:
// transfer.compliant.epoch_nullifier.
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";

template EpochNullifier(slotBits) {
    assert(slotBits >= 1 && slotBits <= 32);
    signal input identitySecret;
    signal input epoch;
    signal input slot;
    signal input maxSlots;
    signal output nullifier;

    component slotRange = Num2Bits(slotBits);
    slotRange.in <== slot;
    component maxRange = Num2Bits(slotBits);
    maxRange.in <== maxSlots;
    component below = LessThan(slotBits);
    below.in[0] <== slot;
    below.in[1] <== maxSlots;
    below.out === 1;

    component h = Poseidon(3);
    h.inputs[0] <== identitySecret;
    h.inputs[1] <== epoch;
    h.inputs[2] <== slot;
    nullifier <== h.out;
}
