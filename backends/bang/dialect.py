"""Facts about Cambricon BANG C (MLU) as data: generations, memory spaces, capacities, alignment rules.

This module is the ONE place for these numbers. The CPU runtime (backends/bang/runtime) receives them as
`-D` macros from `compile_defines()` (the runtime header refuses to compile without them), and later passes
(cache placement, tiling, tensorize) read them from here.

Sources (see /work/shared/reference/bang.md for the citations): the mlu-ops kernel.h size macros and guide,
the Cambricon BANG C developer guide (cntoolkit 3.5.2 / BANG C 4.5.1, section 3: built-in functions), and
the public benchmark's usage. Values marked `uncertain=True` are not confirmed by a primary source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

KIB = 1024
MIB = 1024 * 1024


@dataclass(frozen=True)
class Generation:
    """One MLU generation. Capacities are bytes; NRAM/WRAM/LDRAM per core, SRAM per cluster."""

    name: str
    arch: int  # value of __BANG_ARCH__
    nram: int
    wram: int
    sram: int
    clusters: int  # clusters on one device (Block launches run in waves over clusters*cores)
    cores_per_cluster: int
    uncertain: tuple[str, ...] = ()  # fields not confirmed by a primary source
    notes: str = ""

    def __post_init__(self) -> None:
        for f in ("nram", "wram", "sram", "clusters", "cores_per_cluster"):
            if getattr(self, f) <= 0:
                raise ValueError(f"{self.name}: {f} must be positive")
        if self.nram % KIB or self.wram % KIB or self.sram % KIB:
            raise ValueError(f"{self.name}: capacities must be whole KiB (the __MLU_*_SIZE__ macros are in KB)")


GENERATIONS: dict[str, Generation] = {
    g.name: g
    for g in (
        Generation(
            "MLU270", 270, nram=512 * KIB, wram=1024 * KIB, sram=2 * MIB, clusters=4, cores_per_cluster=4,
            uncertain=("wram",),
            notes="NRAM/SRAM from the mlu-ops non-device defaults (384 KB + 128 KB stack, 1920 KB + 128 KB)",
        ),
        Generation(
            "MLU290", 290, nram=512 * KIB, wram=512 * KIB, sram=2 * MIB, clusters=16, cores_per_cluster=4,
            uncertain=("nram", "wram", "sram", "clusters"),
        ),
        Generation(
            "MLU370", 372, nram=768 * KIB, wram=1024 * KIB, sram=4 * MIB, clusters=8, cores_per_cluster=4,
            uncertain=("wram", "clusters"),
            notes="the mlu-ops guide sample: usable NRAM 655360 = 768 KB - 128 KB, SRAM 4063232 = 4 MB - 128 KB",
        ),
        Generation(
            "MLU590", 592, nram=448 * KIB, wram=512 * KIB, sram=2 * MIB, clusters=12, cores_per_cluster=4,
            uncertain=("nram", "wram", "clusters"),
            notes="NRAM derived from the same sample's else-branch (327680 + 128 KB); WRAM unknown",
        ),
    )
}

# The default generation: MLU370 (__BANG_ARCH__ 372), the part most public BANG code targets.
DEFAULT_GENERATION = "MLU370"
# Environment variable read at compile time to choose another generation (name or arch number).
ARCH_ENV = "XP_BANG_ARCH"


@dataclass(frozen=True)
class MemorySpace:
    name: str
    qualifier: str | None  # declaration qualifier in BANG C (None: pointers from the host / kernel arguments)
    scope: str  # "device" | "cluster" | "core"
    section: str | None  # ELF section the CPU runtime places such objects in
    use: str


MEMORY_SPACES: tuple[MemorySpace, ...] = (
    MemorySpace("GDRAM", None, "device", None, "kernel I/O: pointer arguments, cnrtMalloc"),
    MemorySpace("NRAM", "__nram__", "core", "xp_nram", "operands of every __bang_* vector op"),
    MemorySpace("WRAM", "__wram__", "core", "xp_wram", "filter / weights of conv, mlp, matmul"),
    MemorySpace("SRAM", "__mlu_shared__", "cluster", "xp_sram", "sharing between the cores of a cluster"),
    MemorySpace("LDRAM", "__ldram__", "core", "xp_ldram", "private off-chip spill space"),
)

# Alignment constants (mlu-ops kernel.h). The "classic" (MLU2xx) vector rule: address % VECTOR_ADDR_ALIGN == 0
# and count * sizeof(T) % NFU_ALIGN_SIZE == 0. MLU3xx accepts any count > 0 for most ops.
NFU_ALIGN_SIZE = 128
VECTOR_ADDR_ALIGN = 64
WRAM_ALIGN_SIZE = 64
LT_NUM = 64
COMPUTE_COUNT_ALIGN = 64
REDUCE_BLOCK_BYTES = 128  # __bang_reduce_sum sums each 128-byte block

# Checks of the manual's "soft" rules (alignment / size granularity, forbidden operand overlap, use of an
# __memcpy_async operand before its __sync_*): off, warn (each distinct rule once on stderr), strict (fault).
# Default "warn": real kernels pass counts such as 25 that MLU3xx accepts.
CHECK_LEVELS = ("off", "warn", "strict")
DEFAULT_CHECK = "warn"

# Logical layout of __bang_matmul's rhs in WRAM (the runtime keeps WRAM as exactly what was copied in):
# "kn": rhs is a row-major K x N matrix (the reference's reading, which the public benchmark and this
# corpus use); "nk": rhs is stored N x K, the filter convention of __bang_mlp / __bang_conv. Cambricon's own
# code points to "nk": mlu-ops fft builds the rhs as an [N][1][1][K] filter with __bang_reshape_filter, and
# Cambricon's matmul sample transposes B before NRAM2WRAM. Overridable per run by XP_BANG_MATMUL_RHS.
MATMUL_RHS_DEFAULT = "kn"

# Task types of a launch and the union size N of each (0 = Block). cnrtFunctionType_t encodes them as
# 4*N (cores of a union on a 4-core-per-cluster part) and Block as 1.
TASK_TYPES: dict[str, int] = {"block": 0, "union1": 1, "union2": 2, "union4": 4, "union8": 8, "union16": 16}

# Runtime environment variables understood by the executable (documented here, read in xp_bang_rt.cpp).
RUNTIME_ENV: dict[str, str] = {
    "XP_BANG_CHECK": "off | warn | strict: soft manual rules (default warn)",
    "XP_BANG_NRAM": "override the NRAM capacity per core (bytes, or with K/M suffix)",
    "XP_BANG_WRAM": "override the WRAM capacity per core",
    "XP_BANG_SRAM": "override the SRAM capacity per cluster",
    "XP_BANG_NRAM_RESERVE": "bytes of NRAM reserved for the compiler's stack (mlu-ops reserves 128K); default 0",
    "XP_BANG_POISON": "1: fill zero-initialised NRAM/WRAM/SRAM with 0xFF at start (catches reads of unset data)",
    "XP_BANG_MATMUL_RHS": "kn | nk: layout of __bang_matmul's rhs (default MATMUL_RHS_DEFAULT)",
}


@dataclass(frozen=True)
class Dialect:
    """The facts later passes ask for (parallel axes, memory scopes), in the style of a renderer's attributes."""

    name: str = "bang"
    parallel_axes: tuple[str, ...] = ("taskId", "clusterId", "coreId")
    builtins: tuple[str, ...] = (
        "taskId", "taskIdX", "taskIdY", "taskIdZ", "taskDim", "taskDimX", "taskDimY", "taskDimZ",
        "clusterId", "clusterDim", "coreId", "coreDim",
    )
    memory_spaces: tuple[MemorySpace, ...] = MEMORY_SPACES
    generations: dict = field(default_factory=lambda: dict(GENERATIONS))
    default_generation: str = DEFAULT_GENERATION


DIALECT = Dialect()


def generation(name: str | None = None) -> Generation:
    """The generation named `name` (e.g. "MLU290" or "290"), else $XP_BANG_ARCH, else the default."""
    key = (name or os.environ.get(ARCH_ENV) or DEFAULT_GENERATION).strip().upper()
    if key in GENERATIONS:
        return GENERATIONS[key]
    for g in GENERATIONS.values():
        if key in (str(g.arch), f"MLU{g.arch}"):
            return g
    known = ", ".join(GENERATIONS)
    raise ValueError(f"unknown MLU generation {key!r} ({ARCH_ENV}); known: {known}")


def compile_defines(gen: Generation | None = None) -> dict[str, str]:
    """The macros the runtime header needs, for `gen` (default: generation())."""
    g = gen or generation()
    return {
        "__BANG_ARCH__": str(g.arch),
        "__MLU_NRAM_SIZE__": str(g.nram // KIB),
        "__MLU_WRAM_SIZE__": str(g.wram // KIB),
        "__MLU_SRAM_SIZE__": str(g.sram // KIB),
        "XP_BANG_GEN_NAME": f'"{g.name}"',
        "XP_BANG_NRAM_BYTES": str(g.nram),
        "XP_BANG_WRAM_BYTES": str(g.wram),
        "XP_BANG_SRAM_BYTES": str(g.sram),
        "XP_BANG_CLUSTERS": str(g.clusters),
        "XP_BANG_CORES_PER_CLUSTER": str(g.cores_per_cluster),
        "XP_BANG_VECTOR_ADDR_ALIGN": str(VECTOR_ADDR_ALIGN),
        "XP_BANG_NFU_ALIGN_SIZE": str(NFU_ALIGN_SIZE),
        "XP_BANG_WRAM_ALIGN_SIZE": str(WRAM_ALIGN_SIZE),
        "XP_BANG_LT_NUM": str(LT_NUM),
        "XP_BANG_REDUCE_BLOCK": str(REDUCE_BLOCK_BYTES),
        "XP_BANG_DEFAULT_CHECK": f'"{DEFAULT_CHECK}"',
        "XP_BANG_MATMUL_RHS_DEFAULT": f'"{MATMUL_RHS_DEFAULT}"',
    }


def cflags(gen: Generation | None = None) -> list[str]:
    """`compile_defines()` as -D flags (for building a translation unit by hand)."""
    return [f"-D{k}={v}" for k, v in compile_defines(gen).items()]


if __name__ == "__main__":  # print the -D flags, e.g. for a manual g++/clang++ build
    import shlex
    import sys

    print(" ".join(shlex.quote(f) for f in cflags(generation(sys.argv[1] if len(sys.argv) > 1 else None))))


# ----------------------------------------------------------------------------------------------------------
# Language facts for the frontend and the printer (keywords, built-ins, barriers, spellings).

from xpiler.ir.dialect import C_MATH, LanguageFacts  # noqa: E402
from xpiler.ir.nodes import BarrierScope, FuncKind  # noqa: E402
from xpiler.ir.types import Scope  # noqa: E402

LANGUAGE = LanguageFacts(
    name="bang",
    # cncc defines these as attributes; the frontend does the same before parsing.
    attribute_keywords={
        "__mlu_global__": "mlu_global", "__mlu_entry__": "mlu_entry", "__mlu_func__": "mlu_func",
        "__mlu_device__": "mlu_device", "__mlu_host__": "mlu_host", "__nram__": "nram", "__wram__": "wram",
        "__mlu_shared__": "mlu_shared", "__ldram__": "ldram", "__mlu_const__": "mlu_const",
    },
    func_qualifiers={"mlu_global": FuncKind.KERNEL, "mlu_entry": FuncKind.KERNEL, "mlu_func": FuncKind.DEVICE,
                     "mlu_device": FuncKind.DEVICE, "mlu_host": FuncKind.HOST},
    scope_qualifiers={"nram": Scope.NRAM, "wram": Scope.WRAM, "mlu_shared": Scope.SRAM, "ldram": Scope.LDRAM,
                      "mlu_device": Scope.GLOBAL, "mlu_const": Scope.CONSTANT},
    scope_spelling={Scope.NRAM: "__nram__", Scope.WRAM: "__wram__", Scope.SRAM: "__mlu_shared__",
                    Scope.LDRAM: "__ldram__", Scope.GLOBAL: "__mlu_device__", Scope.CONSTANT: "__mlu_const__",
                    Scope.LOCAL: "", Scope.HOST: ""},
    kernel_spelling="__mlu_global__",
    device_spelling="__mlu_func__",
    builtins={"taskId": "task", "taskIdX": "task.x", "taskIdY": "task.y", "taskIdZ": "task.z",
              "taskDim": "dim:task", "taskDimX": "dim:task.x", "taskDimY": "dim:task.y", "taskDimZ": "dim:task.z",
              "clusterId": "cluster", "clusterDim": "dim:cluster", "coreId": "core", "coreDim": "dim:core"},
    barriers={"__sync_cluster": BarrierScope.CLUSTER, "__sync_all": BarrierScope.ALL,
              "__sync_all_ipu": BarrierScope.ALL, "__sync": BarrierScope.CORE},
    host_api_prefixes=("cnrt", "cnrtQueue"),
    math=C_MATH,
    intrinsic_prefixes=("__bang_", "__memcpy", "__memset", "__nramset", "__gdramset", "__sramset", "__ldramset",
                        "__float2", "__half2", "__int2", "__cn_"),
    dtype_spelling={"float16": "half", "bfloat16": "bfloat16_t"},
    named_types=frozenset({"cnrtDim3_t", "cnrtQueue_t", "cnrtFunctionType_t", "cnrtRet_t", "mluMemcpyDirection_t",
                           "cnrtNotifier_t"}),
    default_includes=("bang.h",),
    triple_chevron=True,
)
