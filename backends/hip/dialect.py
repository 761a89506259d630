"""Language facts of HIP C++ for AMD Instinct (wave64, MFMA builtins)."""

from __future__ import annotations

from xpiler.ir.dialect import C_MATH, LanguageFacts

from .._cfacts import (SIMT_ATTRIBUTE_KEYWORDS, SIMT_BARRIERS, SIMT_BUILTINS, SIMT_FUNC_QUALIFIERS, SIMT_MATH,
                       SIMT_SCOPE_QUALIFIERS, SIMT_SCOPE_SPELLING, SIMT_VECTOR_TYPES)

LANGUAGE = LanguageFacts(
    name="hip",
    attribute_keywords=dict(SIMT_ATTRIBUTE_KEYWORDS),
    func_qualifiers=dict(SIMT_FUNC_QUALIFIERS),
    scope_qualifiers=dict(SIMT_SCOPE_QUALIFIERS),
    scope_spelling=dict(SIMT_SCOPE_SPELLING),
    kernel_spelling="__global__",
    device_spelling="__device__",
    builtins=dict(SIMT_BUILTINS),
    barriers=dict(SIMT_BARRIERS),
    host_api_prefixes=("hip",),
    math=C_MATH | SIMT_MATH,
    intrinsic_prefixes=("__builtin_amdgcn_",),
    dtype_spelling={"float16": "half", "bfloat16": "hip_bfloat16"},
    vector_types=dict(SIMT_VECTOR_TYPES),
    named_types=frozenset({"dim3", "hipStream_t", "hipError_t", "hipEvent_t"}),
    default_includes=("hip/hip_runtime.h", "hip/hip_fp16.h"),
    warp_size=64,
    private_bytes_max=131056,
    triple_chevron=True,
)
