"""prover.formats.r1cs: reader/writer (against circom output and snarkjs' JSON export), strictness,
and check_witness against its pure-Python twin."""

from __future__ import annotations

import json
import random
import struct

import numpy as np
import pytest
from toolchain import snarkjs, write_input

from bn254.constants import Q, R
from prover.formats.binfile import FormatError
from prover.formats.encoding import ints_to_limbs
from prover.formats.r1cs import (
    R1CS,
    Coo,
    check_witness,
    check_witness_reference,
    read_r1cs,
    write_r1cs,
)
from prover.formats.wtns import read_wtns, read_wtns_ints

# --- an independent encoder (struct) for crafted files -----------------------------------------------


def lc_bytes(terms: list[tuple[int, int]]) -> bytes:
    return struct.pack("<I", len(terms)) + b"".join(struct.pack("<I", w) + c.to_bytes(32, "little") for w, c in terms)


def r1cs_bytes(
    constraints: list[tuple[list, list, list]],
    n_wires: int,
    n_out: int = 1,
    n_pub: int = 1,
    n_prv: int = 1,
    labels: list[int] | None = None,
    n8: int = 32,
    prime: int = R,
    version: int = 1,
    extra: list[tuple[int, bytes]] = (),
    header_pad: bytes = b"",
    constraints_pad: bytes = b"",
    constraints_cut: int = 0,
) -> bytes:
    header = struct.pack("<I", n8) + prime.to_bytes(n8, "little")
    header += struct.pack("<IIIIQI", n_wires, n_out, n_pub, n_prv, len(labels or []) or n_wires, len(constraints))
    header += header_pad
    body = b"".join(lc_bytes(a) + lc_bytes(b) + lc_bytes(c) for a, b, c in constraints) + constraints_pad
    body = body[: len(body) - constraints_cut]
    secs = [(2, body), (1, header)]
    if labels is not None:
        secs.append((3, struct.pack(f"<{len(labels)}Q", *labels)))
    secs += list(extra)
    out = b"r1cs" + struct.pack("<II", version, len(secs))
    for sid, b in secs:
        out += struct.pack("<IQ", sid, len(b)) + b
    return out


def random_system(rng: random.Random, n_in: int, n_constraints: int) -> tuple[list, list[int]]:
    """Constraints over input wires 1..n_in, each with its own output wire in C; and a satisfying witness."""
    edge = [0, 1, 2, R - 1, R - 2]
    coeff = lambda: rng.choice(edge + [rng.randrange(R)] * 3)  # noqa: E731
    w = [1] + [rng.choice(edge + [rng.randrange(R)]) for _ in range(n_in)] + [0] * n_constraints
    cons = []
    for i in range(n_constraints):
        pick = lambda: [(rng.randrange(0, n_in + 1), coeff()) for _ in range(rng.randrange(0, 4))]  # noqa: E731
        a, b, c = pick(), pick(), pick()
        out_wire = n_in + 1 + i
        k = rng.randrange(1, R)
        ev = lambda lc: sum(x * w[j] for j, x in lc) % R  # noqa: E731
        w[out_wire] = (ev(a) * ev(b) - ev(c)) * pow(k, -1, R) % R
        c = c + [(out_wire, k)]
        rng.shuffle(c)
        cons.append((a, b, c))
    return cons, w


SYSTEM = random_system(random.Random(7), n_in=6, n_constraints=40)


@pytest.fixture
def system_file(tmp_path):
    cons, w = SYSTEM
    p = tmp_path / "s.r1cs"
    p.write_bytes(r1cs_bytes(cons, n_wires=len(w), labels=list(range(len(w)))))
    return p, cons, w


def test_read_matches_encoder(system_file) -> None:
    p, cons, w = system_file
    r = read_r1cs(p)
    assert (r.prime, r.n_wires, r.n_constraints, r.n_pub_out, r.n_pub_in, r.n_prv_in) == (R, len(w), 40, 1, 1, 1)
    for m, mat in enumerate((r.A, r.B, r.C)):
        expect = [(i, j, x) for i, con in enumerate(cons) for j, x in con[m]]
        got = list(zip(mat.rows.tolist(), mat.cols.tolist(), mat.coeff_ints(), strict=True))
        assert got == expect
    assert r.wire_to_label.tolist() == list(range(len(w)))
    assert r.section_order == (2, 1, 3)


def test_write_round_trip_byte_identical(system_file, tmp_path) -> None:
    p, _, _ = system_file
    out = tmp_path / "out.r1cs"
    write_r1cs(read_r1cs(p), out)
    assert out.read_bytes() == p.read_bytes()


def test_write_groups_unsorted_rows(tmp_path) -> None:
    one = ints_to_limbs([1, 2, 3])
    rows = np.array([1, 0, 1])
    a = Coo(rows, np.array([1, 2, 3]), one)
    empty = Coo(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros((0, 4), np.uint64))
    r = R1CS(R, 4, 0, 0, 3, 4, 2, a, empty, empty, None, (1, 2))
    write_r1cs(r, tmp_path / "u.r1cs")
    back = read_r1cs(tmp_path / "u.r1cs")
    assert back.A.rows.tolist() == [0, 1, 1] and back.A.cols.tolist() == [2, 1, 3]
    assert back.A.coeff_ints() == [2, 1, 3] and back.wire_to_label is None and back.section_order == (1, 2)


def test_check_witness_agrees_with_reference(system_file) -> None:
    p, cons, w = system_file
    r = read_r1cs(p)
    assert check_witness(r, w) == check_witness_reference(r, w) == []
    assert check_witness(r, ints_to_limbs(w)) == []
    rng = random.Random(3)
    for j in range(1, len(w)):
        bad = list(w)
        bad[j] = (bad[j] + rng.randrange(1, R)) % R
        got = check_witness(r, bad)
        assert got == check_witness_reference(r, bad)
        if j > 6:  # the output wire of constraint j - 7 appears (with a non-zero coefficient) only there
            assert got == [j - 7]


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda w: w[:-1], r"witness has 46 values, circuit expects 47"),
        (lambda w: w + [0], r"witness has 48 values, circuit expects 47"),
        (lambda w: [2] + w[1:], r"witness value 0 must be 1"),
        (lambda w: [0] + w[1:], r"witness value 0 must be 1"),
        (lambda w: w[:3] + [R] + w[4:], rf"witness value 3 is {R}, expected an integer in \[0, r\)"),
        (lambda w: w[:3] + [-1] + w[4:], r"witness value 3 is -1"),
        (lambda w: w[:3] + [True] + w[4:], r"witness value 3 is True"),
    ],
)
def test_check_witness_rejects(system_file, mutate, message) -> None:
    p, _, w = system_file
    with pytest.raises(ValueError, match=message):
        check_witness(read_r1cs(p), mutate(list(w)))


def test_check_witness_rejects_limbs_out_of_range(system_file) -> None:
    p, _, w = system_file
    arr = ints_to_limbs(w)
    arr[5] = ints_to_limbs([R])[0]
    with pytest.raises(ValueError, match=rf"witness value 5 is {R}"):
        check_witness(read_r1cs(p), arr)
    arr[5] = ints_to_limbs([2**256 - 1])[0]
    with pytest.raises(ValueError, match="witness value 5 is"):
        check_witness(read_r1cs(p), arr)


@pytest.mark.slow
def test_check_witness_200k_constraints() -> None:
    """x_{i+1} = x_i^2 over 200k constraints: a single flipped value is found, in seconds."""
    import time

    n = 200_000
    w = [1, 3]
    for _ in range(n):
        w.append(w[-1] * w[-1] % R)
    ones = np.tile(np.array([1, 0, 0, 0], np.uint64), (n, 1))
    a = Coo(np.arange(n), np.arange(1, n + 1), ones)
    c = Coo(np.arange(n), np.arange(2, n + 2), ones)
    r = R1CS(R, n + 2, 0, 0, 1, n + 2, n, a, a, c)
    check_witness(r, w[:10] + [0] * (n - 8))  # compile
    t = time.perf_counter()
    assert check_witness(r, w) == []
    w[123_456] += 1
    assert check_witness(r, w) == [123_454, 123_455]
    assert time.perf_counter() - t < 10


# --- strictness ----------------------------------------------------------------------------------------

GOOD = [([(1, 1)], [(2, 1)], [(3, 1)])]


@pytest.mark.parametrize(
    "data, message",
    [
        (r1cs_bytes(GOOD, 4, version=2), "expected r1cs version 1, got 2"),
        (b"r1cx" + r1cs_bytes(GOOD, 4)[4:], "expected magic b'r1cs', got b'r1cx'"),
        (r1cs_bytes(GOOD, 4)[:-5], "expected section 1 of 64 bytes, file has 59"),
        (r1cs_bytes(GOOD, 4, extra=[(1, b"")]), "duplicate section 1"),
        (r1cs_bytes(GOOD, 4, extra=[(9, b"")]), "unknown section 9"),
        (r1cs_bytes(GOOD, 4, extra=[(4, b"")]), "custom gates"),
        (r1cs_bytes(GOOD, 4, header_pad=b"\x00"), "section 1 has 65 bytes, its content ends at byte 64"),
        (r1cs_bytes(GOOD, 4, constraints_pad=b"\0" * 4), "section 2 has 124 bytes, its 1 constraints end at byte 120"),
        (r1cs_bytes(GOOD + [([(1, 5)], [], [])], 4, constraints_cut=9), "ends inside constraint 1 of 2"),
        (r1cs_bytes([([(4, 1)], [], [])], 4), r"constraint 0 refers to a wire >= nWires = 4"),
        (r1cs_bytes([([(1, R)], [], [])], 4), "constraint 0 has a coefficient >= r"),
        (r1cs_bytes([([(1, 2**256 - 1)], [], [])], 4), "constraint 0 has a coefficient >= r"),
        (r1cs_bytes(GOOD, 4, prime=Q), "expected the BN254 scalar field prime"),
        (r1cs_bytes(GOOD, 4, n8=48, prime=R), "expected field size n8 = 32, got 48"),
        (r1cs_bytes(GOOD, 3, n_prv=2), "exceed 3 wires"),
        (r1cs_bytes(GOOD, 4, labels=[0, 1, 2]), "section 3 ends at byte 24, reading wire labels needs 32 bytes"),
        (r1cs_bytes(GOOD, 4, labels=[0, 1, 2, 3, 4]), "section 3 has 40 bytes, its content ends at byte 32"),
    ],
)
def test_strict(tmp_path, data: bytes, message: str) -> None:
    p = tmp_path / "bad.r1cs"
    p.write_bytes(data)
    with pytest.raises(FormatError, match=message):
        read_r1cs(p)


def test_edge_coefficients_accepted(tmp_path) -> None:
    p = tmp_path / "e.r1cs"
    p.write_bytes(r1cs_bytes([([(1, 0), (2, R - 1)], [(0, 1)], [(3, R - 1)])], 4))
    r = read_r1cs(p)
    assert r.A.coeff_ints() == [0, R - 1] and r.C.coeff_ints() == [R - 1]
    # 0*5 + (r-1)*7 = -7 ; times 1 ; must equal (r-1)*w3 = -w3  =>  w3 = 7
    assert check_witness(r, [1, 5, 7, 7]) == []
    assert check_witness(r, [1, 5, 7, 6]) == [0]


# --- against circom and snarkjs ----------------------------------------------------------------------


@pytest.mark.interop
def test_circom_r1cs_matches_snarkjs_json(mix_circuit, tmp_path) -> None:
    r = read_r1cs(mix_circuit.r1cs)
    snarkjs("r1cs", "export", "json", mix_circuit.r1cs, tmp_path / "r.json")
    js = json.loads((tmp_path / "r.json").read_text())
    assert (r.n_wires, r.n_pub_out, r.n_pub_in, r.n_prv_in, r.n_labels, r.n_constraints) == (
        js["nVars"],
        js["nOutputs"],
        js["nPubInputs"],
        js["nPrvInputs"],
        js["nLabels"],
        js["nConstraints"],
    )
    assert r.prime == int(js["prime"])
    for m, mat in enumerate((r.A, r.B, r.C)):
        ours = [dict() for _ in range(r.n_constraints)]
        for row, col, x in zip(mat.rows.tolist(), mat.cols.tolist(), mat.coeff_ints(), strict=True):
            ours[row][str(col)] = str(x)
        assert ours == [c[m] for c in js["constraints"]]
    assert r.wire_to_label.tolist() == js["map"]


@pytest.mark.interop
def test_circom_r1cs_round_trip(mix_circuit, tmp_path) -> None:
    out = tmp_path / "rt.r1cs"
    write_r1cs(read_r1cs(mix_circuit.r1cs), out)
    assert out.read_bytes() == mix_circuit.r1cs.read_bytes()


@pytest.mark.interop
def test_check_witness_on_snarkjs_witness(mix_circuit, tmp_path) -> None:
    inputs = {"a": [[1, 2], [3, 4], [5, R - 1]], "b": 2, "k": 3}
    wt = tmp_path / "w.wtns"
    snarkjs("wtns", "calculate", mix_circuit.wasm, write_input(tmp_path / "in.json", inputs), wt)
    r = read_r1cs(mix_circuit.r1cs)
    assert check_witness(r, read_wtns(wt)) == []
    snarkjs("wtns", "check", mix_circuit.r1cs, wt)  # the oracle agrees it is valid
    w = read_wtns_ints(wt)
    for j in range(1, len(w)):
        bad = list(w)
        bad[j] = (bad[j] + 1) % R
        got = check_witness(r, bad)
        assert got == check_witness_reference(r, bad)
        touching = {int(row) for mat in (r.A, r.B, r.C) for row in mat.rows[mat.cols == j]}
        assert got and set(got) <= touching
