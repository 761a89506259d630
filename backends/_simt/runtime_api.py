"""The CUDA runtime API and its HIP counterparts, as data: one table used by the `port` pass (both ways).

Each row is (CUDA name, HIP name). Most names only swap the prefix; the rows that do not are the point of
keeping a table (`cudaThreadSynchronize` -> `hipDeviceSynchronize`, `cudaMallocHost` -> `hipHostMalloc`,
`cudaDevAttrWarpSize` -> `hipDeviceAttributeWarpSize`, `cudaDeviceProp` -> `hipDeviceProp_t`). For HIP -> CUDA
the first row naming a HIP function wins (`hipDeviceSynchronize` -> `cudaDeviceSynchronize`, so the rows that
map legacy CUDA names come after the current ones).
tests/toolchain/test_runtime_api.py checks that every HIP name here is declared by the HIP headers installed
on this machine (the AMD platform's, not the NVIDIA shim), and every CUDA name by the CUDA headers when
they are installed. A name missing from the table is not guessed: the port declines and names it.

HEADERS maps a source header to the target's (None: the target needs no counterpart; drop it).
"""

from __future__ import annotations

_RENAMED = (
    # (cuda, hip) whose words differ beyond the prefix
    ("cudaThreadSynchronize", "hipDeviceSynchronize"),
    ("cudaThreadExit", "hipDeviceReset"),
    ("cudaMallocHost", "hipHostMalloc"),
    ("cudaHostAlloc", "hipHostMalloc"),
    ("cudaHostAllocDefault", "hipHostMallocDefault"),
    ("cudaHostAllocPortable", "hipHostMallocPortable"),
    ("cudaHostAllocMapped", "hipHostMallocMapped"),
    ("cudaHostAllocWriteCombined", "hipHostMallocWriteCombined"),
    ("cudaFreeHost", "hipHostFree"),
    ("cudaDeviceProp", "hipDeviceProp_t"),
    ("cudaPointerAttributes", "hipPointerAttribute_t"),
    ("cudaDevAttrMaxBlocksPerMultiprocessor", "hipDeviceAttributeMaxBlocksPerMultiProcessor"),
    ("cudaDevAttrPciDomainId", "hipDeviceAttributePciDomainID"),
    ("cudaDevAttrWarpSize", "hipDeviceAttributeWarpSize"),
    ("cudaDevAttrMaxThreadsPerBlock", "hipDeviceAttributeMaxThreadsPerBlock"),
    ("cudaDevAttrMultiProcessorCount", "hipDeviceAttributeMultiprocessorCount"),
    ("cudaDevAttrMaxSharedMemoryPerBlock", "hipDeviceAttributeMaxSharedMemoryPerBlock"),
    ("cudaDevAttrMaxBlockDimX", "hipDeviceAttributeMaxBlockDimX"),
    ("cudaDevAttrMaxGridDimX", "hipDeviceAttributeMaxGridDimX"),
    ("cudaDevAttrComputeCapabilityMajor", "hipDeviceAttributeComputeCapabilityMajor"),
    ("cudaDevAttrComputeCapabilityMinor", "hipDeviceAttributeComputeCapabilityMinor"),
    ("cudaDevAttrClockRate", "hipDeviceAttributeClockRate"),
    ("cudaDevAttrL2CacheSize", "hipDeviceAttributeL2CacheSize"),
)

_SAME_WORD = """
Malloc Free Memcpy MemcpyAsync Memset MemsetAsync Memcpy2D Memcpy2DAsync MallocPitch MallocManaged MallocAsync
FreeAsync MemcpyToSymbol MemcpyToSymbolAsync MemcpyFromSymbol MemcpyFromSymbolAsync GetSymbolAddress
GetSymbolSize MemGetInfo MemPrefetchAsync MemAdvise HostRegister HostUnregister HostGetDevicePointer
HostRegisterDefault HostRegisterMapped HostRegisterPortable MemcpyPeer MemcpyPeerAsync
MemcpyKind MemcpyHostToHost MemcpyHostToDevice MemcpyDeviceToHost MemcpyDeviceToDevice MemcpyDefault
DeviceSynchronize DeviceReset GetDevice SetDevice GetDeviceCount GetDeviceProperties DeviceGetAttribute
SetDeviceFlags DeviceScheduleAuto DeviceScheduleSpin DeviceScheduleYield DeviceScheduleBlockingSync
DeviceMapHost DeviceSetCacheConfig DeviceGetCacheConfig DeviceSetSharedMemConfig DeviceCanAccessPeer
DeviceEnablePeerAccess DeviceDisablePeerAccess DriverGetVersion RuntimeGetVersion
FuncCachePreferNone FuncCachePreferShared FuncCachePreferL1 FuncCachePreferEqual
FuncSetCacheConfig FuncSetAttribute FuncGetAttributes FuncAttributes FuncAttributeMaxDynamicSharedMemorySize
FuncAttributePreferredSharedMemoryCarveout
GetLastError PeekAtLastError GetErrorString GetErrorName Error_t Success ErrorMemoryAllocation
ErrorInvalidValue ErrorNotReady ErrorInvalidDevice ErrorNoDevice ErrorInvalidConfiguration
ErrorLaunchFailure ErrorInitializationError ErrorInvalidDevicePointer ErrorInvalidMemcpyDirection
Stream_t StreamCreate StreamCreateWithFlags StreamCreateWithPriority StreamDestroy StreamSynchronize
StreamQuery StreamWaitEvent StreamAddCallback StreamDefault StreamNonBlocking StreamPerThread
StreamBeginCapture StreamEndCapture StreamCaptureModeGlobal StreamCaptureModeThreadLocal
StreamCaptureModeRelaxed DeviceGetStreamPriorityRange
Event_t EventCreate EventCreateWithFlags EventRecord EventSynchronize EventElapsedTime EventDestroy EventQuery
EventDefault EventBlockingSync EventDisableTiming EventInterprocess
Graph_t GraphExec_t GraphCreate GraphInstantiate GraphLaunch GraphDestroy GraphExecDestroy GraphNode_t
LaunchKernel LaunchCooperativeKernel OccupancyMaxActiveBlocksPerMultiprocessor OccupancyMaxPotentialBlockSize
PointerGetAttributes IpcMemHandle_t IpcGetMemHandle IpcOpenMemHandle IpcCloseMemHandle
IpcMemLazyEnablePeerAccess ProfilerStart ProfilerStop Array_t ChannelFormatDesc CreateChannelDesc
Extent PitchedPtr ComputeMode ComputeModeDefault ComputeModeExclusive ComputeModeProhibited
ComputeModeExclusiveProcess
""".split()

# device attributes (cudaDeviceGetAttribute): cudaDevAttr<W> -> hipDeviceAttribute<W>, the words both runtimes
# declare (CUDA 13's driver_types.h and the HIP headers compared); those spelled differently are in _RENAMED
_DEVICE_ATTRIBUTES = """
AsyncEngineCount CanMapHostMemory CanUseHostPointerForRegisteredMem ComputeMode ComputePreemptionSupported
ConcurrentKernels ConcurrentManagedAccess CooperativeLaunch DirectManagedMemAccessFromHost EccEnabled
GlobalL1CacheSupported HostNativeAtomicSupported Integrated IsMultiGpuBoard KernelExecTimeout
LocalL1CacheSupported ManagedMemory MaxBlockDimY MaxBlockDimZ MaxGridDimY MaxGridDimZ MaxPitch
MaxRegistersPerBlock MaxRegistersPerMultiprocessor MaxSharedMemoryPerMultiprocessor MaxTexture1DWidth
MaxTexture2DHeight MaxTexture2DWidth MaxTexture3DDepth MaxTexture3DHeight MaxTexture3DWidth
MaxThreadsPerMultiProcessor MemoryClockRate MemoryPoolsSupported MultiGpuBoardGroupID PageableMemoryAccess
PageableMemoryAccessUsesHostPageTables PciBusId PciDeviceId SingleToDoublePrecisionPerfRatio
StreamPrioritiesSupported SurfaceAlignment TccDriver TextureAlignment TexturePitchAlignment
TotalConstantMemory UnifiedAddressing
""".split()

# CUDA names that CUDA itself has retired (still common in old code); HIP -> CUDA never produces them
LEGACY_CUDA = frozenset({"cudaThreadSynchronize", "cudaThreadExit"})

TABLE: tuple[tuple[str, str], ...] = (tuple(r for r in _RENAMED if r[0] not in LEGACY_CUDA)
                                      + tuple(("cuda" + w, "hip" + w) for w in _SAME_WORD)
                                      + tuple(("cudaDevAttr" + w, "hipDeviceAttribute" + w) for w in _DEVICE_ATTRIBUTES)
                                      + tuple(r for r in _RENAMED if r[0] in LEGACY_CUDA))

# source header -> target header (None: drop); both directions
HEADERS_CUDA_TO_HIP = {
    "cuda_runtime.h": "hip/hip_runtime.h",
    "cuda_runtime_api.h": "hip/hip_runtime_api.h",
    "cuda_profiler_api.h": "hip/hip_runtime_api.h",  # hipProfilerStart / Stop are declared there
    "cuda.h": "hip/hip_runtime.h",
    "cuda_fp16.h": "hip/hip_fp16.h",
    "cuda_bf16.h": "hip/hip_bfloat16.h",  # hip_bfloat16, the spelling the HIP printer uses (in every HIP release)
    "cooperative_groups.h": "hip/hip_cooperative_groups.h",
    "device_launch_parameters.h": None,
    "mma.h": None,
    "math_constants.h": None,
}
HEADERS_HIP_TO_CUDA = {
    "hip/hip_runtime.h": "cuda_runtime.h",
    "hip/hip_runtime_api.h": "cuda_runtime_api.h",
    "hip/hip_fp16.h": "cuda_fp16.h",
    "hip/hip_bf16.h": "cuda_bf16.h",
    "hip/hip_bfloat16.h": "cuda_bf16.h",
    "hip/hip_cooperative_groups.h": "cooperative_groups.h",
    "hip/hip_ext.h": None,
}


def _first_wins(pairs):
    out: dict[str, str] = {}
    for a, b in pairs:
        out.setdefault(a, b)
    return out


CUDA_TO_HIP: dict[str, str] = _first_wins(TABLE)
HIP_TO_CUDA: dict[str, str] = _first_wins((h, c) for c, h in TABLE)


def mapping(src: str, dst: str) -> dict[str, str]:
    """name -> name for a port from dialect `src` to `dst` (cuda <-> hip)."""
    if (src, dst) == ("cuda", "hip"):
        return CUDA_TO_HIP
    if (src, dst) == ("hip", "cuda"):
        return HIP_TO_CUDA
    raise KeyError(f"no runtime API table for {src} -> {dst}")


def headers(src: str, dst: str) -> dict[str, str | None]:
    if (src, dst) == ("cuda", "hip"):
        return HEADERS_CUDA_TO_HIP
    if (src, dst) == ("hip", "cuda"):
        return HEADERS_HIP_TO_CUDA
    raise KeyError(f"no header table for {src} -> {dst}")


# calls whose counterpart depends on the number of arguments: (src, dst) -> name -> {nargs: name}
_ARITY = {
    ("hip", "cuda"): {"hipHostMalloc": {3: "cudaHostAlloc"}},
}


def arity_variant(src: str, dst: str, name: str, nargs: int | None) -> str | None:
    return _ARITY.get((src, dst), {}).get(name, {}).get(nargs) if nargs is not None else None


# the include guards of each runtime's headers, which helper headers test (`#ifdef __DRIVER_TYPES_H__` around the
# runtime-dependent half of cuda-samples' helper_cuda.h): a ported helper header tests the target's (its first)
RUNTIME_GUARDS = {"cuda": ("__CUDA_RUNTIME_H__", "__DRIVER_TYPES_H__", "__CUDA_RUNTIME_API_H__"),
                  "hip": ("HIP_INCLUDE_HIP_HIP_RUNTIME_H",)}

# namespaces of the source's headers that the target does not have: `using namespace nvcuda;` is dropped
NAMESPACES_ONLY_IN = {"cuda": frozenset({"nvcuda"}), "hip": frozenset()}
