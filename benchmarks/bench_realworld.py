"""Translation of kernels written the way users have them: the generated tier, the corpus variants, or any
folder of public code.

    python3 -m benchmarks.bench_realworld benchmarks/generated/tvm --directions cuda2hip cuda2c c2cuda c2bang
    python3 -m benchmarks.bench_realworld bench-results/variants --directions cuda2hip bang2c --limit 40
    python3 -m benchmarks.bench_realworld /path/to/cuda-samples/Samples -I /path/to/cuda-samples/Common \
        --directions cuda2hip --json out.json

A folder with a `manifest.json` (benchmarks/generated/tier.py format: the TVM sample, the variants) gives every
case its dialect, entry, launch, arguments and numpy reference. Any other folder is walked for kernel files
(`.c`, `.cpp`/`.cc` (vnni when they use `_mm*` intrinsics, else c), `.cu`, `.hip`, `.mlu`); those cases have no
reference. For every file and every requested direction whose source dialect is the file's:

1. `transcompile` in a fresh subprocess with a time limit (`--timeout`, default 300 s), two at a time
   (`--jobs`); the entry and launch are given when the manifest has them (`--no-entry`: let xpiler find them);
2. the output is run on the target's executor with the case's arguments and compared with the numpy reference
   (manifest cases only), independently of xpiler's own verification;
3. the output is compiled with the target's real compiler when one is installed (gcc, nvcc, hipcc; BANG has
   none).

*correct and parallel*: correct outputs for cuda/hip/bang that bind a parallel axis (not one serial thread).
A case is *translated* when transcompile returns code, *verified* when xpiler says so, *correct* when it is
verified, matches the reference (where there is one) and the compiler (where there is one) accepts it,
*refused* when transcompile raises TranslationFailed or BadInput; timeouts and crashes are *errors*. The table
gives these per direction and the ten most common refusal reasons, normalized (numbers, quoted names and the
file's identifiers stripped). `--json OUT` writes every case's row.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXT_DIALECT = {".c": "c", ".cu": "cuda", ".hip": "hip", ".mlu": "bang"}
OUT_EXT = {"c": "cpp", "vnni": "cpp", "cuda": "cu", "hip": "hip"}


def discover(folder: Path) -> list[dict]:
    """The cases of a folder: its manifest's, or one per kernel file found."""
    folder = Path(folder)
    if (folder / "manifest.json").is_file():
        from benchmarks.generated.tier import load_manifest

        return load_manifest(folder)
    cases = []
    for p in sorted(folder.rglob("*")):
        if not p.is_file() or "/.git/" in str(p):
            continue
        ext = p.suffix.lower()
        if ext in (".cpp", ".cc", ".cxx"):
            try:
                txt = p.read_text(errors="replace")
            except OSError:
                continue
            d = "vnni" if re.search(r"\b_mm(256|512)?_\w+\(", txt) else "c"
        elif ext in EXT_DIALECT:
            d = EXT_DIALECT[ext]
        else:
            continue
        cases.append({"id": str(p.relative_to(folder)), "path": str(p), "dialect": d, "tests": [],
                      "entry": None, "launch": None})
    return cases


def _identifiers(text: str) -> set[str]:
    """The file's own names (in code, not comments) that look like names: snake_case, digits, CamelCase,
    ALLCAPS or one letter; ordinary words stay so that reasons remain readable."""
    from xpiler.exec.scan import blank_comments_and_strings

    code = blank_comments_and_strings(text)
    return {w for w in re.findall(r"\b[A-Za-z_]\w*\b", code)
            if "_" in w or any(c.isdigit() for c in w) or len(w) == 1 or any(c.isupper() for c in w[1:])}


def normalize(reason: str, source: str = "") -> str:
    """A refusal reason without its specifics: the class of problem, comparable across files."""
    r = (reason or "?").strip().splitlines()[0] if reason else "?"
    r = re.sub(r"^translation failed:\s*", "", r)
    r = re.sub(r"\bno plan from \w+ to \w+", "no plan from SRC to DST", r)
    r = re.sub(r"\S+\.(?:cu|c|cpp|cc|hip|mlu|h|cuh)(?::\d+)*(?::)?", "FILE", r)
    r = re.sub(r"'[^']*'", "'_'", r)
    r = re.sub(r"`[^`]*`", "`_`", r)
    r = re.sub(r'"[^"]*"', '"_"', r)
    idents = _identifiers(source)
    r = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: "_" if m.group(0) in idents else m.group(0), r)
    r = re.sub(r"\b\d+(\.\d+)?\b", "N", r)
    r = re.sub(r"\s+", " ", r)
    return r[:160]


# ---------------------------------------------------------------------------------------------------------
# one case, in a subprocess
# ---------------------------------------------------------------------------------------------------------

def run_one(case: dict, src: str, dst: str, give_entry: bool = True) -> dict:
    from benchmarks.generated.tier import check_source
    from xpiler.api import transcompile
    from xpiler.errors import BadInput
    from xpiler.pipeline.manager import TranslationFailed

    row = {"id": case["id"], "source": src, "target": dst, "status": "error", "verified": False,
           "reference_ok": None, "compiler_ok": None, "correct": False, "seconds": None, "reason": ""}
    text = Path(case["path"]).read_text(errors="replace")
    opts = {}
    if give_entry and case.get("entry") and case.get("entry") != "main":
        opts["entry"] = case["entry"]
    if give_entry and case.get("launch"):
        opts["launch"] = case["launch"]
    if case.get("include_dirs"):
        opts["include_dirs"] = list(case["include_dirs"])
    t0 = time.perf_counter()
    try:
        res = transcompile(text, src, dst, path=case["path"], **opts)
    except (TranslationFailed, BadInput) as e:
        row.update(status="refused", seconds=time.perf_counter() - t0, reason=f"{type(e).__name__}: {e}"[:800])
        return row
    except Exception as e:
        row.update(status="error", seconds=time.perf_counter() - t0,
                   reason=f"{type(e).__name__}: {e}"[:600] + "\n" + traceback.format_exc()[-600:])
        return row
    row["seconds"] = time.perf_counter() - t0
    row["status"] = "translated"
    row["verified"] = bool(res.verified)
    row["reason"] = res.report.reason or ""
    row["code_chars"] = len(res.code)
    row["idioms"] = getattr(res.report, "idioms", {}) or {}  # bound axes etc.: a serial <<<1,1>>> output shows
    if case.get("tests") and case.get("checked", True):
        why = check_source(case, res.code, dialect=dst, entry=res.entry,
                           launch=res.launch if dst in ("bang",) or res.launch else None)
        row["reference_ok"] = why is None
        if why:
            row["reason"] = (row["reason"] + "; " if row["reason"] else "") + f"reference check: {why}"[:500]
    if dst != "bang":
        try:
            tc = importlib.import_module(f"xpiler.backends.{dst}.toolchain")
            if case.get("include_dirs"):  # the repository's own headers, as the translation had them (gcc, nvcc
                os.environ["CPATH"] = os.pathsep.join(case["include_dirs"])  # and clang all read CPATH)
            # named as if beside the source: its quoted headers are found as the user's build finds them
            cc = tc.check_compile(res.code, str(Path(case["path"]).with_name(f"xpiler_out.{OUT_EXT[dst]}")))
            row["compiler_ok"] = bool(cc.ok) if cc.available else None
            if cc.available and not cc.ok:
                row["reason"] += f"; {cc.tool} rejected the output: {cc.log[:300]}"
        except Exception as e:
            row["reason"] += f"; compiler check failed: {e}"
    row["correct"] = bool(row["verified"] and row["reference_ok"] is not False and row["compiler_ok"] is not False)
    return row


def _subprocess(task) -> dict:
    case, src, dst, give_entry, timeout = task
    t0 = time.perf_counter()
    payload = json.dumps({"case": case, "src": src, "dst": dst, "give_entry": give_entry})
    try:
        p = subprocess.run([sys.executable, "-m", "benchmarks.bench_realworld", "--one", "-"], input=payload,
                           capture_output=True, text=True, timeout=timeout, cwd=str(ROOT),
                           env={**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    except subprocess.TimeoutExpired:
        return {"id": case["id"], "source": src, "target": dst, "status": "error", "verified": False,
                "reference_ok": None, "compiler_ok": None, "correct": False, "seconds": timeout,
                "reason": f"timeout after {timeout} s"}
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                break
    return {"id": case["id"], "source": src, "target": dst, "status": "error", "verified": False,
            "reference_ok": None, "compiler_ok": None, "correct": False, "seconds": time.perf_counter() - t0,
            "reason": f"worker crashed (exit {p.returncode}): {p.stderr[-500:]}"}


# ---------------------------------------------------------------------------------------------------------
# tables
# ---------------------------------------------------------------------------------------------------------

def _parallel(rs: list[dict], target: str) -> str:
    """Correct outputs that bind a parallel axis (cuda/hip/bang targets); '-' when the rows carry no idioms."""
    if target not in ("cuda", "hip", "bang"):
        return "n/a"
    ok = [r for r in rs if r["correct"]]
    if any("idioms" not in r for r in ok):
        return "-"
    return str(sum(bool(r["idioms"].get("parallel_axes")) for r in ok))


def summarize(rows: list[dict], sources: dict[str, str]) -> tuple[str, list[tuple[str, int, str]]]:
    dirs = sorted({(r["source"], r["target"]) for r in rows})
    lines = ["| direction | cases | translated | verified | correct | correct and parallel | refused | errors | median s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for a, b in dirs:
        rs = [r for r in rows if (r["source"], r["target"]) == (a, b)]
        times = [r["seconds"] for r in rs if r.get("seconds") is not None]
        lines.append(f"| {a}2{b} | {len(rs)} | {sum(r['status'] == 'translated' for r in rs)} | "
                     f"{sum(r['verified'] for r in rs)} | {sum(r['correct'] for r in rs)} | {_parallel(rs, b)} | "
                     f"{sum(r['status'] == 'refused' for r in rs)} | {sum(r['status'] == 'error' for r in rs)} | "
                     f"{statistics.median(times):.2f} |" if times else "| - |")
    counts = collections.Counter()
    example = {}
    for r in rows:
        if r["status"] == "refused" or (r["status"] == "translated" and not r["verified"]):
            key = normalize(r["reason"], sources.get(r["id"], ""))
            counts[key] += 1
            example.setdefault(key, f"{r['id']} ({r['source']}2{r['target']}): {r['reason'].splitlines()[0][:300]}"
                               if r["reason"] else r["id"])
    top = [(k, n, example[k]) for k, n in counts.most_common(10)]
    return "\n".join(lines) + "\n", top


def _print_tables(rows, sources):
    table, top = summarize(rows, sources)
    print(table)
    print("Most common refusals and unverified reasons (normalized):\n")
    print("| # | reason | example |")
    print("|---|---|---|")
    for k, n, ex in top:
        print(f"| {n} | {k.replace('|', '/')} | {ex.replace('|', '/')[:220]} |")
    return table, top


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", nargs="?")
    ap.add_argument("--directions", nargs="+", default=["cuda2hip", "cuda2c", "c2cuda", "c2bang"])
    ap.add_argument("--ids", nargs="+", help="only these case ids (substring match)")
    ap.add_argument("--limit", type=int, help="at most this many cases per direction (evenly spaced)")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--no-entry", action="store_true", help="do not give the manifest's entry and launch")
    ap.add_argument("-I", "--include", action="append", default=[], metavar="DIR",
                    help="a folder of the repository's own headers (cuda-samples' Common), for every case")
    ap.add_argument("--json")
    ap.add_argument("--summarize", metavar="RESULT.json", help="print the tables of an earlier --json result")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ns = ap.parse_args(argv)
    if ns.summarize:
        rows = json.loads(Path(ns.summarize).read_text())["rows"]
        sources = {}
        if ns.folder:
            sources = {c["id"]: Path(c["path"]).read_text(errors="replace") for c in discover(Path(ns.folder))}
        _print_tables(rows, sources)
        return 0
    if ns.one:
        task = json.loads(sys.stdin.read() if ns.one == "-" else Path(ns.one).read_text())
        row = run_one(task["case"], task["src"], task["dst"], task["give_entry"])
        sys.stdout.write("\n" + json.dumps(row, default=str) + "\n")
        return 0
    if not ns.folder:
        ap.error("folder required")
    cases = discover(Path(ns.folder))
    if ns.include:
        cases = [{**c, "include_dirs": [str(Path(d).resolve()) for d in ns.include]} for c in cases]
    if ns.ids:
        cases = [c for c in cases if any(s in c["id"] for s in ns.ids)]
    tasks = []
    for d in ns.directions:
        a, b = d.split("2")
        mine = [c for c in cases if c["dialect"] == a]
        if ns.limit and len(mine) > ns.limit:  # evenly spaced over the sorted cases, not the first ones
            mine = [mine[(i * len(mine)) // ns.limit] for i in range(ns.limit)]
        tasks += [(c, a, b, not ns.no_entry, ns.timeout) for c in mine]
    sources = {c["id"]: Path(c["path"]).read_text(errors="replace") for c in cases}
    print(f"{len(tasks)} translations ({len(cases)} files) from {ns.folder}", file=sys.stderr)
    t0 = time.time()
    rows = []
    with ThreadPoolExecutor(max_workers=ns.jobs) as pool:
        for i, row in enumerate(pool.map(_subprocess, tasks)):
            rows.append(row)
            tag = "OK  " if row["correct"] else row["status"].upper()[:4]
            print(f"{tag} {row['source']}2{row['target']} {row['id']}: "
                  f"{(row['reason'] or '').splitlines()[0][:200] if row['reason'] else ''}", file=sys.stderr,
                  flush=True)
    table, top = _print_tables(rows, sources)
    print(f"\n{len(tasks)} translations in {time.time() - t0:.0f} s, {ns.jobs} jobs")
    if ns.json:
        Path(ns.json).parent.mkdir(parents=True, exist_ok=True)
        Path(ns.json).write_text(json.dumps({"table": table, "top_reasons": top, "rows": rows}, indent=1,
                                            default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
