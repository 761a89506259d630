"""Printers (backends/_cstyle.py, _cexpr.py, backends/<d>/printer.py) on hand-built IR: precedence,
literals, types, every statement and module item kind, each dialect's qualifiers, and the clear errors
for what a dialect cannot express."""

from __future__ import annotations

import math

import pytest
from xpiler.backends._cexpr import PrintError
from xpiler.backends.c.printer import CPrinter
from xpiler.backends.cuda.printer import CudaPrinter

from xpiler.ir.nodes import (
    AddrOf,
    Alloc,
    Assign,
    Barrier,
    BarrierScope,
    BinOp,
    Block,
    Break,
    Builtin,
    Call,
    CallKind,
    Case,
    Cast,
    CastStyle,
    CFor,
    Comment,
    Const,
    Continue,
    Decl,
    Define,
    Deref,
    Directive,
    DoWhile,
    Evaluate,
    For,
    Func,
    FuncKind,
    If,
    Include,
    InitList,
    Launch,
    Load,
    Loc,
    LoopKind,
    Member,
    Module,
    Opaque,
    OpaqueExpr,
    Param,
    PreprocIf,
    Return,
    Select,
    SizeOf,
    StaticAssert,
    Store,
    StrLit,
    Switch,
    Sym,
    TypeAlias,
    UnOp,
    UsingNamespace,
    Var,
    While,
)
from xpiler.ir.types import FLOAT32, INT32, VOID, Fragment, Named, Pointer, Scalar, Scope, Vector
from xpiler.lang import emit

a, b, c, p, i, n = (Sym(x) for x in "abcpin")
A, B, C, P, I = (Var(s) for s in (a, b, c, p, i))


def ex(e, printer=None) -> str:
    return (printer or CPrinter()).expr(e)


def body_text(stmts, dialect="c", items=()) -> str:
    f = Func("f", (), VOID, tuple(stmts))
    text = emit(Module(dialect, (*items, f)), dialect)
    lines = text.splitlines()
    start = next(k for k, ln in enumerate(lines) if ln.startswith("void f()"))
    return "\n".join(ln.removeprefix("  ") for ln in lines[start + 1:-1])


PRECEDENCE = [
    (BinOp("-", A, BinOp("-", B, C)), "a - (b - c)"),
    (BinOp("-", BinOp("-", A, B), C), "a - b - c"),
    (BinOp("/", A, BinOp("*", B, C)), "a / (b * c)"),
    (BinOp("*", BinOp("+", A, B), C), "(a + b) * c"),
    (BinOp("+", A, BinOp("*", B, C)), "a + b * c"),
    (BinOp("+", A, BinOp("+", B, C)), "a + (b + c)"),
    (UnOp("-", Const(-1)), "-(-1)"),
    (UnOp("-", UnOp("-", A)), "-(-a)"),
    (BinOp("-", A, Const(-1)), "a - -1"),
    (UnOp("-", BinOp("+", A, B)), "-(a + b)"),
    (UnOp("!", BinOp("<", A, B)), "!(a < b)"),
    (BinOp("+", Select(A, B, C), Const(1)), "(a ? b : c) + 1"),
    (Select(Select(A, B, C), B, Select(A, B, C)), "(a ? b : c) ? b : a ? b : c"),
    (Select(BinOp("<", A, B), A, B), "a < b ? a : b"),
    (AddrOf(Load(A, (I,))), "&a[i]"),
    (Deref(BinOp("+", P, Const(1))), "*(p + 1)"),
    (Load(Cast(Pointer(Vector("float32", 4, "float4")), P), (Const(0),)), None),  # vector type: cuda only
    (Load(BinOp("+", P, Const(1)), (Const(0),)), "(p + 1)[0]"),
    (Load(A, (I, BinOp("+", I, Const(1)))), "a[i][i + 1]"),
    (Member(Deref(P), "x"), "(*p).x"),
    (Member(P, "x", arrow=True), "p->x"),
    (Cast(FLOAT32, BinOp("+", A, B)), "(float)(a + b)"),
    (Cast(FLOAT32, UnOp("-", A)), "(float)(-a)"),
    (BinOp("*", Cast(FLOAT32, A), B), "(float)a * b"),
    (Cast(FLOAT32, A, CastStyle.STATIC), "static_cast<float>(a)"),
    (Cast(Pointer(FLOAT32), P, CastStyle.REINTERPRET), "reinterpret_cast<float*>(p)"),
    (Cast(FLOAT32, A, CastStyle.FUNCTIONAL), "float(a)"),
    (Cast(Scalar("uint32"), A, CastStyle.FUNCTIONAL), "(unsigned int)a"),
    (BinOp("||", A, BinOp("&&", B, C)), "a || (b && c)"),
    (BinOp("&&", BinOp("<", A, B), BinOp("<", B, C)), "a < b && b < c"),
    (BinOp("<<", BinOp("+", A, B), C), "(a + b) << c"),
    (BinOp("&", A, BinOp("==", B, C)), "a & (b == c)"),
    (BinOp("==", BinOp("&", A, B), C), "(a & b) == c"),
    (BinOp("|", A, BinOp("&", B, C)), "a | (b & c)"),
    (BinOp("==", BinOp("<", A, B), C), "(a < b) == c"),
    (BinOp("%", A, BinOp("%", B, C)), "a % (b % c)"),
    (SizeOf(FLOAT32), "sizeof(float)"),
    (BinOp("*", Var(n), SizeOf(FLOAT32)), "n * sizeof(float)"),
    (Call("max", (A, BinOp("+", B, C)), CallKind.MATH), "max(a, b + c)"),
    (Call("tile", (A,), CallKind.FUNC, (Const(4),)), "tile<4>(a)"),
    (Call("t", (), CallKind.FUNC, (BinOp(">", A, B),)), "t<(a > b)>()"),
    (Call("MIN", (A, B), CallKind.MACRO), "MIN(a, b)"),
    (Call("dim3", (A, B), CallKind.CTOR), "dim3(a, b)"),
    (InitList((Const(0.0, "float32"), Const(1.5, "float32"))), "{0.0f, 1.5f}"),
    (OpaqueExpr("a + b"), "a + b"),
    (BinOp("*", OpaqueExpr("a + b"), C), "(a + b) * c"),
    (BinOp("*", OpaqueExpr("(a + b)"), C), "(a + b) * c"),
    (Member(Builtin("threadIdx"), "x"), "threadIdx.x"),
    (StrLit("a\\n"), '"a\\n"'),
]


@pytest.mark.parametrize("e, want", [x for x in PRECEDENCE if x[1]], ids=lambda x: x if isinstance(x, str) else "")
def test_precedence(e, want):
    assert ex(e) == want


def test_cast_of_load_base_uses_dialect_vector():
    e = Load(Cast(Pointer(Vector("float32", 4)), P), (Const(0),))
    assert ex(e, CudaPrinter()) == "((float4*)p)[0]"
    with pytest.raises(PrintError, match="c has no 4-lane float32"):
        ex(e)


LITERALS = [
    (Const(1.0, "float32"), "1.0f"),
    (Const(1e-5, "float32"), "1e-05f"),
    (Const(0.1, "float32"), "0.1f"),
    (Const(0.1), None),
    (Const(1.0, "float64"), "1.0"),
    (Const(5, "int64"), "5LL"),
    (Const(5, "uint32"), "5u"),
    (Const(5, "uint64"), "5ull"),
    (Const(True, "bool"), "true"),
    (Const(False, "bool"), "false"),
    (Const(-2**31, "int32"), "(-2147483647 - 1)"),
    (Const(math.inf, "float32"), "INFINITY"),
    (Const(-math.inf, "float32"), "-INFINITY"),
    (Const(math.nan, "float32"), "NAN"),
    (Const(3, "int8"), "(int8_t)3"),
    (Const(255, "int32", "0xff"), "0xff"),
    (Const(255, "int32", "0x10"), "255"),  # stale spelling is ignored
    (Const(1e-5, "float32", "1e-5f"), "1e-5f"),
    (Const(1e-5, "float32", "1e-5"), "1e-05f"),  # a double literal is not a float32 one
    (Const(math.inf, "float32", "INFINITY"), "INFINITY"),
    (Const(2, "float32"), "2.0f"),
]


@pytest.mark.parametrize("e, want", [x for x in LITERALS if x[1]], ids=lambda x: x if isinstance(x, str) else "")
def test_literals(e, want):
    assert ex(e) == want


def test_float32_literal_round_trips_exactly():
    import numpy as np

    for v in (0.1, 1 / 3, 3.4028234e38, 1.17549435e-38, 123456.789, 2.0**-149):
        text = ex(Const(v, "float32"))
        assert text.endswith("f")
        assert np.float32(float(text[:-1])) == np.float32(v)


def test_types():
    pr = CudaPrinter()
    pr.prepare((UsingNamespace("nvcuda"),))
    assert pr.type_name(Pointer(FLOAT32, Scope.GLOBAL, const=True, restrict=True)) == "const float* __restrict__"
    assert pr.type_name(Pointer(Pointer(FLOAT32), const=True)) == "float* const*"
    assert pr.type_name(Scalar("float16", "__half")) == "__half"
    assert pr.type_name(Scalar("float16", "_Float16")) == "half"
    assert pr.type_name(Scalar("int32", "int32_t")) == "int32_t"
    assert pr.type_name(Scalar("int32", "float")) == "int"  # spelling of another dtype is not used
    assert pr.type_name(Fragment("matrix_a", 16, 16, 16, "float16", "row_major")) == \
        "wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major>"
    assert CudaPrinter().type_name(Fragment("accumulator", 16, 16, 16, "float32")) == \
        "nvcuda::wmma::fragment<nvcuda::wmma::accumulator, 16, 16, 16, float>"
    assert pr.type_name(Named("dim3")) == "dim3"
    assert pr.type_name(Named("vec", (FLOAT32, Const(4)))) == "vec<float, 4>"
    assert CPrinter().type_name(Scalar("float16")) == "_Float16"
    assert CPrinter().type_name(Scalar("uint8")) == "uint8_t"


def test_statements():
    x, j = Sym("x"), Sym("j")
    stmts = (
        Decl(x, INT32, Const(0), const=True),
        Decl(Sym("q"), Pointer(FLOAT32), Var(p), const=True),
        Alloc(Sym("buf"), FLOAT32, (Const(4), Const(2)), Scope.LOCAL),
        Alloc(Sym("ini"), FLOAT32, (Const(2),), Scope.LOCAL, init=InitList((Const(1.0, "float32"),) * 2)),
        Assign(x, Const(1), "+"),
        Store(Load(A, (I,)), Const(2)),
        Store(Deref(BinOp("+", P, Const(1))), Const(3), "*"),
        For(i, Const(0), Var(n), Const(1), (Continue(),), kind=LoopKind.UNROLLED),
        For(i, Const(0), Var(n), Const(4), (Break(),), kind=LoopKind.BOUND, axis="threadIdx.x"),
        CFor((Decl(i, INT32, Const(0)), Decl(j, INT32, Var(n))), BinOp("<", I, Var(j)),
             (Assign(i, Const(1), "+"), Assign(j, Const(1), "-")), ()),
        CFor((), None, (), (Break(),)),
        While(BinOp(">", Var(x), Const(0)), (Assign(x, Const(1), ">>"),)),
        DoWhile((Assign(x, Const(1), "-"),), Var(x)),
        If(A, (Return(),), (If(B, (Return(Const(1)),), (Evaluate(Call("g", (), CallKind.FUNC)),)),)),
        Switch(Var(x), (Case((Const(1), Const(2)), (Break(),)), Case((), (Block((Break(),)),)))),
        Comment(" note"),
        Comment("block", block=True),
        Opaque("asm volatile(\"\");"),
        Define(Sym("L"), None, Const(4), "4"),
    )
    assert body_text(stmts) == """\
const int x = 0;
float* const q = p;
float buf[4][2];
float ini[2] = {1.0f, 1.0f};
x += 1;
a[i] = 2;
*(p + 1) *= 3;
#pragma GCC unroll 65534
for (int i = 0; i < n; ++i) {
  continue;
}
// bound to threadIdx.x
for (int i = 0; i < n; i += 4) {
  break;
}
for (int i = 0, j = n; i < j; ++i, --j) {
}
for (;;) {
  break;
}
while (x > 0) {
  x >>= 1;
}
do {
  x -= 1;
} while (x);
if (a) {
  return;
} else if (b) {
  return 1;
} else {
  g();
}
switch (x) {
  case 1:
  case 2:
    break;
  default: {
    break;
  }
}
// note
/*block*/
asm volatile("");
#define L 4"""


def test_blank_lines_and_trailing_comments_follow_locations():
    x = Sym("x")
    stmts = (Decl(x, INT32, Const(0), loc=Loc(1, 1)), Comment(" why", loc=Loc(1, 20)),
             Assign(x, Const(1), loc=Loc(2, 1)), Assign(x, Const(2), loc=Loc(4, 1)),
             Assign(x, Const(3)))
    assert body_text(stmts) == "int x = 0;  // why\nx = 1;\n\nx = 2;\nx = 3;"


def test_barriers_and_launches_per_dialect():
    assert body_text([Barrier(BarrierScope.BLOCK)], "cuda") == "__syncthreads();"
    assert body_text([Barrier(BarrierScope.WARP)], "hip") == "__syncwarp();"
    assert body_text([Barrier(BarrierScope.CLUSTER)], "bang") == "__sync_cluster();"
    assert body_text([Barrier(BarrierScope.ALL)], "bang") == "__sync_all();"
    with pytest.raises(PrintError, match="dialect c has no block-scope barrier"):
        body_text([Barrier(BarrierScope.BLOCK)], "c")
    with pytest.raises(PrintError, match="dialect cuda has no cluster-scope barrier"):
        body_text([Barrier(BarrierScope.CLUSTER)], "cuda")
    launch = Launch("k", (Var(n), Const(256)), (A, B), (Const(2),))
    assert body_text([launch], "cuda") == "k<2><<<n, 256>>>(a, b);"
    assert body_text([Launch("k", (Var(n), Var(b), Var(c)), (A,))], "bang") == "k<<<n, b, c>>>(a);"
    for d in ("c", "vnni"):
        with pytest.raises(PrintError, match=f"dialect {d} has no kernel launches"):
            body_text([launch], d)
    with pytest.raises(PrintError, match="cuda has no memory scope 'nram'"):
        body_text([Alloc(Sym("t"), FLOAT32, (Const(4),), Scope.NRAM)], "cuda")


def test_ctor_decl_and_long_call_wrapping():
    g = Sym("grid")
    assert body_text([Decl(g, Named("dim3"), Call("dim3", (A, B), CallKind.CTOR))], "cuda") == "dim3 grid(a, b);"
    args = tuple(Var(Sym(f"argument_number_{k}")) for k in range(6))
    text = body_text([Evaluate(Call("__memcpy_async_something", args, CallKind.INTRINSIC))], "bang")
    lines = text.splitlines()
    assert len(lines) == 2 and all(len(ln) <= 98 for ln in lines)
    assert lines[1].index("argument") == lines[0].index("(") + 1


def test_module_items():
    M, F = Sym("M"), Sym("MIN")
    x, y = Sym("x"), Sym("y")
    items = (
        Comment(" header"),
        Include("math.h"),
        Include("local.h", system=False),
        Define(M, None, Const(128), "128"),
        Define(Sym("W"), None, BinOp("/", Var(M), Const(16)), "(M / 16)"),
        Define(F, ("x", "y"), Select(BinOp("<", Var(x), Var(y)), Var(x), Var(y)), "..."),
        Define(Sym("RAW"), None, None, "do { } while (0)"),
        Define(Sym("EMPTY"), None, None, ""),
        PreprocIf(BinOp(">", Var(M), Const(4)), (Directive("error", '"too big"'),),
                  (PreprocIf(Call("defined", (Var(Sym("X")),)), (Directive("pragma", "once"),)),)),
        StaticAssert(BinOp("==", BinOp("%", Var(M), Const(4)), Const(0)), "M % 4"),
        TypeAlias("floatx4", Vector("float32", 4)),
        TypeAlias("idx_t", Scalar("int64")),
        Alloc(Sym("Bp"), Scalar("int8", "int8_t"), (Var(M),), Scope.HOST, static=True, align=64),
        Func("proto", (Param(Sym("v"), INT32, const=True),), VOID, (), is_declaration=True),
        Func("tile", (Param(Sym("q"), Pointer(FLOAT32)),), VOID, (), static=True, inline=True,
             template_params=(Param(Sym("NV"), INT32),)),
        Func("entry", (), VOID, (), extern_c=True),
    )
    assert emit(Module("c", items), "c") == """\
// header
#include <math.h>
#include "local.h"

#define M 128
#define W (M / 16)
#define MIN(x, y) ((x) < (y) ? (x) : (y))
#define RAW do { } while (0)
#define EMPTY

#if M > 4
#error "too big"
#elif defined(X)
#pragma once
#endif

static_assert(M % 4 == 0, "M % 4");

typedef float floatx4 __attribute__((vector_size(16)));
typedef int64_t idx_t;

alignas(64) static int8_t Bp[M];

void proto(const int v);

template <int NV>
static inline void tile(float* q) {
}

extern "C" void entry() {
}
"""


def test_kernel_qualifiers_per_dialect():
    x = Sym("X")
    k = Func("k", (Param(x, Pointer(FLOAT32, Scope.GLOBAL, restrict=True)),), VOID, (), kind=FuncKind.KERNEL,
             launch_bounds=(Const(256),))
    dev = Func("d", (), FLOAT32, (Return(Const(0.0, "float32")),), kind=FuncKind.DEVICE, forceinline=True)
    sh = Alloc(Sym("s"), FLOAT32, (Const(8),), Scope.SHARED, align=32)
    cuda = emit(Module("cuda", (k, dev)), "cuda")
    assert "__global__ void __launch_bounds__(256) k(float* __restrict__ X) {" in cuda
    assert "__device__ __forceinline__ float d() {" in cuda
    assert body_text([sh], "cuda") == "__shared__ __align__(32) float s[8];"
    bang = emit(Module("bang", (k, dev)), "bang")
    assert "__mlu_global__ void k(float* __restrict__ X) {" in bang  # launch bounds are a CUDA/HIP hint
    assert "__mlu_func__ inline float d() {" in bang
    for scope, word in ((Scope.NRAM, "__nram__"), (Scope.WRAM, "__wram__"), (Scope.SRAM, "__mlu_shared__")):
        assert emit(Module("bang", (Alloc(Sym("t"), FLOAT32, (Const(8),), scope),)), "bang") == f"{word} float t[8];\n"


def test_define_at_column_zero_and_opaque_indentation_is_idempotent():
    text = body_text([If(A, (Define(Sym("Z"), None, Const(1), "1"), Opaque("f(1,\n      2);")))])
    assert text == "if (a) {\n#define Z 1\n  f(1,\n    2);\n}"


def test_hip_ext_vector_alias_and_its_uses():
    v4 = Vector("float32", 4)
    acc = Sym("acc")
    f = Func("k", (), VOID, (Decl(acc, Vector("float32", 4, "floatx4"), InitList((Const(0.0, "float32"),) * 4)),
                             Decl(Sym("b"), v4)), kind=FuncKind.KERNEL)
    text = emit(Module("hip", (TypeAlias("floatx4", v4), f)), "hip")
    assert text.startswith("typedef float floatx4 __attribute__((ext_vector_type(4)));\n\n")
    assert "  floatx4 acc = {0.0f, 0.0f, 0.0f, 0.0f};\n  floatx4 b;\n" in text  # the alias names the type


def test_prototype_pragma_cfor_nested_templates_and_macro_bodies():
    proto = Func("g", (Param(Sym(""), INT32), Param(Sym(""), Pointer(FLOAT32))), VOID, (), is_declaration=True)
    assert emit(Module("c", (proto,)), "c") == "void g(int, float*);\n"
    j = Sym("j")
    loop = CFor((Decl(j, INT32, Const(0)),), BinOp("<", Var(j), Var(n)), (Assign(j, Const(2), "+"),), (),
                unroll=2, pragma=True)
    assert body_text([loop], "cuda") == "#pragma unroll 2\nfor (int j = 0; j < n; j += 2) {\n}"
    assert body_text([For(j, Const(0), Var(n), Const(1), (), kind=LoopKind.UNROLLED)], "c").startswith(
        "#pragma GCC unroll 65534\n")
    assert CPrinter().type_name(Named("vec", (Named("vec", (FLOAT32,)),))) == "vec<vec<float> >"
    raw, cooked, use1, use2 = Sym("RAW"), Sym("COOKED"), Sym("U1"), Sym("U2")
    items = (Define(raw, ("x",), None, "x + 1"), Define(cooked, ("x",), BinOp("+", Var(Sym("x")), Const(1)), "x+1"),
             Define(use1, None, Call("RAW", (Const(2),), CallKind.MACRO), "RAW(2)"),
             Define(use2, None, Call("COOKED", (Const(2),), CallKind.MACRO), "COOKED(2)"))
    assert emit(Module("c", items), "c") == (
        "#define RAW(x) x + 1\n#define COOKED(x) ((x) + 1)\n#define U1 (RAW(2))\n#define U2 COOKED(2)\n")
