"""Extent analysis (xpiler.verify.extents): hand-written programs with aliases, guards, macros, data-dependent
indices, launches, intrinsics; then every corpus source file of every dialect against its spec's shapes."""

from __future__ import annotations

import math
from collections import Counter

import pytest

from xpiler.pipeline.program import Program
from xpiler.verify.extents import Extent, analyze, buffer_extents
from xpiler.verify.spec import Init, evaluate, load_corpus


def _ext(text: str, dialect: str = "c", **kw):
    return buffer_extents(Program.from_source(text, dialect, **kw))


def test_affine_loops_macros_and_aliases():
    src = """
#define M 7
#define N 5
#define IDX(r, c) ((r) * N + (c))
extern "C" void f(const float* X, float* Y, float s) {
  for (int r = 0; r < M; ++r) {
    const float* x = X + r * N;
    for (int c = 0; c < N; ++c) Y[IDX(c, r) / 1] = x[c] * s;
  }
}
"""
    assert _ext(src) == [Extent(35), Extent(4 * 5 + 6 + 1), None]  # Y[c * N + r]


def test_guards_bound_the_index():
    src = """
#define N 10
extern "C" void f(const float* X, float* Y) {
  for (int i = 0; i < 16; ++i) {
    if (i >= N) continue;
    Y[i] = (i + 3 < N) ? X[i + 3] : 0.0f;
  }
}
"""
    assert _ext(src) == [Extent(10), Extent(10)]


def test_strided_loop_and_cfor_induction():
    src = """
#define N 40
extern "C" void f(const float* X, float* Y) {
  for (int i = 0; i < N; i += 8)
    for (int j = 0; j < 8; ++j) Y[i + j] = X[i + j];
  int k = 0;
  for (; k + 16 <= N; k += 16) Y[k] = 1.0f;
  for (int t = 0; t < N - k; ++t) Y[k + t] = X[k + t];
}
"""
    assert _ext(src) == [Extent(40), Extent(40)]


def test_data_dependent_gather_and_scatter():
    src = """
#define D 6
#define NI 9
extern "C" void f(const float* X, const int* idx, float* Y) {
  for (int i = 0; i < NI; ++i) {
    const float* src = X + idx[i] * D;
    float* dst = Y + idx[i] * D;
    for (int d = 0; d < D; ++d) dst[d] = src[d];
  }
}
"""
    facts = analyze(Program.from_source(src, "c"))
    x, idx, y = facts.params
    assert x.extent == Extent(None, (1, 9, 6, 6))
    assert y.extent == Extent(None, (1, 9, 6, 6))
    assert idx.extent == Extent(9) and idx.index_of == [0, 2] and idx.scatter
    assert (x.read, x.written, y.read, y.written) == (True, False, False, True)


def test_int_scalar_parameter_is_bound():
    src = 'extern "C" void f(const float* X, float* Y, int n) { for (int i = 0; i < n; ++i) Y[2 * i] = X[i]; }'
    facts = analyze(Program.from_source(src, "c"), scalars={2: 10})
    assert facts.extents == [Extent(10), Extent(19), None] and facts.params[2].scalar_value == 10


def test_cuda_host_wrapper_sizes_and_index_limit():
    src = """
#include <cuda_runtime.h>
#define M 12
#define D 4
#define NI 20
__global__ void k(const float* X, const int* idx, float* Y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < NI * D) Y[i] = X[idx[i / D] * D + i % D];
}
extern "C" void f(const float* X, const int* idx, float* Y) {
  float *dX, *dY; int* dI;
  cudaMalloc(&dX, M * D * sizeof(float));
  cudaMalloc(&dI, NI * sizeof(int));
  cudaMalloc(&dY, NI * D * sizeof(float));
  cudaMemcpy(dX, X, M * D * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dI, idx, NI * sizeof(int), cudaMemcpyHostToDevice);
  k<<<(NI * D + 31) / 32, 32>>>(dX, dI, dY);
  cudaMemcpy(Y, dY, NI * D * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX); cudaFree(dI); cudaFree(dY);
}
"""
    facts = analyze(Program.from_source(src, "cuda"))
    assert facts.extents == [Extent(48), Extent(20), Extent(80)]
    assert facts.params[1].index_limit == 12  # idx values must stay below M so X's device copy holds
    assert [p.written for p in facts.params] == [False, False, True]


def test_bare_cuda_kernel_uses_the_launch():
    src = """
__global__ void k(const float* X, float* Y) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 100) Y[i] = X[2 * i + 1];
}
"""
    assert _ext(src, "cuda", launch="grid=4 block=32") == [Extent(200), Extent(100)]


def test_bang_memcpy_bytes_and_task_split():
    src = """
#include <bang.h>
#define N 1000
__nram__ float buf[4096];
__mlu_global__ void k(float* X, float* Y) {
  int per = (N + taskDim - 1) / taskDim;
  int b = taskId * per;
  int e = b + per < N ? b + per : N;
  if (b >= e) return;
  __memcpy(buf, X + b, (e - b) * sizeof(float), GDRAM2NRAM);
  __bang_active_relu(buf, buf, 64);
  __memcpy(Y + b, buf, (e - b) * sizeof(float), NRAM2GDRAM);
}
"""
    assert _ext(src, "bang", launch="tasks=16 clusters=4 cores=4") == [Extent(1000), Extent(1000)]


def test_vnni_vector_loads_count_whole_vectors():
    src = """
#include <immintrin.h>
#define N 64
extern "C" void f(const float* X, float* Y) {
  for (int i = 0; i < N; i += 16) _mm512_storeu_ps(Y + i, _mm512_loadu_ps(X + i + 16));
}
"""
    assert _ext(src, "vnni") == [Extent(80), Extent(64)]


# ------------------------------------------------------------------------------------------ the corpus


_GATHER = """
#include <immintrin.h>
#define R 37
#define C 24
extern "C" void g(const float* A, float* B) {
  const __m512i idx = _mm512_add_epi32(_mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                                                                             11, 12, 13, 14, 15),
                                                          _mm512_set1_epi32(C)), _mm512_set1_epi32(OFF));
  for (int r0 = 0; r0 < R; r0 += 16) {
    const int rem = R - r0 < 16 ? R - r0 : 16;
    const __mmask16 k = (__mmask16)((1u << rem) - 1u);
    for (int c = 0; c < C - OFF; ++c) {
      __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), k, idx, A + r0 * C + c, 4);
      _mm512_mask_storeu_ps(B + c * R + r0, k, v);
    }
  }
}
"""


@pytest.mark.parametrize("off", [0, 3])
def test_vnni_gather_index_vector_is_followed_lane_by_lane(off):
    # the index vector is built in registers (setr * set1 + set1); the tail mask selects rem lanes, so the
    # last block reads rows r0 .. R-1 only: the extent is exact, not rounded up to a whole 16-row block
    src = _GATHER.replace("OFF", str(off))
    assert _ext(src, "vnni") == [Extent(36 * 24 + (24 - off - 1) + off + 1), Extent((24 - off) * 37)]


def test_vnni_gather_with_an_unknown_index_vector_is_not_bounded():
    src = """
#include <immintrin.h>
extern "C" void g(const float* A, const int* I, float* B) {
  __m512i idx = _mm512_loadu_si512(I);
  _mm512_storeu_ps(B, _mm512_i32gather_ps(idx, A, 4));
}
"""
    ext = _ext(src, "vnni")
    assert ext[0] is None or ext[0].count is None  # the lanes come from memory: no static bound
    assert ext[1] == Extent(16) and ext[2] == Extent(16)


def test_serial_tail_mask_bit_test_selects_leading_lanes():
    src = """
#include <stdint.h>
#define R 37
extern "C" void g(const float* A, float* B) {
  for (int r0 = 0; r0 < R; r0 += 16) {
    const int rem = R - r0 < 16 ? R - r0 : 16;
    const uint16_t k = (uint16_t)((1u << rem) - 1u);
    for (int i = 0; i < 16; ++i) {
      if ((k >> i) & 1) B[r0 + i] = A[r0 + i];
    }
  }
}
"""
    assert _ext(src, "c") == [Extent(37), Extent(37)]

DIALECTS = ("c", "vnni", "cuda", "hip", "bang")


def _needed(spec, arg, dialect, facts, pf) -> tuple[int, int]:
    """(inferred count, spec count) for one buffer argument; data-dependent extents evaluated with the
    spec's largest index value."""
    want = math.prod(spec.shape(arg, 0))
    ex = pf.extent
    if ex.count is not None:
        return ex.count, want
    assert ex.data_dependent, f"{spec.op}/{dialect}: {arg.name} has no extent"
    ip, _ic, scale, off = ex.data_dependent
    init = Init.parse(spec.arg_init(spec.args[ip], dialect))
    top = evaluate(init.params[-1], spec.case(0)) - 1
    return top * scale + off, want


def _corpus_report(dialects=DIALECTS):
    from xpiler.verify.corpus_check import source_program

    table: dict[str, Counter] = {d: Counter() for d in dialects}
    problems, ratios = [], []
    for spec in load_corpus():
        for d in dialects:
            facts = analyze(source_program(spec, d, 0))
            worst = "exact"
            for arg, pf in zip(spec.args, facts.params):
                if pf.dtype != spec.arg_dtype(arg, d) and not (arg.is_scalar and pf.dtype is None):
                    problems.append(f"{spec.op}/{d}: {arg.name} dtype {pf.dtype} != {spec.arg_dtype(arg, d)}")
                if arg.is_scalar:
                    continue
                if pf.extent.count is None and not pf.extent.data_dependent:
                    worst = "unknown" if worst != "under" else worst
                    continue
                got, want = _needed(spec, arg, d, facts, pf)
                ratios.append(got / want)
                if got < want:
                    worst = "under"
                    problems.append(f"{spec.op}/{d}: {arg.name} {got} < {want}")
                elif got > want and worst == "exact":
                    worst = "over"
            table[d][worst] += 1
    return table, problems, ratios


@pytest.mark.corpus
def test_corpus_extents_cover_the_spec_shapes():
    table, problems, ratios = _corpus_report()
    print({d: dict(c) for d, c in table.items()}, "max ratio", max(ratios))
    assert not problems, problems
    assert max(ratios) < 1.5  # over-approximation stays modest
    for d, c in table.items():
        assert c["under"] == 0
        assert c["exact"] >= 30, (d, dict(c))  # nearly every file infers exactly
