"""The vnni dialect in the pass chain.

detensorize (vnni -> c): every AVX-512 / VNNI intrinsic becomes scalar lane loops over lane arrays; the
result runs on the c executor and matches the corpus reference. tensorize (serial form relabelled vnni ->
vnni): innermost unit-stride float loops become _mm512 code with a masked tail, u8 x s8 int32 dot products
become _mm512_dpbusd_epi32; every vectorized loop carries a Z3 proof that its lanes cover the iteration
space exactly once."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest
from xpiler.passes import detensorize, tensorize

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.ir.types import Vector
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

SPECS = {s.op: s for s in load_corpus()}
OPS = sorted(SPECS)
DET = PassContext(source="vnni", target="c")
TEN = PassContext(source="c", target="vnni")
# ops whose second case (other shapes, non-multiple-of-16 tails) is also checked
CASE1 = ("gemv", "gemm", "conv2d_nhwc", "softmax", "layernorm", "sign", "transpose", "gelu", "max")


def as_vnni(p: Program) -> Program:
    return p.replace(dialect="vnni", module=dataclasses.replace(p.module, dialect="vnni"))


def vnni_left(p: Program) -> list:
    return [n for n in walk(p.module) if isinstance(n, Vector)
            or (isinstance(n, N.Call) and n.kind is N.CallKind.INTRINSIC)]


def detensorized(op: str, case: int = 0) -> Program:
    r = detensorize.PASS.run(source_program(SPECS[op], "vnni", case), DET)
    assert all(ob.check()[0] for ob in r.obligations)
    return r.program


# ---------------------------------------------------------------------------------------------- detensorize
@pytest.mark.corpus
@pytest.mark.parametrize("op,case", [(op, 0) for op in OPS] + [(op, 1) for op in CASE1])
def test_detensorize_corpus(op, case):
    p = detensorized(op, case)
    assert p.dialect == "c" and not vnni_left(p)
    code = re.sub(r"//[^\n]*|/\*.*?\*/", "", p.text(), flags=re.DOTALL)
    assert "_mm" not in code and "__m512" not in code and "immintrin" not in code
    rep = check_program(SPECS[op], "vnni", case, p)
    assert rep.ok, str(rep)


@pytest.mark.parametrize("op", ["mean", "layernorm"])
def test_detensorized_floats_are_bit_identical(op):
    """Reductions keep the hardware's pairwise order and fmadd stays fused: same bits as the intrinsics."""
    spec = SPECS[op]
    src = source_program(spec, "vnni", 1)
    args = spec.make_args("vnni", 1, 0)
    want = run_kernel(src.text(), "vnni", args=[a.copy() if hasattr(a, "copy") else a for a in args])
    got = run_kernel(detensorized(op, 1).text(), "c", args=[a.copy() if hasattr(a, "copy") else a for a in args])
    for a, b in zip(want.outputs, got.outputs):
        assert np.array_equal(np.asarray(a), np.asarray(b))


def test_detensorize_int8_views_and_saturation():
    """dpbusds saturates, dpbusd wraps; u8 x s8 byte views of int32 lanes; masked byte loads read nothing
    past the mask (the tail pointer is at the end of the buffer)."""
    src = """#include <immintrin.h>
#include <stdint.h>
extern "C" void k(const uint8_t* a, const int8_t* b, const int32_t* c, int32_t* out, int n) {
  const __m512i acc = _mm512_loadu_si512(c);
  const __mmask64 m = (__mmask64)((1ull << n) - 1ull);
  const __m512i x = _mm512_maskz_loadu_epi8(m, a), y = _mm512_maskz_loadu_epi8(m, b);
  _mm512_storeu_si512(out, _mm512_dpbusd_epi32(acc, x, y));
  _mm512_storeu_si512(out + 16, _mm512_dpbusds_epi32(acc, x, y));
  out[32] = _mm512_reduce_add_epi32(_mm512_add_epi32(acc, acc));
}
"""
    p = detensorize.PASS.run(Program.from_source(src, "vnni"), DET).program
    assert not vnni_left(p)
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, 64).astype(np.uint8)
    b = rng.integers(-128, 128, 64).astype(np.int8)
    c = rng.integers(-2**31, 2**31, 16, dtype=np.int64).astype(np.int32)
    c[0], c[1] = 2**31 - 5, -2**31 + 5
    for n in (64, 37):
        args = [a, b, c, np.zeros(33, np.int32), np.int32(n)]
        want = run_kernel(src, "vnni", args=[x.copy() for x in args]).outputs[3]
        got = run_kernel(p.text(), "c", args=[x.copy() for x in args]).outputs[3]
        assert np.array_equal(want, got)


def test_detensorize_survives_renames_and_helpers():
    """Helper functions taking and returning vectors get pointer parameters; names are free."""
    src = SPECS["sign"].source("vnni", 1).replace("sign16", "my_helper").replace("sign_kernel", "entry_fn")
    p = detensorize.PASS.run(Program.from_source(src, "vnni"), DET).program
    assert p.entry == "entry_fn" and not vnni_left(p)
    helper = next(f for f in p.module.funcs() if f.name == "my_helper")
    assert len(helper.params) == 2 and helper.ret.dtype == "void"  # x by pointer + the result lanes
    x, y = SPECS["sign"].make_args("vnni", 1, 0)
    x[:7] = 0.0
    got = run_kernel(p.text(), "c", args=[x, y], entry="entry_fn").outputs[1]
    assert np.array_equal(got, np.sign(x))


# ---------------------------------------------------------------------------------------------- tensorize
def tensorized(op: str, case: int = 0):
    return tensorize.PASS.run(as_vnni(source_program(SPECS[op], "c", case)), TEN)


@pytest.mark.corpus
def test_tensorize_corpus():
    used = []
    for op in OPS:
        r = tensorized(op)
        text = r.program.text()
        assert r.program.dialect == "vnni"
        assert all(ob.check()[0] is True for ob in r.obligations), op
        rep = check_program(SPECS[op], "c", 0, r.program)
        assert rep.ok, str(rep)
        if re.search(r"_mm512_\w+", text):
            used.append(op)
    # element-wise, reductions, norms, convolutions over contiguous channels, dot products, copies
    assert len(used) >= 25, used
    assert {"add", "relu", "sign", "layernorm", "softmax", "max", "dense", "conv2d_nhwc"} <= set(used)


@pytest.mark.parametrize("op,case,want", [
    ("relu", 1, {"_mm512_max_ps", "_mm512_maskz_loadu_ps", "_mm512_mask_storeu_ps"}),
    ("max", 1, {"_mm512_max_ps", "_mm512_reduce_max_ps", "_mm512_mask_blend_ps"}),
    ("dense", 1, {"_mm512_fmadd_ps", "_mm512_reduce_add_ps"}),
])
def test_tensorize_kernels(op, case, want):
    r = tensorized(op, case)
    assert want <= set(re.findall(r"_mm512_\w+", r.program.text()))
    assert all(ob.check()[0] is True for ob in r.obligations)
    assert check_program(SPECS[op], "c", case, r.program).ok


def test_math_calls_and_strides_stay_scalar():
    r = tensorized("sigmoid")  # expf has no AVX-512 intrinsic here
    assert not r.changed and "_mm512" not in r.program.text()
    r = tensorized("gemm")  # B[k * N + n] is not unit stride in k
    assert "_mm512" not in r.program.text()


DOT = """#include <stdint.h>
#define K 200
extern "C" void dot(const uint8_t* A, const {bt}* B, int32_t* C, int n) {{
  for (int m = 0; m < 5; ++m) {{
    int acc = 7;
    for (int k = 0; k < n; ++k)
      acc += B[m * K + k] * A[m * K + k];
    C[m] = acc;
  }}
}}
"""


def test_tensorize_dpbusd_exact_with_tail():
    r = tensorize.PASS.run(as_vnni(Program.from_source(DOT.format(bt="int8_t"), "c")), TEN)
    text = r.program.text()
    assert "_mm512_dpbusd_epi32" in text and "_mm512_maskz_loadu_epi8" in text
    assert [ob.check()[0] for ob in r.obligations] == [True]  # symbolic n
    rng = np.random.default_rng(0)
    a = rng.integers(0, 256, (5, 200)).astype(np.uint8)
    b = rng.integers(-128, 128, (5, 200)).astype(np.int8)
    for n in (200, 128, 3, 0):
        got = run_kernel(text, "vnni", args=[a, b, np.zeros(5, np.int32), np.int32(n)]).outputs[2]
        assert np.array_equal(got, 7 + (a[:, :n].astype(np.int64) * b[:, :n]).sum(1))


def test_tensorize_no_dpbusd_for_s8_x_s8():
    r = tensorize.PASS.run(as_vnni(Program.from_source(DOT.format(bt="uint8_t"), "c")), TEN)
    assert "_mm512" not in r.program.text()


def test_overlapping_accesses_stay_scalar():
    src = """extern "C" void f(float* y, const float* x, int n) {
  for (int i = 0; i < n; ++i) y[i] = y[i + 1] + x[i];
  for (int i = 0; i < n; ++i) y[i] = 2.0 * x[i];
}
"""
    r = tensorize.PASS.run(as_vnni(Program.from_source(src, "c")), TEN)
    assert "_mm512" not in r.program.text()  # loop-carried through y; double arithmetic


def test_chain_detensorize_then_tensorize():
    """vnni source -> serial form -> vnni again: still correct."""
    for op in ("add", "softmax"):
        r = tensorize.PASS.run(as_vnni(detensorized(op, 1)), TEN)
        assert all(ob.check()[0] is True for ob in r.obligations)
        assert check_program(SPECS[op], "vnni", 1, r.program).ok
