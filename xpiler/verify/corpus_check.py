"""Check a program (any dialect) against a corpus case: run it with the arguments the spec makes for the
*source* dialect and compare its outputs with the numpy reference. Passes' tests and the translation
benchmark use this; `transcompile` itself never sees the spec (its Tester infers the tests)."""

from __future__ import annotations

from xpiler.verify.spec import CaseReport, Spec


def check_text(spec: Spec, source_dialect: str, case: int, text: str, dialect: str, *, entry: str | None = None,
               launch: str | None = None, seed: int = 0, timeout: float = 120.0) -> CaseReport:
    from xpiler.exec import run_kernel

    args = spec.make_args(source_dialect, case, seed)
    options = {}
    if entry is not None:
        options["entry"] = entry
    if launch is not None:
        options["launch"] = launch
    res = run_kernel(text, dialect, args=args, filename=f"{spec.op}.{dialect}", timeout=timeout, **options)
    return spec.check(source_dialect, case, args, res.outputs)


def check_program(spec: Spec, source_dialect: str, case: int, program, *, seed: int = 0) -> CaseReport:
    """`program` is an xpiler.pipeline.program.Program (any dialect) derived from the case's source."""
    return check_text(spec, source_dialect, case, program.text(), program.dialect, entry=program.entry,
                      launch=program.launch if program.entry_is_kernel else None, seed=seed)


def source_program(spec: Spec, dialect: str, case: int = 0):
    """The case's source (with its #defines) as a Program."""
    from xpiler.pipeline.program import Program

    ds = spec.dialect(dialect)
    return Program.from_source(spec.source(dialect, case), dialect, path=str(spec.source_path(dialect)),
                               entry=ds.entry, launch=ds.launch)
