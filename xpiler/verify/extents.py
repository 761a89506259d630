"""How many elements each pointer parameter of a program's entry needs: `buffer_extents(program)`.

Why: the Tester generates inputs for any kernel program, of any dialect, without a spec. It must allocate
every buffer large enough for every access the program makes (an under-sized buffer is an out-of-bounds
fault on the executors), and it must know which buffers are read, written, and used as indices.

How: one symbolic execution of the entry over the structured IR, with Z3 integer terms for every integer
value (shapes from #defines, launch sizes, loop variables, guards):
- every loop contributes its variable's domain (`start <= v < stop`, `(v - start) % step == 0`) to the path
  condition; `if` / `?:` / `&&` / `||` / `continue`-guards contribute their conditions; variables that a
  loop body changes are induction variables (`v += c` gives `v0 + k*c`) or else unknown;
- pointers are (root buffer, byte offset, element type); aliases (`const float* x = X + row * N;`), casts,
  `&a[i]`, module functions (inlined per call, template arguments bound), macros (expanded), kernels
  launched from host code (thread/block indices ranging over the launch) all follow;
- an access is a (root, byte offset, byte length, path condition); element loads/stores, `memcpy`-like
  host APIs (cudaMemcpy/hipMemcpy/cnrtMemcpy/memcpy/memset) and intrinsics (the catalogue's per-operand
  element counts: `_mm512_loadu_ps` covers 16 floats, `__memcpy` its byte size with strides) all record one;
- a parameter's extent is max(offset + length) over its accesses, by Z3 Optimize over the path condition,
  rounded up to elements. Device copies of a host parameter (`cudaMalloc` + `cudaMemcpy`) count toward it.

Data-dependent indices: an integer loaded from a parameter buffer (directly or from an on-chip copy of it,
`__memcpy(nram_idx, idx, ...)`) is a fresh unknown; an access whose bound is linear in one such value gets
`Extent(None, (idx_param, idx_count, scale, offset))`: the extent is `max(idx values) * scale + offset`.
An index used on a buffer of fixed size (a device copy) limits the index values instead (`Facts`).

Limits: over-approximation is by design (masked vector tails count whole vectors, both branches of a
merge are kept); an access whose bound cannot be found (an index from an unknown computation, a pointer
stored in memory or converted to an integer, an unknown callee given a pointer) gives `Extent(None)` and
the Tester falls back to probing. Integers read back from a small local array are bounded by the values
stored into it before the read in program order (a value stored later in a loop body and read in the
next iteration is not seen: the Tester's probing run is the safety net). Integer vector registers are
modelled lane by lane (`_Lanes`) by running the catalogue's own loop form of the intrinsic that made
them (`set1`, `setr`, `mullo`, `add`, ...), so a gather's index vector gives one access per lane, and a
tail mask `(1 << n) - 1` (vector or serial form, `(m >> i) & 1`) selects lanes `i < n`; float vectors
are not modelled. Integer scalar parameters are bound to a value (`scalars=`, default 64) because
extents may depend on them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

import z3

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir.lanes import lane_test, prefix_mask_count
from xpiler.ir.types import Fragment, Named, Pointer, Scalar, Type, Vector
from xpiler.ir.visit import walk as _walk1
from xpiler.ir.z3expr import Unsupported, c_div, c_mod, int_binop

__all__ = ["DEFAULT_INT_SCALAR", "Extent", "Facts", "ParamFacts", "analyze", "buffer_extents"]

DEFAULT_INT_SCALAR = 64
_FLOATS = ("float16", "bfloat16", "float32", "float64")
_OPT_TIMEOUT_MS = 4000
_MAX_INLINE_DEPTH = 8
_NONNEG_MATH = {"sqrt", "sqrtf", "rsqrt", "rsqrtf", "log", "logf", "log2", "log2f", "log10", "log10f", "hsqrt",
                "hrsqrt", "hlog", "__logf", "__fsqrt_rn", "__frsqrt_rn", "__log2f", "__log10f", "powf", "pow"}


@dataclass(frozen=True)
class Extent:
    """Elements a buffer parameter needs. `count` is max index + 1; None when it depends on data
    (`data_dependent = (idx_param, idx_count, scale, offset)`: count = max(idx values) * scale + offset)
    or could not be bounded (`data_dependent == ()`)."""

    count: int | None
    data_dependent: tuple = ()


@dataclass
class ParamFacts:
    """What the analysis learned about one entry parameter."""

    index: int
    name: str
    dtype: str | None  # element dtype of a pointer, dtype of a scalar
    pointer: bool
    extent: Extent | None = None
    read: bool = False
    written: bool = False
    nonneg: bool = False  # a value of it reaches sqrt/log directly
    index_of: list[int] = field(default_factory=list)  # params it indexes (data-dependent accesses)
    scatter: bool = False  # it addresses writes (its values should be distinct)
    index_limit: int | None = None  # its values must stay below this (a fixed-size buffer it indexes)
    scalar_value: int | None = None  # the value an integer scalar was bound to for the analysis
    in_math: bool = False  # a scalar that reaches sqrt/log (an epsilon): keep it small and positive


@dataclass
class Facts:
    params: list[ParamFacts]
    notes: list[str] = field(default_factory=list)

    @property
    def extents(self) -> list[Extent | None]:
        return [p.extent if p.pointer else None for p in self.params]


# ----------------------------------------------------------------------------------------------------------
# symbolic values


class _Root:
    __slots__ = ("data_param", "id", "kind", "name", "param", "size")

    def __init__(self, id: int, kind: str, name: str, param: int | None = None, size: Any = None) -> None:
        self.id, self.kind, self.name, self.param, self.size = id, kind, name, param, size
        self.data_param: int | None = param  # whose values an integer loaded from here carries


@dataclass(frozen=True)
class _Ptr:
    root: _Root
    off: Any  # z3 byte offset
    elem: int  # bytes per element of the pointee
    dtype: str | None  # pointee dtype when scalar
    shape: tuple = ()  # trailing dims (elements) for arrays: a[i][j] indexing


@dataclass(frozen=True)
class _Lanes:
    """An integer vector register, lane by lane (Z3 terms)."""

    values: tuple


class _NotModelled(Exception):
    """A loop form uses a construct the lane evaluator does not follow."""


def _advanced(old: Any, steps: Any) -> Any:
    """An induction variable (integer or pointer) after `steps` (a Z3 term) added to it."""
    if isinstance(old, _Ptr):
        return _Ptr(old.root, old.off + steps * old.elem, old.elem, old.dtype, old.shape)
    return old + steps


@dataclass(frozen=True)
class _Dim3:
    parts: tuple


@dataclass(frozen=True)
class _Ref:
    sym: N.Sym


@dataclass
class _Access:
    root: _Root
    off: Any
    nbytes: Any
    path: tuple
    write: bool


def _is_int(v: Any) -> bool:
    return isinstance(v, z3.ArithRef)


def _is_bool(v: Any) -> bool:
    return isinstance(v, z3.BoolRef)


def _int(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool):
        return z3.IntVal(v)
    if _is_bool(v):
        return z3.If(v, z3.IntVal(1), z3.IntVal(0))
    return v if _is_int(v) else None


def _bool(v: Any) -> Any:
    if _is_bool(v):
        return v
    if _is_int(v):
        return v != 0
    return None


def _type_size(t: Type | None) -> int:
    if isinstance(t, Scalar):
        return max(1, dtypes.itemsize(t.dtype)) if t.dtype != "void" else 1
    if isinstance(t, Pointer):
        return 8
    if isinstance(t, Vector):
        return max(1, t.bits // 8)
    if isinstance(t, Fragment):
        return t.m * t.n * dtypes.itemsize(t.dtype)
    return 1


def _type_dtype(t: Type | None) -> str | None:
    if isinstance(t, Scalar) and t.dtype != "void":
        return {"char": "int8", "size_t": "uint64", "ptrdiff_t": "int64"}.get(t.dtype, t.dtype)
    return None


def _int_type(t: Type | None) -> bool:
    return isinstance(t, Scalar) and t.dtype not in _FLOATS + ("void",)


class _Stop(Exception):
    """Ends the execution of a statement list (return / break / continue reached)."""


# ----------------------------------------------------------------------------------------------------------
# the symbolic executor


class _Exec:
    def __init__(self, program, scalars: dict[int, int] | None) -> None:
        from xpiler.registry import get_backend

        self.program = program
        self.module: N.Module = program.module
        self.defines = self.module.defines()
        self.define_by_sym = {d.sym: d for d in self.defines.values()}
        # names a macro body reads that are not macros: bound where the macro is used (by name, as the
        # preprocessor does), so such a macro's value is not cached
        self.macro_free = {m.sym for d in self.defines.values() if d.body is not None for m in walk(d.body)
                           if isinstance(m, N.Var) and m.sym not in self.define_by_sym and m.sym.name not in self.defines
                           and (d.params is None or m.sym.name not in d.params)}
        self.scoped_defines = {d.name for d in self.defines.values() if d.body is not None and any(
            isinstance(m, N.Var) and m.sym in self.macro_free for m in walk(d.body))}
        self.funcs = {f.name: f for f in self.module.funcs() if not f.is_declaration}
        try:
            self.catalogue = get_backend(program.dialect).catalogue()
        except (AttributeError, KeyError, NotImplementedError, ImportError):  # a dialect without intrinsics
            self.catalogue = {}
        self.n = 0
        self.roots: list[_Root] = []
        self.accesses: list[_Access] = []
        self.path: list = []
        self.env: dict = {}
        self.prefix_masks: dict = {}  # mask variable -> Z3 count of leading lanes it selects
        self.builtins: dict[str, Any] = {}
        self.data_vars: dict[str, int] = {}  # z3 var name -> param whose value it is
        self.nonneg: set[int] = set()
        self.scalar_in_math: set[int] = set()
        self.depth = 0
        self.returns: list | None = None
        self.scalars = dict(scalars or {})
        self.param_syms: dict[N.Sym, int] = {}
        self.define_cache: dict = {}
        self.notes: list[str] = []
        self.array_syms: set = set()
        self._types: dict | None = None
        self.local_stores: dict[int, list | None] = {}
        self._post: list = []

    # -------------------------------------------------------------------------------- helpers
    def fresh(self, name: str = "u") -> z3.ArithRef:
        self.n += 1
        return z3.Int(f"{name}!{self.n}")

    def fresh_bool(self) -> z3.BoolRef:
        self.n += 1
        return z3.Bool(f"b!{self.n}")

    def new_root(self, kind: str, name: str, param: int | None = None, size: Any = None) -> _Root:
        r = _Root(len(self.roots), kind, name, param, size)
        self.roots.append(r)
        return r

    def record(self, p: _Ptr, nbytes: Any, write: bool, store: bool = False) -> None:
        if write and not store and p.root.kind == "local":
            self.local_stores[p.root.id] = None
        nb = _int(nbytes)
        if nb is None:
            nb = self.fresh("len")
        self.accesses.append(_Access(p.root, p.off, nb, tuple(self.path), write))

    def as_int(self, v: Any, name: str = "u") -> Any:
        i = _int(v)
        return i if i is not None else self.fresh(name)

    def as_bool(self, v: Any) -> Any:
        b = _bool(v)
        return b if b is not None else self.fresh_bool()

    # -------------------------------------------------------------------------------- entry
    def run(self) -> None:
        fn = self.program.entry_func
        self.bind_module_globals()
        if self.program.entry_is_kernel:
            self.bind_launch(self.program.launch or "")
        for i, prm in enumerate(fn.params):
            self.param_syms[prm.sym] = i
            t = prm.type
            if isinstance(t, Pointer):
                root = self.new_root("param", prm.sym.name, param=i)
                self.env[prm.sym] = _Ptr(root, z3.IntVal(0), _type_size(t.pointee), _type_dtype(t.pointee))
            elif _int_type(t):
                self.scalars.setdefault(i, DEFAULT_INT_SCALAR)
                self.env[prm.sym] = z3.IntVal(int(self.scalars[i]))
            else:
                self.env[prm.sym] = None
        self.exec_block(fn.body)

    def bind_module_globals(self) -> None:
        def items(seq):
            for it in seq:
                if isinstance(it, N.PreprocIf):
                    yield from items(it.then)
                else:
                    yield it

        for it in items(self.module.items):
            if isinstance(it, N.Alloc):
                self.exec_alloc(it)
            elif isinstance(it, N.Decl):
                try:
                    self.exec_stmt(it)
                except _Stop:
                    pass

    def bind_launch(self, text: str) -> None:
        from xpiler.launch import parse_launch

        if not text:
            return
        L = parse_launch(text)
        b = self.builtins
        if L.get("grid") or L.get("block"):
            grid = [int(x) for x in (L.get("grid") or "1,1,1").split(",")]
            block = [int(x) for x in (L.get("block") or "1,1,1").split(",")]
            self.bind_simt(grid, block)
            return
        dim = [int(x) for x in L.get("dim").split(",")] if L.get("dim") else [int(L.get("tasks") or 1), 1, 1]
        tasks = dim[0] * dim[1] * dim[2]
        cores = int(L.get("cores") or 4)
        clusters = int(L.get("clusters") or max(1, tasks // cores))
        for ax, n in zip("XYZ", dim):
            b[f"taskDim{ax}"] = z3.IntVal(n)
            v = self.fresh(f"taskId{ax}")
            self.path += [v >= 0, v < n]
            b[f"taskId{ax}"] = v
        b["taskDim"] = z3.IntVal(tasks)
        t = b["taskIdX"] + b["taskIdY"] * dim[0] + b["taskIdZ"] * dim[0] * dim[1]
        b["taskId"] = t
        b["coreDim"], b["clusterDim"] = z3.IntVal(cores), z3.IntVal(clusters)
        core, cl = self.fresh("coreId"), self.fresh("clusterId")
        self.path += [core >= 0, core < cores, cl >= 0, cl < max(clusters, 1)]
        if clusters * cores == tasks:
            self.path.append(t == cl * cores + core)
        b["coreId"], b["clusterId"] = core, cl

    def bind_simt(self, grid: list, block: list) -> None:
        b = self.builtins
        for ax, g, t in zip("xyz", grid, block):
            gi = g if isinstance(g, int) else None
            ti = t if isinstance(t, int) else None
            gv = z3.IntVal(gi) if gi is not None else self.as_int(g)
            tv = z3.IntVal(ti) if ti is not None else self.as_int(t)
            b[f"gridDim.{ax}"], b[f"blockDim.{ax}"] = gv, tv
            bi, th = self.fresh(f"blockIdx.{ax}"), self.fresh(f"threadIdx.{ax}")
            self.path += [bi >= 0, bi < gv, th >= 0, th < tv]
            b[f"blockIdx.{ax}"], b[f"threadIdx.{ax}"] = bi, th
        b["warpSize"] = z3.IntVal(64 if self.program.dialect == "hip" else 32)

    # -------------------------------------------------------------------------------- statements
    def exec_block(self, stmts) -> None:
        """Run a statement list; stops (silently) at a return/break/continue of this list."""
        try:
            for s in stmts:
                self.exec_stmt(s)
        except _Stop:
            pass

    def exec_stmt(self, s) -> None:
        fn = getattr(self, "s_" + type(s).__name__, None)
        if fn is not None:
            fn(s)

    def s_Decl(self, s: N.Decl) -> None:
        v = self.ev(s.init) if s.init is not None else None
        self.env[s.sym] = self.conform(v, s.type)
        lanes = self.prefix_lanes(s.init) if s.init is not None else None
        if lanes is not None:  # a tail mask kept in a variable: remember how many lanes it selects
            self.prefix_masks[s.sym] = lanes

    def conform(self, v: Any, t: Type | None) -> Any:
        """A value as stored in a variable of type `t`."""
        if isinstance(t, Pointer):
            if isinstance(v, _Ptr):
                return _Ptr(v.root, v.off, _type_size(t.pointee), _type_dtype(t.pointee))
            return None
        if _int_type(t):
            if isinstance(t, Scalar) and t.dtype == "bool":
                return z3.simplify(self.as_bool(v))
            return z3.simplify(self.as_int(v))
        if isinstance(t, Named) and t.name == "dim3":
            if isinstance(v, _Dim3):
                return v
            if _is_int(v):
                return _Dim3((v, z3.IntVal(1), z3.IntVal(1)))
            return None
        return v if isinstance(v, (_Ptr, _Lanes)) else None

    def s_Alloc(self, s: N.Alloc) -> None:
        self.exec_alloc(s)

    def exec_alloc(self, s: N.Alloc) -> None:
        dims = tuple(self.as_int(self.ev(d)) for d in s.shape)
        size = _type_size(s.elem)
        total = z3.IntVal(size)
        for d in dims:
            total = total * d
        root = self.new_root("local", s.sym.name, size=z3.simplify(total))
        self.array_syms.add(s.sym)
        self.env[s.sym] = _Ptr(root, z3.IntVal(0), size, _type_dtype(s.elem), dims[1:])

    def s_Assign(self, s: N.Assign) -> None:
        self.prefix_masks.pop(s.sym, None)
        v = self.ev(s.value)
        old = self.env.get(s.sym)
        if s.op:
            v = self.binop(s.op, old, v)
        if z3.is_expr(v):
            v = z3.simplify(v)
        if isinstance(old, _Ptr) and not isinstance(v, _Ptr):
            v = None
        elif _is_bool(old):
            v = self.as_bool(v)
        elif _is_int(old):
            v = self.as_int(v)
        self.env[s.sym] = v

    def s_Store(self, s: N.Store) -> None:
        val = self.ev(s.value)
        if isinstance(val, _Ptr):
            self.escape([val])  # a pointer kept in memory: accesses through it are not followed
        p = self.lvalue(s.target)
        if p is None:
            if isinstance(s.target, N.Member):
                self.ev(s.target.base)
            return
        if s.op:
            self.record(p, p.elem, False)
        self.record(p, p.elem, True, store=True)
        if p.root.kind == "local":
            stores = self.local_stores.setdefault(p.root.id, [])
            if s.op is None and _is_int(_int(val)) and stores is not None and len(stores) < 32:
                stores.append((z3.simplify(_int(val)), tuple(self.path)))
            else:
                self.local_stores[p.root.id] = None  # contents not modelled
        if p.root.param is None and _is_int(val) and p.dtype not in _FLOATS:
            src = self.data_source(val)
            if src is not None and p.root.data_param is None:
                p.root.data_param = src

    def data_source(self, v: Any) -> int | None:
        for name in {str(x) for x in _z3_vars(v)}:
            if name in self.data_vars:
                return self.data_vars[name]
        return None

    def s_Evaluate(self, s: N.Evaluate) -> None:
        self.ev(s.value)

    def s_Block(self, s: N.Block) -> None:
        n = len(self.path)
        self.exec_block(s.body)
        del self.path[n:]

    def s_Return(self, s: N.Return) -> None:
        if s.value is not None:
            v = self.ev(s.value)
            if self.returns is not None:
                self.returns.append(v)
        raise _Stop

    def s_Break(self, s) -> None:
        raise _Stop

    def s_Continue(self, s) -> None:
        raise _Stop

    def s_Opaque(self, s: N.Opaque) -> None:
        for sym in s.writes:
            if sym in self.env:
                self.env[sym] = self.havoc_value(self.env[sym])

    def havoc_value(self, old: Any) -> Any:
        if isinstance(old, _Ptr):
            return _Ptr(old.root, self.fresh("off"), old.elem, old.dtype, old.shape)
        if _is_bool(old):
            return self.fresh_bool()
        if _is_int(old):
            return self.fresh()
        return None

    # ---- branches
    def s_If(self, s: N.If) -> None:
        c = self.as_bool(self.ev(s.cond))
        n = len(self.path)
        before = dict(self.env)
        self.path.append(c)
        self.exec_block(s.then)
        del self.path[n:]
        env_then = self.env
        self.env = dict(before)
        self.path.append(z3.Not(c))
        self.exec_block(s.orelse)
        del self.path[n:]
        env_else = self.env
        t_exit, e_exit = _exits(s.then), _exits(s.orelse)
        if t_exit and not e_exit:
            self.path.append(z3.Not(c))
            self.env = env_else
        elif e_exit and not t_exit:
            self.path.append(c)
            self.env = env_then
        else:
            self.env = self.merge(c, env_then, env_else)

    def merge(self, c, a: dict, b: dict) -> dict:
        out = dict(b)
        for k, va in a.items():
            vb = b.get(k, va)
            if va is vb:
                out[k] = va
            elif _is_int(va) and _is_int(vb) or _is_bool(va) and _is_bool(vb):
                out[k] = z3.If(c, va, vb)
            elif isinstance(va, _Ptr) and isinstance(vb, _Ptr) and va.root is vb.root:
                out[k] = _Ptr(va.root, z3.If(c, va.off, vb.off), va.elem, va.dtype, va.shape)
            elif isinstance(va, _Lanes) and isinstance(vb, _Lanes) and len(va.values) == len(vb.values):
                out[k] = _Lanes(tuple(z3.If(c, x, y) for x, y in zip(va.values, vb.values)))
            else:
                for x in (va, vb):
                    if isinstance(x, _Ptr):
                        self.escape([x])  # a pointer to one of two buffers: either may be touched anywhere
                out[k] = self.havoc_value(va if va is not None else vb)
        return out

    def s_Switch(self, s: N.Switch) -> None:
        v = self.as_int(self.ev(s.value))
        self.havoc(_assigned(s))
        before = dict(self.env)
        vals = [self.as_int(self.ev(x)) for c in s.cases for x in c.values]
        n = len(self.path)
        for i, case in enumerate(s.cases):
            cond = z3.Or(*[v == self.as_int(self.ev(x)) for x in case.values]) if case.values else (
                z3.Not(z3.Or(*[v == x for x in vals])) if vals else z3.BoolVal(True))
            self.path.append(cond)
            self.env = dict(before)
            try:
                for c2 in s.cases[i:]:
                    for st in c2.body:
                        self.exec_stmt(st)
            except _Stop:
                pass
            del self.path[n:]
        self.env = before
        self.havoc(_assigned(s))

    def havoc(self, syms) -> None:
        for sym in syms:
            if sym in self.env:
                self.env[sym] = self.havoc_value(self.env[sym])

    # ---- loops
    def s_For(self, s: N.For) -> None:
        start = z3.simplify(self.as_int(self.ev(s.start)))
        stop = z3.simplify(self.as_int(self.ev(s.stop)))
        step = z3.simplify(self.as_int(self.ev(s.step)))
        n = len(self.path)
        v = self.fresh(s.var.name)
        self.env[s.var] = v
        self.path += [v >= start, v < stop]
        stepv = z3.simplify(step)
        if not (z3.is_int_value(stepv) and stepv.as_long() == 1):
            self.path += [step > 0, c_mod(v - start, step) == 0]
        k = c_div(v - start, step) if not (z3.is_int_value(stepv) and stepv.as_long() == 1) else v - start
        trip = z3.If(stop > start, c_div(stop - start + step - 1, step), z3.IntVal(0))
        ind = self.enter_loop(s.body, k, trip)
        self.exec_block(s.body)
        del self.path[n:]
        self.leave_loop(s.body, ind, trip, exact=not _has_break(s.body))

    def enter_loop(self, body, k, trip) -> dict:
        """Bind the variables the body changes: induction variables `v += c` (loop-invariant c, one
        unconditional update at the top level of the body) to `v0 + k*c`; the rest to unknowns."""
        assigned = _assigned(body)
        ind = {}
        for sym in assigned:
            old = self.env.get(sym)
            inc = _induction(body, sym, assigned)
            if inc is not None and (isinstance(old, _Ptr) or _is_int(old)):
                c = self.as_int(self.ev(inc[1]))
                if inc[0] == "-":
                    c = -c
                ind[sym] = (old, c)
                self.env[sym] = _advanced(old, k * c)
            elif sym in self.env:
                self.env[sym] = self.havoc_value(old)
        return ind

    def leave_loop(self, body, ind: dict, trip, exact: bool) -> None:
        for sym in _assigned(body):
            if sym in ind and exact:
                old, c = ind[sym]
                self.env[sym] = _advanced(old, trip * c)
            elif sym in self.env:
                self.env[sym] = self.havoc_value(self.env[sym])

    def s_CFor(self, s: N.CFor) -> None:
        n0 = len(self.path)
        for st in s.init:
            self.exec_stmt(st)
        self.cond_loop(s.cond, s.body + s.update, s.update)
        del self.path[n0:]
        # facts about the induction variables after the loop stay valid for the code that follows
        self.path += self._post

    def s_While(self, s: N.While) -> None:
        self.cond_loop(s.cond, s.body, ())
        self.path += self._post

    def s_DoWhile(self, s: N.DoWhile) -> None:
        self.cond_loop(None, s.body, ())
        self.path += self._post

    def cond_loop(self, cond, body, update) -> None:
        self._post = []
        n = len(self.path)
        k = self.fresh("k")
        self.path.append(k >= 0)
        before = dict(self.env)
        ind = self.enter_loop(body, k, None)
        if cond is not None:
            self.path.append(self.as_bool(self.ev(cond)))
        self.exec_block(tuple(st for st in body if not any(st is u for u in update)))
        del self.path[n:]
        self.env = dict(before)
        k2 = self.fresh("k")
        post = [k2 >= 0]
        assigned = _assigned(body)
        for sym in assigned:
            if sym in ind:
                old, c = ind[sym]
                self.env[sym] = _advanced(old, k2 * c)
            elif sym in self.env:
                self.env[sym] = self.havoc_value(self.env[sym])
        if cond is not None and not _has_break(body):
            n1 = len(self.path)
            self.path.append(k2 >= 0)
            c_now = self.as_bool(self.ev(cond))
            post.append(z3.Not(c_now))
            reads = {x.sym for x in walk(cond) if isinstance(x, N.Var)}
            if ind and all(sym in ind for sym in reads & set(assigned)):
                prev = dict(self.env)
                for sym, (old, c) in ind.items():
                    cur = self.env[sym]
                    self.env[sym] = (_Ptr(cur.root, cur.off - c * cur.elem, cur.elem, cur.dtype, cur.shape)
                                     if isinstance(cur, _Ptr) else cur - c)
                post.append(z3.Or(k2 == 0, self.as_bool(self.ev(cond))))
                self.env = prev
            del self.path[n1:]
        self._post = post

    # -------------------------------------------------------------------------------- launches & calls
    def s_Launch(self, s: N.Launch) -> None:
        args = [self.ev(a) for a in s.args]
        kern = self.funcs.get(s.kernel)
        if kern is None or self.depth >= _MAX_INLINE_DEPTH:
            self.escape(args)
            return
        cfg = [self.ev(c) for c in s.config]
        saved = (self.builtins, len(self.path))
        self.builtins = {}
        if self.program.dialect == "bang":
            self.builtins = dict(saved[0])
        else:
            grid = self.dims(cfg[0] if cfg else None)
            block = self.dims(cfg[1] if len(cfg) > 1 else None)
            self.bind_simt(grid, block)
        self.call(kern, args, s.template_args, s.args)
        self.builtins = saved[0]
        del self.path[saved[1]:]

    def dims(self, v: Any) -> list:
        if isinstance(v, _Dim3):
            parts = list(v.parts)
        else:
            parts = [v, z3.IntVal(1), z3.IntVal(1)]
        out = []
        for p in parts:
            p = _int(p)
            ps = z3.simplify(p) if p is not None else None
            out.append(ps.as_long() if ps is not None and z3.is_int_value(ps) else self.as_int(p))
        return out

    def escape(self, args) -> None:
        """A call the analysis cannot follow: pointers passed to it may be read and written anywhere."""
        for a in args:
            if isinstance(a, _Ptr):
                self.record(a, self.fresh("len"), True)

    def call(self, fn: N.Func, args: list, template_args=(), arg_exprs=()) -> Any:
        if self.depth >= _MAX_INLINE_DEPTH:
            self.escape(args)
            return None
        for prm, ae in zip(fn.params, arg_exprs):  # scalars passed on keep their entry parameter
            if isinstance(ae, N.Var) and ae.sym in self.param_syms and not isinstance(prm.type, Pointer):
                self.param_syms[prm.sym] = self.param_syms[ae.sym]
        saved_env, saved_ret = self.env, self.returns
        env = dict(saved_env)  # globals and the caller's values stay visible (symbols never collide)
        for prm, a in zip(fn.params, args):
            env[prm.sym] = self.conform(a, prm.type)
        for prm, ta in zip(fn.template_params, template_args):
            if isinstance(ta, N.Expr):
                env[prm.sym] = self.as_int(self.ev(ta))
        self.env, self.returns = env, []
        self.depth += 1
        n = len(self.path)
        try:
            self.exec_block(fn.body)
        finally:
            self.depth -= 1
            del self.path[n:]
            rets = self.returns
            self.env, self.returns = saved_env, saved_ret
        if len(rets) == 1:
            return rets[0]
        if rets and all(_is_int(r) for r in rets):
            return self.fresh("ret")
        return None

    # -------------------------------------------------------------------------------- expressions
    def ev(self, e: Any) -> Any:
        if e is None:
            return None
        fn = getattr(self, "e_" + type(e).__name__, None)
        return fn(e) if fn is not None else None

    def e_Const(self, e: N.Const) -> Any:
        if isinstance(e.value, bool):
            return z3.BoolVal(e.value)
        if isinstance(e.value, int) and e.dtype not in _FLOATS:
            return z3.IntVal(e.value)
        return None

    def e_Var(self, e: N.Var) -> Any:
        if e.sym in self.env:
            return self.env[e.sym]
        if e.sym in self.macro_free:  # a macro body's name: the latest binding of that name in scope
            return next((v for k, v in reversed(self.env.items()) if getattr(k, "name", None) == e.sym.name), None)
        d = self.define_by_sym.get(e.sym) or self.defines.get(e.sym.name)
        if d is not None and d.params is None and d.body is not None:
            if d.name in self.scoped_defines:
                v = self.ev(d.body)
                return z3.simplify(v) if z3.is_expr(v) else v
            if d.name not in self.define_cache:
                self.define_cache[d.name] = None  # recursion guard
                v = self.ev(d.body)
                self.define_cache[d.name] = z3.simplify(v) if z3.is_expr(v) else v
            return self.define_cache[d.name]
        return None

    def e_Builtin(self, e: N.Builtin) -> Any:
        if e.name not in self.builtins:
            self.builtins[e.name] = self.fresh(e.name)
        return self.builtins[e.name]

    def e_StrLit(self, e) -> Any:
        return None

    def e_OpaqueExpr(self, e) -> Any:
        return None

    def e_InitList(self, e: N.InitList) -> Any:
        self.escape([self.ev(x) for x in e.items])
        return None

    def e_SizeOf(self, e: N.SizeOf) -> Any:
        if isinstance(e.arg, Type):
            return z3.IntVal(_type_size(e.arg))
        return None

    def e_UnOp(self, e: N.UnOp) -> Any:
        a = self.ev(e.a)
        if e.op == "!":
            b = _bool(a)
            return z3.Not(b) if b is not None else None
        i = _int(a)
        if i is None:
            return None
        return {"-": -i, "+": i, "~": -i - 1}[e.op]

    def e_BinOp(self, e: N.BinOp) -> Any:
        lane = self.prefix_bit(e)
        if lane is not None:
            return lane
        a = self.ev(e.a)
        if e.op in ("&&", "||"):
            ca = self.as_bool(a)
            self.path.append(ca if e.op == "&&" else z3.Not(ca))
            b = self.ev(e.b)
            self.path.pop()
            cb = self.as_bool(b)
            return z3.And(ca, cb) if e.op == "&&" else z3.Or(ca, cb)
        b = self.ev(e.b)
        return self.binop(e.op, a, b)

    def prefix_bit(self, e: N.BinOp) -> Any:
        """`(m >> i) & 1` where `m` is a tail mask of n leading lanes (`(1 << n) - 1`, inline or in a
        variable): 1 when `i < n`, else 0."""
        t = lane_test(e)
        if t is None:
            return None
        m, lane = t
        n = self.prefix_masks.get(m.sym) if isinstance(m, N.Var) else self.prefix_lanes(m)
        i = _int(self.ev(lane))
        if n is None or i is None:
            return None
        return z3.If(i < n, z3.IntVal(1), z3.IntVal(0))

    def binop(self, op: str, a: Any, b: Any) -> Any:
        if isinstance(a, _Ptr) or isinstance(b, _Ptr):
            if isinstance(a, _Ptr) and isinstance(b, _Ptr):
                if op == "-" and a.root is b.root:
                    return c_div(a.off - b.off, z3.IntVal(a.elem))
                return None
            if op == "+":
                p, k = (a, b) if isinstance(a, _Ptr) else (b, a)
                return _Ptr(p.root, p.off + self.as_int(k) * (p.elem * _prod(p.shape)), p.elem, p.dtype, p.shape)
            if op == "-" and isinstance(a, _Ptr):
                return _Ptr(a.root, a.off - self.as_int(b) * (a.elem * _prod(a.shape)), a.elem, a.dtype, a.shape)
            return None
        x, y = _int(a), _int(b)
        if x is None or y is None:
            return None
        try:
            return int_binop(op, x, y)
        except Unsupported:
            pass
        xs, ys = z3.simplify(x), z3.simplify(y)
        if z3.is_int_value(xs) and z3.is_int_value(ys):
            xv, yv = xs.as_long(), ys.as_long()
            try:
                return z3.IntVal({"&": xv & yv, "|": xv | yv, "^": xv ^ yv, "<<": xv << yv, ">>": xv >> yv}[op])
            except (KeyError, ValueError):
                return None
        if op == "&" and z3.is_int_value(ys) and ys.as_long() >= 0:
            r = self.fresh()
            self.path += [r >= 0, r <= ys.as_long()]
            return r
        return None

    def e_Select(self, e: N.Select) -> Any:
        c = self.as_bool(self.ev(e.cond))
        self.path.append(c)
        a = self.ev(e.a)
        self.path[-1] = z3.Not(c)
        b = self.ev(e.b)
        self.path.pop()
        if isinstance(a, _Ptr) and isinstance(b, _Ptr) and a.root is b.root:
            return _Ptr(a.root, z3.If(c, a.off, b.off), a.elem, a.dtype, a.shape)
        self.escape([a, b])
        if (_is_int(a) or _is_bool(a)) and (_is_int(b) or _is_bool(b)):
            if _is_bool(a) != _is_bool(b):
                a, b = _int(a), _int(b)
            return z3.If(c, a, b)
        return None

    def e_Cast(self, e: N.Cast) -> Any:
        v = self.ev(e.value)
        t = e.type
        if isinstance(t, Pointer):
            if isinstance(v, _Ptr):
                return _Ptr(v.root, v.off, _type_size(t.pointee), _type_dtype(t.pointee))
            return None
        if isinstance(t, Scalar):
            if t.dtype == "bool":
                return self.as_bool(v)
            if t.dtype in _FLOATS:
                return None
            if isinstance(v, _Ptr):
                self.escape([v])  # pointer arithmetic through integers is not followed
            i = _int(v)
            return i if i is not None else self.fresh("cast")
        return v if isinstance(v, _Ptr) else None

    def e_Member(self, e: N.Member) -> Any:
        base = self.ev(e.base)
        if isinstance(base, _Dim3) and e.name in ("x", "y", "z"):
            return base.parts["xyz".index(e.name)]
        return None

    def e_AddrOf(self, e: N.AddrOf) -> Any:
        x = e.value
        if isinstance(x, N.Var):
            v = self.env.get(x.sym)
            if x.sym in self.array_syms and isinstance(v, _Ptr):
                return v  # &array is the array's address
            return _Ref(x.sym)
        if isinstance(x, (N.Load, N.Deref)):
            return self.lvalue(x)
        self.ev(x)
        return None

    def lvalue(self, e: Any) -> _Ptr | None:
        """The address a Load / Deref designates (no access recorded)."""
        if isinstance(e, N.Deref):
            p = self.ev(e.value)
            return p if isinstance(p, _Ptr) else None
        if not isinstance(e, N.Load):
            return None
        p = self.ev(e.base)
        idx = [self.as_int(self.ev(i), "idx") for i in e.indices]
        if not isinstance(p, _Ptr):
            return None
        off = p.off
        shape = list(p.shape)
        for i in idx:
            stride = p.elem * _prod(tuple(shape))
            off = off + i * stride
            if shape:
                shape.pop(0)
        return _Ptr(p.root, off, p.elem, p.dtype, tuple(shape))

    def e_Load(self, e: N.Load) -> Any:
        p = self.lvalue(e)
        if p is None:
            return None
        if p.shape:  # a sub-array: decays to a pointer, no access
            return p
        self.record(p, p.elem, False)
        return self.loaded_value(p)

    def e_Deref(self, e: N.Deref) -> Any:
        p = self.lvalue(e)
        if p is None:
            return None
        self.record(p, p.elem, False)
        return self.loaded_value(p)

    def loaded_value(self, p: _Ptr) -> Any:
        if p.dtype is None or p.dtype in _FLOATS:
            return None
        v = self.fresh("ld")
        if p.root.data_param is not None:
            self.data_vars[str(v)] = p.root.data_param
        elif p.root.kind == "local" and self.local_stores.get(p.root.id):
            # a local array of integers written by plain stores: the value is one of the values stored
            # (under the condition each store happened)
            self.path.append(z3.Or(*[z3.And(*path, v == val) for val, path in self.local_stores[p.root.id]]))
        if p.dtype in ("uint8", "uint16", "uint32", "uint64", "bool"):
            self.path.append(v >= 0)
        return v

    def e_Call(self, e: N.Call) -> Any:
        kind = e.kind
        if kind is N.CallKind.MACRO:
            d = self.defines.get(e.name)
            if d is not None and d.params is not None and d.body is not None:
                from xpiler.ir.z3expr import inline_macro_call

                try:
                    return self.ev(inline_macro_call(d, e.args))
                except ValueError:
                    pass
        if kind is N.CallKind.FUNC or (kind is N.CallKind.OTHER and e.name in self.funcs):
            fn = self.funcs.get(e.name)
            args = [self.ev(a) for a in e.args]
            if fn is None:
                self.escape(args)
                return None
            return self.call(fn, args, e.template_args, e.args)
        if kind is N.CallKind.INTRINSIC or e.name in self.catalogue:
            return self.intrinsic(e)
        if kind is N.CallKind.HOST_API:
            return self.host_api(e)
        if kind is N.CallKind.CTOR and e.name.endswith("dim3"):
            parts = [self.as_int(self.ev(a)) for a in e.args] + [z3.IntVal(1)] * 3
            return _Dim3(tuple(parts[:3]))
        name = e.name.removeprefix("std::")
        args = [self.ev(a) for a in e.args]
        if name in _NONNEG_MATH and e.args:
            self.mark_nonneg(e.args[0])
        if name in ("min", "max", "MIN", "MAX", "fminf", "fmaxf") and len(args) == 2:
            x, y = _int(args[0]), _int(args[1])
            if x is not None and y is not None:
                return z3.If(x <= y, x, y) if name.lower().startswith(("min", "fmin")) else z3.If(x >= y, x, y)
        if name in ("abs",) and len(args) == 1 and _int(args[0]) is not None:
            x = _int(args[0])
            return z3.If(x >= 0, x, -x)
        for a in args:  # an unknown function given a pointer may touch its memory
            if isinstance(a, _Ptr) and kind not in (N.CallKind.MATH,):
                self.record(a, self.fresh("len"), True)
            elif isinstance(a, _Ref) and a.sym in self.env:
                self.env[a.sym] = self.havoc_value(self.env[a.sym])
        return None

    def mark_nonneg(self, arg: N.Expr) -> None:
        for n in walk(arg):
            if isinstance(n, N.Load):
                p = self.lvalue(n)
                if p is not None and p.root.param is not None:
                    self.nonneg.add(p.root.param)
            elif isinstance(n, N.Var) and n.sym in self.param_syms:
                self.scalar_in_math.add(self.param_syms[n.sym])

    # ---- host runtime API
    def host_api(self, e: N.Call) -> Any:
        name = e.name.removeprefix("std::")
        args = [self.ev(a) for a in e.args]
        if name in ("cudaMalloc", "hipMalloc", "cnrtMalloc", "cudaMallocManaged", "hipMallocManaged") and args:
            ref = args[0]
            size = _int(args[1]) if len(args) > 1 else None
            if isinstance(ref, _Ref):
                old = self.env.get(ref.sym)
                t = self.sym_type(ref.sym)
                if isinstance(t, Pointer):
                    elem, dt = _type_size(t.pointee), _type_dtype(t.pointee)
                else:
                    elem, dt = (old.elem, old.dtype) if isinstance(old, _Ptr) else (1, None)
                root = self.new_root("dev", ref.sym.name, size=size)
                self.env[ref.sym] = _Ptr(root, z3.IntVal(0), elem, dt)
            return z3.IntVal(0)
        if name in ("malloc", "aligned_alloc", "calloc"):
            size = _int(args[-1]) if args else None
            if name == "calloc" and len(args) == 2 and _int(args[0]) is not None and size is not None:
                size = _int(args[0]) * size
            return _Ptr(self.new_root("dev", "heap", size=size), z3.IntVal(0), 1, None)
        if name in ("memcpy", "memmove", "cudaMemcpy", "hipMemcpy", "cnrtMemcpy", "cudaMemcpyAsync",
                    "hipMemcpyAsync") and len(args) >= 3:
            dst, src, size = args[0], args[1], _int(args[2])
            if size is None:
                size = self.fresh("len")
            if isinstance(src, _Ptr):
                self.record(src, size, False)
            if isinstance(dst, _Ptr):
                self.record(dst, size, True)
                if isinstance(src, _Ptr):
                    self.link(dst, src, size)
            elif isinstance(dst, _Ref) and dst.sym in self.env:
                self.env[dst.sym] = self.havoc_value(self.env[dst.sym])
            return z3.IntVal(0)
        if name in ("memset", "cudaMemset", "hipMemset") and len(args) >= 3:
            if isinstance(args[0], _Ptr):
                self.record(args[0], self.as_int(args[2]), True)
            return z3.IntVal(0)
        if name in ("free", "cudaFree", "hipFree", "cnrtFree"):
            return z3.IntVal(0)
        for a in args:
            if isinstance(a, _Ptr) and a.root.kind == "param":
                self.record(a, self.fresh("len"), True)
        return None

    def link(self, dst: _Ptr, src: _Ptr, size: Any) -> None:
        """A copy: the destination holds the source's values; a whole device/heap copy of a parameter
        counts toward that parameter's extent."""
        if dst.root.data_param is None and src.root.data_param is not None:
            dst.root.data_param = src.root.data_param
        if src.root.data_param is None and dst.root.data_param is not None and src.root.kind != "param":
            src.root.data_param = dst.root.data_param
        for a, b in ((dst, src), (src, dst)):
            if a.root.kind == "dev" and a.root.param is None and b.root.param is not None and _is_zero(a.off) \
                    and _is_zero(b.off):
                a.root.param = b.root.param

    def sym_type(self, sym: N.Sym) -> Type | None:
        if self._types is None:
            self._types = {}
            for n in _walk1(self.program.module):
                if isinstance(n, (N.Decl, N.Param)):
                    self._types[n.sym] = n.type
        return self._types.get(sym)

    def matrix_footprint(self, e: N.Call, binding: dict, p: _Ptr) -> Any:
        """Bytes a wmma-style `load/store_matrix_sync(ptr, frag, ldm)` covers: the fragment's rows at a
        leading dimension of `ldm` elements (both layouts: (d-1)*ldm + d elements, d the larger side)."""
        ldm = _int(binding.get("ldm"))
        frag = None
        for a in e.args:
            if isinstance(a, N.Var) and isinstance(self.sym_type(a.sym), Fragment):
                frag = self.sym_type(a.sym)
        if ldm is None or frag is None:
            return None
        dims = {"matrix_a": (frag.m, frag.k), "matrix_b": (frag.k, frag.n)}.get(frag.use, (frag.m, frag.n))
        d = max(dims)
        return ((d - 1) * ldm + d) * p.elem

    # ---- intrinsics
    def intrinsic(self, e: N.Call) -> Any:
        entry = self.catalogue.get(e.name)
        args = [self.ev(a) for a in e.args]
        if entry is None:
            self.escape(args)
            return None
        pseudo = set(entry.extra.get("pseudo", ()))
        ops = [o for o in entry.operands if o.name not in pseudo]
        forms = entry.extra.get("forms", {})
        if len(args) in forms:
            self.escape(args)
            return None
        defaults = entry.extra.get("defaults", {})
        binding: dict[str, Any] = {}
        for o, a in zip(ops, args):
            binding[o.name] = a
        for o in ops[len(args):]:
            binding[o.name] = None
        for o in entry.operands:
            if o.role not in ("in", "out", "inout") or o.name in pseudo:
                continue
            p = binding.get(o.name)
            if not isinstance(p, _Ptr):
                continue
            if o.scopes and all(s.value == "local" for s in o.scopes):
                continue
            if o.count is None and isinstance(binding.get("vindex"), _Lanes):
                self.lane_accesses(entry, e, binding, p, o.role)
                continue
            if o.count is None:
                nbytes = self.matrix_footprint(e, binding, p)
                if nbytes is None:
                    nbytes = self.fresh("len")
            else:
                count = self.count_expr(o.count, binding, defaults, p.elem)
                if count is None:
                    count = self.fresh("len")
                lanes = self.prefix_mask_lanes(entry, e)
                if lanes is not None:
                    count = z3.If(lanes < count, z3.If(lanes > 0, lanes, 0), count)
                nbytes = count * p.elem
            if o.role in ("in", "inout"):
                self.record(p, nbytes, False)
            if o.role in ("out", "inout"):
                self.record(p, nbytes, True)
        cat = entry.category
        if cat == "copy":
            d, s = binding.get("dst"), binding.get("src")
            if isinstance(d, _Ptr) and isinstance(s, _Ptr) and d.root.data_param is None \
                    and s.root.data_param is not None:
                d.root.data_param = s.root.data_param
        ret = entry.returns
        if ret and ret in ("int", "int32", "uint32", "int64"):
            return self.fresh("ret")
        return self.lane_form(entry, binding)

    def lane_accesses(self, entry, e: N.Call, binding: dict, p: _Ptr, role: str) -> None:
        """A gather/scatter through a known index vector: one element access per lane at
        `base + vindex[i] * scale` bytes, under `i < n` when a tail mask selects n leading lanes."""
        idx: _Lanes = binding["vindex"]
        scale = _int(binding.get("scale"))
        if scale is None:
            scale = z3.IntVal(1)
        lanes = self.prefix_mask_lanes(entry, e)
        n = len(self.path)
        for i, v in enumerate(idx.values):
            if lanes is not None:
                self.path.append(z3.IntVal(i) < lanes)
            q = _Ptr(p.root, p.off + v * scale, p.elem, p.dtype)
            if role in ("in", "inout"):
                self.record(q, p.elem, False)
            if role in ("out", "inout"):
                self.record(q, p.elem, True)
            del self.path[n:]

    def lane_form(self, entry, binding: dict) -> _Lanes | None:
        """The integer vector an intrinsic returns, lane by lane, by running its catalogue loop form over
        known operands (scalars and `_Lanes`); None when anything is unknown or not followed."""
        out_op = next((o for o in entry.operands if o.name == "ret" and o.role == "out"), None)
        if out_op is None or entry.loop_form is None or not out_op.dtypes \
                or not all(d.startswith(("int", "uint")) for d in out_op.dtypes):
            return None
        try:
            count = int(out_op.count)
        except (TypeError, ValueError):
            return None
        syms = {o.name: N.Sym(o.name) for o in entry.operands}
        env: dict = {}
        for o in entry.operands:
            if o.name == "ret":
                continue
            v = binding.get(o.name)
            if o.role == "scalar":
                v = _int(v)
            elif not isinstance(v, _Lanes):
                return None
            if v is None:
                return None
            env[syms[o.name]] = v
        out: list = [None] * count
        try:
            stmts = entry.loop_form(**{k: N.Var(sym) for k, sym in syms.items()})
            self.lane_exec(stmts, env, syms["ret"], out)
        except (_NotModelled, TypeError, IndexError, z3.Z3Exception):
            return None
        if any(x is None for x in out):
            return None
        return _Lanes(tuple(z3.simplify(x) for x in out))

    def lane_exec(self, stmts, env: dict, ret: N.Sym, out: list) -> None:
        for st in stmts:
            if isinstance(st, N.For):
                lo, hi, step = (_const_int(x) for x in (st.start, st.stop, st.step))
                for k in range(lo, hi, step):
                    env[st.var] = z3.IntVal(k)
                    self.lane_exec(st.body, env, ret, out)
            elif isinstance(st, N.Store) and st.op is None and isinstance(st.target, N.Load) \
                    and isinstance(st.target.base, N.Var) and st.target.base.sym is ret and len(st.target.indices) == 1:
                out[_const_int(self.lane_ev(st.target.indices[0], env))] = self.lane_ev(st.value, env)
            elif isinstance(st, N.Decl) and st.init is not None:
                env[st.sym] = self.lane_ev(st.init, env)
            elif isinstance(st, N.Block):
                self.lane_exec(st.body, env, ret, out)
            else:
                raise _NotModelled(type(st).__name__)

    def lane_ev(self, e, env: dict) -> Any:
        if isinstance(e, N.Const) and isinstance(e.value, int) and not isinstance(e.value, bool):
            return z3.IntVal(e.value)
        if isinstance(e, N.Var) and e.sym in env and not isinstance(env[e.sym], _Lanes):
            return env[e.sym]
        if isinstance(e, N.Load) and isinstance(e.base, N.Var) and isinstance(env.get(e.base.sym), _Lanes) \
                and len(e.indices) == 1:
            return env[e.base.sym].values[_const_int(self.lane_ev(e.indices[0], env))]
        if isinstance(e, N.Cast) and _int_type(e.type):
            return self.lane_ev(e.value, env)  # index arithmetic: wrap-around is not modelled
        if isinstance(e, N.BinOp):
            v = self.binop(e.op, self.lane_ev(e.a, env), self.lane_ev(e.b, env))
            if v is not None:
                return v
        if isinstance(e, N.Select):
            c = _bool(self.lane_ev(e.cond, env))
            a, b = _int(self.lane_ev(e.a, env)), _int(self.lane_ev(e.b, env))
            if c is not None and a is not None and b is not None:
                return z3.If(c, a, b)
        raise _NotModelled(type(e).__name__)

    def prefix_mask_lanes(self, entry, e: N.Call) -> Any:
        """A lane mask written `(1 << n) - 1` (a prefix of n lanes, the usual tail mask), inline or in a
        variable initialized so, touches only the first n lanes: n as a Z3 term, or None."""
        pseudo = set(entry.extra.get("pseudo", ()))
        ops = [o for o in entry.operands if o.name not in pseudo]
        for o, a in zip(ops, e.args):
            if o.role != "scalar" or o.name not in ("k", "mask"):
                continue
            while isinstance(a, N.Cast):
                a = a.value
            if isinstance(a, N.Var) and a.sym in self.prefix_masks:
                return self.prefix_masks[a.sym]
            return self.prefix_lanes(a)
        return None

    def prefix_lanes(self, a: N.Expr) -> Any:
        while isinstance(a, N.Cast):
            a = a.value
        if isinstance(a, N.Select):  # `tail ? (1 << tail) - 1 : 0`: an arm that is 0 selects no lane
            arms = []
            for arm in (a.a, a.b):
                while isinstance(arm, N.Cast):
                    arm = arm.value
                arms.append(z3.IntVal(0) if isinstance(arm, N.Const) and arm.value == 0 else self.prefix_lanes(arm))
            if any(x is None for x in arms):
                return None
            try:
                return z3.If(self.as_bool(self.ev(a.cond)), arms[0], arms[1])
            except Exception:
                return None
        count = prefix_mask_count(a)
        if count is not None:
            try:
                n = self.ev(count)
            except Exception:
                return None
            return n if isinstance(n, z3.ArithRef) else (z3.IntVal(n) if isinstance(n, int) else None)
        return None

    def count_expr(self, text: str, binding: dict, defaults: dict, itemsize: int) -> Any:
        env: dict[str, Any] = {"itemsize": z3.IntVal(itemsize)}
        for k, v in binding.items():
            if v is None and k in defaults:
                d = defaults[k]
                v = z3.IntVal(d) if isinstance(d, int) else binding.get(d)
            env[k] = _int(v) if not isinstance(v, _Ptr) else None
            if v is None:
                env[k] = None
        try:
            tree = ast.parse(text, mode="eval")
            return _int(_eval_count(tree.body, env))
        except (ValueError, SyntaxError, TypeError, z3.Z3Exception):
            return None


def _const_int(v: Any) -> int:
    """A Python int from an IR constant or a Z3 integer value (else `_NotModelled`)."""
    if isinstance(v, N.Const) and isinstance(v.value, int):
        return v.value
    if z3.is_expr(v):
        v = z3.simplify(v)
        if z3.is_int_value(v):
            return v.as_long()
    raise _NotModelled("not a constant")


def _eval_count(node, env):
    """Evaluate a catalogue count expression over Z3 terms; `//` rounds up (an over-approximation)."""
    if isinstance(node, ast.Constant):
        return node.value if node.value is None else z3.IntVal(int(node.value))
    if isinstance(node, ast.Name):
        return env.get(node.id)
    if isinstance(node, ast.BinOp):
        a, b = _eval_count(node.left, env), _eval_count(node.right, env)
        if a is None or b is None:
            if isinstance(node.op, ast.Mult) and any(x is not None and _is_zero(x) for x in (a, b)):
                return z3.IntVal(0)  # `segnum * stride` with segnum absent (0)
            raise ValueError("missing operand")
        if isinstance(node.op, ast.Add):
            return a + b
        if isinstance(node.op, ast.Sub):
            return a - b
        if isinstance(node.op, ast.Mult):
            return a * b
        if isinstance(node.op, (ast.FloorDiv, ast.Div)):
            return (a + b - 1) / b
        if isinstance(node.op, ast.Mod):
            return a % b
        raise ValueError("operator")
    if isinstance(node, ast.IfExp):
        t = node.test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], (ast.Is, ast.IsNot)):
            v = _eval_count(t.left, env)
            isnone = v is None
            take = isnone if isinstance(t.ops[0], ast.Is) else not isnone
            return _eval_count(node.body if take else node.orelse, env)
        raise ValueError("condition")
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("max", "min"):
        a, b = (_eval_count(x, env) for x in node.args)
        return z3.If(a >= b, a, b) if node.func.id == "max" else z3.If(a <= b, a, b)
    raise ValueError(ast.dump(node))


# ----------------------------------------------------------------------------------------------------------
# small structural helpers


def walk(node):
    """Every node under `node` or under each item of a tuple of nodes."""
    if isinstance(node, tuple):
        for x in node:
            yield from walk(x)
    else:
        yield from _walk1(node)


def _prod(dims: tuple) -> Any:
    out: Any = 1
    for d in dims:
        out = out * d
    return out


def _is_zero(v: Any) -> bool:
    s = z3.simplify(v) if not isinstance(v, int) else v
    return (isinstance(s, int) and s == 0) or (z3.is_int_value(s) and s.as_long() == 0)


def _z3_vars(e: Any) -> set:
    out, seen, stack = set(), set(), [e]
    while stack:
        x = stack.pop()
        if not z3.is_expr(x) or x.get_id() in seen:
            continue
        seen.add(x.get_id())
        if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            out.add(x)
        stack.extend(x.children())
    return out


def _exits(stmts) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (N.Return, N.Break, N.Continue)):
        return True
    if isinstance(last, N.Block):
        return _exits(last.body)
    if isinstance(last, N.If):
        return _exits(last.then) and _exits(last.orelse)
    return False


def _assigned(node) -> list:
    out, seen = [], set()
    for n in walk(node):
        if isinstance(n, N.Assign) and n.sym not in seen:
            seen.add(n.sym)
            out.append(n.sym)
    return out


def _has_break(body) -> bool:
    """A `break` (or return) that leaves this loop (not one inside a nested loop or switch)."""

    def rec(stmts) -> bool:
        for s in stmts:
            if isinstance(s, (N.Break, N.Return)):
                return True
            if isinstance(s, (N.For, N.CFor, N.While, N.DoWhile)):
                if any(isinstance(x, N.Return) for x in walk(s)):
                    return True
                continue
            if isinstance(s, N.Switch):
                if any(isinstance(x, N.Return) for x in walk(s)):
                    return True
                continue
            if isinstance(s, N.If) and (rec(s.then) or rec(s.orelse)):
                return True
            if isinstance(s, N.Block) and rec(s.body):
                return True
        return False

    return rec(body)


def _induction(body, sym, assigned) -> tuple | None:
    """(op, increment expr) when `sym` changes in `body` only by one top-level `sym += c` / `sym = sym + c`
    whose `c` reads nothing the body assigns."""
    count = sum(1 for n in walk(body) if isinstance(n, N.Assign) and n.sym is sym)
    if count != 1:
        return None
    for s in body:
        if isinstance(s, N.Assign) and s.sym is sym:
            if s.op in ("+", "-"):
                op, inc = s.op, s.value
            elif s.op is None and isinstance(s.value, N.BinOp) and s.value.op in ("+", "-") and \
                    isinstance(s.value.a, N.Var) and s.value.a.sym is sym:
                op, inc = s.value.op, s.value.b
            else:
                return None
            reads = {n.sym for n in walk(inc) if isinstance(n, N.Var)}
            local = {n.sym for n in walk(body) if isinstance(n, (N.Decl, N.Alloc))}
            if reads & (set(assigned) | local) or any(isinstance(n, (N.Load, N.Call, N.Deref)) for n in walk(inc)):
                return None
            return op, inc
    return None


# ----------------------------------------------------------------------------------------------------------
# bounds


def _maximize(expr: Any, path: tuple) -> tuple[str, int | None]:
    """('ok', max) / ('unreachable', None) / ('unbounded', None) / ('unknown', None)."""
    e = z3.simplify(expr)
    if z3.is_int_value(e):
        s = z3.Solver()
        s.set("timeout", _OPT_TIMEOUT_MS)
        s.add(*path)
        r = s.check()
        if r == z3.unsat:
            return "unreachable", None
        return "ok", e.as_long()
    opt = z3.Optimize()
    opt.set("timeout", _OPT_TIMEOUT_MS)
    opt.add(*path)
    h = opt.maximize(e)
    r = opt.check()
    if r == z3.unsat:
        return "unreachable", None
    if r != z3.sat:
        return _search_max(e, path)
    up = opt.upper(h)
    if z3.is_int_value(up):
        return "ok", up.as_long()
    return "unbounded", None


def _search_max(e: Any, path: tuple) -> tuple[str, int | None]:
    """The maximum of `e` by satisfiability checks (for nonlinear terms that Optimize gives up on):
    a model gives a lower bound, doubling finds an upper bound, bisection closes the gap."""
    s = z3.Solver()
    s.set("timeout", _OPT_TIMEOUT_MS // 2)
    s.add(*path)

    def above(b: int) -> Any:  # True: some value > b; False: none; None: unknown
        s.push()
        s.add(e > b)
        r = s.check()
        m = s.model() if r == z3.sat else None
        s.pop()
        if r == z3.unsat:
            return False
        return None if m is None else m.eval(e, model_completion=True).as_long()

    r = s.check()
    if r != z3.sat:
        return ("unreachable", None) if r == z3.unsat else ("unknown", None)
    lo = s.model().eval(e, model_completion=True).as_long()
    step, hi = 1, None
    for _ in range(64):
        got = above(lo + step - 1)
        if got is None:
            return "unknown", None
        if got is False:
            hi = lo + step - 1
            break
        lo, step = max(lo, got), step * 2
    if hi is None:
        return "unbounded", None
    while lo < hi:  # max is in [lo, hi]
        mid = (lo + hi + 1) // 2
        got = above(mid - 1)
        if got is None:
            return "unknown", None
        if got is False:
            hi = mid - 1
        else:
            lo = max(mid, got)
    return "ok", lo


def _linear_in(expr: Any, var: Any) -> tuple[Any, Any] | None:
    """(expr with var = 0, constant coefficient of var) when expr is linear in var."""
    e0 = z3.simplify(z3.substitute(expr, (var, z3.IntVal(0))))
    e1 = z3.simplify(z3.substitute(expr, (var, z3.IntVal(1))))
    e2 = z3.simplify(z3.substitute(expr, (var, z3.IntVal(2))))
    d1, d2 = z3.simplify(e1 - e0), z3.simplify(e2 - e1)
    if z3.is_int_value(d1) and z3.is_int_value(d2) and d1.as_long() == d2.as_long():
        return e0, d1.as_long()
    return None


def analyze(program, *, scalars: dict[int, int] | None = None) -> Facts:
    """Symbolically execute the entry of `program` (an xpiler.pipeline.program.Program) and bound every
    parameter's accesses. `scalars` binds integer scalar parameters by position (default 64)."""
    ex = _Exec(program, scalars)
    crashed = None
    try:
        ex.run()
    except (z3.Z3Exception, RecursionError, ValueError, TypeError, KeyError, AttributeError) as e:
        crashed = f"analysis stopped: {type(e).__name__}: {e}"  # every buffer then counts as unbounded
        ex.notes.append(crashed)
    fn = program.entry_func
    params: list[ParamFacts] = []
    for i, prm in enumerate(fn.params):
        t = prm.type
        ptr = isinstance(t, Pointer)
        dt = _type_dtype(t.pointee) if ptr else _type_dtype(t)
        params.append(ParamFacts(i, prm.sym.name, dt, ptr, scalar_value=ex.scalars.get(i) if not ptr else None,
                                 nonneg=i in ex.nonneg, in_math=i in ex.scalar_in_math))
    # bounds per parameter
    maxes: dict[int, int] = {}
    dd: dict[int, dict[int, list]] = {}  # param -> idx param -> [scale, offset_bytes]
    failed: set[int] = set()
    seen: set = set()
    for acc in ex.accesses:
        p = acc.root.param
        if p is not None and acc.root.kind == "param":
            if acc.write:
                params[p].written = True
            else:
                params[p].read = True
        end = acc.off + acc.nbytes
        end = z3.simplify(end)
        key = (acc.root.id, end.get_id(), tuple(c.get_id() for c in acc.path), acc.write)
        if key in seen:
            continue
        seen.add(key)
        if acc.root.kind != "param" and (acc.root.size is None or
                                         not any(str(v) in ex.data_vars for v in _z3_vars(end))):
            continue  # only parameter roots have extents; other buffers matter for index limits
        try:
            status, m = _maximize(end, acc.path)
        except z3.Z3Exception:
            status, m = "unknown", None
        if status == "unreachable":
            continue
        if status == "ok":
            if p is not None:
                maxes[p] = max(maxes.get(p, 0), m)
            continue
        # unbounded: data-dependent on one loaded index value?
        dvars = [v for v in _z3_vars(end) if str(v) in ex.data_vars]
        got = None
        if len(dvars) == 1:
            lin = _linear_in(end, dvars[0])
            if lin is not None and lin[1] > 0:
                st0, m0 = _maximize(lin[0], acc.path)
                if st0 == "ok":
                    got = (ex.data_vars[str(dvars[0])], lin[1], m0)
        if got is None:
            if p is not None and acc.root.kind == "param":
                failed.add(p)
                ex.notes.append(f"unbounded access of {params[p].name}")
            continue
        ip, scale, off0 = got
        if ip < len(params):
            if p not in params[ip].index_of and p is not None:
                params[ip].index_of.append(p)
            if acc.write:
                params[ip].scatter = True
        if p is not None and acc.root.kind == "param":
            cur = dd.setdefault(p, {}).setdefault(ip, [0, 0])
            cur[0], cur[1] = max(cur[0], scale), max(cur[1], off0)
        else:  # a fixed-size buffer indexed by data: the index values must keep it in bounds
            size = z3.simplify(acc.root.size) if acc.root.size is not None else None
            if size is not None and z3.is_int_value(size):
                limit = (size.as_long() - off0) // scale + 1
                old = params[ip].index_limit
                params[ip].index_limit = limit if old is None else min(old, limit)
    for prm in params:
        if not prm.pointer:
            continue
        item = max(1, dtypes.itemsize(prm.dtype)) if prm.dtype else 1
        i = prm.index
        if i in failed or crashed:
            prm.extent = Extent(None)
        elif i in dd:
            ip, (scale, off0) = max(dd[i].items(), key=lambda kv: kv[1][0])
            off_b = max(off0, maxes.get(i, 0))
            idx_count = None
            if params[ip].pointer and ip not in failed and ip not in dd:
                it = max(1, dtypes.itemsize(params[ip].dtype)) if params[ip].dtype else 1
                idx_count = -(-maxes.get(ip, 0) // it)
            prm.extent = Extent(None, (ip, idx_count, -(-scale // item), -(-off_b // item)))
        else:
            prm.extent = Extent(-(-maxes.get(i, 0) // item))
    return Facts(params, ex.notes)


def buffer_extents(program, *, scalars: dict[int, int] | None = None) -> list[Extent | None]:
    """One `Extent` per parameter of `program.entry_func` (None for scalars); see the module docstring."""
    return analyze(program, scalars=scalars).extents


def stable_extents(program) -> list:
    """`buffer_extents`, with every extent that depends on an integer scalar parameter replaced by
    `Extent(None)`: the analysis binds scalars to one value, so extents are computed under two bindings and
    those that differ are not constants a host wrapper may use."""
    from xpiler.ir import types as T

    base = buffer_extents(program)
    ints = {i: 97 for i, p in enumerate(program.entry_func.params)
            if isinstance(p.type, T.Scalar) and p.type.dtype not in ("float16", "bfloat16", "float32", "float64")}
    if not ints:
        return base
    other = buffer_extents(program, scalars=ints)
    return [Extent(None) if isinstance(e, Extent) and e != o else e for e, o in zip(base, other)]
