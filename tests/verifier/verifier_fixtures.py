"""Helpers and fixture builders for the verifier tests (the fixtures are registered in conftest.py;
this module has a unique name so test modules can import it next to tests/prover's helpers).

- `synthetic`: Groth16 keys and proofs made from known trapdoors (alpha, beta, gamma, delta, IC
  scalars): with them, C = (a b - alpha beta - vk_x gamma)/delta makes any A = aG, B = bH a proof that
  satisfies the verification equation. No circuit and no node needed, so the mutation tests run fast;
  the real proofs come from snarkjs below.
- `snarkjs_run`: tests/verifier/circuits/mul.circom compiled with circom2, a power-8 phase 1 and a
  contributed phase 2 by snarkjs, and proofs from `snarkjs groth16 fullprove`, cached under
  build/test-fixtures/verifier/<hash of the circuit, this file and the tool versions>/ (tests that
  use it are marked interop).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from bn254.constants import R
from bn254.g1 import G1_GENERATOR, g1_mul_int, g1_to_ints
from bn254.g2 import G2_GENERATOR, g2_mul_int, g2_to_ints
from verifier.keys import Proof, VerifyingKey

ROOT = Path(__file__).resolve().parents[2]
NODE_BIN = ROOT / "node_modules" / ".bin"
SNARKJS = NODE_BIN / "snarkjs"
CIRCOM = NODE_BIN / "circom2"
HERE = Path(__file__).resolve().parent
FIXTURES = ROOT / "build" / "test-fixtures" / "verifier"


def g1(k: int):
    return g1_to_ints(g1_mul_int(G1_GENERATOR, k % R))


def g2(k: int):
    return g2_to_ints(g2_mul_int(G2_GENERATOR, k % R))


@dataclass
class Synthetic:
    """A verifying key with known trapdoors and a prover that uses them."""

    alpha: int
    beta: int
    gamma: int
    delta: int
    ic: list[int]
    vk: VerifyingKey
    rng: random.Random

    def vk_x(self, xs: Sequence[int]) -> int:
        return (self.ic[0] + sum(x * k for x, k in zip(xs, self.ic[1:], strict=True))) % R

    def c_for(self, a: int, b: int, xs: Sequence[int]) -> int:
        return (a * b - self.alpha * self.beta - self.vk_x(xs) * self.gamma) * pow(self.delta, -1, R) % R

    def prove(self, xs: Sequence[int]) -> Proof:
        a, b = self.rng.randrange(1, R), self.rng.randrange(1, R)
        return Proof(g1(a), g2(b), g1(self.c_for(a, b, xs)))

    def inputs(self) -> list[int]:
        return [self.rng.randrange(R) for _ in range(self.vk.n_public)]


def make_synthetic(n_public: int, seed: int, *, gamma_generator: bool = True) -> Synthetic:
    rng = random.Random(seed)
    alpha, beta, delta = (rng.randrange(2, R) for _ in range(3))
    gamma = 1 if gamma_generator else rng.randrange(2, R)  # snarkjs keys have gamma = the generator
    ic = [rng.randrange(1, R) for _ in range(n_public + 1)]
    vk = VerifyingKey(
        n_public=n_public,
        alpha_g1=g1(alpha),
        beta_g2=g2(beta),
        gamma_g2=g2(gamma),
        delta_g2=g2(delta),
        gamma_abc_g1=tuple(g1(k) for k in ic),
    )
    return Synthetic(alpha, beta, gamma, delta, ic, vk, rng)


def synthetic_key() -> Synthetic:
    return make_synthetic(3, 20261129)


# --- snarkjs ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SnarkjsRun:
    dir: Path
    r1cs: Path
    wasm: Path
    zkey: Path
    zkey_no_phase2: Path
    vkey: Path
    vkey_no_phase2: Path
    proofs: list[tuple[Path, Path]]
    """(proof.json, public.json) per input in INPUTS."""


INPUTS = [
    {"a": 3, "b": 11, "k": 7},
    {"a": 0, "b": 5, "k": 1},
    {"a": R - 1, "b": 2, "k": R - 1},
    {"a": 1, "b": 1, "k": 0},
]


def run_snarkjs(*args: str | os.PathLike, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([str(SNARKJS), *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise RuntimeError(f"snarkjs {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def _version(pkg: str) -> str:
    return json.loads((ROOT / "node_modules" / pkg / "package.json").read_text())["version"]


def _build(d: Path) -> None:
    src = HERE / "circuits" / "mul.circom"
    subprocess.run(
        [str(CIRCOM), str(src), "--r1cs", "--wasm", "-o", str(d), "-l", str(ROOT / "node_modules")],
        check=True, capture_output=True, timeout=300, cwd=ROOT,
    )
    run_snarkjs("powersoftau", "new", "bn128", "8", d / "pot0.ptau")
    run_snarkjs("powersoftau", "contribute", d / "pot0.ptau", d / "pot1.ptau", "--name=hush test", "-e=verifier ptau")
    run_snarkjs("powersoftau", "prepare", "phase2", d / "pot1.ptau", d / "pot.ptau")
    run_snarkjs("groth16", "setup", d / "mul.r1cs", d / "pot.ptau", d / "mul0.zkey")
    run_snarkjs("zkey", "contribute", d / "mul0.zkey", d / "mul.zkey", "--name=hush test", "-e=verifier zkey")
    run_snarkjs("zkey", "export", "verificationkey", d / "mul.zkey", d / "vkey.json")
    run_snarkjs("zkey", "export", "verificationkey", d / "mul0.zkey", d / "vkey0.json")
    for i, inp in enumerate(INPUTS):
        (d / f"input{i}.json").write_text(json.dumps({k: str(v) for k, v in inp.items()}))
        run_snarkjs("groth16", "fullprove", d / f"input{i}.json", d / "mul_js" / "mul.wasm", d / "mul.zkey",
                    d / f"proof{i}.json", d / f"public{i}.json")
    for f in ("pot0.ptau", "pot1.ptau"):
        (d / f).unlink()


def build_snarkjs_run() -> SnarkjsRun:
    if not SNARKJS.exists() or not CIRCOM.exists() or shutil.which("node") is None:
        pytest.skip("node, circom2 and snarkjs are needed: run `make node`")
    key = hashlib.sha256(
        (HERE / "circuits" / "mul.circom").read_bytes()
        + Path(__file__).read_bytes()
        + _version("snarkjs").encode()
        + _version("circom2").encode()
    ).hexdigest()[:16]
    d = FIXTURES / f"mul-{key}"
    if not (d / "ok").exists():
        FIXTURES.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".mul-", dir=FIXTURES))
        try:
            _build(tmp)
            (tmp / "ok").write_text("ok\n")
            try:
                os.rename(tmp, d)
            except OSError:  # another session finished first
                shutil.rmtree(tmp, ignore_errors=True)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return SnarkjsRun(
        dir=d,
        r1cs=d / "mul.r1cs",
        wasm=d / "mul_js" / "mul.wasm",
        zkey=d / "mul.zkey",
        zkey_no_phase2=d / "mul0.zkey",
        vkey=d / "vkey.json",
        vkey_no_phase2=d / "vkey0.json",
        proofs=[(d / f"proof{i}.json", d / f"public{i}.json") for i in range(len(INPUTS))],
    )


def twist_point_outside_g2(rng: random.Random):
    """A point of the twist E'(Fq2) outside G2: random x, y solved from the curve equation."""
    from py_ecc.fields import optimized_bn128_FQ2 as FQ2

    from bn254.constants import Q
    from bn254.g2 import B2_INTS

    b2 = FQ2(list(B2_INTS))
    while True:
        x = FQ2([rng.randrange(Q), rng.randrange(Q)])
        a = x**3 + b2
        a1 = a ** ((Q - 3) // 4)
        alpha = a1 * a1 * a
        if alpha**Q * alpha == -FQ2.one():
            continue  # not a square
        x0 = a1 * a
        y = FQ2([0, 1]) * x0 if alpha == -FQ2.one() else (FQ2.one() + alpha) ** ((Q - 1) // 2) * x0
        assert y * y == a
        return ((int(x.coeffs[0]), int(x.coeffs[1])), (int(y.coeffs[0]), int(y.coeffs[1])))
