"""The `hush` command: snarkjs' verbs for Groth16 on BN254, so Hush drops in where snarkjs was.

    hush wtns calculate <circuit.wasm> <input.json> <witness.wtns>
    hush wtns check <circuit.r1cs> <witness.wtns>
    hush groth16 prove <circuit.zkey> <witness.wtns> <proof.json> <public.json>
    hush groth16 fullprove <input.json> <circuit.wasm> <circuit.zkey> <proof.json> <public.json>
    hush groth16 verify <verification_key.json> <public.json> <proof.json>
    hush zkey export verificationkey <circuit.zkey> <verification_key.json>
    hush zkey export solidityverifier <circuit.zkey> <verifier.sol> [--levels N]
    hush zkey export soliditycalldata <public.json> <proof.json>
    hush zkey new|contribute|beacon|verify ...   and   hush ptau verify, hush ceremony ...   (ceremony_cli)
    hush setup ptau <power> <out.ptau>
    hush setup groth16 <circuit.r1cs> <in.ptau> <out.zkey> [--contributions N]
    hush setup circuit <name>            (build/keys/<name>.zkey for a compiled transfer circuit)
    hush example [--circuit transfer_2x2] (prove and verify the example transfer)
    hush wallet ... / hush pool ...      (the command-line wallet; deploy a pool: `hush wallet -h`, `hush pool -h`)

Exit status: 0 on success (for `verify`: only when the proof is valid), 1 for an invalid proof or
a failed check, 2 for bad usage or unreadable input.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

log = logging.getLogger("hush")


class CliError(Exception):
    """A failure to report as one line on stderr (exit 2)."""


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except json.JSONDecodeError as e:
        raise CliError(f"{path}: not valid JSON ({e})") from None


def _write_json(path: str, obj: Any) -> None:
    Path(path).write_text(json.dumps(obj, indent=1) + "\n")


def _progress(stage: str, done: int, total: int) -> None:
    if sys.stderr.isatty() or done == total:
        end = "\n" if done == total else "\r"
        print(f"  {stage}: {done}/{total}", end=end, file=sys.stderr, flush=True)


# --- wtns -----------------------------------------------------------------------------------------


def cmd_wtns_calculate(a: argparse.Namespace) -> int:
    from prover.witness import WitnessCalculator

    WitnessCalculator(a.wasm).calculate_wtns(_read_json(a.input), a.wtns)
    return 0


def cmd_wtns_check(a: argparse.Namespace) -> int:
    from prover.formats.r1cs import check_witness, read_r1cs
    from prover.formats.wtns import read_wtns

    r1cs = read_r1cs(a.r1cs)
    bad = check_witness(r1cs, read_wtns(a.wtns))
    if bad:
        print(f"WITNESS IS NOT VALID: {len(bad)} constraints fail, first {bad[:10]}")
        return 1
    print(f"OK: {r1cs.n_constraints} constraints satisfied")
    return 0


# --- groth16 --------------------------------------------------------------------------------------


def _print_timings(timings: dict[str, float]) -> None:
    total = sum(timings.values())
    parts = ", ".join(f"{k} {v * 1e3:.0f}" for k, v in timings.items())
    log.info("proof in %.0f ms (%s ms)", total * 1e3, parts)


def _write_proof(result, proof_path: str, public_path: str) -> None:
    _write_json(proof_path, result.proof.to_json())
    _write_json(public_path, [str(v) for v in result.public_signals])


def cmd_groth16_prove(a: argparse.Namespace) -> int:
    from prover.formats.wtns import read_wtns
    from prover.groth16 import Prover

    prover = Prover(a.zkey)
    result = prover.prove(read_wtns(a.wtns))
    _print_timings(result.timings)
    _write_proof(result, a.proof, a.public)
    return 0


def cmd_groth16_fullprove(a: argparse.Namespace) -> int:
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator

    t0 = time.perf_counter()
    witness = WitnessCalculator(a.wasm).calculate_limbs(_read_json(a.input))
    log.info("witness in %.0f ms", (time.perf_counter() - t0) * 1e3)
    result = Prover(a.zkey).prove(witness)
    _print_timings(result.timings)
    _write_proof(result, a.proof, a.public)
    return 0


def cmd_groth16_verify(a: argparse.Namespace) -> int:
    from verifier.errors import VerificationError
    from verifier.groth16 import prepare_verifying_key, verify
    from verifier.keys import read_proof, read_public, read_verification_key

    try:
        vk = read_verification_key(a.vkey)
        pvk = prepare_verifying_key(vk)
        verify(pvk, read_public(a.public), read_proof(a.proof))
    except VerificationError as e:
        print(f"Invalid proof: {e}")
        return 1
    print("OK!")
    return 0


# --- zkey -----------------------------------------------------------------------------------------


def cmd_zkey_export_vkey(a: argparse.Namespace) -> int:
    from prover.formats.zkey import read_zkey
    from verifier.keys import verification_key_json

    _write_json(a.vkey, verification_key_json(read_zkey(a.zkey)))
    return 0


def cmd_zkey_export_solidityverifier(a: argparse.Namespace) -> int:
    from prover.formats.zkey import read_zkey, verification_key_json
    from verifier.solidity import solidity_verifier

    Path(a.sol).write_text(solidity_verifier(verification_key_json(read_zkey(a.zkey)), levels=a.levels))
    return 0


def cmd_zkey_export_soliditycalldata(a: argparse.Namespace) -> int:
    from verifier.solidity import soliditycalldata

    print(soliditycalldata(_read_json(a.public), _read_json(a.proof)))
    return 0


# --- setup ----------------------------------------------------------------------------------------


def cmd_setup_ptau(a: argparse.Namespace) -> int:
    from prover.setup import powers_of_tau

    t0 = time.perf_counter()
    res = powers_of_tau(a.power, a.out, progress=_progress)
    print(f"wrote {res.path} (2^{res.power}) in {time.perf_counter() - t0:.1f} s — DEVELOPMENT ONLY")
    return 0


def cmd_setup_groth16(a: argparse.Namespace) -> int:
    from prover.setup import groth16_setup

    t0 = time.perf_counter()
    res = groth16_setup(a.r1cs, a.ptau, a.out, contributions=a.contributions, progress=_progress)
    print(f"wrote {res.path} (domain 2^{res.domain_size.bit_length() - 1}, {res.n_vars} wires, "
          f"{res.n_public} public) in {time.perf_counter() - t0:.1f} s — DEVELOPMENT ONLY")
    return 0


def cmd_setup_circuit(a: argparse.Namespace) -> int:
    from .artifacts import ensure_dev_key

    t0 = time.perf_counter()
    path = ensure_dev_key(a.name, progress=_progress, force=a.force)
    print(f"{path} ready in {time.perf_counter() - t0:.1f} s — DEVELOPMENT KEY, NOT FOR PRODUCTION")
    return 0


# --- example --------------------------------------------------------------------------------------


def cmd_example(a: argparse.Namespace) -> int:
    """Prove the example transfer end to end: inputs -> witness -> proof -> verification."""
    from prover.groth16 import Prover
    from prover.witness import WitnessCalculator
    from transfer.example import example_transfer

    from .artifacts import circuit_files, ensure_dev_key

    files = circuit_files(a.circuit)
    zkey = ensure_dev_key(a.circuit, progress=_progress)
    t0 = time.perf_counter()
    calc = WitnessCalculator(files.wasm)
    prover = Prover(zkey)
    prover.warm()
    t_load = time.perf_counter() - t0
    ex = example_transfer(a.circuit)
    print(f"{a.circuit}: {prover.n_vars} wires, {prover.n_public} public inputs, domain {prover.domain_size}; "
          f"loaded and warmed in {t_load:.2f} s")
    for i in range(a.repeat):
        t1 = time.perf_counter()
        witness = calc.calculate_limbs(ex.inputs)
        t2 = time.perf_counter()
        result = prover.prove(witness)
        t3 = time.perf_counter()
        assert result.public_signals == ex.public_signals, "public signals differ from the builder's"
        stages = ", ".join(f"{k} {v * 1e3:.0f}" for k, v in result.timings.items())
        print(f"proof {i + 1}: witness {(t2 - t1) * 1e3:.0f} ms, prove+verify {(t3 - t2) * 1e3:.0f} ms "
              f"[{stages} ms]")
    out = files.zkey.parent.parent / "example"
    out.mkdir(parents=True, exist_ok=True)
    _write_proof(result, str(out / "proof.json"), str(out / "public.json"))
    print(f"verified; proof and public signals in {out}/")
    return 0


def cmd_wallet(a: argparse.Namespace) -> int:
    from wallet.cli import main as wallet_main

    return wallet_main(a.args)


def cmd_pool(a: argparse.Namespace) -> int:
    from wallet.pool_cli import main as pool_main

    return pool_main(a.args)


# --- parser ---------------------------------------------------------------------------------------


FARM_VERBS = frozenset({"serve", "api", "worker", "farm"})
"""The verbs `service.serve` adds; other commands skip importing the farm (its settings and their
dependencies), which a fresh `hush groth16 prove` would otherwise pay for."""
COMPLIANCE_VERBS = frozenset({"issuer", "auditor", "audit"})
"""The verbs `wallet.compliance_cli` adds; other commands skip importing it (web3: ~1 s)."""


def build_parser(*, farm: bool = True, compliance: bool = True) -> argparse.ArgumentParser:
    """The parser of every verb; farm=False leaves out the farm's (FARM_VERBS), compliance=False
    the compliance ones (COMPLIANCE_VERBS)."""
    p = argparse.ArgumentParser(prog="hush", description="Groth16 on BN254, file-compatible with snarkjs.")
    p.add_argument("-v", "--verbose", action="store_true", help="log stage timings")
    sub = p.add_subparsers(dest="group", required=True)

    w = sub.add_parser("wtns", help="witness files").add_subparsers(dest="cmd", required=True)
    c = w.add_parser("calculate", help="run a circom wasm on input.json")
    c.add_argument("wasm")
    c.add_argument("input")
    c.add_argument("wtns")
    c.set_defaults(func=cmd_wtns_calculate)
    c = w.add_parser("check", help="check a witness against an R1CS")
    c.add_argument("r1cs")
    c.add_argument("wtns")
    c.set_defaults(func=cmd_wtns_check)

    g = sub.add_parser("groth16", help="prove and verify").add_subparsers(dest="cmd", required=True)
    c = g.add_parser("prove", help="prove from a zkey and a witness")
    for name in ("zkey", "wtns", "proof", "public"):
        c.add_argument(name)
    c.set_defaults(func=cmd_groth16_prove)
    c = g.add_parser("fullprove", help="witness and proof from input.json")
    for name in ("input", "wasm", "zkey", "proof", "public"):
        c.add_argument(name)
    c.set_defaults(func=cmd_groth16_fullprove)
    c = g.add_parser("verify", help="verify a proof (exit 0 only if valid)")
    for name in ("vkey", "public", "proof"):
        c.add_argument(name)
    c.set_defaults(func=cmd_groth16_verify)

    z = sub.add_parser("zkey", help="proving keys").add_subparsers(dest="cmd", required=True)
    e = z.add_parser("export", help="export from a zkey").add_subparsers(dest="what", required=True)
    c = e.add_parser("verificationkey", help="snarkjs verification_key.json")
    c.add_argument("zkey")
    c.add_argument("vkey")
    c.set_defaults(func=cmd_zkey_export_vkey)
    c = e.add_parser("solidityverifier", help="a Solidity verifier contract for the zkey's verification key")
    c.add_argument("zkey")
    c.add_argument("sol")
    c.add_argument(
        "--levels", type=int, default=None,
        help="tree depth of the circuit, written as the LEVELS constant ShieldedPool requires (24 for transfer_*)",
    )
    c.set_defaults(func=cmd_zkey_export_solidityverifier)
    c = e.add_parser("soliditycalldata", help="print verifyProof arguments (as snarkjs does)")
    c.add_argument("public")
    c.add_argument("proof")
    c.set_defaults(func=cmd_zkey_export_soliditycalldata)
    from .ceremony_cli import add_parsers as add_ceremony_parsers  # ptau verify, ceremony ...
    from .ceremony_cli import add_zkey_parsers  # zkey new/contribute/beacon/verify

    add_zkey_parsers(z)
    add_ceremony_parsers(sub)

    s = sub.add_parser("setup", help="development trusted setup (NOT for production)")
    s = s.add_subparsers(dest="cmd", required=True)
    c = s.add_parser("ptau", help="phase 1: a prepared powers-of-tau file of 2^power")
    c.add_argument("power", type=int)
    c.add_argument("out")
    c.set_defaults(func=cmd_setup_ptau)
    c = s.add_parser("groth16", help="phase 2: a zkey from an r1cs and any prepared ptau")
    c.add_argument("r1cs")
    c.add_argument("ptau")
    c.add_argument("out")
    c.add_argument("--contributions", type=int, default=1)
    c.set_defaults(func=cmd_setup_groth16)
    c = s.add_parser("circuit", help="ptau + zkey for a compiled Hush circuit, into build/keys/")
    c.add_argument("name")
    c.add_argument("--force", action="store_true", help="make new keys even if current ones exist")
    c.set_defaults(func=cmd_setup_circuit)

    if farm:
        from service.serve import add_parsers as add_farm_parsers

        add_farm_parsers(sub)

    if compliance:
        from wallet.compliance_cli import add_parsers as add_compliance_parsers

        add_compliance_parsers(sub)

    c = sub.add_parser("wallet", help="the command-line wallet (init, address, balance, deposit, send, "
                       "withdraw, history); `hush wallet -h`", add_help=False)
    c.add_argument("args", nargs=argparse.REMAINDER)
    c.set_defaults(func=cmd_wallet)
    c = sub.add_parser("pool", help="deploy a shielded pool and write its deployment file (deploy, info, mint); "
                       "`hush pool -h`", add_help=False)
    c.add_argument("args", nargs=argparse.REMAINDER)
    c.set_defaults(func=cmd_pool)

    c = sub.add_parser("example", help="prove and verify the example transfer")
    c.add_argument("--circuit", default="transfer_2x2")
    c.add_argument("--repeat", type=int, default=3)
    c.set_defaults(func=cmd_example)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # The wallet and the pool have their own parsers: hand them everything after the verb, before
    # this parser imports the farm (service) and everything it pulls in.
    if argv[:1] == ["wallet"]:
        from wallet.cli import main as wallet_main

        return wallet_main(argv[1:])
    if argv[:1] == ["pool"]:
        from wallet.pool_cli import main as pool_main

        return pool_main(argv[1:])
    verb = next((x for x in argv if not x.startswith("-")), None)
    full = verb is None  # `hush -h`: every verb
    args = build_parser(farm=full or verb in FARM_VERBS, compliance=full or verb in COMPLIANCE_VERBS).parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(message)s")
    warnings.simplefilter("default")
    try:
        return args.func(args)
    except CliError as e:
        print(f"hush: {e}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError, OSError) as e:
        print(f"hush: {type(e).__name__}: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
