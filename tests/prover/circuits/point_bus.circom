// Test circuit for bus inputs (circom 2.2): inputs are named "p.x", "q[1].y", ...
pragma circom 2.2.0;

bus Point() {
    signal x;
    signal y;
}

template UsePoints() {
    input Point() p;
    input Point() q[2];
    signal output s;
    signal t;
    t <== q[0].x * q[1].y;
    s <== p.x * p.y + t;
}

component main = UsePoints();
