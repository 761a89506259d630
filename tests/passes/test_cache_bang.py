"""cache (bang): innermost loops streaming GDRAM data are tiled through NRAM with __memcpy.

Inputs are corpus .c kernels wrapped by hand as one-task bang kernels (the host and loop_bind passes are
tested elsewhere); outputs are run on the bang emulator and compared with the numpy reference."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from xpiler.passes import cache
from xpiler.passes._cache_bang import bang_facts

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.types import Pointer, Scope
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

CTX = PassContext(source="c", target="bang")
SPECS = {s.op: s for s in load_corpus()}


def as_bang_kernel(program: Program) -> Program:
    """A c program whose entry becomes a one-task `__mlu_global__` kernel over GDRAM pointers."""
    items = []
    for it in program.module.items:
        if isinstance(it, N.Func) and it.name == program.entry:
            ps = tuple(dataclasses.replace(q, type=dataclasses.replace(q.type, scope=Scope.GLOBAL))
                       if isinstance(q.type, Pointer) else q for q in it.params)
            it = dataclasses.replace(it, kind=N.FuncKind.KERNEL, params=ps)
        items.append(it)
    module = dataclasses.replace(program.module, dialect="bang", items=tuple(items))
    return Program(module, "bang", program.entry, True, "tasks=1")


def corpus_bang(op: str, case: int = 0) -> Program:
    return as_bang_kernel(source_program(SPECS[op], "c", case))


def text_bang(text: str) -> Program:
    return as_bang_kernel(Program.from_source(text, "c"))


def all_proved(result) -> bool:
    return all(ob.check()[0] is True for ob in result.obligations)


def test_add_is_staged_in_nram_and_proved():
    r = cache.PASS.run(corpus_bang("add"), CTX)
    text = r.program.text()
    assert text.count("GDRAM2NRAM") == 4 and text.count("NRAM2GDRAM") == 2  # full tiles + tail
    assert "__nram__ float" in text
    assert all_proved(r) and len(r.obligations) == 2
    # the staged buffers fit the NRAM of the generation the emulator runs
    sizes = [int(x) for x in re.findall(r"__nram__ float \w+\[(\d+)\]", text)]
    assert sum(sizes) * 4 <= bang_facts().generation().nram
    assert all(s % (bang_facts().NFU_ALIGN_SIZE // 4) == 0 for s in sizes)


@pytest.mark.parametrize("op,case", [("add", 1), ("softmax", 1), ("layernorm", 0), ("gemm", 1)])
def test_staged_corpus_kernels_run(op, case):
    r = cache.PASS.run(corpus_bang(op, case), CTX)
    assert "__memcpy" in r.program.text()
    assert check_program(SPECS[op], "c", case, r.program).ok


def test_write_first_buffers_are_not_copied_in():
    r = cache.PASS.run(corpus_bang("softmax"), CTX)
    text = r.program.text()
    # y[n] = expf(...); total += y[n]: y is written before it is read, so only x is copied in there
    loop2 = text.split("float total")[1].split("float inv")[0]
    assert "y + " in loop2 and not re.search(r"__memcpy\(nram_\w+, y \+", loop2)


def test_strided_stores_stay_in_gdram():
    r = cache.PASS.run(corpus_bang("transpose"), CTX)
    text = r.program.text()
    assert "NRAM2GDRAM" not in text and "GDRAM2NRAM" in text  # X rows staged, Y[n * M + m] not


def test_no_contiguous_innermost_loop_declines():
    with pytest.raises(PassDeclined):
        cache.PASS.run(corpus_bang("avgpool"), CTX)


def test_overlapping_reads_and_writes_of_one_buffer_are_not_staged():
    src = """#define N 300
extern "C" void shift(float* A) {
  for (int i = 0; i < N - 1; ++i) {
    A[i] = A[i + 1] * 2.0f;
  }
}
"""
    with pytest.raises(PassDeclined):
        cache.PASS.run(text_bang(src), CTX)


def test_renamed_kernel_with_other_shape_and_small_tile_knob():
    src = """#define LEN 5000
#define OFF 7
extern "C" void axpy_like(const float* xs, float* ys, float alpha) {
  for (int j = OFF; j < LEN; ++j) {
    ys[j] = alpha * xs[j - OFF] + ys[j];
  }
}
"""
    ctx = PassContext(source="c", target="bang", knobs={"cache.tile": 1024})
    r = cache.PASS.run(text_bang(src), ctx)
    text = r.program.text()
    assert all(int(s) <= 1024 for s in re.findall(r"__nram__ float \w+\[(\d+)\]", text))
    assert all_proved(r)
    rng = np.random.default_rng(0)
    xs, ys = rng.standard_normal(5000).astype(np.float32), rng.standard_normal(5000).astype(np.float32)
    out = run_kernel(text, "bang", args=[xs, ys.copy(), np.float32(1.5)], entry="axpy_like", launch="tasks=1")
    want = ys.copy()
    want[7:] = np.float32(1.5) * xs[:5000 - 7] + ys[7:]
    got = out.outputs[1]
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
