"""The CUDA executor (SIMT runtime on the CPU): correct results for the constructs kernels use, and one
test per fault class a GPU (or its sanitizer) would show."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from xpiler import RuntimeFault, run_kernel

pytestmark = pytest.mark.skipif(
    not (shutil.which("clang++-15") or shutil.which("clang++") or shutil.which("g++")), reason="no C++ compiler"
)
rng = np.random.default_rng(0)


def run(src, args, **kw):
    return run_kernel(src, "cuda", args=args, filename=kw.pop("filename", "k.cu"), **kw)


def fault(src, args, kind, match=None, **kw):
    with pytest.raises(RuntimeFault) as e:
        run(src, args, **kw)
    assert e.value.kind == kind, str(e.value)
    if match:
        assert match in str(e.value), str(e.value)
    return e.value


# ---------------------------------------------------------------- plain kernels and the host API
VADD = """
#define N 1000
__global__ void __launch_bounds__(256) vadd_k(const float* __restrict__ a, const float* b, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i] + b[i];
}
extern "C" void vadd(const float* a, const float* b, float* c) {
  float *da, *db, *dc;
  cudaMalloc(&da, N * sizeof(float));
  cudaMalloc((void**)&db, N * sizeof(float));
  cudaMalloc(&dc, N * sizeof(float));
  cudaMemcpy(da, a, N * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(db, b, N * sizeof(float), cudaMemcpyHostToDevice);
  dim3 blockDim(256), gridDim((N + 255) / 256);  // host code may reuse the built-ins' names
  vadd_k<<<gridDim, blockDim>>>(da, db, dc, N);
  cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) printf("%s\\n", cudaGetErrorString(e));
  cudaDeviceSynchronize();
  cudaMemcpy(c, dc, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(da); cudaFree(db); cudaFree(dc);
}
"""


def test_host_wrapper_vector_add():
    a, b = rng.standard_normal(1000, dtype=np.float32), rng.standard_normal(1000, dtype=np.float32)
    r = run(VADD, [a, b, np.zeros_like(a)])
    np.testing.assert_array_equal(r.outputs[2], a + b)


GRID3D = """
__global__ void idx3(int* out) {
  int x = blockIdx.x * blockDim.x + threadIdx.x, y = blockIdx.y * blockDim.y + threadIdx.y;
  int z = blockIdx.z * blockDim.z + threadIdx.z;
  int w = gridDim.x * blockDim.x, h = gridDim.y * blockDim.y;
  out[(z * h + y) * w + x] = x + 100 * y + 10000 * z + (warpSize == 32 ? 0 : 1000000);
}
"""


def test_three_dimensional_grid_and_builtins():
    out = run(GRID3D, [np.zeros(8 * 6 * 4, np.int32)], launch="grid=2,3,2 block=4,2,2").outputs[0]
    z, y, x = np.meshgrid(np.arange(4), np.arange(6), np.arange(8), indexing="ij")
    np.testing.assert_array_equal(out, (x + 100 * y + 10000 * z).ravel())


MATH = """
__global__ void mathk(const float* x, float* y, __half* h, int* m) {
  int i = threadIdx.x;
  float v = x[i];
  y[i] = __expf(v) + rsqrtf(fabsf(v) + 1.0f) + __saturatef(v) + max(v, 0.5f) + (float)__float2int_rn(v * 3);
  h[i] = hexp(__float2half(v));
  m[i] = max(i, 7) + min(3u, (unsigned)i) + __popc(i) + __clz(i + 1);
}
"""


def test_device_math_and_half_helpers():
    x = rng.uniform(-2, 2, 64).astype(np.float32)
    r = run(MATH, [x, np.zeros(64, np.float32), np.zeros(64, np.float16), np.zeros(64, np.int32)],
            launch="grid=1 block=64")
    want = np.exp(x) + 1 / np.sqrt(np.abs(x) + 1) + np.clip(x, 0, 1) + np.maximum(x, 0.5) + np.rint(x * 3)
    np.testing.assert_allclose(r.outputs[1], want, rtol=1e-5)
    np.testing.assert_allclose(r.outputs[2].astype(np.float32), np.exp(x.astype(np.float16)), rtol=2e-3)
    i = np.arange(64)
    clz = np.array([32 - int(v).bit_length() for v in i + 1])
    want_m = np.maximum(i, 7) + np.minimum(3, i) + np.array([bin(v).count("1") for v in i]) + clz
    np.testing.assert_array_equal(r.outputs[3], want_m)


ATOMICS = """
__global__ void atom(const int* x, int* out) {
  int v = x[blockIdx.x * blockDim.x + threadIdx.x];
  atomicAdd(&out[0], v);
  atomicMax(&out[1], v);
  atomicMin(&out[2], v);
  atomicInc((unsigned*)&out[3], 5u);
  int old = out[4], assumed;
  do { assumed = old; old = atomicCAS(&out[4], assumed, assumed ^ v); } while (old != assumed);
}
"""


def test_atomics():
    x = rng.integers(-1000, 1000, 512).astype(np.int32)
    out = run(ATOMICS, [x, np.array([0, -10**9, 10**9, 0, 0], np.int32)], launch="grid=4 block=128").outputs[1]
    assert out[0] == x.sum() and out[1] == x.max() and out[2] == x.min()
    assert out[3] == 512 % 6 and out[4] == np.bitwise_xor.reduce(x)


# ---------------------------------------------------------------- cooperative: barriers, shared memory, warps
REDUCE = """
#define N 3000
__global__ void block_sum(const float* x, float* out) {
  __shared__ float s[256];
  int t = threadIdx.x;
  float v = 0;
  for (int i = blockIdx.x * 256 + t; i < N; i += 256 * gridDim.x) v += x[i];
  s[t] = v;
  __syncthreads();
  for (int k = 128; k > 0; k >>= 1) {
    if (t < k) s[t] += s[t + k];
    __syncthreads();
  }
  if (t == 0) atomicAdd(out, s[0]);
}
"""


def test_shared_memory_reduction_with_barriers():
    x = rng.standard_normal(3000, dtype=np.float32)
    out = run(REDUCE, [x, np.zeros(1, np.float32)], launch="grid=4 block=256").outputs[1]
    np.testing.assert_allclose(out[0], x.sum(dtype=np.float64), rtol=1e-4)


WARP_REDUCE = """
__device__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
  return v;
}
__global__ void rows(const float* x, float* out, int* votes) {
  int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  int row = blockIdx.x * (blockDim.x / 32) + warp;
  float v = x[row * 32 + lane];
  float s = warp_sum(v);
  float all = v;
  for (int o = 1; o < 32; o <<= 1) all += __shfl_xor_sync(0xffffffff, all, o);
  unsigned b = __ballot_sync(0xffffffff, v > 0);
  if (lane == 0) {
    out[row] = s;
    votes[row * 3] = (int)b;
    votes[row * 3 + 1] = __popc(b);
  }
  int any = __any_sync(0xffffffff, v > 2.5f), every = __all_sync(0xffffffff, all == __shfl_sync(0xffffffff, all, 0));
  if (lane == 31) votes[row * 3 + 2] = any * 2 + every;
}
"""


def test_warp_shuffle_reduction_and_votes():
    x = rng.standard_normal((16, 32), dtype=np.float32)
    r = run(WARP_REDUCE, [x, np.zeros(16, np.float32), np.zeros(48, np.int32)], launch="grid=4 block=128")
    np.testing.assert_allclose(r.outputs[1], x.sum(axis=1), rtol=1e-5, atol=1e-5)
    votes = r.outputs[2].reshape(16, 3)
    bits = ((x > 0) * (1 << np.arange(32, dtype=np.uint64))).sum(axis=1).astype(np.uint32).view(np.int32)
    np.testing.assert_array_equal(votes[:, 0], bits)
    np.testing.assert_array_equal(votes[:, 1], (x > 0).sum(axis=1))
    np.testing.assert_array_equal(votes[:, 2], (x > 2.5).any(axis=1) * 2 + 1)


SHFL_MODES = """
__global__ void modes(int* out, int arg, int width) {
  int lane = threadIdx.x;
  int v = lane * 10;
  out[lane] = __shfl_sync(0xffffffff, v, arg, width);
  out[32 + lane] = __shfl_up_sync(0xffffffff, v, arg, width);
  out[64 + lane] = __shfl_down_sync(0xffffffff, v, arg, width);
  out[96 + lane] = __shfl_xor_sync(0xffffffff, v, arg, width);
}
"""


def shfl_model(arg, width):
    lane = np.arange(32)
    seg = lane & ~(width - 1)
    idx = seg + (arg & (width - 1))
    up = np.where(lane - seg >= arg, lane - arg, lane)
    down = np.where(lane - seg + arg < width, lane + arg, lane)
    x = lane ^ arg
    xor = np.where(x > seg + width - 1, lane, x)
    return np.concatenate([idx, up, down, xor]) * 10


@pytest.mark.parametrize("arg, width", [(3, 32), (5, 8), (1, 4), (12, 16), (31, 32)])
def test_shuffle_semantics_match_the_programming_guide(arg, width):
    out = run(SHFL_MODES, [np.zeros(128, np.int32), arg, width], launch="grid=1 block=32").outputs[0]
    np.testing.assert_array_equal(out, shfl_model(arg, width))


BARRIER_VARIANTS = """
__global__ void bv(const int* x, int* out) {
  int t = threadIdx.x;
  int c = __syncthreads_count(x[t] > 0);
  int a = __syncthreads_and(x[t] > -100);
  int o = __syncthreads_or(x[t] > 90);
  if (t == 0) { out[0] = c; out[1] = a; out[2] = o; }
}
"""


def test_syncthreads_count_and_or():
    x = rng.integers(-50, 95, 200).astype(np.int32)
    out = run(BARRIER_VARIANTS, [x, np.zeros(3, np.int32)], launch="grid=1 block=200").outputs[1]
    assert list(out) == [(x > 0).sum(), 1, int((x > 90).any())]


DYN_SHARED = """
extern __shared__ float smem[];
__global__ void rev(const float* x, float* y, int n) {
  extern __shared__ __align__(16) unsigned char raw[];
  float* buf = reinterpret_cast<float*>(raw);
  int t = threadIdx.x;
  buf[t] = x[blockIdx.x * n + t];
  __syncthreads();
  y[blockIdx.x * n + t] = smem[n - 1 - t];
}
"""


def test_dynamic_shared_memory():
    x = rng.standard_normal((3, 100), dtype=np.float32)
    y = run(DYN_SHARED, [x, np.zeros_like(x), 100], launch="grid=3 block=100 shmem=400").outputs[1]
    np.testing.assert_array_equal(y, x[:, ::-1])


TEMPLATE_TILED = """
#define M 256
#define N 256
#define K 256
template <int T>
__global__ void tiled(const float* A, const float* B, float* C) {
  __shared__ float As[T][T], Bs[T][T];
  int tx = threadIdx.x, ty = threadIdx.y, row = blockIdx.y * T + ty, col = blockIdx.x * T + tx;
  float acc = 0;
  for (int k0 = 0; k0 < K; k0 += T) {
    As[ty][tx] = A[row * K + k0 + tx];
    Bs[ty][tx] = B[(k0 + ty) * N + col];
    __syncthreads();
    for (int k = 0; k < T; ++k) acc += As[ty][k] * Bs[k][tx];
    __syncthreads();
  }
  C[row * N + col] = acc;
}
extern "C" void gemm(const float* A, const float* B, float* C) {
  float *a, *b, *c;
  cudaMalloc(&a, M * K * 4); cudaMalloc(&b, K * N * 4); cudaMalloc(&c, M * N * 4);
  cudaMemcpy(a, A, M * K * 4, cudaMemcpyHostToDevice);
  cudaMemcpy(b, B, K * N * 4, cudaMemcpyHostToDevice);
  tiled<16><<<dim3(N / 16, M / 16), dim3(16, 16)>>>(a, b, c);
  cudaMemcpy(C, c, M * N * 4, cudaMemcpyDeviceToHost);
  cudaFree(a); cudaFree(b); cudaFree(c);
}
"""


def test_shared_memory_tiled_gemm_256_is_fast():
    A, B = rng.standard_normal((256, 256), dtype=np.float32), rng.standard_normal((256, 256), dtype=np.float32)
    r = run(TEMPLATE_TILED, [A, B, np.zeros((256, 256), np.float32)])
    np.testing.assert_allclose(r.outputs[2], A @ B, rtol=1e-4, atol=1e-3)
    assert r.elapsed_s < 2.0, r.elapsed_s


WMMA_GEMM = """
#include <mma.h>
#include <cuda_fp16.h>
using namespace nvcuda;
#define M 256
#define N 256
#define K 256
__global__ void wmma_gemm(const half* A, const half* B, float* C) {
  int warp = threadIdx.x / 32;
  int tm = blockIdx.y * 2 + warp / 2, tn = blockIdx.x * 2 + warp % 2;
  wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
  wmma::fill_fragment(c, 0.0f);
  for (int k = 0; k < K; k += 16) {
    wmma::load_matrix_sync(a, A + tm * 16 * K + k, K);
    wmma::load_matrix_sync(b, B + k * N + tn * 16, N);
    wmma::mma_sync(c, a, b, c);
  }
  for (int i = 0; i < c.num_elements; ++i) c.x[i] *= 2.0f;
  wmma::store_matrix_sync(C + tm * 16 * N + tn * 16, c, N, wmma::mem_row_major);
}
"""


def test_wmma_gemm_256_matches_numpy():
    A = rng.standard_normal((256, 256)).astype(np.float16)
    B = rng.standard_normal((256, 256)).astype(np.float16)
    r = run(WMMA_GEMM, [A, B, np.zeros((256, 256), np.float32)], launch="grid=8,8 block=128")
    want = 2 * (A.astype(np.float64) @ B.astype(np.float64))
    np.testing.assert_allclose(r.outputs[2], want, rtol=1e-3, atol=1e-2)
    assert r.elapsed_s < 2.0, r.elapsed_s


WMMA_VARIANTS = """
using namespace nvcuda;
__global__ void variants(const half* A, const half* Bt, const float* C, float* D, const signed char* I8,
                         int* DI, const double* X, double* DX) {
  wmma::fragment<wmma::matrix_a, 32, 8, 16, half, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 32, 8, 16, half, wmma::col_major> b;
  wmma::fragment<wmma::accumulator, 32, 8, 16, float> c;
  wmma::load_matrix_sync(a, A, 16);
  wmma::load_matrix_sync(b, Bt, 16);
  wmma::load_matrix_sync(c, C, 32, wmma::mem_col_major);
  wmma::mma_sync(c, a, b, c);
  wmma::store_matrix_sync(D, c, 8, wmma::mem_row_major);
  wmma::fragment<wmma::matrix_a, 16, 16, 16, signed char, wmma::row_major> ia;
  wmma::fragment<wmma::matrix_b, 16, 16, 16, signed char, wmma::row_major> ib;
  wmma::fragment<wmma::accumulator, 16, 16, 16, int> ic;
  wmma::fill_fragment(ic, 7);
  wmma::load_matrix_sync(ia, I8, 16);
  wmma::load_matrix_sync(ib, I8 + 256, 16);
  wmma::mma_sync(ic, ia, ib, ic);
  wmma::store_matrix_sync(DI, ic, 16, wmma::mem_row_major);
  wmma::fragment<wmma::matrix_a, 8, 8, 4, double, wmma::row_major> da;
  wmma::fragment<wmma::matrix_b, 8, 8, 4, double, wmma::row_major> db;
  wmma::fragment<wmma::accumulator, 8, 8, 4, double> dc;
  wmma::fill_fragment(dc, 0.5);
  wmma::load_matrix_sync(da, X, 4);
  wmma::load_matrix_sync(db, X + 32, 8);
  wmma::mma_sync(dc, da, db, dc);
  wmma::store_matrix_sync(DX, dc, 8, wmma::mem_row_major);
}
"""


def test_wmma_shapes_layouts_and_types():
    A = rng.standard_normal((32, 16)).astype(np.float16)
    B = rng.standard_normal((16, 8)).astype(np.float16)
    C = rng.standard_normal((8, 32)).astype(np.float32)  # col-major 32x8 with ldm 32
    I8 = rng.integers(-128, 128, 512).astype(np.int8)
    X = rng.standard_normal(64)
    args = [A, np.ascontiguousarray(B.T), C, np.zeros((32, 8), np.float32), I8, np.zeros((16, 16), np.int32), X,
            np.zeros((8, 8))]
    r = run(WMMA_VARIANTS, args, launch="grid=1 block=32")
    want = A.astype(np.float64) @ B.astype(np.float64) + C.T
    np.testing.assert_allclose(r.outputs[3], want, rtol=1e-4, atol=1e-4)
    ia, ib = I8[:256].reshape(16, 16).astype(np.int64), I8[256:].reshape(16, 16).astype(np.int64)
    np.testing.assert_array_equal(r.outputs[5], ia @ ib + 7)
    np.testing.assert_allclose(r.outputs[7], X[:32].reshape(8, 4) @ X[32:].reshape(4, 8) + 0.5, rtol=1e-12)


# ---------------------------------------------------------------- faults
OOB = """
__global__ void oob(const float* a, float* c, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) c[i] = a[i + OFFSET];
}
"""


def test_out_of_bounds_global_read():
    a = np.zeros(1000, np.float32)
    e = fault(OOB.replace("OFFSET", "1"), [a, a.copy(), 1000], "out-of-bounds", "arg0",
              launch="grid=4 block=256")
    assert "kernel oob block (3,0,0) thread (231,0,0)" in str(e)


def test_out_of_bounds_global_write():
    src = "__global__ void w(float* c) { c[blockIdx.x * blockDim.x + threadIdx.x + 1] = 1.0f; }"
    fault(src, [np.zeros(1024, np.float32)], "out-of-bounds", "arg0", launch="grid=4 block=256")


VEC4_LOADS = """
__global__ void twice(const float* __restrict__ a, float* __restrict__ c, int n) {
  int t = blockIdx.x * blockDim.x + threadIdx.x;
  const float4* a4 = reinterpret_cast<const float4*>(a);
  if (t < n / 4) {
    float4 v = a4[t];
    reinterpret_cast<float4*>(c)[t] = make_float4(2 * v.x, 2 * v.y, 2 * v.z, 2 * v.w);
  }
  for (int i = n / 4 * 4 + t; i < n; i += gridDim.x * blockDim.x) c[i] = 2 * a[i];
}
"""


@pytest.mark.parametrize("n", [101, 1024])
def test_float4_loads_from_buffers_of_any_length(n):
    # device allocators hand out 256-byte aligned memory and vectorized kernels rely on it: a 404-byte buffer
    # must not start 4-aligned (a 16-byte load from it would fault on the CPU)
    a = rng.standard_normal(n).astype(np.float32)
    got = run(VEC4_LOADS, [a, np.zeros(n, np.float32), n], launch="grid=1 block=256").outputs[1]
    np.testing.assert_array_equal(got, 2 * a)


def test_float4_access_past_the_end_is_seen():
    # the last vector of a 101-float buffer reaches 3 floats into the alignment padding: a store there faults,
    # a load reads -1.7e38 (not a plausible number)
    src = VEC4_LOADS.replace("if (t < n / 4)", "if (t <= n / 4)")
    fault(src, [np.zeros(101, np.float32), np.zeros(101, np.float32), 101], "out-of-bounds",
          launch="grid=1 block=256")
    src = VEC4_LOADS.replace("if (t < n / 4)", "if (t <= n / 4)").replace("reinterpret_cast<float4*>(c)[t] = make_float4(2 * v.x, 2 * v.y, 2 * v.z, 2 * v.w);", "c[t] = v.x + v.y + v.z + v.w;")
    got = run(src, [np.ones(101, np.float32), np.zeros(101, np.float32), 101], launch="grid=1 block=256").outputs[1]
    assert got[24] == 4 and got[25] < -1e38


def test_barrier_divergence_with_exited_threads():
    src = """__global__ void k(float* x) {
      if (threadIdx.x >= 100) return;
      __syncthreads();
      x[threadIdx.x] = 1;
    }"""
    fault(src, [np.zeros(128, np.float32)], "barrier", "100 threads of the block wait", launch="grid=1 block=128")


def test_barrier_divergence_at_different_sites():
    src = """__global__ void k(float* x) {
      if (threadIdx.x % 2) { x[threadIdx.x] = 1; __syncthreads(); }
      else { __syncthreads(); x[threadIdx.x] = 2; }
    }"""
    fault(src, [np.zeros(64, np.float32)], "barrier", "different barriers", launch="grid=1 block=64")


def test_warp_collective_with_a_missing_lane():
    src = """__global__ void k(float* x) {
      float v = x[threadIdx.x];
      if (threadIdx.x % 32 < 16) v += __shfl_down_sync(0xffffffff, v, 1);
      __syncthreads();
      x[threadIdx.x] = v;
    }"""
    fault(src, [np.zeros(64, np.float32)], "collective", "lanes 0-15 arrived but lanes 16-31 never do",
          launch="grid=1 block=64")


def test_shuffle_from_an_exited_lane_is_poisoned_and_warned():
    src = """__global__ void k(float* x) {
      if (threadIdx.x >= 20) return;
      float v = x[threadIdx.x];
      for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffff, v, o);
      if (threadIdx.x == 0) x[0] = v;
    }"""
    r = run(src, [np.ones(32, np.float32)], launch="grid=1 block=32")
    assert np.isnan(r.outputs[0][0])
    assert any("reads lane 20" in w for w in r.warnings), r.warnings


def test_collective_in_plain_mode_is_unsupported():
    # the macro hides __syncthreads from the backend's scan, so the program is built in plain mode
    src = """#define SYNC(x) __sync##x()
    __global__ void k(float* x) { x[threadIdx.x] = 1; SYNC(threads); }"""
    fault(src, [np.zeros(32, np.float32)], "unsupported", "cooperative", launch="grid=1 block=32")


def test_static_shared_memory_over_capacity():
    src = """__global__ void big(float* x) {
      __shared__ float s[12289];
      s[threadIdx.x] = x[threadIdx.x];
      x[threadIdx.x] = s[threadIdx.x] * 2;
    }"""
    fault(src, [np.zeros(32, np.float32)], "capacity", "kernel big uses 49156 bytes", launch="grid=1 block=32")


def test_shared_memory_of_two_kernels_counts_separately():
    src = """__global__ void a(float* x) { __shared__ float s[8192]; s[threadIdx.x] = 1; x[threadIdx.x] = s[0]; }
    __global__ void b(float* x) { __shared__ float t[8192]; t[threadIdx.x] = 2; x[threadIdx.x] += t[0]; }
    extern "C" void both(float* x) {
      float* d; cudaMalloc(&d, 128); a<<<1, 32>>>(d); b<<<1, 32>>>(d);
      cudaMemcpy(x, d, 128, cudaMemcpyDeviceToHost); cudaFree(d);
    }"""
    np.testing.assert_array_equal(run(src, [np.zeros(32, np.float32)]).outputs[0], 3)


def test_dynamic_shared_memory_needs_opt_in_above_48k():
    src = """__global__ void k(float* x) { extern __shared__ float s[]; s[threadIdx.x] = 1; x[threadIdx.x] = s[0]; }
    extern "C" void f(float* x, int optin) {
      float* d; cudaMalloc(&d, 128);
      if (optin) cudaFuncSetAttribute(k, cudaFuncAttributeMaxDynamicSharedMemorySize, 65536);
      k<<<1, 32, 65536>>>(d);
      cudaMemcpy(x, d, 128, cudaMemcpyDeviceToHost); cudaFree(d);
    }"""
    fault(src, [np.zeros(32, np.float32), 0], "capacity", "cudaFuncSetAttribute")
    np.testing.assert_array_equal(run(src, [np.zeros(32, np.float32), 1]).outputs[0], 1)


def test_dynamic_shared_memory_overflow():
    src = """__global__ void k(float* x) { extern __shared__ float s[]; s[threadIdx.x + 1] = 1; x[0] = s[1]; }"""
    fault(src, [np.zeros(1, np.float32)], "out-of-bounds", "dynamic shared memory",
          launch="grid=1 block=256 shmem=1024")


def test_launch_above_launch_bounds():
    src = "__global__ void __launch_bounds__(128) k(float* x) { x[threadIdx.x] = 1; }"
    fault(src, [np.zeros(256, np.float32)], "launch", "__launch_bounds__(128)", launch="grid=1 block=256")
    run(src, [np.zeros(256, np.float32)], launch="grid=2 block=128")


def test_launch_above_1024_threads():
    src = "__global__ void k(float* x) { x[threadIdx.x] = 1; }"
    fault(src, [np.zeros(2048, np.float32)], "launch", "more than 1024 threads", launch="grid=1 block=2048")
    fault(src, [np.zeros(2048, np.float32)], "launch", "blockDim.z", launch="grid=1 block=1,1,128")


def test_memcpy_in_the_wrong_direction():
    src = """extern "C" void f(float* host) {
      float* d; cudaMalloc(&d, 64 * sizeof(float));
      cudaMemcpy(d, host, 64 * sizeof(float), cudaMemcpyDeviceToHost);
    }"""
    fault(src, [np.zeros(64, np.float32)], "memory-space", "device memory (from cudaMalloc)")


def test_memcpy_past_the_end_of_a_device_buffer():
    src = """extern "C" void f(float* host) {
      float* d; cudaMalloc(&d, 32 * sizeof(float));
      cudaMemcpy(d, host, 64 * sizeof(float), cudaMemcpyHostToDevice);
    }"""
    fault(src, [np.zeros(64, np.float32)], "out-of-bounds", "overrun")


def test_host_pointer_passed_to_a_kernel():
    src = """__global__ void k(float* x) { x[threadIdx.x] = 1; }
    extern "C" void f(float* out) {
      float* h = (float*)malloc(128);
      k<<<1, 32>>>(h);
      memcpy(out, h, 128);
    }"""
    fault(src, [np.zeros(32, np.float32)], "memory-space", "not device memory")


def test_misaligned_wmma_pointer():
    src = """__global__ void k(const half* A, float* C) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
      wmma::load_matrix_sync(a, A + 8, 16);
    }"""
    fault(src, [np.zeros(512, np.float16), np.zeros(1, np.float32)], "alignment", "32-byte",
          launch="grid=1 block=32")


def test_wmma_bad_ldm():
    src = """__global__ void k(const half* A, float* C) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
      wmma::load_matrix_sync(a, A, 20);
    }"""
    fault(src, [np.zeros(512, np.float16), np.zeros(1, np.float32)], "alignment", "multiple of 8",
          launch="grid=1 block=32")


def test_wmma_from_a_partial_warp():
    src = """__global__ void k(float* C) {
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
      wmma::fill_fragment(c, 1.0f);
      wmma::store_matrix_sync(C, c, 16, wmma::mem_row_major);
    }"""
    fault(src, [np.zeros(256, np.float32)], "collective", "needs all 32 lanes", launch="grid=1 block=16")


def test_stack_overflow_in_a_cooperative_thread():
    src = """__global__ void k(float* x) {
      volatile float big[40000];
      big[threadIdx.x] = 1;
      __syncthreads();
      x[threadIdx.x] = big[threadIdx.x];
    }"""
    fault(src, [np.zeros(32, np.float32)], "out-of-bounds", "stack overflow", launch="grid=1 block=32")


COOP_GROUPS = """
#include <cooperative_groups.h>
#include <cooperative_groups/reduce.h>
namespace cg = cooperative_groups;
__global__ void cgk(const float* x, float* out, int* ranks) {
  cg::thread_block block = cg::this_thread_block();
  cg::thread_block_tile<16> tile = cg::tiled_partition<16>(block);
  float v = x[block.thread_rank()];
  float s = cg::reduce(tile, v, cg::plus<float>());
  float m = cg::reduce(tile, v, cg::greater<float>());
  block.sync();
  if (tile.thread_rank() == 0) { out[2 * tile.meta_group_rank()] = s; out[2 * tile.meta_group_rank() + 1] = m; }
  ranks[block.thread_rank()] = tile.shfl_down((int)tile.thread_rank(), 1) + 100 * (int)tile.any(v > 1.5f);
}
"""


def test_cooperative_groups_tiles_and_reduce():
    x = rng.standard_normal(64, dtype=np.float32)
    r = run(COOP_GROUPS, [x, np.zeros(8, np.float32), np.zeros(64, np.int32)], launch="grid=1 block=64")
    t = x.reshape(4, 16)
    np.testing.assert_allclose(r.outputs[1][0::2], t.sum(axis=1), rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(r.outputs[1][1::2], t.max(axis=1))
    rank = np.arange(64) % 16
    want = np.where(rank < 15, rank + 1, rank) + 100 * np.repeat((t > 1.5).any(axis=1), 16)
    np.testing.assert_array_equal(r.outputs[2], want)


WMMA_TF32_BF16 = """
#include <mma.h>
#include <cuda_bf16.h>
using namespace nvcuda;
__global__ void tf(const float* A, const float* B, float* C, const __nv_bfloat16* X, const __nv_bfloat16* Y,
                   float* Z) {
  wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> a;
  wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::row_major> b;
  wmma::fragment<wmma::accumulator, 16, 16, 8, float> c;
  wmma::fill_fragment(c, 0.0f);
  wmma::load_matrix_sync(a, A, 8);
  wmma::load_matrix_sync(b, B, 16);
  for (int i = 0; i < a.num_elements; ++i) a.x[i] = wmma::__float_to_tf32(a.x[i]);
  for (int i = 0; i < b.num_elements; ++i) b.x[i] = wmma::__float_to_tf32(b.x[i]);
  wmma::mma_sync(c, a, b, c);
  wmma::store_matrix_sync(C, c, 16, wmma::mem_row_major);
  wmma::fragment<wmma::matrix_a, 8, 32, 16, __nv_bfloat16, wmma::row_major> x;
  wmma::fragment<wmma::matrix_b, 8, 32, 16, __nv_bfloat16, wmma::row_major> y;
  wmma::fragment<wmma::accumulator, 8, 32, 16, float> z;
  wmma::fill_fragment(z, 1.0f);
  wmma::load_matrix_sync(x, X, 16);
  wmma::load_matrix_sync(y, Y, 32);
  wmma::mma_sync(z, x, y, z);
  wmma::store_matrix_sync(Z, z, 8, wmma::mem_col_major);
}
"""


def tf32(x):
    """Round to 10 mantissa bits, ties away from zero (cvt.rna.tf32.f32)."""
    u = x.astype(np.float32).view(np.uint32)
    return ((u + np.uint32(0x1000)) & np.uint32(0xFFFFE000)).view(np.float32).astype(np.float64)


def test_wmma_tf32_and_bf16():
    A, B = rng.standard_normal((16, 8), dtype=np.float32), rng.standard_normal((8, 16), dtype=np.float32)
    X = (rng.integers(-64, 64, (8, 16)) / 16).astype(np.float32)  # exact in bfloat16
    Y = (rng.integers(-64, 64, (16, 32)) / 16).astype(np.float32)
    bits = (X.view(np.uint32) >> 16).astype(np.uint16), (Y.view(np.uint32) >> 16).astype(np.uint16)  # bf16 bits
    args = [A, B, np.zeros((16, 16), np.float32), *bits, np.zeros((32, 8), np.float32)]
    r = run(WMMA_TF32_BF16, args, launch="grid=1 block=32")
    np.testing.assert_allclose(r.outputs[2], tf32(A) @ tf32(B), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(r.outputs[5], (X.astype(np.float64) @ Y + 1).T, rtol=1e-6)


def test_kernels_in_namespaces_and_static_kernels():
    src = """namespace ops {
    template <typename T> __global__ void fill(T* x, T v) { __shared__ T s; s = v; x[threadIdx.x] = s; }
    static __global__ void twice(float* x) { x[threadIdx.x] *= 2; }
    }
    extern "C" void run(float* out) {
      float* d; cudaMalloc(&d, 32 * sizeof(float));
      ops::fill<float><<<1, 32>>>(d, 1.5f);
      ops::twice<<<1, 32>>>(d);
      cudaMemcpy(out, d, 32 * sizeof(float), cudaMemcpyDeviceToHost);
      cudaFree(d);
    }"""
    np.testing.assert_array_equal(run(src, [np.zeros(32, np.float32)]).outputs[0], 3.0)


def test_a_thread_group_of_any_kind_syncs_and_ranks():
    # helpers that take `const cg::thread_group&` get the block or a tile (cuda-samples' CudaMath.h)
    src = """#include <cstdio>
#include <cooperative_groups.h>
namespace cg = cooperative_groups;
__device__ float group_sum(const cg::thread_group& g, float* s, float v) {
  s[g.thread_rank()] = v; g.sync();
  for (int o = g.size() / 2; o > 0; o /= 2) { if (g.thread_rank() < o) s[g.thread_rank()] += s[g.thread_rank() + o]; g.sync(); }
  return s[0];
}
__global__ void k(const float* x, float* out) {
  __shared__ float s[128];
  __shared__ float t[128];
  cg::thread_block b = cg::this_thread_block();
  float all = group_sum(b, s, x[threadIdx.x]);
  cg::thread_group tile = cg::tiled_partition(b, 16);
  float part = group_sum(tile, t + threadIdx.x / 16 * 16, x[threadIdx.x]);
  if (threadIdx.x == 0) out[0] = all;
  if (threadIdx.x == 16) out[1] = part;
}
int main() {
  float h[128]; for (int i = 0; i < 128; ++i) h[i] = i;
  float *d, *o; cudaMalloc(&d, sizeof h); cudaMalloc(&o, 8); cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice);
  k<<<1, 128>>>(d, o); float r[2]; cudaMemcpy(r, o, 8, cudaMemcpyDeviceToHost); printf("%g %g\\n", r[0], r[1]);
  return 0;
}
"""
    from xpiler.exec import run_kernel

    assert run_kernel(src, "cuda", args=[]).stdout.startswith("8128 376\n")  # 16 + ... + 31 = 376
