// A warm native prover for `bench.compare --native-warm`: rapidsnark's C API held in one process.
//
//     warm_prover <circuit.zkey> <witness.wtns> <proof.json> <public.json> [reps]
//
// Loads the zkey into memory once, makes one prover with groth16_prover_create (not
// groth16_prover_create_zkey_file, which frees the key buffer the prover keeps), proves once to
// warm up, then proves `reps` more times (default 0) and prints {"warm_s": [...]} on stdout.
// Writes the last proof and public signals like rapidsnark's `prover`. Built against rapidsnark
// from its public source by bench/native/build_rapidsnark.sh into build/rapidsnark (git-ignored).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

#include "prover.h"

static std::vector<char> slurp(const char *path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) throw std::runtime_error(std::string("cannot read ") + path);
    return std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 6) {
        std::cerr << "usage: warm_prover <zkey> <wtns> <proof.json> <public.json> [reps]" << std::endl;
        return 2;
    }
    int reps = argc == 6 ? std::atoi(argv[5]) : 0;
    try {
        std::vector<char> zkey = slurp(argv[1]);  // kept alive for the prover's lifetime
        std::vector<char> wtns = slurp(argv[2]);
        char err[1024];
        unsigned long long public_cap = 0, proof_cap = 0;
        if (groth16_public_size_for_zkey_buf(zkey.data(), zkey.size(), &public_cap, err, sizeof err) != PROVER_OK)
            throw std::runtime_error(err);
        groth16_proof_size(&proof_cap);
        void *prover = nullptr;
        if (groth16_prover_create(&prover, zkey.data(), zkey.size(), err, sizeof err) != PROVER_OK)
            throw std::runtime_error(err);
        std::vector<char> proof(proof_cap), pub(public_cap);
        std::vector<double> times;
        unsigned long long proof_size = 0, public_size = 0;
        for (int i = 0; i <= reps; i++) {
            proof_size = proof_cap;
            public_size = public_cap;
            auto t0 = std::chrono::steady_clock::now();
            int rc = groth16_prover_prove(prover, wtns.data(), wtns.size(), proof.data(), &proof_size, pub.data(),
                                          &public_size, err, sizeof err);
            auto t1 = std::chrono::steady_clock::now();
            if (rc != PROVER_OK) throw std::runtime_error(err);
            if (i > 0) times.push_back(std::chrono::duration<double>(t1 - t0).count());
        }
        groth16_prover_destroy(prover);
        std::ofstream(argv[3]).write(proof.data(), proof_size);
        std::ofstream(argv[4]).write(pub.data(), public_size);
        std::printf("{\"warm_s\": [");
        for (size_t i = 0; i < times.size(); i++) std::printf("%s%.6f", i ? ", " : "", times[i]);
        std::printf("]}\n");
    } catch (std::exception &e) {
        std::cerr << "Error: " << e.what() << std::endl;
        return 1;
    }
    return 0;
}
