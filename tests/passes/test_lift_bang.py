"""Lifting BANG C to scalar code: detensorize (bang -> bang: __bang_* / __memcpy / fills -> loops) and loop
recovery (bang -> bang: taskId/clusterId/coreId -> a parallel task loop, launch tasks=1).

Every corpus .mlu kernel (case 0, and case 1 of several) goes through both passes; after each one the
program runs on the BANG emulator against the numpy reference, its obligations hold, and what the pass
removes is gone. Small kernels check the corners: byte copies, fill typing, values read once, name
capture, task layouts, and the cases the passes must decline."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

pytestmark = pytest.mark.skipif(not (shutil.which("clang++-15") or shutil.which("clang++") or shutil.which("g++")),
                                reason="no C++ compiler")

CTX = PassContext("bang", "c")
SPECS = {s.op: s for s in load_corpus()}
CASE1 = ("softmax", "gemm", "conv2d_nhwc", "max", "batchnorm", "transpose", "deformable_attention")
TASK_BUILTINS = {"taskId", "taskIdX", "taskIdY", "taskIdZ", "taskDim", "taskDimX", "taskDimY", "taskDimZ",
                 "clusterId", "clusterDim", "coreId", "coreDim"}


def _detensorize(p: Program):
    from xpiler.passes import detensorize

    return detensorize.PASS.run(p, CTX)


def _recover(p: Program):
    from xpiler.passes import loop_recovery

    return loop_recovery.PASS.run(p, CTX)


def _intrinsics(p: Program) -> set[str]:
    return {n.name for n in walk(p.module) if isinstance(n, N.Call)
            and (n.kind is N.CallKind.INTRINSIC or n.name.startswith(("__bang_", "__memcpy", "__memset", "__nramset")))}


def _builtins(p: Program) -> set[str]:
    return {n.name for n in walk(p.module) if isinstance(n, N.Builtin) and n.name in TASK_BUILTINS}


def _obligations_hold(result) -> None:
    for ob in result.obligations:
        ok, detail = ob.check()
        assert ok is True, f"{ob.name}: {detail}"


@pytest.mark.corpus
@pytest.mark.parametrize("op,case", [(op, 0) for op in sorted(SPECS)] + [(op, 1) for op in CASE1])
def test_corpus_kernel_lifts_to_scalar_task_loop(op, case):
    spec = SPECS[op]
    src = source_program(spec, "bang", case)
    assert _intrinsics(src) and _builtins(src)

    det = _detensorize(src)
    p = det.program
    assert p.dialect == "bang" and p.entry == src.entry and p.launch == src.launch
    assert not _intrinsics(p), _intrinsics(p)
    _obligations_hold(det)
    assert sum(ob.name.startswith("detensorize(bang): __memcpy") for ob in det.obligations) >= 1
    rep = check_program(spec, "bang", case, p)
    assert rep.ok, str(rep)

    rec = _recover(p)
    q = rec.program
    assert q.dialect == "bang" and q.entry == src.entry and q.launch == "tasks=1"
    assert not _builtins(q) and not _intrinsics(q)
    (loop,) = q.entry_func.body
    assert isinstance(loop, N.For) and loop.kind is N.LoopKind.PARALLEL and loop.stop == N.Const(16)
    _obligations_hold(rec)
    rep = check_program(spec, "bang", case, q)
    assert rep.ok, str(rep)


# ---------------------------------------------------------------------------------------------- small kernels
def _kernel(body: str, params: str, decls: str = "", launch: str = "tasks=1") -> Program:
    text = f"#include <bang.h>\n{decls}\nextern \"C\" __mlu_global__ void k({params}) {{\n{body}\n}}\n"
    return Program.from_source(text, "bang", path="k.mlu", launch=launch)


def _run(p: Program, args) -> list:
    return run_kernel(p.text(), "bang", args=[a.copy() if isinstance(a, np.ndarray) else a for a in args],
                      entry=p.entry, launch=p.launch, filename="k.mlu").outputs


def _same(before: Program, after: Program, args) -> None:
    for x, y in zip(_run(before, args), _run(after, args)):
        if x is not None:
            np.testing.assert_allclose(y, x, rtol=1e-6, atol=1e-6)


def test_memcpy_between_different_types_moves_bytes():
    decls = "__nram__ char buf[64];\n__nram__ float f[16];"
    body = ("  __memcpy(buf, x, 10 * sizeof(float), GDRAM2NRAM);\n"
            "  __bang_write_zero(f, 16);\n"
            "  __memcpy(f, buf, 10 * sizeof(float), NRAM2NRAM);\n"
            "  __memcpy(y, f, 16 * sizeof(float), NRAM2GDRAM);")
    p = _kernel(body, "float* x, float* y", decls)
    det = _detensorize(p)
    text = det.program.text()
    assert "unsigned char" in text or "uint8_t" in text  # the char <-> float copy is a byte loop
    _obligations_hold(det)
    x = np.arange(16, dtype=np.float32) + 0.5
    _same(p, det.program, [x, np.zeros(16, np.float32)])


def test_memcpy_with_runtime_size_falls_back_to_bytes_and_strided_copy_is_exact():
    body = ("  __nram__ float t[64];\n"
            "  __bang_write_value(t, 64, 7.0f);\n"
            "  __memcpy(t, x, n, GDRAM2NRAM);\n"
            "  __memcpy(y, t, 3 * sizeof(float), NRAM2GDRAM, 5 * sizeof(float), 4 * sizeof(float), 3);")
    p = _kernel(body, "float* x, float* y, int n")
    det = _detensorize(p)
    _obligations_hold(det)
    x = np.arange(64, dtype=np.float32)
    _same(p, det.program, [x, np.zeros(20, np.float32), np.int32(22)])


def test_fill_writes_elements_of_the_value_type():
    # an int value fills ints (bit patterns), as the runtime does, whatever the buffer's type
    body = ("  __nram__ float t[8];\n  __bang_write_value(t, 8, 1);\n"
            "  __memcpy(y, t, 8 * sizeof(float), NRAM2GDRAM);")
    p = _kernel(body, "float* y")
    det = _detensorize(p)
    out = _run(det.program, [np.zeros(8, np.float32)])[0]
    assert (out.view(np.int32) == 1).all()
    _same(p, det.program, [np.zeros(8, np.float32)])


def test_scalar_operand_is_read_once_and_loop_names_do_not_capture():
    body = ("  __nram__ float t[64];\n  __memcpy(t, x, 64 * sizeof(float), GDRAM2NRAM);\n"
            "  for (int i = 0; i < 2; ++i) {\n"
            "    __bang_mul_scalar(t + i * 32, t + i * 32, t[i * 32], 32);\n"
            "    __bang_add(t + i * 32, t + i * 32, t + (1 - i) * 32, 32);\n  }\n"
            "  __memcpy(y, t, 64 * sizeof(float), NRAM2GDRAM);")
    p = _kernel(body, "float* x, float* y")
    det = _detensorize(p)
    assert not _intrinsics(det.program)
    x = np.linspace(-2, 3, 64).astype(np.float32)
    _same(p, det.program, [x, np.zeros(64, np.float32)])


def test_inplace_pooling_is_declined():
    body = "  __nram__ float t[64];\n  __bang_maxpool(t, t, 32, 1, 2, 1, 2, 1, 1);"
    with pytest.raises(PassDeclined):
        _detensorize(_kernel(body, "float* y"))


@pytest.mark.parametrize("launch", ["tasks=8 clusters=2 cores=4", "tasks=16 clusters=4 cores=4",
                                    "tasks=6", "tasks=12 dim=2,3,2", "tasks=16 clusters=2 cores=4"])
def test_task_loop_reproduces_every_builtin(launch):
    body = ("  int v = taskId * 1000000 + taskIdX * 100000 + taskIdY * 10000 + taskIdZ * 1000 + taskDim * 10"
            " + taskDimX + taskDimY + taskDimZ + coreDim;\n")
    if "clusters" in launch:
        body += "  v += clusterId * 100 + coreId * 10 + clusterDim * 7;\n"
    body += "  if (taskId >= n) return;\n  y[taskId] = v;"
    p = _kernel(body, "int* y, int n", launch=launch)
    rec = _recover(p)
    _obligations_hold(rec)
    q = rec.program
    assert q.launch == "tasks=1" and not _builtins(q)
    _same(p, q, [np.zeros(16, np.int32), np.int32(5)])


def test_recovery_declines_cluster_barriers_and_returns_in_loops():
    with pytest.raises(PassDeclined):
        _recover(_kernel("  y[taskId] = 1;\n  __sync_cluster();\n  y[taskId] += 1;", "int* y",
                         launch="tasks=4 clusters=1 cores=4"))
    with pytest.raises(PassDeclined):
        _recover(_kernel("  for (int i = 0; i < 4; ++i) {\n    if (i == taskId) return;\n    y[i] += 1;\n  }",
                         "int* y", launch="tasks=4"))


def test_async_copies_and_pipeline_waits_become_plain_code():
    body = ("  __nram__ float t[32];\n  __memcpy_async(t, x, 32 * sizeof(float), GDRAM2NRAM);\n  __sync_io();\n"
            "  __bang_active_relu(t, t, 32);\n  __sync();\n  __memcpy(y, t, 32 * sizeof(float), NRAM2GDRAM);")
    p = _kernel(body, "float* x, float* y")
    q = _detensorize(p).program
    assert "__sync" not in q.text() and not _intrinsics(q)
    x = np.linspace(-1, 1, 32).astype(np.float32)
    _same(p, q, [x, np.zeros(32, np.float32)])


def test_both_passes_on_a_kernel_with_local_buffers_and_early_exit():
    body = ("  __nram__ float t[32];\n  int per = (n + taskDim - 1) / taskDim;\n  int b = taskId * per;\n"
            "  if (b >= n) return;\n  int m = n - b < per ? n - b : per;\n"
            "  __memcpy(t, x + b, m * sizeof(float), GDRAM2NRAM);\n  __bang_mul_scalar(t, t, 2.0f, m);\n"
            "  __bang_add_scalar(t, t, (float)coreId, m);\n  __memcpy(y + b, t, m * sizeof(float), NRAM2GDRAM);")
    p = _kernel(body, "float* x, float* y, int n", launch="tasks=8 clusters=2 cores=4")
    q = _recover(_detensorize(p).program).program
    assert not _intrinsics(q) and not _builtins(q) and q.launch == "tasks=1"
    x = np.arange(40, dtype=np.float32)
    _same(p, q, [x, np.zeros(40, np.float32), np.int32(37)])
