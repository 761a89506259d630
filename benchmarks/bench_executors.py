"""Executor cost: (1) wall time to verify the whole corpus on this machine, from a cold and a warm build
cache; (2) throughput of a 256x256x256 gemm on each executor (the corpus gemm kernel of every dialect with
M=N=K=256), next to the C executor.

    python3 -m benchmarks.bench_executors [--jobs 2] [--skip-corpus] [--reps 3] [--json out.json]

Times of the gemm are measured inside the compiled program (the entry call only), the best of --reps runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from xpiler.exec import compile_program, execute
from xpiler.registry import DIALECTS, available_dialects
from xpiler.verify.corpus import verify_items
from xpiler.verify.spec import iter_corpus, load_spec

ROOT = Path(__file__).resolve().parent / "corpus"


def corpus_wall(jobs: int) -> dict:
    items = list(iter_corpus(ROOT, existing_only=True))
    t0 = time.perf_counter()
    outcomes = verify_items(items, jobs=jobs)
    wall = time.perf_counter() - t0
    per = {}
    for d in DIALECTS:
        sel = [o for o in outcomes if o.item.dialect == d]
        per[d] = {"cases": len(sel), "passed": sum(o.ok for o in sel), "seconds": round(sum(o.seconds for o in sel), 2)}
    return {"cases": len(items), "passed": sum(o.ok for o in outcomes), "wall_s": round(wall, 2), "per_dialect": per,
            "failed": [o.item.id for o in outcomes if not o.ok]}


def gemm_throughput(size: int, reps: int) -> dict:
    spec = load_spec(ROOT / "gemm")
    values = {s: size for s in spec.symbols}
    spec = dataclasses.replace(spec, cases=(values,))
    flops = 2.0 * size**3
    rows = {}
    for d in DIALECTS:
        if d not in available_dialects() or not spec.source_path(d).is_file():
            continue
        args = spec.make_args(d, 0, seed=0)
        t0 = time.perf_counter()
        prog = compile_program(spec.source(d, 0), d, filename=str(spec.source_path(d)))
        compile_s = time.perf_counter() - t0
        best = None
        for _ in range(reps):
            res = execute(prog, args, timeout=600)
            best = res.elapsed_s if best is None else min(best, res.elapsed_s)
        ok = spec.check(d, 0, args, res.outputs).ok
        rows[d] = {"seconds": round(best, 4), "gflops": round(flops / best / 1e9, 3), "compile_s": round(compile_s, 2),
                   "correct": ok}
    if "c" in rows:
        for d, r in rows.items():
            r["vs_c"] = round(r["seconds"] / rows["c"]["seconds"], 2)
    return {"size": size, "per_dialect": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--skip-corpus", action="store_true")
    ap.add_argument("--json", default="bench-results/executors.json")
    ns = ap.parse_args()
    result = {"machine": {"cpu_count": os.cpu_count(), "platform": platform.platform()}}
    if not ns.skip_corpus:
        with tempfile.TemporaryDirectory() as cold:
            os.environ["XPILER_CACHE"] = cold
            result["corpus_cold"] = corpus_wall(ns.jobs)
            print("corpus, cold build cache:", json.dumps(result["corpus_cold"]))
            result["corpus_warm"] = corpus_wall(ns.jobs)
            print("corpus, warm build cache:", json.dumps(result["corpus_warm"]))
            os.environ.pop("XPILER_CACHE")
    result["gemm"] = gemm_throughput(ns.size, ns.reps)
    print(f"gemm {ns.size}^3:")
    for d, r in result["gemm"]["per_dialect"].items():
        print(f"  {d:5s} {r['seconds'] * 1e3:10.2f} ms  {r['gflops']:8.3f} GFLOP/s  x{r.get('vs_c', 1):<8} "
              f"compile {r['compile_s']:.1f} s  correct={r['correct']}")
    Path(ns.json).parent.mkdir(parents=True, exist_ok=True)
    Path(ns.json).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
