// CompliantTransfer(levels, idDepth, nIns, nOuts, nTiers, nBlocked): a Transfer(levels, nIns, nOuts)
// that also proves it is compliant with the issuer's policy.
//
// Public inputs, in this order:
//   root, publicAmount, fee, extDataHash, inputNullifier[nIns], outputCommitment[nOuts]   (as Transfer)
//   identityRoot, epoch, epochStart, tierCap[nTiers], blockedJurisdiction[nBlocked], maxSlots,
//   epochNullifier, exitAccount, auditorPubKey[2], ephemeralPubKey[2], auditCiphertext[CIPHER_LENGTH(2 nOuts + 4)]
//
// Statement, beside everything Transfer proves (its instance is reused as is):
//   * Known parties. The sender (owner = Address(A, nk), the owner of every input note) and the owner of
//     every output with a non-zero amount are leaves of the identity tree under identityRoot
//     (IdentityStatus). A non-zero output's owner is active (tier != 0, epochStart < expiry) and not
//     of a blocked jurisdiction. The sender is either active and not blocked, or exits (below).
//   * Tiered caps. leaving = sum of the outputs to owners other than the sender + fee + the amount
//     withdrawn (-publicAmount when negative) is at most tierCap[tier - 1] (TierCap).
//   * Exit. A sender that is not active (revoked: tier 0, or expired) may only withdraw: every output
//     amount is 0, and exitAccount = its registered account (non-zero), which the pool requires to be
//     the withdrawal's recipient; an active sender has exitAccount = 0. The cap does not apply.
//   * Auditor's view. auditCiphertext = PoseidonEncrypt(sender, outOwner[..], outAmount[..], tokenId,
//     fee, publicAmount) under the ECDH key of a fresh ephemeral secret and auditorPubKey
//     (AuditorEncryption); ephemeralPubKey is the ephemeral secret's public key.
//   * Rate limit. epochNullifier = Poseidon(nk, epoch, slot) with slot < maxSlots < 2^SLOT_BITS.
//   * Every public input is signed: Transfer's signature covers M over its own public inputs, with its
//     extDataHash replaced by Poseidon(extDataHash, complianceHash), complianceHash = PoseidonMany(the
//     compliance public inputs above, in order). The farm, which knows nk and A, can change none of them.
pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "circomlib/circuits/poseidon.circom";
include "transfer.circom";
include "lib/address.circom";
include "lib/identity.circom";
include "lib/tier_cap.circom";
include "lib/auditor.circom";
include "lib/epoch_nullifier.circom";

function TIME_BITS() {
    return 40;
}

function SLOT_BITS() {
    return 8;
}

function CAP_BITS() {
    return 125;
}

template CompliantTransfer(levels, idDepth, nIns, nOuts, nTiers, nBlocked) {
    assert(nOuts + 2 <= 32);  // leaving < (nOuts + 2) * 2^AMOUNT_BITS <= 2^CAP_BITS
    var bits = AMOUNT_BITS();
    var nPlain = 2 * nOuts + 4;
    var nCipher = CIPHER_LENGTH(nPlain);

    // --- public inputs (order matters) ---
    signal input root;
    signal input publicAmount;
    signal input fee;
    signal input extDataHash;
    signal input inputNullifier[nIns];
    signal input outputCommitment[nOuts];
    signal input identityRoot;
    signal input epoch;
    signal input epochStart;
    signal input tierCap[nTiers];
    signal input blockedJurisdiction[nBlocked];
    signal input maxSlots;
    signal input epochNullifier;
    signal input exitAccount;
    signal input auditorPubKey[2];
    signal input ephemeralPubKey[2];
    signal input auditCiphertext[nCipher];

    // --- private inputs: the transfer's ---
    signal input tokenId;
    signal input spendPubKey[2];
    signal input nullifyingKey;
    signal input sigR8[2];
    signal input sigS;
    signal input inAmount[nIns];
    signal input inBlinding[nIns];
    signal input inLeafIndex[nIns];
    signal input inPathElements[nIns][levels];
    signal input outAmount[nOuts];
    signal input outOwner[nOuts];
    signal input outBlinding[nOuts];
    // --- private inputs: compliance ---
    signal input senderTier;
    signal input senderJurisdiction;
    signal input senderExpiry;
    signal input senderAccount;
    signal input senderIdIndex;
    signal input senderIdPath[idDepth][3];
    signal input outTier[nOuts];
    signal input outJurisdiction[nOuts];
    signal input outExpiry[nOuts];
    signal input outAccount[nOuts];
    signal input outIdIndex[nOuts];
    signal input outIdPath[nOuts][idDepth][3];
    signal input epochSlot;
    signal input ephemeralSecret;

    // --- the compliance public inputs, bound into the transfer's signature ---
    var nCompliance = 3 + nTiers + nBlocked + 3 + 4 + nCipher;
    component complianceHash = PoseidonMany(nCompliance);
    var c = 0;
    complianceHash.in[c] <== identityRoot; c++;
    complianceHash.in[c] <== epoch; c++;
    complianceHash.in[c] <== epochStart; c++;
    for (var t = 0; t < nTiers; t++) { complianceHash.in[c] <== tierCap[t]; c++; }
    for (var b = 0; b < nBlocked; b++) { complianceHash.in[c] <== blockedJurisdiction[b]; c++; }
    complianceHash.in[c] <== maxSlots; c++;
    complianceHash.in[c] <== epochNullifier; c++;
    complianceHash.in[c] <== exitAccount; c++;
    complianceHash.in[c] <== auditorPubKey[0]; c++;
    complianceHash.in[c] <== auditorPubKey[1]; c++;
    complianceHash.in[c] <== ephemeralPubKey[0]; c++;
    complianceHash.in[c] <== ephemeralPubKey[1]; c++;
    for (var k = 0; k < nCipher; k++) { complianceHash.in[c] <== auditCiphertext[k]; c++; }
    component boundExtData = Poseidon(2);
    boundExtData.inputs[0] <== extDataHash;
    boundExtData.inputs[1] <== complianceHash.out;

    // --- the transfer ---
    component tx = Transfer(levels, nIns, nOuts);
    tx.root <== root;
    tx.publicAmount <== publicAmount;
    tx.fee <== fee;
    tx.extDataHash <== boundExtData.out;
    for (var i = 0; i < nIns; i++) {
        tx.inputNullifier[i] <== inputNullifier[i];
        tx.inAmount[i] <== inAmount[i];
        tx.inBlinding[i] <== inBlinding[i];
        tx.inLeafIndex[i] <== inLeafIndex[i];
        for (var l = 0; l < levels; l++) {
            tx.inPathElements[i][l] <== inPathElements[i][l];
        }
    }
    for (var j = 0; j < nOuts; j++) {
        tx.outputCommitment[j] <== outputCommitment[j];
        tx.outAmount[j] <== outAmount[j];
        tx.outOwner[j] <== outOwner[j];
        tx.outBlinding[j] <== outBlinding[j];
    }
    tx.tokenId <== tokenId;
    tx.spendPubKey[0] <== spendPubKey[0];
    tx.spendPubKey[1] <== spendPubKey[1];
    tx.nullifyingKey <== nullifyingKey;
    tx.sigR8[0] <== sigR8[0];
    tx.sigR8[1] <== sigR8[1];
    tx.sigS <== sigS;

    // --- known parties ---
    component sender = Address();
    sender.pubKey[0] <== spendPubKey[0];
    sender.pubKey[1] <== spendPubKey[1];
    sender.nullifyingKey <== nullifyingKey;

    component epochStartRange = Num2Bits(TIME_BITS());
    epochStartRange.in <== epochStart;

    component senderId = IdentityStatus(idDepth, nBlocked, TIME_BITS());
    senderId.enabled <== 1;
    senderId.owner <== sender.owner;
    senderId.tier <== senderTier;
    senderId.jurisdiction <== senderJurisdiction;
    senderId.expiry <== senderExpiry;
    senderId.account <== senderAccount;
    senderId.leafIndex <== senderIdIndex;
    for (var l = 0; l < idDepth; l++) {
        for (var k = 0; k < 3; k++) { senderId.pathElements[l][k] <== senderIdPath[l][k]; }
    }
    senderId.identityRoot <== identityRoot;
    senderId.epochStart <== epochStart;
    for (var b = 0; b < nBlocked; b++) { senderId.blockedJurisdiction[b] <== blockedJurisdiction[b]; }
    // an active sender is not blocked; an inactive one exits
    senderId.active * senderId.blockedHits === 0;
    signal isExit;
    isExit <== 1 - senderId.active;

    component recipient[nOuts];
    for (var j = 0; j < nOuts; j++) {
        recipient[j] = IdentityStatus(idDepth, nBlocked, TIME_BITS());
        recipient[j].enabled <== outAmount[j];
        recipient[j].owner <== outOwner[j];
        recipient[j].tier <== outTier[j];
        recipient[j].jurisdiction <== outJurisdiction[j];
        recipient[j].expiry <== outExpiry[j];
        recipient[j].account <== outAccount[j];
        recipient[j].leafIndex <== outIdIndex[j];
        for (var l = 0; l < idDepth; l++) {
            for (var k = 0; k < 3; k++) { recipient[j].pathElements[l][k] <== outIdPath[j][l][k]; }
        }
        recipient[j].identityRoot <== identityRoot;
        recipient[j].epochStart <== epochStart;
        for (var b = 0; b < nBlocked; b++) { recipient[j].blockedJurisdiction[b] <== blockedJurisdiction[b]; }
        // a non-zero output goes to an active, unblocked identity
        outAmount[j] * (1 - recipient[j].active) === 0;
        outAmount[j] * recipient[j].blockedHits === 0;
        // an exit creates no note
        isExit * outAmount[j] === 0;
    }

    // --- exit to the registered account ---
    component accountZero = IsZero();
    accountZero.in <== senderAccount;
    isExit * accountZero.out === 0;
    exitAccount === isExit * senderAccount;

    // --- tiered cap on the value leaving the sender ---
    component isSelf[nOuts];
    signal toOthers[nOuts];
    var leaving = fee;
    for (var j = 0; j < nOuts; j++) {
        isSelf[j] = IsEqual();
        isSelf[j].in[0] <== outOwner[j];
        isSelf[j].in[1] <== sender.owner;
        toOthers[j] <== outAmount[j] * (1 - isSelf[j].out);
        leaving += toOthers[j];
    }
    // publicAmount + 2^bits in [0, 2^(bits+1)) (as Transfer checks); its top bit is 1 iff publicAmount >= 0
    component sign = Num2Bits(bits + 1);
    sign.in <== publicAmount + (1 << bits);
    signal withdrawn;
    withdrawn <== (1 - sign.out[bits]) * (0 - publicAmount);
    leaving += withdrawn;

    component cap = TierCap(nTiers, CAP_BITS());
    cap.tier <== senderTier;
    for (var t = 0; t < nTiers; t++) { cap.tierCap[t] <== tierCap[t]; }
    cap.exempt <== isExit;
    cap.leaving <== leaving;

    // --- the auditor's ciphertext ---
    component audit = AuditorEncryption(nPlain);
    audit.plaintext[0] <== sender.owner;
    for (var j = 0; j < nOuts; j++) {
        audit.plaintext[1 + j] <== outOwner[j];
        audit.plaintext[1 + nOuts + j] <== outAmount[j];
    }
    audit.plaintext[1 + 2 * nOuts] <== tokenId;
    audit.plaintext[2 + 2 * nOuts] <== fee;
    audit.plaintext[3 + 2 * nOuts] <== publicAmount;
    audit.ephemeralSecret <== ephemeralSecret;
    audit.auditorPubKey[0] <== auditorPubKey[0];
    audit.auditorPubKey[1] <== auditorPubKey[1];
    audit.ephemeralPubKey[0] === ephemeralPubKey[0];
    audit.ephemeralPubKey[1] === ephemeralPubKey[1];
    for (var k = 0; k < nCipher; k++) {
        audit.ciphertext[k] === auditCiphertext[k];
    }

    // --- rate limit ---
    component rate = EpochNullifier(SLOT_BITS());
    rate.identitySecret <== nullifyingKey;
    rate.epoch <== epoch;
    rate.slot <== epochSlot;
    rate.maxSlots <== maxSlots;
    rate.nullifier === epochNullifier;
}
