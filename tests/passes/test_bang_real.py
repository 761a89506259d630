"""BANG kernels as shipped: bare `__mlu_global__` kernels launched by the user (Block, Union1/2/4), indexed by
taskId or clusterId * 4 + coreId, `__nram__` buffers sized by macros and carved into typed views of one char
buffer, half staging, helper macros, strided copies, SRAM + `__sync_cluster`, the MLU270 `__bang_div`.

The kernels live in tests/passes/bang_real/ (cases and numpy references in _bang_real_cases.py). Each one runs
on the BANG emulator against numpy; each translates to C verified and the C output, run on the C executor,
agrees with numpy (an independent check of the final one); a sample goes to CUDA. Small kernels check the
mechanisms: typed views in the dependence model, the overlap test of non-element-wise intrinsics, the
workspace form of `__bang_div`, ties of `__bang_float2half_rd`, barrier fission."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest

from xpiler import transcompile
from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program

from _bang_real_cases import BY_NAME, CASES, run_case  # noqa: E402 (tests/passes is on sys.path)

pytestmark = pytest.mark.skipif(not (shutil.which("clang++-15") or shutil.which("clang++") or shutil.which("g++")),
                                reason="no C++ compiler")
CTX = PassContext("bang", "c")


def _detensorize(p: Program):
    from xpiler.passes import detensorize

    return detensorize.PASS.run(p, CTX)


def _recover(p: Program):
    from xpiler.passes import loop_recovery

    return loop_recovery.PASS.run(p, CTX)


def _launch_line(code: str) -> str | None:
    m = re.search(r"^// xpiler:launch (.*)$", code, re.M)
    return m.group(1) if m else None


# ---------------------------------------------------------------------------------------------- the kernels
@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_kernel_runs_on_the_emulator(name):
    case = BY_NAME[name]
    for k, err in run_case(case).items():
        assert err <= case.tol, (k, err)


@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_kernel_translates_to_c_and_agrees_with_numpy(name):
    case = BY_NAME[name]
    res = transcompile(case.source(), "bang", "c", launch=case.launch, path=str(case.path))
    assert res.verified, res.report.reason
    for k, err in run_case(case, res.code, "c", seed=3).items():
        assert err <= case.tol, (k, err)


@pytest.mark.parametrize("name", ["scale_shift", "div5", "sram_broadcast", "sumpool_carve"])
def test_kernel_translates_to_cuda_and_agrees_with_numpy(name):
    case = BY_NAME[name]
    res = transcompile(case.source(), "bang", "cuda", launch=case.launch, path=str(case.path))
    assert res.verified, res.report.reason
    for k, err in run_case(case, res.code, "cuda", launch=_launch_line(res.code), seed=5).items():
        assert err <= case.tol, (k, err)


def test_carved_nram_buffer_is_not_shared_by_cuda_threads():
    """Views of one `__nram__` char buffer are the buffer: once tasks are threads each needs its own copy,
    so the output either runs one thread or no longer has a single buffer every thread writes."""
    case = BY_NAME["relu_half"]
    res = transcompile(case.source(), "bang", "cuda", launch=case.launch, path=str(case.path))
    assert res.verified, res.report.reason
    grid, block = re.search(r"grid=(\d+),\d+,\d+ block=(\d+)", res.code).groups()
    if int(grid) * int(block) > 1:
        assert not re.search(r"__device__ char nram_buffer\[MAX_NRAM_SIZE\]", res.code), res.code


# ---------------------------------------------------------------------------------------------- typed views
_VIEWS = """
#define SZ 4096
__nram__ char buf[SZ];
__mlu_global__ void k(float *x, float *y) {
  float *a = (float *)buf;
  float *b = a + 256;
  half *h = (half *)(buf + OFF);
  for (int t = 0; t < 4; t++) {
    for (int i = 0; i < 256; i++) { b[i] = x[t * 256 + i]; }
    for (int i = 0; i < 256; i++) { h[i] = (half)a[i]; }
  }
}
"""


@pytest.mark.parametrize("off,conflict", [("2048", False), ("1000", True), ("512", False), ("1536", True)])
def test_views_of_one_buffer_resolve_to_it_with_byte_ranges(off, conflict):
    from passes import _deps as D

    p = Program.from_source("#include <bang.h>\n#define OFF " + off + "\n" + _VIEWS, "bang", path="k.mlu",
                            launch="tasks=1")
    f = p.entry_func
    facts = D.FuncFacts(f, p.module)
    reg = D.analyze(f.body, facts)
    buf = [a for a in reg.accesses if a.base is not None and a.base.name == "buf"]
    assert len(buf) == 3 and {a.width for a in buf} == {4, 2}  # b[i] and a[i] as floats, h[i] as halves
    (loop,) = [s for s in f.body if isinstance(s, N.For)]
    inner = [s for s in loop.body if isinstance(s, N.For)]
    # b (bytes 1024..2048) written in the first inner loop vs h (bytes OFF..OFF+512) written in the second:
    # do the two inner loops write overlapping bytes? (order_conflicts: any instance order)
    w1 = [a for a in buf if a.write and inner[0] in a.loops]
    w2 = [a for a in buf if a.write and inner[1] in a.loops]
    got = D.order_conflicts(w1 + w2, lambda i1, i2, a, b: D.z3.BoolVal(a is not b), facts)
    assert bool(got) is conflict, got


# ---------------------------------------------------------------------------------------------- overlap test
_POOL = """// xpiler:launch tasks=4 clusters=1 cores=4 type=union1
#include <bang.h>
#define C 64
#define H 8
#define W 16
__nram__ char nram_buffer[1024 * 128];
__mlu_global__ void pool(float *input, float *output, int batch) {
  float *src = (float *)nram_buffer;
  float *dst = src + DST;
  for (int b = taskId; b < batch; b += taskDim) {
    __memcpy(src, input + b * H * W * C, H * W * C * sizeof(float), GDRAM2NRAM);
    __bang_sumpool(dst, (float *)nram_buffer + 0, C, H, W, 2, 2, 2, 2);
    __memcpy(output + b * H * W * C / 4, dst, H * W * C / 4 * sizeof(float), NRAM2GDRAM);
  }
}
"""


@pytest.mark.parametrize("dst,ok", [("H * W * C", True), ("H * W * C - 64", False), ("-(H * W * C / 4)", True),
                                    ("-(H * W * C / 4) + 1", False)])
def test_pooling_into_a_view_of_its_source_buffer(dst, ok):
    """dst and src are views of one buffer: disjoint byte ranges (the output is H*W*C/4 floats) expand to
    loops; overlapping ones are declined (the intrinsic reads all of src before writing)."""
    text = _POOL.replace("DST", f"({dst})")
    if dst.startswith("-"):
        text = text.replace("float *src = (float *)nram_buffer;", "float *src = (float *)nram_buffer + H * W * C;")
        text = text.replace("(float *)nram_buffer + 0", "src")
    p = Program.from_source(text, "bang", path="pool.mlu")
    if not ok:
        with pytest.raises(PassDeclined, match="may write an array it reads"):
            _detensorize(p)
        return
    det = _detensorize(p)
    assert not any(isinstance(n, N.Call) and n.name.startswith("__bang") for n in walk(det.program.module))
    rng = np.random.default_rng(0)
    args = [rng.standard_normal(3 * 8 * 16 * 64).astype(np.float32), np.zeros(3 * 8 * 16 * 64 // 4, np.float32),
            np.int32(3)]
    outs = [run_kernel(q.text(), "bang", args=[a.copy() if isinstance(a, np.ndarray) else a for a in args],
                       launch=q.launch, filename="pool.mlu").outputs[1] for q in (p, det.program)]
    want = args[0].reshape(3, 4, 2, 8, 2, 64).sum(axis=(2, 4)).reshape(-1)
    np.testing.assert_allclose(outs[0], want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(outs[1], want, rtol=1e-5, atol=1e-5)


# ---------------------------------------------------------------------------------------------- __bang_div
_DIV = """#include <bang.h>
__nram__ float nb[256];
__mlu_global__ void k(float *a, float *b, float *c) {
  __memcpy(nb, a, 64 * sizeof(float), GDRAM2NRAM);
  __memcpy(nb + 64, b, 64 * sizeof(float), GDRAM2NRAM);
  CALL;
  __memcpy(c, nb + 128, 64 * sizeof(float), NRAM2GDRAM);
}
"""


@pytest.mark.parametrize("call,want", [
    ("__bang_div(nb + 128, nb, nb + 64, nb + 192, 64)", lambda a, b: a / b),
    ("__bang_div(nb + 128, (float *)nb + 0, nb + 64, 64)", lambda a, b: a / b),
    ("__bang_div(nb + 128, nb, 4.0f, 64)", lambda a, b: a / 4),
])
def test_bang_div_forms(call, want):
    p = Program.from_source(_DIV.replace("CALL", call), "bang", path="k.mlu", launch="tasks=1")
    det = _detensorize(p)
    q = det.program
    assert not any(isinstance(n, N.Call) and n.name.startswith("__bang") for n in walk(q.module))
    # the workspace (nb[192..256)) is never written by the scalar form
    stores = [n for n in walk(q.module) if isinstance(n, N.Store)]
    assert len(stores) == 4  # two loads, the division, the store back
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal(64).astype(np.float32), rng.uniform(0.5, 2, 64).astype(np.float32)
    for prog in (p, q):
        out = run_kernel(prog.text(), "bang", args=[a, b, np.zeros(64, np.float32)], launch="tasks=1",
                         filename="k.mlu").outputs[2]
        np.testing.assert_allclose(out, want(a, b), rtol=1e-6)


# ---------------------------------------------------------------------------------------------- rounding
_F2H = """// xpiler:launch tasks=1
#include <bang.h>
__nram__ float nf[64];
__nram__ half nh[64];
__mlu_global__ void k(float *x, half *y) {
  __memcpy(nf, x, 64 * sizeof(float), GDRAM2NRAM);
  __bang_float2half_MODE(nh, nf, 64);
  __memcpy(y, nh, 64 * sizeof(half), NRAM2GDRAM);
}
"""


def _ties() -> np.ndarray:
    h = np.array([1.0, 1.0 + 2 ** -10, 3.0, -1.0, -(1.0 + 2 ** -10), 2 ** -24, -(2 ** -24), 1024.0, 65472.0,
                  0.0, 2 ** -14, 2048.0], np.float16)
    nxt = np.nextafter(h, np.float16(np.inf))
    mid = (h.astype(np.float64) + nxt.astype(np.float64)) / 2  # exact ties, representable in float
    x = np.concatenate([mid, -mid, np.float32(2 ** -25) * np.arange(1, 4),
                        [70000.0, -1e-9, 0.33333334, 65520.0, -65520.0, 65519.0, -70000.0]])
    return np.resize(x, 64).astype(np.float32)


def _expected_half(x: np.ndarray, mode: str) -> np.ndarray:
    """IEEE binary16 rounding with an unbounded exponent (past 65504 the next value is 2^16), then overflow."""
    with np.errstate(over="ignore", invalid="ignore"):
        xd = x.astype(np.float64)
        lo = x.astype(np.float16)  # nearest even, inf from 65520 on
        down = np.where(lo.astype(np.float64) <= xd, lo, np.nextafter(lo, np.float16(-np.inf)))
        up = np.where(lo.astype(np.float64) >= xd, lo, np.nextafter(lo, np.float16(np.inf)))
        dv, uv = (np.where(np.isinf(v), np.copysign(65536.0, v), v) for v in (down.astype(np.float64),
                                                                              up.astype(np.float64)))
        tie = (down != up) & (xd - dv == uv - xd)
    assert tie.sum() >= 20
    return {"rn": lo, "rd": np.where(tie, np.where(xd > 0, up, down), lo), "rm": np.where(tie, up, lo)}[mode]


@pytest.mark.parametrize("mode", ["rd", "rm", "rn"])
def test_float2half_ties_are_exact_after_translation(mode):
    x = _ties()
    want = _expected_half(x, mode)
    src = _F2H.replace("MODE", mode)
    got = run_kernel(src, "bang", args=[x, np.zeros(64, np.float16)], filename="k.mlu").outputs[1]
    np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16))
    res = transcompile(src, "bang", "c", path="k.mlu")
    assert res.verified, res.report.reason
    got = run_kernel(res.code, "c", args=[x, np.zeros(64, np.float16)], filename="k.c").outputs[1]
    np.testing.assert_array_equal(np.asarray(got).view(np.uint16), want.view(np.uint16))


# ---------------------------------------------------------------------------------------------- barriers
_BAR = """// xpiler:launch tasks=8 clusters=2 cores=4 type=union2
#include <bang.h>
__mlu_shared__ float sw[256];
__nram__ float a[256];
__nram__ float w[256];
__mlu_global__ void k(float *x, float *y) {
  int base = taskId * 256;
  if (coreId == 0) {
    __memcpy(sw, x + clusterId * 256, 256 * sizeof(float), GDRAM2SRAM);
  }
  PRE
  __sync_cluster();
  __memcpy(w, sw, 256 * sizeof(float), SRAM2NRAM);
  __memcpy(a, x + 512 + base, 256 * sizeof(float), GDRAM2NRAM);
  __bang_add(a, a, w, 256);
  __memcpy(y + base, a, 256 * sizeof(float), NRAM2GDRAM);
}
"""


@pytest.mark.parametrize("barrier", ["__sync_cluster", "__sync_all"])
def test_cluster_barrier_splits_the_task_loop_and_sram_gets_a_slice_per_cluster(barrier):
    p = Program.from_source(_BAR.replace("PRE", "").replace("__sync_cluster", barrier), "bang", path="k.mlu")
    q = _recover(_detensorize(p).program)
    rec = q.program
    loops = rec.entry_func.body
    assert len(loops) == 2 and all(isinstance(f, N.For) and f.kind is N.LoopKind.PARALLEL for f in loops)
    assert not any(isinstance(n, N.Barrier) for n in walk(rec.module))
    for ob in q.obligations:
        assert ob.check()[0] is True, ob.name
    rng = np.random.default_rng(2)
    x = rng.standard_normal(512 + 8 * 256).astype(np.float32)
    want = (x[512:].reshape(8, 256) + x[:512].reshape(2, 1, 256).repeat(4, axis=1).reshape(8, 256)).reshape(-1)
    for prog in (p, rec):
        out = run_kernel(prog.text(), "bang", args=[x, np.zeros(8 * 256, np.float32)], launch=prog.launch,
                         filename="k.mlu").outputs[1]
        np.testing.assert_allclose(out, want, rtol=1e-6)


@pytest.mark.parametrize("pre,why", [
    ("__memcpy(w, x, 256 * sizeof(float), GDRAM2NRAM);", "per-core memory"),
    ("base = base + 1;", "computed before a barrier"),
    ("for (int i = 0; i < 2; i++) { __sync_cluster(); }", "inside control flow"),
])
def test_barrier_fission_declines_what_a_task_keeps_across_it(pre, why):
    p = Program.from_source(_BAR.replace("PRE", pre), "bang", path="k.mlu")
    with pytest.raises(PassDeclined, match=why):
        _recover(_detensorize(p).program)


def test_barrier_in_a_block_launch_is_declined():
    p = Program.from_source(_BAR.replace("PRE", ""), "bang", path="k.mlu", launch="tasks=8 type=block")
    with pytest.raises(PassDeclined, match="Block"):
        _recover(_detensorize(p).program)


# ---------------------------------------------------------------------------------------------- helpers
_HELPER = """// xpiler:launch tasks=8 clusters=2 cores=4 type=union2
#include <bang.h>
__nram__ float buf[1024];
__mlu_func__ void part(int total, int *offset, int *count) {
  int per = total / taskDim;
  *count = taskId < total % taskDim ? per + 1 : per;
  *offset = taskId * per + (taskId < total % taskDim ? taskId : total % taskDim);
}
__mlu_func__ int lane() { return clusterId * 4 + coreId; }
__mlu_func__ void scale(float *p, int n) {
  __bang_mul_scalar(p, p, (float)(lane() + 1), n);
}
__mlu_global__ void k(float *x, float *y, int total) {
  int offset, count;
  part(total, &offset, &count);
  __memcpy(buf, x + offset, count * sizeof(float), GDRAM2NRAM);
  scale(buf, count);
  __memcpy(y + offset, buf, count * sizeof(float), NRAM2GDRAM);
}
"""


def test_helpers_reading_task_builtins_take_them_as_parameters():
    p = Program.from_source(_HELPER, "bang", path="k.mlu")
    rec = _recover(_detensorize(p).program)
    q = rec.program
    assert not any(isinstance(n, N.Builtin) for n in walk(q.module))
    assert [len(f.params) for f in q.module.funcs() if f.name == "lane"] == [2]  # clusterId, coreId
    assert [len(f.params) for f in q.module.funcs() if f.name == "scale"] == [4]
    for ob in rec.obligations:
        assert ob.check()[0] is True, ob.name
    x = np.arange(1000, dtype=np.float32)
    per = [125] * 8
    want = np.concatenate([x[i * 125:(i + 1) * 125] * (i + 1) for i in range(8)])
    assert sum(per) == 1000
    for prog in (p, q):
        out = run_kernel(prog.text(), "bang", args=[x, np.zeros(1000, np.float32), np.int32(1000)],
                         launch=prog.launch, filename="k.mlu").outputs[1]
        np.testing.assert_allclose(out, want)
