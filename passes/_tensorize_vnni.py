"""Tensorize for the `vnni` dialect: vectorize innermost unit-stride loops of the serial form with AVX-512.

Which loops: an innermost counted loop `for (i = a; i < b; ++i)` whose body is straight-line code of
- float32 element-wise work: locals (`float x = X[i] ...`) and stores `p[f(i)] (op)= e` where every varying
  access is unit stride in `i` (affine, coefficient 1), and `e` uses + - * /, unary minus, selects on
  comparisons (`x > 0 ? x : 0` becomes `_mm512_max_ps`, others compare + blend) and loop-invariant scalars;
- float32 reductions into scalars declared outside the loop: `acc += e` (sum; fmadd for `acc += x * y`) and
  `if (x > best) best = x` / `<` (max / min);
- or only int32 dot-product reductions `acc += a[f(i)] * b[f(i)]` with `a` uint8 and `b` int8 (either order):
  `_mm512_dpbusd_epi32` over 64 bytes per step (exact: int32 wraps the same in any order).
Everything else stays scalar (math calls, doubles, gathers, integer conversions, control flow, ...).

How: the loop becomes a main loop of whole vectors (16 floats / 64 bytes per step) and one masked tail
(`_mm512_maskz_loadu_ps` / `_mm512_mask_storeu_ps`, `__mmask16 = (1u << rest) - 1u`; the tail's reduction
updates are blended so masked-off lanes keep their value). Float sums are reassociated (16 partial sums
plus `_mm512_reduce_add_ps`): equal within float tolerance, not bit for bit; max / min and the integer dot
products are exact.

Memory: distinct pointer parameters / buffers are taken not to overlap (the entry contract's buffers); a
buffer that the loop stores to must be accessed at one index expression only, else the loop stays scalar.

Obligations (Z3), per vectorized loop: the vector lanes and the tail's lanes cover the iteration space
exactly once, and the tail mask has exactly the remaining lanes (fewer than a vector).
"""

from __future__ import annotations

import dataclasses

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import Pointer, Scalar, Vector
from xpiler.ir.visit import free_syms, walk
from xpiler.ir.z3expr import affine_form
from xpiler.pipeline.passes import Obligation, PassContext, PassResult
from xpiler.pipeline.program import Program

M512 = Vector("float32", 16, "__m512")
M512I = Vector("int32", 16, "__m512i")
MASK16 = Vector("bool", 16, "__mmask16")
MASK64 = Vector("bool", 64, "__mmask64")
INT = Scalar("int32", "int")
_CMP = {">": "_CMP_GT_OQ", "<": "_CMP_LT_OQ", ">=": "_CMP_GE_OQ", "<=": "_CMP_LE_OQ", "==": "_CMP_EQ_OQ",
        "!=": "_CMP_NEQ_UQ"}
_ARITH = {"+": "_mm512_add_ps", "-": "_mm512_sub_ps", "*": "_mm512_mul_ps", "/": "_mm512_div_ps"}
_FLOATS = ("float16", "bfloat16", "float32", "float64")


class _Skip(Exception):
    """This loop stays scalar (the reason says why)."""


def applies(program: Program, ctx: PassContext) -> bool:
    return any(isinstance(n, N.For) for n in walk(program.module))


def run(program: Program, ctx: PassContext) -> PassResult:
    module = program.module
    state = _State(module)
    items = []
    for it in module.items:
        if isinstance(it, N.Func) and not it.is_declaration:
            state.enter(it)
            it = dataclasses.replace(it, body=state.block(it.body))
        items.append(it)
    notes = [f"tensorize(vnni): {state.done} loop(s) vectorized, {len(state.skipped)} left scalar"]
    notes += [f"  kept scalar: {r}" for r in state.skipped[:8]]
    if not state.done:
        return PassResult(program, notes=notes, changed=False)
    if not any(isinstance(it, N.Include) and it.path == "immintrin.h" for it in items):
        first = next((k for k, it in enumerate(items) if isinstance(it, N.Include)), 0)
        items.insert(first, N.Include("immintrin.h"))
    out = program.replace(module=dataclasses.replace(module, items=tuple(items)))
    return PassResult(out, obligations=state.obligations, notes=notes)


# ---------------------------------------------------------------------------------------------- helpers
def _c(v, dtype="int32") -> N.Const:
    return N.Const(v, dtype)


def _call(name: str, *args) -> N.Call:
    return N.Call(name, tuple(args), N.CallKind.INTRINSIC)


def _mentions(e, syms) -> bool:
    return bool(free_syms(e) & syms)


def _mask(rest: N.Expr, lanes: int) -> N.Expr:
    one = _c(1, "uint64" if lanes == 64 else "uint32")
    return N.Cast(MASK64 if lanes == 64 else MASK16, N.BinOp("-", N.BinOp("<<", one, rest), one))


class _State:
    def __init__(self, module: N.Module) -> None:
        self.defines = module.defines()
        self.globals: dict = {}
        for it in module.items:
            if isinstance(it, N.Alloc):
                self.globals[it.sym] = ("array", it.elem, len(it.shape))
            elif isinstance(it, N.Decl):
                self.globals[it.sym] = it.type
        self.done = 0
        self.skipped: list[str] = []
        self.obligations: list[Obligation] = []
        self.names: set[str] = set()

    def enter(self, f: N.Func) -> None:
        self.types = dict(self.globals)
        self.inits: dict[N.Sym, N.Expr] = {}
        for p in f.params:
            self.types[p.sym] = p.type
        for n in walk(N.Block(f.body)):
            if isinstance(n, N.Decl):
                self.types[n.sym] = n.type
                if n.init is not None:
                    self.inits[n.sym] = n.init
            elif isinstance(n, N.Alloc):
                self.types[n.sym] = ("array", n.elem, len(n.shape))
            elif isinstance(n, N.For):
                self.types[n.var] = n.var_type or INT
        self.names = {s.name for s in self.types}

    def fresh(self, stem: str) -> N.Sym:
        k, name = 0, stem
        while name in self.names:
            k, name = k + 1, f"{stem}{k}"
        self.names.add(name)
        return N.Sym(name)

    # -- walk ----------------------------------------------------------------------------------------
    def block(self, stmts) -> tuple:
        out: list = []
        for s in stmts:
            got = self.stmt(s)
            out.extend(got if isinstance(got, list) else [got])
        return tuple(out)

    def stmt(self, s):
        if isinstance(s, N.For):
            inner = any(isinstance(n, (N.For, N.CFor, N.While, N.DoWhile)) for b in s.body for n in walk(b))
            if not inner:
                try:
                    return _Loop(self, s).vectorize()
                except _Skip as e:
                    self.skipped.append(f"loop {s.var.name}: {e}")
                    return s
            return dataclasses.replace(s, body=self.block(s.body))
        if isinstance(s, (N.CFor, N.While, N.DoWhile, N.Block)):
            return dataclasses.replace(s, body=self.block(s.body))
        if isinstance(s, N.If):
            return dataclasses.replace(s, then=self.block(s.then), orelse=self.block(s.orelse))
        if isinstance(s, N.Switch):
            return dataclasses.replace(s, cases=tuple(dataclasses.replace(c, body=self.block(c.body))
                                                      for c in s.cases))
        return s

    # -- types ---------------------------------------------------------------------------------------
    def elem(self, base) -> str | None:
        if isinstance(base, N.Var):
            t = self.types.get(base.sym)
            if isinstance(t, tuple) and t[2] == 1 and isinstance(t[1], Scalar):
                return t[1].dtype
            if isinstance(t, Pointer) and isinstance(t.pointee, Scalar):
                return t.pointee.dtype
        return None

    def dtype(self, e) -> str | None:
        """The C type of a scalar expression (usual arithmetic conversions), None when unknown."""
        if isinstance(e, N.Const):
            return e.dtype
        if isinstance(e, N.Var):
            t = self.types.get(e.sym)
            if t is None and e.sym.name in self.defines:
                body = self.defines[e.sym.name].body
                return self.dtype(body) if body is not None else None
            return t.dtype if isinstance(t, Scalar) else None
        if isinstance(e, N.Load) and len(e.indices) == 1:
            return self.elem(e.base)
        if isinstance(e, N.Cast):
            return e.type.dtype if isinstance(e.type, Scalar) else None
        if isinstance(e, N.UnOp):
            return self.dtype(e.a)
        if isinstance(e, N.BinOp):
            if e.op in ("<", "<=", ">", ">=", "==", "!=", "&&", "||"):
                return "int32"
            a, b = self.dtype(e.a), self.dtype(e.b)
            if a is None or b is None:
                return None
            for d in ("float64", "float32"):
                if d in (a, b):
                    return d
            if e.op in ("<<", ">>"):
                return a
            return "int64" if "int64" in (a, b) or "uint64" in (a, b) or "size_t" in (a, b) else "int32"
        if isinstance(e, N.Select):
            a, b = self.dtype(e.a), self.dtype(e.b)
            return a if a == b else ("float64" if "float64" in (a, b) else "float32" if "float32" in (a, b)
                                     else None)
        return None

    def is_pointer(self, e) -> bool:
        if isinstance(e, N.Var):
            return isinstance(self.types.get(e.sym), (Pointer, tuple))
        if isinstance(e, N.BinOp) and e.op in ("+", "-"):
            return self.is_pointer(e.a) or self.is_pointer(e.b)
        return isinstance(e, N.Cast) and isinstance(e.type, Pointer)

    def root(self, base, depth: int = 0):
        """The buffer a pointer expression points into: a parameter, global or local array."""
        if depth > 16:
            return None
        if isinstance(base, N.Var):
            init = self.inits.get(base.sym)
            if init is not None and isinstance(self.types.get(base.sym), Pointer):
                return self.root(init, depth + 1)
            return base.sym
        if isinstance(base, N.BinOp) and base.op in ("+", "-"):
            for side in (base.a, base.b):
                if self.is_pointer(side):
                    return self.root(side, depth + 1)
        if isinstance(base, N.Cast):
            return self.root(base.value, depth + 1)
        return None


# ---------------------------------------------------------------------------------------------- one loop
class _Loop:
    def __init__(self, st: _State, loop: N.For) -> None:
        self.st, self.loop = st, loop
        self.i = loop.var
        step = loop.step
        if not (isinstance(step, N.Const) and step.value == 1):
            raise _Skip("step is not 1")
        self.varying = {self.i}
        self.locals: set[N.Sym] = set()
        self.reductions: dict[N.Sym, str] = {}  # sym -> "add" | "max" | "min" | "dot"
        self.accesses: list[N.Load] = []  # every memory access (loads and store targets)
        self.stored: set = set()
        self.uncond: list[N.Load] = []

    # -- analysis ------------------------------------------------------------------------------------
    def analyse(self) -> None:
        loop = self.loop
        if _mentions(N.Block((N.Evaluate(loop.start), N.Evaluate(loop.stop))), {self.i}):
            raise _Skip("bounds mention the loop variable")
        written = set()
        for s in loop.body:
            if isinstance(s, N.Comment):
                continue
            if isinstance(s, N.Decl):
                if s.init is None or not isinstance(s.type, Scalar):
                    raise _Skip("local without a scalar initializer")
                self.locals.add(s.sym)
                if _mentions(s.init, self.varying):
                    self.varying.add(s.sym)
                self.scan(s.init)
            elif isinstance(s, N.Store):
                if not isinstance(s.target, N.Load):
                    raise _Skip("store through a pointer expression")
                self.scan(s.target, store=True)
                self.scan(s.value)
            elif isinstance(s, N.Assign):
                if s.sym in self.locals or s.sym is self.i:
                    raise _Skip("assignment to a loop-local")
                if s.op != "+":
                    raise _Skip(f"assignment {s.op or '='} to a scalar")
                self.reduction(s.sym, "add" if self.st.dtype(N.Var(s.sym)) == "float32" else "dot")
                self.scan(s.value)
                written.add(s.sym)
            elif isinstance(s, N.If):
                sym, kind = self.minmax(s)
                self.reduction(sym, kind)
                written.add(sym)
            else:
                raise _Skip(f"{type(s).__name__} in the body")
        for s in loop.body:  # a reduction variable is read only by its own update
            for r in self.reductions:
                uses = sum(1 for n in walk(s) if isinstance(n, N.Var) and n.sym is r)
                own = isinstance(s, N.If) and s.then[0].sym is r
                if uses != (1 if own else 0):
                    raise _Skip(f"{r.name} read outside its reduction")
        if not any(isinstance(s, (N.Store, N.Assign, N.If)) for s in loop.body):
            raise _Skip("nothing to vectorize")
        if _mentions(N.Block((N.Evaluate(loop.start), N.Evaluate(loop.stop))), written | self.locals):
            raise _Skip("bounds change in the loop")
        self.check_memory()

    def reduction(self, sym, kind) -> None:
        if sym in self.reductions:
            raise _Skip(f"{sym.name} updated twice")
        t = self.st.dtype(N.Var(sym))
        if kind == "dot" and t != "int32":
            raise _Skip(f"reduction into {t}")
        if kind != "dot" and t != "float32":
            raise _Skip(f"reduction into {t}")
        self.reductions[sym] = kind

    def minmax(self, s: N.If):
        c = s.cond
        if (s.orelse or len(s.then) != 1 or not isinstance(s.then[0], N.Assign) or s.then[0].op is not None
                or not isinstance(c, N.BinOp) or c.op not in (">", "<")):
            raise _Skip("if that is not a max / min update")
        a = s.then[0]
        if not (isinstance(c.b, N.Var) and c.b.sym is a.sym and c.a == a.value):
            raise _Skip("if that is not a max / min update")
        if a.sym in self.locals:
            raise _Skip("max / min of a loop-local")
        self.scan(c.a)
        return a.sym, "max" if c.op == ">" else "min"

    def scan(self, e, store: bool = False) -> None:
        for n in walk(e):
            if isinstance(n, N.Load):
                self.accesses.append(n)
                if store and n is e:
                    self.stored.add(self.st.root(n.base))
            elif isinstance(n, N.Call):
                raise _Skip(f"call of {n.name}")
            elif isinstance(n, (N.AddrOf, N.Deref, N.Member, N.OpaqueExpr)):
                raise _Skip(f"{type(n).__name__} in the body")

    def unit(self, load: N.Load) -> bool | None:
        """True: unit stride in i; False: invariant; raises otherwise."""
        if len(load.indices) != 1 or self.st.elem(load.base) is None:
            raise _Skip("access to a multi-dimensional or untyped buffer")
        if _mentions(load.base, self.varying):
            raise _Skip("varying base pointer")
        idx = load.indices[0]
        if not _mentions(idx, self.varying):
            return False
        if _mentions(idx, self.varying - {self.i}):
            raise _Skip("index depends on a loop-local")
        f = affine_form(idx, [self.i], self.st.defines)
        k = None if f is None else f.coeff(self.i)
        if isinstance(k, z3.ExprRef):  # a coefficient that depends on a run-time size (`x[i * n]`)
            k = z3.simplify(k)
            k = k.as_long() if z3.is_int_value(k) else None
        if k != 1:
            raise _Skip("access is not unit stride")
        return True

    def check_memory(self) -> None:
        for acc in self.accesses:
            self.unit(acc)
            r = self.st.root(acc.base)
            if r is None:
                raise _Skip("unknown buffer")
            if r in self.stored:
                same = [a for a in self.accesses if self.st.root(a.base) == r]
                if any(a != same[0] for a in same) or not self.unit(acc):
                    raise _Skip(f"buffer {r.name} stored and accessed at different places")

    # -- generation ----------------------------------------------------------------------------------
    def vectorize(self):
        self.analyse()
        kinds = set(self.reductions.values())
        if "dot" in kinds:
            return self.vectorize_dot()
        width = 16
        st, loop = self.st, self.loop
        nf = st.fresh(f"{self.i.name}_vec_end")
        iv = st.fresh(f"{self.i.name}_v")
        pre, post = [N.Decl(nf, INT, self.full_end(width), const=True)], []
        vacc = {}
        for sym, kind in self.reductions.items():
            v = st.fresh(f"{sym.name}_v")
            vacc[sym] = v
            init = _call("_mm512_setzero_ps") if kind == "add" else _call("_mm512_set1_ps", N.Var(sym))
            pre.append(N.Decl(v, M512, init))
            red = _call(f"_mm512_reduce_{kind}_ps", N.Var(v))
            post.append(N.Assign(sym, red, "+") if kind == "add" else N.Assign(sym, red))
        main = N.For(iv, loop.start, N.Var(nf), _c(width), self.body(N.Var(iv), None, vacc), var_type=INT,
                     loc=loop.loc)
        k = st.fresh("tail_mask")
        rest = N.BinOp("-", loop.stop, N.Var(nf))
        tail = N.If(N.BinOp("<", N.Var(nf), loop.stop),
                    (N.Decl(k, MASK16, _mask(rest, 16), const=True),) + self.body(N.Var(nf), N.Var(k), vacc))
        self.st.done += 1
        self.prove(width, pre[0].init)
        return pre + [main, tail] + post

    def full_end(self, width: int) -> N.Expr:
        lo, hi = self.loop.start, self.loop.stop
        return N.BinOp("+", lo, N.BinOp("*", N.BinOp("/", N.BinOp("-", hi, lo), _c(width)), _c(width)))

    def body(self, iv: N.Expr, mask, vacc) -> tuple:
        self.vars: dict[N.Sym, N.Sym] = {}
        self.iv, self.mask = iv, mask
        out = []
        for s in self.loop.body:
            if isinstance(s, N.Comment):
                out.append(s)
            elif isinstance(s, N.Decl):
                if s.sym in self.varying:
                    if s.type.dtype != "float32":
                        raise _Skip(f"varying local of type {s.type.dtype}")
                    v = self.st.fresh(f"{s.sym.name}_v")
                    self.vars[s.sym] = v
                    out.append(N.Decl(v, M512, self.vx(s.init)))
                else:
                    out.append(s)
            elif isinstance(s, N.Store):
                t = s.target
                if self.st.elem(t.base) != "float32" or not self.unit(t):
                    raise _Skip("store that is not a unit-stride float store")
                v = self.vx(s.value)
                if s.op is not None:
                    if s.op not in _ARITH:
                        raise _Skip(f"compound store {s.op}=")
                    v = _call(_ARITH[s.op], self.vx(t), v)
                addr = self.addr(t)
                out.append(N.Evaluate(_call("_mm512_storeu_ps", addr, v) if mask is None else
                                      _call("_mm512_mask_storeu_ps", addr, mask, v)))
            elif isinstance(s, N.Assign):
                acc = N.Var(vacc[s.sym])
                val = s.value
                if isinstance(val, N.BinOp) and val.op == "*" and self.is_float(val.a) and self.is_float(val.b):
                    new = _call("_mm512_fmadd_ps", self.vx(val.a), self.vx(val.b), acc)
                else:
                    new = _call("_mm512_add_ps", acc, self.vx(val))
                out.append(N.Assign(vacc[s.sym], self.blend(acc, new)))
            elif isinstance(s, N.If):
                sym = s.then[0].sym
                acc = N.Var(vacc[sym])
                x = self.vx(s.cond.a)
                new = _call("_mm512_max_ps" if s.cond.op == ">" else "_mm512_min_ps", x, acc)
                out.append(N.Assign(vacc[sym], self.blend(acc, new)))
        return tuple(out)

    def blend(self, old, new):
        return new if self.mask is None else _call("_mm512_mask_blend_ps", self.mask, old, new)

    def addr(self, load: N.Load) -> N.Expr:
        idx = _subst(load.indices[0], self.i, self.iv)
        return N.AddrOf(N.Load(load.base, (idx,)))

    def is_float(self, e) -> bool:
        return self.st.dtype(e) == "float32" or _mentions(e, self.varying)

    def vx(self, e) -> N.Expr:
        """`e` (a float32 lane value) as an __m512 expression."""
        if not _mentions(e, self.varying):
            d = self.st.dtype(e)
            if d is None or d in ("float64", "float16", "bfloat16"):
                raise _Skip(f"invariant of type {d}")
            return _call("_mm512_set1_ps", e if d == "float32" else N.Cast(Scalar("float32", "float"), e))
        if isinstance(e, N.Var) and e.sym in self.vars:
            return N.Var(self.vars[e.sym])
        if isinstance(e, N.Load):
            if self.st.elem(e.base) != "float32":
                raise _Skip("varying load that is not float32")
            if self.mask is None:
                return _call("_mm512_loadu_ps", self.addr(e))
            return _call("_mm512_maskz_loadu_ps", self.mask, self.addr(e))
        if isinstance(e, N.BinOp) and e.op in _ARITH:
            return _call(_ARITH[e.op], self.vx(e.a), self.vx(e.b))
        if isinstance(e, N.UnOp) and e.op in ("-", "+"):
            v = self.vx(e.a)
            return v if e.op == "+" else _call("_mm512_mul_ps", v, _call("_mm512_set1_ps", _c(-1.0, "float32")))
        if isinstance(e, N.Cast) and isinstance(e.type, Scalar) and e.type.dtype == "float32" \
                and self.st.dtype(e.value) == "float32":
            return self.vx(e.value)
        if isinstance(e, N.Select) and isinstance(e.cond, N.BinOp) and e.cond.op in _CMP:
            c = e.cond
            for br in (e.a, e.b):  # both branches are evaluated: their loads must be made anyway
                for n in walk(br):
                    if isinstance(n, N.Load) and not any(n == m for m in walk(c)):
                        raise _Skip("load under a select")
            if c.op == ">" and c.a == e.a and c.b == e.b:
                return _call("_mm512_max_ps", self.vx(c.a), self.vx(c.b))
            if c.op == "<" and c.a == e.a and c.b == e.b:
                return _call("_mm512_min_ps", self.vx(c.a), self.vx(c.b))
            k = _call("_mm512_cmp_ps_mask", self.vx(c.a), self.vx(c.b), N.Var(N.Sym(_CMP[c.op])))
            return _call("_mm512_mask_blend_ps", k, self.vx(e.b), self.vx(e.a))
        raise _Skip(f"{type(e).__name__} {getattr(e, 'op', '')} has no vector form")

    # -- int8 dot products ---------------------------------------------------------------------------
    def vectorize_dot(self):
        st, loop = self.st, self.loop
        terms = {}
        for s in loop.body:
            if isinstance(s, N.Comment):
                continue
            if not (isinstance(s, N.Assign) and self.reductions.get(s.sym) == "dot"):
                raise _Skip("int8 dot product mixed with other work")
            terms[s.sym] = self.u8s8(s.value)
        width = 64
        nf = st.fresh(f"{self.i.name}_vec_end")
        iv = st.fresh(f"{self.i.name}_v")
        pre, post = [N.Decl(nf, INT, self.full_end(width), const=True)], []
        vacc = {}
        for sym in terms:
            vacc[sym] = st.fresh(f"{sym.name}_v")
            pre.append(N.Decl(vacc[sym], M512I, _call("_mm512_setzero_si512")))
            post.append(N.Assign(sym, _call("_mm512_reduce_add_epi32", N.Var(vacc[sym])), "+"))

        def body(at, mask):
            self.iv = at
            out = []
            for sym, (u, s8) in terms.items():
                ld = [(_call("_mm512_loadu_si512", self.addr(x)) if mask is None else
                       _call("_mm512_maskz_loadu_epi8", mask, self.addr(x))) for x in (u, s8)]
                out.append(N.Assign(vacc[sym], _call("_mm512_dpbusd_epi32", N.Var(vacc[sym]), *ld)))
            return tuple(out)

        main = N.For(iv, loop.start, N.Var(nf), _c(width), body(N.Var(iv), None), var_type=INT, loc=loop.loc)
        k = st.fresh("tail_mask")
        tail = N.If(N.BinOp("<", N.Var(nf), loop.stop),
                    (N.Decl(k, MASK64, _mask(N.BinOp("-", loop.stop, N.Var(nf)), 64), const=True),)
                    + body(N.Var(nf), N.Var(k)))
        self.st.done += 1
        self.prove(width, pre[0].init)
        return pre + [main, tail] + post

    def u8s8(self, e):
        """(u8 load, s8 load) of `e` = u8 * s8 (with integer promotions or casts to int32), else skip."""
        if not (isinstance(e, N.BinOp) and e.op == "*"):
            raise _Skip("integer reduction that is not a u8 x s8 product")
        parts = []
        for x in (e.a, e.b):
            while isinstance(x, N.Cast) and isinstance(x.type, Scalar) and x.type.dtype in ("int32",):
                x = x.value
            if not (isinstance(x, N.Load) and self.unit(x)):
                raise _Skip("dot-product operand is not a unit-stride load")
            parts.append((self.st.elem(x.base), x))
        kinds = {d: x for d, x in parts}
        if set(kinds) != {"uint8", "int8"}:
            raise _Skip("dot product is not u8 x s8")
        return kinds["uint8"], kinds["int8"]

    # -- obligations ---------------------------------------------------------------------------------
    def prove(self, width: int, end: N.Expr) -> None:
        """`end` is the emitted end of the whole vectors (the tail starts there)."""
        loop, defines = self.loop, self.st.defines
        name = f"vnni lanes of loop {self.i.name} cover [start, stop) once; tail mask exact (width {width})"

        def check():
            from xpiler.ir.z3expr import to_z3

            try:
                env: dict = {}
                lo, hi = to_z3(loop.start, env, defines), to_z3(loop.stop, env, defines)
                nf = to_z3(end, env, defines)
            except Exception as e:  # noqa: BLE001 - not modelable: undecided
                return None, f"bounds not modelable: {e}"
            x, j, lane, j2, lane2 = z3.Ints("x j lane j2 lane2")

            def main(j, lane):  # lane `lane` of the whole vector starting at lo + width * j
                return z3.And(j >= 0, lo + width * j < nf, lane >= 0, lane < width)

            def tail(lane):
                return z3.And(nf < hi, lane >= 0, lane < hi - nf)

            pos = lo + width * j + lane
            jw, lw = (x - lo) / width, (x - lo) % width  # the lane that holds iteration x (x >= lo)
            # universally quantified over the free j, lane, j2, lane2, x (proved by refuting the negation)
            claims = [
                # in range: every lane of a whole vector and of the tail lies in [lo, hi)
                z3.Implies(main(j, lane), z3.And(lo <= pos, pos < nf, nf <= hi)),
                z3.Implies(tail(lane), z3.And(lo <= nf + lane, nf + lane < hi)),
                # covered: iteration x is lane lw of vector jw below nf, else lane x - nf of the tail
                z3.Implies(z3.And(lo <= x, x < hi, x < nf), z3.And(main(jw, lw), lo + width * jw + lw == x)),
                z3.Implies(z3.And(lo <= x, x < hi, x >= nf), tail(x - nf)),
                # once: distinct vector lanes are distinct iterations (and all lie below the tail's nf)
                z3.Implies(z3.And(main(j, lane), main(j2, lane2), pos == lo + width * j2 + lane2),
                           z3.And(j == j2, lane == lane2)),
                # the tail mask (1 << rest) - 1 keeps exactly rest lanes, 0 < rest < width
                z3.Implies(nf < hi, z3.And(hi - nf > 0, hi - nf < width)),
            ]
            s = z3.Solver()
            s.set("timeout", 5000)
            s.add(z3.Not(z3.And(*claims)))
            r = s.check()
            if r == z3.unsat:
                return True, "proved"
            return (False, f"counterexample {s.model()}") if r == z3.sat else (None, "z3 gave up")

        self.st.obligations.append(Obligation(name, check))


def _subst(e, sym, value):
    from xpiler.ir.visit import substitute

    return substitute(e, {sym: value})
