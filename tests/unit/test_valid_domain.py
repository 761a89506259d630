"""The Tester tests inside the source's valid domain (DESIGN.md, "Shapes are symbols"): integer scalar
parameters get values for which the source runs without a fault and writes some output, found from the
constants of its guards, loop bounds and #defines, or given by the user; big shapes are not allocated;
when no valid, non-degenerate binding exists the result is not verified, with the reason."""

from __future__ import annotations

import numpy as np
import pytest

from xpiler.errors import BadInput
from xpiler.pipeline.program import Program
from xpiler.verify import tester
from xpiler.verify.tester import make_tests, parse_args_text, resolve_args, scalar_candidates, valid_domain

# the device kernel hard-codes its extent while the host copies `size` elements: size=64 faults
HARD = """
__global__ void k(const float* a, float* b) { int i = blockIdx.x*blockDim.x+threadIdx.x; if (i < 8192) b[i] = 2.f*a[i]; }
extern "C" void run(const float* a, float* b, int size) { float *da,*db; cudaMalloc(&da, size*sizeof(float));
  cudaMalloc(&db, size*sizeof(float)); cudaMemcpy(da,a,size*sizeof(float),cudaMemcpyHostToDevice);
  k<<<(size+255)/256,256>>>(da,db); cudaMemcpy(b,db,size*sizeof(float),cudaMemcpyDeviceToHost);
  cudaFree(da); cudaFree(db); }
"""

PLAIN = """
void f(const float* x, float* y, int n) {
  for (int i = 0; i < n; ++i) y[i] = x[i] * 2.0f;
}
"""


def _prog(text: str, dialect: str = "c") -> Program:
    return Program.from_source(text, dialect)


def test_candidates_come_from_guards_and_defaults():
    c = scalar_candidates(_prog(HARD, "cuda"))
    assert list(c) == [2]
    vals = c[2]
    assert vals[0] == 64 and 8192 in vals and 37 in vals
    assert vals.index(8192) < vals.index(100)  # the program's constants before the generic sizes
    assert all(v >= 1 for v in vals)
    # a constant compared with an expression of the parameter, through a local copy of it
    eq = _prog("void f(const float* x, float* y, int n) { int m = n * 2; if (m != 300) return;"
               " for (int i = 0; i < n; ++i) y[i] = x[i]; }")
    vals = scalar_candidates(eq)[2]
    assert {300, 301, 299} <= set(vals)
    assert scalar_candidates(_prog("void f(float* y) { y[0] = 1.0f; }")) == {}


def test_hard_coded_device_extent_finds_the_size_the_source_accepts():
    p = _prog(HARD, "cuda")
    dom = valid_domain(p)
    assert dom.ok, dom.reason
    assert dom.scalars == {"size": 8192} and not dom.given
    assert dom.tried[0].startswith("size=64: the source faults") and "out-of-bounds" in dom.tried[0]
    a, b, size = dom.specs
    assert a.shape == (8192,) and b.shape == (8192,) and size.value == 8192
    # and the tests made from it run cleanly on the source
    v = tester.differential(p, p, make_tests(dom.specs, seed=5))
    assert v.ok, v.error


def test_plain_size_parameter_keeps_the_default():
    dom = valid_domain(_prog(PLAIN))
    assert dom.ok and dom.scalars == {"n": 64} and dom.runs == 2
    assert dom.specs[0].shape == (64,)
    # and a second, large binding for the final check: several tiles of any chunking, and a tail
    [(scalars, specs)] = dom.more
    assert scalars == {"n": tester.LARGE_EXTENT} and specs[0].shape == (tester.LARGE_EXTENT,)
    assert len(dom.tests(seed=3)) == 3


POOL = """
void pool(const float* in, float* out, int channels, int input_H, int kernel_size, int stride) {
  int output_H = (input_H - kernel_size) / stride + 1;
  for (int c = 0; c < channels; c++)
    for (int i = 0; i < output_H; i++)
      for (int j = 0; j < output_H; j++) {
        float m = -1e30f;
        for (int a = 0; a < kernel_size; a++)
          for (int b = 0; b < kernel_size; b++) {
            float v = in[c * input_H * input_H + (i * stride + a) * input_H + j * stride + b];
            m = v > m ? v : m;
          }
        out[c * output_H * output_H + i * output_H + j] = m;
      }
}
"""


def test_first_binding_gives_each_parameter_its_own_value():
    # a test where channels == input_H == kernel_size == stride cannot tell one from another, and a window
    # as large as the input leaves one output element: extents get distinct values, windows and steps small
    p = _prog(POOL)
    assert tester.scalar_steps(p) == {4, 5}
    dom = valid_domain(p)
    assert dom.ok and dom.scalars == {"channels": 64, "input_H": 48, "kernel_size": 3, "stride": 2}
    assert dom.specs[1].shape == (64 * 23 * 23,)
    [(more, _specs)] = dom.more  # extents 37 larger, windows kept
    assert more == {"channels": 101, "input_H": 85, "kernel_size": 3, "stride": 2}
    gemm = _prog("void g(const float* a, const float* b, float* c, int m, int n, int k) {\n"
                 " for (int i = 0; i < m; ++i) for (int j = 0; j < n; ++j) { float s = 0;\n"
                 "  for (int q = 0; q < k; ++q) s += a[i * k + q] * b[q * n + j]; c[i * n + j] = s; } }\n")
    dom = valid_domain(gemm)
    assert dom.ok and len(set(dom.scalars.values())) == 3


def test_results_that_depend_on_unwritten_device_memory_are_no_valid_test():
    # at size=8192 the kernel writes every element the host copies back; at larger sizes the copy-back
    # returns device memory nobody wrote (zeros in the emulator, garbage on a GPU): not a valid test
    dom = valid_domain(_prog(HARD, "cuda"))
    assert dom.ok and dom.scalars == {"size": 8192} and dom.more == []
    assert any("memory it never wrote" in t for t in dom.tried)


def test_degenerate_bindings_are_not_evidence():
    eq = _prog("void f(const float* x, float* y, int n) {\n if (n != 4096) return;\n"
               " for (int i = 0; i < n; ++i) y[i] = x[i] + 1.0f;\n}\n")
    dom = valid_domain(eq)
    assert dom.ok and dom.scalars == {"n": 4096}
    assert "degenerate" in dom.tried[0]
    # a source that writes nothing on any candidate: no domain, and the reason names what was tried
    never = _prog("void f(const float* x, float* y, int n) {\n for (int i = 0; i < n; ++i)\n"
                  "  if (x[i] > 1000.0f) y[i] = x[i];\n}\n")
    dom = valid_domain(never)
    assert not dom.ok and dom.specs is None
    assert "no valid, non-degenerate input" in dom.reason and "n=64" in dom.reason and "n=37" in dom.reason


def test_user_values_are_used_as_given():
    p = _prog(HARD, "cuda")
    dom = valid_domain(p, args={"size": 8192})
    assert dom.ok and dom.scalars == {"size": 8192} and dom.given == {"size": 8192} and dom.runs == 2  # and one fill
    dom = valid_domain(p, args={"size": 64})  # faults: not searched further
    assert not dom.ok and "size=64" in dom.reason and "out-of-bounds" in dom.reason
    assert len(dom.tried) == 1
    dom = valid_domain(_prog(PLAIN), args={"n": 0})  # all sizes zero: degenerate
    assert not dom.ok and "degenerate" in dom.reason
    with pytest.raises(BadInput, match="no parameter 'm'"):
        resolve_args(p, {"m": 3})
    with pytest.raises(BadInput, match="not a scalar"):
        resolve_args(p, {"a": 3})
    assert resolve_args(p, {2: "12"}) == ({2: 12}, {"size": 12})


def test_parse_args_text():
    assert parse_args_text("size=8192,n=4") == {"size": 8192, "n": 4}
    assert parse_args_text("alpha=0.5 n=0x10") == {"alpha": 0.5, "n": 16}
    for bad in ("size", "size=", "=3", "n=abc"):
        with pytest.raises(BadInput):
            parse_args_text(bad)


def test_big_hard_coded_shape_is_not_allocated():
    big = _prog("#define N (1 << 28)\nvoid f(const float* x, float* y) {\n"
                " for (int i = 0; i < N; ++i) y[i] = x[i] + 1.0f;\n}\n")
    dom = valid_domain(big)
    assert not dom.ok and dom.runs == 0
    assert "2048 MiB" in dom.reason and "memory budget" in dom.reason


def test_big_size_candidates_fall_back_to_smaller_valid_sizes():
    # 1 << 26 floats per buffer (2 x 256 MiB) is over the budget: the search goes on to smaller sizes
    src = ("void f(const float* x, float* y, int n) {\n if (n > 67108864) return;\n"
           " for (int i = 0; i < n; ++i) y[i] = x[i] + 1.0f;\n}\n")
    dom = valid_domain(_prog(src), budget_bytes=1 << 20)
    assert dom.ok and dom.scalars == {"n": 64}
    dom = valid_domain(_prog(src), args={"n": 67108864}, budget_bytes=1 << 20)
    assert not dom.ok and "over the test memory budget" in dom.reason


def test_the_search_is_bounded():
    p = _prog(HARD.replace("b[i] =", "b[i + 8] ="), "cuda")  # faults on every candidate
    dom = valid_domain(p, max_runs=2)
    assert not dom.ok and dom.runs <= 2
    assert "stopped after 2 runs" in dom.reason


def test_edge_test_has_several_distributions():
    specs = [tester.ArgSpec("x", "float32", (4096,), "in"), tester.ArgSpec("y", "float32", (4096,), "out")]
    _plain, edge = make_tests(specs, seed=11)
    x = edge[0]
    q = 1024
    ints = x[:q]
    assert np.array_equal(ints, np.round(ints)) and ints.min() < 0 and (ints == 0).any() and ints.max() > 0
    knee = x[q:2 * q]
    assert knee.min() < -5 and knee.max() > 5 and np.abs(knee).max() <= 6
    assert (x[2 * q:3 * q] < 0).all()
    assert (x[3 * q:] == 0).sum() > 50


def test_pass_manager_records_the_tested_values():
    from xpiler.pipeline.manager import PassManager
    from xpiler.pipeline.planner import Plan

    p = _prog(HARD, "cuda")
    out = PassManager().translate(p, "cuda", candidate_plans=[Plan("identity", ())])
    assert out.report.verified, out.report.summary()
    assert out.report.scalars == {"size": 8192} and not out.report.scalars_given
    assert "tested with size=8192" in out.report.summary()
    out = PassManager().translate(p, "cuda", candidate_plans=[Plan("identity", ())], args={"size": 64})
    assert not out.report.verified
    assert "size=64" in out.report.reason and "faults" in out.report.reason


def test_transcompile_tests_in_the_valid_domain_and_takes_args():
    from xpiler import transcompile

    res = transcompile(HARD, "cuda", "c")
    assert res.verified, res.report.summary()
    assert res.report.scalars == {"size": 8192} and not res.report.scalars_given
    assert any(t.startswith("size=64: the source faults") for t in res.report.domain)
    res = transcompile(HARD, "cuda", "c", args={"size": 8192})
    assert res.verified and res.report.scalars == {"size": 8192} and res.report.scalars_given
    res = transcompile(HARD, "cuda", "c", args={"size": 64})  # as given: the source faults, never verified
    assert not res.verified and "size=64" in res.report.reason and "out-of-bounds" in res.report.reason
    with pytest.raises(BadInput, match="no parameter 'sz'"):
        transcompile(HARD, "cuda", "c", args={"sz": 8192})


def test_a_static_kernel_behind_a_size_parameter_is_tested_at_its_launch_size():
    # no guard, no loop: the kernel covers exactly grid x block = 4096 elements while the host copies n
    src = """#include <cuda_runtime.h>
__global__ void twice(const float* a, float* b) { b[blockIdx.x * 1024 + threadIdx.x] = 2 * a[blockIdx.x * 1024 + threadIdx.x]; }
extern "C" void twice_run(const float* a, float* b, int n) {
  float *da, *db;
  cudaMalloc((void**)&da, n * sizeof(float));
  cudaMalloc((void**)&db, n * sizeof(float));
  cudaMemcpy(da, a, n * sizeof(float), cudaMemcpyHostToDevice);
  dim3 grid(4, 1, 1);
  twice<<<grid, 1024>>>(da, db);
  cudaMemcpy(b, db, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(da);
  cudaFree(db);
}
"""
    from xpiler.pipeline.program import Program
    from xpiler.verify.tester import valid_domain

    dom = valid_domain(Program.from_source(src, "cuda"))
    assert dom.specs is not None and dom.scalars == {"n": 4096}, dom.reason


ROWS = """#include <cuda_runtime.h>
// writes 7 rows of 256 (guarded), while the host copies n * m elements
__global__ void rows(const float* a, float* o) {
  int r = blockIdx.x * 4 + (threadIdx.x >> 8);
  if (r < 7) o[blockIdx.x * 1024 + threadIdx.x] = a[blockIdx.x * 1024 + threadIdx.x] + 1.0f;
}
extern "C" void rows_run(const float* a, float* o, int n, int m) {
  float *da, *dO;
  size_t bytes = (size_t)(n * m) * sizeof(float);
  cudaMalloc((void**)&da, bytes);
  cudaMalloc((void**)&dO, bytes);
  cudaMemcpy(da, a, bytes, cudaMemcpyHostToDevice);
  rows<<<2, 1024>>>(da, dO);
  cudaMemcpy(o, dO, bytes, cudaMemcpyDeviceToHost);
  cudaFree(da); cudaFree(dO);
}
"""


def test_sizes_are_solved_so_the_copy_covers_what_the_kernel_writes():
    # the first binding copies back elements the kernel never wrote; the written prefix (7 x 256) is no
    # constant of the program, so the Tester solves n * m == 1792 from the host's copy size
    prog = _prog(ROWS, "cuda")
    [(term, used)] = tester.host_size_terms(prog)
    assert used == {2, 3}
    dom = valid_domain(prog)
    assert dom.ok, dom.reason
    assert dom.scalars["n"] * dom.scalars["m"] == 1792 and min(dom.scalars.values()) >= 2
    assert "memory it never wrote" in dom.tried[0]


def test_solve_sizes_keeps_the_other_parameters():
    prog = _prog("void f(const float* x, float* y, int n, int m, int k) {\n"
                 " float* t = (float*)malloc(n * m * sizeof(float));\n"
                 " for (int i = 0; i < n * m; ++i) t[i] = x[i] * k;\n"
                 " memcpy(y, t, n * m * sizeof(float));\n free(t);\n}\n")
    out = tester.solve_sizes(prog, {2: 64, 3: 48, 4: 5}, [35], {2, 3, 4})
    assert out and out[0][4] == 5 and out[0][2] * out[0][3] == 35
    assert tester.solve_sizes(prog, {2: 64, 3: 48, 4: 5}, [35], {4}) == []
