// Test circuit for log(): witness generation prints "x is <x>".
pragma circom 2.1.0;

template Logger() {
    signal input x;
    signal output y;
    log("x is", x);
    y <== x * x;
}

component main = Logger();
