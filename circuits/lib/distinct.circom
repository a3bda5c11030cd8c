// AllDistinct(n): the n inputs are pairwise different. For every pair, (in[i] - in[j]) * inv === 1
// with a prover-supplied inverse: one constraint per pair, unsatisfiable when in[i] == in[j].
pragma circom 2.1.0;

template AllDistinct(n) {
    signal input in[n];

    var nPairs = n * (n - 1) \ 2;
    signal inv[nPairs];
    var k = 0;
    for (var i = 0; i < n; i++) {
        for (var j = i + 1; j < n; j++) {
            inv[k] <-- in[i] != in[j] ? 1 / (in[i] - in[j]) : 0;
            (in[i] - in[j]) * inv[k] === 1;
            k++;
        }
    }
}
