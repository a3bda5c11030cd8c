"""Generate contracts/PoseidonT3.sol (circomlib's Poseidon(2) from transfer/poseidon.py's constants) and
contracts/MerkleZeros.sol (the empty-subtree roots of transfer/merkle.py's tree).

    python -m contracts.poseidon_gen           write both files
    python -m contracts.poseidon_gen --check   exit 1 if a committed file differs from what would be generated

MerkleZeros.zeros(h) returns zero_hashes[h] (zeros[0] = 0, zeros[h + 1] = Poseidon(zeros[h], zeros[h]))
from code, for h <= 32: the tree reads one per level and insert, and a cold storage read costs 2100 gas.

The permutation is transfer.poseidon.poseidon's (eprint 2019/458, width t = 3, 8 full + 57
partial rounds, x^5), rewritten into the equivalent cheaper form of the paper's appendix B
(also circomlibjs' poseidon_opt), derived here from the plain constants:

* partial-round constants: in a partial round only s0 goes through the S-box, so the constants of
  s1..s_{t-1} pass through it unchanged; `M (x + (0, c'))` = `M x + M (0, c')`, so they are moved
  into the next round's constants (the last partial round's into the first full round after it);
  every partial round then adds one constant, to s0.
* sparse matrices: walking the partial rounds backwards, the round's matrix N is split as
  N = A B with B = diag(1, N^) (N^ = N without its first row and column) and
  A = [[n00, v^T N^^-1], [w, I]], where v, w are N's first row and column past n00. B leaves s0
  alone, so it commutes with the S-box on s0 and with a constant on s0, and moves into the round
  before: that round's matrix becomes B M. A needs 2t - 1 multiplications instead of t^2. The
  last full round before the partial rounds takes the final B into its dense matrix.

`optimized_schedule()` returns that form and `permute_optimized()` evaluates it in Python, so a test
checks it against transfer.poseidon.poseidon without a chain. The Solidity is unrolled Yul with every
constant inlined and lazy reduction: sums of at most four values < r stay below 2^256 (4r < 2^256),
and only MULMOD/ADDMOD/MOD reduce. The modulus sits in an immutable read into a stack variable:
as a literal, solc's constant optimiser loads it with CODECOPY + MLOAD at every use (three times
the gas of the whole permutation's arithmetic). The contract holds no storage and reads nothing
but its own code.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

from transfer.poseidon import N_ROUNDS_F, N_ROUNDS_P, R, constants

OUT = Path(__file__).resolve().parent / "PoseidonT3.sol"
OUT_ZEROS = Path(__file__).resolve().parent / "MerkleZeros.sol"
T = 3
MAX_ZERO_HEIGHT = 32

__all__ = ["generate", "generate_zeros", "optimized_schedule", "permute_optimized", "OUT", "OUT_ZEROS"]

Matrix = list[list[int]]


def _matmul(a: Matrix, b: Matrix) -> Matrix:
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) % R for j in range(len(b[0]))] for i in range(len(a))]


def _matvec(a: Matrix, v: list[int]) -> list[int]:
    return [sum(a[i][k] * v[k] for k in range(len(v))) % R for i in range(len(a))]


def _inverse(a: Matrix) -> Matrix:
    """Gauss-Jordan inverse over F_r (the sub-matrices of a Cauchy MDS matrix are invertible)."""
    n = len(a)
    m = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(a)]
    for col in range(n):
        piv = next((r for r in range(col, n) if m[r][col] % R), None)
        if piv is None:
            raise ValueError("matrix is singular over F_r")
        m[col], m[piv] = m[piv], m[col]
        inv = pow(m[col][col], -1, R)
        m[col] = [x * inv % R for x in m[col]]
        for r in range(n):
            if r != col and m[r][col]:
                f = m[r][col]
                m[r] = [(x - f * y) % R for x, y in zip(m[r], m[col], strict=True)]
    return [row[n:] for row in m]


def optimized_schedule(t: int = T) -> tuple[list[list[int]], list[Matrix], dict[int, tuple[int, list[int], list[int]]]]:
    """(constants per round, dense matrix per round, {partial round: (n00, u, w)}) of the optimized form.

    A round adds its constants, applies the S-box (all of the state in a full round, s0 in a partial
    one), then mixes: dense rounds with their matrix, partial rounds with the sparse
    [[n00, u^T], [w, I]]."""
    c, m = constants(t)
    mds = [list(row) for row in m]
    r_p = N_ROUNDS_P[t - 2]
    half = N_ROUNDS_F // 2
    n = N_ROUNDS_F + r_p
    rc = [list(c[k * t : (k + 1) * t]) for k in range(n)]
    for i in range(half, half + r_p):
        rest = [0, *rc[i][1:]]
        rc[i] = [rc[i][0]] + [0] * (t - 1)
        rc[i + 1] = [(x + y) % R for x, y in zip(rc[i + 1], _matvec(mds, rest), strict=True)]
    dense: list[Matrix] = [mds] * n
    sparse: dict[int, tuple[int, list[int], list[int]]] = {}
    cur = mds
    for i in range(half + r_p - 1, half - 1, -1):
        hat = [row[1:] for row in cur[1:]]
        hat_inv = _inverse(hat)
        v, w = cur[0][1:], [row[0] for row in cur[1:]]
        u = [sum(v[k] * hat_inv[k][j] for k in range(t - 1)) % R for j in range(t - 1)]
        sparse[i] = (cur[0][0], u, w)
        b = [[1] + [0] * (t - 1)] + [[0, *row] for row in hat]
        cur = _matmul(b, mds)
    dense[half - 1] = cur
    return rc, dense, sparse


def permute_optimized(inputs: list[int]) -> int:
    """Poseidon(inputs) through optimized_schedule (for tests: must equal transfer.poseidon.poseidon)."""
    t = len(inputs) + 1
    rc, dense, sparse = optimized_schedule(t)
    s = [0, *inputs]
    for i in range(len(rc)):
        s = [(x + y) % R for x, y in zip(s, rc[i], strict=True)]
        if i in sparse:
            n00, u, w = sparse[i]
            s0 = pow(s[0], 5, R)
            s = [(n00 * s0 + sum(a * b for a, b in zip(u, s[1:], strict=True))) % R] + [
                (wk * s0 + sk) % R for wk, sk in zip(w, s[1:], strict=True)
            ]
        else:
            s = _matvec(dense[i], [pow(x, 5, R) for x in s])
    return s[0]


def _pow5(v: str) -> str:
    return f"            {{ let x2 := mulmod({v}, {v}, p) {v} := mulmod(mulmod(x2, x2, p), {v}, p) }}"


def generate() -> str:
    c, m = constants(T)
    rc, dense, sparse = optimized_schedule(T)
    digest = hashlib.sha256(repr((c, m)).encode()).hexdigest()
    body: list[str] = []
    for i in range(len(rc)):
        body.append(f"            // round {i} ({'partial' if i in sparse else 'full'})")
        for k in range(T):
            if rc[i][k]:
                body.append(f"            s{k} := add(s{k}, {rc[i][k]})")
        if i in sparse:
            n00, u, w = sparse[i]
            body.append(_pow5("s0"))
            body.append(
                "            {\n"
                f"                let t0 := add(add(mulmod(s0, {n00}, p), mulmod(s1, {u[0]}, p)), "
                f"mulmod(s2, {u[1]}, p))\n"
                f"                s1 := addmod(mulmod(s0, {w[0]}, p), s1, p)\n"
                f"                s2 := addmod(mulmod(s0, {w[1]}, p), s2, p)\n"
                "                s0 := t0\n"
                "            }"
            )
        else:
            body += [_pow5(f"s{k}") for k in range(T)]
            rows = [f"add(add(mulmod(s0, {a}, p), mulmod(s1, {b}, p)), mulmod(s2, {cc}, p))" for a, b, cc in dense[i]]
            body.append(
                "            {\n"
                f"                let t0 := {rows[0]}\n"
                f"                let t1 := {rows[1]}\n"
                f"                s2 := {rows[2]}\n"
                "                s0 := t0\n"
                "                s1 := t1\n"
                "            }"
            )
    header = (
        "// GENERATED by hush contracts/poseidon_gen.py from transfer/poseidon.py constants "
        f"(t=3, sha256:{digest}); do not edit."
    )
    nl = "\n"
    return f"""{header}
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title circomlib's Poseidon(2) over BN254's scalar field (eprint 2019/458), as transfer/poseidon.py.
/// @notice Inputs must be field elements (< r); anything else reverts, never reduced.
/// @dev The optimized round form (sparse partial-round matrices, folded constants) of
/// contracts/poseidon_gen.py; intermediate values are kept below 4r < 2^256 and reduced lazily.
contract PoseidonT3 {{
    uint256 internal constant R = {R};
    /// @dev r as an immutable: kept on the stack instead of re-loaded from code at every MULMOD.
    uint256 internal immutable MODULUS;

    constructor() {{
        MODULUS = R;
    }}

    function hash(uint256[2] calldata) external view returns (uint256) {{
        uint256 p = MODULUS;
        assembly {{
            let s0 := 0
            let s1 := calldataload(4)
            let s2 := calldataload(36)
            if iszero(and(lt(s1, p), lt(s2, p))) {{ revert(0, 0) }}
{nl.join(body)}
            mstore(0, mod(s0, p))
            return(0, 32)
        }}
    }}
}}
"""


def generate_zeros() -> str:
    from transfer.merkle import zero_hashes

    z = zero_hashes(MAX_ZERO_HEIGHT)
    cases = "\n".join(f"        if (height == {h}) return {v};" for h, v in enumerate(z))
    return f"""// GENERATED by hush contracts/poseidon_gen.py from transfer/merkle.py zero_hashes; do not edit.
// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.20;

/// @title Roots of empty Poseidon(2) subtrees: zeros(0) = 0, zeros(h + 1) = Poseidon(zeros(h), zeros(h)).
library MerkleZeros {{
    uint256 internal constant MAX_HEIGHT = {MAX_ZERO_HEIGHT};

    error HeightOutOfRange(uint256 height);

    function zeros(uint256 height) internal pure returns (uint256) {{
{cases}
        revert HeightOutOfRange(height);
    }}
}}
"""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    outputs = {OUT: generate(), OUT_ZEROS: generate_zeros()}
    if argv == ["--check"]:
        bad = [p for p, src in outputs.items() if not p.is_file() or p.read_text() != src]
        for p in bad:
            print(f"{p} differs from the generator's output; run `python -m contracts.poseidon_gen`", file=sys.stderr)
        return 1 if bad else 0
    if argv:
        print("usage: python -m contracts.poseidon_gen [--check]", file=sys.stderr)
        return 2
    for p, src in outputs.items():
        p.write_text(src)
    return 0


if __name__ == "__main__":
    sys.exit(main())
