"""xpiler.analysis: the polynomial normal form of sizes and the symbolic bounds of index expressions.

The bounds are candidates; `covers` is the judge (Z3 over the loop domain), so the tests check both that
the candidates are the sizes an expert would write and that `covers` refutes a size that is one short."""

from __future__ import annotations

from xpiler.analysis.bounds import count_candidates, covers, equal, terms, upper
from xpiler.analysis.symbolic import normalize
from xpiler.ir import nodes as N
from xpiler.ir.z3expr import sym_var, to_z3


def v(s: N.Sym) -> N.Var:
    return N.Var(s)


def c(k: int) -> N.Const:
    return N.Const(k)


def b(op: str, x, y) -> N.BinOp:
    return N.BinOp(op, x, y)


def loop(var: N.Sym, stop: N.Expr, start: N.Expr | None = None) -> N.For:
    return N.For(var, start or c(0), stop, c(1), ())


def dom(loops) -> list:
    out = []
    for f in loops:
        x = sym_var(f.var)
        out += [to_z3(f.start) <= x, x < to_z3(f.stop)]
    return out


ROWS, COLS, N_ = N.Sym("rows"), N.Sym("cols"), N.Sym("n")
R, C_, I = N.Sym("r"), N.Sym("c"), N.Sym("i")


def test_normal_form_cancels_and_orders_by_declaration():
    e = b("+", b("-", v(N_), c(1)), c(1))
    assert normalize(e) == v(N_)
    e = b("*", v(COLS), v(ROWS))  # rows was declared first
    assert normalize(e) == b("*", v(ROWS), v(COLS))
    assert normalize(b("-", v(N_), v(N_))) == c(0)
    assert normalize(N.Const(1.5, "float32")) is None
    assert normalize(b("<<", v(N_), c(2))) == b("*", v(N_), c(4))


def test_division_stays_an_atom():
    # (2 * n) / 2 is n for every n in C, but (n + 1) / 2 * 2 is not n + 1: divisions are never rewritten
    e = b("*", b("/", b("+", v(N_), c(1)), c(2)), c(2))
    got = normalize(e)
    assert got is not None and got != b("+", v(N_), c(1))
    assert terms(got) == 1


def test_row_major_count_of_a_matrix():
    loops = (loop(R, v(ROWS)), loop(C_, v(COLS)))
    index = b("+", b("*", v(R), v(COLS)), v(C_))
    cands = count_candidates(index, loops, (), {ROWS, COLS})
    assert b("*", v(ROWS), v(COLS)) in cands
    assert covers(b("*", v(ROWS), v(COLS)), index, dom(loops), [ROWS, COLS]) is True
    short = b("-", b("*", v(ROWS), v(COLS)), c(1))
    assert covers(short, index, dom(loops), [ROWS, COLS]) is False


def test_guard_bound_is_tight_for_a_rounded_grid():
    """for b < (n + 255) / 256: for t < 256: if (b * 256 + t < n) x[b * 256 + t]: the guard gives n, the
    interval alone the rounded-up grid."""
    bb, tt = N.Sym("b"), N.Sym("t")
    grid = b("/", b("+", v(N_), c(255)), c(256))
    loops = (loop(bb, grid), loop(tt, c(256)))
    index = b("+", b("*", v(bb), c(256)), v(tt))
    cond = b("<", index, v(N_))
    cands = count_candidates(index, loops, (cond,), {N_})
    assert cands[0] == v(N_)
    d = dom(loops) + [sym_var(bb) * 256 + sym_var(tt) < sym_var(N_)]
    assert covers(v(N_), index, d, [N_]) is True
    assert covers(v(N_), index, dom(loops), [N_]) is False  # without the guard, n is too small


def test_interval_bound_with_a_derived_size_and_a_remainder():
    """x[i % c] over i < n: the remainder by a run-time size lies in [0, c)."""
    loops = (loop(I, v(N_)),)
    index = b("%", v(I), v(COLS))
    assert upper(index, loops, {N_, COLS}) == b("-", v(COLS), c(1))
    assert v(COLS) in count_candidates(index, loops, (), {N_, COLS})


def test_unknown_values_give_no_candidate():
    other = N.Sym("k")  # a local the analysis cannot see through
    loops = (loop(I, v(other)),)
    assert count_candidates(v(I), loops, (), {N_}) == []


def test_equal_proves_a_product_and_refuses_a_different_one():
    assert equal(b("*", v(ROWS), v(COLS)), b("*", v(COLS), v(ROWS)), [ROWS, COLS])
    assert not equal(b("*", v(ROWS), v(COLS)), b("+", v(ROWS), v(COLS)), [ROWS, COLS])


def test_guards_on_the_path_bound_the_counters():
    """TVM's concat reads A only where `!(0 <= ax1 - m)`, its pad only where `1 <= i0 && i0 <= n && 2 <= i1
    && i1 < m + 2`: the guards bound the counters, so the candidate count is n * m, not the box's."""
    from xpiler.analysis.bounds import guarded_loops

    n, m, a0, a1 = N.Sym("n"), N.Sym("m"), N.Sym("ax0"), N.Sym("ax1")
    loops = [loop(a0, v(n)), loop(a1, b("*", v(m), c(2)))]
    index = b("+", b("*", v(a0), v(m)), v(a1))
    else_branch = N.UnOp("!", b("<=", c(0), b("-", v(a1), v(m))))
    tight = guarded_loops(loops, [else_branch])
    assert tight[1].stop == v(m) and tight[0] == loops[0]
    cands = count_candidates(index, loops, [else_branch], {n, m})
    nm = normalize(b("*", v(n), v(m)))
    assert cands[0] == nm
    d = dom(loops) + [to_z3(b("<", b("-", v(a1), v(m)), c(0)))]
    assert covers(nm, index, d, [n, m]) is True
    assert covers(normalize(b("-", b("*", v(n), v(m)), c(1))), index, d, [n, m]) is False
    # lower bounds too: (i0 - 1) * m needs i0 >= 1 to be bounded at all
    i0, i1 = N.Sym("i0"), N.Sym("i1")
    pad_loops = [loop(i0, b("+", v(n), c(2))), loop(i1, b("+", v(m), c(4)))]
    guard = b("&&", b("&&", b("<=", c(1), v(i0)), b("<=", v(i0), v(n))),
              b("&&", b("<=", c(2), v(i1)), b("<", v(i1), b("+", v(m), c(2)))))
    t = guarded_loops(pad_loops, [guard])
    assert [f.start for f in t] == [c(1), c(2)] and t[0].stop == normalize(b("+", v(n), c(1)))
    pidx = b("-", b("+", b("*", b("-", v(i0), c(1)), v(m)), v(i1)), c(2))
    assert nm in count_candidates(pidx, pad_loops, [guard], {n, m})
    assert guarded_loops(loops, []) is None


def test_a_strided_counter_ends_at_its_last_multiple():
    # for (c = 0; c < C; c += 16) for (i = 0; i < 16; ++i) x[c + i]: the last element is the round-up of C to
    # 16, not C + 15 (a copy of C + 15 elements reads past a buffer the source never overruns)
    c16 = N.For(C_, c(0), v(N_), c(16), ())
    lane = loop(I, c(16))
    index = b("+", v(C_), v(I))
    cands = count_candidates(index, (c16, lane), (), {N_})
    want = b("*", b("/", b("+", v(N_), c(15)), c(16)), c(16))
    assert cands[0] == want
    d = dom((c16, lane)) + [to_z3(b("%", v(C_), c(16))) == 0]
    assert covers(want, index, d, [N_]) is True
    assert covers(b("-", want, c(1)), index, d, [N_]) is False


def test_products_of_sizes_are_proved_term_by_term():
    # x[((n * H + h) * W + w) * C + c + i], c strided by 16: the whole claim is nonlinear beyond Z3's
    # reach; the groups (n, h, w, c + i) are each bounded and their bounds summed
    H, W, Cn, NN = N.Sym("H"), N.Sym("W"), N.Sym("Cn"), N.Sym("NN")
    n, h, w = N.Sym("n"), N.Sym("h"), N.Sym("w")
    loops = (loop(n, v(NN)), loop(h, v(H)), loop(w, v(W)), N.For(C_, c(0), v(Cn), c(16), ()), loop(I, c(16)))
    index = b("+", b("+", b("*", b("+", b("*", b("+", b("*", v(n), v(H)), v(h)), v(W)), v(w)), v(Cn)), v(C_)), v(I))
    params = {NN, H, W, Cn}
    [cand, *_] = count_candidates(index, loops, (), params)
    d = dom(loops) + [to_z3(b("%", v(C_), c(16))) == 0]
    from xpiler.analysis.bounds import covers_by_terms

    assert covers_by_terms(cand, index, loops, d + [to_z3(v(p)) >= 0 for p in params], params) is True
    assert covers(cand, index, d, params, loops=loops) is True
    short = b("-", cand, c(1))
    assert covers_by_terms(short, index, loops, d + [to_z3(v(p)) >= 0 for p in params], params) is False


def test_a_split_index_rejoins():
    # TVM writes an index as (x / 1024) * 1024 + x % 1024 (with int casts): C defines that as x
    from xpiler.ir.types import Scalar

    i32 = Scalar("int32", "int")
    split = b("+", b("*", N.Cast(i32, b("/", v(N_), c(1024))), c(1024)), N.Cast(i32, b("%", v(N_), c(1024))))
    assert normalize(split) == v(N_)
    assert normalize(b("*", split, c(3))) == b("*", v(N_), c(3))
    assert normalize(b("+", v(ROWS), b("%", v(N_), c(16)))) == b("+", v(ROWS), b("%", v(N_), c(16)))
