"""Host code survives the IR round trip: a BANG program with a CNRT host function (queue, cnrtMalloc,
cnrtMemcpy, `<<<dim, type, queue>>>`), run through parse -> print -> executor, gives the original's outputs.
(CUDA and HIP host wrappers are covered by every corpus kernel in tests/corpus/test_roundtrip.py.)"""

from __future__ import annotations

import numpy as np

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.nodes import CallKind
from xpiler.ir.visit import walk
from xpiler.lang import emit, parse

HOST = r"""
#include <bang.h>

#define CHECK(call) do { cnrtRet_t r_ = (call); if (r_ != cnrtSuccess) return; } while (0)

__nram__ half hb[256];
__nram__ float fb[256];

__mlu_global__ void scale_relu(half* in, float* out, int n) {
  int per = n / taskDim;
  __memcpy(hb, in + taskId * per, per * sizeof(half), GDRAM2NRAM);
  __bang_half2float(fb, hb, per);
  __bang_active_relu(fb, fb, per);
  __memcpy(out + taskId * per, fb, per * sizeof(float), NRAM2GDRAM);
}

extern "C" void scale_relu_host(half* h_in, float* h_out, int n) {
  cnrtQueue_t q;
  cnrtQueueCreate(&q);
  half* d_in;
  float* d_out;
  cnrtMalloc((void**)&d_in, n * sizeof(half));
  cnrtMalloc((void**)&d_out, n * sizeof(float));
  cnrtMemcpy(d_in, h_in, n * sizeof(half), cnrtMemcpyHostToDev);
  cnrtDim3_t dim = {8, 1, 1};
  scale_relu<<<dim, cnrtFuncTypeUnion2, q>>>(d_in, d_out, n);
  cnrtQueueSync(q);
  cnrtMemcpy(h_out, d_out, n * sizeof(float), cnrtMemcpyDevToHost);
  cnrtFree(d_in);
  cnrtFree(d_out);
  cnrtQueueDestroy(q);
}
"""


def test_cnrt_host_code_is_lifted_as_host_calls_and_a_launch():
    mod = parse(HOST, "bang", path="host.mlu")
    host = mod.func("scale_relu_host")
    assert host.kind is N.FuncKind.HOST and host.extern_c
    launches = [n for n in walk(host) if isinstance(n, N.Launch)]
    assert len(launches) == 1 and launches[0].kernel == "scale_relu" and len(launches[0].config) == 3
    calls = {n.name: n.kind for n in walk(host) if isinstance(n, N.Call)}
    assert calls["cnrtMalloc"] is CallKind.HOST_API and calls["cnrtQueueSync"] is CallKind.HOST_API
    kernel_calls = {n.name: n.kind for n in walk(mod.func("scale_relu")) if isinstance(n, N.Call)}
    assert kernel_calls["__bang_active_relu"] is CallKind.INTRINSIC


def test_cnrt_host_code_round_trip_runs_like_the_original():
    rng = np.random.default_rng(0)
    h = rng.standard_normal(1024).astype(np.float16)
    printed = emit(parse(HOST, "bang", path="host.mlu"), "bang")
    assert emit(parse(printed, "bang"), "bang") == printed
    outs = []
    for src in (HOST, printed):
        res = run_kernel(src, "bang", args=[h, np.zeros(1024, np.float32), np.int32(1024)],
                         entry="scale_relu_host", filename="host.mlu")
        outs.append(res.outputs[1])
    np.testing.assert_array_equal(outs[0], np.maximum(h.astype(np.float32), 0))
    np.testing.assert_array_equal(outs[1], outs[0])
