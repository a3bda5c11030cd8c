// Test circuit for prover/witness.py and prover/formats: 2-D input array, a public input,
// outputs, a private scalar and an assert evaluated during witness generation (line 20).
pragma circom 2.1.0;

template Mix(n) {
    signal input a[n][2];
    signal input b;
    signal input k;
    signal output c;
    signal output d[2];

    signal acc[n + 1];
    acc[0] <== b;
    for (var i = 0; i < n; i++) {
        acc[i + 1] <== acc[i] * (a[i][0] + 2 * a[i][1]);
    }
    d[0] <== a[0][0] * a[0][1];
    d[1] <== d[0] * k + 5;
    // Witness-generation assert: k = 7 is refused.
    assert(k != 7);
    c <== acc[n] * k;
}

component main {public [b]} = Mix(3);
