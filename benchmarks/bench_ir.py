"""Frontend and printer cost: wall time to parse every corpus kernel into the IR and print it back, per
dialect, with the statement counts and the share of statements that stayed opaque.

    python3 -m benchmarks.bench_ir [--reps 3] [--json out.json]

The time is the best of --reps passes over the corpus in this process (tree-sitter's grammar is loaded
once, before timing starts; the first pass, which also imports the backends, is reported separately).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

from xpiler.ir.stats import opaque_report
from xpiler.lang import emit, parse
from xpiler.registry import DIALECTS
from xpiler.verify.spec import load_corpus

ROOT = Path(__file__).resolve().parent / "corpus"


def corpus_files() -> list[tuple[str, str, str]]:
    """(dialect, path, text) of every kernel in the corpus."""
    out = []
    for spec in load_corpus(ROOT):
        for d in DIALECTS:
            p = spec.source_path(d)
            if p.is_file():
                out.append((d, str(p), p.read_text()))
    return out


def one_pass(files) -> dict[str, dict[str, float]]:
    per = {d: {"files": 0, "parse_s": 0.0, "print_s": 0.0} for d in DIALECTS}
    for d, path, text in files:
        t0 = time.perf_counter()
        mod = parse(text, d, path=path)
        t1 = time.perf_counter()
        emit(mod, d)
        t2 = time.perf_counter()
        row = per[d]
        row["files"] += 1
        row["parse_s"] += t1 - t0
        row["print_s"] += t2 - t1
    return per


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--json", help="write the figures here")
    ns = ap.parse_args(argv)

    files = corpus_files()
    t0 = time.perf_counter()
    one_pass(files)
    first = time.perf_counter() - t0
    best = None
    for _ in range(max(1, ns.reps)):
        t0 = time.perf_counter()
        per = one_pass(files)
        wall = time.perf_counter() - t0
        if best is None or wall < best[0]:
            best = (wall, per)
    wall, per = best

    opaque = {d: {"statements": 0, "opaque_statements": 0, "opaque_expressions": 0} for d in DIALECTS}
    for d, path, text in files:
        rep = opaque_report(parse(text, d, path=path))
        for k in opaque[d]:
            opaque[d][k] += rep[k]

    print(f"{len(files)} corpus files, parse + print: {wall:.2f} s (best of {ns.reps}; first pass {first:.2f} s)")
    print(f"{'dialect':8} {'files':>5} {'parse ms':>9} {'print ms':>9} {'stmts':>6} {'opaque':>7} {'share':>6}")
    for d in DIALECTS:
        r, o = per[d], opaque[d]
        share = o["opaque_statements"] / o["statements"] if o["statements"] else 0.0
        print(f"{d:8} {r['files']:5d} {r['parse_s'] * 1e3:9.1f} {r['print_s'] * 1e3:9.1f} {o['statements']:6d} "
              f"{o['opaque_statements']:7d} {share:6.1%}")
    if ns.json:
        Path(ns.json).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.json).write_text(json.dumps({
            "machine": platform.processor() or platform.machine(), "files": len(files), "wall_s": round(wall, 3),
            "first_pass_s": round(first, 3), "per_dialect": per, "opaque": opaque,
        }, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
