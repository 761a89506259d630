"""The convenience constructors build the same nodes as writing them out."""

from xpiler.ir import build as B
from xpiler.ir.nodes import BinOp, Const, For, Load, Store, Sym, Var


def test_build_matches_hand_written():
    i, n, x, y = Sym("i"), Sym("n"), Sym("x"), Sym("y")
    got = B.for_(i, n, [B.store(y, i, B.mul(B.c(2.0), B.load(x, i)))])
    want = For(i, Const(0), Var(n), Const(1),
               (Store(Load(Var(y), (Var(i),)), BinOp("*", Const(2.0, "float32"), Load(Var(x), (Var(i),)))),))
    assert got == want
    assert B.c(True).dtype == "bool" and B.c(2**40).dtype == "int64" and B.c(3).dtype == "int32"
    assert B.store(y, (i, n), 1, "+") == Store(Load(Var(y), (Var(i), Var(n))), Const(1), "+")
    assert B.add.__name__ == "add" and B.lt(i, 3) == BinOp("<", Var(i), Const(3))
