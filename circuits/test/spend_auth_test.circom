// Gadget test main: SpendAuthorization() (EdDSA-Poseidon by the spending key).
pragma circom 2.1.0;
include "../lib/spend_auth.circom";
component main = SpendAuthorization();
