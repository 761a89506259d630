"""Loop recovery for SIMT (cuda, hip -> same dialect): kernels become loops over blocks and threads with
fission at barriers, launched <<<1, 1>>>.

Every corpus .cu / .hip kernel without wmma / MFMA / shuffles (case 0, case 1 of a few) goes through the
pass and must still match the numpy reference on the SIMT emulator, with no thread built-in, barrier or
__shared__ buffer left in its kernels, every launch <<<1, 1>>> and the obligations proved. The kernels with
collectives go through detensorize first (skipped where detensorize declines). Small kernels check the
corners against their own unrecovered run: device functions with barriers, barriers under thread-dependent
and uniform conditions, early returns, while loops, 3-D blocks, bare kernel entries, modified parameters,
and the programs the pass must decline."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.types import Scope
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

pytestmark = pytest.mark.skipif(not (shutil.which("clang++-15") or shutil.which("clang++") or shutil.which("g++")),
                                reason="no C++ compiler")

SPECS = {s.op: s for s in load_corpus()}
COLLECTIVES = re.compile(r"wmma|mfma|__shfl")
CASE1 = (("rmsnorm", "hip"), ("transpose", "cuda"), ("conv2d_nhwc", "cuda"))


def _plain(op: str, d: str) -> bool:
    path = SPECS[op].source_path(d)
    return path.is_file() and not COLLECTIVES.search(path.read_text())


PLAIN = [(op, d, 0) for op in sorted(SPECS) for d in ("cuda", "hip") if _plain(op, d)]
PLAIN += [(op, d, 1) for op, d in CASE1 if _plain(op, d)]
TENSOR = [(op, d) for op in sorted(SPECS) for d in ("cuda", "hip")
          if SPECS[op].source_path(d).is_file() and not _plain(op, d)]


def _recover(p: Program):
    from xpiler.passes import loop_recovery

    return loop_recovery.PASS.run(p, PassContext(p.dialect, "c"))


def _assert_serial(result) -> None:
    """No thread built-ins, barriers or shared buffers in kernels; launches <<<1, 1>>>; obligations hold;
    the recovered block and thread loops are PARALLEL."""
    prog = result.program
    kernels = [f for f in prog.module.funcs() if f.kind is N.FuncKind.KERNEL]
    assert kernels
    for f in kernels:
        bad = [n for n in walk(f) if isinstance(n, (N.Builtin, N.Barrier))
               or (isinstance(n, N.Alloc) and n.scope is Scope.SHARED)]
        assert not bad, f"{f.name} still has {bad[:3]}"
        assert len(f.body) == 1 and isinstance(f.body[0], N.For) and f.body[0].kind is N.LoopKind.PARALLEL
        assert any(isinstance(n, N.For) and n.kind is N.LoopKind.PARALLEL and n.var.name.startswith("thread_")
                   for n in walk(f))
    for n in walk(prog.module):
        if isinstance(n, N.Launch):
            assert [c.value for c in n.config[:2] if isinstance(c, N.Const)] == [1, 1], n.config
    if prog.entry_is_kernel:
        assert prog.launch == "grid=1,1,1 block=1,1,1"
    assert result.obligations
    for ob in result.obligations:
        ok, detail = ob.check()
        assert ok is True, f"{ob.name}: {detail}"


@pytest.mark.corpus
@pytest.mark.parametrize("op,dialect,case", PLAIN, ids=[f"{o}-{d}-{c}" for o, d, c in PLAIN])
def test_corpus_kernel_recovers(op, dialect, case):
    spec = SPECS[op]
    result = _recover(source_program(spec, dialect, case))
    _assert_serial(result)
    rep = check_program(spec, dialect, case, result.program)
    assert rep.ok, str(rep)


@pytest.mark.corpus
@pytest.mark.parametrize("op,dialect", TENSOR, ids=[f"{o}-{d}" for o, d in TENSOR])
def test_corpus_kernel_recovers_after_detensorize(op, dialect):
    from xpiler.passes import detensorize

    spec = SPECS[op]
    src = source_program(spec, dialect, 0)
    with pytest.raises(PassDeclined):
        _recover(src)  # collectives are detensorize's job
    try:
        lifted = detensorize.PASS.run(src, PassContext(dialect, "c")).program
    except PassDeclined as e:
        pytest.skip(f"detensorize declines: {e}")
    result = _recover(lifted)
    _assert_serial(result)
    rep = check_program(spec, dialect, 0, result.program)
    assert rep.ok, str(rep)


# ----------------------------------------------------------------------------------------------------------
# small kernels, compared with their own run before recovery

HOST = """
extern "C" void entry(const float* X, float* Y) {{
  float *dX, *dY;
  cudaMalloc(&dX, {n} * sizeof(float));
  cudaMalloc(&dY, {n} * sizeof(float));
  cudaMemcpy(dX, X, {n} * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dY, X, {n} * sizeof(float), cudaMemcpyHostToDevice);
  {launch}
  cudaMemcpy(Y, dY, {n} * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}}
"""

NORM = """#include <cuda_runtime.h>
#define ROWS 5
#define N 300
#define BLOCK 128
__device__ float block_sum(float v, float* scratch) {
  const int tid = threadIdx.x;
  scratch[tid] = v;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {
    if (tid < s) scratch[tid] += scratch[tid + s];
    __syncthreads();
  }
  float r = scratch[0];
  __syncthreads();
  return r;
}
__device__ float sq(float d) { return d * d; }
__global__ void norm_rows(const float* X, float* Y) {
  __shared__ float red[BLOCK];
  const float* x = X + blockIdx.x * N;
  float acc = 0.0f;
  for (int j = threadIdx.x; j < N; j += BLOCK) acc += x[j];
  const float mean = block_sum(acc, red) / N;
  float s2 = 0.0f;
  for (int j = threadIdx.x; j < N; j += BLOCK) s2 += sq(x[j] - mean);
  float var = block_sum(s2, red) / N;
  for (int j = threadIdx.x; j < N; j += BLOCK) Y[blockIdx.x * N + j] = (x[j] - mean) / sqrtf(var + 1e-5f);
}
""" + HOST.format(n="ROWS * N", launch="norm_rows<<<ROWS, BLOCK>>>(dX, dY);")

WARP_MIX = """#include <cuda_runtime.h>
#define ROWS 10
__global__ void warp_mix(const float* X, float* Y) {
  __shared__ float buf[4][32];
  const int lane = threadIdx.x, w = threadIdx.y;
  const int row = blockIdx.x * 4 + w;
  if (blockIdx.x * 4 >= ROWS) return;
  float v = row < ROWS ? X[row * 32 + lane] : 0.0f;
  buf[w][lane] = v;
  __syncthreads();
  if (w == 0) {
    float s = 0.0f;
    for (int k = 0; k < 4; ++k) s += buf[k][lane];
    buf[0][lane] = s;
    __syncwarp();
    float t = buf[0][(lane + 1) % 32];
    __syncwarp();
    buf[0][lane] = t;
  }
  __syncthreads();
  if (row < ROWS) Y[row * 32 + lane] = buf[0][lane] + v;
}
""" + HOST.format(n="ROWS * 32", launch="dim3 block(32, 4);\n  warp_mix<<<(ROWS + 3) / 4 + 1, block>>>(dX, dY);")

SCAN = """// xpiler:launch grid=2,1,1 block=4,2,2
#include <hip/hip_runtime.h>
__global__ void scan16(float* A) {
  __shared__ float sh[16];
  int t = threadIdx.x + 4 * (threadIdx.y + 2 * threadIdx.z);
  sh[t] = A[blockIdx.x * 16 + t];
  int stride = 1;
  __syncthreads();
  while (stride < blockDim.x * blockDim.y * blockDim.z) {
    float add = t >= stride ? sh[t - stride] : 0.0f;
    __syncthreads();
    sh[t] += add;
    __syncthreads();
    stride *= 2;
  }
  A[blockIdx.x * 16 + t] = sh[t];
}
"""

SHIFT = """#include <cuda_runtime.h>
#define N 64
__global__ void shift_rows(float* Y, const float* X, int n) {
  __shared__ float first;
  __shared__ float tile[32];
  X += blockIdx.x * 32;
  Y += blockIdx.x * 32;
  if (threadIdx.x == 0) first = X[0];
  tile[threadIdx.x] = X[threadIdx.x];
  n -= 1;
  __syncthreads();
  for (int k = 0; k < 2; ++k) {
    const float mine = tile[(threadIdx.x + k + 1) % 32];
    __syncthreads();
    tile[threadIdx.x] = mine;
    __syncthreads();
  }
  Y[threadIdx.x] = tile[threadIdx.x] - first + n;
}
extern "C" void entry(const float* X, float* Y) {
  float *dX, *dY;
  cudaMalloc(&dX, N * sizeof(float));
  cudaMalloc(&dY, N * sizeof(float));
  cudaMemcpy(dX, X, N * sizeof(float), cudaMemcpyHostToDevice);
  shift_rows<<<N / 32, 32>>>(dY, dX, 5);
  cudaMemcpy(Y, dY, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dX);
  cudaFree(dY);
}
"""

EARLY = """#include <cuda_runtime.h>
__global__ void early(const float* X, float* Y) {
  __shared__ float sh[64];
  int t = threadIdx.x;
  const float* x = X + blockIdx.x * 64;
  if (x[0] > 0.5f) {
    if (blockIdx.x == 1) return;
    Y[blockIdx.x * 64 + t] = 7.0f;
  }
  sh[t] = x[t];
  __syncthreads();
  if (t >= 48) {
    if (x[t] > 0.0f) return;
    Y[blockIdx.x * 64 + t] = -1.0f;
  }
  if (t < 32) Y[blockIdx.x * 64 + t] = sh[t] + sh[t + 16];
}
""" + HOST.format(n="256", launch="early<<<4, 64>>>(dX, dY);")


def _early_inputs(args):
    args[0][[0, 64]] = 1.0  # blocks 0 and 1 take the first branch; block 1 returns before the barrier
    args[0][[128, 192]] = -1.0


SMALL = {
    "device-function-barriers": (NORM, "cuda", [(5, 300), (5, 300)], None),
    "warp-barrier-under-thread-condition": (WARP_MIX, "cuda", [(10, 32), (10, 32)], None),
    "while-loop-3d-block-bare-kernel": (SCAN, "hip", [(2, 16)], None),
    "modified-params-shared-scalar": (SHIFT, "cuda", [(64,), (64,)], None),
    "returns-before-and-after-barriers": (EARLY, "cuda", [(256,), (256,)], _early_inputs),
}


@pytest.mark.parametrize("name", sorted(SMALL))
def test_small_kernel_matches_unrecovered_run(name):
    text, dialect, shapes, prep = SMALL[name]
    prog = Program.from_source(text, dialect)
    result = _recover(prog)
    _assert_serial(result)
    rng = np.random.default_rng(7)
    args = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    if prep is not None:
        prep(args)
    before = run_kernel(text, dialect, args=[a.copy() for a in args], entry=prog.entry, launch=prog.launch)
    out = result.program
    after = run_kernel(out.text(), dialect, args=[a.copy() for a in args], entry=out.entry, launch=out.launch)
    for a, b in zip(before.outputs, after.outputs):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6, atol=1e-6)


def _kernel(prog: Program, name: str) -> N.Func:
    return prog.module.func(name)


def test_structure_of_a_tree_reduction():
    """rmsnorm: one block loop; phases before, inside (one per level of the uniform reduction loop) and
    after the reduction; the shared buffer is a local array of the block loop; values the threads compute
    from the launch (tid, row pointers) are recomputed rather than stored per thread."""
    spec = SPECS["rmsnorm"]
    out = _recover(source_program(spec, "cuda", 0)).program
    f = next(f for f in out.module.funcs() if f.kind is N.FuncKind.KERNEL)
    block = f.body[0]
    assert isinstance(block.stop, N.Const) and block.stop.value == 64  # M blocks
    allocs = [s for s in block.body if isinstance(s, N.Alloc)]
    assert [a.scope for a in allocs] == [Scope.LOCAL]  # `partial`, nothing replicated per thread
    loops = [s for s in block.body if not isinstance(s, N.Alloc)]
    assert len(loops) == 3
    assert loops[0].kind is N.LoopKind.PARALLEL and loops[2].kind is N.LoopKind.PARALLEL
    assert isinstance(loops[1], N.CFor)  # the reduction levels, at block level
    inner = [n for n in walk(loops[1]) if isinstance(n, N.For)]
    assert inner and inner[0].kind is N.LoopKind.PARALLEL and inner[0].stop.value == 256
    assert "__shared__" not in out.text().split("extern")[0]


def test_per_thread_state_across_barriers_becomes_arrays():
    out = _recover(Program.from_source(SCAN, "hip")).program
    f = _kernel(out, "scan16")
    arrays = {a.sym.name: a for a in walk(f) if isinstance(a, N.Alloc)}
    # `stride` and `add` flow across barriers: one copy per thread (16 = 4 x 2 x 2)
    for name in ("stride", "add"):
        assert [e.value for e in arrays[name].shape] == [16]
    # `t` only depends on the thread index: recomputed in each phase, never stored
    assert "t" not in arrays
    whiles = [n for n in walk(f) if isinstance(n, N.While)]
    assert len(whiles) == 1 and "stride[0]" in out.text()


DECLINE = {
    "collective": """__global__ void k(float* a) {
  float v = a[threadIdx.x];
  v += __shfl_down_sync(0xffffffffu, v, 1);
  a[threadIdx.x] = v;
}""",
    "barrier-in-thread-dependent-loop": """__global__ void k(float* a) {
  for (int i = 0; i < threadIdx.x; ++i) {
    a[threadIdx.x] += 1.0f;
    __syncthreads();
  }
}""",
    "break-across-barrier": """__global__ void k(float* a) {
  for (int i = 0; i < 4; ++i) {
    if (a[0] > 0.0f) break;
    __syncthreads();
  }
}""",
    "uniform-loop-under-thread-condition-reads-thread-values": """__global__ void k(float* a) {
  int n = (int)a[0];
  if (threadIdx.x < 16) {
    for (int i = 0; i < n; ++i) {
      a[threadIdx.x + 1] += 1.0f;
      __syncwarp();
    }
  }
}""",
    "barrier-in-switch": """__global__ void k(float* a, int m) {
  switch (m) {
    case 0: a[threadIdx.x] = 1.0f; __syncthreads(); break;
    default: break;
  }
}""",
}


DECLINE_REASON = {
    "collective": "__shfl_down_sync",
    "barrier-in-thread-dependent-loop": "bounds depend on the thread",
    "break-across-barrier": "break leaves a loop",
    "uniform-loop-under-thread-condition-reads-thread-values": "reads per-thread values",
    "barrier-in-switch": "Switch",
}


@pytest.mark.parametrize("name", sorted(DECLINE))
def test_declines(name):
    prog = Program.from_source("// xpiler:launch grid=2 block=32\n" + DECLINE[name], "cuda")
    with pytest.raises(PassDeclined, match=DECLINE_REASON[name]):
        _recover(prog)


RUNTIME_GRID = """__global__ void k(const float* a, float* b, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  int j = blockIdx.y;
  if (i < n) b[j * n + i] = a[j * n + i] * (float)gridDim.y + (float)gridDim.x;
}
extern "C" void entry(const float* a, float* b, int rows, int n) {
  float *da, *db;
  cudaMalloc(&da, rows * n * sizeof(float));
  cudaMalloc(&db, rows * n * sizeof(float));
  cudaMemcpy(da, a, rows * n * sizeof(float), cudaMemcpyHostToDevice);
  dim3 block(64);
  dim3 grid((n + block.x - 1) / 64, rows);
  k<<<grid, block>>>(da, db, n);
  cudaMemcpy(b, db, rows * n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(da);
  cudaFree(db);
}"""


@pytest.mark.parametrize("rows,n", [(3, 100), (1, 64), (2, 1)])
def test_a_run_time_grid_becomes_kernel_parameters(rows, n):
    """Grid sizes computed from the host's parameters arrive in the kernel as parameters; the block loops
    run to them, gridDim reads them, the obligations hold symbolically, and the program computes the
    same as before at several sizes."""
    prog = Program.from_source(RUNTIME_GRID, "cuda")
    res = _recover(prog)
    _assert_serial(res)
    kernel = next(f for f in res.program.module.funcs() if f.kind is N.FuncKind.KERNEL)
    extra = [p.sym.name for p in kernel.params[3:]]
    assert extra == ["xp_grid_x", "xp_grid_y"]
    launch = next(n for n in walk(res.program.module) if isinstance(n, N.Launch))
    assert len(launch.args) == 5
    a = np.arange(rows * n, dtype=np.float32) - 7
    args = [a, np.zeros(rows * n, np.float32), np.int32(rows), np.int32(n)]
    want = run_kernel(prog.text(), "cuda", args=list(args)).outputs[1]
    got = run_kernel(res.program.text(), "cuda", args=list(args)).outputs[1]
    np.testing.assert_array_equal(got, want)
    assert want[0] == a[0] * rows + (n + 63) // 64


def test_declines_a_block_size_that_is_not_constant():
    text = """__global__ void k(float* a) { a[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f; }
extern "C" void entry(float* a, int n, int t) {
  float* d;
  cudaMalloc(&d, n * sizeof(float));
  k<<<n / t, t>>>(d);
  cudaMemcpy(a, d, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d);
}"""
    with pytest.raises(PassDeclined, match="block size that is not constant"):
        _recover(Program.from_source(text, "cuda"))


def test_declines_different_block_sizes():
    text = """__global__ void k(float* a) { a[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f; }
extern "C" void entry(float* a) {
  float* d;
  cudaMalloc(&d, 256 * sizeof(float));
  k<<<2, 128>>>(d);
  k<<<4, 64>>>(d);
  cudaMemcpy(a, d, 256 * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d);
}"""
    with pytest.raises(PassDeclined, match="different block sizes"):
        _recover(Program.from_source(text, "cuda"))


def test_launches_with_different_grids_pass_their_own():
    text = """__global__ void k(float* a, int off) { a[off + blockIdx.x * blockDim.x + threadIdx.x] += 1.0f; }
extern "C" void entry(float* a) {
  float* d;
  cudaMalloc(&d, 384 * sizeof(float));
  cudaMemcpy(d, a, 384 * sizeof(float), cudaMemcpyHostToDevice);
  k<<<2, 64>>>(d, 0);
  k<<<4, 64>>>(d, 128);
  cudaMemcpy(a, d, 384 * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d);
}"""
    prog = Program.from_source(text, "cuda")
    res = _recover(prog)
    _assert_serial(res)
    args = [np.arange(384, dtype=np.float32)]
    want = run_kernel(prog.text(), "cuda", args=list(args)).outputs[0]
    got = run_kernel(res.program.text(), "cuda", args=list(args)).outputs[0]
    np.testing.assert_array_equal(got, want)


def test_warp_size_query_gives_the_dialects_warp_size():
    from xpiler.passes._simt_util import host_launches

    text = """__global__ void k(float* a) { a[blockIdx.x * blockDim.x + threadIdx.x] = 1.0f; }
extern "C" void entry(float* a) {
  int ws = 32;
  hipDeviceGetAttribute(&ws, hipDeviceAttributeWarpSize, 0);
  const int per = 256 / ws;
  float* d;
  hipMalloc(&d, 1024 * sizeof(float));
  k<<<per, 256>>>(d);
  hipFree(d);
}"""
    prog = Program.from_source(text, "hip")
    assert host_launches(prog.module, 64) == {"k": [((4, 1, 1), (256, 1, 1))]}
    (grid, block), = host_launches(prog.module)["k"]  # without the warp size, `per` is a run-time value
    assert isinstance(grid[0], N.Var) and grid[0].sym.name == "per" and grid[1:] == (1, 1) and block == (256, 1, 1)
