"""What the frontend and the printers need to know about a dialect's *language*: its keywords, built-in
variables, barriers, memory-space qualifiers and type spellings.

Each backend states its facts once, as `LANGUAGE = LanguageFacts(...)` in `backends/<d>/dialect.py`; the
core reaches them through `xpiler.registry.get_backend(d).language()`. The tree-sitter frontend maps
dialect qualifiers to GNU attributes the way the dialects' own compilers define them (`__shared__` is
`__attribute__((shared))` in CUDA's headers, `__nram__` an address-space attribute in cncc), so the
grammar parses them as attributes instead of failing on an unknown word.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xpiler.ir.nodes import BarrierScope, FuncKind
from xpiler.ir.types import Scope

# C / C++ library functions every dialect may call (host side or device math).
C_MATH = frozenset(
    """abs fabs fabsf sqrt sqrtf rsqrt rsqrtf exp expf exp2 exp2f log logf log2 log2f log10 log10f pow powf
    sin sinf cos cosf tan tanf tanh tanhf erf erff erfc erfcf floor floorf ceil ceilf round roundf trunc truncf
    fmax fmaxf fmin fminf fmod fmodf max min atan atanf atan2 atan2f asin asinf acos acosf sinh sinhf cosh
    coshf lrintf rintf nearbyintf isnan isinf signbit copysign copysignf fma fmaf""".split()
)
# `#pragma GCC unroll N` has no "fully" spelling; GCC's largest accepted factor is the idiom for it.
GCC_FULL_UNROLL = 65534

C_HOST_API = frozenset(
    "malloc calloc free memcpy memset memmove printf fprintf puts abort exit assert aligned_alloc".split()
)


@dataclass(frozen=True)
class LanguageFacts:
    """Syntax-level facts of one dialect. Every field is data; nothing here parses or prints."""

    name: str
    # Qualifier keyword -> GNU attribute name the frontend rewrites it to before parsing (`__nram__` ->
    # `__attribute__((nram))`). Keywords the grammar already knows are absent.
    attribute_keywords: dict[str, str] = field(default_factory=dict)
    # Function qualifier (as attribute name or keyword) -> kind of function.
    func_qualifiers: dict[str, FuncKind] = field(default_factory=dict)
    # Variable qualifier (attribute name or keyword) -> memory scope of the declared buffer.
    scope_qualifiers: dict[str, Scope] = field(default_factory=dict)
    # Printing: the qualifier written for each scope of a declared buffer ("" = none).
    scope_spelling: dict[Scope, str] = field(default_factory=dict)
    # Printing: kernel / device-function qualifier.
    kernel_spelling: str = ""
    device_spelling: str = ""
    # Built-in variables, by full spelling (`threadIdx.x`, `taskId`) -> parallel axis they index
    # ("thread.x", "block.x", "task", "cluster", "core") or a size ("dim:thread.x", "dim:task", ...).
    builtins: dict[str, str] = field(default_factory=dict)
    # Barrier call name -> scope; the first name per scope is the one printed.
    barriers: dict[str, BarrierScope] = field(default_factory=dict)
    # Prefixes of host runtime API names (cuda, hip, cnrt) — calls with them are CallKind.HOST_API.
    host_api_prefixes: tuple[str, ...] = ()
    host_api: frozenset[str] = C_HOST_API
    # Device math / conversion functions beyond C_MATH (`__expf`, `__half2float`, `hexp`).
    math: frozenset[str] = C_MATH
    # Prefixes of intrinsic names when the catalogue does not list a name (`__bang_`, `_mm512_`).
    intrinsic_prefixes: tuple[str, ...] = ()
    # Printing: canonical dtype -> spelling in this dialect (dtypes absent here print with C names).
    dtype_spelling: dict[str, str] = field(default_factory=dict)
    # Vector type spellings -> (element dtype, lanes).
    vector_types: dict[str, tuple[str, int]] = field(default_factory=dict)
    # Named (opaque) types the dialect's headers define: dim3, cudaStream_t, cnrtQueue_t, ...
    named_types: frozenset[str] = frozenset()
    # Headers a printed module of this dialect includes when the source had none.
    default_includes: tuple[str, ...] = ()
    warp_size: int | None = None
    # Bytes of thread-private arrays one thread may hold (CUDA: 512 KiB of local memory per thread, the
    # Programming Guide's limit; HIP on gfx90a: hipcc refuses stack frames over 131056 bytes). None: no
    # per-thread limit that code generation must respect.
    private_bytes_max: int | None = None
    # True when kernels are launched with `k<<<...>>>(...)` in host code.
    triple_chevron: bool = False
    restrict_spelling: str = "__restrict__"


# Spellings of C scalar types -> canonical dtype, shared by all frontends. Dialect-specific spellings
# (half, __half, bfloat16_t, __nv_bfloat16) come from `LanguageFacts.dtype_spelling` read in reverse.
C_SCALARS: dict[str, str] = {
    "void": "void", "bool": "bool", "_Bool": "bool", "char": "char", "signed char": "int8",
    "unsigned char": "uint8", "short": "int16", "short int": "int16", "unsigned short": "uint16",
    "int": "int32", "signed": "int32", "signed int": "int32", "unsigned": "uint32", "unsigned int": "uint32",
    "long": "int64", "long int": "int64", "unsigned long": "uint64", "long long": "int64",
    "long long int": "int64", "unsigned long long": "uint64", "float": "float32", "double": "float64",
    "int8_t": "int8", "uint8_t": "uint8", "int16_t": "int16", "uint16_t": "uint16", "int32_t": "int32",
    "uint32_t": "uint32", "int64_t": "int64", "uint64_t": "uint64", "size_t": "size_t",
    "ptrdiff_t": "ptrdiff_t", "_Float16": "float16",
    # glibc's <sys/types.h> (which <stdlib.h> brings in): `uint bitonicSort(uint *d_DstKey, ...)`
    "uint": "uint32", "ushort": "uint16", "ulong": "uint64", "u_int": "uint32", "u_short": "uint16",
    "u_char": "uint8", "u_long": "uint64", "ssize_t": "int64",
}

# Spellings of the vendors' scalar types, accepted by the frontend in every dialect (a kernel may use a
# header's alias that its dialect's printer would not choose).
VENDOR_SCALARS: dict[str, str] = {
    "half": "float16", "__half": "float16", "__fp16": "float16", "_Float16": "float16", "float16_t": "float16",
    "bfloat16_t": "bfloat16", "__nv_bfloat16": "bfloat16", "hip_bfloat16": "bfloat16", "__hip_bfloat16": "bfloat16",
    "__bf16": "bfloat16", "bfloat16": "bfloat16", "float32_t": "float32", "float64_t": "float64",
    # BANG C's own fixed-width spellings
    "int8": "int8", "int16": "int16", "int32": "int32", "int64": "int64", "uint8": "uint8", "uint16": "uint16",
    "uint32": "uint32", "uint64": "uint64",
}

# Canonical dtype -> the C/C++ name a printer writes when neither the source spelling nor the dialect's
# `dtype_spelling` has one.
C_SPELLING: dict[str, str] = {
    "void": "void", "bool": "bool", "char": "char", "float32": "float", "float64": "double",
    "int8": "int8_t", "uint8": "uint8_t", "int16": "int16_t", "uint16": "uint16_t", "int32": "int",
    "uint32": "unsigned int", "int64": "int64_t", "uint64": "uint64_t", "size_t": "size_t",
    "ptrdiff_t": "ptrdiff_t", "float16": "_Float16", "bfloat16": "__bf16",
}
