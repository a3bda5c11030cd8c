"""Fq, Fr and Fq2 arithmetic emitted as LLVM IR straight into the calling kernel.

Why: numba compiles every @njit function separately and links them, and LLVM's inliner leaves a
Montgomery multiplication (about 150 instructions) as a call. Each call then passes its tuples
through memory, checks a status word, and loses the constant modulus (it arrives as an argument),
so an Fq2 multiplication cost 150 ns instead of 3 x 26 and a G2 mixed addition 1.5 us. An
`@intrinsic` is different: its code generator runs inside the caller's function, so the arithmetic
below lands inline, the modulus limbs are immediates, and LLVM schedules a whole group-law formula
as one straight-line block.

The operations (same results as the plain kernels of `fields` and `fq2`, which stay as the slow
twins the tests compare against):
- multiplication: CIOS Montgomery (Koc, Acar, Kaliski 1996) in the "no-carry" form (gnark-crypto,
  "Faster Montgomery multiplication", 2020): valid when the top limb of the modulus is below
  2^63 - 1, true for both BN254 moduli, it drops the fifth accumulator word of each round;
  one conditional subtraction at the end (the result is < 2m before it);
- addition, subtraction, negation: on 256-bit integers (both moduli are below 2^254, so a sum of
  two reduced elements never leaves 256 bits), with a `select` in place of a branch;
- Fq2 = Fq[u]/(u^2 + 1): Karatsuba multiplication with lazy reduction (three 512-bit products,
  two Montgomery reductions instead of three full multiplications: 69 ns instead of 78) and the
  complex squaring (a0 + a1)(a0 - a1) + 2 a0 a1 u (two multiplications).

Intrinsics (only callable inside numba kernels), generic over Fq and Fq2 by the argument's type:
f_add, f_sub, f_dbl, f_neg, f_mul, f_sqr, f_is_zero, f_eq. Fr versions: fr_mul_ir, fr_sqr_ir,
fr_add_ir, fr_sub_ir, fr_neg_ir (Fr elements only).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from .constants import Q, R, to_limbs

_I1 = ir.IntType(1)
_I64 = ir.IntType(64)
_I128 = ir.IntType(128)
_I256 = ir.IntType(256)
_I512 = ir.IntType(512)

FQ_T = types.UniTuple(types.uint64, 4)
FQ2_T = types.UniTuple(FQ_T, 2)


class _Modulus:
    """The constants one modulus needs: limbs, -m^-1 mod 2^64, m as a 256-bit constant."""

    def __init__(self, m: int) -> None:
        limbs = to_limbs(m)
        # the no-carry CIOS condition (gnark-crypto): top limb < 2^63 - 1
        if not limbs[3] < (1 << 63) - 1:
            raise ValueError(f"no-carry Montgomery multiplication needs a top limb below 2^63 - 1, got {limbs[3]:#x}")
        if m >= 1 << 254:
            raise ValueError("expected a modulus below 2^254 (sums of two elements must fit 256 bits)")
        self.limbs = [ir.Constant(_I64, v) for v in limbs]
        self.inv = ir.Constant(_I64, (-pow(m, -1, 1 << 64)) % (1 << 64))
        self.wide = ir.Constant(_I256, m)
        self.wide512 = ir.Constant(_I512, m)
        self.square = ir.Constant(_I512, m * m)


_QM = _Modulus(Q)
_RM = _Modulus(R)

# --- emitters on lists of four i64 values ---------------------------------------------------------


def _mac(b: ir.IRBuilder, x, y, c, d):
    """x*y + c + d as (lo, hi) i64 values (never overflows 128 bits)."""
    t = b.mul(b.zext(x, _I128), b.zext(y, _I128))
    t = b.add(t, b.zext(c, _I128))
    t = b.add(t, b.zext(d, _I128))
    return b.trunc(t, _I64), b.trunc(b.lshr(t, ir.Constant(_I128, 64)), _I64)


def _pack(b: ir.IRBuilder, limbs):
    v = b.zext(limbs[0], _I256)
    for j in range(1, 4):
        v = b.or_(v, b.shl(b.zext(limbs[j], _I256), ir.Constant(_I256, 64 * j)))
    return v


def _unpack(b: ir.IRBuilder, v):
    return [b.trunc(b.lshr(v, ir.Constant(_I256, 64 * j)), _I64) if j else b.trunc(v, _I64) for j in range(4)]


def _mont_mul(b: ir.IRBuilder, x, y, m: _Modulus):
    """x * y / 2^256 mod m for x, y < m (four i64 limbs each)."""
    zero = ir.Constant(_I64, 0)
    q = m.limbs
    t = [zero] * 4
    for i in range(4):
        t0, a_hi = _mac(b, x[0], y[i], t[0], zero)
        k = b.mul(t0, m.inv)
        _, c = _mac(b, k, q[0], t0, zero)
        new = [zero] * 4
        for j in range(1, 4):
            tj, a_hi = _mac(b, x[j], y[i], t[j], a_hi)
            new[j - 1], c = _mac(b, k, q[j], tj, c)
        new[3] = b.add(c, a_hi)
        t = new
    v = _pack(b, t)
    return _unpack(b, b.select(b.icmp_unsigned(">=", v, m.wide), b.sub(v, m.wide), v))


def _add(b: ir.IRBuilder, x, y, m: _Modulus):
    s = b.add(_pack(b, x), _pack(b, y))
    return _unpack(b, b.select(b.icmp_unsigned(">=", s, m.wide), b.sub(s, m.wide), s))


def _sub(b: ir.IRBuilder, x, y, m: _Modulus):
    xv, yv = _pack(b, x), _pack(b, y)
    d = b.sub(xv, yv)
    return _unpack(b, b.select(b.icmp_unsigned("<", xv, yv), b.add(d, m.wide), d))


def _neg(b: ir.IRBuilder, x, m: _Modulus):
    xv = _pack(b, x)
    zero = ir.Constant(_I256, 0)
    return _unpack(b, b.select(b.icmp_unsigned("==", xv, zero), zero, b.sub(m.wide, xv)))


def _is_zero(b: ir.IRBuilder, x):
    return b.icmp_unsigned("==", b.or_(b.or_(x[0], x[1]), b.or_(x[2], x[3])), ir.Constant(_I64, 0))


def _eq(b: ir.IRBuilder, x, y):
    d = [b.xor(x[j], y[j]) for j in range(4)]
    return b.icmp_unsigned("==", b.or_(b.or_(d[0], d[1]), b.or_(d[2], d[3])), ir.Constant(_I64, 0))


# --- Fq2 on pairs of limb lists -------------------------------------------------------------------


def _fq2_mul(b, x, y, m):
    """Karatsuba with lazy reduction: three 512-bit products, two Montgomery reductions.

    c0 = REDC(x0 y0 + q^2 - x1 y1) and c1 = REDC((x0 + x1)(y0 + y1) - x0 y0 - x1 y1), the sums
    x0 + x1, y0 + y1 taken unreduced (< 2q < 2^255, four limbs). Both arguments of REDC lie in
    [0, 2q^2) and 2q^2 < q 2^256, so each reduction ends below 2q and one subtraction finishes it."""
    p00 = _wide_mul(b, x[0], y[0])
    p11 = _wide_mul(b, x[1], y[1])
    ps = _wide_mul(b, _unpack(b, b.add(_pack(b, x[0]), _pack(b, x[1]))),
                   _unpack(b, b.add(_pack(b, y[0]), _pack(b, y[1]))))
    t0 = b.sub(b.add(p00, m.square), p11)
    t1 = b.sub(b.sub(ps, p00), p11)
    return [_redc(b, t0, m), _redc(b, t1, m)]


def _wide_mul(b: ir.IRBuilder, x, y):
    """x * y as an i512 (schoolbook over 64-bit limbs) for x, y < 2^256."""
    zero = ir.Constant(_I64, 0)
    p = [zero] * 8
    for i in range(4):
        carry = zero
        for j in range(4):
            p[i + j], carry = _mac(b, x[i], y[j], p[i + j], carry)
        p[i + 4] = carry
    v = b.zext(p[0], _I512)
    for j in range(1, 8):
        v = b.or_(v, b.shl(b.zext(p[j], _I512), ir.Constant(_I512, 64 * j)))
    return v


def _redc(b: ir.IRBuilder, t, m: _Modulus):
    """t / 2^256 mod m for an i512 t < m 2^256 (Montgomery reduction, then one subtraction)."""
    for _ in range(4):
        k = b.mul(b.trunc(t, _I64), m.inv)
        # t + k m is divisible by 2^64; t < m 2^256 keeps every step below 2^511
        t = b.lshr(b.add(t, b.mul(b.zext(k, _I512), m.wide512)), ir.Constant(_I512, 64))
    v = b.trunc(t, _I256)
    return _unpack(b, b.select(b.icmp_unsigned(">=", v, m.wide), b.sub(v, m.wide), v))


def _fq2_sqr(b, x, m):
    t = _mont_mul(b, x[0], x[1], m)
    c0 = _mont_mul(b, _add(b, x[0], x[1], m), _sub(b, x[0], x[1], m), m)
    return [c0, _add(b, t, t, m)]


# --- numba values <-> limb lists ------------------------------------------------------------------


def _read(b: ir.IRBuilder, v, depth: int):
    if depth == 1:
        return [b.extract_value(v, j) for j in range(4)]
    return [[b.extract_value(b.extract_value(v, k), j) for j in range(4)] for k in range(2)]


def _write(ctx, b: ir.IRBuilder, limbs, depth: int):
    if depth == 1:
        return ctx.make_tuple(b, FQ_T, limbs)
    return ctx.make_tuple(b, FQ2_T, [ctx.make_tuple(b, FQ_T, c) for c in limbs])


def _depth(t) -> int:
    if t == FQ_T:
        return 1
    if t == FQ2_T:
        return 2
    return 0


# --- intrinsics -----------------------------------------------------------------------------------


def _binary(op1, op2, m: _Modulus, name: str, fq2: bool = True):
    """An intrinsic (a, b) -> element, emitting op1 for Fq elements and op2 for Fq2 ones."""

    def typer(typingctx, a, b):
        k = _depth(a)
        if k == 0 or a != b or (k == 2 and not fq2):
            return None
        t = FQ_T if k == 1 else FQ2_T

        def codegen(context, builder, sig, args):
            x, y = (_read(builder, v, k) for v in args)
            out = op1(builder, x, y, m) if k == 1 else op2(builder, x, y, m)
            return _write(context, builder, out, k)

        return t(t, t), codegen

    typer.__name__ = typer.__qualname__ = name
    return intrinsic(typer)


def _unary(op1, op2, m: _Modulus, name: str, fq2: bool = True):
    def typer(typingctx, a):
        k = _depth(a)
        if k == 0 or (k == 2 and not fq2):
            return None
        t = FQ_T if k == 1 else FQ2_T

        def codegen(context, builder, sig, args):
            x = _read(builder, args[0], k)
            out = op1(builder, x, m) if k == 1 else op2(builder, x, m)
            return _write(context, builder, out, k)

        return t(t), codegen

    typer.__name__ = typer.__qualname__ = name
    return intrinsic(typer)


def _predicate(op1, op2, arity: int, name: str):
    """An intrinsic returning a boolean: op1 on Fq limbs, op2 on Fq2 limb pairs."""

    def typer(typingctx, *args):
        k = _depth(args[0])
        if k == 0 or any(a != args[0] for a in args):
            return None

        def codegen(context, builder, sig, vals):
            xs = [_read(builder, v, k) for v in vals]
            return op1(builder, *xs) if k == 1 else op2(builder, *xs)

        return types.boolean(*args), codegen

    if arity == 1:

        def typer1(typingctx, a):
            return typer(typingctx, a)

        typer1.__name__ = typer1.__qualname__ = name
        return intrinsic(typer1)

    def typer2(typingctx, a, b):
        return typer(typingctx, a, b)

    typer2.__name__ = typer2.__qualname__ = name
    return intrinsic(typer2)


f_mul = _binary(_mont_mul, _fq2_mul, _QM, "f_mul")
f_add = _binary(_add, lambda b, x, y, m: [_add(b, x[0], y[0], m), _add(b, x[1], y[1], m)], _QM, "f_add")
f_sub = _binary(_sub, lambda b, x, y, m: [_sub(b, x[0], y[0], m), _sub(b, x[1], y[1], m)], _QM, "f_sub")
f_sqr = _unary(lambda b, x, m: _mont_mul(b, x, x, m), _fq2_sqr, _QM, "f_sqr")
f_dbl = _unary(lambda b, x, m: _add(b, x, x, m), lambda b, x, m: [_add(b, c, c, m) for c in x], _QM, "f_dbl")
f_neg = _unary(_neg, lambda b, x, m: [_neg(b, c, m) for c in x], _QM, "f_neg")
f_is_zero = _predicate(_is_zero, lambda b, x: b.and_(_is_zero(b, x[0]), _is_zero(b, x[1])), 1, "f_is_zero")
f_eq = _predicate(_eq, lambda b, x, y: b.and_(_eq(b, x[0], y[0]), _eq(b, x[1], y[1])), 2, "f_eq")

fr_mul_ir = _binary(_mont_mul, None, _RM, "fr_mul_ir", fq2=False)
fr_add_ir = _binary(_add, None, _RM, "fr_add_ir", fq2=False)
fr_sub_ir = _binary(_sub, None, _RM, "fr_sub_ir", fq2=False)
fr_sqr_ir = _unary(lambda b, x, m: _mont_mul(b, x, x, m), None, _RM, "fr_sqr_ir", fq2=False)
fr_neg_ir = _unary(_neg, None, _RM, "fr_neg_ir", fq2=False)
