pragma circom 2.1.0; include "../transfer.circom"; component main {public [root, publicAmount, fee, extDataHash, inputNullifier, outputCommitment]} = Transfer(24, 16, 2);
