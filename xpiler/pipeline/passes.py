"""The interface every pass implements, and what it hands the pass manager.

A pass is an object with a `name`, the `knobs` it exposes to the tuner, `applies(program, ctx)` and
`run(program, ctx) -> PassResult`. `run` returns the rewritten program plus the pass's proof obligations
(closures that formulate and discharge Z3 queries about this very rewrite) and optional repair holes.
A pass that cannot handle a program raises `PassDeclined(reason)`: the manager then rolls back to the
program before the pass and tries another plan (an optional pass is simply skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from xpiler.pipeline.program import Program


class PassDeclined(Exception):
    """The pass does not handle this program (the reason says why); nothing was changed."""


@dataclass(frozen=True)
class Knob:
    """A tunable parameter of a pass: its name, the values the tuner may try, and the default."""

    name: str
    choices: tuple
    default: Any
    doc: str = ""


@dataclass
class CheckResult:
    """The outcome of one check: ok True/False, or None when it could not run (detail says why)."""

    name: str
    ok: bool | None
    detail: str = ""
    seconds: float = 0.0


@dataclass
class Obligation:
    """A proof obligation of one rewrite, e.g. "binding of loop i to (blockIdx.x, threadIdx.x) is
    bijective and in range". `check()` formulates and discharges it (usually with Z3) and returns
    (ok, detail); ok None means undecidable here (non-affine, timeout), which is reported, not failed."""

    name: str
    check: Callable[[], tuple[bool | None, str]]


@dataclass
class Hole:
    """A small expression a pass produced that the synthesizer may replace when the step fails:
    `expr` is the current value, `fill(new_expr)` returns the program with the replacement, and
    `candidates` (optional) the expressions the pass considers plausible; the synthesizer adds its own."""

    label: str
    expr: Any
    fill: Callable[[Any], Program]
    candidates: Sequence[Any] = ()
    scope: Sequence[Any] = ()  # symbols (ir Sym) in scope at the hole, for enumeration


@dataclass
class PassResult:
    program: Program
    obligations: list[Obligation] = field(default_factory=list)
    holes: list[Hole] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the pass did, one line each (for the report)
    changed: bool = True


@dataclass
class PassContext:
    """What a pass may consult: the source and target dialects, knob values chosen by the planner or the
    tuner, the seed, and the registry (dialect facts and catalogues, without importing a backend)."""

    source: str
    target: str
    knobs: Mapping[str, Any] = field(default_factory=dict)
    seed: int = 0

    def knob(self, pass_name: str, knob: str, default: Any = None) -> Any:
        return self.knobs.get(f"{pass_name}.{knob}", default)

    def language(self, dialect: str):
        from xpiler.registry import get_backend

        return get_backend(dialect).language()

    def catalogue(self, dialect: str):
        from xpiler.registry import get_backend

        return get_backend(dialect).catalogue()


class Pass:
    """Base class. Subclasses set `name`, `knobs` and implement `run` (and `applies` when the pass is
    only meaningful for some programs)."""

    name: str = ""
    knobs: tuple[Knob, ...] = ()
    optional: bool = False  # an optional pass (idiom: bind, cache, tensorize, ...) is skipped on failure

    def applies(self, program: Program, ctx: PassContext) -> bool:
        return True

    def is_optional(self, program: Program) -> bool:
        """May a failed run on `program` be skipped (rolled back) instead of failing the plan?"""
        return self.optional

    def run(self, program: Program, ctx: PassContext) -> PassResult:  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<pass {self.name}>"
