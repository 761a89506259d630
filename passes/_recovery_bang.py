"""Loop recovery for BANG C: a bare `__mlu_global__` kernel launched as N tasks becomes a kernel launched as
one task whose body is `for (task = 0; task < N; ++task) { ... }`, a loop marked LoopKind.PARALLEL.

Inside the loop the built-in variables are the values the CPU runtime gives task `task` for the program's
launch (xp_bang_rt.cpp, set_task / launch): taskId = task, taskDim = N, taskIdX/Y/Z from dim=X,Y,Z
(x fastest), taskDimX/Y/Z = X/Y/Z, coreDim = cores; a UnionC launch (`clusters=C`) groups C*cores
consecutive tasks into a job: clusterId = (task % (C*cores)) / cores, coreId = task % cores,
clusterDim = C; a Block launch places tasks on the device's cores in waves (clusterDim = 0). The runtime
runs the tasks of a barrier-free kernel one after another in taskId order, so the loop is the same
computation in the same order; `__nram__`/`__wram__` buffers are reused by the iterations as the runtime's
cores reuse them between tasks.

Early returns of the kernel body become structured `if`/`else` (`if (c) return; B` -> `if (!c) { B }`) when
every return ends one arm of an `if` chain at the top level; otherwise a `return` becomes `continue` (it
ends the task). Declined (nothing changed): entries
that are not bare kernels (a CNRT host wrapper: its launch lives in host code), kernels with cluster- or
device-wide barriers inside control flow (`__sync_cluster`, `__sync_all`: tasks are not independent; at the
top level of the body they split it into task loops that run one after another, see `_phases`), a `return`
inside a
loop of the body, device functions that read the built-in variables, and Block launches that read
clusterId/coreId (their placement depends on the emulated device).

Obligations (Z3): the task loop enumerates [0, N) exactly once, and the recovered indices are a
bijection from [0, N) onto the launch's index space (taskIdX/Y/Z within their dims, clusterId/coreId
within a job) with every value in range.
"""

from __future__ import annotations

import dataclasses

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar
from xpiler.ir.visit import Rewriter, map_exprs, walk
from xpiler.ir.z3expr import loop_domain, prove, to_z3
from xpiler.launch import parse_launch
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

_BUILTINS = ("taskId", "taskIdX", "taskIdY", "taskIdZ", "taskDim", "taskDimX", "taskDimY", "taskDimZ",
             "clusterId", "clusterDim", "coreId", "coreDim")
_LOOPS = (N.For, N.CFor, N.While, N.DoWhile)


def applies(program: Program, ctx: PassContext) -> bool:
    """A bare kernel still launched as several tasks, or reading a task built-in."""
    if not program.entry_is_kernel:
        return False
    return program.launch != "tasks=1" or any(isinstance(n, N.Builtin) and n.name in _BUILTINS
                                              for n in walk(program.entry_func))


# ------------------------------------------------------------------------------------------------ launch
class Layout:
    """The task layout of a BANG launch text, as the runtime defines it."""

    def __init__(self, text: str) -> None:
        ln = parse_launch(text)
        dim = [int(x) for x in ln.get("dim", "").split(",") if x] or [int(ln.get("tasks", "1")), 1, 1]
        self.x, self.y, self.z = (dim + [1, 1, 1])[:3]
        self.tasks = self.x * self.y * self.z
        if ln.get("tasks") is not None and int(ln.get("tasks")) != self.tasks:
            raise PassDeclined(f"loop_recovery(bang): launch {text!r}: tasks and dim disagree")
        clusters = ln.get("clusters")
        self.cores = int(ln.get("cores") or _device_cores())
        kind = ln.get("type")
        if kind is None:
            self.union = int(clusters) if clusters else 0
        else:
            self.union = 0 if kind == "block" else int(kind.removeprefix("union"))
        if self.union and self.x % (self.union * self.cores):
            raise PassDeclined(f"loop_recovery(bang): launch {text!r} is not a whole number of union jobs")

    def values(self, t: N.Expr) -> dict[str, N.Expr]:
        """Built-in name -> expression of the task counter `t`."""
        c = lambda v: N.Const(v)
        div = lambda a, k: a if k == 1 else N.BinOp("/", a, c(k))
        mod = lambda a, k, bound: c(0) if k == 1 else (a if bound <= k else N.BinOp("%", a, c(k)))
        out = {"taskId": t, "taskDim": c(self.tasks), "taskDimX": c(self.x), "taskDimY": c(self.y),
               "taskDimZ": c(self.z), "coreDim": c(self.cores),
               "taskIdX": mod(t, self.x, self.tasks), "taskIdY": mod(div(t, self.x), self.y, self.tasks // self.x),
               "taskIdZ": c(0) if self.z == 1 else div(t, self.x * self.y)}
        if self.union:
            job = self.union * self.cores
            k = mod(t, job, self.tasks)
            out.update(clusterId=div(k, self.cores), coreId=mod(t, self.cores, self.tasks),
                       clusterDim=c(self.union))
        else:
            out["clusterDim"] = c(0)
        return out


def _device_cores() -> int:
    from xpiler.registry import get_backend

    d = get_backend("bang").extra.get("dialect")
    return d.generations[d.default_generation].cores_per_cluster if d is not None else 4


# ------------------------------------------------------------------------------------------------ rewrite
class _Returns(Rewriter):
    """`return;` outside any loop of the body -> `continue;` of the task loop; inside a loop: decline."""

    def rewrite(self, node):
        if isinstance(node, _LOOPS):
            if any(isinstance(n, N.Return) for n in walk(node)):
                raise PassDeclined("loop_recovery(bang): a return inside a loop of the kernel body")
            return node
        return super().rewrite(node)

    def rewrite_Return(self, node: N.Return):
        if node.value is not None:
            raise PassDeclined("loop_recovery(bang): a kernel returning a value")
        return N.Continue(loc=node.loc)


def _may_return(s) -> bool:
    return any(isinstance(n, N.Return) for n in walk(s))


def _structure(stmts: tuple) -> tuple[tuple, bool] | None:
    """Early returns of the kernel body as structured code: `if (c) { A; return; } B` -> `if (c) { A } else
    { B }` (`if (c) return; B` -> `if (!c) { B }`), so that the task loop needs no `continue` and loop_bind
    can bind it. Returns (statements, whether they always return), or None when a return sits where this
    does not apply (in a loop, a switch, a block, or an `if` whose arms only sometimes return)."""
    out: list = []
    for k, s in enumerate(stmts):
        if isinstance(s, N.Return):
            return (tuple(out), True) if s.value is None else None
        if not _may_return(s):
            out.append(s)
            continue
        if not isinstance(s, N.If):
            return None
        t, e = _structure(s.then), _structure(s.orelse)
        if t is None or e is None:
            return None
        (tb, tr), (eb, er) = t, e
        if not tr and not er:
            return None  # returns only on some paths inside an arm: the rest's condition is not one branch
        rest = _structure(stmts[k + 1:]) if not (tr and er) else ((), True)
        if rest is None:
            return None
        rb, rr = rest
        if tr and er:
            out.append(dataclasses.replace(s, then=tb, orelse=eb))
            return tuple(out), True
        if tr:
            then, orelse = tb, eb + rb
        else:
            then, orelse = tb + rb, eb
        if not then and orelse:
            out.append(N.If(N.UnOp("!", s.cond), orelse, (), loc=s.loc))
        elif then or orelse:
            out.append(dataclasses.replace(s, then=then, orelse=orelse))
        return tuple(out), rr
    return tuple(out), False


def _fresh(module: N.Module, base: str) -> str:
    used = {getattr(n, "name", None) for n in walk(module) if isinstance(n, (N.Func, N.Define, N.Builtin))}
    used |= {s.name for n in walk(module) for s in (getattr(n, "sym", None), getattr(n, "var", None))
             if isinstance(s, N.Sym)}
    name, k = base, 0
    while name in used:
        k += 1
        name = f"{base}{k}"
    return name


def _is_task_barrier(s) -> bool:
    return isinstance(s, N.Barrier) and s.scope in (N.BarrierScope.CLUSTER, N.BarrierScope.ALL)


def run(program: Program, ctx: PassContext) -> PassResult:
    if not program.entry_is_kernel or not program.launch:
        raise PassDeclined("loop_recovery(bang): only a bare kernel entry with a launch line is recovered")
    kernel = program.entry_func
    top = {id(s) for s in kernel.body if _is_task_barrier(s)}
    for n in walk(program.module):
        if isinstance(n, N.Barrier) and n.scope is not N.BarrierScope.CORE and id(n) not in top:
            raise PassDeclined(f"loop_recovery(bang): a {n.scope.value}-scope barrier inside control flow couples "
                               "the tasks")
        if isinstance(n, N.Call) and n.name.startswith("__sync_") and n.name not in (
                "__sync_io", "__sync_move", "__sync_compute", "__sync_io_move_compute"):
            raise PassDeclined(f"loop_recovery(bang): {n.name} couples the tasks")
    module0, kernel = _builtins_as_params(program.module, kernel)
    program = program.replace(module=module0)
    lay = Layout(program.launch)
    used = {n.name for n in walk(kernel) if isinstance(n, N.Builtin) and n.name in _BUILTINS}
    if not lay.union and used & {"clusterId", "coreId"}:
        raise PassDeclined("loop_recovery(bang): clusterId/coreId of a Block launch depend on the device")

    t = N.Sym(_fresh(program.module, "task"))
    vals = lay.values(N.Var(t))
    items = program.module.items
    notes = []
    if top:  # barriers at the top level of the body: one task loop per phase between them
        if not lay.union:
            raise PassDeclined("loop_recovery(bang): __sync_cluster/__sync_all in a Block launch (no cluster to "
                               "synchronize)")
        phases, items, why = _phases(program.module, kernel, lay, t)
        if phases is None:
            raise PassDeclined(f"loop_recovery(bang): barrier fission: {why}")
        notes.append(f"loop_recovery(bang): {len(top)} barrier(s) -> {len(phases)} task loops run one after another"
                     + (f"; {why}" if why else ""))
    else:
        structured = _structure(kernel.body)
        phases = [structured[0] if structured is not None else _Returns().rewrite(kernel.body)]
    loops = []
    for k, body in enumerate(phases):
        tk = t if k == 0 else N.Sym(t.name)
        vk = lay.values(N.Var(tk))
        body = map_exprs(body, lambda e: vk[e.name] if isinstance(e, N.Builtin) and e.name in vk else None)
        if k:
            body = map_exprs(body, lambda e: N.Var(tk) if isinstance(e, N.Var) and e.sym is t else None)
        loops.append(N.For(tk, N.Const(0), N.Const(lay.tasks), N.Const(1), tuple(body), kind=N.LoopKind.PARALLEL,
                           var_type=Scalar("int32", "int")))
    new_kernel = dataclasses.replace(kernel, body=tuple(loops))
    items = tuple(new_kernel if it is kernel else it for it in items)
    module = N.Module(program.module.dialect, items, program.module.path)
    out = program.replace(module=module, launch="tasks=1")
    obligations = [Obligation("loop_recovery(bang): task loop covers [0, tasks) once",
                              lambda lp=lp: _covers(lp, lay)) for lp in loops]
    obligations.append(Obligation("loop_recovery(bang): task indices are a bijection in range",
                                  lambda: _bijective(t, vals, lay, used)))
    return PassResult(out, obligations=obligations,
                      notes=[f"loop_recovery(bang): {lay.tasks} tasks -> parallel loop over {t.name}; launch tasks=1"]
                      + notes)


# ------------------------------------------------------------------------------------------------ helpers
def _builtins_as_params(module: N.Module, kernel: N.Func) -> tuple[N.Module, N.Func]:
    """Device functions that read task built-ins (the partition helpers of operator libraries) take them as
    extra int parameters instead, and every call passes them: the kernel its built-ins (which the task loop
    then replaces), a helper its own parameters. Declined when such a function is called other than as a
    plain call of this module (its address taken, a recursion through itself)."""
    funcs = {f.name: f for f in module.funcs() if f is not kernel and not f.is_declaration}
    reads = {name: {n.name for n in walk(f) if isinstance(n, N.Builtin) and n.name in _BUILTINS}
             for name, f in funcs.items()}
    calls = {name: {n.name for n in walk(f) if isinstance(n, N.Call) and n.name in funcs} for name, f in funcs.items()}
    changed = True
    while changed:  # a helper calling a helper needs what the callee reads
        changed = False
        for name in funcs:
            for g in calls[name]:
                if not reads[g] <= reads[name]:
                    reads[name] |= reads[g]
                    changed = True
    needy = {name: sorted(r) for name, r in reads.items() if r}
    if not needy:
        return module, kernel
    for name in needy:
        if name in calls[name]:
            raise PassDeclined(f"loop_recovery(bang): function {name} reads task built-ins and calls itself")
    for f in module.funcs():
        if any(isinstance(n, N.Var) and n.sym.name in needy for n in walk(f)):
            raise PassDeclined("loop_recovery(bang): a function that reads task built-ins is used other than by a call")
    params = {name: {b: N.Sym(_fresh(module, b + "_")) for b in bs} for name, bs in needy.items()}

    def pass_args(f: N.Func, value) -> N.Func:
        def fix(e):
            if isinstance(e, N.Call) and e.name in needy:
                return dataclasses.replace(e, args=tuple(e.args) + tuple(value(b) for b in needy[e.name]))
            return None

        return map_exprs(f, fix)

    new = {}
    for f in module.funcs():
        if f.name in needy:
            own = params[f.name]
            g = map_exprs(f, lambda e: N.Var(own[e.name]) if isinstance(e, N.Builtin) and e.name in own else None)
            g = pass_args(g, lambda b: N.Var(own[b]))
            g = dataclasses.replace(g, params=tuple(g.params) + tuple(
                N.Param(own[b], Scalar("int32", "int")) for b in needy[f.name]))
            new[id(f)] = g
        elif f is kernel:
            new[id(f)] = pass_args(f, lambda b: N.Builtin(b))
        elif any(isinstance(n, N.Call) and n.name in needy for n in walk(f)):
            raise PassDeclined(f"loop_recovery(bang): {f.name} calls a function that reads task built-ins")
    items = tuple(new.get(id(i), i) for i in module.items)
    return dataclasses.replace(module, items=items), new[id(kernel)]


# ------------------------------------------------------------------------------------------------ barriers
def _phases(module: N.Module, kernel: N.Func, lay: Layout, t: N.Sym):
    """Split the kernel body at its top-level `__sync_cluster`/`__sync_all` into phases, each to run as its
    own task loop after the previous one finished (every task reaches the barrier exactly once: it sits at
    the top level, and the body has no return). Returns (phases, module items, note) or (None, None, why).

    What a task keeps across a barrier must survive the fission:
    - scalars declared before a barrier and read after it are re-declared in the later phase when their
      initializer reads no memory and they are never assigned (a fresh symbol per copy);
    - per-core memory (NRAM, WRAM, LDRAM, local arrays) written before a barrier must not be read after it
      (the next task of the loop would have overwritten it);
    - SRAM (`__mlu_shared__`, one copy per cluster) becomes one slice per cluster of the launch,
      `buf[task / cores]` in a one-dimensional array of (tasks / cores) slices."""
    from . import _deps as D

    if any(isinstance(n, N.Return) for n in walk(kernel.body)):
        return None, None, "a return in a kernel with barriers"
    phases: list[list] = [[]]
    for s in kernel.body:
        if _is_task_barrier(s):
            phases.append([])
        else:
            phases[-1].append(s)
    phases = [p for p in phases if p]
    facts = D.FuncFacts(kernel, module)
    vals = lay.values(N.Var(t))
    regs = [D.analyze(map_exprs(tuple(p), lambda e: vals.get(e.name) if isinstance(e, N.Builtin) else None), facts)
            for p in phases]
    allocs = {i.sym: i for i in module.items if isinstance(i, N.Alloc)}
    allocs.update({n.sym: n for n in walk(kernel) if isinstance(n, N.Alloc)})
    for k, reg in enumerate(regs):
        if reg.impure:
            return None, None, f"phase {k} has effects the model cannot follow ({reg.impure[0]})"
        if any(a.base is None for a in reg.accesses):
            return None, None, f"phase {k} accesses memory through a pointer the model cannot resolve"
    for k, reg in enumerate(regs):
        written = {a.base for a in reg.accesses if a.write}
        for later in regs[k + 1:]:
            for b in written & {a.base for a in later.accesses}:
                a = allocs.get(b)
                if a is None or a.scope not in (N.Scope.SRAM, N.Scope.GLOBAL):
                    return None, None, f"{b.name} (per-core memory) is written before a barrier and used after it"
    # scalars crossing a barrier
    assigned = {n.sym for n in walk(kernel) if isinstance(n, N.Assign)}
    out_phases = []
    for k, p in enumerate(phases):
        declared_here = {n.sym for n in walk(tuple(p)) if isinstance(n, (N.Decl, N.Alloc))} | {
            n.var for n in walk(tuple(p)) if isinstance(n, N.For)}
        earlier = {s.sym: s for q in phases[:k] for s in q if isinstance(s, N.Decl)}
        need = _free_uses(tuple(p), declared_here, earlier)
        copies, subst = [], {}
        for sym in [d for d in earlier if d in need]:
            d = earlier[sym]
            if sym in assigned or d.init is None or any(isinstance(n, (N.Load, N.Deref, N.Call, N.OpaqueExpr))
                                                        for n in walk(d.init)):
                return None, None, f"{sym.name} is computed before a barrier and used after it"
            ns = N.Sym(sym.name)
            subst[sym] = N.Var(ns)
            copies.append(dataclasses.replace(d, sym=ns, init=_subst(d.init, subst)))
        body = tuple(copies) + tuple(_subst(s, subst) for s in p)
        out_phases.append(body)
    # SRAM: one slice per cluster of the launch
    used = {n.sym for n in walk(kernel) if isinstance(n, N.Var)}
    srams = [i for i in module.items if isinstance(i, N.Alloc) and i.scope is N.Scope.SRAM and i.sym in used]
    items = module.items
    note = ""
    if srams:
        from ._deps import expr_constant

        nclusters = lay.tasks // lay.cores
        grown, mapping = {}, {}
        for a in srams:
            size = expr_constant(a.shape[0], module.defines()) if len(a.shape) == 1 else None
            if size is None or a.init is not None:
                return None, None, f"SRAM buffer {a.sym.name} is not a one-dimensional array of constant size"
            grown[id(a)] = dataclasses.replace(a, shape=(N.Const(size * nclusters),))
            mapping[a.sym] = N.BinOp("+", N.Var(a.sym), N.BinOp("*", N.BinOp("/", N.Var(t), N.Const(lay.cores)),
                                                                 N.Const(size)))
        out_phases = [tuple(_subst(s, mapping) for s in p) for p in out_phases]
        items = tuple(grown.get(id(i), i) for i in items)
        note = f"SRAM {', '.join(a.sym.name for a in srams)}: one slice per cluster ({nclusters})"
    return out_phases, items, note


def _free_uses(stmts: tuple, declared: set, earlier: dict) -> set:
    """Symbols of `earlier` (declarations of previous phases) that `stmts` reads, closed over their
    initializers."""
    need = {n.sym for n in walk(stmts) if isinstance(n, N.Var) and n.sym in earlier and n.sym not in declared}
    todo = list(need)
    while todo:
        d = earlier[todo.pop()]
        for n in walk(d.init) if d.init is not None else ():
            if isinstance(n, N.Var) and n.sym in earlier and n.sym not in need:
                need.add(n.sym)
                todo.append(n.sym)
    return need


def _subst(node, mapping: dict):
    from xpiler.ir.visit import substitute

    return substitute(node, mapping) if mapping else node


# ------------------------------------------------------------------------------------------------ proofs
def _covers(loop: N.For, lay: Layout):
    vars_, dom = loop_domain(N.For(loop.var, loop.start, loop.stop, loop.step, ()))
    v = vars_[0]
    ok, _ = prove(dom == z3.And(0 <= v, v < lay.tasks))
    # a unit step visits each integer of the domain once
    unit = isinstance(loop.step, N.Const) and loop.step.value == 1
    return (ok and unit), f"for ({loop.var.name} = 0; < {lay.tasks}; ++) enumerates [0, {lay.tasks})"


def _bijective(t: N.Sym, vals: dict, lay: Layout, used: set[str]):
    t1, t2 = z3.Int("t1!"), z3.Int("t2!")

    def at(name, tv):
        return to_z3(vals[name], {t: tv})

    ranges = {"taskId": lay.tasks, "taskIdX": lay.x, "taskIdY": lay.y, "taskIdZ": lay.z}
    names = ["taskIdX", "taskIdY", "taskIdZ"]
    if lay.union:
        ranges.update(clusterId=lay.union, coreId=lay.cores)
    dom = [0 <= t1, t1 < lay.tasks, 0 <= t2, t2 < lay.tasks]
    for name, hi in ranges.items():
        ok, _ = prove(z3.And(0 <= at(name, t1), at(name, t1) < hi), dom)
        if not ok:
            return False, f"{name} leaves [0, {hi})"
    ok, _ = prove(z3.Implies(t1 != t2, z3.Or(*[at(n, t1) != at(n, t2) for n in names])), dom)
    if not ok:
        return False, "two tasks get the same (taskIdX, taskIdY, taskIdZ)"
    if lay.union:  # within one union job, (clusterId, coreId) names each task once
        job = lay.union * lay.cores
        same_job = z3.And(t1 / job == t2 / job, t1 != t2)
        ok, _ = prove(z3.Implies(same_job, z3.Or(at("clusterId", t1) != at("clusterId", t2),
                                                 at("coreId", t1) != at("coreId", t2))), dom)
        if not ok:
            return False, "two tasks of one union job get the same (clusterId, coreId)"
    return True, f"{lay.tasks} tasks: indices distinct and in range ({', '.join(sorted(used)) or 'none used'})"
