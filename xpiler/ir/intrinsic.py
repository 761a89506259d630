"""The schema of a backend's intrinsic catalogue (`backends/<d>/intrinsics.py`).

One entry per intrinsic is the single source of truth for five uses: the frontend classifies a call by
it, the printer writes it back, detensorize inlines its scalar loop form, tensorize matches that loop form,
the emulator's checks and the meta-prompts quote its operand spaces, constraints and manual text.

An entry:
    name       the spelling (`__bang_add`, `wmma::mma_sync`, `_mm512_dpbusd_epi32`)
    operands   ordered `Operand`s: role (out / in / inout / scalar / enum), allowed dtypes, allowed memory
               scopes for pointer operands, and the element count each pointer covers as an expression
               over the other operands (`"n"`, `"m * k"`)
    returns    dtype or type spelling of the value the call returns (None for void)
    semantics  numpy: `fn(**operands) -> dict[name, np.ndarray]` with every written operand's new value;
               pointers arrive as flat numpy arrays of their covered elements, scalars as Python numbers
    loop_form  `fn(**operand_exprs) -> tuple[Stmt, ...]`: the equivalent scalar loop nest in the IR, with the
               operands given as IR expressions (tvm's tensor-intrinsic *desc*)
    constraints `Constraint`s over the operands, checked by passes (Z3) and by the emulator at run time
    manual     the manual's facts in one or two sentences, quoted by meta-prompts
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from xpiler.ir.types import Scope

ROLES = ("out", "in", "inout", "scalar", "enum")


@dataclass(frozen=True)
class Operand:
    name: str
    role: str
    dtypes: tuple[str, ...] = ()  # allowed element dtypes (empty: any)
    scopes: tuple[Scope, ...] = ()  # allowed memory spaces of a pointer operand (empty: not a pointer)
    count: str | None = None  # elements covered by a pointer operand, over other operand names

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"operand {self.name}: role {self.role!r} not in {ROLES}")
        if self.role in ("out", "in", "inout") and not self.scopes:
            raise ValueError(f"operand {self.name}: a pointer operand needs its allowed memory scopes")


@dataclass(frozen=True)
class Constraint:
    """A precondition written as a Python/Z3-friendly expression over operand names and `itemsize`
    (`"n * itemsize % 128 == 0"`), with the manual's wording. `hard` ones are faults on hardware; soft ones
    are the manual's recommendations that real chips tolerate."""

    expr: str
    message: str
    hard: bool = True


@dataclass(frozen=True)
class Intrinsic:
    dialect: str
    name: str
    operands: tuple[Operand, ...]
    category: str  # elementwise | reduction | matmul | conv | pool | copy | fill | convert | collective | ...
    returns: str | None = None
    semantics: Callable[..., dict[str, Any]] | None = None
    loop_form: Callable[..., tuple] | None = None
    constraints: tuple[Constraint, ...] = ()
    manual: str = ""
    aliases: tuple[str, ...] = ()  # other spellings of the same intrinsic (`nvcuda::wmma::mma_sync`)
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        names = [o.name for o in self.operands]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate operand names {names}")
        known = set(names) | {"itemsize"}
        for o in self.operands:
            if o.count is not None:
                _check_names(self.name, o.count, known)
        for c in self.constraints:
            _check_names(self.name, c.expr, known)

    def operand(self, name: str) -> Operand:
        for o in self.operands:
            if o.name == name:
                return o
        raise KeyError(f"{self.name} has no operand {name!r}")


def _check_names(owner: str, expr: str, known: set[str]) -> None:
    import ast

    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as e:
        raise ValueError(f"{owner}: bad expression {expr!r}: {e}") from None
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id not in known:
            raise ValueError(f"{owner}: expression {expr!r} names unknown operand {node.id!r}")


class Catalogue(dict):
    """name -> Intrinsic for one dialect, also reachable by alias."""

    def __init__(self, dialect: str, entries: list[Intrinsic] | tuple[Intrinsic, ...]) -> None:
        super().__init__()
        self.dialect = dialect
        for e in entries:
            if e.dialect != dialect:
                raise ValueError(f"{e.name}: entry of dialect {e.dialect!r} in the {dialect!r} catalogue")
            for key in (e.name, *e.aliases):
                if key in self:
                    raise ValueError(f"{dialect}: intrinsic {key!r} listed twice")
                self[key] = e
