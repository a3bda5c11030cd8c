#!/usr/bin/env bash
# Build rapidsnark (https://github.com/iden3/rapidsnark, LGPL) from its public source into
# build/rapidsnark (git-ignored; nothing built here is committed), for the bench only:
#   build/rapidsnark/prover        rapidsnark's own command-line prover (a fresh process per proof)
#   build/rapidsnark/warm_prover   bench/native/warm_prover.cpp: the key held in one process
# Needs: g++ with OpenMP, nasm, libgmp-dev, node/npm (for ffiasm's field generator).
# Source layout expected under build/rapidsnark/src: rapidsnark's tree with depends/ffiasm and
# depends/json (nlohmann single_include) filled in (git clone --recursive gives exactly that):
#   git clone --recursive https://github.com/iden3/rapidsnark build/rapidsnark/src
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/build/rapidsnark
SRC=$OUT/src
[ -f "$SRC/src/prover.cpp" ] || { echo "no rapidsnark source in $SRC (see the header of $0)" >&2; exit 1; }
GEN=$OUT/gen
mkdir -p "$GEN"
(cd "$SRC/depends/ffiasm" && [ -d node_modules ] || npm install --omit=dev --no-audit --no-fund --loglevel=error)
cd "$GEN"
node "$SRC/depends/ffiasm/src/buildzqfield.js" -q 21888242871839275222246405745257275088696311157297823662689037894645226208583 -n Fq
node "$SRC/depends/ffiasm/src/buildzqfield.js" -q 21888242871839275222246405745257275088548364400416034343698204186575808495617 -n Fr
nasm -felf64 -DPIC fq.asm -o fq_asm.o
nasm -felf64 -DPIC fr.asm -o fr_asm.o
FLAGS="-O3 -std=c++17 -fopenmp -pthread -DUSE_OPENMP -DUSE_ASM -DARCH_X86_64 -I$GEN -I$SRC/src -I$SRC/depends/ffiasm/c -I$SRC/depends/json/single_include"
LIB="$SRC/src/binfile_utils.cpp $SRC/src/zkey_utils.cpp $SRC/src/wtns_utils.cpp $SRC/src/logger.cpp
     $SRC/src/fileloader.cpp $SRC/src/prover.cpp $SRC/depends/ffiasm/c/misc.cpp $SRC/depends/ffiasm/c/naf.cpp
     $SRC/depends/ffiasm/c/splitparstr.cpp $SRC/depends/ffiasm/c/alt_bn128.cpp $GEN/fq.cpp $GEN/fr.cpp"
objs=()
for f in $LIB; do
  o=$GEN/$(basename "$f" .cpp).o
  g++ $FLAGS -c "$f" -o "$o" &
  objs+=("$o")
done
wait
g++ $FLAGS "$SRC/src/main_prover.cpp" "${objs[@]}" fq_asm.o fr_asm.o -lgmp -o "$OUT/prover"
g++ $FLAGS "$ROOT/bench/native/warm_prover.cpp" "${objs[@]}" fq_asm.o fr_asm.o -lgmp -o "$OUT/warm_prover"
echo "built $OUT/prover and $OUT/warm_prover"
