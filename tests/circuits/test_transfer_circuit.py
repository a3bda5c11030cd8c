"""The compiled transfer circuits: honest witnesses, public inputs, and single-wire malleability
(SECURITY 2, 7, and 1 at the constraint level)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from circuits import load_manifest
from transfer.constants import SHAPES, R
from transfer.example import example_transfer

pytestmark = pytest.mark.circuits


@pytest.fixture(scope="module")
def example_2x2():
    return example_transfer("transfer_2x2")


@pytest.fixture(scope="module")
def honest_2x2(transfer_2x2, example_2x2) -> list[int]:
    return transfer_2x2.witness(example_2x2.inputs)


def test_honest_2x2_satisfies_r1cs(transfer_2x2, example_2x2, honest_2x2):
    c = transfer_2x2
    assert c.failing(honest_2x2) == []
    n_pub = c.r1cs.n_public
    assert honest_2x2[1 : 1 + n_pub] == example_2x2.public_signals


def test_honest_2x2_with_dummy_input_satisfies_r1cs(transfer_2x2):
    """A zero-amount dummy input with an all-zero path (not in the tree) is accepted (SECURITY 6)."""
    ex = example_transfer("transfer_2x2", n_dummy_inputs=1)
    assert ex.inputs["inAmount"][1] == "0"
    assert transfer_2x2.failing(transfer_2x2.witness(ex.inputs)) == []


@pytest.mark.slow
def test_honest_16x2_satisfies_r1cs(transfer_16x2):
    ex = example_transfer("transfer_16x2", n_dummy_inputs=3)
    w = transfer_16x2.witness(ex.inputs)
    assert transfer_16x2.failing(w) == []
    assert w[1 : 1 + transfer_16x2.r1cs.n_public] == ex.public_signals


@pytest.mark.parametrize("name", ["transfer_2x2", "transfer_16x2"])
def test_public_inputs_are_exactly_the_statement(request, name):
    """SECURITY 2: exactly the expected public inputs, in order, no public outputs."""
    c = request.getfixturevalue(name)
    shape = SHAPES[name]
    assert c.r1cs.n_pub_out == 0
    assert c.r1cs.n_pub_in == shape.n_public
    names = [c.sym.name(w) for w in range(1, 1 + shape.n_public)]
    assert names == ["main." + n for n in shape.public_input_names()]
    assert load_manifest()["circuits"][name]["public_inputs"] == shape.public_input_names()


@pytest.mark.parametrize("name", ["transfer_2x2", "transfer_16x2"])
def test_every_public_input_is_in_a_non_linear_constraint(request, name):
    """SECURITY 2: each public wire has a non-zero coefficient in A or B of some constraint whose A and
    B are both non-constant (a product), so it cannot be left unbound by the prover."""
    c = request.getfixturevalue(name)
    n_pub = c.r1cs.n_public
    non_constant = {}
    for m in ("A", "B"):
        mat = getattr(c.r1cs, m)
        rows_with_vars = defaultdict(bool)
        for row, col in zip(mat.rows.tolist(), mat.cols.tolist(), strict=True):
            if col != 0:
                rows_with_vars[row] = True
        non_constant[m] = rows_with_vars
    for wire in range(1, 1 + n_pub):
        product_rows = [
            k for k in c.constraints_with(wire, "AB") if non_constant["A"].get(k) and non_constant["B"].get(k)
        ]
        assert product_rows, f"public input {c.sym.name(wire)} takes part in no non-linear constraint"


def test_changing_any_public_input_breaks_the_witness(transfer_2x2, honest_2x2):
    """SECURITY 1 at the constraint level: each public signal of a valid witness, changed alone
    (+1, and replaced by r - 1), violates the constraints."""
    for wire in range(1, 1 + transfer_2x2.r1cs.n_public):
        for new in ((honest_2x2[wire] + 1) % R, R - 1):
            if new == honest_2x2[wire]:
                continue
            w = list(honest_2x2)
            w[wire] = new
            assert transfer_2x2.failing(w), f"{transfer_2x2.sym.name(wire)} = {new} accepted"


def _alternative_values(c, w: list[int]) -> dict[int, int | None]:
    """For every wire j: None if w[j] + t satisfies all constraints for every t (free), t0 if exactly
    w[j] + t0 (t0 != 0) still satisfies them all, absent if no other value does.

    Constraint k as a function of t (w[j] -> w[j] + t, everything else fixed, A.w*B.w = C.w honest):
    t*(alpha*b + beta*a - gamma) + t^2*alpha*beta, with alpha, beta, gamma the coefficients of j."""
    r = c.r1cs

    def evals(mat):
        acc = [0] * r.n_constraints
        for row, col, co in zip(mat.rows.tolist(), mat.cols.tolist(), mat.coeff_ints(), strict=True):
            acc[row] = (acc[row] + co * w[col]) % R
        return acc

    a, b, _ = evals(r.A), evals(r.B), evals(r.C)
    coef: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0, 0]))
    for idx, mat in enumerate((r.A, r.B, r.C)):
        for row, col, co in zip(mat.rows.tolist(), mat.cols.tolist(), mat.coeff_ints(), strict=True):
            e = coef[col][row]
            e[idx] = (e[idx] + co) % R
    out: dict[int, int | None] = {}
    for j in range(1, r.n_wires):
        candidates: set[int] | None = None
        pinned = False
        for k, (al, be, ga) in coef[j].items():
            lin, quad = (al * b[k] + be * a[k] - ga) % R, al * be % R
            if lin == 0 and quad == 0:
                continue
            if quad == 0:
                pinned = True
                break
            t0 = (-lin) * pow(quad, -1, R) % R
            candidates = {t0} if candidates is None else candidates & {t0}
            if not candidates or t0 == 0:
                pinned = True
                break
        if not pinned:
            out[j] = None if candidates is None else candidates.pop()
    return out


@pytest.mark.parametrize("dummies", [0, 1])
def test_no_single_wire_can_change(transfer_2x2, dummies):
    """SECURITY 7, generically: no wire of an honest witness — `<--` hints included — can take another
    value with every other wire fixed, except the inverse of an IsZero whose input is 0 (its value is
    multiplied by 0 everywhere: harmless)."""
    c = transfer_2x2
    w = c.witness(example_transfer("transfer_2x2", n_dummy_inputs=dummies).inputs)
    movable = _alternative_values(c, w)
    names = {j: c.sym.name(j) for j in movable}
    assert all(n.endswith(".isz.inv") for n in names.values()), names
    for j in movable:
        isz = names[j][: -len(".inv")]
        # the IsZero's input is 0 exactly when its output is 1
        out_wire = c.sym.wire_of.get(f"{isz}.out", -1)
        assert out_wire < 0 or w[out_wire] == 1, f"{names[j]} movable while its IsZero input is non-zero"
    # the honest example has its two real inputs' root checks and the signature equality checks
    assert len(movable) == 4 - dummies
