"""The frontend lifts every corpus kernel of every dialect with nothing left opaque.

Run with `-s` to see the per-dialect table the issue report quotes (statements, opaque counts, parse time).
"""

from __future__ import annotations

import time

import pytest

from xpiler import lang
from xpiler.ir import nodes as N
from xpiler.ir.stats import opaque_items, opaque_report
from xpiler.ir.visit import walk
from xpiler.registry import DIALECTS
from xpiler.verify.spec import load_corpus

SPECS = load_corpus()
FILES = [(s.op, d, s.source_path(d)) for s in SPECS for d in DIALECTS if s.source_path(d).is_file()]


@pytest.mark.parametrize("op,dialect,path", FILES, ids=[f"{op}-{d}" for op, d, _ in FILES])
def test_corpus_file_lifts_without_opaque(op, dialect, path):
    mod = lang.parse(path.read_text(), dialect, str(path))
    report = opaque_report(mod)
    left = [f"{getattr(o, 'loc', '')} {type(o).__name__}: {o.text[:80]}" for o in opaque_items(mod)]
    assert report["opaque_statements"] == 0 and report["opaque_expressions"] == 0, left
    assert report["unparsed_defines"] == 0
    assert report["functions"] >= 1 and report["statements"] > 0
    # every statement and item has a location in the original file
    for n in walk(mod):
        if isinstance(n, (N.Stmt, *N.ITEM_TYPES)):
            assert n.loc is not None and n.loc.line >= 1, n


def test_corpus_totals_and_parse_time(capsys):
    """All 180 files parse well under 5 s; prints the per-dialect totals."""
    totals = {d: {"files": 0, "statements": 0, "opaque_statements": 0, "opaque_expressions": 0,
                  "unparsed_defines": 0, "functions": 0} for d in DIALECTS}
    texts = [(d, p.read_text(), str(p)) for _, d, p in FILES]
    t0 = time.perf_counter()
    mods = [(d, lang.parse(t, d, p)) for d, t, p in texts]
    elapsed = time.perf_counter() - t0
    for d, mod in mods:
        r = opaque_report(mod)
        totals[d]["files"] += 1
        for k in totals[d]:
            if k != "files":
                totals[d][k] += r[k]
    with capsys.disabled():
        print(f"\nfrontend: {len(FILES)} files parsed in {elapsed:.2f} s")
        print(f"{'dialect':8} {'files':>5} {'funcs':>5} {'stmts':>6} {'opaque':>6} {'opq-expr':>8} {'raw-def':>7}")
        for d, t in totals.items():
            print(f"{d:8} {t['files']:5} {t['functions']:5} {t['statements']:6} {t['opaque_statements']:6} "
                  f"{t['opaque_expressions']:8} {t['unparsed_defines']:7}")
    assert len(FILES) == 180
    assert all(t["opaque_statements"] == 0 and t["opaque_expressions"] == 0 for t in totals.values())
    assert elapsed < 5.0
