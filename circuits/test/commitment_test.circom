// Gadget test main: NoteCommitment().
pragma circom 2.1.0;
include "../lib/commitment.circom";
component main = NoteCommitment();
