"""`bench.compare --native PATH`: the native prover's command line, run on a development key with a
stand-in native prover (fake_native.py, which calls snarkjs), and the check that refuses a native
proof that does not verify."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bench.compare import SNARKJS, _snarkjs_ok, native_command, native_warm_times

FAKE = Path(__file__).resolve().parent / "fake_native.py"
NAME = "transfer_2x2"


def _executable(tmp: Path) -> Path:
    """fake_native.py behind a shebang for this interpreter, as a user's native binary would be."""
    exe = tmp / "native-prover"
    exe.write_text(f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = {str(FAKE)!r}\n"
                   f"runpy.run_path({str(FAKE)!r}, run_name='__main__')\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_native_command_shape(tmp_path: Path) -> None:
    exe = _executable(tmp_path)
    z, w, p, q = (tmp_path / n for n in ("k.zkey", "w.wtns", "p.json", "pub.json"))
    assert native_command(str(exe), z, w, p, q) == [str(exe), str(z), str(w), str(p), str(q)]
    assert native_command(f"{exe} prove", z, w, p, q) == [str(exe), "prove", str(z), str(w), str(p), str(q)]
    with pytest.raises(FileNotFoundError, match="executable native prover"):
        native_command(str(tmp_path / "missing"), z, w, p, q)
    plain = tmp_path / "not-executable"
    plain.write_text("")
    with pytest.raises(FileNotFoundError):
        native_command(str(plain), z, w, p, q)
    with pytest.raises(ValueError, match="empty"):
        native_command("  ", z, w, p, q)


def _warm_stub(tmp: Path, body: str) -> Path:
    """A stand-in warm native prover: checks its five arguments, then runs `body` (reps = int(argv[5]))."""
    exe = tmp / "warm-prover"
    exe.write_text(f"#!{sys.executable}\nimport json, sys\nassert len(sys.argv) == 6, sys.argv\n"
                   f"reps = int(sys.argv[5])\n{body}\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return exe


def test_native_warm_times_parses_and_refuses(tmp_path: Path) -> None:
    """`--native-warm`: the program gets `zkey wtns proof public reps` and must print one positive
    time per warm proof on its last line; anything else is refused."""
    z, w, p, q = (tmp_path / n for n in ("k.zkey", "w.wtns", "p.json", "pub.json"))
    good = _warm_stub(tmp_path, 'print("log line"); print(json.dumps({"warm_s": [0.25 + i for i in range(reps)]}))')
    assert native_warm_times(str(good), z, w, p, q, reps=3) == [0.25, 1.25, 2.25]
    short = _warm_stub(tmp_path, 'print(json.dumps({"warm_s": [0.5]}))')
    with pytest.raises(ValueError, match="expected 3 positive"):
        native_warm_times(str(short), z, w, p, q, reps=3)
    zero = _warm_stub(tmp_path, 'print(json.dumps({"warm_s": [0.0] * reps}))')
    with pytest.raises(ValueError, match="positive"):
        native_warm_times(str(zero), z, w, p, q, reps=2)
    failing = _warm_stub(tmp_path, "sys.exit(1)")
    with pytest.raises(subprocess.CalledProcessError):
        native_warm_times(str(failing), z, w, p, q, reps=2)


@pytest.fixture(scope="module")
def dev_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from hush.artifacts import circuit_files
    from prover.formats.wtns import write_wtns
    from prover.witness import WitnessCalculator
    from transfer.example import example_transfer

    files = circuit_files(NAME)
    if not files.zkey.is_file() or not files.wasm.is_file() or not SNARKJS.is_file():
        pytest.skip(f"needs the {NAME} development key (`hush setup circuit {NAME}`) and snarkjs")
    tmp = tmp_path_factory.mktemp("native")
    wtns = tmp / "w.wtns"
    calc = WitnessCalculator(files.wasm)
    write_wtns(wtns, calc.calculate(example_transfer(NAME).inputs))
    vkey = tmp / "vk.json"
    subprocess.run([str(SNARKJS), "zkey", "export", "verificationkey", str(files.zkey), str(vkey)],
                   check=True, capture_output=True)
    return files.zkey, wtns, vkey


@pytest.mark.slow
@pytest.mark.interop
@pytest.mark.circuits
@pytest.mark.parametrize("leading", ["", " prove"])
def test_native_prover_runs_and_its_proof_verifies(dev_files, tmp_path: Path, leading: str) -> None:
    zkey, wtns, vkey = dev_files
    proof, public = tmp_path / "np.json", tmp_path / "npub.json"
    cmd = native_command(f"{_executable(tmp_path)}{leading}", zkey, wtns, proof, public)
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    assert _snarkjs_ok(vkey, public, proof)
    assert json.loads(public.read_text())  # the public signals were written


@pytest.mark.slow
@pytest.mark.interop
@pytest.mark.circuits
def test_a_native_proof_that_does_not_verify_is_refused(dev_files, tmp_path: Path) -> None:
    zkey, wtns, vkey = dev_files
    proof, public = tmp_path / "np.json", tmp_path / "npub.json"
    cmd = native_command(str(_executable(tmp_path)), zkey, wtns, proof, public)
    subprocess.run(cmd, check=True, capture_output=True, timeout=300,
                   env={**os.environ, "HUSH_FAKE_NATIVE_BROKEN": "1"})
    assert not _snarkjs_ok(vkey, public, proof)
