"""loop_recovery for a serial form lifted from vnni: lane loops become element loops again.

detensorize leaves one 16-lane loop per intrinsic; the pass fuses them, turns lane arrays into scalars or
(for broadcasts) values, rebuilds `for (i = 0; i < N; ++i)` from the strip loop and its masked tail, and
forwards single-use temporaries. It must refuse what it cannot prove structurally (cross-lane reads, a
scalar carried between lane loops) and leave those programs correct."""

from __future__ import annotations

import pytest
from xpiler.passes import detensorize, loop_recovery

from xpiler import transcompile
from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext
from xpiler.pipeline.program import Program

CTX = PassContext(source="vnni", target="c")

_AXPY = """
#include <immintrin.h>
#define LEN {n}
extern "C" void k(const float* x, const float* y, float* out) {{
  const __m512 a = _mm512_set1_ps(2.5f);
  int p = 0;
  for (; p + 16 <= LEN; p += 16)
    _mm512_storeu_ps(out + p, _mm512_fmadd_ps(a, _mm512_loadu_ps(x + p), _mm512_loadu_ps(y + p)));
  if (p < LEN) {{
    const __mmask16 t = (__mmask16)((1u << (LEN - p)) - 1u);
    _mm512_mask_storeu_ps(out + p, t, _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(t, x + p),
                                                      _mm512_maskz_loadu_ps(t, y + p)));
  }}
}}
"""


def lifted(text: str) -> Program:
    p = detensorize.PASS.run(Program.from_source(text, "vnni"), CTX).program
    return loop_recovery.PASS.run(p, CTX).program


def loops(p: Program) -> list:
    return [n for n in walk(p.entry_func) if isinstance(n, (N.For, N.CFor))]


@pytest.mark.parametrize("n", [4096, 100, 5, 16])
def test_strip_loop_and_tail_become_one_element_loop(n):
    p = lifted(_AXPY.format(n=n))
    (loop,) = loops(p)  # no lane loops, no strip loop, no tail
    assert isinstance(loop, N.For) and isinstance(loop.stop, N.Var) and loop.stop.sym.name == "LEN"
    assert not any(isinstance(x, N.Alloc) for x in walk(p.entry_func))  # lane arrays are gone
    res = transcompile(_AXPY.format(n=n), "vnni", "c")
    assert res.verified


def test_recovered_loop_binds_to_threads_and_stages_on_bang():
    cu = transcompile(_AXPY.format(n=1000), "vnni", "cuda")
    assert cu.verified and "threadIdx.x" in cu.code and "<<<1, 1>>>" not in cu.code
    mlu = transcompile(_AXPY.format(n=1000), "vnni", "bang")
    assert mlu.verified and "taskId" in mlu.code and "__nram__" in mlu.code


_PREFIX = """
#include <immintrin.h>
#define LEN 64
extern "C" void k(const float* x, float* out) {
  int p = 0;
  for (; p + 16 <= LEN; p += 16) {
    __m512 v = _mm512_loadu_ps(x + p);
    const float s = _mm512_reduce_add_ps(v);
    _mm512_storeu_ps(out + p, _mm512_mul_ps(v, _mm512_set1_ps(s)));
  }
}
"""


def test_cross_lane_reduction_is_not_fused_across():
    # the sum of all lanes is used by every lane afterwards: the lane loops before and after the reduction
    # must not be fused into one (lane 0 would see a partial sum)
    p = lifted(_PREFIX)
    strip = next(n for n in walk(p.entry_func) if isinstance(n, N.CFor))  # the strip loop stays
    assert len([s for s in strip.body if isinstance(s, N.For)]) >= 2  # and so do separate lane loops
    res = transcompile(_PREFIX, "vnni", "c")
    assert res.verified
