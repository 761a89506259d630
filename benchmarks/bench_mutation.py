"""Mutation benchmark: does the verifier ever call a wrong kernel "verified"?

    python3 -m benchmarks.bench_mutation [--dialects c vnni cuda hip bang] [--ops sum gemm ...] [--limit N]
                                         [--per-file K] [--seed S] [--cases 0 1] [--transcompile]
                                         [--json OUT] [--no-rename]

With `--tier benchmarks/generated/tvm` the files are the generated tier's instead (TVM kernels behind run-time-size
host code; each mutant is run with the manifest's arguments against its numpy reference, every test).

For each corpus source file (`benchmarks/corpus/<op>/`; `--limit N`: N files per dialect evenly spaced over the
alphabetical list of ops) this plants single-token faults found on the tree-sitter syntax tree of the file:

    const      an integer constant c -> c+1 / c-1 inside a subscript, a loop bound or a pointer offset
    relop      `<` <-> `<=`, `>` <-> `>=` in a loop condition
    arith      `+` <-> `-`, `*` -> `+` (also `+=` <-> `-=`, `*=` -> `+=`) in arithmetic
    init       a reduction initializer changed: 0 -> 1, 0.0f -> 1.0f, -INFINITY / -FLT_MAX -> 0,
               _mm512_setzero_ps() -> _mm512_set1_ps(1.0f)
    swap       two distinct variables of one subscript swapped (X[m * N + n] -> X[n * N + m])
    drop       one expression statement (an assignment or a call) replaced by `;`
    intrinsic  a call replaced by its sibling in the dialect's catalogue (or libm): add <-> sub,
               max <-> min, mul -> add, shfl_down -> shfl_up, ...

at most `--per-file K` mutants per file, taken round-robin over the operators in an order drawn from
`--seed` (deterministic). A mutant is kept only if it is *observably wrong*: it compiles, and at one of the
`--cases` (the spec's shapes; the mutant's `#define`s are rewritten like the file's) it faults or its outputs
differ from the numpy reference beyond the spec's tolerance, with the spec's own arguments. Mutants that
do not compile, or that match the reference on every checked case, are counted and dropped.

Each kept mutant is then given to the verifier of `xpiler verify ORIGINAL MUTANT` (`xpiler.cli.cmd_verify`,
called in-process on temporary files, both materialized at the case that exposed the mutant): a mutant it
reports equivalent is a FALSE VERIFIED, the benchmark's key figure, printed with file, operator and line.
With `--transcompile` the mutant is also given to the final check of `transcompile` (the pass manager's
`_tests` + `_final_check`, with the original as the source and the mutant as the "translation"; the public
API has no way to hand it an arbitrary target, so this calls those two private methods: same dialect on
both sides, same tests, fresh seeds and further scalar bindings as in a real translation).

Each source also gets a *renamed copy* (every parameter and local variable of every function renamed
consistently); the copy is run against the reference first (a copy that fails there is a bug of the
renamer, counted as "rename invalid"), then the verifier must accept it; a rejection is a FALSE REJECTION.

The table (per dialect): files, mutants generated, kept (observably wrong), false verified, verifier
errors, renamed copies accepted / total, median seconds of one verification. `--json OUT` keeps every row.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent / "corpus"
DIALECTS = ("c", "vnni", "cuda", "hip", "bang")
OPERATORS = ("const", "relop", "arith", "init", "swap", "drop", "intrinsic")
SUFFIX = {"c": ".c", "vnni": ".cpp", "cuda": ".cu", "hip": ".hip", "bang": ".mlu"}

# Word substitutions that turn an intrinsic's name into a sibling; a candidate is used only if the sibling
# exists in the dialect's catalogue or in LIBM_SIBLINGS / DEVICE_SIBLINGS.
_WORD_SWAPS = {"add": "sub", "sub": "add", "max": "min", "min": "max", "maximum": "minimum", "minimum": "maximum",
               "maxequal": "minequal", "minequal": "maxequal", "mul": "add", "down": "up", "up": "down",
               "argmax": "argmin", "argmin": "argmax", "gt": "ge", "ge": "gt", "lt": "le", "le": "lt",
               "div": "mul", "sin": "cos", "cos": "sin"}
# Plain C / CUDA math functions with a sibling of the same signature.
LIBM_SIBLINGS = {"max": "min", "min": "max", "fmaxf": "fminf", "fminf": "fmaxf", "fmax": "fmin", "fmin": "fmax",
                 "sinf": "cosf", "cosf": "sinf", "__sinf": "__cosf", "__cosf": "__sinf", "expf": "exp2f",
                 "__expf": "exp2f", "tanhf": "sinf"}
# Device math with a sibling that plain C and BANG lack (rsqrtf is CUDA / HIP only).
DEVICE_SIBLINGS = {"sqrtf": "rsqrtf", "rsqrtf": "sqrtf"}
_ZERO_LITERAL = re.compile(r"^0(\.0*)?[fF]?$|^0?\.0+[fF]?$|^0\.[fF]$|^0x0(\.0*)?p[+-]?0[fF]?$|^0\.0+e[+-]?0+[fF]?$")
# the largest float as a literal (TVM: -3.402823e+38f, -0x1.fffffep+127f): a max-reduction's initializer
_BIG_LITERAL = re.compile(r"^(3\.40282\d*e\+?38|0x1\.fffffep\+127)[fF]?$")
_INT_LITERAL = re.compile(r"^(\d+)([uUlL]*)$")
_BIG_NAMES = {"INFINITY", "FLT_MAX", "HUGE_VALF", "HUGE_VAL", "DBL_MAX"}
_SKIPPED_CALLS = {"free", "cudaFree", "hipFree", "cudaDeviceSynchronize", "hipDeviceSynchronize", "printf"}


# ------------------------------------------------------------------------------------------ parsing
@dataclass
class Parsed:
    """A source parsed with tree-sitter-cuda after the dialect's keyword rewrite (as the frontend does);
    `orig(offset)` maps an offset of the rewritten bytes back to the original text."""
    data: bytes  # original text
    src: bytes  # rewritten text that was parsed
    root: object
    omap: object

    def orig(self, offset: int) -> int:
        return self.omap.orig_offset(offset)


def parse_source(text: str, dialect: str) -> Parsed:
    """Parse `text` the way xpiler's frontend does (keyword rewrite, then the tree-sitter-cuda grammar)."""
    import tree_sitter

    from xpiler.frontend.lift import grammar
    from xpiler.frontend.source import rewrite_keywords
    from xpiler.registry import get_backend

    data = text.encode()
    src, omap = rewrite_keywords(data, get_backend(dialect).language().attribute_keywords)
    tree = tree_sitter.Parser(grammar()).parse(src)
    return Parsed(data, src, tree.root_node, omap)


def walk(node):
    """Every node below `node` (pre-order, `node` included)."""
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _ancestors(node):
    n = node.parent
    while n is not None:
        yield n
        n = n.parent


_RUNTIME_API = re.compile(r"^(cuda|hip)(Malloc|Free|Memcpy|Memset)|^(malloc|free|memcpy|memset)$")


def _in_function(node) -> bool:
    """Inside a function body, not inside a preprocessor line (a #define is a shape symbol or a macro) and not
    in the arguments of a runtime API call (cudaMalloc, hipMemcpy, ...: a fault there is a crash of the host
    wrapper, not a fault of the kernel)."""
    inside = False
    for a in _ancestors(node):
        if a.type == "call_expression":
            f = a.child_by_field_name("function")
            if f is not None and _RUNTIME_API.match(f.text.decode()):
                return False
        if a.type.startswith("preproc_") and a.type not in ("preproc_if", "preproc_ifdef", "preproc_else",
                                                            "preproc_elif"):
            return False
        if a.type == "function_definition":
            inside = True
    return inside


def _for_clause(node) -> str | None:
    """'condition', 'initializer' or 'update' if `node` lies in that clause of its nearest for statement."""
    child = node
    for a in _ancestors(node):
        if a.type == "for_statement":
            for name in ("condition", "initializer", "update"):
                if any(c.id == child.id for c in a.children_by_field_name(name)):
                    return name
            return None
        if a.type in ("compound_statement", "expression_statement"):
            return None
        child = a
    return None


def _in_subscript(node) -> bool:
    """Inside the index of a subscript expression (before reaching a statement)."""
    for a in _ancestors(node):
        if a.type == "subscript_argument_list":
            return True
        if a.type.endswith("statement") or a.type in ("declaration", "function_definition"):
            return False
    return False


def _in_pointer_offset(node) -> bool:
    """An operand of + / - inside the argument list of a call (`_mm512_loadu_ps(x + j + 16)`)."""
    p = node.parent
    if p is None or p.type != "binary_expression" or _op(p) not in ("+", "-"):
        return False
    for a in _ancestors(node):
        if a.type == "argument_list":
            return True
        if a.type.endswith("statement") or a.type == "declaration":
            return False
    return False


def _op(node) -> str:
    o = node.child_by_field_name("operator")
    return o.type if o is not None else ""


def _text(p: Parsed, node) -> str:
    return p.src[node.start_byte:node.end_byte].decode()


# ------------------------------------------------------------------------------------------ mutants
@dataclass
class Edit:
    """One planned fault: replace the original bytes [start, end) (possibly several spans) by new text."""
    operator: str
    spans: list  # [(start, end, replacement)] in original offsets, non-overlapping
    before: str
    after: str

    def apply(self, data: bytes) -> bytes:
        out = data
        for s, e, r in sorted(self.spans, reverse=True):
            out = out[:s] + r.encode() + out[e:]
        return out


@dataclass
class Mutant:
    operator: str
    line: int
    before: str
    after: str
    text: str
    source_line: str = ""


def _span(p: Parsed, node, replacement: str):
    """The node's span in the original text, or None if the rewrite moved it (then it is not used)."""
    s, e = p.orig(node.start_byte), p.orig(node.end_byte)
    if p.data[s:e] != p.src[node.start_byte:node.end_byte]:
        return None
    return (s, e, replacement)


def _edit(p: Parsed, operator: str, node, replacement: str) -> Edit | None:
    sp = _span(p, node, replacement)
    return Edit(operator, [sp], _text(p, node), replacement) if sp else None


def _const_edits(p: Parsed, rng: random.Random) -> list[Edit]:
    out = []
    for n in walk(p.root):
        if n.type != "number_literal" or not _in_function(n):
            continue
        m = _INT_LITERAL.match(_text(p, n))
        if not m:
            continue
        clause = _for_clause(n)
        if not (_in_subscript(n) or clause in ("condition", "initializer") or _in_pointer_offset(n)):
            continue
        c = int(m.group(1))
        new = c + 1 if c == 0 or rng.random() < 0.5 else c - 1
        e = _edit(p, "const", n, f"{new}{m.group(2)}")
        if e:
            out.append(e)
    return out


def _relop_edits(p: Parsed, rng: random.Random) -> list[Edit]:
    swap = {"<": "<=", "<=": "<", ">": ">=", ">=": ">"}
    out = []
    for n in walk(p.root):
        if n.type == "binary_expression" and _op(n) in swap and _in_function(n) and _for_clause(n) == "condition":
            e = _edit(p, "relop", n.child_by_field_name("operator"), swap[_op(n)])
            if e:
                out.append(e)
    return out


def _arith_edits(p: Parsed, rng: random.Random) -> list[Edit]:
    binary = {"+": "-", "-": "+", "*": "+"}
    compound = {"+=": "-=", "-=": "+=", "*=": "+="}
    out = []
    for n in walk(p.root):
        if not _in_function(n) or _for_clause(n) == "update":
            continue  # a changed loop step can make a loop endless
        if n.type == "binary_expression" and _op(n) in binary:
            table = binary
        elif n.type == "assignment_expression" and _op(n) in compound:
            table = compound
        else:
            continue
        o = n.child_by_field_name("operator")
        if n.type == "binary_expression" and _op(n) == "*" and n.child_by_field_name("left") is None:
            continue
        e = _edit(p, "arith", o, table[o.type])
        if e:
            out.append(e)
    return out


def _init_value(p: Parsed, node) -> str | None:
    """The replacement of a reduction initializer value, or None if `node` is not one."""
    t = _text(p, node).replace(" ", "")
    if node.type == "number_literal" and t.lower().startswith("0x") and _ZERO_LITERAL.match(t.lower()):
        return "0x1p+0f" if t.lower().endswith("f") else "0x1p+0"
    if node.type == "number_literal" and _ZERO_LITERAL.match(t):
        return "1" + t[1:] if t.startswith("0") else "1" + t
    if node.type == "unary_expression" and _op(node) == "-" and t.lstrip("-") in _BIG_NAMES:
        return "0"
    if node.type in ("unary_expression", "number_literal") and t.startswith("-") and _BIG_LITERAL.match(t[1:]):
        return "0.0f"  # (the grammar lexes a signed hex float as one literal)
    if node.type == "identifier" and t in _BIG_NAMES:
        return "0"
    if node.type == "call_expression" and t in ("_mm512_setzero_ps()", "_mm512_setzero_si512()"):
        return "_mm512_set1_ps(1.0f)" if t.endswith("ps()") else "_mm512_set1_epi32(1)"
    return None


def _init_edits(p: Parsed, rng: random.Random) -> list[Edit]:
    out = []
    for n in walk(p.root):
        if not _in_function(n) or _for_clause(n) is not None:
            continue  # `for (int i = 0; ...)` is a loop bound (const), not an accumulator
        value = None
        if n.type == "init_declarator":
            if n.child_by_field_name("declarator").type == "pointer_declarator":
                continue  # `float* d_A = 0;`: a null pointer, not an accumulator
            value = n.child_by_field_name("value")
        elif n.type == "assignment_expression" and _op(n) == "=":
            value = n.child_by_field_name("right")
        if value is None:
            continue
        new = _init_value(p, value)
        if new is not None:
            e = _edit(p, "init", value, new)
            if e:
                out.append(e)
    return out


def _swap_edits(p: Parsed, rng: random.Random) -> list[Edit]:
    out = []
    for n in walk(p.root):
        if n.type != "subscript_argument_list" or not _in_function(n):
            continue
        ids = [x for x in walk(n) if x.type == "identifier"]
        names = []
        for x in ids:  # variables only: macros and shape symbols are upper case by convention
            t = _text(p, x)
            if t not in names and not t.isupper() and x.parent.type != "call_expression":
                names.append(t)
        if len(names) < 2:
            continue
        top = n.named_children[0] if len(n.named_children) == 1 else None
        if top is not None and top.type == "binary_expression" and _op(top) in ("+", "*") and \
                len(ids) == 2 and len(top.named_children) == 2:
            continue  # [a + b] -> [b + a] is the same index
        a, b = rng.sample(names, 2)
        spans = []
        for x in ids:
            t = _text(p, x)
            if t in (a, b):
                sp = _span(p, x, b if t == a else a)
                if sp is None:
                    break
                spans.append(sp)
        else:
            after = _text(p, n)
            after = re.sub(rf"\b({re.escape(a)}|{re.escape(b)})\b", lambda m: b if m.group(1) == a else a, after)
            out.append(Edit("swap", spans, _text(p, n), after))
    return out


def _drop_edits(p: Parsed, rng: random.Random) -> list[Edit]:
    out = []
    for n in walk(p.root):
        if n.type != "expression_statement" or not _in_function(n) or not n.named_children:
            continue
        body = n.named_children[0]
        if body.type == "call_expression":
            f = body.child_by_field_name("function")
            if f is None or _text(p, f) in _SKIPPED_CALLS or "sync" in _text(p, f).lower():
                continue
        elif body.type not in ("assignment_expression", "update_expression"):
            continue
        e = _edit(p, "drop", n, ";")
        if e:
            out.append(e)
    return out


def sibling(name: str, dialect: str) -> str | None:
    """The intrinsic variant of `name` (add -> sub, max -> min, ...) if the dialect knows it, else None."""
    from xpiler.registry import get_backend

    if name in LIBM_SIBLINGS:
        return LIBM_SIBLINGS[name]
    if dialect in ("cuda", "hip") and name in DEVICE_SIBLINGS:
        return DEVICE_SIBLINGS[name]
    catalogue = get_backend(dialect).catalogue()
    if name not in catalogue:
        return None
    words = name.split("_")
    for i, w in enumerate(words):
        if w in _WORD_SWAPS:
            cand = "_".join(words[:i] + [_WORD_SWAPS[w]] + words[i + 1:])
            if cand in catalogue and cand != name:
                return cand
    return None


def _intrinsic_edits(p: Parsed, rng: random.Random, dialect: str) -> list[Edit]:
    out = []
    for n in walk(p.root):
        if n.type != "call_expression" or not _in_function(n):
            continue
        f = n.child_by_field_name("function")
        if f is None or f.type != "identifier":
            continue
        new = sibling(_text(p, f), dialect)
        if new:
            e = _edit(p, "intrinsic", f, new)
            if e:
                out.append(e)
    return out


def candidate_edits(text: str, dialect: str, seed: int = 0) -> dict[str, list[Edit]]:
    """Every planned fault of `text`, by operator (deterministic in `seed`)."""
    p = parse_source(text, dialect)
    out = {}
    for op in OPERATORS:
        rng = random.Random(f"{seed}/{op}/{len(text)}")
        if op == "intrinsic":
            out[op] = _intrinsic_edits(p, rng, dialect)
        else:
            out[op] = globals()[f"_{op}_edits"](p, rng)
    return out


def make_mutants(text: str, dialect: str, *, seed: int = 0, per_file: int = 8,
                 operators=OPERATORS) -> list[Mutant]:
    """At most `per_file` distinct mutants of `text`, round-robin over the operators (in an order drawn from
    `seed`), each operator's candidates shuffled by `seed`."""
    cands = candidate_edits(text, dialect, seed)
    rng = random.Random(f"mutants/{seed}/{dialect}/{text}")
    order = [op for op in operators if cands.get(op)]
    rng.shuffle(order)
    pools = {op: rng.sample(cands[op], len(cands[op])) for op in order}
    data = text.encode()
    lines = text.splitlines()
    seen = {text}
    out: list[Mutant] = []
    while len(out) < per_file and any(pools.values()):
        for op in order:
            if len(out) >= per_file:
                break
            while pools[op]:
                e = pools[op].pop()
                new = e.apply(data).decode()
                if new in seen:
                    continue
                seen.add(new)
                line = data[:min(s for s, _, _ in e.spans)].count(b"\n") + 1
                out.append(Mutant(op, line, e.before, e.after, new, lines[line - 1].strip()))
                break
    return out


# ------------------------------------------------------------------------------------------ renaming
def _declared_name(node, p: Parsed):
    """The identifier node a declarator declares (through pointers, arrays, references, initializers)."""
    while node is not None and node.type != "identifier":
        if node.type in ("function_declarator",):
            return None
        nxt = node.child_by_field_name("declarator")
        if nxt is None:  # reference_declarator has no field name
            nxt = next((c for c in node.named_children if c.type.endswith("declarator") or c.type == "identifier"),
                       None)
        node = nxt
    return node


def rename_locals(text: str, dialect: str, prefix: str = "rn") -> tuple[str, dict[str, str]]:
    """Rename every parameter and local variable of every function, consistently within the function
    (`prefix`<k>_ names that do not occur in the text). Returns the new text and old -> new (the last
    function's mapping wins in the returned dict; it is informational)."""
    p = parse_source(text, dialect)
    spans = []
    mapping: dict[str, str] = {}
    k = 0
    for fn in walk(p.root):
        if fn.type != "function_definition":
            continue
        declared = []
        for n in walk(fn):
            if n.type in ("parameter_declaration", "declaration"):
                for d in n.children_by_field_name("declarator"):
                    ident = _declared_name(d, p)
                    if ident is not None and _text(p, ident) not in declared:
                        declared.append(_text(p, ident))
        local = {}
        for name in declared:
            while f"{prefix}{k}_" in text:
                k += 1
            local[name] = f"{prefix}{k}_"
            k += 1
        fname = fn.child_by_field_name("declarator")
        fname_node = None
        while fname is not None and fname.type != "function_declarator":
            fname = fname.child_by_field_name("declarator")
        if fname is not None:
            fname_node = fname.child_by_field_name("declarator")
        for n in walk(fn):
            if n.type == "identifier" and (fname_node is None or n.id != fname_node.id) and _text(p, n) in local:
                sp = _span(p, n, local[_text(p, n)])
                if sp:
                    spans.append(sp)
        mapping.update(local)
    out = p.data
    for s, e, r in sorted(set(spans), reverse=True):
        out = out[:s] + r.encode() + out[e:]
    return out.decode(), mapping


# ------------------------------------------------------------------------------------------ checking
def observe(spec, dialect: str, text: str, cases, *, seed: int = 0) -> tuple[str, int | None, str]:
    """Run `text` (a variant of the dialect's file, first case's #defines) on the executor at each case in
    turn, with the spec's arguments. ('wrong'|'fault', case, detail) at the first case that differs from
    the reference or faults; ('match', None, '') if every case matches; ('invalid', None, why) if it does
    not compile."""
    from xpiler.errors import CompileError, RuntimeFault
    from xpiler.verify.corpus_check import check_text
    from xpiler.verify.spec import substitute_defines

    for case in cases:
        src = substitute_defines(text, spec.case(case))
        try:
            rep = check_text(spec, dialect, case, src, dialect, seed=seed, timeout=60.0)
        except CompileError as e:
            return "invalid", None, str(e).splitlines()[0][:200] if str(e) else "compile error"
        except RuntimeFault as e:
            return "fault", case, f"{getattr(e, 'kind', '')}: {str(e)[:200]}"
        except Exception as e:  # BadInput etc.: the executor cannot run it at all
            return "invalid", None, f"{type(e).__name__}: {str(e)[:200]}"
        if not rep.ok:
            return "wrong", case, str(rep).splitlines()[1].strip()[:200] if len(str(rep).splitlines()) > 1 else ""
    return "match", None, ""


def verify_pair(a_text: str, b_text: str, dialect: str, *, seed: int = 0) -> dict:
    """What `xpiler verify A B --json` says about the two texts: the CLI's own `cmd_verify`, in-process,
    on temporary files. {'equivalent': bool | None, 'error': str | None, 'seconds': float}."""
    from xpiler.cli import build_parser

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="xpiler_mut_") as tmp:
        pa, pb = Path(tmp) / f"a{SUFFIX[dialect]}", Path(tmp) / f"b{SUFFIX[dialect]}"
        pa.write_text(a_text)
        pb.write_text(b_text)
        ns = build_parser().parse_args(["verify", str(pa), str(pb), "--dialect-a", dialect, "--dialect-b", dialect,
                                        "--seed", str(seed), "--json"])
        out, err = io.StringIO(), io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = ns.func(ns)
        except Exception as e:
            return {"equivalent": None, "error": f"{type(e).__name__}: {str(e)[:300]}",
                    "seconds": time.perf_counter() - t0}
    try:
        res = json.loads(out.getvalue())
    except ValueError:
        return {"equivalent": None, "error": f"rc {rc}, unreadable output: {err.getvalue()[-300:]}",
                "seconds": time.perf_counter() - t0}
    eq = bool(res.get("equivalent")) and rc == 0
    return {"equivalent": eq, "error": res.get("error"), "seconds": time.perf_counter() - t0,
            "scalars": res.get("scalars")}


def final_check_pair(a_text: str, b_text: str, dialect: str, *, seed: int = 0) -> dict:
    """`transcompile`'s final check with `a_text` as the source and `b_text` as the translation (see the
    module docstring: the pass manager's private `_tests` and `_final_check`)."""
    from xpiler.pipeline.manager import PassManager
    from xpiler.pipeline.program import Program
    from xpiler.pipeline.report import Report

    t0 = time.perf_counter()
    try:
        a = Program.from_source(a_text, dialect)
        b = Program.from_source(b_text, dialect)
        mgr = PassManager()
        report = Report(source=dialect, target=dialect, entry=a.entry)
        specs, tests, err, more = mgr._tests(a, seed, report)
        mgr._final_check(a, b, seed, specs, tests, err, report, more)
        return {"equivalent": bool(report.verified), "error": None if report.verified else report.reason[:300],
                "seconds": time.perf_counter() - t0}
    except Exception as e:
        return {"equivalent": None, "error": f"{type(e).__name__}: {str(e)[:300]}", "seconds": time.perf_counter() - t0}


# ------------------------------------------------------------------------------------------ driver
@dataclass
class Row:
    op: str
    dialect: str
    kind: str  # "mutant" | "rename"
    operator: str = ""
    line: int = 0
    before: str = ""
    after: str = ""
    source_line: str = ""
    observed: str = ""  # wrong | fault | match | invalid
    case: int | None = None
    detail: str = ""
    verify: dict = field(default_factory=dict)
    final_check: dict = field(default_factory=dict)

    @property
    def false_verified(self) -> bool:
        return self.kind == "mutant" and self.observed in ("wrong", "fault") and self.verify.get("equivalent") is True

    @property
    def false_final(self) -> bool:
        return self.kind == "mutant" and self.observed in ("wrong", "fault") and \
            self.final_check.get("equivalent") is True


def bench_source(label: str, dialect: str, text: str, ns, observe_at, materialize) -> list[Row]:
    """All rows of one source text: its mutants and its renamed copy. `observe_at(text, first_only)` runs a
    variant against the reference (see `observe`); `materialize(text, case)` is the variant as verified (the
    case's #defines substituted)."""
    rows = []
    for m in make_mutants(text, dialect, seed=ns.seed, per_file=ns.per_file):
        row = Row(label, dialect, "mutant", m.operator, m.line, m.before, m.after, m.source_line)
        row.observed, row.case, row.detail = observe_at(m.text, False)
        if row.observed in ("wrong", "fault"):
            a, b = materialize(text, row.case), materialize(m.text, row.case)
            row.verify = verify_pair(a, b, dialect, seed=ns.seed)
            if ns.transcompile:
                row.final_check = final_check_pair(a, b, dialect, seed=ns.seed)
            if row.false_verified or row.false_final:
                print(f"FALSE VERIFIED {label}/{dialect} line {m.line} [{m.operator}] {m.before!r} -> {m.after!r}: "
                      f"{m.source_line} ({row.observed} at case {row.case}: {row.detail})", file=sys.stderr, flush=True)
        rows.append(row)
    if ns.rename:
        renamed, _ = rename_locals(text, dialect)
        row = Row(label, dialect, "rename")
        row.observed, row.case, row.detail = observe_at(renamed, True)
        if row.observed == "match":
            row.verify = verify_pair(text, renamed, dialect, seed=ns.seed)
            if not row.verify.get("equivalent"):
                print(f"FALSE REJECTION {label}/{dialect} renamed copy: {row.verify.get('error')}", file=sys.stderr,
                      flush=True)
        else:
            print(f"rename invalid {label}/{dialect}: {row.observed} {row.detail}", file=sys.stderr, flush=True)
        rows.append(row)
    return rows


def bench_file(spec, dialect: str, ns) -> list[Row]:
    """All rows of one corpus source file."""
    from xpiler.verify.spec import substitute_defines

    text = spec.source_path(dialect).read_text()
    cases = [c for c in ns.cases if c < len(spec.cases)]
    return bench_source(spec.op, dialect, text, ns,
                        lambda t, first: observe(spec, dialect, t, cases[:1] if first else cases),
                        lambda t, case: substitute_defines(t, spec.case(case)))


def _observe_tier(case: dict, text: str) -> tuple[str, int | None, str]:
    """`observe` for a generated-tier case: its manifest's arguments and numpy reference, every test."""
    from benchmarks.generated.tier import check_source

    why = check_source(case, text)
    if why is None:
        return "match", None, ""
    if why.startswith(("CompileError", "BadInput")):
        return "invalid", None, why[:200]
    if why.startswith(("RuntimeFault", "TimeoutError")):
        return "fault", 0, why[:200]
    return "wrong", 0, why[:200]


def bench_tier_case(case: dict, ns) -> list[Row]:
    """All rows of one generated-tier file (benchmarks/generated: a TVM kernel behind its run-time-size host
    code): its mutants, checked against the manifest's numpy reference, and its renamed copy."""
    return bench_source(case["id"], case["dialect"], Path(case["path"]).read_text(), ns,
                        lambda t, first: _observe_tier(case, t), lambda t, _case: t)


def summarize(rows: list[Row], dialects, files: dict) -> list[dict]:
    """One summary dict per dialect (and a total)."""
    out = []
    for d in list(dialects) + ["all"]:
        rs = [r for r in rows if d == "all" or r.dialect == d]
        mut = [r for r in rs if r.kind == "mutant"]
        kept = [r for r in mut if r.observed in ("wrong", "fault")]
        ren = [r for r in rs if r.kind == "rename"]
        secs = [r.verify["seconds"] for r in rs if r.verify.get("seconds") is not None]
        out.append({
            "dialect": d, "files": sum(files.values()) if d == "all" else files.get(d, 0),
            "mutants": len(mut), "kept": len(kept),
            "equivalent_dropped": sum(r.observed == "match" for r in mut),
            "invalid_dropped": sum(r.observed == "invalid" for r in mut),
            "false_verified": sum(r.false_verified for r in kept),
            "false_final": sum(r.false_final for r in kept),
            "verifier_errors": sum(r.verify.get("equivalent") is None for r in kept),
            "renamed_accepted": sum(r.verify.get("equivalent") is True for r in ren),
            "renamed_total": len(ren),
            "renamed_invalid": sum(r.observed != "match" for r in ren),
            "median_s": statistics.median(secs) if secs else None,
        })
    return out


def by_operator(rows: list[Row]) -> dict:
    """Per mutation operator: generated, wrong outputs, faults, equivalent (dropped), not compiling
    (dropped), false verified."""
    out = {}
    for op in OPERATORS:
        rs = [r for r in rows if r.kind == "mutant" and r.operator == op]
        out[op] = {"generated": len(rs), "wrong": sum(r.observed == "wrong" for r in rs),
                   "fault": sum(r.observed == "fault" for r in rs), "match": sum(r.observed == "match" for r in rs),
                   "invalid": sum(r.observed == "invalid" for r in rs),
                   "false_verified": sum(r.false_verified or r.false_final for r in rs)}
    return out


def print_table(summary: list[dict], with_final: bool) -> None:
    """The summary as a rich table if rich is installed, else as plain text."""
    head = ["dialect", "files", "mutants", "kept (wrong)", "false verified"] + \
        (["false final check"] if with_final else []) + ["verifier errors", "renamed accepted", "median s"]

    def cells(s):
        return [s["dialect"], str(s["files"]), str(s["mutants"]), str(s["kept"]), str(s["false_verified"])] + \
            ([str(s["false_final"])] if with_final else []) + \
            [str(s["verifier_errors"]), f"{s['renamed_accepted']} / {s['renamed_total']}",
             f"{s['median_s']:.2f}" if s["median_s"] is not None else "-"]
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:
        print(" | ".join(head))
        for s in summary:
            print(" | ".join(cells(s)))
        return
    t = Table(title="Mutation benchmark")
    for h in head:
        t.add_column(h, justify="left" if h == "dialect" else "right")
    for s in summary:
        t.add_row(*cells(s))
    Console(width=max(120, Console().width)).print(t)


def sample(items: list, limit: int | None) -> list:
    """`limit` items evenly spaced over `items` (all of them without a limit): a spread over the corpus's
    families rather than its alphabetical head."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[(i * len(items)) // limit] for i in range(limit)]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dialects", nargs="+", default=list(DIALECTS), choices=DIALECTS)
    ap.add_argument("--ops", nargs="+", help="corpus operators (default: all, alphabetical)")
    ap.add_argument("--limit", type=int, help="N files per dialect, evenly spaced over the ops")
    ap.add_argument("--per-file", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cases", nargs="+", type=int, default=[0, 1],
                    help="spec cases a mutant is run at to see whether it is wrong (default 0 1)")
    ap.add_argument("--transcompile", action="store_true", help="also ask transcompile's final check")
    ap.add_argument("--no-rename", dest="rename", action="store_false")
    ap.add_argument("--json", metavar="OUT")
    ap.add_argument("--tier", metavar="FOLDER", help="mutate a generated tier's files (a manifest folder such as "
                    "benchmarks/generated/tvm) instead of the corpus")
    ns = ap.parse_args(argv)
    from xpiler.verify.spec import load_corpus

    specs = [] if ns.tier else [s for s in load_corpus(ROOT) if not ns.ops or s.op in ns.ops]
    rows: list[Row] = []
    files: dict[str, int] = {}
    t0 = time.time()
    if ns.tier:
        from benchmarks.generated.tier import load_manifest

        cases = [c for c in load_manifest(Path(ns.tier)) if not ns.ops or c.get("op") in ns.ops]
        for d in ns.dialects:
            chosen = sample([c for c in cases if c["dialect"] == d], ns.limit)
            files[d] = len(chosen)
            for case in chosen:
                t1 = time.time()
                rs = bench_tier_case(case, ns)
                rows.extend(rs)
                kept = sum(r.observed in ("wrong", "fault") for r in rs if r.kind == "mutant")
                print(f"... {case['id']}: {sum(r.kind == 'mutant' for r in rs)} mutants, {kept} kept "
                      f"({time.time() - t1:.0f} s, total {time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    for d in ([] if ns.tier else ns.dialects):
        chosen = sample([s for s in specs if d in s.dialects], ns.limit)
        files[d] = len(chosen)
        for spec in chosen:
            t1 = time.time()
            rs = bench_file(spec, d, ns)
            rows.extend(rs)
            kept = sum(r.observed in ("wrong", "fault") for r in rs if r.kind == "mutant")
            print(f"... {spec.op}/{d}: {sum(r.kind == 'mutant' for r in rs)} mutants, {kept} kept "
                  f"({time.time() - t1:.0f} s, total {time.time() - t0:.0f} s)", file=sys.stderr, flush=True)
    summary = summarize(rows, ns.dialects, files)
    print_table(summary, ns.transcompile)
    ops = by_operator(rows)
    print("per operator (generated: wrong output / fault / equivalent, dropped / not compiling, dropped; "
          "false verified):")
    for op, c in ops.items():
        print(f"  {op:10s} {c['generated']:4d}: {c['wrong']} / {c['fault']} / {c['match']} / {c['invalid']}; "
              f"{c['false_verified']}")
    bad = [r for r in rows if r.false_verified or r.false_final]
    for r in bad:
        print(f"FALSE VERIFIED {r.op}/{r.dialect} line {r.line} [{r.operator}] {r.before!r} -> {r.after!r}: "
              f"{r.source_line}  ({r.observed} at case {r.case}: {r.detail}; verify: {r.verify.get('equivalent')}, "
              f"final check: {r.final_check.get('equivalent')})")
    print(f"{len(rows)} rows in {time.time() - t0:.0f} s")
    if ns.json:
        result = {"summary": summary, "operators": ops, "rows": [asdict(r) for r in rows]}
        Path(ns.json).write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
