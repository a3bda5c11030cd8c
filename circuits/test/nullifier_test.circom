// Gadget test main: NoteNullifier().
pragma circom 2.1.0;
include "../lib/nullifier.circom";
component main = NoteNullifier();
