"""Types of the xpiler IR: scalars, pointers, vectors, wmma fragments and named (opaque) types.

A type records *what* a value is (its canonical dtype from `xpiler.dtypes`, its memory scope) and, in
`spelling`, *how the source wrote it* (`int`, `int32_t`, `half`, `__half`). Spelling never takes part in
equality or hashing: `int` and `int32_t` are the same type; printers use the spelling when it is valid in
their dialect and the dialect's own name otherwise.

Example:
    >>> Pointer(Scalar("float32"), scope=Scope.GLOBAL, const=True)
    Pointer(pointee=Scalar(dtype='float32'), scope=<Scope.GLOBAL: 'global'>, const=True, restrict=False)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from xpiler import dtypes

# Canonical scalar dtypes: the executors' table plus the C integer types that have no fixed width in
# the executors (size_t, ptrdiff_t are 64-bit on every platform we emit for).
SCALAR_DTYPES = frozenset(dtypes.NAMES) | {"size_t", "ptrdiff_t", "char"}


class Scope(str, Enum):
    """Where a buffer lives. One vocabulary for all five dialects; `backends/<d>/dialect.py` says which
    scopes a dialect has and how it spells them."""

    HOST = "host"  # CPU memory (c, vnni; host code of the GPU dialects)
    GLOBAL = "global"  # device DRAM: CUDA/HIP global, BANG GDRAM
    SHARED = "shared"  # CUDA/HIP __shared__ (HIP: LDS)
    LOCAL = "local"  # registers / thread-private arrays
    CONSTANT = "constant"  # __constant__
    NRAM = "nram"  # BANG per-core neuron RAM
    WRAM = "wram"  # BANG per-core weight RAM
    SRAM = "sram"  # BANG per-cluster shared RAM (__mlu_shared__)
    LDRAM = "ldram"  # BANG per-core local DRAM (__ldram__)
    FRAGMENT = "fragment"  # wmma fragments (warp-distributed registers)


class Type:
    """Base of all IR types."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Scalar(Type):
    """A scalar of canonical dtype (`float32`, `int32`, `float16`, `bool`, `void`, `size_t`, ...)."""

    dtype: str
    spelling: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.dtype not in SCALAR_DTYPES:
            raise ValueError(f"unknown scalar dtype {self.dtype!r}")


@dataclass(frozen=True, slots=True)
class Pointer(Type):
    """A pointer. `scope` is the memory space of the pointee (GLOBAL for kernel parameters, HOST for C)."""

    pointee: Type
    scope: Scope = Scope.HOST
    const: bool = False  # pointee is const (`const float *`)
    restrict: bool = False


@dataclass(frozen=True, slots=True)
class Vector(Type):
    """A SIMD / short-vector value: `__m512i` (lanes of `elem` are a view), `float4`, `half2`, `floatx4`.

    `bits` is the total width; `elem`/`lanes` describe the natural element view."""

    elem: str
    lanes: int
    spelling: str | None = field(default=None, compare=False)

    @property
    def bits(self) -> int:
        return dtypes.itemsize(self.elem) * 8 * self.lanes


@dataclass(frozen=True, slots=True)
class Fragment(Type):
    """A wmma fragment: `use` is matrix_a / matrix_b / accumulator, `layout` row_major / col_major / None."""

    use: str
    m: int
    n: int
    k: int
    dtype: str
    layout: str | None = None


@dataclass(frozen=True, slots=True)
class Named(Type):
    """A type the IR treats as opaque: `dim3`, `cudaStream_t`, `cnrtQueue_t`, `cnrtDim3_t`, enums, structs.
    `args` holds template arguments (types or expressions) when the source wrote any."""

    name: str
    args: tuple = ()


def scalar(dtype: str, spelling: str | None = None) -> Scalar:
    return Scalar(dtype, spelling)


VOID = Scalar("void")
BOOL = Scalar("bool")
INT32 = Scalar("int32", "int")
INT64 = Scalar("int64")
FLOAT32 = Scalar("float32", "float")
FLOAT16 = Scalar("float16")
