"""The `xpiler` command line.

    xpiler run FILE [--dialect D] [--inputs IN.npz --output OUT.npz] [--entry NAME] [--launch SPEC]
    xpiler check FILE [--dialect D]          compile with the real compiler (gcc -Wall, nvcc, hipcc)
    xpiler parse FILE [--dialect D] [--emit | --dump] [--json] [-o OUT]
                                             lift into the IR; print it back, dump it, or report opaque nodes
    xpiler translate FILE [--source A] --target B [-o OUT] [--report R.json] [--json] [--args size=8192,n=4]
    xpiler a2b FILE [-o OUT] ...             shorthand for every pair: cuda2hip, c2bang, bang2vnni, ...
    xpiler verify A_FILE B_FILE [--args ...] compare two programs (any dialects) on generated tests
    xpiler dialects                          list the installed dialects

`--args NAME=VALUE,...` gives scalar arguments of the entry for the tests (used as given); the other integer
scalars are searched in the source's valid domain (values for which the source runs without a fault).

Exit codes: 0 ok, 2 bad input, 3 compile error, 4 runtime fault (DESIGN.md), 5 translation failed,
6 not verified (translate: the output is not written unless --allow-unverified; verify: programs differ or
no valid input was found), 7 internal error (strict mode, XPILER_STRICT=1: a bug, with its traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

from xpiler.errors import BadInput, CompileError, InternalError, RuntimeFault, XpilerError
from xpiler.registry import DIALECTS, available_dialects, dialect_for_path, get_backend

MAX_SOURCE_BYTES = 8 * 1024 * 1024


def _read_source(path: str) -> str:
    p = Path(path)
    if not p.is_file():
        raise BadInput("no such file", file=path)
    raw = p.read_bytes()
    if len(raw) > MAX_SOURCE_BYTES:
        raise BadInput(f"file is {len(raw)} bytes; kernels larger than {MAX_SOURCE_BYTES} bytes are refused", file=path)
    if b"\x00" in raw:
        raise BadInput("file contains NUL bytes (binary file?)", file=path)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[: e.start].count(b"\n") + 1
        raise BadInput("file is not valid UTF-8 text", file=path, line=line) from None


def _load_inputs(path: str) -> list:
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise BadInput("no such inputs file", file=path) from None
    except Exception as e:  # numpy raises several types for malformed archives
        raise BadInput(f"cannot read inputs archive: {e}", file=path) from None
    args = []
    for i in range(len(data)):
        key = f"arg{i}"
        if key not in data:
            raise BadInput(f"inputs must be named arg0..arg{len(data) - 1}; {key} is missing (found: {sorted(data)})",
                           file=path)
        args.append(data[key])
    return args


def _save_outputs(path: str, outputs: list) -> None:
    out = {f"arg{i}": a for i, a in enumerate(outputs) if a is not None}
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".xpiler-", suffix=".npz", dir=d)
    os.close(fd)
    try:
        np.savez(tmp, **out)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_run(ns: argparse.Namespace) -> int:
    from xpiler.exec import run_kernel

    source = _read_source(ns.file)
    dialect = ns.dialect or dialect_for_path(ns.file, source)
    args = _load_inputs(ns.inputs) if ns.inputs else []
    res = run_kernel(source, dialect, args=args, entry=ns.entry, launch=ns.launch, filename=ns.file,
                     include_dirs=ns.include,
                     timeout=ns.timeout, memory_mb=ns.memory)
    if ns.output:
        _save_outputs(ns.output, res.outputs)
    for w in res.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if res.stdout:
        sys.stdout.write(res.stdout)
    launch = f" launch {res.launch}" if res.launch else ""
    written = f"; outputs written to {ns.output}" if ns.output else ""
    print(f"ran {res.entry} ({dialect}){launch} in {res.elapsed_s * 1e3:.2f} ms{written}", file=sys.stderr)
    return 0


def cmd_check(ns: argparse.Namespace) -> int:
    source = _read_source(ns.file)
    dialect = ns.dialect or dialect_for_path(ns.file, source)
    get_backend(dialect)
    tc = importlib.import_module(f"xpiler.backends.{dialect}.toolchain")
    res = tc.check_compile(source, ns.file)
    if not res.available:
        print(f"{ns.file}: {res.log}; check skipped", file=sys.stderr)
        return 0
    if res.log:
        print(res.log, file=sys.stderr)
    print(f"{ns.file}: {res.tool} {'ok' if res.ok else 'FAILED'}", file=sys.stderr)
    return 0 if res.ok else CompileError.exit_code


def _write_atomic(path: str, text: str) -> None:
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".xpiler-", dir=d)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def cmd_parse(ns: argparse.Namespace) -> int:
    import json
    import time

    from xpiler.ir.stats import opaque_report
    from xpiler.lang import emit, parse

    source = _read_source(ns.file)
    dialect = ns.dialect or dialect_for_path(ns.file, source)
    t0 = time.perf_counter()
    module = parse(source, dialect, path=ns.file)
    parse_s = time.perf_counter() - t0
    if ns.output and os.path.abspath(ns.output) == os.path.abspath(ns.file):
        raise BadInput("refusing to write the output over the source file", file=ns.output)
    if ns.emit or ns.dump:
        if ns.emit:
            text = emit(module, dialect)
        else:
            from xpiler.ir.dump import dump

            text = dump(module)
        if not text.endswith("\n"):
            text += "\n"
        if ns.output:
            _write_atomic(ns.output, text)
        else:
            sys.stdout.write(text)
        return 0
    report = opaque_report(module)
    report.update(file=ns.file, dialect=dialect, parse_ms=round(parse_s * 1e3, 2),
                  functions=[f.name for f in module.funcs() if not f.is_declaration])
    if ns.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        funcs = ", ".join(report["functions"]) or "none"
        print(f"{ns.file} ({dialect}): {funcs}; {report['statements']} statements, "
              f"{report['opaque_statements']} opaque statements, {report['opaque_expressions']} opaque expressions; "
              f"parsed in {parse_s * 1e3:.1f} ms")
    return 0


def cmd_corpus(ns: argparse.Namespace) -> int:
    import json

    from rich.console import Console
    from rich.table import Table

    from xpiler.verify.corpus import verify_items
    from xpiler.verify.spec import iter_corpus

    items = list(iter_corpus(ns.root, dialects=ns.dialects, ops=ns.ops, existing_only=True))
    if ns.case is not None:
        items = [it for it in items if it.case == ns.case]
    if not items:
        raise BadInput("no corpus case matches (check --ops / --dialects / --root)")
    console = Console(stderr=True)
    done = []

    def progress(o):
        done.append(o)
        if not ns.json:
            mark = "[green]ok[/]" if o.ok else "[red]FAIL[/]"
            console.print(f"[{len(done)}/{len(items)}] {o.item.id:32s} {mark} {o.seconds:6.2f} s")
            if not o.ok:
                console.print("    " + o.summary.replace("\n", "\n    "), markup=False, highlight=False)

    outcomes = verify_items(items, jobs=ns.jobs, seed=ns.seed, on_done=progress)
    failed = [o for o in outcomes if not o.ok]
    if ns.json:
        print(json.dumps([{"id": o.item.id, "ok": o.ok, "seconds": round(o.seconds, 3),
                           "detail": None if o.ok else o.summary} for o in outcomes], indent=1))
    else:
        table = Table(title="corpus verification (executor vs numpy reference)")
        table.add_column("dialect")
        table.add_column("cases", justify="right")
        table.add_column("passed", justify="right")
        for d in sorted({o.item.dialect for o in outcomes}, key=lambda x: (DIALECTS.index(x) if x in DIALECTS else len(DIALECTS), x)):
            sel = [o for o in outcomes if o.item.dialect == d]
            table.add_row(d, str(len(sel)), str(sum(o.ok for o in sel)))
        Console().print(table)
    return 1 if failed else 0


NOT_VERIFIED = 6


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _progress(enabled: bool):
    """A progress callback: a live status line on a terminal, nothing otherwise."""
    if not enabled or not sys.stderr.isatty():
        return None, None
    from rich.console import Console

    console = Console(stderr=True)
    status = console.status("translating")
    status.start()
    return (lambda msg: status.update(msg)), status


def cmd_translate(ns: argparse.Namespace) -> int:
    import json

    from xpiler.api import transcompile
    from xpiler.pipeline.manager import TranslationFailed

    source_text = _read_source(ns.file)
    source = ns.source or dialect_for_path(ns.file, source_text)
    target = ns.target
    get_backend(target)  # unknown target: BadInput before any work
    if ns.output and os.path.exists(ns.output) and _same_file(ns.output, ns.file):
        raise BadInput("refusing to write the translation over its source; choose another -o", file=ns.output)
    report_path = getattr(ns, "report", None)
    if report_path and os.path.exists(report_path) and _same_file(report_path, ns.file):
        raise BadInput("refusing to write the report over the source", file=report_path)
    from xpiler.verify.tester import parse_args_text

    given = parse_args_text(ns.args) if ns.args else None
    cb, status = _progress(not ns.json)
    try:
        res = transcompile(source_text, source, target, verify=not ns.no_verify, launch=ns.launch, entry=ns.entry,
                           seed=ns.seed, path=ns.file, progress=cb, args=given, include_dirs=ns.include)
    except TranslationFailed as e:
        if status is not None:
            status.stop()
        if report_path:
            _write_atomic(report_path, json.dumps(e.report.as_dict(), indent=2, default=str))
        if ns.json:
            print(json.dumps({"ok": False, "error": str(e), "report": e.report.as_dict()}, indent=2, default=str))
        else:
            print(e.report.summary(), file=sys.stderr)
        print(f"xpiler: translation failed: {ns.file}: {e}", file=sys.stderr)
        return TranslationFailed.exit_code
    finally:
        if status is not None:
            status.stop()
    if report_path:
        _write_atomic(report_path, json.dumps(res.report.as_dict(), indent=2, default=str))
    accepted = res.verified or ns.allow_unverified or ns.no_verify
    if accepted:
        if ns.output:
            _write_atomic(ns.output, res.code)
        elif not ns.json:
            sys.stdout.write(res.code if res.code.endswith("\n") else res.code + "\n")
    if ns.json:
        print(json.dumps({"ok": bool(res.verified), "output": ns.output, "code": None if ns.output else res.code,
                          "report": res.report.as_dict()}, indent=2, default=str))
    else:
        print(res.report.summary(), file=sys.stderr)
    if not res.verified and not ns.no_verify:
        where = "written anyway (--allow-unverified)" if accepted and ns.output else "not written"
        print(f"xpiler: {ns.file}: the translation is NOT verified ({res.report.reason}); output {where}",
              file=sys.stderr)
        return NOT_VERIFIED
    return 0


def cmd_verify(ns: argparse.Namespace) -> int:
    import json

    from xpiler.pipeline.program import Program
    from xpiler.verify import tester

    progs = []
    for path, dialect in ((ns.file_a, ns.dialect_a), (ns.file_b, ns.dialect_b)):
        text = _read_source(path)
        d = dialect or dialect_for_path(path, text)
        prog = Program.from_source(text, d, path=path, entry=ns.entry, launch=ns.launch, include_dirs=ns.include)
        if prog.entry_is_kernel and not prog.launch:
            raise BadInput(f"{prog.entry} is a bare kernel without a '// xpiler:launch' line; give --launch", file=path)
        progs.append(prog)
    dom = tester.valid_domain(progs[0], args=tester.parse_args_text(ns.args) if ns.args else None)
    tested = "; ".join(", ".join(f"{k}={v}" for k, v in sc.items()) for sc in [dom.scalars] + [m for m, _ in dom.more]
                       if sc)
    if not dom.ok:
        if ns.json:
            print(json.dumps({"equivalent": False, "verified": False, "error": dom.reason, "scalars": {},
                              "tried": dom.tried, "checks": []}, indent=2, default=str))
        else:
            print(f"{ns.file_a} vs {ns.file_b}: NOT verified: {dom.reason}", file=sys.stderr)
        return NOT_VERIFIED
    tests = dom.tests(seed=ns.seed, n=ns.tests)
    v = tester.differential(progs[0], progs[1], tests)
    if ns.json:
        print(json.dumps({"equivalent": bool(v.ok), "verified": bool(v.ok), "error": getattr(v, "error", None),
                          "first_divergence": getattr(v, "first_divergence", None), "scalars": dom.scalars,
                          "scalars_more": [m for m, _ in dom.more], "scalars_given": dom.given, "tried": dom.tried,
                          "checks": list(getattr(v, "checks", []))}, indent=2, default=str))
    else:
        from xpiler.pipeline.manager import _verdict_text

        how = (f" with {tested} ({'given' if dom.given else 'found in the valid domain of ' + ns.file_a})"
               if tested else "")
        print(f"{ns.file_a} vs {ns.file_b}: {'equivalent on' if v.ok else 'DIFFERENT on'} {len(tests)} generated "
              f"test(s){how}: {_verdict_text(v)}", file=sys.stderr)
    return 0 if v.ok else NOT_VERIFIED


def cmd_dialects(ns: argparse.Namespace) -> int:
    for d in available_dialects():
        b = get_backend(d)
        print(f"{d:6s} {' '.join(b.extensions):12s} {b.description}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xpiler",
        description="Transcompile and verify tensor kernels between C, AVX-512 VNNI, CUDA, HIP and BANG C.",
        epilog="Shorthands: xpiler A2B FILE for every pair of dialects (cuda2hip, c2bang, bang2vnni, ...). "
               "Exit codes: 0 ok, 2 bad input, 3 compile error, 4 runtime fault, 5 translation failed, "
               "6 not verified, 7 internal error (strict mode).",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    r = sub.add_parser("run", help="run one kernel on the CPU executor of its dialect",
                       description="Run one kernel file on this CPU. IN.npz holds the entry's arguments by "
                                   "position (arg0, arg1, ...; scalars as 0-d arrays). OUT.npz receives every "
                                   "pointer argument after the run, under the same keys.")
    r.add_argument("file", help="kernel source (.c .cpp .cu .hip .mlu)")
    r.add_argument("--dialect", choices=None, help="c, vnni, cuda, hip or bang (default: from the extension)")
    r.add_argument("--inputs", metavar="IN.npz", help="the entry's arguments (not for a whole program with main)")
    r.add_argument("--output", metavar="OUT.npz", help="where to write the buffers afterwards")
    r.add_argument("-I", "--include", action="append", default=[], metavar="DIR",
                   help="a folder of headers the file includes (as a compiler's -I; repeatable)")
    r.add_argument("--entry", help="function to call (default: the only extern \"C\" function, else the only kernel)")
    r.add_argument("--launch", metavar="SPEC",
                   help="for a bare device kernel: 'grid=X,Y,Z block=X,Y,Z' (cuda, hip) or "
                        "'tasks=N [clusters=C cores=K]' (bang); default: the file's '// xpiler:launch' line")
    r.add_argument("--timeout", type=float, default=60.0, help="seconds before the run is stopped (default 60)")
    r.add_argument("--memory", type=int, default=4096, help="memory limit in MiB (default 4096)")
    r.set_defaults(func=cmd_run)
    c = sub.add_parser("check", help="compile a kernel with the real compiler of its dialect")
    c.add_argument("file")
    c.add_argument("--dialect")
    c.set_defaults(func=cmd_check)
    pa = sub.add_parser("parse", help="lift a kernel into the IR: report opaque nodes, print it back or dump it")
    pa.add_argument("file")
    pa.add_argument("--dialect", help="source dialect (default: from the extension)")
    g = pa.add_mutually_exclusive_group()
    g.add_argument("--emit", action="store_true", help="print the IR back as source with the dialect's printer")
    g.add_argument("--dump", action="store_true", help="print the readable IR dump")
    pa.add_argument("--json", action="store_true", help="report as JSON")
    pa.add_argument("-o", "--output", help="write --emit/--dump output here (atomically) instead of stdout")
    pa.set_defaults(func=cmd_parse)

    k = sub.add_parser("corpus", help="verify corpus kernels on the executors against their numpy references")
    k.add_argument("--root", default=None, help="corpus folder (default: benchmarks/corpus of this checkout)")
    k.add_argument("--ops", nargs="+", help="operators (folder names); default all")
    k.add_argument("--dialects", nargs="+", help="dialects; default all")
    k.add_argument("--case", type=int, help="only this case index")
    k.add_argument("--jobs", type=int, default=2, help="cases run in parallel (default 2)")
    k.add_argument("--seed", type=int, default=0)
    k.add_argument("--json", action="store_true", help="print results as JSON")
    k.set_defaults(func=cmd_corpus)
    t = sub.add_parser("translate", help="translate a kernel to another dialect and verify it",
                       description="Translate FILE to the target dialect through the checked pass chain and verify "
                                   "the result against the source on generated tests. The code goes to -o OUT "
                                   "(written atomically, never over the source) or to stdout; the summary to "
                                   "stderr. Shorthand: xpiler A2B FILE (cuda2hip, c2bang, bang2vnni, ...).")
    _translate_args(t, with_dialects=True)
    t.set_defaults(func=cmd_translate)
    v = sub.add_parser("verify", help="compare two programs (any dialects) on generated tests")
    v.add_argument("file_a")
    v.add_argument("file_b")
    v.add_argument("--dialect-a")
    v.add_argument("--dialect-b")
    v.add_argument("-I", "--include", action="append", default=[], metavar="DIR",
                   help="a folder of headers the file includes (as a compiler's -I; repeatable)")
    v.add_argument("--entry", help="entry function (both files)")
    v.add_argument("--launch", metavar="SPEC", help="launch of bare kernels without a '// xpiler:launch' line")
    v.add_argument("--seed", type=int, default=0)
    v.add_argument("--tests", type=int, default=2, help="number of generated tests (default 2)")
    v.add_argument("--args", metavar="NAME=V,...",
                   help="scalar arguments of the entry for the tests, e.g. size=8192,n=4 (used as given; other "
                        "integer scalars are searched in the valid domain of FILE_A)")
    v.add_argument("--json", action="store_true")
    v.set_defaults(func=cmd_verify)
    d = sub.add_parser("dialects", help="list the installed dialects")
    d.set_defaults(func=cmd_dialects)
    return p


def _translate_args(t: argparse.ArgumentParser, *, with_dialects: bool) -> None:
    t.add_argument("file", help="kernel source (.c .cpp .cu .hip .mlu)")
    if with_dialects:
        t.add_argument("--source", help="source dialect (default: from the extension)")
        t.add_argument("--target", required=True, help="target dialect: c, vnni, cuda, hip or bang")
    t.add_argument("-o", "--output", help="write the translation here (default: stdout)")
    t.add_argument("--report", metavar="REPORT.json", help="write the full report (passes, checks, repairs, timings)")
    t.add_argument("--json", action="store_true", help="print the result and report as JSON on stdout")
    t.add_argument("--launch", metavar="SPEC", help="launch of a bare source kernel without a '// xpiler:launch' line")
    t.add_argument("-I", "--include", action="append", default=[], metavar="DIR",
                   help="a folder of headers the file includes (as a compiler's -I; repeatable)")
    t.add_argument("--entry", help="entry function when the file has several candidates")
    t.add_argument("--seed", type=int, default=0, help="seed of the generated tests (default 0)")
    t.add_argument("--args", metavar="NAME=V,...",
                   help="scalar arguments of the entry for the tests, e.g. size=8192,n=4 (used as given; other "
                        "integer scalars are searched in the source's valid domain)")
    t.add_argument("--no-verify", action="store_true", help="skip all differential tests (the result is unverified)")
    t.add_argument("--allow-unverified", action="store_true", help="write the output even when it is not verified")


def _shorthand(argv: list[str]) -> list[str]:
    """`xpiler cuda2hip FILE ...` -> `xpiler translate FILE --source cuda --target hip ...`."""
    if argv and "2" in argv[0] and not argv[0].startswith("-"):
        a, _, b = argv[0].partition("2")
        known = available_dialects()
        if a in known and b in known and a != b:
            return ["translate", *argv[1:], "--source", a, "--target", b]
    return argv


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = _shorthand(list(sys.argv[1:] if argv is None else argv))
    ns = parser.parse_args(argv)
    if not getattr(ns, "func", None):
        parser.print_help()
        return 2
    try:
        return ns.func(ns)
    except XpilerError as e:
        label = {BadInput: "error", CompileError: "compile error", RuntimeFault: "runtime fault",
                 InternalError: "internal error"}.get(type(e), "error")
        if isinstance(e, RuntimeFault):
            label = f"runtime fault ({e.kind})"
        print(f"xpiler: {label}: {e}", file=sys.stderr)
        log = getattr(e, "log", "")
        if isinstance(e, CompileError) and log:
            print(log, file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
