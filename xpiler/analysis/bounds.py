"""Symbolic bounds of index expressions over a loop nest: how many elements a buffer needs, as an
expression of the run-time sizes.

`count_candidates(index, loops, conds)` proposes expressions `c` (IR, over the function's parameters) such
that every value the index takes in the domain (the counted `loops` around it, the `conds` that hold
there) is below `c`. They are *candidates*: a caller proves the one it uses (`covers`, Z3 over the
domain) before relying on it. Two sources:

- interval propagation: each loop counter ranges over [start, stop - 1] (bounds of inner loops may use
  outer counters and are bounded in turn); `+ - *` combine the ends (a product of two symbolic ranges
  needs both non-negative), `/`, `>>` by a constant are monotone, `% c` and `& c` lie in [0, c - 1] and
  [0, c]; scalar parameters stand for themselves. A guarded grid `if (i < n)` over
  `i = b * 256 + t, b < (n + 255) / 256` gives the rounded-up grid here, so:
- guards: a condition `L < R` (`L <= R`, `R > L`, `R >= L`) whose `L` differs from the index by a constant
  `k` bounds the index by `R - 1 + k`; this is the tight bound of guarded SIMT code.

Every candidate is put in polynomial normal form (`xpiler.analysis.symbolic`), so `(n - 1) + 1` is `n`.
Scalar parameters are assumed non-negative (they are sizes); `covers` states that assumption to Z3.
"""

from __future__ import annotations

import dataclasses

from collections.abc import Iterable, Sequence

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar
from xpiler.ir.visit import walk
from xpiler.ir.z3expr import Unsupported, prove, to_z3

from .symbolic import expr, normalize, poly

__all__ = ["comparison", "count_candidates", "covers", "divisors", "equal", "lower", "terms", "upper"]

_MAX_DEPTH = 24


def _c(v: int) -> N.Const:
    return N.Const(v)


def _const_of(e: N.Expr) -> int | None:
    pa = poly(e)
    if pa is None:
        return None
    p, _ = pa
    if all(m == () for m in p):
        return p.get((), 0)
    return None


def _nonneg(e: N.Expr | None) -> bool:
    """Is `e` (a bound over non-negative parameters) certainly >= 0: a polynomial with non-negative
    coefficients whose atoms are variables (parameters) or non-negative-looking divisions of such?"""
    if e is None:
        return False
    pa = poly(e)
    if pa is None:
        return False
    p, atoms = pa
    for m, c in p.items():
        if c < 0:
            return False
        for k in m:
            a = atoms.by_key[k]
            if isinstance(a, N.Var):
                continue
            if isinstance(a, N.BinOp) and a.op in ("/", ">>", "%", "&") and _nonneg(a.a) and _nonneg(a.b):
                continue
            return False
    return True


class _Bounder:
    def __init__(self, loops: Sequence[N.For], params: set) -> None:
        self.loops = {f.var: f for f in loops}
        self.params = params

    def nonneg(self, e: N.Expr | None) -> bool:
        """Is `e` (an expression over the parameters) >= 0 wherever the nest runs: syntactically, or by Z3
        from every loop of the nest being entered (start < stop), parameters >= 0, divisors >= 1."""
        if e is None:
            return False
        if _nonneg(e):
            return True
        try:
            hyps = [to_z3(f.start) < to_z3(f.stop) for f in self.loops.values()]
            hyps += [to_z3(f.start) <= to_z3(N.Var(v)) for v, f in self.loops.items()]
            hyps += [to_z3(N.Var(p)) >= 0 for p in self.params]
            exprs = [e] + [x for f in self.loops.values() for x in (f.start, f.stop)]
            hyps += [to_z3(d) >= 1 for d in divisors(exprs)]
            ok, _ = prove(to_z3(e) >= 0, hyps, timeout_ms=500)
            return ok
        except (Unsupported, ValueError, z3.Z3Exception, TypeError):
            return False

    def invariant(self, e: N.Expr) -> bool:
        """An expression over the parameters only (the same value throughout the nest)."""
        syms = {n.sym for n in walk(e) if isinstance(n, N.Var)}
        return syms <= self.params and not any(isinstance(n, (N.Load, N.Call)) for n in walk(e))

    def bound(self, e: N.Expr, hi: bool, depth: int = 0) -> N.Expr | None:
        if depth > _MAX_DEPTH:
            return None
        b = lambda x, h=hi: self.bound(x, h, depth + 1)  # noqa: E731
        if isinstance(e, N.Const):
            return e if isinstance(e.value, int) and not isinstance(e.value, bool) else None
        if isinstance(e, N.Var):
            f = self.loops.get(e.sym)
            if f is not None:
                if hi:
                    stop = self.bound(f.stop, True, depth + 1)
                    if stop is None:
                        return None
                    last = N.BinOp("-", stop, _c(1))
                    a, st = _const_of(f.start), _const_of(f.step)
                    if a is not None and st is not None and st > 1:
                        # a strided counter's last value: a + (stop - 1 - a) / st * st (`c += 16` over C
                        # channels ends at 16 * ((C - 1) / 16), not C - 1), spelled as the round-up
                        # a + (stop - a + st - 1) / st * st - st, equal where the nest runs (stop > a)
                        span = N.BinOp("+", stop, _c(st - 1 - a)) if st - 1 - a else stop
                        last = N.BinOp("-", N.BinOp("*", N.BinOp("/", span, _c(st)), _c(st)), _c(st - a))
                    return last
                return self.bound(f.start, False, depth + 1)
            return e if e.sym in self.params else None
        if isinstance(e, N.Cast):
            if isinstance(e.type, Scalar) and e.type.dtype not in ("float16", "bfloat16", "float32", "float64"):
                return b(e.value)
            return None
        if isinstance(e, N.UnOp):
            if e.op == "-":
                x = self.bound(e.a, not hi, depth + 1)
                return None if x is None else N.UnOp("-", x)
            if e.op == "+":
                return b(e.a)
            return None
        if isinstance(e, N.Select):
            x, y = b(e.a), b(e.b)
            if x is None or y is None:
                return None
            return _max(x, y) if hi else _min(x, y)
        if not isinstance(e, N.BinOp):
            return None
        if e.op == "+":
            x, y = b(e.a), b(e.b)
            return None if x is None or y is None else N.BinOp("+", x, y)
        if e.op == "-":
            x, y = b(e.a), self.bound(e.b, not hi, depth + 1)
            return None if x is None or y is None else N.BinOp("-", x, y)
        if e.op == "*":
            ka, kb = _const_of(e.a), _const_of(e.b)
            if ka is not None or kb is not None:
                k, other = (ka, e.b) if ka is not None else (kb, e.a)
                x = self.bound(other, hi if k >= 0 else not hi, depth + 1)
                return None if x is None else N.BinOp("*", x, _c(k))
            lo_a, lo_b = self.bound(e.a, False, depth + 1), self.bound(e.b, False, depth + 1)
            if not (self.nonneg(lo_a) and self.nonneg(lo_b)):
                return None
            if not hi:
                return N.BinOp("*", lo_a, lo_b)
            x, y = b(e.a), b(e.b)
            return None if x is None or y is None else N.BinOp("*", x, y)
        k = _const_of(e.b)
        if e.op in ("/", ">>") and k is not None and k > 0:
            x = b(e.a)  # C division by a positive constant and shifts are monotone
            return None if x is None else N.BinOp(e.op, x, _c(k))
        if e.op == "/" and self.invariant(e.b):
            x = b(e.a)  # monotone in the dividend for a positive divisor (a zero one faults the source)
            return None if x is None else N.BinOp("/", x, e.b)
        if e.op == "%" and k is not None and k > 0 and self.nonneg(self.bound(e.a, False, depth + 1)):
            return _c(k - 1) if hi else _c(0)
        if e.op == "%" and self.invariant(e.b) and self.nonneg(self.bound(e.a, False, depth + 1)):
            return N.BinOp("-", e.b, _c(1)) if hi else _c(0)
        if e.op == "&" and k is not None and k >= 0:
            return _c(k) if hi else _c(0)
        return None


def _max(x: N.Expr, y: N.Expr) -> N.Expr:
    return N.Select(N.BinOp(">", x, y), x, y)


def _min(x: N.Expr, y: N.Expr) -> N.Expr:
    return N.Select(N.BinOp("<", x, y), x, y)


def upper(e: N.Expr, loops: Sequence[N.For], params: set) -> N.Expr | None:
    """An expression over `params` that is >= every value of `e` in the loop nest (None if unknown)."""
    out = _Bounder(loops, params).bound(e, True)
    return None if out is None else (normalize(out) or out)


def lower(e: N.Expr, loops: Sequence[N.For], params: set) -> N.Expr | None:
    out = _Bounder(loops, params).bound(e, False)
    return None if out is None else (normalize(out) or out)


def _conjuncts(c: N.Expr) -> Iterable[N.Expr]:
    if isinstance(c, N.BinOp) and c.op == "&&":
        yield from _conjuncts(c.a)
        yield from _conjuncts(c.b)
    else:
        yield c


_NEGATED = {"<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def comparison(g: N.Expr) -> N.Expr:
    """`!(a >= b)` as `a < b` (and the other negated comparisons); anything else unchanged."""
    while isinstance(g, N.UnOp) and g.op == "!" and isinstance(g.a, N.UnOp) and g.a.op == "!":
        g = g.a.a
    if isinstance(g, N.UnOp) and g.op == "!" and isinstance(g.a, N.BinOp) and g.a.op in _NEGATED:
        return N.BinOp(_NEGATED[g.a.op], g.a.a, g.a.b)
    return g


def _guard_bounds(index: N.Expr, conds: Sequence[N.Expr], loops, params) -> list[N.Expr]:
    """Upper bounds (inclusive) of `index` from guards `L < R` whose L is the index plus a constant."""
    out = []
    for c in conds:
        for g in _conjuncts(comparison(c)):
            g = comparison(g)
            if not isinstance(g, N.BinOp) or g.op not in ("<", "<=", ">", ">="):
                continue
            lhs, rhs, strict = (g.a, g.b, g.op == "<") if g.op in ("<", "<=") else (g.b, g.a, g.op == ">")
            diff = normalize(N.BinOp("-", index, lhs))
            k = _const_of(diff) if diff is not None else None
            if k is None:
                continue
            r = upper(rhs, loops, params)  # the bound itself may vary (an outer counter): take its maximum
            if r is None:
                continue
            bound = N.BinOp("+", r, _c(k - 1 if strict else k))
            out.append(normalize(bound) or bound)
    return out


def guarded_loops(loops: Sequence[N.For], conds: Sequence[N.Expr]) -> list[N.For] | None:
    """The loop nest with each counter's bounds replaced by those a guard on the path gives
    (`if (!(0 <= ax1 - m))` -> ax1 < m; `1 <= i0 && i0 <= n` -> 1 <= i0 < n + 1): a guard `v + r < 0` (or <=,
    >, >=, with v's coefficient +1 or -1 and r free of v) bounds v for every access under it. None without such a guard.
    Only a candidate source: a count built from it is still proved by `covers` over the real domain."""
    by_var = {f.var: f for f in loops}
    stops: dict = {}
    starts: dict = {}
    for c in conds:
        for g in _conjuncts(comparison(c)):
            g = comparison(g)
            if not isinstance(g, N.BinOp) or g.op not in ("<", "<=", ">", ">="):
                continue
            # as d OP 0 with d = a - b, then as an upper bound of a counter with coefficient +-1
            d = normalize(N.BinOp("-", g.a, g.b))
            pa = poly(d) if d is not None else None
            if pa is None:
                continue
            p, atoms = pa
            for v in by_var:
                key = next((k for k, a in atoms.by_key.items() if isinstance(a, N.Var) and a.sym is v), None)
                if key is None:
                    continue
                if any(m.count(key) and m != (key,) for m in p) or p.get((key,)) not in (1, -1):
                    continue
                coef = p[(key,)]
                rest_p = {m: k for m, k in p.items() if m != (key,)}
                from .symbolic import expr as _expr

                rest = _expr((rest_p, atoms)) if rest_p else _c(0)
                # coef*v + rest OP 0: an upper bound of v for (+1, <, <=) and (-1, >, >=), else a lower one
                if coef == 1 and g.op in ("<", "<="):
                    stop = N.UnOp("-", rest) if g.op == "<" else N.BinOp("-", _c(1), rest)
                    stops[v] = normalize(stop) or stop
                elif coef == -1 and g.op in (">", ">="):
                    stop = rest if g.op == ">" else N.BinOp("+", rest, _c(1))
                    stops[v] = normalize(stop) or stop
                elif coef == 1:  # v + rest > 0 (>= 0)
                    start = N.BinOp("-", _c(1), rest) if g.op == ">" else N.UnOp("-", rest)
                    starts[v] = normalize(start) or start
                else:  # -v + rest < 0 (<= 0)
                    start = N.BinOp("+", rest, _c(1)) if g.op == "<" else rest
                    starts[v] = normalize(start) or start
    if not stops and not starts:
        return None
    return [dataclasses.replace(f, start=starts.get(f.var, f.start), stop=stops.get(f.var, f.stop))
            for f in loops]


def _radix_candidates(index: N.Expr, loops: Sequence[N.For], params: set) -> list[N.Expr]:
    """`stop(v) * coef(v)` for each loop counter v that the index uses linearly with a coefficient over the
    parameters: the row-major size a buffer indexed `(c * H + h) * W + w` was allocated with (`C * H * W`),
    which the interval bound spells as a longer polynomial when inner offsets are not full ranges."""
    pa = poly(index)
    if pa is None:
        return []
    p, atoms = pa
    out = []
    by_sym = {f.var: f for f in loops}
    for v, f in by_sym.items():
        key = next((k for k, a in atoms.by_key.items() if isinstance(a, N.Var) and a.sym is v), None)
        if key is None:
            continue
        coef: dict = {}
        ok = True
        for m, c in p.items():
            n = m.count(key)
            if n > 1:
                ok = False
            elif n == 1:
                rest = tuple(k for k in m if k != key)
                if any(isinstance(atoms.by_key[k], N.Var) and atoms.by_key[k].sym in by_sym for k in rest):
                    ok = False
                coef[rest] = coef.get(rest, 0) + c
        if not ok or not coef or len(coef) > 1 or any(c <= 0 for c in coef.values()):
            continue
        from .symbolic import expr as _expr

        stop = upper(f.stop, loops, params)
        if stop is None:
            continue
        cand = N.BinOp("*", stop, _expr((coef, atoms)))
        out.append(normalize(cand) or cand)
    return out


def count_candidates(index: N.Expr, loops: Sequence[N.For], conds: Sequence[N.Expr], params: set,
                     width: int = 1) -> list[N.Expr]:
    """Candidate element counts (max index + width) without duplicates: guard bounds (tight for guarded
    SIMT code), the interval bound (exact for affine indices over boxes), then row-major sizes."""
    ups = _guard_bounds(index, conds, loops, params)
    tight = guarded_loops(loops, conds)
    if tight is not None:
        u = upper(index, tight, params)
        if u is not None:
            ups.append(u)
    u = upper(index, loops, params)
    if u is not None:
        ups.append(u)
    out: list = []
    for b in ups:
        c = N.BinOp("+", b, _c(width))
        c = normalize(c) or c
        if c not in out:
            out.append(c)
    if width == 1:
        out += [c for c in _radix_candidates(index, loops, params) if c not in out]
    return out


def terms(e: N.Expr) -> int:
    """How many terms `e` has in polynomial normal form (a measure of how plainly it reads)."""
    pa = poly(e)
    return len(pa[0]) if pa is not None else 1 << 20


def equal(a: N.Expr, b: N.Expr, params: Iterable[N.Sym], hyps: Sequence = (), timeout_ms: int = 1000) -> bool:
    """Z3 proves `a == b` for all non-negative `params` (positive divisors) under `hyps`."""
    try:
        h = list(hyps) + [to_z3(N.Var(p)) >= 0 for p in params]
        h += [to_z3(d) >= 1 for d in divisors([a, b])]
        ok, _ = prove(to_z3(a) == to_z3(b), h, timeout_ms=timeout_ms)
        return ok
    except (Unsupported, ValueError, z3.Z3Exception, TypeError):
        return False


def divisors(exprs: Iterable[N.Expr]) -> list[N.Expr]:
    """Non-constant divisors of `/` and `%` under `exprs` (the source divides by them, so on its valid
    domain they are positive)."""
    out: list = []
    for e in exprs:
        for n in walk(e):
            if isinstance(n, N.BinOp) and n.op in ("/", "%") and _const_of(n.b) is None and n.b not in out:
                out.append(n.b)
    return out


def covers(count: N.Expr, index: N.Expr, domain: list, params: Iterable[N.Sym], defines: dict | None = None,
           timeout_ms: int = 4000, scan: Iterable[N.Expr] = (), hyps: Sequence = (),
           loops: Sequence[N.For] = ()) -> bool | None:
    """Does `0 <= index < count` hold on the domain (Z3 constraints over the loop counters), for all
    non-negative values of the integer `params` and positive values of the divisors in `index`, `count`
    and the expressions `scan` (loop bounds)? True (proved), False (a counterexample), None (unknown).
    When Z3 cannot decide the whole claim and the nest's `loops` are given, it is proved term by term
    (`covers_by_terms`)."""
    params = list(params)
    early = bool(loops) and _high_degree(index)
    try:
        iz, cz = to_z3(index, defines=defines), to_z3(count, defines=defines)
        h = list(domain) + list(hyps) + [to_z3(N.Var(p)) >= 0 for p in params]
        h += [to_z3(d, defines=defines) >= 1 for d in divisors([index, count, *scan])]
        if early and covers_by_terms(count, index, loops, h, set(params), defines):
            return True
        ok, model = prove(z3.And(iz >= 0, iz < cz), h, timeout_ms=timeout_ms)
    except (Unsupported, ValueError, z3.Z3Exception, TypeError):
        return None
    if ok:
        return True
    if model is not None:
        return False
    if loops and not early and covers_by_terms(count, index, loops, h, set(params), defines):
        return True
    return None


def _high_degree(index: N.Expr) -> bool:
    """Does the index have a product of three or more factors (sizes times a counter: `n * H * W * C`), the
    kind of claim Z3's nonlinear arithmetic may not decide as a whole?"""
    pa = poly(index)
    return pa is not None and any(len(m) >= 3 for m in pa[0])


def covers_by_terms(count: N.Expr, index: N.Expr, loops: Sequence[N.For], hyps: list, params: set,
                    defines: dict | None = None, timeout_ms: int = 1500) -> bool:
    """`0 <= index < count` proved in small pieces, for nests whose whole claim is beyond Z3 (products of
    sizes next to a strided counter's round-up `(C + 15) / 16 * 16`): the index's monomials are grouped by
    the loop counters they mention (groups share no counter), each group `g` is proved to lie in
    [lower(g), upper(g)] over the domain `hyps`, and then `sum(lower) >= 0` and `count >= sum(upper) + 1`
    over the sizes alone. Sound because the groups' extremes bound the sum's."""
    pa = poly(index)
    if pa is None:
        return False
    p, atoms = pa
    counters = {f.var for f in loops}
    mentions = {m: {n.sym for k in m for n in walk(atoms.by_key[k]) if isinstance(n, N.Var) and n.sym in counters}
                for m in p}
    groups: list[tuple[set, list]] = []
    for m in p:
        vs = mentions[m]
        merged = [g for g in groups if vs and g[0] & vs]
        keep = [g for g in groups if not any(g is x for x in merged)]
        new = (set(vs).union(*[g[0] for g in merged]), [m] + [x for g in merged for x in g[1]])
        groups = keep + [new]
    if len(groups) < 2:
        return False
    ups, los = [], []
    try:
        for _vs, ms in groups:
            g = expr(({m: p[m] for m in ms}, atoms))
            u, lo = upper(g, loops, params), lower(g, loops, params)
            if u is None or lo is None:
                return False
            gz = to_z3(g, defines=defines)
            ok, _ = prove(z3.And(gz <= to_z3(u, defines=defines), gz >= to_z3(lo, defines=defines)), hyps,
                          timeout_ms=timeout_ms)
            if not ok:
                return False
            ups.append(u)
            los.append(lo)
        total_hi = normalize(_sum(ups)) or _sum(ups)
        total_lo = normalize(_sum(los)) or _sum(los)
        gap = normalize(N.BinOp("-", count, total_hi))
        if not (gap is not None and _const_of(gap) is not None and _const_of(gap) >= 1):
            ok, _ = prove(to_z3(count, defines=defines) >= to_z3(total_hi, defines=defines) + 1, hyps,
                          timeout_ms=timeout_ms)
            if not ok:
                return False
        ok, _ = prove(to_z3(total_lo, defines=defines) >= 0, hyps, timeout_ms=timeout_ms)
        return ok
    except (Unsupported, ValueError, z3.Z3Exception, TypeError):
        return False


def _sum(xs: list) -> N.Expr:
    out = xs[0]
    for x in xs[1:]:
        out = N.BinOp("+", out, x)
    return out
