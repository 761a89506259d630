"""Lexical scopes of the frontend: one `Sym` per declaration, looked up innermost first.

Names nobody in the module declares (header constants such as GDRAM2NRAM or FLT_MAX, enum values,
`wmma::mem_row_major`) are *external*: each gets ONE shared Sym per module, so every use of
`GDRAM2NRAM` is the same `Var` and a pass can tell "same name" from "same variable" everywhere.
Object-like `#define`s live in their own table: the preprocessor replaces them before any C scope
exists, so a macro cannot be shadowed by a local.
"""

from __future__ import annotations

from xpiler.ir.nodes import Sym


class Symbols:
    def __init__(self) -> None:
        self.scopes: list[dict[str, Sym]] = [{}]
        self.externals: dict[str, Sym] = {}
        self.macros: dict[str, Sym] = {}  # object-like defines
        self.func_macros: dict[str, Sym] = {}  # function-like defines
        self.funcs: set[str] = set()  # functions of the module (definitions and prototypes)
        self.types: set[str] = set()  # type names the module declares (typedef / using)

    def push(self) -> None:
        self.scopes.append({})

    def pop(self) -> None:
        if len(self.scopes) > 1:
            self.scopes.pop()

    @property
    def at_module_level(self) -> bool:
        return len(self.scopes) == 1

    def declare(self, name: str) -> Sym:
        s = Sym(name)
        self.scopes[-1][name] = s
        return s

    def local(self, name: str) -> Sym | None:
        """A declared variable (innermost scope first), not a macro or external."""
        for scope in reversed(self.scopes):
            s = scope.get(name)
            if s is not None:
                return s
        return None

    def lookup(self, name: str) -> Sym:
        """The Sym a use of `name` refers to: a macro, a declared variable, else the shared external."""
        s = self.macros.get(name)
        if s is not None:
            return s
        s = self.local(name)
        if s is not None:
            return s
        return self.external(name)

    def external(self, name: str) -> Sym:
        s = self.externals.get(name)
        if s is None:
            s = self.externals[name] = Sym(name)
        return s
