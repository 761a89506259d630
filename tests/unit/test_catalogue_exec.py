"""Anchor the catalogue to the executors: a sample of BANG and VNNI entries run as tiny kernels on the CPU
runtimes (xpiler.exec.run_kernel), compared with the catalogue's numpy semantics on the same inputs."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from xpiler import run_kernel
from xpiler.registry import get_backend

pytestmark = pytest.mark.skipif(not (shutil.which("clang++-15") or shutil.which("clang++") or shutil.which("g++")),
                                reason="no C++ compiler")

BANG = get_backend("bang").catalogue()
VNNI = get_backend("vnni").catalogue()


def bang_run(body: str, bufs: dict[str, tuple[str, int]], args: list[np.ndarray]) -> list[np.ndarray]:
    """One task: every `name: (space, count)` buffer is a float array; `in_k` GDRAM inputs are copied into
    the buffers named the same (without `g_`), the body runs, `out` is copied back from NRAM `o`."""
    decls = "\n".join(f"__{sp}__ float {nm}[{cnt}];" for nm, (sp, cnt) in bufs.items())
    params = ", ".join(f"float* g_{nm}" for nm in bufs)
    copies = "\n".join(f"  __memcpy({nm}, g_{nm}, {cnt} * sizeof(float), GDRAM2{sp.upper()});"
                       for nm, (sp, cnt) in bufs.items())
    out_back = "\n".join(f"  __memcpy(g_{nm}, {nm}, {cnt} * sizeof(float), {sp.upper()}2GDRAM);"
                         for nm, (sp, cnt) in bufs.items() if sp == "nram")
    src = f"""
{decls}
extern "C" __mlu_global__ void k({params}) {{
{copies}
{body}
{out_back}
}}
"""
    r = run_kernel(src, "bang", args=args, launch="tasks=1", filename="k.mlu")
    return r.outputs


def rnd(rng, n, lo=-4.0, hi=4.0):
    return rng.uniform(lo, hi, n).astype(np.float32)


def test_bang_add_matches_runtime():
    rng = np.random.default_rng(1)
    a, b, d = rnd(rng, 100), rnd(rng, 100), rnd(rng, 100)
    out = bang_run("  __bang_add(d, a, b, 100);", {"d": ("nram", 100), "a": ("nram", 100), "b": ("nram", 100)},
                   [d, a, b])
    want = BANG["__bang_add"].semantics(dst=d, src0=a, src1=b, n=100)["dst"]
    np.testing.assert_allclose(out[0], want, rtol=1e-6)


def test_bang_reduce_sum_block_semantics_match_runtime():
    rng = np.random.default_rng(2)
    s, d = rnd(rng, 100), rnd(rng, 100)
    out = bang_run("  __bang_reduce_sum(d, s, 100);", {"d": ("nram", 100), "s": ("nram", 100)}, [d, s])
    want = BANG["__bang_reduce_sum"].semantics(dst=d[:97], src=s, n=100)["dst"]
    np.testing.assert_allclose(out[0][:97], want, rtol=1e-5)
    np.testing.assert_array_equal(out[0][97:], d[97:])


def test_bang_matmul_matches_runtime():
    rng = np.random.default_rng(3)
    m, k, n = 7, 5, 33
    lhs, rhs, d = rnd(rng, m * k), rnd(rng, k * n), np.zeros(m * n, np.float32)
    out = bang_run(f"  __bang_matmul(d, l, r, {m}, {k}, {n});",
                   {"d": ("nram", m * n), "l": ("nram", m * k), "r": ("wram", k * n)}, [d, lhs, rhs])
    want = BANG["__bang_matmul"].semantics(dst=d, lhs=lhs, rhs=rhs, m=m, k=k, n=n)["dst"]
    np.testing.assert_allclose(out[0], want, rtol=1e-5, atol=1e-5)


def test_bang_mlp_and_maxpool_match_runtime():
    rng = np.random.default_rng(4)
    x, f, y = rnd(rng, 7), rnd(rng, 33 * 7), np.zeros(33, np.float32)
    out = bang_run("  __bang_mlp(y, x, f, 33, 7);", {"y": ("nram", 33), "x": ("nram", 7), "f": ("wram", 33 * 7)},
                   [y, x, f])
    np.testing.assert_allclose(out[0], BANG["__bang_mlp"].semantics(dst=y, src=x, filter=f, height=33, width=7)["dst"],
                               rtol=1e-5, atol=1e-5)
    src, dst = rnd(rng, 8 * 10 * 7), np.zeros(3 * 4 * 7, np.float32)
    out = bang_run("  __bang_maxpool(o, s, 7, 8, 10, 3, 2, 3, 2);", {"o": ("nram", 84), "s": ("nram", 560)},
                   [dst, src])
    want = BANG["__bang_maxpool"].semantics(dst=dst, src=src, channel=7, height=8, width=10, kernel_h=3, kernel_w=2,
                                            stride_x=3, stride_y=2)["dst"]
    np.testing.assert_array_equal(out[0], want)


def test_bang_max_value_index_cycle_and_sign_match_runtime():
    rng = np.random.default_rng(5)
    s, d = rnd(rng, 33), np.zeros(2, np.float32)
    out = bang_run("  __bang_max(d, s, 33);", {"d": ("nram", 2), "s": ("nram", 33)}, [d, s])
    np.testing.assert_array_equal(out[0].view(np.uint32), BANG["__bang_max"].semantics(dst=d, src=s, n=33)["dst"]
                                  .view(np.uint32))
    a, seg, y = rnd(rng, 100), rnd(rng, 20), np.zeros(100, np.float32)
    out = bang_run("  __bang_cycle_mul(y, a, g, 100, 20);", {"y": ("nram", 100), "a": ("nram", 100), "g": ("nram", 20)},
                   [y, a, seg])
    np.testing.assert_allclose(out[0], BANG["__bang_cycle_mul"].semantics(dst=y, src=a, seg=seg, n=100, segn=20)["dst"],
                               rtol=1e-6)
    x = np.array([0.0, -0.0, 1.5, -2.0, 3.0, -1e-30, 7.0, 0.25], np.float32)
    out = bang_run("  __bang_active_sign(y, x, 8);", {"y": ("nram", 8), "x": ("nram", 8)}, [np.zeros(8, np.float32), x])
    np.testing.assert_array_equal(out[0], BANG["__bang_active_sign"].semantics(dst=np.zeros(8, np.float32), src=x,
                                                                               n=8)["dst"])


def test_bang_strided_memcpy_matches_runtime():
    rng = np.random.default_rng(6)
    g = rnd(rng, 40)
    src = r"""
__nram__ float t[40];
extern "C" __mlu_global__ void k(float* g, float* init, float* out) {
  __memcpy(t, init, 40 * sizeof(float), GDRAM2NRAM);
  __memcpy(t, g, 7 * sizeof(float), GDRAM2NRAM, 9 * sizeof(float), 11 * sizeof(float), 2);
  __memcpy(out, t, 40 * sizeof(float), NRAM2GDRAM);
}
"""
    init = rnd(rng, 40)
    r = run_kernel(src, "bang", args=[g, init, np.zeros(40, np.float32)], launch="tasks=1", filename="k.mlu")
    want = BANG["__memcpy"].semantics(dst=init, src=g, size=28, dir="GDRAM2NRAM", dst_stride=36, src_stride=44,
                                      segnum=2)["dst"]
    np.testing.assert_array_equal(r.outputs[2], want)


@pytest.mark.parametrize("name", ["_mm512_dpbusd_epi32", "_mm512_dpbusds_epi32", "_mm512_dpwssd_epi32"])
def test_vnni_dot_products_match_runtime(name):
    words = "dpwssd" in name
    rng = np.random.default_rng(7)
    if words:
        a = rng.integers(-32768, 32768, 32).astype(np.int16)
        b = rng.integers(-32768, 32768, 32).astype(np.int16)
    else:
        a = rng.integers(0, 256, 64).astype(np.uint8)
        b = rng.integers(-128, 128, 64).astype(np.int8)
    acc = rng.integers(-(2**31), 2**31, 16, dtype=np.int64).astype(np.int32)
    acc[0], acc[1] = 2**31 - 5, -(2**31) + 5
    ta, tb = ("int16_t", "int16_t") if words else ("uint8_t", "int8_t")
    src = f"""
extern "C" void k(const {ta}* a, const {tb}* b, int32_t* acc) {{
  __m512i c = _mm512_loadu_si512(acc);
  c = {name}(c, _mm512_loadu_si512(a), _mm512_loadu_si512(b));
  _mm512_storeu_si512(acc, c);
}}
"""
    r = run_kernel(src, "vnni", args=[a, b, acc.copy()])
    np.testing.assert_array_equal(r.outputs[2], VNNI[name].semantics(src=acc, a=a, b=b)["ret"])
