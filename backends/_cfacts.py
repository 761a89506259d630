"""Language facts shared by several backends (the SIMT built-ins of CUDA and HIP)."""

from __future__ import annotations

from xpiler.ir.nodes import BarrierScope, FuncKind
from xpiler.ir.types import Scope

SIMT_BUILTINS: dict[str, str] = {}
for _axis in "xyz":
    SIMT_BUILTINS[f"threadIdx.{_axis}"] = f"thread.{_axis}"
    SIMT_BUILTINS[f"blockIdx.{_axis}"] = f"block.{_axis}"
    SIMT_BUILTINS[f"blockDim.{_axis}"] = f"dim:thread.{_axis}"
    SIMT_BUILTINS[f"gridDim.{_axis}"] = f"dim:block.{_axis}"
SIMT_BUILTINS["warpSize"] = "dim:warp"

SIMT_ATTRIBUTE_KEYWORDS = {"__align__": "aligned"}
SIMT_FUNC_QUALIFIERS = {"__global__": FuncKind.KERNEL, "__device__": FuncKind.DEVICE, "__host__": FuncKind.HOST}
SIMT_SCOPE_QUALIFIERS = {"__shared__": Scope.SHARED, "__constant__": Scope.CONSTANT, "__device__": Scope.GLOBAL}
SIMT_SCOPE_SPELLING = {Scope.SHARED: "__shared__", Scope.CONSTANT: "__constant__", Scope.GLOBAL: "__device__",
                       Scope.LOCAL: "", Scope.HOST: "", Scope.FRAGMENT: ""}
SIMT_VECTOR_TYPES = {"float2": ("float32", 2), "float4": ("float32", 4), "half2": ("float16", 2),
                     "int2": ("int32", 2), "int4": ("int32", 4), "__half2": ("float16", 2)}
SIMT_BARRIERS = {"__syncthreads": BarrierScope.BLOCK, "__syncwarp": BarrierScope.WARP}
SIMT_MATH = frozenset(
    """__expf __logf __sinf __cosf __powf __fdividef __frcp_rn __fsqrt_rn rsqrtf __saturatef __half2float
    __float2half __float2half_rn __float2half_rz __float2half_rd __float2half_ru __float2bfloat16
    __bfloat162float __hadd __hsub __hmul __hdiv __hfma __hmax __hmin __hneg hexp hlog hsqrt hrsqrt __habs
    __int2float_rn __float2int_rn __float2int_rz __fmul_rn __fadd_rn __fmaf_rn __ldg __ldcs __stcs
    __half22float2 __float22half2_rn __floats2half2_rn __low2float __high2float __float2half2_rn
    __shfl_sync __shfl_down_sync __shfl_up_sync __shfl_xor_sync __shfl __shfl_down __shfl_up __shfl_xor
    __ballot_sync __all_sync __any_sync __activemask __reduce_add_sync __reduce_min_sync __reduce_max_sync
    __ballot __all __any __popc __popcll __clz __ffs atomicAdd atomicMax atomicMin atomicExch atomicCAS
    atomicSub atomicAnd atomicOr atomicXor __syncthreads_count __syncthreads_and __syncthreads_or""".split()
)
