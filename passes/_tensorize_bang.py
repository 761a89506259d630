"""tensorize for bang: replace element-wise loops over NRAM buffers by `__bang_*` vector intrinsics.

A candidate is a counted loop `for (e = 0; e < n; ++e)` of a kernel whose every memory access is an NRAM
buffer at exactly `[e]` and whose statements are
  * `buf[e] = expr` (or `buf[e] op= expr`),
  * `T t = expr;` (a per-lane temporary, becomes an NRAM temp buffer),
  * `acc += expr;` (a sum reduction into a scalar declared outside the loop),
  * `if (expr > acc) acc = expr;` (a max / min reduction).
Since every access is at lane `e`, the loop splits into one vector operation per expression node. Each
node is matched against the catalogue's element-wise entries by *unifying the expression with the entry's
scalar loop form* (holes: vector operands, loop-invariant scalar operands; `+ * == != && ||` commute),
largest pattern first; reductions are matched against the shape of the reduction entries' loop forms (the
block size of a block sum is read off the form). An entry is used only when the operand dtypes are allowed
and every constraint (hard and soft: counts, 64-byte addresses, 128-byte lengths) is proved by Z3 from the
loop's context; otherwise the loop stays scalar. All of a loop or none of it is converted.

Limits: sum reductions reassociate the float additions (block sums, then a scalar loop over the blocks);
`value - x[e]` and other non-commuted scalar-first forms stay scalar; copies (`a[e] = b[e]`) stay scalar.
Obligations (Z3): each intrinsic's element counts equal the loop's trip count and fit its NRAM buffers.
"""

from __future__ import annotations

import ast
import dataclasses
from dataclasses import dataclass, field

import z3
from xpiler.passes._cache_bang import (
    Names,
    bang_facts,
    const_int,
    itemsize,
    onchip_bytes,
    replace_func,
    swap_loops,
    walk,
)

from xpiler.ir import nodes as N
from xpiler.ir.types import INT32, Scalar, Scope
from xpiler.ir.visit import free_syms
from xpiler.ir.z3expr import Unsupported, prove, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

_COMMUTATIVE = ("+", "*", "==", "!=", "&&", "||")
_MATH_STEMS = {"exp", "log", "log2", "exp2", "sqrt", "tanh", "sin", "cos", "pow", "fmod", "floor", "round",
               "nearbyint", "log1p", "fabs", "fmax", "fmin", "rsqrt"}


class NoMatch(Exception):
    pass


# ---------------------------------------------------------------------------------------------- patterns
@dataclass
class Pattern:
    entry: object
    expr: N.Expr  # the stored value of the loop form, over hole Vars
    index: N.Sym  # the loop form's counter
    vec: dict  # hole sym -> operand name (vector inputs)
    scalar: dict  # hole sym -> operand name (loop-invariant scalars)
    dst: str
    count: str
    size: int


@dataclass
class Reduction:
    entry: object
    kind: str  # "sum" | "max" | "min"
    block: int | None = None  # sum: elements per partial


def _size(e) -> int:
    return sum(1 for _ in walk(e))


def _elementwise_pattern(entry) -> Pattern | None:
    ops = entry.operands
    ptr_in = [o for o in ops if o.role == "in" and o.scopes]
    outs = [o for o in ops if o.role == "out"]
    scalars = [o for o in ops if o.role == "scalar"]
    if len(outs) != 1 or entry.loop_form is None or not scalars:
        return None
    count = scalars[-1].name  # the element count is the last scalar operand of these entries
    if any(o.count != count for o in ptr_in + outs) or entry.extra.get("optional"):
        return None
    holes = {o.name: N.Sym(o.name) for o in ops}
    try:
        form = entry.loop_form(**{k: N.Var(s) for k, s in holes.items()})
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    if len(form) != 1 or not isinstance(form[0], N.For) or len(form[0].body) != 1:
        return None
    loop, st = form[0], form[0].body[0]
    if not (isinstance(st, N.Store) and st.op is None and st.target == N.Load(N.Var(holes[outs[0].name]),
                                                                               (N.Var(loop.var),))):
        return None
    if loop.stop != N.Var(holes[count]) or const_int(loop.start, {}) != 0:
        return None
    vec = {holes[o.name]: o.name for o in ptr_in}
    sc = {holes[o.name]: o.name for o in scalars if o.name != count}
    # every vector operand must be read at the counter only (cycle forms read seg[i % segn])
    for n in walk(st.value):
        if isinstance(n, N.Load) and (not isinstance(n.base, N.Var) or n.base.sym not in vec
                                      or n.indices != (N.Var(loop.var),)):
            return None
    return Pattern(entry, st.value, loop.var, vec, sc, outs[0].name, count, _size(st.value))


def _reduction(entry) -> Reduction | None:
    ops = {o.name for o in entry.operands}
    if entry.loop_form is None or ops != {"dst", "src", "n"}:
        return None
    holes = {k: N.Sym(k) for k in ops}
    try:
        form = entry.loop_form(**{k: N.Var(s) for k, s in holes.items()}, **{
            k: v for k, v in entry.extra.get("type_params", {}).items()})
    except (TypeError, ValueError, KeyError, AttributeError):
        return None
    src = N.Var(holes["src"])
    # block sum: for k { acc = 0; for t in [k*B, ..) acc += src[t]; dst[k*B] = acc; }
    if len(form) == 1 and isinstance(form[0], N.For) and len(form[0].body) == 3:
        decl, inner, store = form[0].body
        if (isinstance(decl, N.Decl) and isinstance(inner, N.For) and len(inner.body) == 1
                and inner.body[0] == N.Assign(decl.sym, N.Load(src, (N.Var(inner.var),)), "+")
                and isinstance(store, N.Store) and store.value == N.Var(decl.sym)
                and isinstance(inner.start, N.BinOp) and inner.start.op == "*"
                and inner.start.a == N.Var(form[0].var) and isinstance(inner.start.b, N.Const)):
            return Reduction(entry, "sum", int(inner.start.b.value))
    # extreme: best = src[0]; ...; for i { if (src[i] > best) best = src[i] ... } dst[0] = best
    for st in form:
        if isinstance(st, N.For):
            for s in st.body:
                if (isinstance(s, N.If) and isinstance(s.cond, N.BinOp) and s.cond.op in (">", "<")
                        and s.cond.a == N.Load(src, (N.Var(st.var),)) and isinstance(s.cond.b, N.Var)
                        and any(x == N.Assign(s.cond.b.sym, s.cond.a) for x in s.then)):
                    best = s.cond.b.sym
                    if any(isinstance(x, N.Store) and x.value == N.Var(best) and x.target.indices == (N.Const(0),)
                           for x in form):
                        return Reduction(entry, "max" if s.cond.op == ">" else "min")
    return None


_CACHE: dict = {}


def patterns(cat) -> tuple[list[Pattern], dict]:
    key = id(cat)
    if key not in _CACHE:
        pats, reds = [], {}
        for name, e in cat.items():
            if name != e.name:
                continue
            if e.category == "elementwise":
                p = _elementwise_pattern(e)
                if p is not None:
                    pats.append(p)
            elif e.category == "reduction":
                r = _reduction(e)
                if r is not None and r.kind not in reds:
                    reds[r.kind] = r
        pats.sort(key=lambda p: -p.size)  # stable: catalogue order among equals
        _CACHE[key] = (pats, reds)
    return _CACHE[key]


# ---------------------------------------------------------------------------------------------- unification
def _math_stem(name: str) -> str:
    n = name.removeprefix("std::").lstrip("_")
    if n.endswith("f") and n[:-1] in _MATH_STEMS:
        n = n[:-1]
    return n


class Unifier:
    def __init__(self, pat: Pattern, is_vec) -> None:
        self.pat, self.is_vec = pat, is_vec

    def run(self, node) -> dict | None:
        b: dict = {}
        return b if self.u(self.pat.expr, node, b) else None

    def u(self, p, n, b) -> bool:
        pat = self.pat
        if isinstance(p, N.Load) and isinstance(p.base, N.Var) and p.base.sym in pat.vec:
            if not self.is_vec(n):
                return False
            return self._bind(p.base.sym, n, b)
        if isinstance(p, N.Var):
            if p.sym in pat.scalar:
                return not self.is_vec(n) and self._bind(p.sym, n, b)
            return False  # the counter outside a vector load, or a stray hole
        if isinstance(p, N.Const):
            return isinstance(n, N.Const) and not isinstance(n.value, bool) and float(n.value) == float(p.value)
        if type(p) is not type(n):
            return False
        if isinstance(p, N.BinOp):
            if p.op != n.op:
                return False
            saved = dict(b)
            if self.u(p.a, n.a, b) and self.u(p.b, n.b, b):
                return True
            b.clear()
            b.update(saved)
            if p.op in _COMMUTATIVE and self.u(p.a, n.b, b) and self.u(p.b, n.a, b):
                return True
            b.clear()
            b.update(saved)
            return False
        if isinstance(p, N.UnOp):
            return p.op == n.op and self.u(p.a, n.a, b)
        if isinstance(p, N.Select):
            return self.u(p.cond, n.cond, b) and self.u(p.a, n.a, b) and self.u(p.b, n.b, b)
        if isinstance(p, N.Call):
            return (p.kind is N.CallKind.MATH and n.kind is N.CallKind.MATH and _math_stem(p.name) == _math_stem(n.name)
                    and len(p.args) == len(n.args) and all(self.u(x, y, b) for x, y in zip(p.args, n.args)))
        if isinstance(p, N.Cast):
            return p.type == n.type and self.u(p.value, n.value, b)
        return False

    @staticmethod
    def _bind(h, n, b) -> bool:
        if h in b:
            return b[h] == n
        b[h] = n
        return True


# ---------------------------------------------------------------------------------------------- constraints
class Facts:
    """What Z3 may assume at a loop: single-assignment integer declarations, enclosing loop domains and
    branch conditions, the module's macros."""

    def __init__(self, defines: dict) -> None:
        self.defines = defines
        self.env: dict = {}
        self.assumptions: list = []

    def z(self, e: N.Expr):
        return to_z3(e, self.env, self.defines)

    def proves(self, claim) -> bool:
        ok, _ = prove(claim, self.assumptions, timeout_ms=2000)
        return ok


def _py_to_z3(expr: str, values: dict):
    """A catalogue constraint (a Python expression) over operand values (Z3 terms, numbers or None)."""

    def ev(n):
        if isinstance(n, ast.Expression):
            return ev(n.body)
        if isinstance(n, ast.Constant):
            return n.value
        if isinstance(n, ast.Name):
            if n.id not in values:
                raise Unsupported(n.id)
            return values[n.id]
        if isinstance(n, ast.BoolOp):
            vals = [ev(v) for v in n.values]
            if isinstance(n.op, ast.And):
                if any(v is False for v in vals):
                    return False
                vals = [v for v in vals if v is not True]
                return z3.And(*vals) if vals else True
            if any(v is True for v in vals):
                return True
            vals = [v for v in vals if v is not False]
            return z3.Or(*vals) if vals else False
        if isinstance(n, ast.Compare):
            left = ev(n.left)
            parts = []
            for op, rhs in zip(n.ops, n.comparators):
                right = ev(rhs)
                if isinstance(op, (ast.Is, ast.IsNot)):
                    r = (left is None) if isinstance(op, ast.Is) else (left is not None)
                else:
                    if left is None or right is None:
                        raise Unsupported("comparison with a missing operand")
                    r = {ast.Eq: lambda a, c: a == c, ast.NotEq: lambda a, c: a != c, ast.Lt: lambda a, c: a < c,
                         ast.LtE: lambda a, c: a <= c, ast.Gt: lambda a, c: a > c,
                         ast.GtE: lambda a, c: a >= c}[type(op)](left, right)
                parts.append(r)
                left = right
            parts = [p for p in parts if p is not True]
            if any(p is False for p in parts):
                return False
            return z3.And(*parts) if parts else True
        if isinstance(n, ast.BinOp):
            a, c = ev(n.left), ev(n.right)
            return {ast.Add: lambda: a + c, ast.Sub: lambda: a - c, ast.Mult: lambda: a * c,
                    ast.FloorDiv: lambda: a / c if not (isinstance(a, int) and isinstance(c, int)) else a // c,
                    ast.Mod: lambda: a % c}[type(n.op)]()
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.Not):
            v = ev(n.operand)
            return (not v) if isinstance(v, bool) else z3.Not(v)
        if isinstance(n, ast.UnaryOp) and isinstance(n.op, ast.USub):
            return -ev(n.operand)
        raise Unsupported(ast.dump(n))

    return ev(ast.parse(expr, mode="eval"))


# ---------------------------------------------------------------------------------------------- one loop
@dataclass
class Ctx:
    """Per-kernel state: NRAM buffers, the temp pool, facts for constraints."""

    nram: dict  # sym -> (element type, elements)
    names: Names
    align: int
    budget: int  # NRAM bytes still free
    temps: list = field(default_factory=list)  # (sym, elem, size) allocated so far
    free: list = field(default_factory=list)  # temps free for reuse in the current loop
    emitted: list = field(default_factory=list)  # intrinsic names used
    obligations: list = field(default_factory=list)


class LoopLowering:
    def __init__(self, loop: N.For, kctx: Ctx, facts: Facts, pats, reds) -> None:
        self.loop, self.k, self.facts, self.pats, self.reds = loop, kctx, facts, pats, reds
        self.e = loop.var
        self.n = loop.stop
        self.lane_temps: dict[N.Sym, N.Sym] = {}  # body-declared scalar -> its temp buffer
        self.accs: set[N.Sym] = set()
        self.out: list[N.Stmt] = []
        self.live: list = []  # temps in use by this loop
        self.claims: list = []
        self.elem = None
        self.cap = None

    # -- classification
    def lane_load(self, x) -> N.Sym | None:
        if (isinstance(x, N.Load) and isinstance(x.base, N.Var) and x.base.sym in self.k.nram
                and x.indices == (N.Var(self.e),)):
            return x.base.sym
        return None

    def is_vec(self, x) -> bool:
        for n in walk(x):
            if isinstance(n, N.Var) and (n.sym is self.e or n.sym in self.lane_temps):
                return True
            if isinstance(n, N.Load):
                return True
        return False

    # -- temps
    def temp(self) -> N.Sym:
        for i, (s, el, size) in enumerate(self.k.free):
            if el == self.elem and size >= self.cap:
                self.k.free.pop(i)
                self.live.append((s, el, size))
                return s
        need = self.cap * itemsize(self.elem)
        if need > self.k.budget:
            raise NoMatch("NRAM is full")
        self.k.budget -= need
        s = self.k.names.fresh("nram_t")
        rec = (s, self.elem, self.cap)
        self.k.temps.append(rec)
        self.live.append(rec)
        return s

    def is_temp(self, s) -> bool:
        return any(r[0] is s for r in self.live)

    def release(self, s) -> None:
        for r in self.live:
            if r[0] is s and s not in self.lane_temps.values():
                self.live.remove(r)
                self.k.free.append(r)
                return

    # -- constraints
    def check(self, entry, args: dict, counts_to: N.Expr) -> None:
        fz = self.facts
        vals: dict = {"itemsize": itemsize(self.elem)}
        assume = list(fz.assumptions)
        for o in entry.operands:
            a = args.get(o.name)
            if a is None:
                vals[o.name] = None
            elif o.scopes:
                addr = z3.Int(f"addr!{a.sym.name}!{a.sym.id}")
                assume.append(addr % self.k.align == 0)
                assume.append(addr >= 0)
                vals[o.name] = addr
            elif o.role == "scalar":
                try:
                    vals[o.name] = fz.z(a)
                except Unsupported:
                    vals[o.name] = z3.Int(f"opaque!{o.name}")
        for c in entry.constraints:
            try:
                claim = _py_to_z3(c.expr, vals)
            except (Unsupported, KeyError, TypeError, z3.Z3Exception):
                raise NoMatch(f"{entry.name}: cannot model {c.expr}")
            if claim is True:
                continue
            if claim is False or not prove(claim, assume, timeout_ms=2000)[0]:
                raise NoMatch(f"{entry.name}: {c.message}")
            self.claims.append((f"{entry.name}: {c.message}", claim, assume))
        # every pointer operand covers exactly the loop's lanes and fits its buffer
        n = fz.z(counts_to)
        for o in entry.operands:
            if o.scopes and args.get(o.name) is not None:
                cnt = _py_to_z3(o.count, vals)
                size = self.k.nram.get(args[o.name].sym, (None, None))[1]
                if size is None:
                    size = next(r[2] for r in self.k.temps if r[0] is args[o.name].sym)
                fits = z3.And(cnt <= size, cnt >= 1)
                if not prove(fits, assume, timeout_ms=2000)[0]:
                    raise NoMatch(f"{entry.name}: {o.name} may exceed its buffer")
                self.claims.append((f"{entry.name}: {o.name} fits its NRAM buffer", fits, assume))
                if o.count == "n" or o.role == "in":
                    if not prove(cnt == n, assume)[0]:
                        raise NoMatch(f"{entry.name}: {o.name} does not cover the loop")
                    self.claims.append((f"{entry.name}: {o.name} covers the loop's lanes", cnt == n, assume))

    def call(self, entry, args: dict) -> None:
        argv = []
        for o in entry.operands:
            a = args.get(o.name)
            if a is None:
                break
            argv.append(a)
        self.out.append(N.Evaluate(N.Call(entry.name, tuple(argv), N.CallKind.INTRINSIC)))
        self.k.emitted.append(entry.name)

    # -- expressions
    def vector(self, x, dst: N.Sym | None = None) -> N.Sym:
        """Emit the operations computing lane expression `x`; return the buffer holding it."""
        s = self.lane_load(x)
        if s is None and isinstance(x, N.Var) and x.sym in self.lane_temps:
            s = self.lane_temps[x.sym]
        if s is not None:
            if dst is not None and dst is not s:
                raise NoMatch("plain copy")
            return s
        if not self.is_vec(x):
            raise NoMatch("invariant value stored to every lane")
        for pat in self.pats:
            if self.elem.dtype not in pat.entry.operand(pat.dst).dtypes and pat.entry.operand(pat.dst).dtypes:
                continue
            b = Unifier(pat, self.is_vec).run(x)
            if b is None:
                continue
            mark = (len(self.out), list(self.live), list(self.k.free), self.k.budget, len(self.k.emitted),
                    len(self.claims))
            try:
                args = {pat.count: self.n}
                srcs = []
                for h, name in pat.vec.items():
                    buf = self.vector(b[h])
                    srcs.append(buf)
                    args[name] = N.Var(buf)
                for h, name in pat.scalar.items():
                    args[name] = b[h]
                out = dst
                if out is None:
                    out = next((s for s in srcs if self.is_temp(s)), None) or self.temp()
                args[pat.dst] = N.Var(out)
                self.check(pat.entry, args, self.n)
                self.call(pat.entry, args)
                for s in srcs:
                    if s is not out:
                        self.release(s)
                return out
            except NoMatch:
                del self.out[mark[0]:]
                self.live[:] = mark[1]
                self.k.free[:] = mark[2]
                self.k.budget = mark[3]
                del self.k.emitted[mark[4]:]
                del self.claims[mark[5]:]
        raise NoMatch("no intrinsic matches")

    # -- statements
    def stmt(self, s) -> None:
        if isinstance(s, N.Comment):
            return
        if isinstance(s, N.Store):
            buf = self.lane_load(s.target)
            if buf is None:
                raise NoMatch("store outside the lane")
            val = s.value if s.op is None else N.BinOp(s.op, s.target, s.value)
            self.vector(val, dst=buf)
            return
        if isinstance(s, N.Decl) and isinstance(s.type, Scalar) and s.init is not None:
            buf = self.vector(s.init) if self.is_vec(s.init) else None
            if buf is None:
                raise NoMatch("invariant declaration in the loop")
            if buf in self.k.nram and buf in self.stored:  # `T x = in[e]` reads the buffer itself
                raise NoMatch("a lane temporary aliases a buffer the loop writes")
            self.lane_temps[s.sym] = buf
            return
        if isinstance(s, N.Assign) and s.op == "+" and s.sym in self.accs:
            red = self.reds.get("sum")
            if red is None or not self.elem.dtype.startswith("float"):
                raise NoMatch("no sum reduction")
            src = self.vector(s.value)
            dst = self.temp()
            args = {"dst": N.Var(dst), "src": N.Var(src), "n": self.n}
            self.check(red.entry, args, self.n)
            self.call(red.entry, args)
            k = N.Sym("k")
            self.out.append(N.For(k, N.Const(0), self.n, N.Const(red.block),
                                  (N.Assign(s.sym, N.Load(N.Var(dst), (N.Var(k),)), "+"),), var_type=INT32))
            self.release(src)
            self.release(dst)
            return
        if isinstance(s, N.If) and not s.orelse and len(s.then) == 1 and isinstance(s.then[0], N.Assign):
            a, c = s.then[0], s.cond
            if isinstance(c, N.BinOp) and c.op in (">", "<") and a.op is None and a.sym in self.accs:
                if c.b == N.Var(a.sym) and c.a == a.value:
                    kind = "max" if c.op == ">" else "min"
                elif c.a == N.Var(a.sym) and c.b == a.value:
                    kind = "min" if c.op == ">" else "max"
                else:
                    raise NoMatch("conditional update")
                red = self.reds.get(kind)
                if red is None:
                    raise NoMatch(f"no {kind} reduction")
                src = self.vector(a.value)
                dst = self.temp()
                args = {"dst": N.Var(dst), "src": N.Var(src), "n": self.n}
                self.check(red.entry, args, self.n)
                self.call(red.entry, args)
                top = N.Load(N.Var(dst), (N.Const(0),))
                self.out.append(N.If(N.BinOp(c.op, top, N.Var(a.sym)) if c.b == N.Var(a.sym)
                                     else N.BinOp(c.op, N.Var(a.sym), top), (N.Assign(a.sym, top),)))
                self.release(src)
                self.release(dst)
                return
        raise NoMatch(f"statement {type(s).__name__}")

    def lower(self) -> list[N.Stmt]:
        loop = self.loop
        body = loop.body
        bufs = {n.base.sym for n in walk(body) if isinstance(n, N.Load) and isinstance(n.base, N.Var)}
        for n in walk(body):
            if isinstance(n, N.Load) and self.lane_load(n) is None:
                raise NoMatch("an access outside the lane")
        elems = {self.k.nram[b][0] for b in bufs}
        if len(elems) != 1:
            raise NoMatch("mixed element types")
        self.elem = next(iter(elems))
        self.cap = max(self.k.nram[b][1] for b in bufs)
        declared = {s.sym for s in body if isinstance(s, N.Decl)}
        assigned = {n.sym for n in walk(body) if isinstance(n, N.Assign)}
        self.accs = assigned - declared
        self.stored = {n.target.base.sym for n in walk(body) if isinstance(n, N.Store)
                       and isinstance(n.target, N.Load) and isinstance(n.target.base, N.Var)}
        # an accumulator is only touched by its own update statement
        for s in body:
            touched = free_syms(s) & self.accs
            if len(touched) > 1 or (touched and not isinstance(s, (N.Assign, N.If))):
                raise NoMatch("accumulator used elsewhere")
        if declared & assigned:
            raise NoMatch("a lane temporary is reassigned")
        for s in body:
            self.stmt(s)
        for r in list(self.live):
            self.release(r[0])
        return self.out


# ---------------------------------------------------------------------------------------------- driver
def _candidates(stmts, facts: Facts, found: list) -> None:
    """Innermost loops from 0 with step 1, with the Z3 facts that hold at each (pre-order)."""
    for s in stmts:
        if isinstance(s, N.Decl) and isinstance(s.type, Scalar) and s.init is not None and s.type.dtype.startswith(("int", "uint")):
            try:
                facts.env[s.sym] = facts.z(s.init)
            except (Unsupported, z3.Z3Exception):
                pass
        elif isinstance(s, N.For):
            inner = any(isinstance(m, (N.For, N.CFor, N.While, N.DoWhile)) for m in walk(s.body))
            try:
                v = z3.Int(f"{s.var.name}!{s.var.id}")
                dom = [v >= facts.z(s.start), v < facts.z(s.stop)]
            except (Unsupported, z3.Z3Exception):
                dom = []
            if not inner:
                if const_int(s.start, facts.defines) == 0 and const_int(s.step, facts.defines) == 1:
                    found.append((s, list(facts.assumptions), dict(facts.env)))
                continue
            saved = list(facts.assumptions)
            facts.assumptions += dom
            _candidates(s.body, facts, found)
            facts.assumptions = saved
        elif isinstance(s, N.If):
            saved = list(facts.assumptions)
            try:
                c = facts.z(s.cond)
            except (Unsupported, z3.Z3Exception):
                c = None
            if c is not None:
                facts.assumptions.append(c)
            _candidates(s.then, facts, found)
            facts.assumptions = saved + ([z3.Not(c)] if c is not None else [])
            _candidates(s.orelse, facts, found)
            facts.assumptions = saved
        elif isinstance(s, N.Block):
            _candidates(s.body, facts, found)
        elif isinstance(s, (N.CFor, N.While, N.DoWhile)):
            saved = (list(facts.assumptions), dict(facts.env))
            _candidates(s.body, facts, found)
            facts.assumptions, facts.env = saved


def _assigned_ints(func) -> set:
    return {n.sym for n in walk(func.body) if isinstance(n, N.Assign)}


def _obligation(name: str, claims: list) -> Obligation:
    def check():
        for what, claim, assume in claims:
            ok, model = prove(claim, assume)
            if not ok:
                return (False if model is not None else None), f"{what}: not proved ({model})"
        return True, f"{len(claims)} claim(s): counts equal the trip count, operands fit, constraints hold"

    return Obligation(name, check)


def applies(program: Program, ctx: PassContext) -> bool:
    return program.dialect == "bang"


def run(program: Program, ctx: PassContext) -> PassResult:
    if program.dialect != "bang":
        raise PassDeclined("tensorize (bang): the program is not bang")
    dfacts = bang_facts()
    gen = dfacts.generation()
    pats, reds = patterns(ctx.catalogue("bang"))
    module = program.module
    defines = module.defines()
    names = Names(module)
    notes, obligations = [], []
    for func in [f for f in module.funcs() if f.kind is N.FuncKind.KERNEL and not f.is_declaration]:
        nram = {}
        for a in list(module.items) + [n for n in walk(func.body) if isinstance(n, N.Alloc)]:
            if isinstance(a, N.Alloc) and a.scope is Scope.NRAM and len(a.shape) == 1 and itemsize(a.elem):
                size = const_int(a.shape[0], defines)
                if size is not None:
                    nram[a.sym] = (a.elem, size)
        used = onchip_bytes(module, func, defines)
        if not nram or used is None:
            continue
        kctx = Ctx(nram, names, dfacts.VECTOR_ADDR_ALIGN, gen.nram - used)
        facts = Facts(defines)
        found: list = []
        reassigned = _assigned_ints(func)
        _candidates(func.body, facts, found)
        replace = {}
        for loop, assumptions, env in found:
            f = Facts(defines)
            f.assumptions = assumptions
            f.env = {k: v for k, v in env.items() if k not in reassigned}
            mark = (len(kctx.temps), kctx.budget, len(kctx.emitted), list(kctx.free))
            low = LoopLowering(loop, kctx, f, pats, reds)
            try:
                stmts = low.lower()
            except (NoMatch, Unsupported, z3.Z3Exception):
                del kctx.temps[mark[0]:]
                kctx.budget = mark[1]
                del kctx.emitted[mark[2]:]
                kctx.free[:] = mark[3]
                continue
            replace[id(loop)] = stmts
            used_names = sorted(set(kctx.emitted[mark[2]:]))
            notes.append(f"tensorize: {func.name}: loop {loop.var.name} -> {', '.join(used_names)}")
            obligations.append(_obligation(f"tensorize: loop {loop.var.name} of {func.name}", low.claims))
        if not replace:
            continue

        body = swap_loops(func.body, replace)
        allocs = tuple(N.Alloc(s, el, (N.Const(size),), Scope.NRAM) for s, el, size in kctx.temps)
        module = replace_func(module, func, dataclasses.replace(func, body=allocs + tuple(body)))
    if not notes:
        raise PassDeclined("tensorize (bang): no loop over NRAM lanes matches an intrinsic")
    return PassResult(program.replace(module=module), obligations=obligations, notes=notes)
