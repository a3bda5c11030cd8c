// Gadget test main: AllDistinct(3).
pragma circom 2.1.0;
include "../lib/distinct.circom";
component main = AllDistinct(3);
