"""Detensorize for CUDA / HIP (passes/_detensorize_simt.py): warp collectives become shared-memory scalar
code with block barriers. Checked by running the rewritten programs on the SIMT emulator (which faults on a
barrier not reached by every thread) against the corpus references and against the original kernels."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from xpiler.ir import nodes as N
from xpiler.ir.types import Fragment
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program

pytestmark = pytest.mark.skipif(not (shutil.which("clang++-15") or shutil.which("clang++")), reason="needs clang")

_COLLECTIVE = ("wmma::", "__shfl", "__builtin_amdgcn_mfma", "__ballot")


def _run_pass(prog: Program):
    from xpiler.registry import get_pass

    ctx = PassContext(prog.dialect, "c")
    detensorize = get_pass("detensorize")  # dispatches cuda / hip to passes/_detensorize_simt.py
    assert detensorize.applies(prog, ctx) == any(
        isinstance(n, N.Call) and n.name.startswith(_COLLECTIVE) for n in walk(prog.module))
    return detensorize.run(prog, ctx)


def _assert_scalar(prog: Program) -> None:
    for n in walk(prog.module):
        assert not (isinstance(n, N.Call) and n.name.startswith(_COLLECTIVE)), n.name
        assert not isinstance(n, Fragment)
        assert not (isinstance(n, N.Barrier) and n.scope is not N.BarrierScope.BLOCK)


def _obligations_hold(res) -> None:
    assert res.obligations
    for o in res.obligations:
        ok, detail = o.check()
        assert ok is True, (o.name, detail)


# ----------------------------------------------------------------------------------------------------------
# corpus


def _corpus_cases():
    from xpiler.verify.spec import load_corpus

    out = []
    for spec in load_corpus():
        for d, ext in (("cuda", "cu"), ("hip", "hip")):
            text = spec.source_path(d).read_text()
            if any(k in text for k in ("wmma::", "__shfl", "__builtin_amdgcn_mfma")):
                cases = [0, 1] if spec.op in ("gqa", "gemv") and len(spec.cases) > 1 else [0]
                out += [pytest.param(spec.op, d, c, id=f"{spec.op}-{d}-{c}") for c in cases]
    return out


@pytest.mark.corpus
@pytest.mark.parametrize("op,dialect,case", _corpus_cases())
def test_corpus_collectives_become_shared_memory_code(op, dialect, case):
    from xpiler.verify.corpus_check import check_program, source_program
    from xpiler.verify.spec import corpus_root, load_spec

    spec = load_spec(corpus_root() / op / "spec.toml")
    prog = source_program(spec, dialect, case)
    res = _run_pass(prog)
    assert res.changed and res.program.dialect == dialect and res.program.entry == prog.entry
    _assert_scalar(res.program)
    _obligations_hold(res)
    rep = check_program(spec, dialect, case, res.program)
    assert rep.ok, str(rep)


def test_scalar_kernel_is_unchanged():
    from xpiler.verify.corpus_check import source_program
    from xpiler.verify.spec import corpus_root, load_spec

    prog = source_program(load_spec(corpus_root() / "add" / "spec.toml"), "cuda", 0)
    res = _run_pass(prog)
    assert res.changed is False and res.program is prog


# ----------------------------------------------------------------------------------------------------------
# synthetic kernels: the rewritten kernel must give the original's outputs on the emulator


def _differential(src: str, dialect: str, args: list, exact: bool = True, expect_changed: bool = True):
    from xpiler.exec import run_kernel

    prog = Program.from_source(src, dialect)
    res = _run_pass(prog)
    assert res.changed is expect_changed
    _assert_scalar(res.program)
    for o in res.obligations:
        assert o.check()[0] is True, o.name
    fn = f"k.{'cu' if dialect == 'cuda' else 'hip'}"
    want = run_kernel(src, dialect, args=[a.copy() for a in args], filename=fn).outputs
    got = run_kernel(res.program.text(), dialect, args=[a.copy() for a in args], filename=fn).outputs
    for w, g in zip(want, got):
        if exact:
            np.testing.assert_array_equal(g, w)
        else:
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)
    return res


SHUFFLES = {
    "hip": """
// xpiler:launch grid=2 block=192
__global__ void shuffles(const float* x, float* out) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  const float v = x[t];
  out[t * 6 + 0] = __shfl_xor(v, 5, 16);
  out[t * 6 + 1] = __shfl_down(v, 3, 8);
  out[t * 6 + 2] = __shfl_up(v, 2);
  out[t * 6 + 3] = __shfl(v, threadIdx.x * 7 + 3, 32);
  out[t * 6 + 4] = (float)__shfl_xor((int)threadIdx.x, 40);
  out[t * 6 + 5] = __shfl_down(v, 1) + __shfl_up(__shfl_xor(v, 1), 4, 16);
}
""",
    "cuda": """
// xpiler:launch grid=2 block=96
__global__ void shuffles(const float* x, float* out) {
  const int t = blockIdx.x * blockDim.x + threadIdx.x;
  const float v = x[t];
  out[t * 6 + 0] = __shfl_xor_sync(0xffffffffu, v, 5, 16);
  out[t * 6 + 1] = __shfl_down_sync(0xffffffffu, v, 3, 8);
  out[t * 6 + 2] = __shfl_up_sync(0xffffffffu, v, 2);
  out[t * 6 + 3] = __shfl_sync(0xffffffffu, v, threadIdx.x * 7 + 3, 16);
  out[t * 6 + 4] = (float)__shfl_xor_sync(0xffffffffu, (int)threadIdx.x, 24);
  out[t * 6 + 5] = __shfl_down_sync(0xffffffffu, v, 1) + __shfl_up_sync(0xffffffffu, v, 4, 16);
}
""",
}


@pytest.mark.parametrize("dialect", ["cuda", "hip"])
def test_shuffle_rules_match_the_emulator(dialect):
    n = 2 * (192 if dialect == "hip" else 96)
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    _differential(SHUFFLES[dialect], dialect, [x, np.zeros(n * 6, np.float32)])


# warp-uniform control: an early return of whole warps, loops whose trip count depends on the warp
# (here warps differ: warp w runs w + 1 rounds), a while loop and an if/else, all around shuffles
DIVERGENT = """
// xpiler:launch grid=3 block=128
__device__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}
__global__ void divergent(const float* x, float* out) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int row = blockIdx.x * 4 + warp;
  if (row >= 10) return;
  float acc = 0.0f;
  for (int r = 0; r <= warp; ++r) acc += warp_sum(x[row * 32 + lane] * (r + 1));
  int k = warp;
  while (k < 3) { acc += __shfl_down_sync(0xffffffffu, acc, 1); k += 1; }
  if (warp % 2 == 0) acc = warp_sum(acc); else acc -= warp_sum(1.0f);
  out[row * 32 + lane] = acc;
}
"""


RETURNS = """
// xpiler:launch grid=2 block=128
__global__ void returns(const float* x, float* out) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  for (int r = 0; r < 4; ++r) {
    float s = x[(blockIdx.x * 4 + warp) * 128 + r * 32 + lane];
    for (int o = 16; o > 0; o >>= 1) s += __shfl_xor_sync(0xffffffffu, s, o);
    out[((blockIdx.x * 4 + warp) * 4 + r) * 32 + lane] = s;
    if (s > 1.0f) return;  // warp-uniform: s is the warp's sum
  }
  if (warp == 2) {
    out[(blockIdx.x * 4 + warp) * 128 + lane] = __shfl_sync(0xffffffffu, x[lane], 31 - lane);
    return;
  }
}
"""


def test_returns_before_later_collectives():
    rng = np.random.default_rng(4)
    x = rng.standard_normal(8 * 128).astype(np.float32) * 0.3
    _differential(RETURNS, "cuda", [x, np.zeros(8 * 128, np.float32)], exact=False)


def test_warp_uniform_control_becomes_block_uniform():
    x = np.random.default_rng(1).standard_normal(12 * 32).astype(np.float32)
    res = _differential(DIVERGENT, "cuda", [x, np.zeros(12 * 32, np.float32)], exact=False)
    text = res.program.text()
    assert "warp_sum(" not in text  # inlined, and the device function dropped
    assert "__syncwarp" not in text and "__syncthreads" in text


WMMA = """
#include <mma.h>
using namespace nvcuda;
// xpiler:launch grid=2 block=96
__global__ void mm(const half* A, const half* B, const float* C0, float* D) {
  const int warp = threadIdx.x / 32;
  const half* a_tile = A + (blockIdx.x * 3 + warp) * 256;
  if (warp != 1) {
    for (int rep = 0; rep < 2; ++rep) {
      wmma::fragment<wmma::matrix_a, 16, 16, 16, half, wmma::row_major> a;
      wmma::fragment<wmma::matrix_b, 16, 16, 16, half, wmma::col_major> b;
      wmma::fragment<wmma::accumulator, 16, 16, 16, float> c;
      wmma::load_matrix_sync(a, a_tile, 16);
      wmma::load_matrix_sync(b, B + rep * 16, 32);
      wmma::load_matrix_sync(c, C0, 16, wmma::mem_col_major);
      wmma::mma_sync(c, a, b, c);
      float* d = D + ((blockIdx.x * 3 + warp) * 2 + rep) * 256;
      if (rep == 0) wmma::store_matrix_sync(d, c, 16, wmma::mem_row_major);
      else wmma::store_matrix_sync(d, c, 16, wmma::mem_col_major);
    }
  }
}
"""


def test_wmma_layouts_and_warp_conditions():
    rng = np.random.default_rng(2)
    a = rng.standard_normal(6 * 256).astype(np.float16)
    b = rng.standard_normal(16 * 32).astype(np.float16)
    c = rng.standard_normal(256).astype(np.float32)
    _differential(WMMA, "cuda", [a, b, c, np.zeros(6 * 2 * 256, np.float32)], exact=False)


MFMA_VARIANTS = [  # builtin, A/B element type, accumulator items per lane, A/B items per lane
    ("f32_16x16x4f32", "float", 4, 1),
    ("f32_32x32x2f32", "float", 16, 1),
    ("f32_4x4x1f32", "float", 4, 1),
    ("f32_16x16x1f32", "float", 16, 1),
    ("f32_16x16x16f16", "_Float16", 4, 4),
    ("f64_16x16x4f64", "double", 4, 1),
]


def _mfma_kernel() -> str:
    """One kernel (two waves) calling every MFMA variant above on data taken from x, y, z."""
    types, body = [], []
    for v, (name, in_t, nout, kpl) in enumerate(MFMA_VARIANTS):
        cty = "double" if in_t == "double" else "float"
        types.append(f"typedef {cty} out{v}_t __attribute__((ext_vector_type({nout})));")
        if kpl > 1:
            types.append(f"typedef {in_t} in{v}_t __attribute__((ext_vector_type({kpl})));")
            a = ", ".join(f"({in_t})x[l * {kpl} + {i}]" for i in range(kpl))
            b = ", ".join(f"({in_t})y[l * {kpl} + {i}]" for i in range(kpl))
            ab = f"in{v}_t a{v} = {{{a}}};\n    in{v}_t b{v} = {{{b}}};"
        else:
            ab = f"{in_t} a{v} = ({in_t})x[l];\n    {in_t} b{v} = ({in_t})y[l];"
        base = v * 128 * 16
        body.append(f"""  {{
    {ab}
    out{v}_t c{v};
    for (int r = 0; r < {nout}; ++r) c{v}[r] = z[(w * 64 + l) * {nout} + r];
    c{v} = __builtin_amdgcn_mfma_{name}(a{v}, b{v}, c{v}, 0, 0, 0);
    for (int r = 0; r < {nout}; ++r) out[{base} + (w * 64 + l) * {nout} + r] = ({cty})c{v}[r];
  }}""")
    nl = "\n"
    return f"""#include <hip/hip_runtime.h>
{nl.join(types)}
// xpiler:launch grid=1 block=128
__global__ void mf(const float* x, const float* y, const float* z, float* out) {{
  const int l = threadIdx.x % 64, w = threadIdx.x / 64;
{nl.join(body)}
}}
"""


def test_mfma_variants_match_the_emulator():
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(256).astype(np.float32), rng.standard_normal(256).astype(np.float32)
    z = rng.standard_normal(128 * 16).astype(np.float32)
    out = np.zeros(len(MFMA_VARIANTS) * 128 * 16, np.float32)
    res = _differential(_mfma_kernel(), "hip", [x, y, z, out])
    assert sum("layout" in o.name for o in res.obligations) == len(MFMA_VARIANTS)


def test_mfma_layout_obligation_rejects_a_wrong_layout():
    from xpiler.passes._detensorize_simt import _mfma_layout_ok

    assert _mfma_layout_ok(16, 16, 4, 1, 1, 4, 64, "d16")[0] is True
    assert _mfma_layout_ok(32, 32, 2, 1, 1, 16, 64, "d32")[0] is True
    assert _mfma_layout_ok(4, 4, 1, 16, 1, 4, 64, "dm4")[0] is True
    assert _mfma_layout_ok(16, 16, 4, 1, 1, 4, 64, "d16_f64")[0] is True
    assert _mfma_layout_ok(16, 16, 4, 1, 1, 4, 64, "dm4")[0] is False  # the 4x4 map on a 16x16 op
    assert _mfma_layout_ok(16, 16, 4, 1, 1, 8, 64, "d16")[0] is False  # items do not match the matrix


def test_unknown_block_size_and_other_collectives_decline():
    no_size = """
__global__ void k(float* x) { x[threadIdx.x] = __shfl_xor_sync(0xffffffffu, x[threadIdx.x], 1); }
"""
    with pytest.raises(PassDeclined):
        _run_pass(Program.from_source(no_size, "cuda"))
    ballot = """
// xpiler:launch grid=1 block=64
__global__ void k(float* x) { x[threadIdx.x] = (float)__ballot(x[threadIdx.x] > 0); }
"""
    with pytest.raises(PassDeclined):
        _run_pass(Program.from_source(ballot, "hip"))
