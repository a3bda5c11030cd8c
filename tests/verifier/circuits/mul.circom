pragma circom 2.0.0;

// c = a * b * k with a, b private and k public: two public signals (the output c, then k),
// each in a non-linear constraint. For the verifier's interop tests with snarkjs.
template Mul() {
    signal input a;
    signal input b;
    signal input k;
    signal output c;
    signal ab;
    ab <== a * b;
    c <== ab * k;
}

component main {public [k]} = Mul();
