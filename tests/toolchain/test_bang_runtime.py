"""The BANG (MLU) executor: kernels compiled natively with backends/bang/runtime, compared with numpy, and the
faults the manual's rules imply (wrong memory space, copy direction, capacity, bounds, alignment in strict
mode, cycle counts, Union launch shape, barriers)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from xpiler import RuntimeFault, run_kernel

pytestmark = pytest.mark.skipif(
    not (shutil.which("clang++-15") or shutil.which("clang++") or shutil.which("g++")), reason="no C++ compiler"
)

U4 = "tasks=16 clusters=4 cores=4"


def run(src, args, launch=U4, **kw):
    return run_kernel(src, "bang", args=args, launch=launch, filename="k.mlu", **kw)


def fault(src, args, launch=U4, kind=None, match=None):
    with pytest.raises(RuntimeFault) as e:
        run(src, args, launch)
    if kind:
        assert e.value.kind == kind, str(e.value)
    if match:
        assert match in str(e.value), str(e.value)
    return str(e.value)


def rnd(*shape, seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- element-wise over tasks
VADD = r"""
#define N NN
#define TILE 64
__nram__ float ta[TILE];
__nram__ float tb[TILE];
extern "C" __mlu_global__ void vadd(float* a, float* b, float* c) {
  int per = (N + taskDim - 1) / taskDim;
  int lo = taskId * per, hi = lo + per < N ? lo + per : N;
  for (int i = lo; i < hi; i += TILE) {
    int n = hi - i < TILE ? hi - i : TILE;
    __memcpy(ta, a + i, n * sizeof(float), GDRAM2NRAM);
    __memcpy(tb, b + i, n * sizeof(float), GDRAM2NRAM);
    __bang_add(ta, ta, tb, n);
    __memcpy(c + i, ta, n * sizeof(float), NRAM2GDRAM);
  }
}
"""


@pytest.mark.parametrize("n", [1000, 4133])
def test_vector_add_over_16_tasks(n):
    a, b = rnd(n), rnd(n, seed=1)
    r = run(VADD.replace("NN", str(n)), [a, b, np.zeros(n, np.float32)])
    np.testing.assert_array_equal(r.outputs[2], a + b)
    # counts such as 63 floats are legal on MLU3xx: a warning (once per rule), not a fault
    assert any("not a multiple of 128" in w for w in r.warnings)


def test_task_builtins_union_and_block():
    src = r"""
extern "C" __mlu_global__ void ids(int* out) {
  int* o = out + taskId * 8;
  o[0] = taskId; o[1] = taskDim; o[2] = clusterId; o[3] = clusterDim; o[4] = coreId; o[5] = coreDim;
  o[6] = taskIdX; o[7] = taskIdY;
}
"""
    out = run(src, [np.zeros(32 * 8, np.int32)], "tasks=32 clusters=2 cores=4").outputs[0].reshape(32, 8)
    t = np.arange(32)
    np.testing.assert_array_equal(out[:, 0], t)
    assert (out[:, 1] == 32).all() and (out[:, 3] == 2).all() and (out[:, 5] == 4).all()
    np.testing.assert_array_equal(out[:, 2], (t // 4) % 2)  # clusterId is relative to the union
    np.testing.assert_array_equal(out[:, 4], t % 4)
    blk = run(src, [np.zeros(8 * 8, np.int32)], "dim=4,2,1").outputs[0].reshape(8, 8)
    assert (blk[:, 3] == 0).all()  # Block launch: clusterDim 0
    np.testing.assert_array_equal(blk[:, 6], np.arange(8) % 4)
    np.testing.assert_array_equal(blk[:, 7], np.arange(8) // 4)


def test_scalar_cycle_and_unary_ops():
    src = r"""
#define N 96
__nram__ float x[N];
__nram__ float y[N];
__nram__ float s[32];
extern "C" __mlu_global__ void k(float* in, float* seg, float* o1, float* o2, float* o3, float* o4) {
  if (taskId) return;
  __memcpy(x, in, N * 4, GDRAM2NRAM);
  __memcpy(s, seg, 32 * 4, GDRAM2NRAM);
  __bang_mul_scalar(y, x, 3.0f, N);
  __bang_add_const(y, y, 1.0, N);
  __memcpy(o1, y, N * 4, NRAM2GDRAM);
  __bang_cycle_sub(y, x, s, N, 32);
  __memcpy(o2, y, N * 4, NRAM2GDRAM);
  __bang_active_sigmoid(y, x, N);
  __memcpy(o3, y, N * 4, NRAM2GDRAM);
  __bang_div(y, x, 4, N);
  __bang_active_sign(y + 1, y + 1, N - 1);
  __memcpy(o4, y, N * 4, NRAM2GDRAM);
}
"""
    x, seg = rnd(96), rnd(32, seed=2)
    x[5] = 0.0
    outs = run(src, [x, seg] + [np.zeros(96, np.float32) for _ in range(4)], "tasks=1").outputs
    np.testing.assert_allclose(outs[2], x * 3 + 1, rtol=1e-6)
    np.testing.assert_array_equal(outs[3], x - np.tile(seg, 3))
    np.testing.assert_allclose(outs[4], 1 / (1 + np.exp(-x)), rtol=1e-6)
    assert outs[5][0] == np.float32(x[0] / 4)
    np.testing.assert_array_equal(outs[5][1:], np.where(x[1:] >= 0, 1.0, -1.0))  # sign(0) = 1 per the guide


def test_half_vectors_and_conversions():
    src = r"""
#define N 128
__nram__ half h[N];
__nram__ half h2[N];
__nram__ float f[N];
extern "C" __mlu_global__ void k(half* a, half* b, float* out, half* back) {
  if (taskId) return;
  __memcpy(h, a, N * sizeof(half), GDRAM2NRAM);
  __memcpy(h2, b, N * sizeof(half), GDRAM2NRAM);
  __bang_mul(h, h, h2, N);
  __bang_half2float(f, h, N);
  __memcpy(out, f, N * 4, NRAM2GDRAM);
  __bang_mul_scalar(f, f, 1.0f / 3, N);
  __bang_float2half_tz(h2, f, N);
  __memcpy(back, h2, N * sizeof(half), NRAM2GDRAM);
}
"""
    a, b = rnd(128, dtype=np.float16), rnd(128, seed=3, dtype=np.float16)
    outs = run(src, [a, b, np.zeros(128, np.float32), np.zeros(128, np.float16)], "tasks=1").outputs
    prod = (a * b).astype(np.float32)  # numpy rounds the half product to half, as the MLU does
    np.testing.assert_array_equal(outs[2], prod)
    third = prod.astype(np.float64) * np.float32(1 / 3)
    tz = outs[3].astype(np.float64)
    assert (np.abs(tz) <= np.abs(third) + 1e-12).all()  # toward zero never increases the magnitude
    np.testing.assert_allclose(tz, third, rtol=2e-3, atol=1e-4)


# ---------------------------------------------------------------- tensor unit and pooling
MATMUL = r"""
#define M 5
#define K 70
#define N 33
__nram__ float lhs[M * K];
__nram__ float out[M * N];
__nram__ float vin[K];
__nram__ float vout[N];
__wram__ float w[K * N];
__wram__ float f[N * K];
extern "C" __mlu_global__ void mm(float* a, float* b, float* bt, float* c, float* x, float* y) {
  if (taskId != 0) return;
  __memcpy(lhs, a, sizeof(lhs), GDRAM2NRAM);
  __memcpy(w, b, sizeof(w), GDRAM2WRAM);
  __bang_matmul(out, lhs, w, M, K, N);
  __memcpy(c, out, sizeof(out), NRAM2GDRAM);
  __memcpy(f, bt, sizeof(f), GDRAM2WRAM);
  __memcpy(vin, x, sizeof(vin), GDRAM2NRAM);
  __bang_mlp(vout, vin, f, N, K);
  __memcpy(y, vout, sizeof(vout), NRAM2GDRAM);
}
"""


def test_matmul_and_mlp_with_wram_weights():
    a, b, x = rnd(5, 70), rnd(70, 33, seed=1), rnd(70, seed=2)
    outs = run(MATMUL, [a, b, np.ascontiguousarray(b.T), np.zeros((5, 33), np.float32), x, np.zeros(33, np.float32)])
    np.testing.assert_allclose(outs.outputs[3], a.astype(np.float64) @ b, rtol=1e-5, atol=1e-5)
    # __bang_mlp(dst, src, filter, height, width): filter [height][width], dst[h] = sum_w filter[h][w] src[w]
    np.testing.assert_allclose(outs.outputs[5], b.T.astype(np.float64) @ x, rtol=1e-5, atol=1e-5)


def test_int8_matmul_with_fix_position():
    src = r"""
__nram__ int8_t a[2 * 64];
__nram__ float c[2 * 64];
__wram__ int8_t w[64 * 64];
extern "C" __mlu_global__ void mm(int8_t* ga, int8_t* gw, float* gc) {
  if (taskId) return;
  __memcpy(a, ga, sizeof(a), GDRAM2NRAM);
  __memcpy(w, gw, 64, GDRAM2WRAM, 64, 64, 63);
  __bang_matmul(c, a, w, 2, 64, 64, -3);
  __memcpy(gc, c, sizeof(c), NRAM2GDRAM);
}
"""
    rng = np.random.default_rng(4)
    a = rng.integers(-8, 8, (2, 64), dtype=np.int8)
    w = rng.integers(-8, 8, (64, 64), dtype=np.int8)
    out = run(src, [a, w, np.zeros((2, 64), np.float32)]).outputs[2]
    np.testing.assert_array_equal(out, (a.astype(np.int64) @ w) / 8.0)


def test_conv_and_pooling_match_numpy():
    src = r"""
#define H 9
#define W 10
#define CI 6
#define CO 5
#define KH 3
#define KW 2
#define SX 2
#define SY 1
#define OH ((H - KH) / SY + 1)
#define OW ((W - KW) / SX + 1)
__nram__ float src[H * W * CI];
__nram__ float dst[OH * OW * CO];
__nram__ float pout[OH * OW * CI];
__wram__ float ker[CO * KH * KW * CI];
extern "C" __mlu_global__ void cv(float* x, float* k, float* y, float* s, float* mx, float* av) {
  if (taskId) return;
  __memcpy(src, x, sizeof(src), GDRAM2NRAM);
  __memcpy(ker, k, sizeof(ker), GDRAM2WRAM);
  __bang_conv(dst, src, ker, CI, H, W, KH, KW, SX, SY, CO);
  __memcpy(y, dst, sizeof(dst), NRAM2GDRAM);
  __bang_sumpool(pout, src, CI, H, W, KH, KW, SX, SY);
  __memcpy(s, pout, sizeof(pout), NRAM2GDRAM);
  __bang_maxpool(pout, src, CI, H, W, KH, KW, SX, SY);
  __memcpy(mx, pout, sizeof(pout), NRAM2GDRAM);
  __bang_avgpool(pout, src, CI, H, W, KH, KW, SX, SY);
  __memcpy(av, pout, sizeof(pout), NRAM2GDRAM);
}
"""
    H, W, CI, CO, KH, KW, SX, SY = 9, 10, 6, 5, 3, 2, 2, 1
    OH, OW = (H - KH) // SY + 1, (W - KW) // SX + 1
    x, k = rnd(H, W, CI), rnd(CO, KH, KW, CI, seed=1)
    z = [np.zeros((OH, OW, c), np.float32) for c in (CO, CI, CI, CI)]
    outs = run(src, [x, k, *z], "tasks=1").outputs

    def win(i, j):
        return x[i * SY : i * SY + KH, j * SX : j * SX + KW].astype(np.float64)

    conv = np.array([[np.einsum("hwc,ohwc->o", win(i, j), k) for j in range(OW)] for i in range(OH)])
    np.testing.assert_allclose(outs[2], conv, rtol=1e-5, atol=1e-5)
    sums = np.array([[win(i, j).sum((0, 1)) for j in range(OW)] for i in range(OH)])
    np.testing.assert_allclose(outs[3], sums, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(outs[4], np.array([[win(i, j).max((0, 1)) for j in range(OW)] for i in range(OH)]))
    np.testing.assert_allclose(outs[5], sums / (KH * KW), rtol=1e-6, atol=1e-6)


def test_reduce_sum_writes_one_sum_per_128_byte_block():
    src = r"""
__nram__ float v[100];
__nram__ float o[100];
extern "C" __mlu_global__ void k(float* x, float* y) {
  if (taskId) return;
  __memcpy(v, x, 100 * 4, GDRAM2NRAM);
  __bang_write_value(o, 100, -1.0f);
  __bang_reduce_sum(o, v, 96);
  __memcpy(y, o, 400, NRAM2GDRAM);
}
"""
    x = rnd(100)
    o = run(src, [x, np.zeros(100, np.float32)]).outputs[1]
    for b in range(3):
        assert o[32 * b] == pytest.approx(x[32 * b : 32 * b + 32].astype(np.float64).sum(), rel=1e-5, abs=1e-5)
    untouched = np.delete(o, [0, 32, 64])
    assert (untouched == -1).all()  # MLU3xx leaves the other elements of each block unchanged


def test_transpose_strided_and_3d_copies():
    src = r"""
__nram__ float a[6 * 8];
__nram__ float t[8 * 6];
__nram__ float g[4 * 3];
extern "C" __mlu_global__ void k(float* x, float* y, float* z) {
  if (taskId) return;
  __memcpy(a, x, sizeof(a), GDRAM2NRAM);
  __bang_transpose(t, a, 6, 8);
  __memcpy(y, t, sizeof(t), NRAM2GDRAM);
  // rows 1..4 of a (8 floats apart), 3 floats each -> 4 x 3 block: segnum = 3
  __memcpy(g, a + 8, 3 * 4, NRAM2NRAM, 3 * 4, 8 * 4, 3);
  // 3-D form: broadcast element a[0] over a 2 x 2 grid of destination rows (src strides 0)
  __memcpy(g, a, 4, NRAM2NRAM, 4, 1, 12, 1, 0, 1, 0, 1);
  __memcpy(z, g, sizeof(g), NRAM2GDRAM);
}
"""
    x = rnd(6, 8)
    outs = run(src, [x, np.zeros((8, 6), np.float32), np.zeros((4, 3), np.float32)]).outputs
    np.testing.assert_array_equal(outs[1], x.T)
    expect = x[1:5, :3].copy()
    expect[0, 0] = expect[0, 1] = expect[1, 0] = expect[1, 1] = x[0, 0]
    np.testing.assert_array_equal(outs[2], expect)


# ---------------------------------------------------------------- cooperative mode and host code
COOP = r"""
#define PER 64
__mlu_shared__ float sbuf[4 * PER];
__nram__ float nb[PER];
extern "C" __mlu_global__ void k(float* x, float* y) {
  int base = (taskIdX / coreDim) * coreDim * PER;
  if (coreId == 0) __memcpy(sbuf, x + base, sizeof(sbuf), GDRAM2SRAM);
  __sync_cluster();
  __memcpy(nb, sbuf + coreId * PER, sizeof(nb), SRAM2NRAM);
  __bang_mul_scalar(nb, nb, 2.0f, PER);
  __memcpy(y + base + coreId * PER, nb, sizeof(nb), NRAM2GDRAM);
  __sync_all();
}
"""


def test_sram_shared_through_sync_cluster():
    x = rnd(32 * 64)
    r = run(COOP, [x, np.zeros_like(x)], "tasks=32 clusters=4 cores=4")
    np.testing.assert_array_equal(r.outputs[1], 2 * x)


def test_barrier_not_reached_by_all_cores_is_a_deadlock():
    src = COOP.replace("__sync_all();", "if (coreId != 3) __sync_all();")
    msg = fault(src, [rnd(16 * 64), np.zeros(16 * 64, np.float32)], kind="deadlock", match="__sync_all")
    assert "cluster 0 core 3" in msg and "finished" in msg


def test_barrier_in_block_task_is_a_fault():
    x = rnd(16 * 64)
    fault(COOP, [x, np.zeros_like(x)], "tasks=16", kind="barrier", match="Block task")


HOST = r"""
#include <cnrt.h>
__nram__ half hb[256];
__nram__ float fb[256];
__mlu_global__ void kern(half* in, float* out, int n) {
  int per = n / taskDim;
  __memcpy(hb, in + taskId * per, per * sizeof(half), GDRAM2NRAM);
  __bang_half2float(fb, hb, per);
  __bang_active_relu(fb, fb, per);
  __memcpy(out + taskId * per, fb, per * sizeof(float), NRAM2GDRAM);
}
extern "C" void relu_host(half* h_in, float* h_out, int n) {
  cnrtQueue_t q;
  CNRT_CHECK(cnrtQueueCreate(&q));
  half* d_in;
  float* d_out;
  CNRT_CHECK(cnrtMalloc((void**)&d_in, n * sizeof(half)));
  CNRT_CHECK(cnrtMalloc((void**)&d_out, n * sizeof(float)));
  CNRT_CHECK(cnrtMemcpy(d_in, h_in, n * sizeof(half), cnrtMemcpyHostToDev));
  cnrtDim3_t dim = {8, 1, 1};
  kern<<<dim, cnrtFuncTypeUnion2, q>>>(d_in, d_out, n);
  CNRT_CHECK(cnrtQueueSync(q));
  CNRT_CHECK(cnrtMemcpy(h_out, d_out, n * sizeof(float), CNRT_MEM_TRANS_DIR_DEV2HOST));
  cnrtFree(d_in);
  cnrtFree(d_out);
  cnrtQueueDestroy(q);
}
"""


def test_host_code_with_cnrt_and_triple_chevron_launch():
    h = rnd(1024, dtype=np.float16)
    r = run(HOST, [h, np.zeros(1024, np.float32), 1024], launch=None)
    np.testing.assert_array_equal(r.outputs[1], np.maximum(h.astype(np.float32), 0))


def test_cnrt_memcpy_direction_is_checked():
    src = HOST.replace("cnrtMemcpy(d_in, h_in,", "cnrtMemcpy(h_in, d_in,")
    fault(src, [rnd(1024, dtype=np.float16), np.zeros(1024, np.float32), 1024], None, kind="memory-space",
          match="device memory")


def test_union_launch_from_host_checks_dim_x():
    src = HOST.replace("cnrtDim3_t dim = {8, 1, 1};", "cnrtDim3_t dim = {6, 1, 1};")
    fault(src, [rnd(1024, dtype=np.float16), np.zeros(1024, np.float32), 1024], None, kind="launch",
          match="multiple of 8")


# ---------------------------------------------------------------- faults
def vadd_args(n=1000):
    return [rnd(n), rnd(n, seed=1), np.zeros(n, np.float32)]


def test_intrinsic_operand_in_wrong_space():
    src = VADD.replace("NN", "1000").replace("__bang_add(ta, ta, tb, n)", "__bang_add(ta, ta, b + i, n)")
    fault(src, vadd_args(), kind="memory-space", match="src1 must be in NRAM, but it is GDRAM buffer arg1")


def test_memcpy_direction_mismatch():
    src = VADD.replace("NN", "1000").replace("__memcpy(ta, a + i,", "__memcpy(a + i, ta,")
    msg = "the source of GDRAM2NRAM must be in GDRAM, but it is NRAM object 'ta'"
    fault(src, vadd_args(), kind="memory-space", match=msg)


def test_nram_capacity_overflow():
    src = VADD.replace("NN", "1000").replace("#define TILE 64", "#define TILE (100 * 1024)")
    fault(src, vadd_args(), kind="capacity", match="MLU370 NRAM holds 768 KiB")


@pytest.mark.parametrize(
    "decl, message",
    [
        ("__wram__ float big[300 * 1024];", "MLU370 WRAM holds 1 MiB per core"),
        ("__mlu_shared__ float big[1100 * 1024];", "MLU370 SRAM holds 4 MiB per cluster"),
    ],
)
def test_wram_and_sram_capacity_overflow(decl, message):
    src = VADD.replace("NN", "1000").replace("__nram__ float ta[TILE];", decl + "\n__nram__ float ta[TILE];")
    src = src.replace("__bang_add(ta, ta, tb, n);", "__bang_add(ta, ta, tb, n); big[0] = ta[0];")
    fault(src, vadd_args(), kind="capacity", match=message)


def test_out_of_bounds_intrinsic_count():
    src = VADD.replace("NN", "1000").replace("__bang_add(ta, ta, tb, n)", "__bang_add(ta, ta, tb, 65)")
    fault(src, vadd_args(), kind="out-of-bounds", match="of NRAM object 'ta', which has 256 bytes")


def test_memcpy_past_the_end_of_a_gdram_buffer():
    src = VADD.replace("NN", "1000").replace("b + i,", "b + i + 1,")
    fault(src, vadd_args(), kind="out-of-bounds", match="GDRAM buffer arg1, which has 4000 bytes")


def test_strict_alignment_mode(monkeypatch):
    monkeypatch.setenv("XP_BANG_CHECK", "strict")
    fault(VADD.replace("NN", "1000"), vadd_args(), kind="alignment", match="not a multiple of 128")
    monkeypatch.setenv("XP_BANG_CHECK", "off")
    assert run(VADD.replace("NN", "1000"), vadd_args()).warnings == []


def test_cycle_op_count_must_divide():
    src = r"""
__nram__ float x[100];
__nram__ float s[30];
extern "C" __mlu_global__ void k(float* a) {
  __bang_cycle_add(x, x, s, 100, 30);
}
"""
    fault(src, [np.zeros(4, np.float32)], kind="invalid-argument", match="multiple of seg_elem_count")


def test_union_dim_x_must_be_whole_clusters():
    fault(VADD.replace("NN", "1000"), vadd_args(), "tasks=12 clusters=4 cores=4", kind="launch",
          match="not a multiple of 16")


def test_filter_outside_wram_is_a_fault():
    src = MATMUL.replace("__bang_matmul(out, lhs, w,", "__bang_matmul(out, lhs, lhs,")
    args = [rnd(5, 70), rnd(70, 33), rnd(33, 70), np.zeros((5, 33), np.float32), rnd(70), np.zeros(33, np.float32)]
    fault(src, args, kind="memory-space", match="rhs must be in WRAM, but it is NRAM object 'lhs'")


def test_async_copy_used_before_sync(monkeypatch):
    src = r"""
__nram__ float v[64];
extern "C" __mlu_global__ void k(float* x, float* y) {
  __memcpy_async(v, x, sizeof(v), GDRAM2NRAM);
  SYNC
  __bang_mul_scalar(v, v, 2.0f, 64);
  __memcpy(y, v, sizeof(v), NRAM2GDRAM);
}
"""
    monkeypatch.setenv("XP_BANG_CHECK", "strict")
    args = [rnd(64), np.zeros(64, np.float32)]
    fault(src.replace("SYNC", ""), args, "tasks=1", match="before the __sync_* that completes it")
    np.testing.assert_array_equal(run(src.replace("SYNC", "__sync_io();"), args, "tasks=1").outputs[1], 2 * args[0])


# ---------------------------------------------------------------- declarations the runtime must place
def test_onchip_objects_in_templates_helpers_and_static_const_forms():
    src = r"""
static __nram__ float table[4] = {1, 2, 3, 4};
__nram__ const float scale[32] = {0.5f};
template <typename T>
__mlu_func__ void scaled_copy(T* dst, const T* src, int n) {
  __nram__ T buf[64];  // a static local of a template: must still be NRAM
  __memcpy(buf, src, n * sizeof(T), GDRAM2NRAM);
  __bang_mul_scalar(buf, buf, (T)table[1], n);
  __memcpy(dst, buf, n * sizeof(T), NRAM2GDRAM);
}
extern "C" __mlu_global__ void k(float* x, float* y) {
  if (taskId) return;
  scaled_copy(y, x, 64);
  __asm__ volatile("sync;");
}
"""
    x = rnd(64)
    np.testing.assert_array_equal(run(src, [x, np.zeros_like(x)]).outputs[1], 2 * x)


def test_sram_to_sram_copy_into_another_cluster():
    src = r"""
__mlu_shared__ float s[16];
__nram__ float n[16];
extern "C" __mlu_global__ void k(float* x, float* y) {
  if (clusterId == 0 && coreId == 0) {
    __memcpy(s, x, sizeof(s), GDRAM2SRAM);
    __memcpy(s, s, sizeof(s), SRAM2SRAM, 1);  // push cluster 0's SRAM to cluster 1
  }
  __sync_all();
  if (clusterId == 1 && coreId == 0) {
    __memcpy(n, s, sizeof(n), SRAM2NRAM);
    __memcpy(y, n, sizeof(n), NRAM2GDRAM);
  }
}
"""
    x = rnd(16)
    np.testing.assert_array_equal(run(src, [x, np.zeros_like(x)], "tasks=8 clusters=2 cores=4").outputs[1], x)


def test_selection_search_and_fixed_point_ops():
    src = r"""
#define N 64
__nram__ float x[N];
__nram__ float m[N];
__nram__ float o[N];
__nram__ float w[N];
__nram__ int8_t q[N];
__nram__ unsigned char bits[N / 8];
extern "C" __mlu_global__ void k(float* gx, float* gm, float* packed, int* cnt, float* mm, int8_t* gq,
                                 float* back, unsigned char* gbits, float* dv) {
  if (taskId) return;
  __memcpy(x, gx, N * 4, GDRAM2NRAM);
  __memcpy(m, gm, N * 4, GDRAM2NRAM);
  __bang_write_zero(o, N);
  cnt[0] = __bang_filter(o, x, m, N);
  __memcpy(packed, o, N * 4, NRAM2GDRAM);
  __bang_argmax(o, x, N);
  __memcpy(mm, o, 8, NRAM2GDRAM);
  __bang_float2int8_rd(q, x, N, -4);  // q = round(x * 16), saturated
  __memcpy(gq, q, N, NRAM2GDRAM);
  __bang_int82float(o, q, N, -4);
  __memcpy(back, o, N * 4, NRAM2GDRAM);
  __bang_gt_bitindex((float*)bits, x, m, N);
  __memcpy(gbits, bits, N / 8, NRAM2GDRAM);
  __bang_div(o, x, m, w, N);  // the MLU270 form with a workspace
  __memcpy(dv, o, N * 4, NRAM2GDRAM);
}
"""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(64).astype(np.float32) * 4
    m = ((rng.random(64) < 0.4) + 1.0 * (rng.random(64) < 0.3)).astype(np.float32)
    args = [x, m, np.zeros(64, np.float32), np.zeros(1, np.int32), np.zeros(2, np.float32),
            np.zeros(64, np.int8), np.zeros(64, np.float32), np.zeros(8, np.uint8), np.zeros(64, np.float32)]
    outs = run(src, args, "tasks=1").outputs
    sel = x[m != 0]
    assert outs[3][0] == len(sel)
    np.testing.assert_array_equal(outs[2][: len(sel)], sel)
    assert outs[4][0] == x.max() and outs[4][1:].view(np.uint32)[0] == np.argmax(x)
    q = np.clip(np.sign(x * 16) * np.floor(np.abs(x * 16) + 0.5), -128, 127)  # ties away from zero
    np.testing.assert_array_equal(outs[5], q.astype(np.int8))
    np.testing.assert_array_equal(outs[6], q / 16)
    np.testing.assert_array_equal(outs[7], np.packbits(x > m))  # MSB-first bit order
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(outs[8], x / m)


def test_atomics_and_lut():
    src = r"""
__nram__ float v[8];
__nram__ float old[8];
__nram__ int idx[8];
__nram__ int tbl[4];
__nram__ int res[8];
extern "C" __mlu_global__ void k(float* acc, float* src, int* gidx, int* gtbl, int* out) {
  __memcpy(v, src, sizeof(v), GDRAM2NRAM);
  __bang_atomic_reduce_add(acc, v, 8);  // every task adds its vector into GDRAM
  if (taskId == 0) {
    __memcpy(idx, gidx, sizeof(idx), GDRAM2NRAM);
    __memcpy(tbl, gtbl, sizeof(tbl), GDRAM2NRAM);
    __bang_write_value(res, 8, -7);
    __bang_lut(res, (unsigned int*)idx, tbl, 8, 4);
    __memcpy(out, res, sizeof(res), NRAM2GDRAM);
  }
}
"""
    s = rnd(8)
    idx = np.array([0, 3, 1, 4, 2, 9, 0, 1], np.int32)
    tbl = np.array([10, 11, 12, 13], np.int32)
    outs = run(src, [np.zeros(8, np.float32), s, idx, tbl, np.zeros(8, np.int32)]).outputs
    np.testing.assert_allclose(outs[0], 16 * s, rtol=1e-6)
    np.testing.assert_array_equal(outs[4], np.where(idx < 4, tbl[np.minimum(idx, 3)], -7))
