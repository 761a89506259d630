"""Run-time sizes through the pass chain: kernels whose shapes are `int` parameters of the entry (the most
common C kernel, and host wrappers that compute the grid from `size`).

Each translation must be verified, must spell its sizes as expressions of the entry's parameters (device
buffers, copies, the grid), and must compute the right thing at sizes the Tester did not pick: the output
is run on the target's executor at two other sizes and compared with numpy."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from xpiler import transcompile
from xpiler.exec import run_kernel

pytestmark = pytest.mark.skipif(not (shutil.which("g++") or shutil.which("clang++-15")), reason="no C++ compiler")

AXPY = """void axpy(const float *x, float *y, float a, int n) {
  for (int i = 0; i < n; i++) y[i] = a * x[i] + y[i];
}
"""

MATADD = """void matrix_add(const float *A, const float *B, float *C, int rows, int cols) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      C[r * cols + c] = A[r * cols + c] + B[r * cols + c];
}
"""

POOL = """void maxpool(const float *in, float *out, int channels, int input_H, int input_W, int kernel_size,
             int stride) {
  int output_H = (input_H - kernel_size) / stride + 1;
  int output_W = (input_W - kernel_size) / stride + 1;
  for (int ch = 0; ch < channels; ch++)
    for (int oh = 0; oh < output_H; oh++)
      for (int ow = 0; ow < output_W; ow++) {
        float m = -1e30f;
        for (int kh = 0; kh < kernel_size; kh++)
          for (int kw = 0; kw < kernel_size; kw++) {
            float v = in[(ch * input_H + oh * stride + kh) * input_W + ow * stride + kw];
            if (v > m) m = v;
          }
        out[(ch * output_H + oh) * output_W + ow] = m;
      }
}
"""

RELU_CU = """#include <cuda_runtime.h>
__global__ void relu_kernel(const float *in, float *out, int n) {
  int idx = blockIdx.x * blockDim.x + threadIdx.x;
  if (idx < n) out[idx] = in[idx] > 0.f ? in[idx] : 0.f;
}
void relu_forward(const float *h_in, float *h_out, int size) {
  float *d_in, *d_out;
  cudaMalloc(&d_in, size * sizeof(float));
  cudaMalloc(&d_out, size * sizeof(float));
  cudaMemcpy(d_in, h_in, size * sizeof(float), cudaMemcpyHostToDevice);
  int threads = 128;
  int blocks = (size + threads - 1) / threads;
  relu_kernel<<<blocks, threads>>>(d_in, d_out, size);
  cudaMemcpy(h_out, d_out, size * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d_in);
  cudaFree(d_out);
}
"""

BIAS_CU = """#include <cuda_runtime.h>
__global__ void scale_bias(float *__restrict__ out, const float *__restrict__ in, const float *bias, int n,
                           int c) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n * c) return;
  out[i] = in[i] * 2.0f + bias[i % c];
}
void launch_scale_bias(float *out, const float *in, const float *bias, int n, int c) {
  float *d_out, *d_in, *d_bias;
  int total = n * c;
  cudaMalloc((void **)&d_out, total * sizeof(float));
  cudaMalloc((void **)&d_in, total * sizeof(float));
  cudaMalloc((void **)&d_bias, c * sizeof(float));
  cudaMemcpy(d_in, in, total * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(d_bias, bias, c * sizeof(float), cudaMemcpyHostToDevice);
  dim3 block(64);
  dim3 grid((total + 63) / 64);
  scale_bias<<<grid, block>>>(d_out, d_in, d_bias, n, c);
  cudaMemcpy(out, d_out, total * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d_out);
  cudaFree(d_in);
  cudaFree(d_bias);
}
"""

ROWS = """void row_softmax(const float *X, float *Y, int M, int N) {
  for (int m = 0; m < M; ++m) {
    const float *x = X + m * N;
    float *y = Y + m * N;
    float mx = x[0];
    for (int n = 1; n < N; ++n) mx = x[n] > mx ? x[n] : mx;
    float s = 0.0f;
    for (int n = 0; n < N; ++n) { y[n] = expf(x[n] - mx); s += y[n]; }
    for (int n = 0; n < N; ++n) y[n] /= s;
  }
}
"""

POOL_MACRO = """#define OH ((H - K) / S + 1)
#define OW ((W - K) / S + 1)
void pool_max(const float *in, float *out, int C, int H, int W, int K, int S) {
  for (int c = 0; c < C; ++c)
    for (int i = 0; i < OH; ++i)
      for (int j = 0; j < OW; ++j) {
        float m = -1e30f;
        for (int a = 0; a < K; ++a)
          for (int b = 0; b < K; ++b) {
            float v = in[(c * H + i * S + a) * W + j * S + b];
            m = v > m ? v : m;
          }
        out[(c * OH + i) * OW + j] = m;
      }
}
"""

VEC4_CU = """#include <cuda_runtime.h>
#define THREADS 128
#define VECS (N / 4)
__global__ void scale4(const float *__restrict__ in, float *__restrict__ out, int N) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  int step = gridDim.x * blockDim.x;
  const float4 *in4 = reinterpret_cast<const float4 *>(in);
  float4 *out4 = reinterpret_cast<float4 *>(out);
  for (int i = t; i < VECS; i += step) {
    float4 v = in4[i];
    out4[i] = make_float4(3.0f * v.x, 3.0f * v.y, 3.0f * v.z, 3.0f * v.w);
  }
  for (int i = VECS * 4 + t; i < N; i += step) out[i] = 3.0f * in[i];
}
void scale_launch(const float *in, float *out, int N) {
  float *d_in, *d_out;
  cudaMalloc(&d_in, N * sizeof(float));
  cudaMalloc(&d_out, N * sizeof(float));
  cudaMemcpy(d_in, in, N * sizeof(float), cudaMemcpyHostToDevice);
  scale4<<<(N + 4 * THREADS - 1) / (4 * THREADS), THREADS>>>(d_in, d_out, N);
  cudaMemcpy(out, d_out, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d_in);
  cudaFree(d_out);
}
"""


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _axpy(n: int):
    x, y = _rng(n).standard_normal(n).astype(np.float32), _rng(n + 1).standard_normal(n).astype(np.float32)
    return [x, y.copy(), np.float32(1.5), np.int32(n)], {1: 1.5 * x + y}


def _matadd(shape):
    r, c = shape
    a, b = _rng(r).standard_normal(r * c).astype(np.float32), _rng(c).standard_normal(r * c).astype(np.float32)
    return [a, b, np.zeros(r * c, np.float32), np.int32(r), np.int32(c)], {2: a + b}


def _pool(shape):
    ch, h, w, k, s = shape
    x = _rng(h).standard_normal(ch * h * w).astype(np.float32)
    oh, ow = (h - k) // s + 1, (w - k) // s + 1
    xs = x.reshape(ch, h, w)
    want = np.array([[[xs[c, i * s:i * s + k, j * s:j * s + k].max() for j in range(ow)] for i in range(oh)]
                     for c in range(ch)], np.float32).ravel()
    return [x, np.zeros(ch * oh * ow, np.float32)] + [np.int32(v) for v in shape], {1: want}


def _relu(n: int):
    x = _rng(n).standard_normal(n).astype(np.float32)
    return [x, np.zeros(n, np.float32), np.int32(n)], {1: np.maximum(x, 0)}


def _bias(shape):
    n, c = shape
    x, bias = _rng(n).standard_normal(n * c).astype(np.float32), _rng(c).standard_normal(c).astype(np.float32)
    return [np.zeros(n * c, np.float32), x, bias, np.int32(n), np.int32(c)], {0: 2 * x + np.tile(bias, n)}


def _rows(shape):
    m, n = shape
    x = _rng(m).standard_normal(m * n).astype(np.float32)
    e = np.exp(x.reshape(m, n) - x.reshape(m, n).max(axis=1, keepdims=True))
    return [x, np.zeros(m * n, np.float32), np.int32(m), np.int32(n)], {1: (e / e.sum(axis=1, keepdims=True)).ravel()}


def _vec4(n: int):
    x = _rng(n).standard_normal(n).astype(np.float32)
    return [x, np.zeros(n, np.float32), np.int32(n)], {1: 3 * x}


CASES = {
    "axpy": (AXPY, "c", _axpy, (1000, 3)),
    "matadd": (MATADD, "c", _matadd, ((7, 33), (2, 1))),
    "pool": (POOL, "c", _pool, ((3, 9, 11, 3, 2), (2, 8, 8, 2, 2))),
    "relu": (RELU_CU, "cuda", _relu, (1000, 5)),
    "bias": (BIAS_CU, "cuda", _bias, ((9, 13), (1, 3))),
    "rows": (ROWS, "c", _rows, ((5, 7), (3, 1))),  # rows through `x = X + m * N`, the first read x[0]
    "poolmacro": (POOL_MACRO, "c", _pool, ((3, 9, 11, 3, 2), (2, 8, 8, 2, 2))),  # shapes as macros
    "vec4": (VEC4_CU, "cuda", _vec4, (1001, 6, 3)),  # float4 loads + scalar tail, N % 4 != 0
}
DIRECTIONS = [("axpy", "cuda"), ("axpy", "hip"), ("axpy", "bang"), ("matadd", "cuda"), ("matadd", "bang"),
              ("pool", "cuda"), ("relu", "c"), ("relu", "bang"), ("relu", "vnni"), ("bias", "c"), ("bias", "bang"),
              ("rows", "cuda"), ("poolmacro", "hip"), ("vec4", "c"), ("vec4", "bang")]


def _check_at_other_sizes(code: str, target: str, make, sizes) -> None:
    for size in sizes:
        args, want = make(size)
        got = run_kernel(code, target, args=args).outputs
        for i, w in want.items():
            np.testing.assert_allclose(got[i], w, rtol=1e-5, atol=1e-5, err_msg=f"size {size}")


@pytest.mark.parametrize("case,target", DIRECTIONS, ids=[f"{c}-{t}" for c, t in DIRECTIONS])
def test_runtime_sizes_translate(case, target):
    src, source, make, sizes = CASES[case]
    res = transcompile(src, source, target)
    assert res.verified, res.report.summary()
    _check_at_other_sizes(res.code, target, make, sizes)
    if target in ("cuda", "hip", "bang") and source == "c":
        # device buffers and copies are sized by the entry's own parameters, never by a tested number
        malloc = re.findall(r"(?:cuda|hip|cnrt)Malloc\(([^;]*)\);", res.code)
        assert malloc and all("sizeof" in m and re.search(r"[\w)]\s*\*\s*sizeof", m) for m in malloc), malloc
    if target in ("cuda", "hip") and source == "c":
        launch = re.search(r"<<<([^,]+),", res.code).group(1)
        assert "+ 255) / 256" in launch, launch  # one thread per iteration, the grid computed from the sizes


def test_sizes_are_spelled_like_the_source():
    res = transcompile(MATADD, "c", "cuda")
    assert "cudaMalloc(&d_A, rows * cols * sizeof(float));" in res.code
    assert "<<<(rows * cols + 255) / 256, 256>>>" in res.code
    assert "cudaMemcpy(d_C, C" not in res.code  # written whole: not copied in
    res = transcompile(POOL, "c", "cuda")
    assert "int output_H = (input_H - kernel_size) / stride + 1;" in res.code.split("extern")[-1]
    assert "channels * output_H * output_W * sizeof(float)" in res.code


def test_guarded_grid_becomes_one_loop():
    res = transcompile(RELU_CU, "cuda", "c")
    assert res.verified
    loops = re.findall(r"for \(int (\w+) = 0; \1 < (\w+);", res.code)
    assert loops == [("idx", "size")], res.code  # no block x thread nest, no guard left
    assert " if " not in res.code


def test_unbounded_buffer_is_declined_with_the_reason():
    src = """void f(const float *x, float *y, const int *idx, int n) {
  for (int i = 0; i < n; i++) y[i] = x[idx[i] * idx[i]];
}
"""
    from xpiler.pipeline.manager import TranslationFailed

    with pytest.raises(TranslationFailed, match="'x'"):
        transcompile(src, "c", "cuda")


ROWSUM_TILED_CU = """#include <cuda_runtime.h>
#define TK 16
__global__ void row_sums(const float *A, float *out, int M, int K) {
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= M) return;
  float s = 0.0f;
  for (int k0 = 0; k0 < K; k0 += TK)
    for (int c = 0; c < TK; ++c) s += A[r * K + k0 + c];  // whole tiles: the source assumes K % 16 == 0
  out[r] = s;
}
void row_sums_host(const float *A, float *out, int M, int K) {
  float *dA, *dO;
  cudaMalloc(&dA, M * K * sizeof(float));
  cudaMalloc(&dO, M * sizeof(float));
  cudaMemcpy(dA, A, M * K * sizeof(float), cudaMemcpyHostToDevice);
  row_sums<<<(M + 63) / 64, 64>>>(dA, dO, M, K);
  cudaMemcpy(out, dO, M * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dA);
  cudaFree(dO);
}
"""


def test_a_buffer_sized_by_the_sources_own_copy():
    # no count over M and K covers the reads for every K (whole 16-wide tiles), but the source's host code says
    # how many elements A has: the target allocates and copies exactly that, and says the bound is assumed
    res = transcompile(ROWSUM_TILED_CU, "cuda", "bang")
    assert res.verified, res.report.summary()
    assert re.search(r"cnrtMalloc\([^;]*M \* K \* sizeof\(float\)", res.code), res.code
    a = _rng(3).standard_normal(5 * 32).astype(np.float32)
    got = run_kernel(res.code, "bang", args=[a, np.zeros(5, np.float32), np.int32(5), np.int32(32)]).outputs[1]
    np.testing.assert_allclose(got, a.reshape(5, 32).sum(axis=1), rtol=1e-5)
