// Transfer(levels, nIns, nOuts): a private transfer of one token between shielded notes.
//
// Public inputs, in this order (the order of declaration below is the order of the public signals):
//   root, publicAmount, fee, extDataHash, inputNullifier[nIns], outputCommitment[nOuts]
//
// Statement:
//   * note = (amount, owner, blinding, tokenId); commitment = Poseidon(amount, owner, blinding, tokenId)
//   * owner = Poseidon(Ax, Ay, Poseidon(nk)) for the one spending key A = (Ax, Ay) and nullifying key nk
//     of this transfer: every input note belongs to that owner
//   * input i: a leaf of the Poseidon(2) Merkle tree of depth `levels` under `root` at inLeafIndex[i]
//     (< 2^levels, path derived from its bits); a zero-amount input may skip the membership check
//   * inputNullifier[i] = Poseidon(nk, commitment_i, inLeafIndex[i]), pairwise different
//   * outputCommitment[j] = commitment of (outAmount[j], outOwner[j], outBlinding[j], tokenId)
//   * all amounts and the fee < 2^AMOUNT_BITS; -2^AMOUNT_BITS <= publicAmount < 2^AMOUNT_BITS
//     (negative as r - |x|); sum(in) + publicAmount == sum(out) + fee (as integers, see constants)
//   * an EdDSA-Poseidon signature by A over M = PoseidonMany(tag, every public input, in order), tag =
//     SpendDomainTag(1, levels, nIns, nOuts) (lib/spend_auth.circom): the prover, who knows nk and A
//     but not the spending private key, can neither spend nor redirect, and a signature made for one
//     shape or depth is no signature for another.
// Every public input enters M (a Poseidon S-box squares it), hence a non-linear constraint;
// extDataHash is squared as well, as tornado-nova does.
pragma circom 2.1.0;

include "circomlib/circuits/comparators.circom";
include "lib/constants.circom";
include "lib/range.circom";
include "lib/signed_range.circom";
include "lib/merkle.circom";
include "lib/address.circom";
include "lib/commitment.circom";
include "lib/nullifier.circom";
include "lib/distinct.circom";
include "lib/poseidon_many.circom";
include "lib/spend_auth.circom";

template Transfer(levels, nIns, nOuts) {
    assert(nIns >= 1 && nIns <= 16);
    assert(nOuts >= 1 && nOuts <= 16);
    var bits = AMOUNT_BITS();

    // --- public inputs (order matters: it is the order of the public signals) ---
    signal input root;
    signal input publicAmount;
    signal input fee;
    signal input extDataHash;
    signal input inputNullifier[nIns];
    signal input outputCommitment[nOuts];

    // --- private inputs ---
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

    // The owner of every input note.
    component address = Address();
    address.pubKey[0] <== spendPubKey[0];
    address.pubKey[1] <== spendPubKey[1];
    address.nullifyingKey <== nullifyingKey;

    component inRange[nIns];
    component inCommitment[nIns];
    component inNullifier[nIns];
    component inTree[nIns];
    component inRootCheck[nIns];
    var sumIns = 0;
    for (var i = 0; i < nIns; i++) {
        inRange[i] = RangeCheck(bits);
        inRange[i].in <== inAmount[i];

        inCommitment[i] = NoteCommitment();
        inCommitment[i].amount <== inAmount[i];
        inCommitment[i].owner <== address.owner;
        inCommitment[i].blinding <== inBlinding[i];
        inCommitment[i].tokenId <== tokenId;

        inNullifier[i] = NoteNullifier();
        inNullifier[i].nullifyingKey <== nullifyingKey;
        inNullifier[i].commitment <== inCommitment[i].commitment;
        inNullifier[i].leafIndex <== inLeafIndex[i];
        inNullifier[i].nullifier === inputNullifier[i];

        inTree[i] = MerkleRoot(levels);
        inTree[i].leaf <== inCommitment[i].commitment;
        inTree[i].leafIndex <== inLeafIndex[i];
        for (var l = 0; l < levels; l++) {
            inTree[i].pathElements[l] <== inPathElements[i][l];
        }
        // Membership is enforced unless the amount is 0 (dummy input), as in tornado-nova.
        inRootCheck[i] = ForceEqualIfEnabled();
        inRootCheck[i].enabled <== inAmount[i];
        inRootCheck[i].in[0] <== root;
        inRootCheck[i].in[1] <== inTree[i].root;

        sumIns += inAmount[i];
    }

    // One note cannot be spent twice in a transfer: its nullifier would repeat.
    if (nIns > 1) {
        component distinct = AllDistinct(nIns);
        for (var i = 0; i < nIns; i++) {
            distinct.in[i] <== inputNullifier[i];
        }
    }

    component outRange[nOuts];
    component outCommitmentHash[nOuts];
    var sumOuts = 0;
    for (var j = 0; j < nOuts; j++) {
        outRange[j] = RangeCheck(bits);
        outRange[j].in <== outAmount[j];

        outCommitmentHash[j] = NoteCommitment();
        outCommitmentHash[j].amount <== outAmount[j];
        outCommitmentHash[j].owner <== outOwner[j];
        outCommitmentHash[j].blinding <== outBlinding[j];
        outCommitmentHash[j].tokenId <== tokenId;
        outCommitmentHash[j].commitment === outputCommitment[j];

        sumOuts += outAmount[j];
    }

    component feeRange = RangeCheck(bits);
    feeRange.in <== fee;
    component publicAmountRange = SignedRangeCheck(bits);
    publicAmountRange.in <== publicAmount;

    sumIns + publicAmount === sumOuts + fee;

    // Spend authorization over the domain tag (version 1 of this template, its shape and depth) and
    // every public input.
    var nPublic = 4 + nIns + nOuts;
    component message = PoseidonMany(1 + nPublic);
    message.in[0] <== SpendDomainTag(1, levels, nIns, nOuts);
    message.in[1] <== root;
    message.in[2] <== publicAmount;
    message.in[3] <== fee;
    message.in[4] <== extDataHash;
    for (var i = 0; i < nIns; i++) {
        message.in[5 + i] <== inputNullifier[i];
    }
    for (var j = 0; j < nOuts; j++) {
        message.in[5 + nIns + j] <== outputCommitment[j];
    }

    component auth = SpendAuthorization();
    auth.pubKey[0] <== spendPubKey[0];
    auth.pubKey[1] <== spendPubKey[1];
    auth.sigR8[0] <== sigR8[0];
    auth.sigR8[1] <== sigR8[1];
    auth.sigS <== sigS;
    auth.message <== message.out;

    // Bind extDataHash in a non-linear constraint of its own (it also enters M).
    signal extDataSquare;
    extDataSquare <== extDataHash * extDataHash;
}
