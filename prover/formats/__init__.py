"""snarkjs-compatible file formats, one strict memory-mapped reader/writer per format.

binfile (the iden3 container) · r1cs (constraint systems, `check_witness`) · wtns (witnesses)
· zkey (Groth16 proving keys, verification-key export) · ptau (powers of tau) · encoding
(Python ints <-> 64-bit limbs, Montgomery form, curve-point encodings).
"""
