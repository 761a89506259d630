"""The HIP executor: wave64 semantics, the host API, and the MFMA builtins checked against an independent
numpy model of the lane layouts in shared/reference/hip_mfma.md (2.2)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from xpiler import CompileError, RuntimeFault, run_kernel

pytestmark = pytest.mark.skipif(not (shutil.which("clang++-15") or shutil.which("clang++")), reason="needs clang")
rng = np.random.default_rng(1)


def run(src, args, **kw):
    return run_kernel(src, "hip", args=args, filename="k.hip", **kw)


def fault(src, args, kind, match=None, **kw):
    with pytest.raises(RuntimeFault) as e:
        run(src, args, **kw)
    assert e.value.kind == kind, str(e.value)
    if match:
        assert match in str(e.value), str(e.value)


HOST = """
#include <hip/hip_runtime.h>
#define N 777
__global__ void scale(const float* x, float* y, float s) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < N) y[i] = x[i] * s;
}
extern "C" void run(const float* x, float* y) {
  float *dx, *dy;
  hipMalloc(&dx, N * sizeof(float)); hipMalloc(&dy, N * sizeof(float));
  hipMemcpy(dx, x, N * sizeof(float), hipMemcpyHostToDevice);
  hipLaunchKernelGGL(scale, dim3((N + 255) / 256), dim3(256), 0, 0, dx, dy, 2.0f);
  scale<<<(N + 127) / 128, 128>>>(dy, dy, 0.5f);
  hipDeviceSynchronize();
  hipMemcpy(y, dy, N * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dx); hipFree(dy);
}
"""


def test_host_api_and_both_launch_spellings():
    x = rng.standard_normal(777, dtype=np.float32)
    np.testing.assert_array_equal(run(HOST, [x, np.zeros_like(x)]).outputs[1], x)


WAVE = """
__global__ void wave(const float* x, float* sums, unsigned long long* ballots, int* sizes) {
  int lane = threadIdx.x % warpSize, w = threadIdx.x / warpSize;
  float v = x[threadIdx.x];
  for (int o = warpSize / 2; o > 0; o >>= 1) v += __shfl_down(v, o);
  unsigned long long b = __ballot(x[threadIdx.x] > 0);
  if (lane == 0) { sums[w] = v; ballots[w] = b; }
  if (threadIdx.x == 0) { sizes[0] = warpSize; sizes[1] = __lane_id(); sizes[2] = __all(1) + __any(lane == 63); }
}
"""


def test_wavefront_is_64_lanes():
    x = rng.standard_normal(128, dtype=np.float32)
    r = run(WAVE, [x, np.zeros(2, np.float32), np.zeros(2, np.uint64), np.zeros(3, np.int32)],
            launch="grid=1 block=128")
    np.testing.assert_allclose(r.outputs[1], x.reshape(2, 64).sum(axis=1), rtol=1e-5, atol=1e-5)
    bits = [sum(1 << i for i in range(64) if x[64 * w + i] > 0) for w in range(2)]
    assert [int(v) for v in r.outputs[2]] == bits
    assert list(r.outputs[3]) == [64, 0, 1]  # only lane 0 executes the votes: __any(lane == 63) is 0


DIVERGENT = """
__global__ void diverge(float* x) {
  float v = x[threadIdx.x];
  if (threadIdx.x < 32) v = __shfl_down(v, 1);  // lanes 0..31 are the active ones here
  else v = __shfl_up(v, 1);
  __syncthreads();
  x[threadIdx.x] = v;
}
"""


def test_maskless_collectives_use_the_lanes_that_reach_them():
    x = np.arange(64, dtype=np.float32)
    r = run(DIVERGENT, [x.copy()], launch="grid=1 block=64")
    out = r.outputs[0]
    np.testing.assert_array_equal(out[:31], x[1:32])
    np.testing.assert_array_equal(out[33:], x[32:63])
    assert np.isnan(out[31]) and np.isnan(out[32])  # read a lane of the other branch: undefined
    assert any("does not take part" in w for w in r.warnings)


SYNC_FORMS = """
__global__ void k(const float* x, unsigned long long* out) {
  float v = x[threadIdx.x];
  for (int o = 32; o > 0; o >>= 1) v += __shfl_xor_sync(~0ull, v, o);
  unsigned long long b = 0;
  if (threadIdx.x < 32) b = __ballot_sync(0xffffffffull, x[threadIdx.x] > 0);  // lanes 0..31 only
  if (threadIdx.x == 0) { out[0] = b; out[1] = (unsigned long long)v; }
}
"""


def test_sync_forms_with_64_bit_masks():  # ROCm 6.2+
    x = rng.integers(0, 5, 64).astype(np.float32)
    r = run(SYNC_FORMS, [x, np.zeros(2, np.uint64)], launch="grid=1 block=64")
    assert int(r.outputs[1][0]) == sum(1 << i for i in range(32) if x[i] > 0)
    assert int(r.outputs[1][1]) == int(x.sum())


def test_sync_shuffles_need_a_64_bit_mask():
    src = "__global__ void k(float* x) { x[threadIdx.x] = __shfl_sync(0xffffffff, x[threadIdx.x], 0); }"
    with pytest.raises(CompileError) as e:
        run(src, [np.zeros(64, np.float32)], launch="grid=1 block=64")
    assert "64-bit" in e.value.log


VEC_KERNEL = """
__global__ void vec(const float* a, float* b) {
  int i = threadIdx.x;
  float4 x = ((const float4*)a)[i];
  float4 v = x * 2.0f + make_float4(1, 2, 3, 4);
  v -= x;
  ((float4*)b)[i] = -v;
}
"""


def test_vector_types_have_operators():
    a = rng.standard_normal((8, 4), dtype=np.float32)
    out = run(VEC_KERNEL, [a, np.zeros_like(a)], launch="grid=1 block=8").outputs[1]
    np.testing.assert_allclose(out, -(a + np.array([1, 2, 3, 4], np.float32)), rtol=1e-6)


GEMM = """
#define M 256
#define N 256
#define K 256
typedef float floatx4 __attribute__((ext_vector_type(4)));
__global__ void __launch_bounds__(64) gemm(const float* A, const float* B, float* C) {
  int tx = threadIdx.x, ty = threadIdx.y;
  int m0 = blockIdx.y * 16, n0 = blockIdx.x * 16;
  floatx4 acc = {0, 0, 0, 0};
  for (int k0 = 0; k0 < K; k0 += 4) {
    float a = A[(m0 + tx) * K + k0 + ty];
    float b = B[(k0 + ty) * N + n0 + tx];
    acc = __builtin_amdgcn_mfma_f32_16x16x4f32(a, b, acc, 0, 0, 0);
  }
  for (int r = 0; r < 4; ++r) C[(m0 + 4 * ty + r) * N + n0 + tx] = acc[r];
}
"""


def test_mfma_gemm_256_matches_numpy():
    A, B = rng.standard_normal((256, 256), dtype=np.float32), rng.standard_normal((256, 256), dtype=np.float32)
    r = run(GEMM, [A, B, np.zeros((256, 256), np.float32)], launch="grid=16,16 block=16,4")
    np.testing.assert_allclose(r.outputs[2], A.astype(np.float64) @ B, rtol=1e-4, atol=1e-3)
    assert r.elapsed_s < 3.0, r.elapsed_s


# ---------------------------------------------------------------- MFMA lane layouts
# (name, input kind, M, N, K, blocks, items per lane (A/B), outputs per lane, D layout)
MFMA = [
    ("f32_32x32x1f32", "f32", 32, 32, 1, 2, 1, 32, "m32"),
    ("f32_16x16x1f32", "f32", 16, 16, 1, 4, 1, 16, "m16"),
    ("f32_4x4x1f32", "f32", 4, 4, 1, 16, 1, 4, "m4"),
    ("f32_32x32x2f32", "f32", 32, 32, 2, 1, 1, 16, "s32"),
    ("f32_16x16x4f32", "f32", 16, 16, 4, 1, 1, 4, "s16"),
    ("f32_32x32x4f16", "f16", 32, 32, 4, 2, 4, 32, "m32"),
    ("f32_16x16x4f16", "f16", 16, 16, 4, 4, 4, 16, "m16"),
    ("f32_4x4x4f16", "f16", 4, 4, 4, 16, 4, 4, "m4"),
    ("f32_32x32x8f16", "f16", 32, 32, 8, 1, 4, 16, "s32"),
    ("f32_16x16x16f16", "f16", 16, 16, 16, 1, 4, 4, "s16"),
    ("i32_32x32x8i8", "i8", 32, 32, 8, 1, 4, 16, "s32"),
    ("i32_16x16x16i8", "i8", 16, 16, 16, 1, 4, 4, "s16"),
    ("f32_32x32x4bf16", "bf16x2", 32, 32, 4, 1, 2, 16, "s32"),
    ("f32_16x16x8bf16", "bf16x2", 16, 16, 8, 1, 2, 4, "s16"),
    ("f32_32x32x8bf16_1k", "bf16", 32, 32, 8, 1, 4, 16, "s32"),
    ("f32_16x16x16bf16_1k", "bf16", 16, 16, 16, 1, 4, 4, "s16"),
    ("f64_16x16x4f64", "f64", 16, 16, 4, 1, 1, 4, "f64"),
]


def d_pos(layout, lane, r):
    """(block, i, j) of output item r of `lane`, straight from the reference tables."""
    if layout == "s16":
        return 0, 4 * (lane // 16) + r, lane % 16
    if layout == "s32":
        return 0, 8 * (r // 4) + 4 * (lane // 32) + r % 4, lane % 32
    if layout == "f64":
        return 0, 4 * r + lane // 16, lane % 16
    if layout == "m32":
        return r // 16, 8 * ((r % 16) // 4) + 4 * (lane // 32) + r % 4, lane % 32
    if layout == "m16":
        return r // 4, 4 * (lane // 16) + r % 4, lane % 16
    return lane // 4, r, lane % 4  # m4


def ab_pos(M, blocks, kpl, lane, r):
    """(block, row-or-column, k) of A item r (B: swap the roles) of `lane`."""
    g = lane // M
    return (0, lane % M, kpl * g + r) if blocks == 1 else (g, lane % M, r)


TYPES = {  # input kind: (kernel element type, vector type, numpy dtype of the argument)
    "f32": ("float", "float", np.float32),
    "f16": ("_Float16", "_Float16 __attribute__((ext_vector_type(4)))", np.float16),
    "bf16": ("short", "short __attribute__((ext_vector_type(4)))", np.int16),
    "bf16x2": ("short", "short __attribute__((ext_vector_type(2)))", np.int16),
    "i8": ("signed char", "int", np.int8),
    "f64": ("double", "double", np.float64),
}


def mfma_kernel(name, kind, kpl, nout, cbsz=0, abid=0, blgp=0):
    elem, vec, _ = TYPES[kind]
    out = "double" if kind == "f64" else "int" if kind == "i8" else "float"
    if kind in ("f32", "f64"):
        load = "AV av = a[l], bv = b[l];"
    elif kind == "i8":
        load = ("AV av = 0, bv = 0;\n  for (int r = 0; r < 4; ++r) { av |= (int)(unsigned char)a[l * 4 + r] << (8 * r);"
                " bv |= (int)(unsigned char)b[l * 4 + r] << (8 * r); }")
    else:
        load = (f"AV av, bv;\n  for (int r = 0; r < {kpl}; ++r) "
                f"{{ av[r] = a[l * {kpl} + r]; bv[r] = b[l * {kpl} + r]; }}")
    return f"""
typedef {vec} AV;
typedef {out} CV __attribute__((ext_vector_type({nout})));
__global__ void k(const {elem}* a, const {elem}* b, const {out}* c, {out}* d) {{
  int l = threadIdx.x;
  {load}
  CV cv;
  for (int r = 0; r < {nout}; ++r) cv[r] = c[l * {nout} + r];
  CV dv = __builtin_amdgcn_mfma_{name}(av, bv, cv, {cbsz}, {abid}, {blgp});
  for (int r = 0; r < {nout}; ++r) d[l * {nout} + r] = dv[r];
}}
"""


def bf16_bits(x):
    return (np.asarray(x, np.float32).view(np.uint32) >> 16).astype(np.uint16).view(np.int16)


def mfma_case(name, kind, M, N, K, blocks, kpl, nout, layout, cbsz=0, abid=0, blgp=0):
    if kind == "i8":
        A = rng.integers(-128, 128, (blocks, M, K)).astype(np.float64)
        B = rng.integers(-128, 128, (blocks, K, N)).astype(np.float64)
        C = rng.integers(-1000, 1000, (blocks, M, N)).astype(np.float64)
    else:
        A, B, C = rng.standard_normal((blocks, M, K)), rng.standard_normal((blocks, K, N)), rng.standard_normal(
            (blocks, M, N))
        if kind == "f16":
            A, B = A.astype(np.float16).astype(np.float64), B.astype(np.float16).astype(np.float64)
        if kind.startswith("bf16"):  # values exactly representable in bfloat16
            A, B = np.round(A * 8) / 8, np.round(B * 8) / 8
    la = np.zeros((64, kpl)), np.zeros((64, kpl))
    lc = np.zeros((64, nout))
    for lane in range(64):
        for r in range(kpl):
            b, i, k = ab_pos(M, blocks, kpl, lane, r)
            la[0][lane, r] = A[b, i, k]
            b, j, k = ab_pos(N, blocks, kpl, lane, r)
            la[1][lane, r] = B[b, k, j]
        for r in range(nout):
            b, i, j = d_pos(layout, lane, r)
            lc[lane, r] = C[b, i, j]
    # the model of cbsz/abid (A block broadcast) and blgp (B lane swizzle), from the reference 2.3
    Aeff = np.stack([A[(b >> cbsz << cbsz) + abid] for b in range(blocks)])
    lb = la[1]
    if blgp:
        src = [{1: l % 32, 2: l + 32 if l < 32 else l, 3: (l + 16) % 64, 4: l % 16, 5: 16 + l % 16,
                6: 32 + l % 16, 7: 48 + l % 16}[blgp] for l in range(64)]
        lb = lb[src]
        Beff = np.zeros_like(B)
        for lane in range(64):
            for r in range(kpl):
                b, j, k = ab_pos(N, blocks, kpl, lane, r)
                Beff[b, k, j] = lb[lane, r]
    else:
        Beff = B
    D = Aeff @ Beff + C
    want = np.array([[D[d_pos(layout, lane, r)] for r in range(nout)] for lane in range(64)])
    _, _, dt = TYPES[kind]
    conv = bf16_bits if kind.startswith("bf16") else lambda x: x.astype(dt)
    out_dt = np.float64 if kind == "f64" else np.int32 if kind == "i8" else np.float32
    args = [conv(la[0]).ravel(), conv(la[1]).ravel(), lc.astype(out_dt).ravel(), np.zeros(64 * nout, out_dt)]
    r = run(mfma_kernel(name, kind, kpl, nout, cbsz, abid, blgp), args, launch="grid=1 block=64")
    got = r.outputs[3].reshape(64, nout)
    if kind == "i8":
        np.testing.assert_array_equal(got, want.astype(np.int64).astype(np.int32))
    else:
        np.testing.assert_allclose(got, want, rtol=1e-5 if kind != "f64" else 1e-12, atol=1e-4)


@pytest.mark.parametrize("case", MFMA, ids=[c[0] for c in MFMA])
def test_mfma_lane_layout(case):
    mfma_case(*case)


def test_mfma_cbsz_abid_and_blgp():
    mfma_case("f32_16x16x1f32", "f32", 16, 16, 1, 4, 1, 16, "m16", cbsz=1, abid=1)
    mfma_case("f32_16x16x4f32", "f32", 16, 16, 4, 1, 1, 4, "s16", blgp=3)


def test_mfma_unsupported_modifiers_fault():
    src = mfma_kernel("f32_16x16x16f16", "f16", 4, 4, cbsz=1)
    args = [np.zeros(256, np.float16), np.zeros(256, np.float16), np.zeros(256, np.float32), np.zeros(256, np.float32)]
    fault(src, args, "unsupported", "multi-block", launch="grid=1 block=64")


def test_mfma_from_a_partial_wave():
    src = mfma_kernel("f32_16x16x4f32", "f32", 1, 4)
    args = [np.zeros(64, np.float32), np.zeros(64, np.float32), np.zeros(256, np.float32), np.zeros(256, np.float32)]
    fault(src, args, "collective", "needs all 64 lanes", launch="grid=1 block=32")


def test_mfma_with_an_exited_lane():
    src = mfma_kernel("f32_16x16x4f32", "f32", 1, 4)
    src = src.replace("int l = threadIdx.x;", "int l = threadIdx.x;\n  if (l == 5) return;")
    args = [np.zeros(64, np.float32), np.zeros(64, np.float32), np.zeros(256, np.float32), np.zeros(256, np.float32)]
    fault(src, args, "collective", "lanes 5 have exited", launch="grid=1 block=64")


def test_lds_capacity_is_64k():
    ok = "__global__ void k(float* x) { __shared__ float s[16384]; s[threadIdx.x] = 1; x[threadIdx.x] = s[0]; }"
    run(ok, [np.zeros(64, np.float32)], launch="grid=1 block=64")
    fault(ok.replace("16384", "16400"), [np.zeros(64, np.float32)], "capacity", "HIP limit is 65536",
          launch="grid=1 block=64")


def test_memcpy_wrong_direction():
    src = """extern "C" void f(float* x) {
      float* d; hipMalloc(&d, 256);
      hipMemcpy(x, d, 256, hipMemcpyHostToDevice);
    }"""
    fault(src, [np.zeros(64, np.float32)], "memory-space", "device memory (from hipMalloc)")


PROGRAM = """#include <hip/hip_runtime.h>
#include <cstdio>
__global__ void fill(float* y, float v) { y[blockIdx.x * blockDim.x + threadIdx.x] = v * threadIdx.x; }
int main(int argc, char** argv) {
  float* d = nullptr;
  if (hipMalloc(&d, 256 * sizeof(float)) != hipSuccess) return 1;
  hipLaunchKernelGGL(fill, dim3(2), dim3(128), 0, 0, d, 0.5f);
  float h[256];
  hipMemcpy(h, d, sizeof h, hipMemcpyDeviceToHost);
  hipFree(d);
  printf("%s %g %g\\n", argc == 1 ? "ok" : "argc?", h[3], h[255]);
  return h[255] == 63.5f ? 0 : 2;
}
"""


def test_a_whole_program_runs_with_its_own_main():
    # main is the entry: it takes no arguments from the harness; what it prints and returns is its result
    res = run_kernel(PROGRAM, "hip", args=[], entry="main")
    assert res.stdout == "ok 1.5 63.5\n[xpiler] main returned 0\n"


def test_a_program_that_ends_with_exit_reports_its_status():
    src = PROGRAM.replace("  return h[255] == 63.5f ? 0 : 2;", "  exit(h[255] == 63.5f ? 7 : 2);").replace(
        "#include <cstdio>", "#include <cstdio>\n#include <cstdlib>")
    res = run_kernel(src, "hip", args=[], entry="main")
    assert res.stdout == "ok 1.5 63.5\n[xpiler] main returned 7\n"
