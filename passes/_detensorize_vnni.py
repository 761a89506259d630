"""Detensorize for the `vnni` dialect: AVX-512 / VNNI intrinsics -> scalar C (the serial form, dialect `c`).

What it does, structurally (never by names of kernels or files):
- every vector variable (`__m512`, `__m512i`, `__m256i`, `__m128i`, ...) becomes a local array of its lanes in
  the natural element view (`float[16]`, `int32_t[16]`); an array of vectors gets one more, innermost, extent;
  mask types (`__mmask16`, `__mmask64`) become unsigned integers of their width;
- every intrinsic call becomes the scalar loop form of its catalogue entry (`backends/vnni/intrinsics.py`),
  with the operands bound to lane accessors. An operand viewed with another element width than its storage
  (`dpbusd` reads an int32-lane register as 64 u8 / s8 bytes; `_mm512_loadu_si512` from an int8 pointer
  fills 64 bytes) is read by shifting / composing bytes (little endian), so no type punning is needed;
- horizontal reductions keep the hardware's (GCC's) pairwise order (halves 8, 4, 2, 1), so float results are
  bit-identical to the intrinsic; integer adds are done in uint32 (wrapping, no UB); fmadd is `fmaf`;
- helper functions taking or returning vectors take pointers to lane arrays instead (a vector result is an
  extra trailing output parameter); the entry function's signature never changes (it has no vectors);
- scalar-valued intrinsics inside expressions (`_mm512_reduce_add_ps(s) / N`) are computed into temporaries
  just before their statement.

Limits (the pass declines, changing nothing): an intrinsic without a catalogue entry or loop form, vector
values in conditional sub-expressions (`?:`, `&&`, `||`) or loop headers, float <-> int reinterpretation of a
register, vector pointers, vectors in opaque code.
"""

from __future__ import annotations

import ast
import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir.types import Pointer, Scalar, Scope, Type, Vector
from xpiler.ir.visit import Rewriter, child_fields, free_syms, is_node, walk
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

OUT_DIALECT = "c"
_MASK_INT = {8: "uint8", 16: "uint16", 32: "uint32", 64: "uint64"}
# categories whose lane j of the result depends only on lane j of the register operands (safe in place)
_LANE_LOCAL = ("elementwise", "select", "convert", "dot", "fill")
_INT = Scalar("int32", "int")


def _is_vnni_node(n) -> bool:
    return (isinstance(n, N.Call) and n.kind is N.CallKind.INTRINSIC) or isinstance(n, Vector)


def run(program: Program, ctx: PassContext) -> PassResult:
    cat = ctx.catalogue("vnni")
    module = program.module
    lower = _ModuleLowering(cat, module)
    items = []
    for it in module.items:
        if isinstance(it, N.Include) and it.path == "immintrin.h":
            continue
        items.append(lower.item(it))
    have = {it.path for it in items if isinstance(it, N.Include)}
    extra = [N.Include(h) for h in ("math.h", "stdint.h") if h not in have]
    first = next((k for k, it in enumerate(items) if isinstance(it, N.Include)), 0)
    items[first:first] = extra
    new = dataclasses.replace(module, dialect=OUT_DIALECT, items=tuple(items))
    left = [n for n in walk(new) if _is_vnni_node(n)]
    if left:
        raise PassDeclined(f"detensorize(vnni): could not lower {type(left[0]).__name__} {getattr(left[0], 'name', '')}")
    out = program.replace(module=new, dialect=OUT_DIALECT)
    return PassResult(out, obligations=[Obligation("no intrinsics or vector types left",
                                                   lambda: (not any(_is_vnni_node(n) for n in walk(new)),
                                                            f"{lower.count} intrinsic calls lowered"))],
                      notes=[(f"detensorize(vnni): {lower.count} intrinsic calls -> scalar lane loops; "
                              f"{lower.nvec} vector variables -> lane arrays")])


# ---------------------------------------------------------------------------------------------- values
@dataclass
class Vec:
    """A vector value held in memory: `acc(i)` is lane i (of the storage element type), `base` the
    expression naming the lane array (decays to a pointer) or None."""

    acc: Callable[[N.Expr], N.Expr]
    elem: str
    lanes: int
    base: N.Expr | None = None


def _storage(t: Vector) -> tuple[str, int]:
    return t.elem, t.lanes


def _is_mask(t) -> bool:
    return isinstance(t, Vector) and t.elem == "bool"


def _is_vec(t) -> bool:
    return isinstance(t, Vector) and t.elem != "bool"


def _mask_scalar(t: Vector) -> Scalar:
    return Scalar(_MASK_INT.get(t.lanes, "uint64"))


def _c(v: int) -> N.Const:
    return N.Const(v, "int32")


def _lane_loop(n: int, body: Callable[[N.Expr], list], name: str = "l") -> N.For:
    v = N.Sym(name)
    return N.For(v, _c(0), _c(n), _c(1), tuple(body(N.Var(v))), var_type=_INT)


def view(v: Vec, vd: str, i: N.Expr) -> N.Expr:
    """Element i of register `v` viewed as dtype `vd` (same total width, little endian)."""
    se, sz, vz = v.elem, dtypes.itemsize(v.elem), dtypes.itemsize(vd)
    if se == vd:
        return v.acc(i)
    if _is_float(se) != _is_float(vd):
        raise PassDeclined(f"detensorize(vnni): {se} register read as {vd} (reinterpretation)")
    if sz == vz:
        return N.Cast(Scalar(vd), v.acc(i))
    if sz > vz:  # wide storage, narrow view: shift the lane right
        r = sz // vz
        word = "uint64" if sz == 8 else "uint32"
        lane = N.Cast(Scalar(word), v.acc(N.BinOp("/", i, _c(r))))
        shift = N.BinOp("*", _c(8 * vz), N.BinOp("%", i, _c(r)))
        return N.Cast(Scalar(vd), N.BinOp(">>", lane, shift))
    r = vz // sz  # narrow storage, wide view: compose bytes
    word = "uint64" if vz == 8 else "uint32"
    unsigned = {1: "uint8", 2: "uint16", 4: "uint32"}[sz]
    acc = None
    for t in range(r):
        part = N.Cast(Scalar(word), N.Cast(Scalar(unsigned), v.acc(N.BinOp("+", N.BinOp("*", i, _c(r)), _c(t)))))
        if t:
            part = N.BinOp("<<", part, _c(8 * sz * t))
        acc = part if acc is None else N.BinOp("|", acc, part)
    return N.Cast(Scalar(vd), acc)


def _is_float(d: str) -> bool:
    return d in ("float16", "bfloat16", "float32", "float64")


# ---------------------------------------------------------------------------------------------- reductions
def _tree_reduce(kind: str, dt: str):
    """GCC's order for `_mm512_reduce_<kind>`: r[i] op= r[i + w] for w = 8, 4, 2, 1; result r[0]."""
    def form(a, ret):
        r = N.Sym("red")
        wide = "uint32" if (kind == "add" and dt != "float32") else dt

        def rd(i):
            return N.Load(N.Var(r), (i,))

        def comb(x, y):
            if kind == "add":
                return N.BinOp("+", x, y)
            return N.Select(N.BinOp(">" if kind == "max" else "<", y, x), y, x)

        out = [N.Alloc(r, Scalar(wide), (_c(16),), Scope.LOCAL),
               _lane_loop(16, lambda i: [N.Store(rd(i), N.Cast(Scalar(wide), N.Load(a, (i,))) if wide != dt
                                                 else N.Load(a, (i,)))])]
        for w in (8, 4, 2, 1):
            out.append(_lane_loop(w, lambda i, w=w: [N.Store(rd(i), comb(rd(i), rd(N.BinOp("+", i, _c(w)))))]))
        res = rd(_c(0))
        out.append(N.Store(N.Load(ret, (_c(0),)), N.Cast(Scalar(dt), res) if wide != dt else res))
        return tuple(out)

    return form


def _wrap_binary(op: str):
    def form(a, b, ret):
        u = Scalar("uint32")
        return (_lane_loop(16, lambda i: [N.Store(N.Load(ret, (i,)), N.Cast(Scalar("int32"), N.BinOp(
            op, N.Cast(u, N.Load(a, (i,))), N.Cast(u, N.Load(b, (i,))))))]),)

    return form


_OVERRIDES = {
    "_mm512_reduce_add_ps": _tree_reduce("add", "float32"),
    "_mm512_reduce_max_ps": _tree_reduce("max", "float32"),
    "_mm512_reduce_min_ps": _tree_reduce("min", "float32"),
    "_mm512_reduce_add_epi32": _tree_reduce("add", "int32"),
    "_mm512_add_epi32": _wrap_binary("+"),
    "_mm512_sub_epi32": _wrap_binary("-"),
}


# ---------------------------------------------------------------------------------------------- module
@dataclass
class _Sig:
    """How a helper function with vector parameters / result is called after lowering."""

    vec_params: dict  # position -> (elem, lanes)
    ret: tuple[str, int] | None


class _ModuleLowering:
    def __init__(self, cat, module: N.Module) -> None:
        self.cat = cat
        self.count = 0
        self.nvec = 0
        self.globals: dict[N.Sym, Type | tuple] = {}
        for it in module.items:
            if isinstance(it, N.Alloc):
                self.globals[it.sym] = ("array", it.elem, len(it.shape))
            elif isinstance(it, N.Decl):
                self.globals[it.sym] = it.type
                if _is_vec(it.type):
                    raise PassDeclined("detensorize(vnni): global vector variable")
        self.sigs: dict[str, _Sig] = {}
        self.rets = {f.name: f.ret for f in module.funcs()}
        self.names = {s.name for s in _syms_of(module)} | {f.name for f in module.funcs()}
        for f in module.funcs():
            vp = {k: _storage(p.type) for k, p in enumerate(f.params) if _is_vec(p.type)}
            ret = _storage(f.ret) if _is_vec(f.ret) else None
            if vp or ret:
                self.sigs[f.name] = _Sig(vp, ret)

    def item(self, it):
        if isinstance(it, N.Func):
            return _FuncLowering(self, it).run()
        if isinstance(it, (N.Decl, N.Alloc)) and any(_is_vec(n) for n in walk(it)):
            raise PassDeclined("detensorize(vnni): vector type at module level")
        return _retype(it)


def _retype(node):
    """Mask types -> unsigned integers everywhere under `node` (types of casts, decls, params, pointers)."""
    if isinstance(node, Vector) and node.elem == "bool":
        return _mask_scalar(node)
    if isinstance(node, tuple):
        new = tuple(_retype(x) for x in node)
        return node if all(a is b for a, b in zip(new, node)) else new
    if is_node(node) and not isinstance(node, N.Sym):
        changes = {}
        for name in child_fields(type(node)):
            v = getattr(node, name)
            nv = _retype(v)
            if nv is not v:
                changes[name] = nv
        return dataclasses.replace(node, **changes) if changes else node
    return node


# ---------------------------------------------------------------------------------------------- functions
@dataclass
class _Dest:
    """Where a vector result goes: lane array `sym` indexed by `idx` (+ the lane)."""

    sym: N.Sym
    idx: tuple
    elem: str
    lanes: int

    def acc(self, i):
        return N.Load(N.Var(self.sym), self.idx + (i,))

    @property
    def expr(self):
        return N.Load(N.Var(self.sym), self.idx) if self.idx else N.Var(self.sym)

    def vec(self) -> Vec:
        return Vec(self.acc, self.elem, self.lanes, self.expr)


class _FuncLowering:
    def __init__(self, mod: _ModuleLowering, f: N.Func) -> None:
        self.mod, self.f, self.cat = mod, f, mod.cat
        self.vecs: dict[N.Sym, tuple[str, int, int]] = {}  # sym -> (elem, lanes, array rank)
        self.types: dict[N.Sym, Type | tuple] = dict(mod.globals)
        self.ret_ptr: N.Sym | None = None
        self.ret_vec: tuple[str, int] | None = None
        self.names = itertools.count()
        for p in f.params:
            self.types[p.sym] = p.type
        for n in walk(N.Block(f.body)):
            if isinstance(n, N.Decl):
                self.types[n.sym] = n.type
            elif isinstance(n, N.Alloc):
                self.types[n.sym] = ("array", n.elem, len(n.shape))
            elif isinstance(n, N.For):
                self.types[n.var] = n.var_type or _INT

    def fresh(self, stem: str) -> N.Sym:
        return N.Sym(f"{stem}{next(self.names)}")

    # -- the function ------------------------------------------------------------------------------
    def run(self) -> N.Func:
        f = self.f
        params, prologue = [], []
        assigned = {n.sym for n in walk(N.Block(f.body)) if isinstance(n, N.Assign)}
        for p in f.params:
            if _is_vec(p.type):
                elem, lanes = _storage(p.type)
                self.mod.nvec += 1
                self.vecs[p.sym] = (elem, lanes, 0)
                if p.sym in assigned:  # by-value parameter the body modifies: work on a local copy
                    src = N.Sym(p.sym.name + "_in")
                    params.append(N.Param(src, Pointer(Scalar(elem), const=True)))
                    prologue.append(N.Alloc(p.sym, Scalar(elem), (_c(lanes),), Scope.LOCAL))
                    prologue.append(_lane_loop(lanes, lambda i, d=p.sym, s=src: [
                        N.Store(N.Load(N.Var(d), (i,)), N.Load(N.Var(s), (i,)))]))
                else:
                    params.append(N.Param(p.sym, Pointer(Scalar(elem), const=True)))
            elif isinstance(p.type, Vector) or (isinstance(p.type, Pointer) and isinstance(p.type.pointee, Vector)):
                if _is_mask(p.type):
                    params.append(dataclasses.replace(p, type=_mask_scalar(p.type)))
                else:
                    raise PassDeclined("detensorize(vnni): pointer to vector parameter")
            else:
                params.append(p)
        ret = f.ret
        if _is_vec(f.ret):
            self.ret_vec = _storage(f.ret)
            self.ret_ptr = N.Sym("ret_lanes")
            params.append(N.Param(self.ret_ptr, Pointer(Scalar(self.ret_vec[0]))))
            ret = Scalar("void")
        elif _is_mask(f.ret):
            ret = _mask_scalar(f.ret)
        if f.is_declaration:
            return dataclasses.replace(f, params=tuple(params), ret=ret)
        body = tuple(prologue) + self.block(f.body)
        out = dataclasses.replace(f, params=tuple(params), ret=ret, body=body)
        _unique_names(out, _syms_of(f), self.mod.names)
        return out

    def block(self, stmts) -> tuple:
        out: list = []
        for s in stmts:
            out.extend(self.stmt(s))
        return tuple(out)

    # -- statements --------------------------------------------------------------------------------
    def stmt(self, s) -> list:
        pre: list = []
        if isinstance(s, N.Decl):
            if _is_vec(s.type):
                elem, lanes = _storage(s.type)
                self.vecs[s.sym] = (elem, lanes, 0)
                self.mod.nvec += 1
                out = [N.Alloc(s.sym, Scalar(elem), (_c(lanes),), Scope.LOCAL, align=64, loc=s.loc)]
                if s.init is not None:
                    self.assign(_Dest(s.sym, (), elem, lanes), s.init, out)
                return out
            self._no_vector_type(s.type)
            init = None if s.init is None else self.scalar(s.init, pre)
            return pre + [_retype(dataclasses.replace(s, init=init))]
        if isinstance(s, N.Alloc):
            if _is_vec(s.elem):
                if s.init is not None:
                    raise PassDeclined("detensorize(vnni): initialized vector array")
                elem, lanes = _storage(s.elem)
                self.vecs[s.sym] = (elem, lanes, len(s.shape))
                self.mod.nvec += 1
                return [dataclasses.replace(s, elem=Scalar(elem), shape=s.shape + (_c(lanes),), scope=Scope.LOCAL,
                                            align=s.align or 64)]
            self._no_vector_type(s.elem)
            return [_retype(s)]
        if isinstance(s, N.Assign):
            if s.sym in self.vecs:
                if s.op is not None:
                    raise PassDeclined("detensorize(vnni): compound assignment of a vector")
                elem, lanes, rank = self.vecs[s.sym]
                self.assign(_Dest(s.sym, (), elem, lanes), s.value, pre)
                return pre
            return pre + [dataclasses.replace(s, value=self.scalar(s.value, pre))]
        if isinstance(s, N.Store):
            t = s.target
            if isinstance(t, N.Load) and isinstance(t.base, N.Var) and t.base.sym in self.vecs:
                elem, lanes, rank = self.vecs[t.base.sym]
                if len(t.indices) != rank or s.op is not None:
                    raise PassDeclined("detensorize(vnni): partial store into a vector array")
                idx = tuple(self.scalar(i, pre) for i in t.indices)
                self.assign(_Dest(t.base.sym, idx, elem, lanes), s.value, pre)
                return pre
            target = self.scalar(t, pre)
            return pre + [dataclasses.replace(s, target=target, value=self.scalar(s.value, pre))]
        if isinstance(s, N.Evaluate):
            v = s.value
            if isinstance(v, N.Call) and v.kind is N.CallKind.INTRINSIC:
                self.materialize(v, pre)
                return pre
            if isinstance(v, N.Call) and v.name in self.mod.sigs and self.mod.sigs[v.name].ret is not None:
                self.call_func(v, pre)
                return pre
            return pre + [dataclasses.replace(s, value=self.scalar(v, pre))]
        if isinstance(s, N.Return):
            if self.ret_ptr is not None and s.value is not None:
                elem, lanes = self.ret_vec
                self.assign(_Dest(self.ret_ptr, (), elem, lanes), s.value, pre)
                return pre + [N.Return(None, loc=s.loc)]
            if s.value is None:
                return [s]
            return pre + [dataclasses.replace(s, value=self.scalar(s.value, pre))]
        if isinstance(s, N.If):
            cond = self.scalar(s.cond, pre)
            return pre + [dataclasses.replace(s, cond=cond, then=self.block(s.then), orelse=self.block(s.orelse))]
        if isinstance(s, N.Switch):
            value = self.scalar(s.value, pre)
            cases = tuple(dataclasses.replace(c, body=self.block(c.body)) for c in s.cases)
            return pre + [dataclasses.replace(s, value=value, cases=cases)]
        if isinstance(s, N.For):
            return [dataclasses.replace(s, start=self.header(s.start), stop=self.header(s.stop),
                                        step=self.header(s.step), body=self.block(s.body))]
        if isinstance(s, N.CFor):
            init = self.block(s.init)
            if len(init) != len(s.init) or any(isinstance(x, N.Alloc) for x in init):
                raise PassDeclined("detensorize(vnni): vector code in a for-loop header")
            update = self.block(s.update)
            if len(update) != len(s.update):
                raise PassDeclined("detensorize(vnni): vector code in a for-loop header")
            cond = None if s.cond is None else self.header(s.cond)
            return [dataclasses.replace(s, init=init, cond=cond, update=update, body=self.block(s.body))]
        if isinstance(s, (N.While, N.DoWhile)):
            return [dataclasses.replace(s, cond=self.header(s.cond), body=self.block(s.body))]
        if isinstance(s, N.Block):
            return [dataclasses.replace(s, body=self.block(s.body))]
        if isinstance(s, N.Opaque):
            if any(x in self.vecs for x in (*s.reads, *s.writes)):
                raise PassDeclined("detensorize(vnni): vector used by opaque code")
            return [s]
        return [_retype(s)]

    def header(self, e):
        pre: list = []
        out = self.scalar(e, pre)
        if pre:
            raise PassDeclined("detensorize(vnni): intrinsic in a loop header")
        return out

    @staticmethod
    def _no_vector_type(t) -> None:
        if isinstance(t, Pointer) and _is_vec(t.pointee):
            raise PassDeclined("detensorize(vnni): pointer to a vector type")

    # -- scalar expressions ------------------------------------------------------------------------
    def scalar(self, e, pre: list, guarded: bool = False):
        """`e` with scalar-valued intrinsics (and helper calls with vector arguments) computed into
        temporaries appended to `pre`; mask types become integers."""
        if isinstance(e, N.Call) and (e.kind is N.CallKind.INTRINSIC or e.name in self.mod.sigs):
            if guarded:
                raise PassDeclined("detensorize(vnni): intrinsic in a conditional sub-expression")
            got = self.materialize(e, pre) if e.kind is N.CallKind.INTRINSIC else self.call_func(e, pre)
            if isinstance(got, Vec) or got is None:
                raise PassDeclined(f"detensorize(vnni): vector value of {e.name} used as a scalar")
            return got
        if isinstance(e, N.Var) and e.sym in self.vecs:
            raise PassDeclined(f"detensorize(vnni): vector {e.sym.name} used as a scalar")
        if isinstance(e, N.Load) and isinstance(e.base, N.Var) and e.base.sym in self.vecs:
            raise PassDeclined(f"detensorize(vnni): vector {e.base.sym.name} used as a scalar")
        if isinstance(e, N.Cast):
            if _is_vec(e.type):
                raise PassDeclined("detensorize(vnni): cast to a vector type")
            t = _mask_scalar(e.type) if _is_mask(e.type) else e.type
            return dataclasses.replace(e, type=t, value=self.scalar(e.value, pre, guarded))
        if isinstance(e, N.Select):
            return dataclasses.replace(e, cond=self.scalar(e.cond, pre, guarded), a=self.scalar(e.a, pre, True),
                                       b=self.scalar(e.b, pre, True))
        if isinstance(e, N.BinOp) and e.op in ("&&", "||"):
            return dataclasses.replace(e, a=self.scalar(e.a, pre, guarded), b=self.scalar(e.b, pre, True))
        if not is_node(e) or isinstance(e, Type):
            return e
        changes = {}
        for name in child_fields(type(e)):
            v = getattr(e, name)
            if isinstance(v, tuple):
                nv = tuple(self.scalar(x, pre, guarded) if isinstance(x, N.Expr) else x for x in v)
                if nv != v:
                    changes[name] = nv
            elif isinstance(v, N.Expr):
                nv = self.scalar(v, pre, guarded)
                if nv is not v:
                    changes[name] = nv
        return dataclasses.replace(e, **changes) if changes else e

    # -- vector expressions ------------------------------------------------------------------------
    def vec(self, e, pre: list) -> Vec:
        """The vector value of expression `e` (materialized into a temporary when it is computed)."""
        if isinstance(e, N.Var) and e.sym in self.vecs:
            elem, lanes, rank = self.vecs[e.sym]
            if rank == 0:
                return _Dest(e.sym, (), elem, lanes).vec()
        if isinstance(e, N.Load) and isinstance(e.base, N.Var) and e.base.sym in self.vecs:
            elem, lanes, rank = self.vecs[e.base.sym]
            if len(e.indices) == rank:
                return _Dest(e.base.sym, tuple(self.scalar(i, pre) for i in e.indices), elem, lanes).vec()
        if isinstance(e, N.Call) and e.kind is N.CallKind.INTRINSIC:
            got = self.materialize(e, pre)
            if isinstance(got, Vec):
                return got
        if isinstance(e, N.Call) and e.name in self.mod.sigs and self.mod.sigs[e.name].ret is not None:
            return self.call_func(e, pre)
        raise PassDeclined(f"detensorize(vnni): unsupported vector expression {type(e).__name__}")

    def temp(self, elem: str, lanes: int, pre: list, stem: str = "v") -> _Dest:
        s = self.fresh(stem)
        pre.append(N.Alloc(s, Scalar(elem), (_c(lanes),), Scope.LOCAL, align=64))
        return _Dest(s, (), elem, lanes)

    def copy(self, dest: _Dest, v: Vec, pre: list) -> None:
        pre.append(_lane_loop(dest.lanes, lambda i: [N.Store(dest.acc(i), view(v, dest.elem, i))]))

    def assign(self, dest: _Dest, value, pre: list) -> None:
        if isinstance(value, N.Call) and value.kind is N.CallKind.INTRINSIC:
            got = self.materialize(value, pre, into=dest)
            if got is None:
                return
        elif isinstance(value, N.Call) and value.name in self.mod.sigs and self.mod.sigs[value.name].ret:
            got = self.call_func(value, pre, into=dest)
            if got is None:
                return
        else:
            got = self.vec(value, pre)
        if not isinstance(got, Vec):
            raise PassDeclined("detensorize(vnni): scalar assigned to a vector")
        self.copy(dest, got, pre)

    def _can_write_into(self, dest: _Dest | None, elem: str, lanes: int, reads: list) -> bool:
        if dest is None or dest.elem != elem or dest.lanes != lanes:
            return False
        for r in reads:
            if dest.sym in free_syms(r) and r != dest.expr:
                return False
        return True

    # -- helper functions with vector parameters -----------------------------------------------------
    def call_func(self, call: N.Call, pre: list, into: _Dest | None = None):
        sig = self.mod.sigs[call.name]
        args = []
        for k, a in enumerate(call.args):
            if k in sig.vec_params:
                elem, lanes = sig.vec_params[k]
                v = self.vec(a, pre)
                if v.base is None or v.elem != elem:
                    t = self.temp(elem, lanes, pre)
                    self.copy(t, v, pre)
                    v = t.vec()
                args.append(v.base)
            else:
                args.append(self.scalar(a, pre))
        if sig.ret is None:
            return dataclasses.replace(call, args=tuple(args))
        elem, lanes = sig.ret
        direct = self._can_write_into(into, elem, lanes, list(call.args))
        dest = into if direct else self.temp(elem, lanes, pre, "r")
        pre.append(N.Evaluate(dataclasses.replace(call, args=tuple(args) + (dest.expr,))))
        return None if direct else dest.vec()

    # -- intrinsics --------------------------------------------------------------------------------
    def materialize(self, call: N.Call, pre: list, into: _Dest | None = None):
        """Append the scalar code of intrinsic `call` to `pre`. Returns the Vec holding a vector result
        (None when it was written straight into `into`), the temporary holding a scalar result, or None
        for a void intrinsic."""
        e = self.cat.get(call.name)
        form = _OVERRIDES.get(call.name) or (e.loop_form if e is not None else None)
        if e is None or form is None:
            raise PassDeclined(f"detensorize(vnni): no loop form for {call.name}")
        self.mod.count += 1
        pseudo = set(e.extra.get("pseudo", ()))
        ops = [o for o in e.operands if o.name not in pseudo]
        optional = set(e.extra.get("optional", ()))
        if len(call.args) > len(ops) or len(call.args) < len([o for o in ops if o.name not in optional]):
            raise PassDeclined(f"detensorize(vnni): {call.name} called with {len(call.args)} arguments")
        kwargs: dict = {}
        inputs: dict[N.Sym, tuple[Vec, str | None]] = {}
        reads: list = []
        ptr_dtype = None
        itemsize = None
        for o, a in zip(ops, call.args):
            if o.role == "enum":
                kwargs[o.name] = a
            elif o.scopes and o.scopes[0] is Scope.LOCAL:
                v = self.vec(a, pre)
                ph = N.Sym(o.name)
                inputs[ph] = (v, o.dtypes[0] if o.dtypes else None)
                kwargs[o.name] = N.Var(ph)
                reads.append(a)
            elif o.scopes:
                p = self.scalar(a, pre)
                d = self.pointee(p)
                if not o.dtypes:
                    if d is None or d in ("void", "bool", "char"):
                        p, d = N.Cast(Pointer(Scalar("uint8"), const=o.role == "in"), p), "uint8"
                    itemsize = dtypes.itemsize(d)
                ptr_dtype = d if d is not None else o.dtypes[0]
                kwargs[o.name] = self.bind(p, None, pre)
            else:
                x = self.scalar(a, pre)
                kwargs[o.name] = self.bind(x, o.dtypes[0] if len(o.dtypes) == 1 else None, pre)
        if "type_params" in e.extra:
            kwargs["itemsize"] = itemsize or e.extra["type_params"].get("itemsize", 4)
        out_dest = None
        scalar_ret = None
        if "ret" in pseudo:
            ro = e.operand("ret")
            rd = ro.dtypes[0] if ro.dtypes else ptr_dtype
            if rd is None:
                raise PassDeclined(f"detensorize(vnni): element type of {call.name}'s result unknown")
            count = _count(ro.count, kwargs.get("itemsize", 4))
            ph_ret = N.Sym("ret")
            kwargs["ret"] = N.Var(ph_ret)
            if count == 1:
                scalar_ret = self.fresh("s")
                pre.append(N.Decl(scalar_ret, Scalar(rd)))
            elif e.category in _LANE_LOCAL and self._can_write_into(into, rd, count, reads):
                out_dest = into
            else:
                out_dest = self.temp(rd, count, pre)
        else:
            ph_ret = None
        for ph, (v, vd) in list(inputs.items()):
            inputs[ph] = (v, vd or ptr_dtype or v.elem)
        stmts = form(**kwargs)
        pre.extend(_Bind(inputs, ph_ret, out_dest, scalar_ret).rewrite(tuple(stmts)))
        if ph_ret is None:
            return None
        if scalar_ret is not None:
            return N.Var(scalar_ret)
        return None if out_dest is into else out_dest.vec()

    def bind(self, x, dtype: str | None, pre: list):
        """A call-free operand stays inline (it is re-evaluated per lane); one with calls is evaluated once
        into a temporary of the operand's type."""
        if not any(isinstance(n, N.Call) for n in walk(x)):
            return x
        t = Scalar(dtype) if dtype else self.type_of(x)
        if t is None:
            raise PassDeclined("detensorize(vnni): cannot type an intrinsic operand")
        s = self.fresh("a")
        pre.append(N.Decl(s, t, x))
        return N.Var(s)

    # -- types of pointer expressions ----------------------------------------------------------------
    def type_of(self, e) -> Type | None:
        if isinstance(e, N.Var):
            t = self.types.get(e.sym)
            if isinstance(t, tuple):
                return Pointer(t[1]) if t[2] == 1 else None
            return t
        if isinstance(e, N.Cast):
            return e.type
        if isinstance(e, N.Const):
            return Scalar(e.dtype) if e.dtype in dtypes.NAMES else None
        if isinstance(e, N.BinOp) and e.op in ("+", "-"):
            for side in (e.a, e.b):
                t = self.type_of(side)
                if isinstance(t, Pointer):
                    return t
            return None
        if isinstance(e, N.AddrOf) and isinstance(e.value, N.Load):
            d = self.elem_of_load(e.value)
            return Pointer(Scalar(d)) if d else None
        if isinstance(e, N.Load):
            d = self.elem_of_load(e)
            return Scalar(d) if d else None
        if isinstance(e, N.Call) and e.kind is N.CallKind.FUNC:
            return self.mod.rets.get(e.name)
        return None

    def elem_of_load(self, e: N.Load) -> str | None:
        if isinstance(e.base, N.Var):
            t = self.types.get(e.base.sym)
            if isinstance(t, tuple) and isinstance(t[1], Scalar):
                return t[1].dtype
            if isinstance(t, Pointer) and isinstance(t.pointee, Scalar):
                return t.pointee.dtype
            return None
        t = self.type_of(e.base)
        return t.pointee.dtype if isinstance(t, Pointer) and isinstance(t.pointee, Scalar) else None

    def pointee(self, p) -> str | None:
        if isinstance(p, N.Load) and isinstance(p.base, N.Var):  # a row of a multi-dimensional array
            t = self.types.get(p.base.sym)
            if isinstance(t, tuple) and len(p.indices) < t[2] and isinstance(t[1], Scalar):
                return t[1].dtype
        if isinstance(p, N.Var):
            t = self.types.get(p.sym)
            if isinstance(t, tuple) and isinstance(t[1], Scalar):
                return t[1].dtype
        t = self.type_of(p)
        if isinstance(t, Pointer) and isinstance(t.pointee, Scalar):
            return t.pointee.dtype
        return None


def _syms_of(node) -> set:
    out = set()
    for n in walk(node):
        for name in child_fields(type(n)):
            v = getattr(n, name)
            if isinstance(v, N.Sym):
                out.add(v)
    return out


def _unique_names(f: N.Func, original: set, taken: set) -> None:
    """Give every symbol the lowering introduced (temporaries, loop-form counters) a name that no other
    symbol of the function or module uses, so the printed C never shadows a user variable."""
    used = taken | {s.name for s in original}
    for s in sorted(_syms_of(f) - original, key=lambda s: s.id):
        name, k = s.name, 0
        while name in used:
            name, k = f"{s.name}_{k}", k + 1
        s.name = name
        used.add(name)


def _count(expr: str | None, itemsize: int) -> int:
    if expr is None:
        raise PassDeclined("detensorize(vnni): result without a lane count")
    return int(eval(compile(ast.parse(expr, mode="eval"), "<count>", "eval"), {"__builtins__": {}},
                    {"itemsize": itemsize}))


class _Bind(Rewriter):
    """Bind a loop form's operand placeholders: reads of input registers become lane views, writes of
    `ret` go to the destination lanes (or the scalar temporary)."""

    def __init__(self, inputs, ret: N.Sym | None, dest: _Dest | None, scalar: N.Sym | None) -> None:
        self.inputs, self.ret, self.dest, self.scalar_ret = inputs, ret, dest, scalar

    def _ret_lane(self, e):
        if isinstance(e, N.Load) and isinstance(e.base, N.Var) and e.base.sym is self.ret and len(e.indices) == 1:
            return e.indices[0]
        return None

    def rewrite_Store(self, s: N.Store):
        i = self._ret_lane(s.target)
        if i is None:
            return None
        if self.scalar_ret is not None:
            return N.Assign(self.scalar_ret, s.value, s.op)
        return dataclasses.replace(s, target=self.dest.acc(i))

    def rewrite_Load(self, e: N.Load):
        if isinstance(e.base, N.Var) and e.base.sym in self.inputs and len(e.indices) == 1:
            v, vd = self.inputs[e.base.sym]
            return view(v, vd, e.indices[0])
        return None
