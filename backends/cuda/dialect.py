"""Language facts of CUDA C++ (keywords, built-ins, spellings) for the frontend and the printer."""

from __future__ import annotations

from xpiler.ir.dialect import C_MATH, LanguageFacts

from .._cfacts import (SIMT_ATTRIBUTE_KEYWORDS, SIMT_BARRIERS, SIMT_BUILTINS, SIMT_FUNC_QUALIFIERS, SIMT_MATH,
                       SIMT_SCOPE_QUALIFIERS, SIMT_SCOPE_SPELLING, SIMT_VECTOR_TYPES)

LANGUAGE = LanguageFacts(
    name="cuda",
    attribute_keywords=dict(SIMT_ATTRIBUTE_KEYWORDS),
    func_qualifiers=dict(SIMT_FUNC_QUALIFIERS),
    scope_qualifiers=dict(SIMT_SCOPE_QUALIFIERS),
    scope_spelling=dict(SIMT_SCOPE_SPELLING),
    kernel_spelling="__global__",
    device_spelling="__device__",
    builtins=dict(SIMT_BUILTINS),
    barriers=dict(SIMT_BARRIERS),
    host_api_prefixes=("cuda",),
    math=C_MATH | SIMT_MATH,
    intrinsic_prefixes=("wmma::", "nvcuda::wmma::"),
    dtype_spelling={"float16": "half", "bfloat16": "__nv_bfloat16"},
    vector_types=dict(SIMT_VECTOR_TYPES),
    named_types=frozenset({"dim3", "cudaStream_t", "cudaError_t", "cudaEvent_t"}),
    default_includes=("cuda_runtime.h", "cuda_fp16.h", "mma.h"),
    warp_size=32,
    private_bytes_max=512 * 1024,
    triple_chevron=True,
)
