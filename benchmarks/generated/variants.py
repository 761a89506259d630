"""Style variants of our own corpus: every corpus kernel rewritten (text transformations) into the styles
users write, so that every style meets every pass.

    python3 -m benchmarks.generated.variants --out bench-results/variants [--ops add gemm] [--dialects cuda c]
                                             [--styles renamed sizes ...] [--no-check]

Styles (each applied alone to the file as committed, i.e. case 0 of the spec):

- `renamed`: every function gets another name (the entry `launch_<op>` / `<op>_cpu` / `<op>_mlu`, the others
  `<name>_impl`).
- `headers`: the includes and typedefs real files carry (`<stdio.h>`, `<stdlib.h>`, `<math.h>`,
  `typedef unsigned short half;` in C files that do not use half, `<cuda_fp16.h>`, `<mma.h>` +
  `using namespace nvcuda;` in wmma files, `<hip/hip_fp16.h>`, ...).
- `sizes`: the spec's shape `#define`s become `int` parameters: of the entry (appended in the spec's order), of
  every function whose body uses them (directly or through macros) and of every call and launch of those; the
  variant is kept only if it still runs and matches the reference for every case of the spec.
- `program` (cuda, hip): the file plus an `int main()` that allocates the arguments (case 0), fills them
  deterministically, calls the entry and prints a checksum of each output (no reference check; compiled with
  nvcc/hipcc when available).
- `bare` (bang): the kernel without `extern "C"` and without its `// xpiler:launch` line (the manifest records
  the launch, as a user would give it), indexing with `clusterId * coreDim + coreId` instead of `taskId`.
- `combined`: renamed + headers + sizes together.

A style that does not apply (nothing to rewrite, a fixed-size array depends on a size, the output does not
run) is skipped with the reason. `manifest.json` lists the variants in the format of
benchmarks/generated/tier.py (`"kind": "variant"`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
DIALECTS = ("c", "vnni", "cuda", "hip", "bang")
EXT = {"c": "c", "vnni": "cpp", "cuda": "cu", "hip": "hip", "bang": "mlu"}
STYLES = ("renamed", "headers", "sizes", "program", "bare", "combined")


class Skip(Exception):
    pass


def _code(text: str) -> str:
    from xpiler.exec.scan import blank_comments_and_strings

    return blank_comments_and_strings(text)


def _ident_re(names) -> re.Pattern:
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True)) + r")\b")


# ---------------------------------------------------------------------------------------------------------
# renamed
# ---------------------------------------------------------------------------------------------------------

def renamed(text: str, dialect: str, op: str, entry: str) -> tuple[str, str]:
    from xpiler.exec.scan import find_functions

    names = [f.name for f in find_functions(text) if f.name != "main"]
    if not names:
        raise Skip("no function definitions")
    new_entry = {"c": f"{op}_cpu", "vnni": f"{op}_avx512", "cuda": f"launch_{op}", "hip": f"launch_{op}",
                 "bang": f"{op}_mlu"}[dialect]
    mapping = {n: (new_entry if n == entry else f"{n}_impl") for n in dict.fromkeys(names)}
    code = _code(text)
    for new in mapping.values():
        if re.search(rf"\b{re.escape(new)}\b", code):
            raise Skip(f"the new name {new} is already used")
    pat = _ident_re(mapping)
    out, last = [], 0
    for m in pat.finditer(code):  # identifiers in code only (comments and strings stay)
        out.append(text[last:m.start()])
        out.append(mapping[m.group(1)])
        last = m.end()
    out.append(text[last:])
    return "".join(out), new_entry


# ---------------------------------------------------------------------------------------------------------
# headers
# ---------------------------------------------------------------------------------------------------------

def headers(text: str, dialect: str) -> str:
    code = _code(text)
    lines = []

    def inc(h):
        if not re.search(rf"#\s*include\s*<{re.escape(h)}>", text):
            lines.append(f"#include <{h}>")

    if dialect in ("c", "vnni"):
        for h in ("stdio.h", "stdlib.h", "string.h", "math.h", "stdint.h"):
            inc(h)
        if dialect == "vnni":
            inc("immintrin.h")
        if not re.search(r"\bhalf\b", code):
            lines.append("typedef unsigned short half;  /* storage type for fp16 buffers (unused here) */")
    elif dialect == "cuda":
        for h in ("cuda_runtime.h", "cuda_fp16.h", "stdio.h", "stdlib.h"):
            inc(h)
        if re.search(r"\bwmma::", code):
            inc("mma.h")
            if not re.search(r"using\s+namespace\s+nvcuda\s*;", code):
                lines.append("using namespace nvcuda;")
    elif dialect == "hip":
        for h in ("hip/hip_runtime.h", "hip/hip_fp16.h", "stdio.h", "stdlib.h"):
            inc(h)
    elif dialect == "bang":
        inc("bang.h")
        inc("stdint.h")
    if not lines:
        raise Skip("every header is already there")
    # after the leading comment block, before the first line of code
    head = re.match(r"(?:[ \t]*//[^\n]*\n|[ \t]*\n)*", text).end()
    return text[:head] + "\n".join(lines) + "\n" + text[head:]


# ---------------------------------------------------------------------------------------------------------
# sizes
# ---------------------------------------------------------------------------------------------------------

_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+(\w+)(\([^)]*\))?[ \t]*(.*)$", re.M)


def _matching_paren(code: str, open_pos: int) -> int:
    d = 0
    for i in range(open_pos, len(code)):
        if code[i] == "(":
            d += 1
        elif code[i] == ")":
            d -= 1
            if d == 0:
                return i
    raise Skip("unbalanced parentheses")


def sizes(text: str, dialect: str, symbols: list[str], entry: str) -> str:
    from xpiler.exec.scan import find_functions

    for s in symbols:
        if not re.search(rf"^[ \t]*#[ \t]*define[ \t]+{s}\b", text, re.M):
            raise Skip(f"no #define {s}")
    # macros that depend on the symbols (fixpoint)
    macros = {m.group(1): m.group(3) for m in _DEFINE.finditer(_code(text))}
    dep = set(symbols)
    changed = True
    while changed:
        changed = False
        for name, body in macros.items():
            if name not in dep and _ident_re(dep).search(body):
                dep.add(name)
                changed = True
    # drop the symbols' #defines
    text = re.sub(rf"^[ \t]*#[ \t]*define[ \t]+({'|'.join(symbols)})\b[^\n]*\n", "", text, flags=re.M)
    code = _code(text)
    funcs = find_functions(text)
    dep_re = _ident_re(dep)
    # top-level code (outside function bodies and #define lines) that depends on a size
    top = list(code)
    for f in funcs:
        for i in range(f.start, f.body_close + 1):
            top[i] = " "
    top = re.sub(r"^[ \t]*#[^\n]*$", "", "".join(top), flags=re.M)
    m = dep_re.search(top)
    if m:
        raise Skip(f"a declaration outside the functions depends on the size {m.group(1)}")
    for f in funcs:
        for am in re.finditer(r"\b[A-Za-z_]\w*\s+[A-Za-z_]\w*\s*((?:\[[^\]]+\]\s*)+)", code[f.body_open:f.body_close]):
            dm = dep_re.search(am.group(1))
            if dm:
                raise Skip(f"the size of a local array in {f.name} depends on the size {dm.group(1)}")
    needs = {f.name for f in funcs if dep_re.search(code[f.body_open:f.body_close]) or
             dep_re.search(code[f.start:f.body_open])}
    needs.add(entry)
    names = {f.name for f in funcs}
    changed = True
    while changed:
        changed = False
        for f in funcs:
            if f.name in needs:
                continue
            body = code[f.body_open:f.body_close]
            if any(re.search(rf"\b{re.escape(g)}\s*(<<<|\()", body) for g in needs if g in names):
                needs.add(f.name)
                changed = True
    params = ", ".join(f"int {s}" for s in symbols)
    edits = []  # (position, insert text)
    for f in funcs:
        if f.name not in needs:
            continue
        close = _matching_paren(code, code.index("(", f.name_pos))
        inner = code[code.index("(", f.name_pos) + 1:close].strip()
        edits.append((close, (", " if inner and inner != "void" else "") + params))
        if inner == "void":
            raise Skip(f"{f.name}(void)")
    # calls and launches of the functions that now take the sizes
    call = re.compile(r"\b(" + "|".join(re.escape(n) for n in needs) + r")\s*(<<<.*?>>>)?\s*\(", re.S)
    defs = {f.name_pos for f in funcs}
    for m in call.finditer(code):
        if m.start() in defs:
            continue
        if "<<<" not in m.group(0) and re.search(r"(__global__|__mlu_global__|void|int|float)\s*$",
                                                 code[max(0, m.start() - 40):m.start()]):
            continue  # a declaration
        open_pos = m.end() - 1
        close = _matching_paren(code, open_pos)
        inner = code[open_pos + 1:close].strip()
        edits.append((close, (", " if inner else "") + ", ".join(symbols)))
    for m in re.finditer(r"\bhipLaunchKernelGGL\s*\(\s*(\w+)\b", code):  # HIP's launch macro
        if m.group(1) in needs:
            edits.append((_matching_paren(code, code.index("(", m.start())), ", " + ", ".join(symbols)))
    for pos, ins in sorted(edits, reverse=True):
        text = text[:pos] + ins + text[pos:]
    return text


# ---------------------------------------------------------------------------------------------------------
# program (cuda, hip)
# ---------------------------------------------------------------------------------------------------------

_CTYPE = {"float32": "float", "float16": "half", "float64": "double", "int8": "signed char",
          "uint8": "unsigned char", "int16": "short", "int32": "int", "int64": "long long"}


def program(text: str, dialect: str, spec, entry: str) -> str:
    from xpiler.verify.spec import evaluate

    if re.search(r"\bmain\s*\(", _code(text)):
        raise Skip("already has main()")
    env = spec.case(0)
    lines = ["", "int main(void) {"]
    call = []
    outs = []
    for i, arg in enumerate(spec.args):
        dt = spec.arg_dtype(arg, dialect)
        ct = _CTYPE[dt]
        if arg.is_scalar:
            v = evaluate(arg.value, env)
            lines.append(f"  {ct} a{i} = ({ct})({v!r});")
            call.append(f"a{i}")
            continue
        size = 1
        for d in spec.shape(arg, 0):
            size *= d
        init = spec.arg_init(arg, dialect)
        lines.append(f"  {ct}* a{i} = ({ct}*)malloc({size} * sizeof({ct}));")
        m = re.match(r"(randint|uniform)\((.*),(.*)\)", init.replace(" ", ""))
        perm = re.match(r"permutation\((.*)\)", init.replace(" ", ""))
        if arg.is_output and init in ("zeros", ""):
            val = "0"
        elif m and m.group(1) == "randint":
            lo, hi = int(evaluate(m.group(2), env)), int(evaluate(m.group(3), env))
            val = f"{lo} + (int)((i * 37u + 11u) % {max(1, hi - lo)}u)"
        elif perm:
            val = f"(int)(i % {int(evaluate(perm.group(1), env))})"
        elif init == "positive":
            val = "0.5f + 0.25f * (float)(i % 7)"
        elif init in ("zeros",):
            val = "0"
        elif init == "ones":
            val = "1"
        elif init == "arange":
            val = "(float)i"
        else:
            val = "0.125f * (float)((int)((i * 37u + 11u) % 17u) - 8)"
        conv = f"__float2half((float)({val}))" if ct == "half" else f"({ct})({val})"
        lines.append(f"  for (size_t i = 0; i < {size}; ++i) a{i}[i] = {conv};")
        call.append(f"a{i}")
        if arg.is_output:
            outs.append((i, arg.name, size, ct))
    lines.append(f"  {entry}({', '.join(call)});")
    for i, name, size, ct in outs:
        get = f"__half2float(a{i}[i])" if ct == "half" else f"(double)a{i}[i]"
        lines.append(f"  double sum{i} = 0.0;")
        lines.append(f"  for (size_t i = 0; i < {size}; ++i) sum{i} += {get};")
        lines.append(f'  printf("{name}: checksum %.6f first %.6f\\n", sum{i}, (double)({get.replace("[i]", "[0]")}));')
    for i, arg in enumerate(spec.args):
        if not arg.is_scalar:
            lines.append(f"  free(a{i});")
    lines += ["  return 0;", "}", ""]
    pre = "" if re.search(r"#\s*include\s*<stdio.h>", text) else "#include <stdio.h>\n#include <stdlib.h>\n"
    if dialect == "cuda" and "half" in _CTYPE.values() and "__float2half" in "\n".join(lines) and \
            "cuda_fp16.h" not in text:
        pre += "#include <cuda_fp16.h>\n"
    if dialect == "hip" and "__float2half" in "\n".join(lines) and "hip_fp16.h" not in text:
        pre += "#include <hip/hip_fp16.h>\n"
    return pre + text.rstrip() + "\n" + "\n".join(lines)


# ---------------------------------------------------------------------------------------------------------
# bare (bang)
# ---------------------------------------------------------------------------------------------------------

def bare(text: str) -> tuple[str, str]:
    m = re.search(r"^[ \t]*//[ \t]*xpiler:launch[ \t]+([^\n]*)\n", text, re.M)
    if not m:
        raise Skip("no launch line")
    launch = m.group(1).strip()
    text = text[:m.start()] + text[m.end():]
    text = re.sub(r'extern\s+"C"\s+(__mlu_global__)', r"\1", text)
    code = _code(text)
    out, last = [], 0
    for mm in re.finditer(r"\b(taskId|taskDim)\b", code):
        out.append(text[last:mm.start()])
        out.append("(clusterId * coreDim + coreId)" if mm.group(1) == "taskId" else "(clusterDim * coreDim)")
        last = mm.end()
    out.append(text[last:])
    return "".join(out), launch + " type=union4" if "type=" not in launch else launch


# ---------------------------------------------------------------------------------------------------------
# driver
# ---------------------------------------------------------------------------------------------------------

def make_variant(spec, dialect: str, style: str) -> tuple[str, dict]:
    """(text, manifest fields) or raises Skip."""
    from xpiler.exec.scan import find_functions

    ds = spec.dialect(dialect)
    text = spec.source(dialect, 0)
    funcs = find_functions(text)
    entry = ds.entry or next((f.name for f in funcs if f.extern_c), None) or (funcs[0].name if funcs else None)
    if entry is None:
        raise Skip("no entry")
    fields = {"entry": entry, "launch": ds.launch, "extra": [], "tests": [{"case": 0}], "checked": True}
    if style == "renamed":
        text, fields["entry"] = renamed(text, dialect, spec.op, entry)
    elif style == "headers":
        text = headers(text, dialect)
    elif style == "sizes":
        text = sizes(text, dialect, list(spec.symbols), entry)
        fields["extra"] = list(spec.symbols)
        fields["tests"] = [{"case": k} for k in range(len(spec.cases))]
    elif style == "program":
        if dialect not in ("cuda", "hip"):
            raise Skip("programs with main() are CUDA/HIP files")
        text = program(text, dialect, spec, entry)
        fields.update(entry="main", checked=False, tests=[])
    elif style == "bare":
        if dialect != "bang":
            raise Skip("bare kernels are BANG files")
        text, fields["launch"] = bare(text)
    elif style == "combined":
        text = sizes(text, dialect, list(spec.symbols), entry)
        text = headers(text, dialect)
        text, fields["entry"] = renamed(text, dialect, spec.op, entry)
        fields["extra"] = list(spec.symbols)
        fields["tests"] = [{"case": k} for k in range(len(spec.cases))]
    else:
        raise ValueError(style)
    return text, fields


def _check(item):
    case, text = item
    from benchmarks.generated.tier import check_source

    try:
        return case["id"], check_source(case, text)
    except Exception as e:
        return case["id"], f"check failed: {type(e).__name__}: {e}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="bench-results/variants")
    ap.add_argument("--ops", nargs="+")
    ap.add_argument("--dialects", nargs="+", default=list(DIALECTS))
    ap.add_argument("--styles", nargs="+", default=list(STYLES))
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ns = ap.parse_args(argv)
    from xpiler.verify.spec import load_corpus

    out_dir = Path(ns.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    made, skipped = [], []
    for spec in load_corpus(CORPUS):
        if ns.ops and spec.op not in ns.ops:
            continue
        for d in ns.dialects:
            for style in ns.styles:
                if (style == "program" and d not in ("cuda", "hip")) or (style == "bare" and d != "bang"):
                    continue
                vid = f"{spec.op}_{d}_{style}"
                try:
                    text, fields = make_variant(spec, d, style)
                except Skip as e:
                    skipped.append({"id": vid, "reason": str(e)})
                    continue
                except Exception as e:
                    skipped.append({"id": vid, "reason": f"{type(e).__name__}: {e}"})
                    continue
                case = {"id": vid, "kind": "variant", "op": spec.op, "dialect": d, "style": style,
                        "file": f"{vid}.{EXT[d]}", **fields}
                made.append((case, text))
    kept = []
    if ns.no_check:
        kept = made
    else:
        byid = {c["id"]: (c, t) for c, t in made}
        todo = [(c, t) for c, t in made if c["checked"]]
        kept = [(c, t) for c, t in made if not c["checked"]]
        with ProcessPoolExecutor(max_workers=ns.jobs) as pool:
            for fut in as_completed([pool.submit(_check, item) for item in todo]):
                cid, why = fut.result()
                if why:
                    skipped.append({"id": cid, "reason": f"does not run as the reference: {why}"})
                    print(f"SKIP {cid}: {why.splitlines()[0][:200]}", file=sys.stderr, flush=True)
                else:
                    kept.append(byid[cid])
    for old in out_dir.iterdir():
        if old.is_file() and old.suffix.lstrip(".") in EXT.values():
            old.unlink()
    for case, text in kept:
        (out_dir / case["file"]).write_text(text)
    manifest = {"generator": "benchmarks/generated/variants.py",
                "cases": sorted((c for c, _ in kept), key=lambda c: c["id"]),
                "skipped": sorted(skipped, key=lambda s: s["id"])}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    by_style = {}
    for c, _ in kept:
        by_style[c["style"]] = by_style.get(c["style"], 0) + 1
    print(f"{len(kept)} variants kept {by_style}, {len(skipped)} skipped; written to {out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
