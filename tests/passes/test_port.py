"""The port pass (passes/port.py): direct CUDA <-> HIP translation of corpus kernels without wmma / MFMA.

Each ported program runs on the target's executor with the source's arguments and matches the reference;
warp shuffles keep CUDA's 32-lane semantics inside HIP's 64-lane wavefronts; HIP code that needs 64 lanes,
matrix intrinsics and warp votes are declined. The sweep over every eligible corpus file runs with
XPILER_SWEEP=1."""

from __future__ import annotations

import os

import pytest

from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.registry import get_pass
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

PORT = get_pass("port")
SPECS = {s.op: s for s in load_corpus()}
MATRIX = {op for op, s in SPECS.items() if "wmma" in s.source("cuda", 0) or "mfma" in s.source("hip", 0)}

CASES = [("layernorm", "cuda"), ("sum", "cuda"), ("gemv", "cuda"), ("softmax", "hip"), ("mean", "hip"),
         ("transpose", "hip")]
if os.environ.get("XPILER_SWEEP") == "1":
    CASES = [(op, d) for op in SPECS if op not in MATRIX for d in ("cuda", "hip")
             if (op, d) != ("gemv", "hip")]


def _port(op: str, src: str):
    p = source_program(SPECS[op], src, 0)
    return p, PORT.run(p, PassContext(src, "hip" if src == "cuda" else "cuda"))


@pytest.mark.parametrize("op, src", CASES, ids=[f"{o}-{d}" for o, d in CASES])
def test_port_runs_like_the_reference(op, src):
    p, res = _port(op, src)
    dst = "hip" if src == "cuda" else "cuda"
    assert res.program.dialect == dst and res.program.entry == p.entry
    text = res.program.text()
    other = "cuda" if dst == "hip" else "hip"
    assert not [n.name for n in walk(res.program.module) if isinstance(n, N.Call) and n.name.startswith(other)]
    assert ("hip/hip_runtime.h" if dst == "hip" else "cuda_runtime.h") in text
    for ob in res.obligations:
        assert ob.check()[0] is True
    rep = check_program(SPECS[op], src, 0, res.program)
    assert rep.ok, str(rep)


def _shuffles(prog):
    return [n for n in walk(prog.module) if isinstance(n, N.Call) and n.name.startswith("__shfl")]


def test_cuda_shuffles_keep_32_lanes_in_hip():
    _, res = _port("softmax", "cuda")
    shf = _shuffles(res.program)
    assert shf and all(c.name == "__shfl_xor" and len(c.args) == 3 and c.args[2] == N.Const(32) for c in shf)


def test_cuda_warp_size_becomes_32_in_hip():
    text = r"""
#include <cuda_runtime.h>
__global__ void k(float* y) {
  float v = threadIdx.x;
  for (int o = warpSize / 2; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
  if (threadIdx.x % warpSize == 0) y[threadIdx.x / warpSize] = v;
}
extern "C" void h(float* y) {
  int ws = 0;
  cudaDeviceGetAttribute(&ws, cudaDevAttrWarpSize, 0);
  float* d;
  cudaMalloc(&d, 2 * sizeof(float));
  k<<<1, 64>>>(d);
  cudaMemcpy(y, d, 2 * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(d);
  y[0] += ws - 32;
}
"""
    import numpy as np

    from xpiler.exec import run_kernel

    p = Program.from_source(text, "cuda")
    res = PORT.run(p, PassContext("cuda", "hip"))
    assert not [n for n in walk(res.program.module) if isinstance(n, N.Builtin) and n.name == "warpSize"]
    want = run_kernel(text, "cuda", args=[np.zeros(2, np.float32)], entry="h").outputs[0]
    got = run_kernel(res.program.text(), "hip", args=[np.zeros(2, np.float32)], entry="h").outputs[0]
    np.testing.assert_array_equal(got, want)


def test_hip_default_width_shuffles_need_warp_size_generic_code():
    _, res = _port("sum", "hip")  # written with warpSize throughout: offsets < warpSize proved
    assert all(c.name == "__shfl_down_sync" and len(c.args) == 3 for c in _shuffles(res.program))
    assert res.obligations and all(o.check()[0] is True for o in res.obligations)
    bad = r"""
#include <hip/hip_runtime.h>
__global__ void k(float* y) {
  float v = threadIdx.x;
  for (int o = 32; o > 0; o /= 2) v += __shfl_down(v, o);
  if (threadIdx.x % 64 == 0) y[threadIdx.x / 64] = v;
}
"""
    with pytest.raises(PassDeclined):
        PORT.run(Program.from_source(bad, "hip", launch="grid=1,1,1 block=128,1,1"), PassContext("hip", "cuda"))


@pytest.mark.parametrize("op, src", [("gemv", "hip"), ("gemm", "cuda"), ("gemm", "hip")])
def test_port_declines(op, src):
    with pytest.raises(PassDeclined):
        _port(op, src)


def test_port_declines_warp_votes_and_other_pairs():
    text = "__global__ void k(int* y) { y[threadIdx.x] = __ballot_sync(0xffffffffu, threadIdx.x & 1); }"
    p = Program.from_source(text, "cuda", launch="grid=1,1,1 block=32,1,1")
    with pytest.raises(PassDeclined):
        PORT.run(p, PassContext("cuda", "hip"))
    assert not PORT.applies(p, PassContext("cuda", "bang"))


_ACTIVEMASK = """
__global__ void k(const float* x, float* y) {
  float v = x[blockIdx.x * 64 + threadIdx.x];
  unsigned mask[1];
  mask[0] = __activemask();
  v = v + __shfl_down_sync(mask[0], v, 16, 32);
  v = v + __shfl_down_sync(mask[0], v, 8, 32);
  v = v + __shfl_down_sync(mask[0], v, 4, 32);
  v = v + __shfl_down_sync(mask[0], v, 2, 32);
  v = v + __shfl_down_sync(mask[0], v, 1, 32);
  if (threadIdx.x % 32 == 0) y[blockIdx.x * 2 + threadIdx.x / 32] = v;
}
"""


@pytest.mark.parametrize("target", ["hip", "c"])
def test_activemask_that_only_feeds_shuffle_masks_is_the_full_mask(target):
    """TVM's cross-thread reductions take the mask of their shuffles from __activemask(): the port (and the
    serial route's lane loops) drop shuffle masks, so such a value is the full warp mask; used otherwise
    (a count of active lanes) it is still declined."""
    from xpiler import transcompile
    from xpiler.passes._simt_util import activemask_as_full

    src = "// xpiler:launch grid=3,1,1 block=64,1,1\n" + _ACTIVEMASK
    res = transcompile(src, "cuda", target)
    assert res.verified, res.report.summary()
    assert "__activemask" not in res.code
    p = Program.from_source(src, "cuda")
    assert activemask_as_full(p.module)[1] == 1
    counted = src.replace("v = v + __shfl_down_sync(mask[0], v, 1, 32);", "v = v + __popc(mask[0]);")
    q = Program.from_source(counted, "cuda")
    assert activemask_as_full(q.module)[1] == 0
    with pytest.raises(PassDeclined, match="__activemask"):
        PORT.run(q, PassContext("cuda", "hip"))


def test_the_programs_own_namespace_named_like_the_runtime_is_kept():
    # `hip::check` (rocm-examples' helper) is the program's function, not a runtime name to look up
    src = """#include <hip/hip_runtime.h>
namespace hip { inline int check(hipError_t e) { return e == hipSuccess ? 0 : 1; } }
__global__ void k(float* x) { x[threadIdx.x] = 2.0f; }
extern "C" int run(float* h) {
  float* d;
  if (hip::check(hipMalloc(&d, 64 * sizeof(float)))) return 1;
  k<<<1, 64>>>(d);
  hipMemcpy(h, d, 64 * sizeof(float), hipMemcpyDeviceToHost);
  hipFree(d);
  return 0;
}
"""
    res = get_pass("port").run(Program.from_source(src, "hip"), PassContext("hip", "cuda"))
    text = res.program.text()
    assert "hip::check(cudaMalloc(&d, 64 * sizeof(float)))" in text and "cudaMemcpyDeviceToHost" in text
    assert "check(cudaError_t e) { return e == cudaSuccess" in text
