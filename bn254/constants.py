"""BN254 (alt_bn128) parameters, checked at import.

The curve of Ethereum's precompiles (EIP-196/197), of circom and of snarkjs:
E(Fq): y^2 = x^3 + 3, and its sextic D-type twist E'(Fq2): y^2 = x^3 + 3/(9 + u), Fq2 = Fq[u]/(u^2 + 1).
Both groups have prime order r, the field of circuits' signals.

Field elements in the kernels are four little-endian 64-bit limbs in Montgomery form with
R = 2^256, the same bytes snarkjs writes into .zkey and .ptau files.
"""

from __future__ import annotations

Q = 21888242871839275222246405745257275088696311157297823662689037894645226208583
"""Base field modulus q (coordinates)."""
R = 21888242871839275222246405745257275088548364400416034343698204186575808495617
"""Scalar field modulus r (group order, circuit field)."""

X_BN = 4965661367192848881
"""The BN parameter: q = 36x^4 + 36x^3 + 24x^2 + 6x + 1, r = 36x^4 + 36x^3 + 18x^2 + 6x + 1."""

B_G1 = 3
G1_GEN = (1, 2)
# Fq2 elements are (c0, c1) meaning c0 + c1*u.
G2_GEN = (
    (
        10857046999023057135944570762232829481370756359578518086990519993285655852781,
        11559732032986387107991004021392285783925812861821192530917403151452391805634,
    ),
    (
        8495653923123431417604973247489272438418190587263600148770280649306958101930,
        4082367875863433681332203403145435568316851327593401208105741076214120093531,
    ),
)
XI = (9, 1)
"""The non-residue xi = 9 + u defining the tower Fq6 = Fq2[v]/(v^3 - xi)."""

LIMBS = 4
MONT_R_BITS = 256
MASK64 = (1 << 64) - 1


def _is_probable_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def to_limbs(x: int) -> tuple[int, int, int, int]:
    """Little-endian 64-bit limbs of a 256-bit integer."""
    if not 0 <= x < 1 << 256:
        raise ValueError(f"expected an integer in [0, 2^256), got {x}")
    return (x & MASK64, (x >> 64) & MASK64, (x >> 128) & MASK64, (x >> 192) & MASK64)


def from_limbs(limbs) -> int:
    return int(limbs[0]) | int(limbs[1]) << 64 | int(limbs[2]) << 128 | int(limbs[3]) << 192


def mont_constants(m: int) -> tuple[int, int, int]:
    """(R mod m, R^2 mod m, -m^-1 mod 2^64) for Montgomery arithmetic with R = 2^256."""
    r1 = (1 << 256) % m
    r2 = (1 << 512) % m
    inv = (-pow(m, -1, 1 << 64)) % (1 << 64)
    return r1, r2, inv


Q_R1, Q_R2, Q_INV = mont_constants(Q)
R_R1, R_R2, R_INV = mont_constants(R)

# Executable facts: a wrong constant fails at import, not in a proof.
assert Q == 36 * X_BN**4 + 36 * X_BN**3 + 24 * X_BN**2 + 6 * X_BN + 1, "q is not BN(x)"
assert R == 36 * X_BN**4 + 36 * X_BN**3 + 18 * X_BN**2 + 6 * X_BN + 1, "r is not BN(x)"
assert _is_probable_prime(Q), "q is not prime"
assert _is_probable_prime(R), "r is not prime"
assert Q < 1 << 254 and R < 1 << 254, "moduli must leave two spare bits for lazy reduction"
assert Q % 4 == 3, "q = 3 mod 4 gives square roots by one exponentiation"
assert (G1_GEN[1] ** 2 - G1_GEN[0] ** 3 - B_G1) % Q == 0, "G1 generator is not on the curve"
assert (R - 1) % (1 << 28) == 0, "r - 1 must have 2-adicity 28 for the NTT"
