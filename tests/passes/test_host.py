"""The host-conversion pass (passes/host.py).

OUT (c -> cuda / hip / bang / vnni) on corpus c sources: the result runs on the target's executor with the
c source's arguments and matches the reference, its obligations prove, the wrapper keeps the entry's name
and parameters, and CUDA / HIP outputs compile with nvcc / hipcc where installed. IN (cuda / hip / bang ->
c) on small hand-written serial programs (the real ones come from loop_recovery), and on OUT's own outputs
(round trip), including the removal of redundant device copies and the cases where it must keep them.

A sweep over all 36 corpus ops x 4 targets (and the IN round trip) runs with XPILER_SWEEP=1."""

from __future__ import annotations

import importlib
import os

import numpy as np
import pytest

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.registry import get_pass
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

HOST = get_pass("host")
SPECS = {s.op: s for s in load_corpus()}
SWEEP = os.environ.get("XPILER_SWEEP") == "1"


def _out(op: str, target: str, bare: bool = False):
    p = source_program(SPECS[op], "c", 0)
    if bare:
        p = p.with_note("source_entry_is_kernel", True)
    return p, HOST.run(p, PassContext("c", target))


def _assert_proved(res):
    for ob in res.obligations:
        ok, detail = ob.check()
        assert ok is True, f"{ob.name}: {detail}"


# ----------------------------------------------------------------------------------------------------------
# OUT

OUT_CASES = [("scatter", "cuda"), ("deformable_attention", "cuda"), ("batchnorm", "hip"), ("gather", "hip"),
             ("softmax", "bang"), ("scatter", "bang"), ("conv2d_nchw", "vnni")]
if SWEEP:
    OUT_CASES = [(op, t) for op in SPECS for t in ("cuda", "hip", "bang", "vnni")]


@pytest.mark.parametrize("op, target", OUT_CASES, ids=[f"{o}-{t}" for o, t in OUT_CASES])
def test_out_runs_on_the_target_like_the_reference(op, target):
    src, res = _out(op, target)
    prog = res.program
    assert prog.dialect == target and prog.module.dialect == target and prog.entry == src.entry
    assert not prog.entry_is_kernel
    wrapper = prog.entry_func
    assert wrapper.extern_c and [p.sym.name for p in wrapper.params] == [p.sym.name for p in src.entry_func.params]
    if target != "vnni":
        kernels = [f for f in prog.module.funcs() if f.kind is N.FuncKind.KERNEL]
        assert len(kernels) == 1 and kernels[0].name != src.entry
        (launch,) = [n for n in walk(wrapper) if isinstance(n, N.Launch)]
        assert launch.kernel == kernels[0].name
    _assert_proved(res)
    rep = check_program(SPECS[op], "c", 0, prog)
    assert rep.ok, str(rep)


def test_out_wrapper_copies_what_the_kernel_reads_and_writes():
    _, res = _out("scatter", "cuda")
    text = res.program.text()
    assert "#include <cuda_runtime.h>" in text and "<<<1, 1>>>" in text
    calls = [n for n in walk(res.program.entry_func) if isinstance(n, N.Call)]
    h2d = [c for c in calls if c.name == "cudaMemcpy" and c.args[-1].sym.name == "cudaMemcpyHostToDevice"]
    d2h = [c for c in calls if c.name == "cudaMemcpy" and c.args[-1].sym.name == "cudaMemcpyDeviceToHost"]
    assert len([c for c in calls if c.name == "cudaMalloc"]) == 3 == len([c for c in calls if c.name == "cudaFree"])
    # X and idx are read; Y is written only where idx points, so it is copied in and back
    assert len(h2d) == 3 and len(d2h) == 1
    # Y's extent depends on idx's contents: the wrapper scans idx at run time
    assert any(isinstance(n, N.For) for n in res.program.entry_func.body)


def test_out_skips_the_copy_in_of_a_buffer_written_whole():
    _, res = _out("add", "hip")
    calls = [n for n in walk(res.program.entry_func) if isinstance(n, N.Call) and n.name == "hipMemcpy"]
    kinds = [c.args[-1].sym.name for c in calls]
    assert kinds.count("hipMemcpyHostToDevice") == 2 and kinds.count("hipMemcpyDeviceToHost") == 1


@pytest.mark.parametrize("target", ["bang", "cuda"])
def test_out_bare_kernel_when_the_source_entry_was_a_kernel(target):
    src, res = _out("relu", target, bare=True)
    prog = res.program
    assert prog.entry_is_kernel and prog.entry == src.entry
    assert prog.launch == ("tasks=1" if target == "bang" else "grid=1,1,1 block=1,1,1")
    (k,) = prog.module.funcs()
    assert k.kind is N.FuncKind.KERNEL and k.name == src.entry
    assert "// xpiler:launch" in prog.text()
    assert check_program(SPECS["relu"], "c", 0, prog).ok


def test_out_allocation_obligation_catches_a_short_buffer():
    from xpiler.passes._host_access import analyze
    from xpiler.passes._host_out import _cover_obligation

    from xpiler.verify.extents import Extent

    p = source_program(SPECS["transpose"], "c", 0)
    f = p.entry_func
    uses = analyze(f, p.module)
    ok, _ = _cover_obligation(f, 0, Extent(8192), uses[0], p.module.defines()).check()
    assert ok is True
    ok, detail = _cover_obligation(f, 0, Extent(8191), uses[0], p.module.defines()).check()
    assert ok is False, detail


def test_out_sizes_a_run_time_extent_by_the_parameter():
    text = 'extern "C" void f(float* x, int n) { for (int i = 0; i < n; ++i) x[i] = 0.0f; }'
    res = HOST.run(Program.from_source(text, "c"), PassContext("c", "cuda"))
    assert "cudaMalloc(&d_x, n * sizeof(float));" in res.program.text()
    assert all(ob.check()[0] is True for ob in res.obligations)


def test_out_declines_an_unknown_extent():
    text = """void g(float* p);
extern "C" void f(float* x, int n) { for (int i = 0; i < n; ++i) x[i] = 0.0f; g(x); }"""
    with pytest.raises(PassDeclined, match="'x'.*escapes"):
        HOST.run(Program.from_source(text, "c"), PassContext("c", "cuda"))


def test_symbolic_cover_obligation_refutes_a_short_allocation():
    from xpiler.passes._host_access import analyze
    from xpiler.passes._host_out import _symbolic_cover_obligation

    text = 'extern "C" void f(float* x, int n) { for (int i = 0; i <= n; ++i) x[i] = 0.0f; }'
    p = Program.from_source(text, "c")
    f = p.entry_func
    uses = analyze(f, p.module)
    n = N.Var(f.params[1].sym)
    ok, _ = _symbolic_cover_obligation(f, 0, N.BinOp("+", n, N.Const(1)), uses[0], {}).check()
    assert ok is True
    ok, detail = _symbolic_cover_obligation(f, 0, n, uses[0], {}).check()
    assert ok is False, detail


@pytest.mark.toolchain
@pytest.mark.parametrize("op, target", [("scatter", "cuda"), ("layernorm", "hip")])
def test_out_compiles_with_the_real_compiler(op, target):
    _, res = _out(op, target)
    tc = importlib.import_module(f"xpiler.backends.{target}.toolchain")
    got = tc.check_compile(res.program.text(), f"{op}.{'cu' if target == 'cuda' else 'hip'}")
    if not got.available:
        pytest.skip(got.log)
    assert got.ok, got.log


# ----------------------------------------------------------------------------------------------------------
# IN

SERIAL_CU = r"""
#include <cuda_runtime.h>

#define N 300
#define CHECK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) return; } while (0)

__device__ float sq(float v) { return v * v; }

__global__ void __launch_bounds__(1) norm_device(const float* __restrict__ x, float* y, float* total,
                                                 float* scratch) {
  __shared__ float stage[N];
  for (int i = 0; i < N; ++i) stage[i] = sq(x[i]);
  __syncthreads();
  for (int i = 0; i < N; ++i) {
    scratch[i] = __expf(-stage[i]);
    y[i] = __fdividef(scratch[i], 2.0f) + rsqrtf(stage[i] + 1.0f);
    atomicAdd(&total[0], stage[i]);
  }
}

extern "C" void norm(const float* x, float* y, float* total) {
  float *dx, *dy, *dt, *ds;
  CHECK(cudaMalloc(&dx, N * sizeof(float)));
  cudaMalloc((void**)&dy, N * sizeof(float));
  cudaMalloc(&dt, sizeof(float));
  cudaMalloc(&ds, N * sizeof(float));
  cudaMemcpy(dx, x, N * sizeof(float), cudaMemcpyHostToDevice);
  cudaMemcpy(dt, total, sizeof(float), cudaMemcpyHostToDevice);
  dim3 grid(1), block(1, 1);
  norm_device<<<grid, block>>>(dx, dy, dt, ds);
  cudaDeviceSynchronize();
  CHECK(cudaGetLastError());
  cudaMemcpy(y, dy, N * sizeof(float), cudaMemcpyDeviceToHost);
  cudaMemcpy(total, dt, sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(dx); cudaFree(dy); cudaFree(dt); cudaFree(ds);
}
"""

SERIAL_HIP = r"""
#include <hip/hip_runtime.h>
#define M 8
#define K 64

__global__ void rows_device(const float* X, float* Y, float* W, int wave) {
  for (int r = 0; r < M; ++r) {
    float acc = 0.0f;
    for (int k = 0; k < K; ++k) { W[r * K + k] = X[r * K + k] * 2.0f; acc += __half2float(__float2half(W[r * K + k])); }
    Y[r] = acc / wave;
  }
}

extern "C" void rows(const float* X, float* Y) {
  int wave = 32;
  hipDeviceGetAttribute(&wave, hipDeviceAttributeWarpSize, 0);
  float *dX, *dY;
  hipMalloc(&dX, M * K * sizeof(float));
  hipMalloc(&dY, M * sizeof(float));
  hipMemcpy(dX, X, M * K * sizeof(float), hipMemcpyHostToDevice);
  hipLaunchKernelGGL(rows_device, dim3(1), dim3(1), 0, 0, dX, dY, dX, wave);
  hipMemcpy(Y, dY, M * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(dX);
  hipFree(dY);
}
"""

SERIAL_MLU = r"""
#include <bang.h>
#define N 256
__nram__ float buf[N];
__mlu_func__ float twice(float v) { return v + v; }

__mlu_global__ void scale_kernel(float* in, float* out, int n) {
  for (int i = 0; i < n; ++i) buf[i] = twice(in[i]);
  __sync();
  for (int i = 0; i < n; ++i) out[i] = buf[i] + 1.0f;
}

extern "C" void scale_host(float* h_in, float* h_out, int n) {
  cnrtQueue_t q;
  cnrtQueueCreate(&q);
  float* d_in;
  float* d_out;
  cnrtMalloc((void**)&d_in, n * sizeof(float));
  cnrtMalloc((void**)&d_out, n * sizeof(float));
  cnrtMemcpy(d_in, h_in, n * sizeof(float), cnrtMemcpyHostToDev);
  cnrtDim3_t dim = {1, 1, 1};
  scale_kernel<<<dim, cnrtFuncTypeBlock, q>>>(d_in, d_out, n);
  cnrtQueueSync(q);
  cnrtMemcpy(h_out, d_out, n * sizeof(float), cnrtMemcpyDevToHost);
  cnrtFree(d_in);
  cnrtFree(d_out);
  cnrtQueueDestroy(q);
}
"""

BARE_MLU = r"""
// xpiler:launch tasks=1
#include <bang.h>
#define N 128
__nram__ float t[N];
extern "C" __mlu_global__ void neg_kernel(float* x, float* y) {
  for (int i = 0; i < N; ++i) t[i] = -x[i];
  for (int i = 0; i < N; ++i) y[i] = t[i] * 3.0f;
}
"""

RNG = np.random.default_rng(0)
IN_CASES = {
    "cuda": (SERIAL_CU, "norm", lambda: [RNG.standard_normal(300).astype(np.float32), np.zeros(300, np.float32),
                                         np.array([1.5], np.float32)]),
    "hip": (SERIAL_HIP, "rows", lambda: [RNG.standard_normal(512).astype(np.float32), np.zeros(8, np.float32)]),
    "bang": (SERIAL_MLU, "scale_host", lambda: [RNG.standard_normal(256).astype(np.float32),
                                                np.zeros(256, np.float32), np.int32(200)]),
    "bang-bare": (BARE_MLU, "neg_kernel", lambda: [RNG.standard_normal(128).astype(np.float32),
                                                   np.zeros(128, np.float32)]),
}


def _in(key: str):
    text, entry, make = IN_CASES[key]
    dialect = key.split("-")[0]
    p = Program.from_source(text, dialect)
    return p, HOST.run(p, PassContext(dialect, "c")), entry, make(), text, dialect


@pytest.mark.parametrize("key", list(IN_CASES))
def test_in_runs_like_the_serial_source(key):
    p, res, entry, args, text, dialect = _in(key)
    prog = res.program
    assert prog.dialect == "c" and prog.entry == entry and not prog.entry_is_kernel
    assert all(f.kind is N.FuncKind.HOST for f in prog.module.funcs())
    assert not any(isinstance(n, (N.Launch, N.Barrier, N.Builtin)) for n in walk(prog.module))
    calls = [n.name for n in walk(prog.module) if isinstance(n, N.Call)]
    assert not [c for c in calls if c.startswith(("cuda", "hip", "cnrt"))]
    want = run_kernel(text, dialect, args=args, entry=entry, launch=p.launch).outputs
    got = run_kernel(prog.text(), "c", args=args, entry=entry).outputs
    for a, b in zip(want, got):
        if isinstance(a, np.ndarray) and a.size:
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-6)


def test_in_aliases_full_copies_and_keeps_a_scratch_buffer():
    _, res, *_ = _in("cuda")
    body = res.program.entry_func.body
    mallocs = [n for s in body for n in walk(s) if isinstance(n, N.Call) and n.name == "malloc"]
    assert len(mallocs) == 1  # ds: a device scratch buffer, no host copy of it exists
    assert not [n for s in body for n in walk(s) if isinstance(n, N.Call) and n.name == "memcpy"]
    assert sum("replaced" in n for n in res.notes) == 3
    assert "#define CHECK" not in res.program.text()  # the error-check macro went with its uses


def test_in_keeps_the_copy_of_an_input_the_kernel_overwrites():
    # rows_device writes through W (= dX, the copy of X) and X is never copied back: X must stay unchanged
    _, res, entry, args, _, _ = _in("hip")
    names = [n.name for s in res.program.entry_func.body for n in walk(s) if isinstance(n, N.Call)]
    assert names.count("malloc") == 1 and names.count("memcpy") == 1
    x0 = args[0].copy()
    out = run_kernel(res.program.text(), "c", args=args, entry=entry).outputs
    np.testing.assert_array_equal(out[0], x0)


def test_in_bare_kernel_entry_becomes_the_extern_c_function():
    _, res, *_ = _in("bang-bare")
    f = res.program.entry_func
    assert f.name == "neg_kernel" and f.extern_c and f.kind is N.FuncKind.HOST
    assert res.program.note("source_entry_is_kernel") is True


@pytest.mark.parametrize("text, dialect, launch", [
    ("__global__ void k(float* x) { x[threadIdx.x] = 1.0f; }", "cuda", "grid=1,1,1 block=32,1,1"),
    ('__global__ void k(float* x) { x[0] = 1.0f; }\nextern "C" void h(float* x) { k<<<4, 32>>>(x); }', "cuda", None),
    ("__global__ void k(float* x) { x[0] = 1.0f; }", "hip", "grid=2,1,1 block=1,1,1"),
    ("__mlu_global__ void k(float* x) { x[0] = 1.0f; }", "bang", "tasks=16 clusters=4 cores=4"),
    ("__nram__ float b[64];\n__mlu_global__ void k(float* x) { __bang_active_relu(b, b, 64); x[0] = b[0]; }",
     "bang", "tasks=1"),
])
def test_in_declines_what_is_not_serial(text, dialect, launch):
    p = Program.from_source(text, dialect, launch=launch)
    with pytest.raises(PassDeclined):
        HOST.run(p, PassContext(dialect, "c"))


RT_CASES = [("gather", "cuda"), ("deformable_attention", "hip"), ("softmax", "bang")]
if SWEEP:
    RT_CASES = [(op, t) for op in SPECS for t in ("cuda", "hip", "bang")]


@pytest.mark.parametrize("op, target", RT_CASES, ids=[f"{o}-{t}" for o, t in RT_CASES])
def test_round_trip_out_then_in_gives_back_the_serial_function(op, target):
    _, res = _out(op, target)
    back = HOST.run(res.program, PassContext(target, "c")).program
    # every device buffer was a full copy of a parameter: no device copies are left, and the former kernel
    # (called once) is inlined, so the entry is the serial loop nest again
    calls = {n.name for n in walk(back.module) if isinstance(n, N.Call)}
    assert not calls & {"malloc", "memcpy", "free"}
    assert [f.name for f in back.module.funcs()] == [back.entry]
    assert check_program(SPECS[op], "c", 0, back).ok


def test_direction_and_applies():
    c = source_program(SPECS["add"], "c", 0)
    assert HOST.applies(c, PassContext("c", "cuda")) and not HOST.applies(c, PassContext("c", "c"))
    with pytest.raises(PassDeclined):
        HOST.run(c, PassContext("c", "c"))
    vnni = HOST.run(c, PassContext("c", "vnni")).program
    assert vnni.dialect == "vnni" and vnni.module.items == c.module.items


def test_in_keeps_the_status_the_source_checks():
    # `cudaError_t err = cudaMalloc(...)`, `err = cudaGetLastError()`, `cudaGetErrorString(err)`: the C form of
    # each call runs, the status is success (0), and the checks that read it still compile and hold
    from xpiler import transcompile

    src = """#include <cstdio>
#include <cuda_runtime.h>
__global__ void twice(float* x, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) x[i] *= 2.0f; }
extern "C" int run(float* h, int n) {
  float* d;
  cudaError_t err = cudaMalloc(&d, n * sizeof(float));
  if (err != cudaSuccess) { printf("malloc: %s\\n", cudaGetErrorString(err)); return 1; }
  err = cudaMemcpy(d, h, n * sizeof(float), cudaMemcpyHostToDevice);
  if (err != cudaSuccess) return 2;
  twice<<<(n + 127) / 128, 128>>>(d, n);
  if (cudaGetLastError() != cudaSuccess) return 3;
  cudaMemcpy(h, d, n * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d);
  return 0;
}
"""
    res = transcompile(src, "cuda", "c")
    assert res.verified, res.report.summary()
    assert "int err = 0;" in res.code and "cuda" not in res.code and '"no error"' in res.code
