"""dump() is a debugging aid: check it renders every kind of node readably."""

from xpiler.ir.dump import dump
from xpiler.ir.nodes import (
    Alloc,
    Assign,
    Barrier,
    BarrierScope,
    BinOp,
    Call,
    CallKind,
    Comment,
    Const,
    Decl,
    Define,
    Evaluate,
    For,
    Func,
    FuncKind,
    If,
    Load,
    LoopKind,
    Module,
    Opaque,
    Param,
    Select,
    Store,
    Sym,
    Var,
)
from xpiler.ir.types import FLOAT32, INT32, Fragment, Pointer, Scalar, Scope


def test_dump_kernel():
    x, n, i, t, buf, acc = Sym("x"), Sym("n"), Sym("i"), Sym("t"), Sym("buf"), Sym("acc")
    N = Sym("N")
    f = Func("k", (Param(x, Pointer(FLOAT32, Scope.GLOBAL, const=True)), Param(n, INT32)), Scalar("void"), (
        For(t, Const(0), Const(128), Const(1), (
            Alloc(buf, Scalar("float16"), (Var(N),), Scope.SHARED),
            Decl(acc, Fragment("accumulator", 16, 16, 16, "float32")),
            For(i, Var(t), Var(n), Const(128), (
                If(BinOp("<", Var(i), Var(n)),
                   (Store(Load(Var(buf), (Var(i),)), Select(BinOp(">", Var(i), Const(0)), Const(1.0, "float32"),
                                                             Const(0.0, "float32"))),)),
            ), kind=LoopKind.UNROLLED, unroll=4),
            Barrier(BarrierScope.BLOCK),
            Evaluate(Call("wmma::fill_fragment", (Var(acc), Const(0.0, "float32")), CallKind.INTRINSIC)),
            Opaque("asm volatile(\"\");", reads=(acc,)),
        ), kind=LoopKind.BOUND, axis="threadIdx.x"),
    ), FuncKind.KERNEL)
    m = Module("cuda", (Comment("hello"), Define(N, None, Const(64), "64"), f))
    text = dump(m)
    print(text)
    assert "kernel k(x: const f32*global, n: i32) -> void:" in text
    assert "for t in 0..128 [bound threadIdx.x]:" in text
    assert "for i in t..n step 128 [unrolled 4]:" in text
    assert "alloc buf: f16[N] @shared" in text
    assert "decl acc: frag<acc 16x16x16 f32>" in text
    assert "buf[i] = i > 0 ? 1.0f : 0.0f" in text
    assert "@wmma::fill_fragment(acc, 0.0f)" in text
    assert "opaque `asm volatile(\"\");`  [reads acc]" in text
    assert "barrier(block)" in text and "#define N 64" in text and "// hello" in text
    assert len(text.splitlines()) == 13


def test_dump_disambiguates_shared_names_only():
    i1, i2 = Sym("i"), Sym("i")
    text = dump((Assign(i1, BinOp("+", Var(i2), Const(1))),))
    assert f"i#{i1.id} = i#{i2.id} + 1" == text
    assert dump(BinOp("*", BinOp("+", Var(i1), Const(1)), Const(2))) == "(i + 1) * 2"


def test_dump_macro_and_host_calls():
    assert dump(Call("MAX", (Const(1), Const(2)), CallKind.MACRO)) == "MAX!(1, 2)"
    assert dump(Call("cudaMalloc", (), CallKind.HOST_API)) == "host:cudaMalloc()"
