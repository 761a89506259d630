"""`Program`: the state that flows through the pass chain.

A program is an IR `Module` plus what is needed to print and run it: the dialect whose printer and executor
handle it now (a pass may change it, e.g. host conversion from `cuda` to `c`), the entry function (the
entry contract of DESIGN.md: the same host function name and parameters, or the same kernel name and
parameters plus a launch), and the launch text for a bare device kernel. Every state of the chain is a
complete program that prints and runs on its dialect's executor with the source's arguments.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from xpiler.errors import BadInput
from xpiler.ir import nodes as N
from xpiler.launch import find_launch_line, launch_comment, parse_launch


@dataclass(frozen=True)
class Program:
    module: N.Module
    dialect: str
    entry: str
    entry_is_kernel: bool = False
    launch: str | None = None  # normalized launch text for a kernel entry ("grid=... block=..." / "tasks=...")
    notes: tuple[tuple[str, Any], ...] = ()  # free-form facts passes leave for later passes (key, value)
    include_dir: str | None = None  # the source file's folder: its quoted includes, for every state's runs
    include_dirs: tuple[str, ...] = ()  # the user's -I folders

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_source(cls, text: str, dialect: str, *, path: str | None = None, entry: str | None = None,
                    launch: str | None = None, include_dirs=()) -> "Program":
        from xpiler.lang import parse

        module = parse(text, dialect, path=path)
        fn = select_entry(module, entry, path or "<source>")
        is_kernel = fn.kind is N.FuncKind.KERNEL
        if is_kernel and launch is None:
            launch = find_launch_line(text)
        if launch is not None:
            launch = parse_launch(launch, origin=path or "launch").text
        if not is_kernel:
            launch = None
        include_dir = None
        if path and not path.startswith("<"):
            import os

            include_dir = os.path.dirname(os.path.abspath(path))
        return cls(module, dialect, fn.name, is_kernel, launch, include_dir=include_dir,
                   include_dirs=tuple(include_dirs or ()))

    def replace(self, **changes) -> "Program":
        return dataclasses.replace(self, **changes)

    def note(self, key: str, default: Any = None) -> Any:
        for k, v in reversed(self.notes):
            if k == key:
                return v
        return default

    def with_note(self, key: str, value: Any) -> "Program":
        return self.replace(notes=self.notes + ((key, value),))

    # -- views ----------------------------------------------------------------------------------
    @property
    def entry_func(self) -> N.Func:
        for f in self.module.funcs():
            if f.name == self.entry and not f.is_declaration:
                return f
        raise KeyError(self.entry)

    def text(self) -> str:
        """The program printed in its dialect, with the `// xpiler:launch` line for a kernel entry."""
        from xpiler.lang import emit

        body = emit(self.module, self.dialect)
        if self.entry_is_kernel and self.launch:
            line = launch_comment(parse_launch(self.launch))
            if line not in body:
                body = line + "\n" + body
        return body


def _is_argv(t) -> bool:
    """`char **` (also `const char **`, `char *argv[]`): a command line."""
    from xpiler.ir import types as T

    return isinstance(t, T.Pointer) and isinstance(t.pointee, T.Pointer) and t.pointee.pointee == T.Scalar("char")


def select_entry(module: N.Module, entry: str | None, filename: str) -> N.Func:
    """The entry function, by the executors' rule (`xpiler.exec.entry.choose_entry`): `entry` if given;
    else the host function that launches the kernels (not main); else the only extern "C" function; else
    the only device kernel; else the only host function other than main that nothing else calls."""
    from xpiler.exec.entry import Candidate, choose_entry
    from xpiler.ir.visit import walk

    funcs = [f for f in module.funcs() if not f.is_declaration]
    names = {f.name for f in funcs}
    kernels = {f.name for f in funcs if f.kind is N.FuncKind.KERNEL}
    cands = []
    for f in funcs:
        launches, calls = set(), set()
        for n in walk(f):
            if isinstance(n, N.Launch):
                launches.add(n.kernel)
            elif isinstance(n, N.Call) and n.name in names:
                (launches if n.name in kernels else calls).add(n.name)
            elif isinstance(n, N.Var) and n.sym.name in kernels and f.kind is N.FuncKind.HOST:
                launches.add(n.sym.name)  # a kernel passed by name to a launch API
        cands.append(Candidate(f.name, kernel=f.kind is N.FuncKind.KERNEL, device=f.kind is N.FuncKind.DEVICE,
                               extern_c=f.extern_c, static=f.static,
                               launches=frozenset((launches & kernels) | (launches - names)),  # or through a pointer
                               calls=frozenset(calls), line=f.loc.line if f.loc else 0,
                               argv=any(_is_argv(p.type) for p in f.params)))
    chosen = choose_entry(cands, entry, filename)
    return next(f for f in funcs if f.name == chosen.name)
