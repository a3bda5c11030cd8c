// Identity registry gadgets. A registered identity is a leaf of the issuer's quaternary Poseidon
// tree (QuadMerkleRoot, depth 10: 4^10 = 2^20 leaves):
//   leaf = Poseidon(owner, tier, jurisdiction, expiry, account)
// owner: the shielded address notes are sent to; tier: 0 = revoked (exit only), 1..nTiers; jurisdiction:
// a non-zero code; expiry: unix time (< 2^timeBits) after which the identity may only exit; account:
// the identity's registered public (Ethereum) address, where an exit must go.
// Python twin: transfer.identity.
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";
include "quad_merkle.circom";

template IdentityLeaf() {
    signal input owner;
    signal input tier;
    signal input jurisdiction;
    signal input expiry;
    signal input account;
    signal output leaf;

    component h = Poseidon(5);
    h.inputs[0] <== owner;
    h.inputs[1] <== tier;
    h.inputs[2] <== jurisdiction;
    h.inputs[3] <== expiry;
    h.inputs[4] <== account;
    leaf <== h.out;
}

// IdentityStatus(depth, nBlocked, timeBits): the leaf of (owner, attributes) is in the tree under
// identityRoot whenever `enabled` is non-zero; outputs
//   active      = 1 iff tier != 0 and epochStart < expiry    (expiry < 2^timeBits; epochStart's range
//                                                             is the caller's, once)
//   blockedHits = how many of the blocked jurisdictions equal this one (0 = not blocked)
// The caller decides what each must be.
template IdentityStatus(depth, nBlocked, timeBits) {
    signal input enabled;
    signal input owner;
    signal input tier;
    signal input jurisdiction;
    signal input expiry;
    signal input account;
    signal input leafIndex;
    signal input pathElements[depth][3];
    signal input identityRoot;
    signal input epochStart;
    signal input blockedJurisdiction[nBlocked];
    signal output active;
    signal output blockedHits;

    component leaf = IdentityLeaf();
    leaf.owner <== owner;
    leaf.tier <== tier;
    leaf.jurisdiction <== jurisdiction;
    leaf.expiry <== expiry;
    leaf.account <== account;

    component tree = QuadMerkleRoot(depth);
    tree.leaf <== leaf.leaf;
    tree.leafIndex <== leafIndex;
    for (var l = 0; l < depth; l++) {
        for (var k = 0; k < 3; k++) {
            tree.pathElements[l][k] <== pathElements[l][k];
        }
    }
    component rootCheck = ForceEqualIfEnabled();
    rootCheck.enabled <== enabled;
    rootCheck.in[0] <== identityRoot;
    rootCheck.in[1] <== tree.root;

    component expiryRange = Num2Bits(timeBits);
    expiryRange.in <== expiry;
    component notExpired = LessThan(timeBits);
    notExpired.in[0] <== epochStart;
    notExpired.in[1] <== expiry;
    component revoked = IsZero();
    revoked.in <== tier;
    active <== notExpired.out * (1 - revoked.out);

    component blocked[nBlocked];
    var hits = 0;
    for (var b = 0; b < nBlocked; b++) {
        blocked[b] = IsEqual();
        blocked[b].in[0] <== jurisdiction;
        blocked[b].in[1] <== blockedJurisdiction[b];
        hits += blocked[b].out;
    }
    blockedHits <== hits;
}
