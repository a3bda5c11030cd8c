// Gadget test main: Address().
pragma circom 2.1.0;
include "../lib/address.circom";
component main = Address();
