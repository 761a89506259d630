"""`transcompile`: translate a kernel between dialects and verify the result.

    >>> from xpiler import transcompile
    >>> res = transcompile(open("add.cu").read(), source="cuda", target="bang")   # doctest: +SKIP
    >>> res.verified, res.code[:40]                                                # doctest: +SKIP

Offline and deterministic by default: every pass is the embedded symbolic implementation. The result keeps
the source's entry contract (DESIGN.md): the same host function name and parameters, or the same kernel name
and parameters plus a `// xpiler:launch` line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from xpiler.errors import BadInput
from xpiler.pipeline.manager import Outcome, PassManager, TranslationFailed
from xpiler.pipeline.program import Program
from xpiler.pipeline.report import Report
from xpiler.registry import available_dialects

__all__ = ["Result", "TranslationFailed", "transcompile"]


@dataclass
class Result:
    code: str
    verified: bool
    report: Report
    source: str
    target: str
    entry: str
    launch: str | None = None

    def __str__(self) -> str:
        return self.code


def transcompile(code: str, source: str, target: str, *, verify: bool = True, launch: str | None = None,
                 entry: str | None = None, seed: int | None = None, path: str | None = None,
                 knobs: Mapping[str, Any] | None = None, manager: PassManager | None = None,
                 progress=None, args: Mapping[str, Any] | None = None, strict: bool | None = None,
                 include_dirs: Sequence[str] = ()) -> Result:
    """Translate `code` from dialect `source` to `target`.

    launch: the launch configuration of a bare device kernel when the code has no `// xpiler:launch` line.
    entry: the entry function when the code has several candidates. seed: the Tester's seed (default 0).
    knobs: pass knob values, `{"loop_bind.block": 128, ...}`. args: scalar arguments of the entry for the
    tests, by name (`{"size": 8192}`), used as given; the others are searched in the source's valid domain
    (`report.scalars` says which values were tested). strict: an exception inside a pass, an obligation or
    the Tester that is not an XpilerError raises InternalError with its traceback instead of failing the step
    (default: the environment variable XPILER_STRICT). include_dirs: folders of the headers the code includes
    (as a compiler's -I; the file's own folder, from `path`, is searched for quoted includes). Raises BadInput for bad input (file:line:col)
    and TranslationFailed (with `.report`) when no plan succeeds; an unverified result has `verified=False`
    and the reason in `report.reason`."""
    known = available_dialects()
    for name, d in (("source", source), ("target", target)):
        if d not in known:
            raise BadInput(f"unknown {name} dialect {d!r}; known: {', '.join(known)}")
    program = Program.from_source(code, source, path=path, entry=entry, launch=launch, include_dirs=include_dirs)
    if program.entry_is_kernel and not program.launch:
        raise BadInput(f"{program.entry} is a bare device kernel: give its launch configuration (launch=... or a "
                       "'// xpiler:launch ...' line)", file=path)
    if args:
        from xpiler.verify.tester import resolve_args

        resolve_args(program, args)  # BadInput for a name the entry does not have, before any work
    mgr = manager or PassManager(progress=progress, strict=strict)
    out: Outcome = mgr.translate(program, target, verify=verify, seed=0 if seed is None else seed, knobs=knobs,
                                 args=args)
    text = out.program.text()
    return Result(code=text, verified=out.report.verified, report=out.report, source=source, target=target,
                  entry=out.program.entry, launch=out.report.launch)
