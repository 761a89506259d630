"""The SIMT backends' source preparation (pure Python): cooperative-mode detection and the rewrites that
let the runtime know each kernel's name, launch bound and shared memory, keeping the line count."""

from __future__ import annotations

import pytest

from xpiler.backends._simt import kernel_spans, needs_cooperative, prepare_simt_source
from xpiler.backends.cuda import BACKEND as CUDA
from xpiler.backends.hip import BACKEND as HIP

SRC = """#define TILE 16
// __shared__ in a comment stays
template <int T>
__global__ void __launch_bounds__(TILE * TILE, 2) tiled(const float* a, float* b) {
  __shared__ float s[T][T];
  extern __shared__ float dyn[];
  b[0] = s[0][0] + dyn[0];
}
__device__ __noinline__ float helper(float x) { __shared__ float h[4]; h[0] = x; return h[0]; }
namespace ns {
extern "C" __global__ void plain(float* x) { x[0] = 1; }
}
"""


def test_prepare_keeps_lines_and_marks_kernels():
    out = prepare_simt_source(SRC)
    assert out.count("\n") == SRC.count("\n")
    lines = out.split("\n")
    assert lines[2].startswith("XP_SIMT_KDECL(tiled) template <int T>")
    assert lines[3].endswith("{ XP_SIMT_KENTER(tiled, TILE * TILE)")
    assert "XP_SIMT_SHARED_IN(tiled) float s[T][T];" in lines[4]
    assert "float*& dyn = xp_dynsmem_slot<float>::p;" in lines[5]
    assert "__shared__ in a comment stays" in lines[1]
    # __shared__ outside kernels keeps the generic spelling; __noinline__ becomes an attribute
    assert "__attribute__((noinline))" in lines[8] and "__shared__ float h[4]" in lines[8]
    assert 'XP_SIMT_KDECL(plain) extern "C" __global__ void plain(float* x) { XP_SIMT_KENTER(plain, 0)' in lines[10]


def test_kernel_spans():
    spans = kernel_spans(SRC, ("__global__",))
    assert [(k.name, k.bounds) for k in spans] == [("tiled", "TILE * TILE"), ("plain", "0")]
    assert SRC[spans[0].body_open] == "{" and SRC[spans[0].body_close] == "}"


def test_dynamic_shared_declarations():
    src = "extern __shared__ __align__(16) unsigned char raw[];\nextern  __shared__\n  half2 h[ ];"
    out = prepare_simt_source(src)
    assert out.split("\n")[0] == "unsigned char*& raw = xp_dynsmem_slot<unsigned char>::p;"
    assert "half2*& h = xp_dynsmem_slot<half2>::p;" in out and out.count("\n") == 2


@pytest.mark.parametrize(
    "body, coop",
    [
        ("x[0] = 1;", False),
        ("__syncthreads();", True),
        ("v = __shfl_down_sync(0xffffffff, v, 1);", True),
        ("wmma::fill_fragment(c, 0.0f);", True),
        ("c = __builtin_amdgcn_mfma_f32_16x16x4f32(a, b, c, 0, 0, 0);", True),
        ("// __syncthreads(); only in a comment", False),
        ("unsigned m = __activemask();", True),
    ],
)
def test_cooperative_mode_detection(body, coop):
    src = f"__global__ void k(float* x) {{ float v = 0; {body} }}"
    assert needs_cooperative(src) is coop
    assert ("XP_SIMT_COOPERATIVE" in CUDA.defines(src)) is coop
    assert ("XP_SIMT_COOPERATIVE" in HIP.defines(src)) is coop


def test_backends_describe_themselves():
    for b, ext, header in ((CUDA, ".cu", "xp_cuda.h"), (HIP, ".hip", "xp_hip.h")):
        assert b.extensions == (ext,) and b.kernel_qualifiers == ("__global__",)
        assert (b.runtime_dir / header).is_file()
        assert all((b.runtime_dir / s).resolve().is_file() for s in b.runtime_sources)
        assert all(d.is_dir() for d in b.include_dirs())
        assert "-std=c++17" in b.compiler("").flags
    assert (CUDA.runtime_dir / "include" / "mma.h").is_file()
    assert (HIP.runtime_dir / "include" / "hip" / "hip_runtime.h").is_file()
