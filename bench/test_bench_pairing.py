"""Pairing and Groth16 verification timings: `.venv/bin/pytest bench/test_bench_pairing.py --benchmark-enable`.

Cases: one pairing (Miller loop + final exponentiation), a 4-pairing product with one final
exponentiation (the shape of a Groth16 check, all lines computed on the fly), one `verify` (a
prepared key: curve and subgroup checks of the proof, vk_x, one pairing product with precomputed
gamma/delta lines), `batch_verify` of 64 proofs, and 64 single verifications for comparison. The key
and proofs are made from known trapdoors (valid proofs of the verification equation, no circuit).
With benchmarks disabled (the default addopts) each case runs once as a smoke test.

`.venv/bin/python -m bench.test_bench_pairing` prints a table (wall and CPU time, and py_ecc's
pairing for scale).
"""

from __future__ import annotations

import random
import time
from functools import cache

import pytest

from bn254.constants import R
from bn254.g1 import G1_GENERATOR, g1_mul_int, g1_to_ints
from bn254.g2 import G2_GENERATOR, g2_mul_int, g2_to_ints
from bn254.pairing import multi_pairing_is_one, pairing
from verifier.groth16 import batch_verify, prepare_verifying_key, verify
from verifier.keys import Proof, VerifyingKey

N_PUBLIC = 4
BATCH = 64


def _g1(k: int):
    return g1_to_ints(g1_mul_int(G1_GENERATOR, k % R))


def _g2(k: int):
    return g2_to_ints(g2_mul_int(G2_GENERATOR, k % R))


@cache
def _setup() -> tuple:
    """A verifying key with known trapdoors and BATCH valid (inputs, proof) pairs."""
    rng = random.Random(2016260)
    alpha, beta, delta = (rng.randrange(2, R) for _ in range(3))
    ic = [rng.randrange(1, R) for _ in range(N_PUBLIC + 1)]
    vk = VerifyingKey(N_PUBLIC, _g1(alpha), _g2(beta), _g2(1), _g2(delta), tuple(_g1(k) for k in ic))
    items = []
    for _ in range(BATCH):
        xs = [rng.randrange(R) for _ in range(N_PUBLIC)]
        a, b = rng.randrange(1, R), rng.randrange(1, R)
        vk_x = (ic[0] + sum(x * k for x, k in zip(xs, ic[1:], strict=True))) % R
        c = (a * b - alpha * beta - vk_x) * pow(delta, -1, R) % R
        items.append((xs, Proof(_g1(a), _g2(b), _g1(c))))
    return prepare_verifying_key(vk), items


@cache
def _pairs() -> tuple[list, list]:
    """e(aP, Q) e(bP, Q) e(cP, Q) e(-(a + b + c)P, Q) = 1."""
    rng = random.Random(197)
    ks = [rng.randrange(1, R) for _ in range(3)]
    ps = [_g1(k) for k in ks] + [_g1(-sum(ks))]
    return ps, [_g2(1)] * 4


def _singles(pvk, items) -> None:
    for xs, proof in items:
        verify(pvk, xs, proof)


def test_pairing(benchmark) -> None:
    p, q = _g1(5), _g2(7)
    pairing(p, q)
    benchmark(pairing, p, q)


def test_four_pairing_product(benchmark) -> None:
    ps, qs = _pairs()
    assert multi_pairing_is_one(ps, qs, check=False)
    benchmark(multi_pairing_is_one, ps, qs, check=False)


def test_verify(benchmark) -> None:
    pvk, items = _setup()
    xs, proof = items[0]
    verify(pvk, xs, proof)
    benchmark(verify, pvk, xs, proof)


def test_batch_verify_64(benchmark) -> None:
    pvk, items = _setup()
    batch_verify(pvk, items[:2])
    benchmark(batch_verify, pvk, items)


def test_64_single_verifies(benchmark) -> None:
    pvk, items = _setup()
    verify(pvk, *items[0])
    benchmark.pedantic(_singles, args=(pvk, items), rounds=3, iterations=1)


@pytest.mark.slow
def test_prepare_verifying_key(benchmark) -> None:
    pvk, _ = _setup()
    benchmark.pedantic(prepare_verifying_key, args=(pvk.vk,), rounds=3, iterations=1)


def _best(fn, *args, repeat: int = 5, **kw) -> tuple[float, float]:
    wall, cpu = float("inf"), float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn(*args, **kw)
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def main() -> None:
    pvk, items = _setup()
    ps, qs = _pairs()
    p, q = _g1(5), _g2(7)
    pairing(p, q)
    multi_pairing_is_one(ps, qs, check=False)
    verify(pvk, *items[0])
    batch_verify(pvk, items[:2])
    rows = [
        ("pairing", _best(pairing, p, q, repeat=20)),
        ("4-pairing product (no point checks)", _best(multi_pairing_is_one, ps, qs, check=False, repeat=20)),
        ("prepare_verifying_key", _best(prepare_verifying_key, pvk.vk, repeat=3)),
        ("verify (one proof)", _best(verify, pvk, *items[0], repeat=20)),
        (f"batch_verify ({BATCH} proofs)", _best(batch_verify, pvk, items, repeat=3)),
        (f"{BATCH} x verify", _best(_singles, pvk, items, repeat=3)),
    ]
    for name, (wall, cpu) in rows:
        print(f"{name:38s} {wall * 1e3:9.2f} ms wall {cpu * 1e3:9.2f} ms cpu")
    (bw, bc), (sw, sc) = rows[-2][1], rows[-1][1]
    print(f"batch / singles: {bw / sw:.3f} wall, {bc / sc:.3f} cpu")
    from py_ecc import optimized_bn128 as pe

    t = time.perf_counter()
    pe.pairing(pe.multiply(pe.G2, 7), pe.multiply(pe.G1, 5))
    print(f"{'py_ecc.optimized_bn128 pairing':38s} {(time.perf_counter() - t) * 1e3:9.2f} ms wall")


if __name__ == "__main__":
    main()
