"""Translation accuracy and speed: every corpus case in every one of the 20 directions.

    python3 -m benchmarks.bench_translate [--directions cuda2hip c2bang ...] [--ops gemm ...] [--cases 0 1]
                                          [--rename] [--jobs 2] [--json out.json] [--markdown out.md]

For each (op, case, source A, target B): `transcompile(source of A, A, B)` with verification, timed (translation
plus verification); then, independently of the Tester, the output is run on B's executor with the spec's
arguments for A and compared with the numpy reference, and compiled with B's real compiler where one exists
(gcc -Wall, nvcc, hipcc). A case counts as correct only if the translation reports verified, the reference check
passes and the real compiler (when present) accepts the output. `--rename` renames every function of the source
to neutral names first (the hidden checks do the same). Idioms: whether the output binds parallel axes, stages
data in fast memories and calls intrinsics, next to whether the target's own corpus kernel does.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import re
import statistics
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "corpus"
DIALECTS = ("c", "vnni", "cuda", "hip", "bang")


def directions(selected=None):
    out = [(a, b) for a in DIALECTS for b in DIALECTS if a != b]
    if selected:
        want = set(selected)
        out = [(a, b) for a, b in out if f"{a}2{b}" in want]
    return out


def neutral_names(text: str, dialect: str) -> tuple[str, dict[str, str]]:
    """Rename every function defined in `text` to f0, f1, ... (whole identifiers, code only)."""
    from xpiler.exec.scan import find_functions

    names = []
    for fn in find_functions(text):
        if fn.name not in names and fn.name != "main":
            names.append(fn.name)
    mapping = {n: f"fn{i}_{len(n)}" for i, n in enumerate(names)}
    for old, new in mapping.items():
        text = re.sub(rf"\b{re.escape(old)}\b", new, text)
    return text, mapping


def _target_idioms(op: str, dialect: str) -> dict:
    from xpiler.lang import parse
    from xpiler.pipeline.idioms import idioms
    from xpiler.verify.spec import load_spec

    spec = load_spec(ROOT / op)
    p = spec.source_path(dialect)
    return idioms(parse(p.read_text(), dialect, path=str(p)))


def run_one(task) -> dict:
    op, case, src, dst, rename, seed = task
    from xpiler.api import transcompile
    from xpiler.pipeline.manager import TranslationFailed
    from xpiler.verify.corpus_check import check_text
    from xpiler.verify.spec import load_spec

    row = {"op": op, "case": case, "source": src, "target": dst, "verified": False, "reference_ok": False,
           "compiler_ok": None, "ok": False, "seconds": None, "reason": "", "idioms": {}, "target_idioms": {}}
    try:
        spec = load_spec(ROOT / op)
        text = spec.source(src, case)
        if rename:
            text, _ = neutral_names(text, src)
        path = str(spec.source_path(src))
        t0 = time.perf_counter()
        try:
            res = transcompile(text, src, dst, path=path, seed=seed)
        except TranslationFailed as e:
            row["seconds"] = time.perf_counter() - t0
            row["reason"] = f"translation failed: {e}"[:600]
            return row
        row["seconds"] = time.perf_counter() - t0
        row["verified"] = res.verified
        row["reason"] = res.report.reason
        row["idioms"] = res.report.idioms
        row["plan"] = res.report.plan
        row["steps"] = [(s.pass_name, s.status) for s in res.report.steps]
        try:
            row["target_idioms"] = _target_idioms(op, dst)
        except Exception:
            pass
        rep = check_text(spec, src, case, res.code, dst, entry=res.entry, launch=res.launch)
        row["reference_ok"] = bool(rep.ok)
        if not rep.ok:
            row["reason"] = (row["reason"] + "; " if row["reason"] else "") + f"reference check: {rep}"[:400]
        if dst != "bang":
            tc = importlib.import_module(f"xpiler.backends.{dst}.toolchain")
            cc = tc.check_compile(res.code, f"out_{op}.{ {'c': 'cpp', 'vnni': 'cpp', 'cuda': 'cu', 'hip': 'hip'}[dst]}")
            row["compiler_ok"] = bool(cc.ok) if cc.available else None
            if cc.available and not cc.ok:
                row["reason"] += f"; {cc.tool} rejected the output: {cc.log[:300]}"
        row["ok"] = bool(row["verified"] and row["reference_ok"] and row["compiler_ok"] is not False)
    except Exception as e:
        row["reason"] = f"{type(e).__name__}: {e}"[:600] + "\n" + traceback.format_exc()[-800:]
    return row


def summarize(rows: list[dict]) -> dict:
    table = {}
    for a, b in directions():
        rs = [r for r in rows if r["source"] == a and r["target"] == b]
        if not rs:
            continue
        times = sorted(r["seconds"] for r in rs if r["seconds"] is not None)
        ok = sum(r["ok"] for r in rs)

        def share(key):
            have = [r for r in rs if r["ok"]]
            return sum(bool(r["idioms"].get(key)) for r in have), sum(bool(r["target_idioms"].get(key)) for r in have)

        table[f"{a}2{b}"] = {
            "cases": len(rs), "ok": ok, "accuracy": ok / len(rs),
            "median_s": statistics.median(times) if times else None,
            "p95_s": times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))] if times else None,
            "bound": share("parallel_axes"), "staged": share("fast_memory"), "intrinsics": share("intrinsics"),
            "failures": [f"{r['op']}[{r['case']}]: {r['reason'].splitlines()[0] if r['reason'] else '?'}"
                         for r in rs if not r["ok"]],
        }
    return table


def markdown(table: dict) -> str:
    lines = ["| direction | cases | correct | accuracy | median s | p95 s | bound axes | fast memory | intrinsics |",
             "|---|---|---|---|---|---|---|---|---|"]
    for k, t in table.items():
        fmt = lambda p: f"{p[0]} (ref {p[1]})"
        lines.append(f"| {k} | {t['cases']} | {t['ok']} | {100 * t['accuracy']:.1f}% | {t['median_s']:.2f} | "
                     f"{t['p95_s']:.2f} | {fmt(t['bound'])} | {fmt(t['staged'])} | {fmt(t['intrinsics'])} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--directions", nargs="+")
    ap.add_argument("--ops", nargs="+")
    ap.add_argument("--cases", nargs="+", type=int)
    ap.add_argument("--rename", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    ap.add_argument("--rerun", metavar="PREV.json",
                    help="rerun the failed rows of an earlier --json result (and every row of --directions), "
                         "keep the others, and print the merged table")
    ns = ap.parse_args(argv)
    from xpiler.verify.spec import load_corpus

    tasks = []
    for spec in load_corpus(ROOT):
        if ns.ops and spec.op not in ns.ops:
            continue
        for case in range(len(spec.cases)):
            if ns.cases is not None and case not in ns.cases:
                continue
            for a, b in directions(ns.directions):
                tasks.append((spec.op, case, a, b, ns.rename, ns.seed))
    kept = []
    if ns.rerun:
        prev = json.loads(Path(ns.rerun).read_text())["rows"]
        again = set(directions(ns.directions)) if ns.directions else set()
        tasks = [(r["op"], r["case"], r["source"], r["target"], ns.rename, ns.seed) for r in prev
                 if not r["ok"] or (r["source"], r["target"]) in again]
        redo = {t[:4] for t in tasks}
        kept = [r for r in prev if (r["op"], r["case"], r["source"], r["target"]) not in redo]
    t0 = time.time()
    rows = list(kept)
    with ProcessPoolExecutor(max_workers=ns.jobs) as pool:
        for i, row in enumerate(pool.map(run_one, tasks, chunksize=1)):
            rows.append(row)
            if not row["ok"]:
                print(f"FAIL {row['source']}2{row['target']} {row['op']}[{row['case']}]: "
                      f"{row['reason'].splitlines()[0] if row['reason'] else ''}"[:300], file=sys.stderr, flush=True)
            if (i + 1) % 50 == 0 or i + 1 == len(tasks):
                print(f"... {i + 1}/{len(tasks)} ({time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    table = summarize(rows)
    md = markdown(table)
    print(md)
    print(f"{len(tasks)} translations in {time.time() - t0:.0f} s on {os.cpu_count()} cores ({platform.processor()})")
    if ns.json:
        Path(ns.json).write_text(json.dumps({"table": table, "rows": rows}, indent=1, default=str))
    if ns.markdown:
        Path(ns.markdown).write_text(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
