"""Finding the serial kernels of a program and rewriting their launches (host `<<<...>>>` or the launch text
of a bare kernel entry) for loop_bind.

A kernel is serial when every launch of it runs one thread (`<<<1, 1>>>`, `dim3(1)`, a `dim3` variable
initialised so) or one task (a `cnrtDim3_t` of {1, 1, 1}); for a bare kernel entry, when the program's
launch is `grid=1,1,1 block=1,1,1` or `tasks=1` (dim 1,1,1).
"""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir.types import Named
from xpiler.ir.visit import Rewriter, substitute, walk
from xpiler.launch import parse_launch
from xpiler.pipeline.program import Program


def _decls(func: N.Func) -> dict:
    return {n.sym: n for n in walk(func) if isinstance(n, N.Decl)}


def _is_one(e: N.Expr, decls: dict, depth: int = 0) -> bool:
    if depth > 4:
        return False
    if isinstance(e, N.Const):
        return e.value == 1
    if isinstance(e, N.Call) and e.kind is N.CallKind.CTOR:
        return all(_is_one(a, decls, depth + 1) for a in e.args)
    if isinstance(e, N.InitList):
        return all(_is_one(a, decls, depth + 1) for a in e.items)
    if isinstance(e, N.Cast):
        return _is_one(e.value, decls, depth + 1)
    if isinstance(e, N.Var) and e.sym in decls and decls[e.sym].init is not None:
        return _is_one(decls[e.sym].init, decls, depth + 1)
    return False


def host_launches(program: Program) -> dict[str, list[tuple[N.Func, N.Launch]]]:
    """kernel name -> [(host function, launch)] for every launch in the module."""
    out: dict[str, list] = {}
    for f in program.module.funcs():
        if f.is_declaration:
            continue
        for n in walk(f):
            if isinstance(n, N.Launch):
                out.setdefault(n.kernel, []).append((f, n))
    return out


def serial_kernels(program: Program) -> list[str]:
    """Names of the kernels that run as one thread / one task."""
    kernels = {f.name for f in program.module.funcs() if f.kind is N.FuncKind.KERNEL and not f.is_declaration}
    if program.entry_is_kernel:
        if program.launch is None:
            return []
        lt = parse_launch(program.launch)
        one = (lt.get("grid") == "1,1,1" and lt.get("block") == "1,1,1") if program.dialect != "bang" else (
            lt.get("tasks", "1") == "1" and lt.get("dim", "1,1,1") == "1,1,1")
        return [program.entry] if one and program.entry in kernels else []
    out = []
    for name, uses in host_launches(program).items():
        if name not in kernels:
            continue
        ok = True
        for f, ln in uses:
            d = _decls(f)
            n = 1 if program.dialect == "bang" else 2
            if len(ln.config) < n or not all(_is_one(c, d) for c in ln.config[:n]):
                ok = False
        if ok:
            out.append(name)
    return out


class _SetLaunch(Rewriter):
    def __init__(self, kernel: str, fn) -> None:
        self.kernel, self.fn = kernel, fn

    def rewrite_Launch(self, node: N.Launch):
        return self.fn(node) if node.kernel == self.kernel else None


def set_simt_launch(program: Program, kernel: str, grid, block: int) -> Program:
    """Launch `kernel` with `grid` x `block` threads; `grid` is an int, or an IR expression over the
    kernel's parameters that each launch computes from the arguments it passes."""
    if program.entry_is_kernel and program.entry == kernel:
        if not isinstance(grid, int):
            raise ValueError("a bare kernel entry needs a constant grid")
        return program.replace(launch=f"grid={grid},1,1 block={block},1,1")
    params = program.module.func(kernel).params
    named = _size_locals(program.module)

    def fn(ln: N.Launch):
        g = N.Const(grid) if isinstance(grid, int) else _reuse(
            substitute(grid, {p.sym: a for p, a in zip(params, ln.args)}), named)
        cfg = (g, N.Const(block)) + ln.config[2:]
        return dataclasses.replace(ln, config=cfg)

    return program.replace(module=_SetLaunch(kernel, fn).rewrite(program.module))


def _size_locals(module: N.Module) -> dict:
    """init expression -> Var for the scalar locals declared at the top level of host functions before
    their first launch and never assigned: a grid computed at a launch reads them instead of restating
    their definitions (`channels * output_H * output_W`)."""
    out: dict = {}
    for f in module.funcs():
        if f.is_declaration or f.kind is N.FuncKind.KERNEL:
            continue
        assigned = {n.sym for n in walk(f) if isinstance(n, N.Assign)}
        for st in f.body:
            if isinstance(st, N.Launch) or any(isinstance(n, N.Launch) for n in walk(st)):
                break
            if isinstance(st, N.Decl) and st.init is not None and st.sym not in assigned \
                    and not isinstance(st.init, (N.Var, N.Const)):
                out.setdefault(st.init, N.Var(st.sym))
    return out


def _reuse(e: N.Expr, named: dict) -> N.Expr:
    if not named:
        return e

    def walk_replace(x):
        if isinstance(x, N.Expr) and x in named:
            return named[x]
        if isinstance(x, N.BinOp):
            return N.BinOp(x.op, walk_replace(x.a), walk_replace(x.b))
        if isinstance(x, N.UnOp):
            return N.UnOp(x.op, walk_replace(x.a))
        if isinstance(x, N.Select):
            return N.Select(walk_replace(x.cond), walk_replace(x.a), walk_replace(x.b))
        if isinstance(x, N.Cast):
            return dataclasses.replace(x, value=walk_replace(x.value))
        return x

    return walk_replace(e)


def set_bang_launch(program: Program, kernel: str, tasks: int, clusters: int, cores: int) -> Program:
    if program.entry_is_kernel and program.entry == kernel:
        return program.replace(launch=f"tasks={tasks} clusters={clusters} cores={cores}")
    union = {1: "cnrtFuncTypeUnion1", 2: "cnrtFuncTypeUnion2", 4: "cnrtFuncTypeUnion4", 8: "cnrtFuncTypeUnion8",
             16: "cnrtFuncTypeUnion16"}[clusters]

    used = {n.sym.name for n in walk(program.module) if isinstance(n, N.Decl)}

    def fresh_dim() -> N.Sym:  # one cnrtDim3_t per launch, never redeclaring a name (other kernels' launches)
        k, name = 1, "xp_dim"
        while name in used:
            k += 1
            name = f"xp_dim{k}"
        used.add(name)
        return N.Sym(name)

    class _R(Rewriter):
        def _rewrite_tuple(self, items):
            items = super()._rewrite_tuple(items)
            out, changed = [], False
            for s in items:
                if isinstance(s, N.Launch) and s.kernel == kernel and len(s.config) >= 2:
                    dim = fresh_dim()
                    out.append(N.Decl(dim, Named("cnrtDim3_t"), N.InitList((N.Const(tasks), N.Const(1), N.Const(1)))))
                    cfg = (N.Var(dim), N.Var(N.Sym(union))) + s.config[2:]
                    out.append(dataclasses.replace(s, config=cfg))
                    changed = True
                else:
                    out.append(s)
            return tuple(out) if changed else items

    return program.replace(module=_R().rewrite(program.module))


def replace_func(program: Program, new: N.Func) -> Program:
    items = tuple(new if isinstance(i, N.Func) and i.name == new.name and not i.is_declaration else i
                  for i in program.module.items)
    return program.replace(module=dataclasses.replace(program.module, items=items))
