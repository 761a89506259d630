"""Kernel splitting for loop_bind: a serial kernel whose body has several top-level statements writing global
memory (a packing loop then the compute loop, two element-wise passes, ...) becomes one kernel per such
statement, launched one after the other where the host launched the original.

Why this is the same computation: launches on one stream run in order and each sees the global memory the
previous ones wrote, which is what program order gave the serial kernel. What a single kernel could carry
from one statement to the next besides global memory is its local state (scalars, local arrays); the
split is refused unless no statement writes local state that another statement reads. Declarations the
statements need (constants, pointer aliases, scratch arrays) are copied into each kernel that uses them.

Refused (the kernel is left as it is): bare kernel entries (their name and launch are the entry contract),
kernels with prototypes, `return` in the body, top-level statements other than declarations and the
effectful statements, a local written by one statement and read by another.
"""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir.visit import Rewriter, walk
from xpiler.pipeline.program import Program

from . import _bind_common as C
from . import _bind_launch as L
from . import _deps as D


def split_kernels(program: Program) -> tuple[Program, list[str]]:
    """(program, notes): every serial kernel launched from host code that can be split, split."""
    notes = []
    for name in L.serial_kernels(program):
        if program.entry_is_kernel and program.entry == name:
            continue
        if sum(1 for f in program.module.funcs() if f.name == name) != 1:
            continue  # a prototype or an overload: leave it
        func = program.module.func(name)
        parts = _partition(func, program.module)
        if parts is None:
            continue
        names = _names(program.module, name, len(parts))
        kernels = [dataclasses.replace(func, name=n, body=tuple(body)) for n, body in zip(names, parts)]
        items = []
        for i in program.module.items:
            if isinstance(i, N.Func) and i.name == name:
                items.extend(kernels)
            else:
                items.append(i)
        module = _Relaunch(name, names).rewrite(dataclasses.replace(program.module, items=tuple(items)))
        program = program.replace(module=module)
        notes.append(f"{name}: split into {len(parts)} kernels ({', '.join(names)}), launched in order")
    return program, notes


def _partition(func: N.Func, module: N.Module) -> list[list] | None:
    if any(isinstance(n, N.Return) for n in walk(func)):
        return None
    facts = D.FuncFacts(func, module)
    eff = C.kernel_effects(func, facts)
    if len(eff) < 2:
        return None
    body = func.body
    decls = {}
    for k, s in enumerate(body):
        if k in eff:
            continue
        if isinstance(s, (N.Decl, N.Alloc)):
            if s.init is not None and not D.pure(s.init):
                return None
            decls[k] = s
        elif not isinstance(s, N.Comment):
            return None  # a statement with local effects between the nests: state would cross kernels
    top = {s.sym for s in decls.values()}
    arrays = {s.sym for s in decls.values() if isinstance(s, N.Alloc)}
    written = {k: _writes(body[k], arrays) & top for k in eff}
    for k in eff:
        for j in eff:
            if j != k and written[k] & _uses(body[j]):
                return None
        for d in decls.values():
            if written[k] & _uses(d):
                return None
    parts = []
    for k in eff:
        need = _uses(body[k])
        chosen = set()
        for j in sorted(decls, reverse=True):  # declarations the statement needs, transitively
            if decls[j].sym in need and j < k:
                chosen.add(j)
                need |= _uses(decls[j])
        if any(d.sym in _uses(body[k]) and j > k for j, d in decls.items()):
            return None  # declared after its use at top level: cannot happen in C, refuse anyway
        parts.append([body[j] for j in sorted(chosen)] + [body[k]])
    return parts


def _uses(node) -> set:
    return {n.sym for n in walk(node) if isinstance(n, N.Var)}


def _writes(node, arrays: set) -> set:
    """Scalars assigned and local arrays stored to under `node` (a store through a pointer writes the
    memory it points to, not the pointer)."""
    out = set()
    for n in walk(node):
        if isinstance(n, N.Assign):
            out.add(n.sym)
        elif isinstance(n, N.Store):
            t = n.target
            while isinstance(t, (N.Load, N.Member)):
                t = t.base
            if isinstance(t, N.Var) and t.sym in arrays:
                out.add(t.sym)
        elif isinstance(n, N.AddrOf):
            out |= _uses(n.value)
    return out


def _names(module: N.Module, base: str, k: int) -> list[str]:
    used = {f.name for f in module.funcs()}
    out = []
    j = 0
    while len(out) < k:
        cand = f"{base}_{j}"
        j += 1
        if cand not in used:
            out.append(cand)
            used.add(cand)
    return out


class _Relaunch(Rewriter):
    """Each launch of `kernel` becomes the same launch of each of `names`, in order."""

    def __init__(self, kernel: str, names: list[str]) -> None:
        self.kernel, self.names = kernel, names

    def _rewrite_tuple(self, items):
        items = super()._rewrite_tuple(items)
        if not any(isinstance(s, N.Launch) and s.kernel == self.kernel for s in items):
            return items
        out = []
        for s in items:
            if isinstance(s, N.Launch) and s.kernel == self.kernel:
                out.extend(dataclasses.replace(s, kernel=n) for n in self.names)
            else:
                out.append(s)
        return tuple(out)
