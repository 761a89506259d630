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
device-wide barriers (`__sync_cluster`, `__sync_all`: tasks are not independent), a `return` inside a
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


def run(program: Program, ctx: PassContext) -> PassResult:
    if not program.entry_is_kernel or not program.launch:
        raise PassDeclined("loop_recovery(bang): only a bare kernel entry with a launch line is recovered")
    kernel = program.entry_func
    for n in walk(program.module):
        if isinstance(n, N.Barrier) and n.scope is not N.BarrierScope.CORE:
            raise PassDeclined(f"loop_recovery(bang): a {n.scope.value}-scope barrier couples the tasks")
        if isinstance(n, N.Call) and n.name.startswith("__sync_") and n.name not in (
                "__sync_io", "__sync_move", "__sync_compute", "__sync_io_move_compute"):
            raise PassDeclined(f"loop_recovery(bang): {n.name} couples the tasks")
    for f in program.module.funcs():
        if f is not kernel and any(isinstance(n, N.Builtin) and n.name in _BUILTINS for n in walk(f)):
            raise PassDeclined(f"loop_recovery(bang): function {f.name} reads task built-ins")
    lay = Layout(program.launch)
    used = {n.name for n in walk(kernel) if isinstance(n, N.Builtin) and n.name in _BUILTINS}
    if not lay.union and used & {"clusterId", "coreId"}:
        raise PassDeclined("loop_recovery(bang): clusterId/coreId of a Block launch depend on the device")

    t = N.Sym(_fresh(program.module, "task"))
    vals = lay.values(N.Var(t))
    structured = _structure(kernel.body)
    body = structured[0] if structured is not None else _Returns().rewrite(kernel.body)
    body = map_exprs(body, lambda e: vals[e.name] if isinstance(e, N.Builtin) and e.name in vals else None)
    loop = N.For(t, N.Const(0), N.Const(lay.tasks), N.Const(1), tuple(body), kind=N.LoopKind.PARALLEL,
                 var_type=Scalar("int32", "int"))
    new_kernel = dataclasses.replace(kernel, body=(loop,))
    items = tuple(new_kernel if it is kernel else it for it in program.module.items)
    module = N.Module(program.module.dialect, items, program.module.path)
    out = program.replace(module=module, launch="tasks=1")
    obligations = [Obligation("loop_recovery(bang): task loop covers [0, tasks) once", lambda: _covers(loop, lay)),
                   Obligation("loop_recovery(bang): task indices are a bijection in range",
                              lambda: _bijective(t, vals, lay, used))]
    return PassResult(out, obligations=obligations,
                      notes=[f"loop_recovery(bang): {lay.tasks} tasks -> parallel loop over {t.name}; launch tasks=1"])


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
