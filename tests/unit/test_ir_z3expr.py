"""Z3 bridge: C division semantics, affine forms, loop domains, macro expansion."""

import itertools

import pytest
import z3

from xpiler.ir.nodes import BinOp, Builtin, Call, CallKind, Const, Define, For, Load, Select, Store, Sym, UnOp, Var
from xpiler.ir.z3expr import Unsupported, affine_form, expand_macros, loop_domain, prove, sym_var, to_z3


def C(v, d="int32"):
    return Const(v, d)


@pytest.mark.parametrize("op", ["/", "%"])
def test_c_division_matches_python_truncation(op):
    a, b = Sym("a"), Sym("b")
    term = to_z3(BinOp(op, Var(a), Var(b)))
    for x, y in itertools.product([-7, -6, -1, 0, 1, 6, 7], [-3, -2, 2, 3]):
        q = abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1)
        want = q if op == "/" else x - q * y
        got = z3.simplify(z3.substitute(term, (sym_var(a), z3.IntVal(x)), (sym_var(b), z3.IntVal(y))))
        assert got.as_long() == want, (x, y)


def test_division_by_constant_and_identities():
    i = Sym("i")
    vi = sym_var(i)
    e = BinOp("+", BinOp("*", BinOp("/", Var(i), C(4)), C(4)), BinOp("%", Var(i), C(4)))
    ok, _ = prove(to_z3(e) == vi)
    assert ok  # (i/4)*4 + i%4 == i holds for every sign in C
    ok, model = prove(to_z3(BinOp("%", Var(i), C(4))) >= 0)
    assert not ok and model.eval(vi).as_long() < 0  # counterexample: negative i


def test_shifts_masks_select_minmax_builtins():
    i = Sym("i")
    vi = sym_var(i)
    assert prove(to_z3(BinOp("<<", Var(i), C(3))) == vi * 8)[0]
    assert prove(to_z3(BinOp("&", Var(i), C(7))) == to_z3(BinOp("%", Var(i), C(8))), [vi >= 0])[0]
    assert prove(to_z3(Call("min", (Var(i), C(3)), CallKind.MATH)) <= 3)[0]
    assert prove(to_z3(Select(BinOp("<", Var(i), C(0)), UnOp("-", Var(i)), Var(i))) >= 0)[0]
    assert z3.eq(to_z3(Builtin("threadIdx.x")), z3.Int("threadIdx.x"))


def test_unsupported():
    x = Sym("x")
    with pytest.raises(Unsupported, match="load"):
        to_z3(Load(Var(x), (C(0),)))
    with pytest.raises(Unsupported, match="float"):
        to_z3(C(1.5, "float32"))
    with pytest.raises(Unsupported, match="expf"):
        to_z3(Call("expf", (C(1),), CallKind.MATH))


def test_affine_form():
    i, k, K = Sym("i"), Sym("k"), Sym("K")
    e = BinOp("+", BinOp("*", BinOp("+", BinOp("*", Var(i), Var(K)), Var(k)), C(2)), C(1))
    f = affine_form(e, [i, k])
    assert f is not None and f.const == 1 and f.coeff(k) == 2
    assert prove(f.coeff(i) == 2 * sym_var(K))[0]
    assert prove(f.to_z3() == to_z3(e))[0]
    g = affine_form(BinOp("-", BinOp("*", C(3), Var(i)), BinOp("*", C(3), Var(i))), [i])
    assert g is not None and g.coeffs == {} and g.const == 0
    assert affine_form(BinOp("*", Var(i), Var(k)), [i, k]) is None
    assert affine_form(BinOp("/", Var(i), C(2)), [i]) is None
    assert affine_form(BinOp("/", Var(K), C(2)), [i]).coeffs == {}
    assert affine_form(BinOp("<<", Var(i), C(2)), [i]).coeff(i) == 4


def test_macros():
    N_, i = Sym("N"), Sym("i")
    a, b = Sym("a"), Sym("b")
    defines = {"N": Define(N_, None, BinOp("*", C(4), C(8)), "(4 * 8)"),
               "MAX": Define(Sym("MAX"), ("a", "b"), Select(BinOp(">", Var(a), Var(b)), Var(a), Var(b)), "...")}
    assert z3.simplify(to_z3(Var(N_), defines=defines)).as_long() == 32
    e = Call("MAX", (Var(i), Var(N_)), CallKind.MACRO)
    x = expand_macros(e, defines)
    assert isinstance(x, Select) and x.b == BinOp("*", C(4), C(8))
    assert prove(to_z3(e, defines=defines) >= 32)[0]
    f = affine_form(BinOp("*", Var(i), Var(N_)), [i], defines)
    assert f.coeff(i) == 32
    assert prove(to_z3(Call("MAX", (Var(i), C(3)), CallKind.MACRO)) >= 3)[0]  # no defines: modeled as If


def test_split_loop_covers_the_same_domain():
    """for i < n  ==  for io < (n+3)/4: for ii < 4: if io*4+ii < n, with i = io*4 + ii."""
    i, io, ii, n, y = Sym("i"), Sym("io"), Sym("ii"), Sym("n"), Sym("y")
    vn = sym_var(n)
    orig = For(i, C(0), Var(n), C(1), (Store(Load(Var(y), (Var(i),)), C(0)),))
    split = For(io, C(0), BinOp("/", BinOp("+", Var(n), C(3)), C(4)), C(1),
                (For(ii, C(0), C(4), C(1), ()),))
    (vi,), dom_i = loop_domain(orig)
    (vio, vii), dom_s = loop_domain(split)
    guard = to_z3(BinOp("<", BinOp("+", BinOp("*", Var(io), C(4)), Var(ii)), Var(n)))
    # every split iteration that passes the guard is an original iteration ...
    assert prove(z3.substitute(dom_i, (vi, vio * 4 + vii)), [dom_s, guard, vn >= 0])[0]
    # ... and every original iteration is reached by one split iteration
    assert prove(z3.substitute(z3.And(dom_s, guard), (vio, vi / 4), (vii, vi % 4)), [dom_i, vn >= 0])[0]
    # without the guard the split overshoots
    ok, model = prove(z3.substitute(dom_i, (vi, vio * 4 + vii)), [dom_s, vn >= 0])
    assert not ok and model is not None


def test_loop_domain_with_step_and_nesting():
    i, j = Sym("i"), Sym("j")
    nest = For(i, C(1), C(10), C(3), (For(j, Var(i), C(10), C(1), ()),))
    (vi, vj), dom = loop_domain(nest)
    sols = []
    s = z3.Solver()
    s.add(dom)
    while s.check() == z3.sat:
        m = s.model()
        sols.append((m.eval(vi).as_long(), m.eval(vj).as_long()))
        s.add(z3.Or(vi != sols[-1][0], vj != sols[-1][1]))
    assert sorted(sols) == [(a, b) for a in (1, 4, 7) for b in range(a, 10)]
