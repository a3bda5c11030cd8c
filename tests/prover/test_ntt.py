"""NTTs over Fr against galois (polynomial evaluation at the powers of the root), round trips,
closed forms and cross-configuration agreement (serial/parallel, every row length)."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import galois
import numpy as np
import pytest

from bn254.constants import R, from_limbs
from bn254.fields import array_to_ints, fr, fr_int, ints_to_array
from prover import ntt as N

ROOT = Path(__file__).resolve().parents[2]
rng = random.Random(20261125)

EDGE = [0, 1, R - 1, 2, R - 2, (R - 1) // 2]


@pytest.fixture(scope="module")
def GF():
    # The primitive element is given (5 generates Fr*), so galois does not factor r - 1.
    return galois.GF(R, primitive_element=N.NONRESIDUE, verify=False)


def _values(n: int) -> list[int]:
    """Edge elements first, then seeded random ones."""
    return (EDGE + [rng.randrange(R) for _ in range(n)])[:n] if n >= len(EDGE) else [rng.choice(EDGE) for _ in range(n)]


def _random_array(n: int, seed: int) -> np.ndarray:
    g = np.random.default_rng(seed)
    x = g.integers(0, 1 << 64, size=(n, 4), dtype=np.uint64)
    x[:, 3] &= np.uint64((1 << 61) - 1)  # < 2^253 < r: valid Montgomery representatives
    return x


CONFIGS = [(par, bl) for par in (False, True) for bl in (1, 2, 3, N.BLOCK_LOG)]


def test_branch_free_add_and_sub_match_integers() -> None:
    vals = [*EDGE, 1 << 64, (1 << 192) - 1, R - (1 << 200), *(rng.randrange(R) for _ in range(6))]
    for a in vals:
        for b in vals:
            assert fr_int(N.fr_add_nb(fr(a), fr(b))) == (a + b) % R
            assert fr_int(N.fr_sub_nb(fr(a), fr(b))) == (a - b) % R
            assert from_limbs(N.fr_add_nb(fr(a), fr(b))) < R and from_limbs(N.fr_sub_nb(fr(a), fr(b))) < R


# --- roots of unity -----------------------------------------------------------------------------------


def test_roots_have_exact_order() -> None:
    for k in range(N.MAX_LOG_N + 1):
        w = N.root_of_unity(k)
        assert pow(w, 1 << k, R) == 1
        if k:
            assert pow(w, 1 << (k - 1), R) == R - 1, f"w_{k} has order below 2^{k}"
            assert w * w % R == N.root_of_unity(k - 1)
    assert N.root_of_unity(0) == 1 and N.root_of_unity(1) == R - 1


def test_root_is_a_power_of_the_generator(GF) -> None:
    """w_28 = 5^((r-1)/2^28) as galois computes it, and 5 generates Fr* (order r - 1)."""
    assert int(GF(5) ** ((R - 1) >> 28)) == N.ROOT_OF_UNITY
    # 5 is a generator iff 5^((r-1)/p) != 1 for every prime p | r - 1
    factors = {2: 28, 3: 2, 13: 1, 29: 1, 983: 1, 11003: 1, 237073: 1, 405928799: 1, 1670836401704629: 1}
    factors[13818364434197438864469338081] = 1
    assert np.prod([p**e for p, e in factors.items()], dtype=object) == R - 1
    for p in factors:
        assert galois.is_prime(p)
        assert pow(5, (R - 1) // p, R) != 1


@pytest.mark.parametrize("bad", [0, 3, 6, 1 << 29, -4])
def test_sizes_outside_the_domains_are_rejected(bad: int) -> None:
    with pytest.raises(ValueError, match="domain size"):
        N.log2_size(bad)
    with pytest.raises(ValueError, match="exponent"):
        N.root_of_unity(29)


# --- transforms against galois ----------------------------------------------------------------------


@pytest.mark.parametrize("log_n", range(0, 7))
def test_ntt_is_evaluation_at_powers_of_the_root(GF, log_n: int) -> None:
    n = 1 << log_n
    vals = _values(n)
    w = GF(N.root_of_unity(log_n))
    poly = galois.Poly(GF(vals[::-1]))  # galois lists coefficients from the highest degree
    expected = [int(v) for v in poly(w ** np.arange(n))]
    for parallel, block_log in CONFIGS:
        x = ints_to_array(vals, R)
        N.ntt(x, parallel=parallel, block_log=block_log)
        assert array_to_ints(x, R) == expected, (parallel, block_log)
        N.intt(x, parallel=parallel, block_log=block_log)
        assert array_to_ints(x, R) == vals


@pytest.mark.parametrize("log_n", [0, 1, 3, 5])
def test_coset_transforms_evaluate_on_the_coset(GF, log_n: int) -> None:
    n = 1 << log_n
    vals = _values(n)
    poly = galois.Poly(GF(vals[::-1]))
    for shift in (N.root_of_unity(log_n + 1), N.NONRESIDUE**2, R - 1, 7):
        pts = GF(shift) * GF(N.root_of_unity(log_n)) ** np.arange(n)
        expected = [int(v) for v in poly(pts)]
        on_domain = [int(v) for v in poly(GF(N.root_of_unity(log_n)) ** np.arange(n))]
        for parallel, block_log in CONFIGS:
            x = ints_to_array(vals, R)
            N.coset_ntt(x, shift, parallel=parallel, block_log=block_log)
            assert array_to_ints(x, R) == expected
            N.coset_intt(x, shift, parallel=parallel, block_log=block_log)
            assert array_to_ints(x, R) == vals
            y = ints_to_array(on_domain, R)
            N.domain_to_coset(y, shift, parallel=parallel, block_log=block_log)
            assert array_to_ints(y, R) == expected, (shift, parallel, block_log)


def test_intt_is_interpolation(GF) -> None:
    n = 16
    xs = GF(N.root_of_unity(4)) ** np.arange(n)
    ys = _values(n)
    expected = galois.lagrange_poly(xs, GF(ys))
    x = ints_to_array(ys, R)
    N.intt(x)
    coeffs = array_to_ints(x, R)
    assert coeffs == [int(c) for c in expected.coeffs[::-1]] + [0] * (n - len(expected.coeffs))


# --- closed forms ------------------------------------------------------------------------------------


@pytest.mark.parametrize("log_n", [4, 12])
def test_closed_forms(log_n: int) -> None:
    n = 1 << log_n
    w = N.root_of_unity(log_n)
    # a constant polynomial is constant on the domain
    x = ints_to_array([R - 1] + [0] * (n - 1), R)
    assert set(array_to_ints(N.ntt(x), R)) == {R - 1}
    # the all-ones vector is the DFT of n * delta_0 ... and x^1 evaluates to the powers of w
    x = ints_to_array([1] * n, R)
    assert array_to_ints(N.intt(x), R) == [1] + [0] * (n - 1)
    x = ints_to_array([0, 1] + [0] * (n - 2), R)
    assert array_to_ints(N.ntt(x), R) == [pow(w, j, R) for j in range(n)]
    # zero stays zero
    x = np.zeros((n, 4), dtype=np.uint64)
    assert not N.ntt(x).any() and not N.domain_to_coset(x, 5).any()


def test_odd_coset_is_the_odd_half_of_the_double_domain() -> None:
    """Evaluations on w_2n H_n equal the odd entries of the size-2n transform of the same polynomial."""
    log_n = 11
    n = 1 << log_n
    coeffs = _random_array(n, 1)
    on_domain = N.ntt(coeffs.copy())
    padded = np.zeros((2 * n, 4), dtype=np.uint64)
    padded[:n] = coeffs
    N.ntt(padded)
    assert np.array_equal(padded[0::2], on_domain)
    N.domain_to_coset(on_domain, N.root_of_unity(log_n + 1))
    assert np.array_equal(padded[1::2], on_domain)


# --- bigger sizes: round trips and agreement between configurations -----------------------------------


@pytest.mark.parametrize("log_n", [12, 14])
def test_round_trips_and_configurations_agree(log_n: int) -> None:
    n = 1 << log_n
    x0 = _random_array(n, log_n)
    x0[:3] = ints_to_array([0, 1, R - 1], R)
    ref = N.ntt(x0.copy(), parallel=False)
    for parallel, block_log in [(True, N.BLOCK_LOG), (True, 3), (False, 13), (True, 20)]:
        assert np.array_equal(N.ntt(x0.copy(), parallel=parallel, block_log=block_log), ref)
    back = N.intt(ref.copy(), parallel=True)
    assert array_to_ints(back, R) == array_to_ints(x0, R)
    shift = N.root_of_unity(log_n + 1)
    fused = N.domain_to_coset(ref.copy(), shift, parallel=True)
    assert np.array_equal(fused, N.coset_ntt(x0.copy(), shift))
    assert array_to_ints(N.coset_intt(fused, shift), R) == array_to_ints(x0, R)


@pytest.mark.parametrize("parallel", [False, True])
def test_a_stack_moves_like_its_rows(parallel: bool) -> None:
    """domain_to_coset on a (k, n, 4) stack = on each row alone; rows do not leak into each other."""
    log_n, shift = 12, N.root_of_unity(13)
    stack = np.stack([_random_array(1 << log_n, s) for s in (1, 2, 3)])
    stack[1, :] = 0  # a zero row between two others stays zero
    rows = [N.domain_to_coset(stack[p].copy(), shift, parallel=False) for p in range(3)]
    N.domain_to_coset(stack, shift, parallel=parallel, block_log=4)
    for p in range(3):
        assert np.array_equal(stack[p], rows[p])
    assert not stack[1].any()
    with pytest.raises(ValueError, match="stack"):
        N.domain_to_coset(np.zeros((0, 8, 4), dtype=np.uint64), shift)


def test_bit_reverse() -> None:
    n = 1 << 6
    x = ints_to_array(range(n), R, montgomery=False)
    N.bit_reverse(x)
    assert [int(v) for v in x[:, 0]] == [int(f"{i:06b}"[::-1], 2) for i in range(n)]
    N.bit_reverse(x, parallel=True)
    assert [int(v) for v in x[:, 0]] == list(range(n))


# --- tables and inputs ---------------------------------------------------------------------------------


def test_twiddles_are_cached_and_read_only() -> None:
    t = N.twiddles(10)
    assert N.twiddles(10) is t and not t.flags.writeable
    assert t.shape == (512, 4)
    w = N.root_of_unity(10)
    assert array_to_ints(t[:3], R) == [1, w, w * w % R]
    assert array_to_ints(N.twiddles(10, True)[1:2], R) == [pow(w, -1, R)]
    with pytest.raises(ValueError):
        t[0, 0] = 1


@pytest.mark.parametrize(
    "x",
    [
        np.zeros((6, 4), dtype=np.uint64),
        np.zeros((8, 4), dtype=np.int64),
        np.zeros((8, 3), dtype=np.uint64),
        np.zeros((16, 4), dtype=np.uint64)[::2],
        np.zeros(32, dtype=np.uint64),
    ],
    ids=["size", "dtype", "width", "strided", "flat"],
)
def test_bad_arrays_are_rejected(x: np.ndarray) -> None:
    with pytest.raises(ValueError, match="expected"):
        N.ntt(x)


def test_read_only_and_zero_shift_are_rejected() -> None:
    x = np.zeros((8, 4), dtype=np.uint64)
    x.setflags(write=False)
    with pytest.raises(ValueError, match="writeable"):
        N.intt(x)
    y = np.zeros((8, 4), dtype=np.uint64)
    for shift in (0, R, -R):
        with pytest.raises(ValueError, match="non-zero"):
            N.domain_to_coset(y, shift)
        with pytest.raises(ValueError, match="non-zero"):
            N.coset_intt(y, shift)


# --- snarkjs' field library ------------------------------------------------------------------------------

_FFJS = r"""
import { buildBn128 } from "ffjavascript";
import fs from "fs";
const [inp, out] = process.argv.slice(1);
const curve = await buildBn128(true);
const Fr = curve.Fr;
const x = new Uint8Array(fs.readFileSync(inp));
fs.writeFileSync(out + ".fft", await Fr.fft(x));
fs.writeFileSync(out + ".ifft", await Fr.ifft(x));
console.log(JSON.stringify({w28: Fr.toString(Fr.w[28]), shift: Fr.toString(Fr.shift), s: Fr.s}));
await curve.terminate();
"""


@pytest.mark.interop
def test_ffjavascript_agrees(tmp_path: Path) -> None:
    """Fr.w[28], Fr.shift and Fr.fft / Fr.ifft (Montgomery buffers, natural order) byte for byte."""
    if shutil.which("node") is None or not (ROOT / "node_modules" / "ffjavascript").exists():
        pytest.skip("node and node_modules/ffjavascript are needed: run `make node`")
    import json

    log_n = 12
    x = _random_array(1 << log_n, 7)
    x[:3] = ints_to_array([0, 1, R - 1], R)
    x.tofile(tmp_path / "x.bin")
    p = subprocess.run(
        ["node", "--input-type=module", "-e", _FFJS, str(tmp_path / "x.bin"), str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 0, p.stderr
    consts = json.loads(p.stdout.strip().splitlines()[-1])
    assert int(consts["w28"]) == N.ROOT_OF_UNITY and consts["s"] == N.TWO_ADICITY
    assert int(consts["shift"]) == N.NONRESIDUE**2
    fft = np.fromfile(tmp_path / "out.fft", dtype="<u8").reshape(-1, 4)
    ifft = np.fromfile(tmp_path / "out.ifft", dtype="<u8").reshape(-1, 4)
    assert np.array_equal(N.ntt(x.copy()), fft)
    assert np.array_equal(N.intt(x.copy()), ifft)
