"""Source -> IR -> source for every corpus kernel: the printed text runs and gives the reference's outputs,
printing is idempotent (`emit(parse(emit(m))) == emit(m)`), the re-parsed IR is structurally the parsed
one, and printed CUDA / HIP / C files still compile with the real compilers where they are installed.

Also here, because it runs the C executor: printed expressions evaluate as the IR means them (a table of
random integer expressions over every operator, compiled by the C printer and compared with Python)."""

from __future__ import annotations

import importlib
import os
import random

import numpy as np
import pytest

from xpiler.ir import nodes as N
from xpiler.ir.equal import structural_diff, structural_eq
from xpiler.ir.types import Pointer, Scalar
from xpiler.lang import emit, parse
from xpiler.registry import available_dialects
from xpiler.verify.spec import iter_corpus, load_corpus, run_case

# Every case of every kernel with XPILER_SWEEP=1; else each kernel's first case (the printer's path does not
# depend on the case: cases differ in #define values and arguments; tests/corpus/test_corpus.py runs them all).
ITEMS = [it for it in iter_corpus(existing_only=True) if it.case == 0 or os.environ.get("XPILER_SWEEP") == "1"]
FILES = [(s, d) for s in load_corpus() for d in s.dialects if s.source_path(d).is_file()]


def _roundtrip(dialect: str, path: str):
    return lambda src: emit(parse(src, dialect, path), dialect)


@pytest.mark.corpus
@pytest.mark.parametrize("item", ITEMS, ids=[it.id for it in ITEMS])
def test_printed_source_runs_like_the_original(item):
    if item.dialect not in available_dialects():
        pytest.skip(f"dialect {item.dialect} not installed")
    rep = run_case(item.spec, item.dialect, item.case,
                   transform=_roundtrip(item.dialect, str(item.spec.source_path(item.dialect))))
    assert rep.ok, rep.summary if hasattr(rep, "summary") else rep


@pytest.mark.parametrize("spec, dialect", FILES, ids=[f"{s.op}/{d}" for s, d in FILES])
def test_printing_is_idempotent(spec, dialect):
    path = str(spec.source_path(dialect))
    src = spec.source(dialect, 0)
    m1 = parse(src, dialect, path)
    out1 = emit(m1, dialect)
    m2 = parse(out1, dialect, path)
    out2 = emit(m2, dialect)
    assert out2 == out1
    assert structural_eq(m1, m2), structural_diff(m1, m2)


TOOLCHAIN_FILES = [(s, d) for s, d in FILES if d in ("c", "vnni", "cuda", "hip")]


@pytest.mark.toolchain
@pytest.mark.parametrize("spec, dialect", TOOLCHAIN_FILES, ids=[f"{s.op}/{d}" for s, d in TOOLCHAIN_FILES])
def test_printed_source_compiles_with_real_compiler(spec, dialect):
    tc = importlib.import_module(f"xpiler.backends.{dialect}.toolchain")
    path = spec.source_path(dialect)
    printed = _roundtrip(dialect, str(path))(spec.source(dialect, 0))
    res = tc.check_compile(printed, str(path))
    if not res.available:
        pytest.skip(res.log)
    assert res.ok, res.log + "\n----\n" + printed


# ----------------------------------------------------------------------------------------------------------
# Printed expressions mean what the IR means: random integer expressions, C semantics in Python.

_OPS = ["+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "&&", "||", "<", "<=", ">", ">=", "==", "!="]


def _c_eval(e, env):
    if isinstance(e, N.Const):
        return int(e.value)
    if isinstance(e, N.Var):
        return env[e.sym]
    if isinstance(e, N.UnOp):
        v = _c_eval(e.a, env)
        return {"-": -v, "+": v, "!": int(not v), "~": ~v}[e.op]
    if isinstance(e, N.Select):
        return _c_eval(e.a, env) if _c_eval(e.cond, env) else _c_eval(e.b, env)
    x, y = _c_eval(e.a, env), _c_eval(e.b, env)
    if e.op == "/":
        q = abs(x) // abs(y)
        return q if (x < 0) == (y < 0) else -q
    if e.op == "%":
        q = abs(x) // abs(y)
        return x - y * (q if (x < 0) == (y < 0) else -q)
    if e.op in ("<<", ">>"):
        return x << y if e.op == "<<" else x >> y
    return {"+": x + y, "-": x - y, "*": x * y, "&": x & y, "|": x | y, "^": x ^ y,
            "&&": int(bool(x) and bool(y)), "||": int(bool(x) or bool(y)), "<": int(x < y), "<=": int(x <= y),
            ">": int(x > y), ">=": int(x >= y), "==": int(x == y), "!=": int(x != y)}[e.op]


def _random_expr(rng: random.Random, leaves, depth: int):
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(leaves) if rng.random() < 0.7 else N.Const(rng.randint(-9, 9), "int64")
    r = rng.random()
    if r < 0.15:
        return N.UnOp(rng.choice("-+!~"), _random_expr(rng, leaves, depth - 1))
    if r < 0.25:
        return N.Select(*(_random_expr(rng, leaves, depth - 1) for _ in range(3)))
    op = rng.choice(_OPS)
    a, b = _random_expr(rng, leaves, depth - 1), _random_expr(rng, leaves, depth - 1)
    if op in ("/", "%"):
        b = N.BinOp("|", b, N.Const(1, "int64"))  # never zero
    if op in ("<<", ">>"):
        a = N.BinOp("&", a, N.Const(255, "int64")) if op == "<<" else a
        b = N.Const(rng.randint(0, 3), "int64")
    return N.BinOp(op, a, b)


@pytest.mark.corpus
def test_printed_expressions_evaluate_like_the_ir():
    from xpiler.exec import run_kernel

    rng = random.Random(1)
    i64 = Scalar("int64", "int64_t")
    syms = [N.Sym(x) for x in "abc"]
    inp, out = N.Sym("in"), N.Sym("out")
    exprs = [_random_expr(rng, [N.Var(s) for s in syms], 3) for _ in range(300)]
    values = [7, -5, 3]
    body = [N.Decl(s, i64, N.Load(N.Var(inp), (N.Const(k),))) for k, s in enumerate(syms)]
    body += [N.Store(N.Load(N.Var(out), (N.Const(k),)), e) for k, e in enumerate(exprs)]
    f = N.Func("probe", (N.Param(inp, Pointer(i64, const=True)), N.Param(out, Pointer(i64))), Scalar("void"),
               tuple(body), extern_c=True)
    src = emit(N.Module("c", (N.Include("stdint.h"), f)), "c")
    res = run_kernel(src, "c", args=[np.array(values, np.int64), np.zeros(len(exprs), np.int64)], entry="probe")
    env = dict(zip(syms, values))
    want = [_c_eval(e, env) for e in exprs]
    got = [int(v) for v in res.outputs[1]]
    bad = [(k, src.splitlines()[k + 7].strip(), got[k], want[k]) for k in range(len(exprs)) if got[k] != want[k]]
    assert not bad, bad[:5]
