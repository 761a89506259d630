"""Verification: the kernel corpus spec (`spec`), later test generation, differential runs and localization."""

from xpiler.verify.spec import (
    CaseReport,
    Comparison,
    CorpusItem,
    Spec,
    SpecError,
    compare,
    iter_corpus,
    load_spec,
    run_case,
)

__all__ = [
    "CaseReport",
    "Comparison",
    "CorpusItem",
    "Spec",
    "SpecError",
    "compare",
    "iter_corpus",
    "load_spec",
    "run_case",
]
