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

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def from_source(cls, text: str, dialect: str, *, path: str | None = None, entry: str | None = None,
                    launch: str | None = None) -> "Program":
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
        return cls(module, dialect, fn.name, is_kernel, launch)

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


def select_entry(module: N.Module, entry: str | None, filename: str) -> N.Func:
    """The entry function, by the executors' rule: `entry` if given; else the only extern "C" function;
    else the only device kernel; else the only non-static function other than main."""
    funcs = [f for f in module.funcs() if not f.is_declaration]
    if entry is not None:
        for f in funcs:
            if f.name == entry:
                return f
        raise BadInput(f"no function named {entry!r}", file=filename)
    for pool in ([f for f in funcs if f.extern_c], [f for f in funcs if f.kind is N.FuncKind.KERNEL],
                 [f for f in funcs if f.name != "main"]):
        if len(pool) == 1:
            return pool[0]
        if len(pool) > 1:
            raise BadInput(f"several candidate entry functions ({', '.join(f.name for f in pool)}); "
                           "choose one with --entry", file=filename)
    raise BadInput("no function definition found (nothing to translate)", file=filename)
