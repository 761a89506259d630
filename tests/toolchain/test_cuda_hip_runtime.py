"""The kernels the CUDA/HIP executor tests run are real CUDA and HIP: nvcc (sm_80 + sm_90) and hipcc
(gfx90a) accept them, and reject what the emulator rejects at compile time. Skipped without the compilers."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from xpiler.backends.cuda.toolchain import check_compile as nvcc_check
from xpiler.backends.hip.toolchain import check_compile as hipcc_check


def _kernels_of(test_file: str):
    """The kernel sources of an executor test module (loaded under another name: not collected twice)."""
    path = Path(__file__).parent.parent / "unit" / test_file
    spec = importlib.util.spec_from_file_location(f"_kernels_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


cu = _kernels_of("test_simt_cuda.py")
hp = _kernels_of("test_simt_hip.py")

CUDA_KERNELS = {
    "vadd": cu.VADD,
    "grid3d": cu.GRID3D,
    "math": cu.MATH,
    "atomics": cu.ATOMICS,
    "reduce": cu.REDUCE,
    "warp_reduce": cu.WARP_REDUCE,
    "shfl_modes": cu.SHFL_MODES,
    "barrier_variants": cu.BARRIER_VARIANTS,
    "dyn_shared": cu.DYN_SHARED,
    "tiled_template": cu.TEMPLATE_TILED,
    "wmma_gemm": cu.WMMA_GEMM,
    "wmma_variants": cu.WMMA_VARIANTS,
    "cooperative_groups": cu.COOP_GROUPS,
    "wmma_tf32_bf16": cu.WMMA_TF32_BF16,
}

HIP_KERNELS = {
    "host": hp.HOST,
    "wave": hp.WAVE,
    "divergent": hp.DIVERGENT,
    "vector_ops": hp.VEC_KERNEL,
    "mfma_gemm": hp.GEMM,
    **{f"mfma_{c[0]}": hp.mfma_kernel(c[0], c[1], c[6], c[7]) for c in hp.MFMA},
}


def _check(tool, src, name):
    res = tool(src, name)
    if not res.available:
        pytest.skip(res.log)
    return res


@pytest.mark.toolchain
@pytest.mark.parametrize("name", list(CUDA_KERNELS))
def test_cuda_test_kernels_compile_with_nvcc(name):
    res = _check(nvcc_check, CUDA_KERNELS[name], f"{name}.cu")
    assert res.ok, res.log


@pytest.mark.toolchain
@pytest.mark.parametrize("name", list(HIP_KERNELS))
def test_hip_test_kernels_compile_with_hipcc(name):
    res = _check(hipcc_check, HIP_KERNELS[name], f"{name}.hip")
    assert res.ok, res.log


@pytest.mark.toolchain
def test_hipcc_also_rejects_a_32_bit_sync_mask():
    # ROCm 6.2+ rejects it with the same static_assert as the emulator; older ROCm has no _sync forms at all
    src = "__global__ void k(float* x) { x[threadIdx.x] = __shfl_sync(0xffffffff, x[threadIdx.x], 0); }"
    res = _check(hipcc_check, src, "mask.hip")
    assert not res.ok and ("64-bit" in res.log or "undeclared identifier '__shfl_sync'" in res.log), res.log
