"""Helpers for passes over SIMT (cuda / hip) programs: launch configurations evaluated to constants, warp
collective detection, symbol renaming and fresh copies, return lifting, and inlining of device functions.

Limits: launch dimensions must fold to integers (macros, `dim3` locals of the host function that are never
reassigned nor address-taken, integer constants); inlining handles calls in statement-level positions
(declaration initializers, assignments, stores, expression statements, if conditions) that are not under
`&&`, `||` or `?:`, of functions whose `return`s are not inside loops.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from xpiler.frontend.consteval import const_value
from xpiler.ir import nodes as N
from xpiler.ir.types import BOOL, Fragment, Named, Scalar, Scope
from xpiler.ir.visit import Rewriter, children, substitute
from xpiler.ir.visit import free_syms as _free_syms
from xpiler.ir.visit import walk as _walk
from xpiler.ir.z3expr import expand_macros
from xpiler.pipeline.passes import PassDeclined

LOOPS = (N.For, N.CFor, N.While, N.DoWhile)


def walk(node: Any):
    """`xpiler.ir.visit.walk` that also accepts tuples and lists of nodes."""
    if isinstance(node, (tuple, list)):
        for x in node:
            yield from walk(x)
    elif node is not None:
        yield from _walk(node)


def free_syms(node: Any) -> set:
    """`xpiler.ir.visit.free_syms` that also accepts tuples and lists of nodes."""
    out: set = set()
    for x in (node if isinstance(node, (tuple, list)) else (node,)):
        if x is not None:
            out |= _free_syms(x)
    return out

# Warp / wave collectives and other calls whose meaning depends on the other threads of a warp.
_COLLECTIVE = re.compile(r"^(__shfl|__ballot|__all|__any|__activemask|__reduce_|__syncthreads_|__match|"
                         r"__builtin_amdgcn|__lane_id|__lanemask|__popc_sync|__uniform|__fns|__syncwarp_)")


_PER_THREAD = ("convert", "elementwise", "math")  # intrinsic categories that involve the calling thread only


def collective_in(node: Any, catalogue: Any = None) -> str | None:
    """A description of the first warp collective, tensor-core intrinsic or fragment under `node`, or None.
    Intrinsics of `catalogue` whose category is per-thread (conversions, element-wise math) are allowed;
    without a catalogue every intrinsic call counts."""
    for n in walk(node):
        if isinstance(n, N.Call):
            if _COLLECTIVE.match(n.name) or "wmma::" in n.name:
                return f"call of {n.name}"
            if n.kind is N.CallKind.INTRINSIC:
                entry = catalogue.get(n.name) if catalogue is not None else None
                if entry is None or entry.category not in _PER_THREAD:
                    return f"call of {n.name}"
        if isinstance(n, Fragment):
            return "a wmma fragment"
        if isinstance(n, N.Barrier) and n.scope not in (N.BarrierScope.BLOCK, N.BarrierScope.WARP):
            return f"a {n.scope.value}-scope barrier"
    return None


def lvalue_root(e: Any) -> N.Sym | None:
    """The variable an lvalue belongs to: `v`, `v.x`, `v[i][j]` -> v (indices are only read); None for
    memory reached through a computed pointer."""
    while isinstance(e, (N.Load, N.Member)):
        e = e.base
    return e.sym if isinstance(e, N.Var) else None


def address_taken(node: Any) -> set:
    """Variables whose address is taken (`&v`, `&v[i]`, `&v.x`) under `node`."""
    out = set()
    for n in walk(node):
        if isinstance(n, N.AddrOf):
            r = lvalue_root(n.value)
            if r is not None:
                out.add(r)
            elif not isinstance(n.value, N.Deref):
                out.update(m.sym for m in walk(n.value) if isinstance(m, N.Var))
    return out


# ----------------------------------------------------------------------------------------------------------
# launch configurations


def macro_values(module: N.Module) -> dict:
    """Object-like macros of `module` by Sym, for `const_value`."""
    return {d.sym: d.body for d in module.defines().values() if d.params is None and d.body is not None}


def _const(e: N.Expr, module: N.Module, env: dict) -> int | None:
    try:
        e = expand_macros(e, module.defines())
    except ValueError:
        return None
    v = const_value(e, {**macro_values(module), **env})
    if isinstance(v, bool):
        v = int(v)
    return v if isinstance(v, int) else None


def _dim3(e: N.Expr, module: N.Module, env: dict, dims: dict) -> tuple[int, int, int] | None:
    """The value of a launch dimension expression: an integer, `dim3(...)`, or a dim3 local."""
    if isinstance(e, N.Var) and e.sym in dims:
        return dims[e.sym]
    if isinstance(e, N.Call) and e.kind is N.CallKind.CTOR and e.name == "dim3":
        vals = [_const(a, module, env) for a in e.args]
        if len(vals) > 3 or any(v is None for v in vals):
            return None
        vals = vals + [1] * (3 - len(vals))
        return tuple(vals)  # type: ignore[return-value]
    v = _const(e, module, env)
    return None if v is None else (v, 1, 1)


def _warp_size_query(n: Any) -> N.Sym | None:
    """`cudaDeviceGetAttribute(&v, cudaDevAttrWarpSize, dev)` / `hipDeviceGetAttribute(&v,
    hipDeviceAttributeWarpSize, dev)`: the symbol `v` that receives the warp size."""
    if (isinstance(n, N.Evaluate) and isinstance(n.value, N.Call) and n.value.name.endswith("DeviceGetAttribute")
            and len(n.value.args) == 3 and isinstance(n.value.args[0], N.AddrOf)
            and isinstance(n.value.args[0].value, N.Var) and isinstance(n.value.args[1], N.Var)
            and n.value.args[1].sym.name.endswith("WarpSize")):
        return n.value.args[0].value.sym
    return None


def _host_constants(func: N.Func, module: N.Module, warp_size: int | None = None) -> tuple[dict, dict]:
    """Integer and dim3 locals of a host function whose value is a constant expression and which are never
    reassigned, stored to through members, nor address-taken; a local that only receives the device's warp
    size (DeviceGetAttribute) has the dialect's warp size."""
    warp_vars = {v for n in walk(func) if (v := _warp_size_query(n)) is not None} if warp_size else set()
    queries = {id(n.value.args[0]) for n in walk(func) if _warp_size_query(n) is not None} if warp_size else set()
    assigned: set = set()
    for n in walk(func):
        if id(n) in queries:
            continue
        if isinstance(n, N.Assign):
            assigned.add(n.sym)
        elif isinstance(n, N.AddrOf):
            assigned |= address_taken(n)
        elif isinstance(n, N.Store):
            for m in walk(n.target):
                if isinstance(m, N.Var):
                    assigned.add(m.sym)
    env: dict = {v: N.Const(warp_size) for v in warp_vars if v not in assigned}
    dims: dict = {}
    for n in walk(func):
        if not isinstance(n, N.Decl) or n.init is None or n.sym in assigned or n.sym in env:
            continue
        if isinstance(n.type, Named) and n.type.name == "dim3":
            d = _dim3(n.init, module, env, dims)
            if d is not None:
                dims[n.sym] = d
        elif isinstance(n.type, Scalar) and _const(n.init, module, env) is not None:
            env[n.sym] = n.init
    return env, dims


def host_launches(module: N.Module, warp_size: int | None = None) -> dict[str, list[tuple[Any, Any]]]:
    """For every kernel launched by host code: the list of (grid, block) triples of its launches, or None
    entries where a launch's block is not constant. A grid component that is not constant (a run-time size:
    `(n + 255) / 256`, a dim3 local built from parameters) is the host expression that computes it, valid at
    the launch site; block components are always integers (per-thread storage is sized by them)."""
    out: dict[str, list] = {}
    for f in module.funcs():
        if f.kind is N.FuncKind.KERNEL or f.is_declaration:
            continue
        config = launch_config_reader(f, module, warp_size)
        for n in walk(f):
            if isinstance(n, N.Launch):
                out.setdefault(n.kernel, []).append(config(n))
    return out


def launch_config_reader(func: N.Func, module: N.Module, warp_size: int | None = None):
    """A function `Launch -> (grid, block) | None` for the launches of host function `func` (see
    `host_launches`)."""
    env, dims = _host_constants(func, module, warp_size)
    sym_dims = _host_dim3_exprs(func, dims)

    def read(n: N.Launch):
        grid = _dim3_sym(n.config[0], module, env, dims, sym_dims) if len(n.config) > 0 else None
        block = _dim3(n.config[1], module, env, dims) if len(n.config) > 1 else None
        return (grid, block) if grid and block else None

    return read


def symbolic(component: Any) -> bool:
    """Is a launch dimension component (from `host_launches`) a run-time expression rather than an int?"""
    return not isinstance(component, int)


def _host_dim3_exprs(func: N.Func, const_dims: dict) -> dict:
    """dim3 locals of a host function that are initialized once with a constructor (never reassigned, stored
    to through members, nor address-taken) and are not constant: their three component expressions."""
    assigned: set = set()
    for n in walk(func):
        if isinstance(n, N.Assign):
            assigned.add(n.sym)
        elif isinstance(n, N.Store):
            r = lvalue_root(n.target)
            if r is not None:
                assigned.add(r)
    assigned |= address_taken(func)
    out: dict = {"__all__": {n.sym for n in walk(func) if isinstance(n, N.Decl) and isinstance(n.type, Named)
                             and n.type.name == "dim3"}}
    for n in walk(func):
        if (isinstance(n, N.Decl) and isinstance(n.type, Named) and n.type.name == "dim3" and n.init is not None
                and n.sym not in assigned and n.sym not in const_dims):
            args = _ctor_args(n.init)
            if args is not None:
                out[n.sym] = args
    return out


def _ctor_args(e: N.Expr) -> tuple | None:
    """`dim3(a, b)` / `{a, b}` / a plain integer expression -> (a, b, 1)."""
    if isinstance(e, N.Call) and e.kind is N.CallKind.CTOR and e.name == "dim3":
        args = tuple(e.args)
    elif isinstance(e, N.InitList):
        args = tuple(e.items)
    else:
        args = (e,)
    if not 1 <= len(args) <= 3:
        return None
    return args + (N.Const(1),) * (3 - len(args))


def _dim3_sym(e: N.Expr, module: N.Module, env: dict, dims: dict, sym_dims: dict) -> tuple | None:
    """Like `_dim3`, but a component that does not fold to an integer is kept as its expression."""
    d = _dim3(e, module, env, dims)
    if d is not None:
        return d
    if isinstance(e, N.Var) and e.sym in sym_dims:
        args = sym_dims[e.sym]
    elif isinstance(e, N.Var) and e.sym in sym_dims.get("__all__", ()):
        return None  # a dim3 local whose value is not known here
    else:
        args = _ctor_args(e)
    if args is None:
        return None
    out = []
    for a in args:
        v = _const(a, module, env)
        out.append(v if v is not None else a)
    return tuple(out)


def parse_simt_launch(text: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    from xpiler.launch import parse_launch

    lc = parse_launch(text)
    g = tuple(int(x) for x in lc.get("grid", "1,1,1").split(","))
    b = tuple(int(x) for x in lc.get("block", "1,1,1").split(","))
    if lc.get("shmem") not in (None, "0"):
        raise PassDeclined("loop_recovery: launches with dynamic shared memory are not handled")
    return g, b  # type: ignore[return-value]


# ----------------------------------------------------------------------------------------------------------
# symbols


def declared_syms(node: Any) -> list[N.Sym]:
    """Symbols declared under `node` (Decl, Alloc, For counters), in source order, without duplicates."""
    out: list = []
    seen: set = set()
    for n in walk(node):
        s = None
        if isinstance(n, (N.Decl, N.Alloc)):
            s = n.sym
        elif isinstance(n, N.For):
            s = n.var
        if s is not None and s not in seen:
            seen.add(s)
            out.append(s)
    return out


class RenameSyms(Rewriter):
    """Replace symbols everywhere they occur (uses, assignment targets, declarations, loop counters,
    parameters, opaque read/write lists)."""

    def __init__(self, mapping: dict) -> None:
        self.m = mapping

    def _s(self, s):
        return self.m.get(s, s)

    def rewrite_Var(self, n):
        return N.Var(self.m[n.sym]) if n.sym in self.m else None

    def rewrite_Assign(self, n):
        return replace(n, sym=self.m[n.sym]) if n.sym in self.m else None

    def rewrite_Decl(self, n):
        return replace(n, sym=self.m[n.sym]) if n.sym in self.m else None

    def rewrite_Alloc(self, n):
        return replace(n, sym=self.m[n.sym]) if n.sym in self.m else None

    def rewrite_For(self, n):
        return replace(n, var=self.m[n.var]) if n.var in self.m else None

    def rewrite_Param(self, n):
        return replace(n, sym=self.m[n.sym]) if n.sym in self.m else None

    def rewrite_Opaque(self, n):
        if any(s in self.m for s in n.reads + n.writes):
            return replace(n, reads=tuple(map(self._s, n.reads)), writes=tuple(map(self._s, n.writes)))
        return None

    def rewrite_OpaqueExpr(self, n):
        if any(s in self.m for s in n.reads):
            return replace(n, reads=tuple(map(self._s, n.reads)))
        return None


def fresh_copy(node: Any, extra: dict | None = None) -> Any:
    """`node` with a new Sym (same name) for every symbol declared inside it, plus the `extra` renames."""
    mapping = {s: s.copy() for s in declared_syms(node)}
    mapping.update(extra or {})
    return RenameSyms(mapping).rewrite(node)


def uniquify_names(func: N.Func, taken: set[str]) -> N.Func:
    """Rename symbols declared in `func` so that no declaration reuses a name visible at that point (an
    enclosing scope's symbol, an earlier one of the same scope) or a name of `taken` (macros, globals,
    functions). Moving declarations between scopes can then never make names collide or shadow."""
    mapping: dict = {}

    def declare(sym: N.Sym, visible: set) -> None:
        if sym in mapping:
            visible.add(mapping[sym].name)
            return
        name = sym.name
        if name in visible or name in taken:
            k = 1
            while f"{name}_{k}" in visible or f"{name}_{k}" in taken:
                k += 1
            mapping[sym] = N.Sym(f"{name}_{k}")
            name = f"{name}_{k}"
        visible.add(name)

    def stmts(ss, visible: set) -> None:
        for s in ss:
            stmt(s, visible)

    def stmt(s, visible: set) -> None:
        if isinstance(s, (N.Decl, N.Alloc)):
            declare(s.sym, visible)
        elif isinstance(s, N.For):
            inner = set(visible)
            declare(s.var, inner)
            stmts(s.body, inner)
        elif isinstance(s, N.CFor):
            inner = set(visible)
            stmts(s.init, inner)
            stmts(s.body, inner)
        elif isinstance(s, (N.While, N.DoWhile, N.Block)):
            stmts(s.body, set(visible))
        elif isinstance(s, N.If):
            stmts(s.then, set(visible))
            stmts(s.orelse, set(visible))
        elif isinstance(s, N.Switch):
            inner = set(visible)
            for c in s.cases:
                stmts(c.body, inner)

    top: set = set()
    for p in func.params:
        declare(p.sym, top)
    stmts(func.body, top)
    return RenameSyms(mapping).rewrite(func) if mapping else func


def module_names(module: N.Module) -> set[str]:
    names = set(module.defines())
    for it in module.items:
        if isinstance(it, N.Func):
            names.add(it.name)
        elif isinstance(it, (N.Alloc, N.Decl)):
            names.add(it.sym.name)
        elif isinstance(it, N.TypeAlias):
            names.add(it.name)
    return names


# ----------------------------------------------------------------------------------------------------------
# returns


def has_return(node: Any) -> bool:
    return any(isinstance(n, N.Return) for n in walk(node))


def return_in_loop(stmts: Any) -> bool:
    """Is some `return` under `stmts` nested in a loop or a switch?"""
    def visit(n, inside):
        if isinstance(n, N.Return):
            return inside
        inner = inside or isinstance(n, LOOPS + (N.Switch,))
        return any(visit(c, inner) for c in children(n))
    return any(visit(s, False) for s in stmts)


def lift_returns(stmts: tuple, ret: N.Sym | None, flag_name: str = "returned") -> tuple:
    """Rewrite `stmts` so that no `return` is left: `return v` becomes `ret = v` (dropped when `ret` is
    None). After an `if` one of whose branches always returns while the other never does, the rest of the
    list moves into the other branch; otherwise each return also sets a flag (`bool returned = false;`
    declared first) and the rest of the list runs under `if (!returned)`. No code is duplicated (a copy of a
    barrier or a `__shared__` buffer would split what the threads share). Raises PassDeclined when a
    return sits in a loop or a switch."""
    if return_in_loop(stmts):
        raise PassDeclined("loop_recovery: a return inside a loop or switch is not handled")
    ctx = {"ret": ret, "flag": N.Sym(flag_name), "read": False}
    out = _lift(list(stmts), ctx)
    flag = ctx["flag"]
    if ctx["read"]:
        return (N.Decl(flag, BOOL, N.Const(False, "bool")),) + tuple(out)

    class Drop(Rewriter):  # nobody reads the flag: drop its stores, tidy the ifs they leave empty
        def rewrite_Assign(self, n):
            return () if n.sym is flag else None

        def rewrite_If(self, n):
            if not n.then and n.orelse:
                return replace(n, cond=N.UnOp("!", n.cond), then=n.orelse, orelse=())
            return None

    return Drop().rewrite(tuple(out))


def _always_returns(stmts: tuple) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, N.Return):
        return True
    if isinstance(last, N.Block):
        return _always_returns(last.body)
    if isinstance(last, N.If):
        return _always_returns(last.then) and _always_returns(last.orelse)
    return False


def _lift(stmts: list, ctx: dict) -> list:
    out: list = []
    for i, s in enumerate(stmts):
        if not has_return(s):
            out.append(s)
            continue
        rest = stmts[i + 1:]
        if isinstance(s, N.Return):
            if s.value is not None and ctx["ret"] is not None:
                out.append(N.Assign(ctx["ret"], s.value, loc=s.loc))
            out.append(N.Assign(ctx["flag"], N.Const(True, "bool"), loc=s.loc))
            return out
        if isinstance(s, N.Block):
            return out + _lift(list(s.body) + rest, ctx)
        if isinstance(s, N.If):
            t_has, e_has = has_return(s.then), has_return(s.orelse)
            if rest and _always_returns(s.then) and not e_has:
                out.append(replace(s, then=tuple(_lift(list(s.then), ctx)), orelse=tuple(_lift(list(s.orelse) + rest, ctx))))
                return out
            if rest and _always_returns(s.orelse) and not t_has:
                out.append(replace(s, then=tuple(_lift(list(s.then) + rest, ctx)), orelse=tuple(_lift(list(s.orelse), ctx))))
                return out
            out.append(replace(s, then=tuple(_lift(list(s.then), ctx)), orelse=tuple(_lift(list(s.orelse), ctx))))
            if rest:
                ctx["read"] = True
                out.append(N.If(N.UnOp("!", N.Var(ctx["flag"])), tuple(_lift(rest, ctx))))
            return out
        raise PassDeclined(f"loop_recovery: cannot lift a return out of a {type(s).__name__}")
    return out


# ----------------------------------------------------------------------------------------------------------
# inlining device functions


def _calls_in(e: Any, names: set[str]) -> list[N.Call]:
    return [n for n in walk(e) if isinstance(n, N.Call) and n.name in names and n.kind in (N.CallKind.FUNC,
                                                                                             N.CallKind.OTHER)]


def _under_short_circuit(e: Any, names: set[str]) -> bool:
    for n in walk(e):
        parts = ()
        if isinstance(n, N.BinOp) and n.op in ("&&", "||"):
            parts = (n.b,)
        elif isinstance(n, N.Select):
            parts = (n.a, n.b)
        if any(_calls_in(p, names) for p in parts):
            return True
    return False


def needs_inlining(module: N.Module) -> set[str]:
    """Device functions that must be inlined into kernels for loop recovery: those that (transitively)
    contain a barrier, read a thread built-in, or declare `__shared__` memory."""
    devs = {f.name: f for f in module.funcs() if f.kind is N.FuncKind.DEVICE and not f.is_declaration}
    need = set()
    for f in devs.values():
        if any(isinstance(n, (N.Barrier, N.Builtin)) or (isinstance(n, N.Alloc) and n.scope is Scope.SHARED)
               for n in walk(f)):
            need.add(f.name)
    changed = True
    while changed:
        changed = False
        for f in devs.values():
            if f.name not in need and _calls_in(f.body, need):
                need.add(f.name)
                changed = True
    return need


class _Inliner:
    def __init__(self, funcs: dict[str, N.Func]) -> None:
        self.funcs = funcs
        self.names = set(funcs)

    def stmts(self, stmts: tuple, depth: int = 0) -> tuple:
        out: list = []
        for s in stmts:
            out.extend(self.stmt(s, depth))
        return tuple(out)

    def stmt(self, s: N.Stmt, depth: int) -> list:
        if depth > 16:
            raise PassDeclined("loop_recovery: device functions nested too deeply (recursion?)")
        # statements with nested bodies: inline inside the bodies; conditions of loops must be call-free
        if isinstance(s, LOOPS):
            heads = {N.For: ("start", "stop", "step"), N.CFor: ("init", "cond", "update"), N.While: ("cond",),
                     N.DoWhile: ("cond",)}[type(s)]
            if any(_calls_in(getattr(s, h), self.names) for h in heads):
                raise PassDeclined("loop_recovery: a call of a device function with barriers in a loop header")
            return [replace(s, body=self.stmts(s.body, depth))]
        if isinstance(s, N.Block):
            return [replace(s, body=self.stmts(s.body, depth))]
        if isinstance(s, N.Switch):
            if _calls_in(s.value, self.names):
                raise PassDeclined("loop_recovery: a call of a device function in a switch value")
            return [replace(s, cases=tuple(replace(c, body=self.stmts(c.body, depth)) for c in s.cases))]
        if isinstance(s, N.If):
            s = replace(s, then=self.stmts(s.then, depth), orelse=self.stmts(s.orelse, depth))
            exprs: tuple = (s.cond,)
        elif isinstance(s, N.Decl):
            exprs = (s.init,) if s.init is not None else ()
        elif isinstance(s, (N.Assign, N.Evaluate, N.Return)):
            exprs = (s.value,) if s.value is not None else ()
        elif isinstance(s, N.Store):
            exprs = (s.target, s.value)
        else:
            exprs = ()
        calls = [c for e in exprs for c in _calls_in(e, self.names)]
        if not calls:
            return [s]
        if any(_under_short_circuit(e, self.names) for e in exprs):
            raise PassDeclined("loop_recovery: a call of a device function under &&, || or ?:")
        pre: list = []
        result_of: dict = {}
        for call in reversed(calls):  # walk order is outermost first: expand the innermost calls first
            args = tuple(self._subst_calls(a, result_of) for a in call.args)
            pre_c, value = self.expand(self.funcs[call.name], args, depth)
            pre.extend(pre_c)
            result_of[id(call)] = value
        if isinstance(s, N.Evaluate) and isinstance(s.value, N.Call) and id(s.value) in result_of:
            return pre  # the call's value is not used
        return pre + [self._subst_calls(s, result_of)]

    def _subst_calls(self, node: Any, result_of: dict) -> Any:
        class R(Rewriter):
            def rewrite(self, n):
                if isinstance(n, N.Call) and id(n) in result_of:
                    return result_of[id(n)]
                return super().rewrite(n)
        return R().rewrite(node)

    def expand(self, f: N.Func, args: tuple, depth: int) -> tuple[list, N.Expr]:
        if len(args) != len(f.params):
            raise PassDeclined(f"loop_recovery: call of {f.name} with {len(args)} arguments")
        if f.template_params:
            raise PassDeclined(f"loop_recovery: inlining the template device function {f.name}")
        assigned = {n.sym for n in walk(f.body) if isinstance(n, N.Assign)}
        addr = address_taken(f.body)
        subst: dict = {}
        rename: dict = {}
        decls: list = []
        for p, a in zip(f.params, args):
            simple = isinstance(a, (N.Var, N.Const)) and p.sym not in assigned and p.sym not in addr
            if simple:
                subst[p.sym] = a
            else:
                q = p.sym.copy()
                rename[p.sym] = q
                decls.append(N.Decl(q, p.type, a, const=False))
        body = fresh_copy(f.body, rename)
        body = substitute(body, subst)
        is_void = isinstance(f.ret, Scalar) and f.ret.dtype == "void"
        ret = None if is_void else N.Sym(f"{f.name}_ret")
        body = lift_returns(body, ret, f"{f.name}_returned")
        body = self.stmts(body, depth + 1)
        pre: list = []
        if ret is not None:
            pre.append(N.Decl(ret, f.ret))
        pre.append(N.Block(tuple(decls) + tuple(body)))
        return pre, (N.Var(ret) if ret is not None else N.Const(0))


def inline_device_functions(module: N.Module, names: set[str]) -> N.Module:
    """Inline the device functions `names` into every kernel (and into each other); drop those no longer
    called anywhere."""
    if not names:
        return module
    funcs = {f.name: f for f in module.funcs() if f.name in names and not f.is_declaration}
    inl = _Inliner(funcs)
    items = []
    for it in module.items:
        if isinstance(it, N.Func) and it.kind is N.FuncKind.KERNEL and not it.is_declaration:
            it = replace(it, body=inl.stmts(it.body))
        items.append(it)
    module = replace(module, items=tuple(items))
    called = {n.name for it in module.items if isinstance(it, N.Func) and it.name not in names
              for n in walk(it) if isinstance(n, N.Call)}
    return replace(module, items=tuple(it for it in module.items
                                       if not (isinstance(it, N.Func) and it.name in names
                                               and it.name not in called)))


# ------------------------------------------------------------------------------------------------ masks
ACTIVEMASK = "__activemask"


def activemask_as_full(module: N.Module, full: int = 0xFFFFFFFF) -> tuple[N.Module, int]:
    """`__activemask()` whose value only ever reaches the mask operand of `__shfl*_sync` calls becomes the
    full warp mask (TVM's cross-thread reductions: `mask[0] = __activemask(); t = __shfl_down_sync(mask[0],
    v, 16, 32);`). A shuffle's mask names the lanes taking part, and the lanes that reach it are exactly the
    active ones, so the shuffle's value does not depend on it: ports and lane loops drop the mask. Returns
    the module unchanged (and 0) when the value is used otherwise (a vote, a count, arithmetic)."""
    changed = 0
    items = []
    for it in module.items:
        if isinstance(it, N.Func) and not it.is_declaration and any(
                isinstance(n, N.Call) and n.name == ACTIVEMASK for n in _walk(it)):
            new = _activemask_in(it, full)
            if new is not None:
                it = new
                changed += 1
        items.append(it)
    return (replace(module, items=tuple(items)), changed) if changed else (module, 0)


def _activemask_in(func: N.Func, full: int) -> N.Func | None:
    def is_am(e) -> bool:
        return isinstance(e, N.Call) and e.name == ACTIVEMASK and not e.args

    holders: set = set()  # scalars and local arrays assigned exactly __activemask()
    for n in _walk(func):
        if isinstance(n, N.Decl) and n.init is not None and is_am(n.init):
            holders.add(n.sym)
        elif isinstance(n, N.Assign) and is_am(n.value) and n.op is None:
            holders.add(n.sym)
        elif isinstance(n, N.Store) and is_am(n.value) and n.op is None and isinstance(n.target, N.Load) \
                and isinstance(n.target.base, N.Var):
            holders.add(n.target.base.sym)
    total = sum(1 for n in _walk(func) if isinstance(n, N.Call) and n.name == ACTIVEMASK)
    placed = sum(1 for n in _walk(func) for v in (getattr(n, "init", None), getattr(n, "value", None))
                 if isinstance(n, (N.Decl, N.Assign, N.Store)) and v is not None and is_am(v))
    if not holders or placed != total:
        return None  # __activemask() inside a larger expression

    # every read of a holder must be the mask (first) operand of a shuffle
    class _Strip(Rewriter):
        def rewrite_Call(self, c: N.Call):
            mask = c.args[0] if c.args else None
            vs = [x for x in _walk(mask) if isinstance(x, N.Var)] if mask is not None else []
            if c.name.startswith("__shfl") and c.name.endswith("_sync") and vs and all(
                    x.sym in holders for x in vs) and not any(isinstance(x, N.Call) for x in _walk(mask)):
                return replace(c, args=(N.Const(0),) + tuple(self.rewrite(a) for a in c.args[1:]))
            return None

        def rewrite_Store(self, s: N.Store):
            if isinstance(s.target, N.Load) and isinstance(s.target.base, N.Var) and s.target.base.sym in holders:
                return N.Comment("")
            return None

        def rewrite_Assign(self, s: N.Assign):
            return N.Comment("") if s.sym in holders else None

    stripped = _Strip().rewrite(func)
    used = {x.sym for x in _walk(stripped) if isinstance(x, N.Var)}
    if used & holders:
        return None

    class _Full(Rewriter):
        def rewrite_Call(self, c: N.Call):
            return N.Const(full, "uint32", f"{full:#x}u") if is_am(c) else None

    return _Full().rewrite(func)
