"""The Tester (xpiler.verify.tester): argument inference, seeded test generation, differential runs and
localization, on hand-written programs and on every corpus source file."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import os

import pytest

from xpiler.ir import nodes as N
from xpiler.pipeline.program import Program
from xpiler.verify.tester import ArgSpec, differential, infer_args, localize, make_tests

ADD = """
#define N 300
extern "C" void add_kernel(const float* A, const float* B, float* C) {
  for (int i = 0; i < N; ++i) C[i] = A[i] + B[i];
}
"""


def _prog(text: str, dialect: str = "c", **kw) -> Program:
    return Program.from_source(text, dialect, **kw)


def test_infer_args_roles_dtypes_and_ranges():
    src = """
#include <stdint.h>
#define N 64
#define K 16
extern "C" void f(const uint8_t* a, const int8_t* w, const float* var, float* y, int32_t* acc, float eps) {
  for (int i = 0; i < N; ++i) {
    int s = 0;
    for (int k = 0; k < K; ++k) s += a[i * K + k] * w[k];
    acc[i] += s;
    y[i] = 1.0f / sqrtf(var[i] + eps);
  }
}
"""
    specs = infer_args(_prog(src))
    got = [(s.name, s.dtype, s.shape, s.role, s.kind) for s in specs]
    assert got == [("a", "uint8", (1024,), "in", "int"), ("w", "int8", (16,), "in", "int"),
                   ("var", "float32", (64,), "in", "positive"), ("y", "float32", (64,), "out", "normal"),
                   ("acc", "int32", (64,), "inout", "int"), ("eps", "float32", (), "scalar", "scalar")]
    assert specs[5].value == pytest.approx(1e-5)
    assert (specs[0].low, specs[0].high) == (0, 16) and (specs[1].low, specs[1].high) == (-8, 8)


def test_index_buffers_get_safe_ranges_and_scatter_gets_a_permutation():
    src = """
#define D 4
#define NI 32
extern "C" void f(const float* X, const int* idx, float* Y) {
  for (int i = 0; i < NI; ++i)
    for (int d = 0; d < D; ++d) Y[idx[i] * D + d] = X[i * D + d];
}
"""
    specs = infer_args(_prog(src))
    _x, idx, y = specs
    assert idx.kind == "permutation" and idx.high == 32
    assert y.shape == (32 * 4,)
    for args in make_tests(specs, seed=3, n=2):
        assert sorted(args[1].tolist()) == list(range(32))


def test_make_tests_is_seeded_and_has_edge_values():
    specs = [ArgSpec("x", "float32", (4096,), "in"), ArgSpec("q", "int8", (512,), "in", -8, 8, "int"),
             ArgSpec("y", "float32", (64,), "out"), ArgSpec("n", "int32", (), "scalar", kind="scalar", value=5)]
    t1, t2 = make_tests(specs, seed=7), make_tests(specs, seed=7)
    assert all(np.array_equal(a, b) for a, b in zip(t1[0] + t1[1], t2[0] + t2[1]))
    assert not np.array_equal(make_tests(specs, seed=8)[0][0], t1[0][0])
    first, edge = t1
    assert not first[2].any() and edge[2].any()  # outputs: zeros, then a pattern that shows missing writes
    assert (edge[0] == 0).sum() > 100 and np.abs(edge[0]).max() > np.abs(first[0]).max()
    assert edge[1].min() == -8 and edge[1].max() == 7
    assert first[3] == np.int32(5) and first[0].dtype == np.float32


def test_differential_equal_programs_and_mutations():
    a = _prog(ADD)
    specs = infer_args(a)
    tests = make_tests(specs, seed=0)
    v = differential(a, a, tests)
    assert v.ok and v.first_divergence is None and v.max_abs_err == 0.0
    b = _prog(ADD.replace("C[i] = A[i] + B[i];", "{ C[i] = A[i] + B[i]; if (i == 17) C[i] = 0.5f; }"))
    v = differential(a, b, tests)
    assert not v.ok
    i, name, idx, _av, bv = v.first_divergence
    assert (i, name, idx, bv) == (2, "C", 17, 0.5)
    assert localize(a, b, tests) == (2, "C", 17)
    # a store index shifted by a constant: the first element then stays unwritten
    c = _prog(ADD.replace("for (int i = 0; i < N; ++i) C[i]", "for (int i = 1; i < N; ++i) C[i - 1]"))
    assert localize(a, c, tests)[:2] == (2, "C")


def test_tolerances_by_dtype():
    tpl = """
extern "C" void f(const {T}* x, {T}* y) {{ for (int i = 0; i < 64; ++i) y[i] = x[i] * {S}; }}
"""
    a = _prog(tpl.format(T="float", S="3.0f"))
    tests = make_tests(infer_args(a), seed=1)
    assert differential(a, _prog(tpl.format(T="float", S="3.00001f")), tests).ok  # within float32 tolerance
    assert not differential(a, _prog(tpl.format(T="float", S="3.01f")), tests).ok
    ai = _prog(tpl.format(T="int", S="3"))
    ti = make_tests(infer_args(ai), seed=1)
    assert differential(ai, ai, ti).ok and not differential(ai, _prog(tpl.format(T="int", S="(3 + (i == 5))")), ti).ok


def test_nan_matches_nan_at_the_same_place():
    a = _prog('extern "C" void f(const float* x, float* y) { for (int i = 0; i < 32; ++i) y[i] = sqrtf(x[i] - 1.0f); }')
    tests = [[np.linspace(-1, 3, 32).astype(np.float32), np.zeros(32, np.float32)]]
    assert differential(a, a, tests).ok


def test_candidate_fault_is_an_error_not_a_crash():
    a = _prog(ADD)
    tests = make_tests(infer_args(a), seed=0, n=1)
    bad = _prog(ADD.replace("C[i] = A[i] + B[i]", "C[i + 1] = A[i] + B[i]"))
    v = differential(a, bad, tests)
    assert not v.ok and v.first_divergence is None and "out-of-bounds" in v.error
    assert localize(a, bad, tests)[0] is None


# ------------------------------------------------------------------------------------------ the corpus

def _corpus_items(dialects=("c", "vnni", "cuda", "hip", "bang")):
    from xpiler.verify.spec import load_corpus

    return [(s, d) for s in load_corpus() for d in dialects]


def _mutant(prog: Program, arg: int, flat: int, dtype: str) -> Program:
    """`prog` with `P[flat] = <constant>` appended to the entry (P the entry's argument `arg`)."""
    fn = prog.entry_func
    sym = fn.params[arg].sym
    value = N.Const(7.0, "float32") if dtype.startswith("float") else N.Const(101, "int32")
    store = N.Store(N.Load(N.Var(sym), (N.Const(flat),)), value)
    new_fn = dataclasses.replace(fn, body=fn.body + (store,))
    items = tuple(new_fn if it is fn else it for it in prog.module.items)
    return prog.replace(module=dataclasses.replace(prog.module, items=items))


def _check_corpus_file(spec, dialect):
    from xpiler.verify.corpus_check import source_program

    prog = source_program(spec, dialect, 0)
    specs = infer_args(prog)
    for arg, s in zip(spec.args, specs):
        assert s.dtype == spec.arg_dtype(arg, dialect), (arg.name, s.dtype)
        if not arg.is_scalar and not s.note.startswith("indexed by"):  # else the Tester picks the index range
            assert s.shape[0] >= math.prod(spec.shape(arg, 0)), (arg.name, s.shape)
    tests = make_tests(specs, seed=0, n=2)
    v = differential(prog, prog, tests)
    assert v.ok, (v.error, v.checks[-3:])
    out = next(i for i, a in enumerate(spec.args) if a.is_output)
    flat = min(math.prod(spec.shape(spec.args[out], 0)), specs[out].shape[0]) // 2 + 1
    loc = localize(prog, _mutant(prog, out, flat, specs[out].dtype), tests)
    assert loc == (out, prog.entry_func.params[out].sym.name, flat), loc


SMOKE = [("gather", "c"), ("softmax", "bang"), ("transpose", "vnni"), ("scatter", "hip"), ("relu", "cuda")]


@pytest.mark.parametrize("op,dialect", SMOKE, ids=[f"{o}/{d}" for o, d in SMOKE])
def test_corpus_smoke(op, dialect):
    from xpiler.verify.spec import corpus_root, load_spec

    _check_corpus_file(load_spec(corpus_root() / op), dialect)


@pytest.mark.corpus
@pytest.mark.skipif(not os.environ.get("XPILER_SWEEP"), reason="corpus-wide sweep (7 min on 2 cores): XPILER_SWEEP=1")
@pytest.mark.parametrize("spec,dialect", _corpus_items(), ids=[f"{s.op}/{d}" for s, d in _corpus_items()])
def test_corpus_differential(spec, dialect):
    _check_corpus_file(spec, dialect)


ROWMAX = """
#include <math.h>
#define R 64
#define C 64
extern "C" void rowmax(const float* x, float* y) {
  for (int r = 0; r < R; ++r) {
    float m = -INFINITY;
    for (int c = 0; c < C; ++c) m = fmaxf(m, x[r * C + c]);
    y[r] = m;
  }
}
"""


def test_planted_faults_show_on_the_generated_distributions():
    """Faults that plain normal inputs hide: a max started at 0 (rows of only negative values show it), a
    relu6 that lost its upper knee (values above 6), a sum started at 1 (exact small integers)."""
    a = _prog(ROWMAX)
    tests = make_tests(infer_args(a), seed=0)
    assert differential(a, a, tests).ok
    assert not differential(a, _prog(ROWMAX.replace("-INFINITY", "0.0f")), tests).ok
    relu6 = 'extern "C" void f(const float* x, float* y) { for (int i = 0; i < 256; ++i) y[i] = fminf(fmaxf(x[i], 0.0f), 6.0f); }'
    b = _prog("#include <math.h>\n" + relu6)
    tb = make_tests(infer_args(b), seed=0)
    assert not differential(b, _prog("#include <math.h>\n" + relu6.replace("6.0f", "5.5f")), tb).ok
    dot = 'extern "C" void f(const float* x, float* y) { float s = 0.0f; for (int i = 0; i < 64; ++i) s += x[i]; y[0] = s; }'
    c = _prog(dot)
    tc = make_tests(infer_args(c), seed=0)
    assert not differential(c, _prog(dot.replace("s = 0.0f", "s = 1.0f")), tc).ok
