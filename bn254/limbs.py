"""64-bit limb primitives for numba: multiply-accumulate, add with carry, subtract with borrow.

Numba has no 128-bit integer type, so these are LLVM intrinsics written with numba's extension
API: each widens its operands to i128, lets LLVM do the arithmetic (it lowers to `mul`/`adc`/`sbb`
on x86-64) and returns the (low, high) words. All operands and results are uint64.
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

_U64 = types.uint64
_PAIR = types.UniTuple(_U64, 2)
_I64 = ir.IntType(64)
_I128 = ir.IntType(128)


def _split(context, builder, sig, t):
    lo = builder.trunc(t, _I64)
    hi = builder.trunc(builder.lshr(t, ir.Constant(_I128, 64)), _I64)
    return context.make_tuple(builder, sig.return_type, (lo, hi))


@intrinsic
def mac(typingctx, a, b, c, d):
    """a*b + c + d as (lo, hi). Never overflows: (2^64-1)^2 + 2(2^64-1) < 2^128."""
    sig = _PAIR(_U64, _U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        a_, b_, c_, d_ = (builder.zext(x, _I128) for x in args)
        t = builder.add(builder.add(builder.mul(a_, b_), c_), d_)
        return _split(context, builder, signature, t)

    return sig, codegen


@intrinsic
def mul_wide(typingctx, a, b):
    """a*b as (lo, hi)."""
    sig = _PAIR(_U64, _U64)

    def codegen(context, builder, signature, args):
        a_, b_ = (builder.zext(x, _I128) for x in args)
        return _split(context, builder, signature, builder.mul(a_, b_))

    return sig, codegen


@intrinsic
def adc(typingctx, a, b, carry):
    """a + b + carry as (sum, carry_out), carry in {0, 1}."""
    sig = _PAIR(_U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        a_, b_, c_ = (builder.zext(x, _I128) for x in args)
        return _split(context, builder, signature, builder.add(builder.add(a_, b_), c_))

    return sig, codegen


@intrinsic
def sbb(typingctx, a, b, borrow):
    """a - b - borrow as (difference, borrow_out), borrow in {0, 1}."""
    sig = _PAIR(_U64, _U64, _U64)

    def codegen(context, builder, signature, args):
        a_, b_, c_ = (builder.zext(x, _I128) for x in args)
        t = builder.sub(builder.sub(a_, b_), c_)
        lo = builder.trunc(t, _I64)
        out = builder.trunc(builder.lshr(t, ir.Constant(_I128, 127)), _I64)
        return context.make_tuple(builder, signature.return_type, (lo, out))

    return sig, codegen
