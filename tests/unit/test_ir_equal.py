"""Alpha-equivalence: bound symbols match by binding position, free ones by name; locations are ignored."""

import pytest

from xpiler.ir.equal import assert_structural_equal, structural_eq, structural_hash
from xpiler.ir.nodes import (
    Alloc,
    Assign,
    BinOp,
    Const,
    Decl,
    Define,
    For,
    Func,
    FuncKind,
    Load,
    Loc,
    Module,
    Opaque,
    Param,
    Store,
    Sym,
    Var,
)
from xpiler.ir.types import FLOAT32, INT32, Pointer, Scalar, Scope


def saxpy(name="f", a="x", loc=None, spelling="float"):
    i, n, x, y = Sym("i"), Sym("n"), Sym(a), Sym("y")
    body = (For(i, Const(0), Var(n), Const(1),
                (Store(Load(Var(y), (Var(i),)), BinOp("*", Const(2.0, "float32"), Load(Var(x), (Var(i),))),
                       loc=loc),), loc=loc),)
    return Func(name, (Param(x, Pointer(Scalar("float32", spelling))), Param(y, Pointer(FLOAT32)),
                       Param(n, INT32)), Scalar("void"), body, FuncKind.HOST)


def test_renamed_bound_symbols_are_equal_and_hash_equal():
    a, b = saxpy(a="x"), saxpy(a="input", loc=Loc(3, 4), spelling=None)
    assert structural_eq(a, b)
    assert structural_hash(a) == structural_hash(b)
    m1, m2 = Module("c", (a,)), Module("c", (b,), path="other.c")
    assert structural_eq(m1, m2) and structural_hash(m1) == structural_hash(m2)


def test_function_name_matters():
    assert not structural_eq(saxpy("f"), saxpy("g"))


def test_free_symbols_compare_by_name():
    assert structural_eq(Var(Sym("n")), Var(Sym("n")))
    assert not structural_eq(Var(Sym("n")), Var(Sym("m")))
    assert structural_hash(Var(Sym("n"))) == structural_hash(Var(Sym("n")))


def test_bound_vs_free_and_crossed_bindings_differ():
    i, j = Sym("i"), Sym("j")
    # for i: for j: a[i]  vs  for i: for j: a[j]
    a = Sym("a")
    t1 = For(i, Const(0), Const(4), Const(1), (For(j, Const(0), Const(4), Const(1),
                                                   (Assign(a, Var(i)),)),))
    i2, j2 = Sym("i"), Sym("j")
    t2 = For(i2, Const(0), Const(4), Const(1), (For(j2, Const(0), Const(4), Const(1),
                                                     (Assign(a, Var(j2)),)),))
    assert not structural_eq(t1, t2)
    with pytest.raises(AssertionError, match=r"body\[0\]\.body\[0\]\.value\.sym: i \(bound #0\) != j \(bound #1\)"):
        assert_structural_equal(t1, t2)
    # a use of a bound symbol against a free one with the same name
    t3 = For(Sym("i"), Const(0), Const(4), Const(1), (For(Sym("j"), Const(0), Const(4), Const(1),
                                                          (Assign(a, Var(Sym("i"))),)),))
    assert not structural_eq(t1, t3)


def test_difference_path_and_message():
    x, y = Sym("x"), Sym("y")
    m1 = Module("c", (Decl(x, INT32, Const(0)), Store(Load(Var(y), (Const(0),)), BinOp("+", Var(x), Const(1)))))
    m2 = Module("c", (Decl(x, INT32, Const(0)), Store(Load(Var(y), (Const(0),)), BinOp("+", Var(x), Const(2)))))
    with pytest.raises(AssertionError) as e:
        assert_structural_equal(m1, m2)
    assert str(e.value) == "items[1].value.b: Const(1) != Const(2)"


def test_length_and_type_differences():
    with pytest.raises(AssertionError, match=r"<root>: length 1 != 2"):
        assert_structural_equal((Const(1),), (Const(1), Const(2)))
    with pytest.raises(AssertionError, match=r"Const\(1\) != Var\(n\)"):
        assert_structural_equal(BinOp("+", Const(1), Const(1)), BinOp("+", Var(Sym("n")), Const(1)))


def test_types_ignore_spelling_but_not_dtype_or_scope():
    assert structural_eq(Scalar("int32", "int"), Scalar("int32", "int32_t"))
    assert not structural_eq(Pointer(FLOAT32, Scope.GLOBAL), Pointer(FLOAT32, Scope.HOST))
    assert not structural_eq(Const(1, "int32"), Const(1, "int64"))
    assert not structural_eq(Const(True, "bool"), Const(1, "bool"))
    assert structural_eq(Const(float("nan"), "float32"), Const(float("nan"), "float32"))


def test_alloc_define_and_opaque_syms():
    b1, b2, n1, n2 = Sym("buf"), Sym("tmp"), Sym("N"), Sym("M")
    m1 = Module("bang", (Define(n1, None, Const(4), "4"),
                         Alloc(b1, FLOAT32, (Var(n1),), Scope.NRAM), Opaque("foo(buf);", reads=(b1,))))
    m2 = Module("bang", (Define(n2, None, Const(4), "4"),
                         Alloc(b2, FLOAT32, (Var(n2),), Scope.NRAM), Opaque("foo(buf);", reads=(b2,))))
    assert structural_eq(m1, m2) and structural_hash(m1) == structural_hash(m2)
    m3 = Module("bang", (Define(n2, None, Const(4), "4"),
                         Alloc(b2, FLOAT32, (Var(n2),), Scope.NRAM), Opaque("foo(buf);", reads=(n2,))))
    assert not structural_eq(m1, m3)


def test_hash_distinguishes_binding_structure():
    i, j = Sym("i"), Sym("j")
    t1 = For(i, Const(0), Const(4), Const(1), (For(j, Const(0), Const(4), Const(1), (Assign(i, Var(j)),)),))
    t2 = For(i, Const(0), Const(4), Const(1), (For(j, Const(0), Const(4), Const(1), (Assign(j, Var(i)),)),))
    assert not structural_eq(t1, t2)
    assert structural_hash(t1) != structural_hash(t2)
