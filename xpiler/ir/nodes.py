"""The xpiler IR: one typed loop-nest language for all five dialects.

The whole language is on this page. Every node is an immutable value (`frozen` dataclass, tuples, no
lists); a rewrite builds new nodes and shares the unchanged subtrees (see `visit.Rewriter`).

    Module   := items: (Func | Define | Include | Alloc | Decl | StaticAssert | TypeAlias
                        | UsingNamespace | PreprocIf | Directive | Comment | Opaque)*
    Func     := name, params: Param*, ret: Type, body: Stmt*, kind: kernel|device|host, ...
    Stmt     := Decl | Alloc | Assign | Store | For | CFor | While | DoWhile | If | Switch
              | Break | Continue | Return | Barrier | Evaluate | Launch | Block | Comment | Opaque
    Expr     := Const | StrLit | Var | Builtin | Load | Member | AddrOf | Deref | BinOp | UnOp
              | Select | Cast | Call | SizeOf | InitList | OpaqueExpr

Variables are `Sym`s: an identity separate from the display name, so two different `i` never collide and
a rename is a change of one name. Structural equality that ignores symbol identity is `equal.structural_eq`.
Statements carry `loc` (source line/column) for error messages and provenance; it never takes part in
equality.

Macros: `#define` is a module item (`Define`); an object-like macro is referenced by `Var(define.sym)` and
a function-like one is `Call(name, args, kind=CallKind.MACRO)`. Passes that need values expand them with
the module's defines; printers keep them, so the output reads like the input.

Example (the IR of `for (int i = 0; i < n; ++i) y[i] = 2.0f * x[i];`):
    >>> i, n, x, y = Sym("i"), Sym("n"), Sym("x"), Sym("y")
    >>> loop = For(i, Const(0), Var(n), Const(1),
    ...            (Store(Load(Var(y), (Var(i),)), BinOp("*", Const(2.0, "float32"), Load(Var(x), (Var(i),)))),))
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import Enum

from xpiler.ir.types import Scope, Type

_ids = itertools.count(1)


class Sym:
    """A variable's identity. Equality is identity; `name` is only for display and printing."""

    __slots__ = ("name", "id")

    def __init__(self, name: str) -> None:
        self.name = name
        self.id = next(_ids)

    def __repr__(self) -> str:
        return f"{self.name}#{self.id}"

    def copy(self) -> "Sym":
        return Sym(self.name)


@dataclass(frozen=True, slots=True)
class Loc:
    """Where a node came from: 1-based line and column in `file` (None for generated nodes)."""

    line: int
    col: int
    file: str | None = None

    def __str__(self) -> str:
        return f"{self.file or '<input>'}:{self.line}:{self.col}"


def _loc():
    return field(default=None, compare=False, repr=False)


# ----------------------------------------------------------------------------------------------------------
# Expressions


class Expr:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Const(Expr):
    """A literal. `dtype` is the literal's C type (`int32` for `3`, `float32` for `3.0f`, `float64` for
    `3.0`, `int64` for `3L`, `uint32` for `3u`, `bool` for `true`); `spelling` keeps the source text
    (`0x3f`, `1e-5f`) for faithful printing and does not take part in equality."""

    value: int | float | bool
    dtype: str = "int32"
    spelling: str | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class StrLit(Expr):
    """A string literal, text without quotes but with escapes as written (`"a\\n"` -> `a\\n`)."""

    text: str


@dataclass(frozen=True, slots=True)
class Var(Expr):
    """A reference to a parameter, local variable, global, or object-like macro."""

    sym: Sym


@dataclass(frozen=True, slots=True)
class Builtin(Expr):
    """A dialect built-in variable: `threadIdx.x`, `blockIdx.y`, `blockDim.x`, `gridDim.z`, `warpSize`,
    `taskId`, `taskDim`, `taskIdX`, `clusterId`, `clusterDim`, `coreId`, `coreDim`. The names are the
    dialect's own spellings; `backends/<d>/dialect.py` lists which exist and what parallel axis each is."""

    name: str


@dataclass(frozen=True, slots=True)
class Load(Expr):
    """`base[i0][i1]...`: read (or, as the target of `Store`, write) an element. `base` is usually a
    `Var` of a pointer or array; it may be any pointer-valued expression (`((float4 *)p)[0]`)."""

    base: Expr
    indices: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Member(Expr):
    """`base.name` (or `base->name` when `arrow`): vector lanes (`v.x`), dim3 fields, struct fields."""

    base: Expr
    name: str
    arrow: bool = False


@dataclass(frozen=True, slots=True)
class AddrOf(Expr):
    """`&expr`."""

    value: Expr


@dataclass(frozen=True, slots=True)
class Deref(Expr):
    """`*expr`."""

    value: Expr


BINARY_OPS = ("+", "-", "*", "/", "%", "<<", ">>", "&", "|", "^", "&&", "||", "<", "<=", ">", ">=", "==", "!=")
UNARY_OPS = ("-", "+", "!", "~")


@dataclass(frozen=True, slots=True)
class BinOp(Expr):
    op: str
    a: Expr
    b: Expr

    def __post_init__(self) -> None:
        if self.op not in BINARY_OPS:
            raise ValueError(f"unknown binary operator {self.op!r}")


@dataclass(frozen=True, slots=True)
class UnOp(Expr):
    op: str
    a: Expr

    def __post_init__(self) -> None:
        if self.op not in UNARY_OPS:
            raise ValueError(f"unknown unary operator {self.op!r}")


@dataclass(frozen=True, slots=True)
class Select(Expr):
    """`cond ? a : b`."""

    cond: Expr
    a: Expr
    b: Expr


class CastStyle(str, Enum):
    C = "c"  # (T)x
    STATIC = "static"  # static_cast<T>(x)
    REINTERPRET = "reinterpret"  # reinterpret_cast<T>(x)
    FUNCTIONAL = "functional"  # T(x)


@dataclass(frozen=True, slots=True)
class Cast(Expr):
    type: Type
    value: Expr
    style: CastStyle = field(default=CastStyle.C, compare=False)


class CallKind(str, Enum):
    """What a call refers to. INTRINSIC names an entry of the owning backend's catalogue
    (`backends/<d>/intrinsics.py`); HOST_API a runtime API of the host side (cudaMalloc, hipMemcpy,
    cnrtQueueCreate, malloc, memcpy); MATH a libm / device math function (expf, __expf, sqrtf, max);
    FUNC a function of this module; MACRO a function-like `#define`; CTOR a constructor (`dim3(4, 2)`)."""

    INTRINSIC = "intrinsic"
    HOST_API = "host_api"
    MATH = "math"
    FUNC = "func"
    MACRO = "macro"
    CTOR = "ctor"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """`name<template_args>(args)`. `name` is the full spelling (`wmma::mma_sync`, `__bang_add`)."""

    name: str
    args: tuple[Expr, ...]
    kind: CallKind = CallKind.OTHER
    template_args: tuple = ()  # of Type | Expr


@dataclass(frozen=True, slots=True)
class SizeOf(Expr):
    """`sizeof(T)` (arg is a Type) or `sizeof(expr)` (arg is an Expr)."""

    arg: Type | Expr


@dataclass(frozen=True, slots=True)
class InitList(Expr):
    """`{a, b, c}` in an initializer."""

    items: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class OpaqueExpr(Expr):
    """An expression the IR cannot model yet: its exact text and the symbols it reads."""

    text: str
    reads: tuple[Sym, ...] = ()


# ----------------------------------------------------------------------------------------------------------
# Statements


class Stmt:
    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Decl(Stmt):
    """A scalar / pointer / vector / fragment variable: `const int tid = threadIdx.x;`.
    `static` is the C storage class; `align` an alignment attribute in bytes."""

    sym: Sym
    type: Type
    init: Expr | None = None
    const: bool = False
    static: bool = False
    align: int | None = None
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Alloc(Stmt):
    """A buffer: `__shared__ half As[BM][BK + PAD];`, `__nram__ float buf[N];`, `float acc[4];`.
    `elem` is the element type, `shape` the extents (outermost first), `scope` the memory space,
    `init` an initializer list when the source gave one. At module level it is a global buffer."""

    sym: Sym
    elem: Type
    shape: tuple[Expr, ...]
    scope: Scope
    init: Expr | None = None
    const: bool = False
    static: bool = False
    extern: bool = False
    align: int | None = None
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Assign(Stmt):
    """`sym = value` or, with `op`, the compound `sym op= value` (`i += 1` is `Assign(i, 1, "+")`)."""

    sym: Sym
    value: Expr
    op: str | None = None
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Store(Stmt):
    """Write memory or a member: `target` is a `Load` (`a[i] = v`), `Member` (`v.x = 1`) or `Deref`
    (`*p = v`). With `op`, compound (`a[i] += v`)."""

    target: Expr
    value: Expr
    op: str | None = None
    loc: Loc | None = _loc()


class LoopKind(str, Enum):
    SERIAL = "serial"
    UNROLLED = "unrolled"  # `#pragma unroll` (factor in For.unroll, None = full)
    VECTORIZED = "vectorized"
    BOUND = "bound"  # iterations are a parallel axis (For.axis names it)
    PARALLEL = "parallel"  # a serial loop whose iterations are independent (known from the source's
    # semantics or proven); prints as a plain loop, and loop_bind may map it to a parallel axis


@dataclass(frozen=True, slots=True)
class For(Stmt):
    """The canonical counted loop `for (T var = start; var < stop; var += step) body`.

    A BOUND loop is not a loop in the source text: it says that `var` ranges over `start..stop` by
    being the parallel axis `axis` (`threadIdx.x`, `taskId`, `coreId`, ...). Loops of other shapes are
    `CFor`. `var_type` is the declared type of the counter."""

    var: Sym
    start: Expr
    stop: Expr
    step: Expr
    body: tuple[Stmt, ...]
    kind: LoopKind = LoopKind.SERIAL
    axis: str | None = None
    unroll: int | None = None
    var_type: Type | None = field(default=None, compare=False)
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class CFor(Stmt):
    """A general C `for (init; cond; update) body` whose shape is not a counted loop."""

    init: tuple[Stmt, ...]
    cond: Expr | None
    update: tuple[Stmt, ...]
    body: tuple[Stmt, ...]
    unroll: int | None = None
    pragma: bool = False  # `#pragma unroll` written before it
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class While(Stmt):
    cond: Expr
    body: tuple[Stmt, ...]
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class DoWhile(Stmt):
    body: tuple[Stmt, ...]
    cond: Expr
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class If(Stmt):
    """`if (cond) then else orelse`; `constexpr` is C++17 `if constexpr` (the untaken branch of a template
    instance is discarded, not compiled)."""

    cond: Expr
    then: tuple[Stmt, ...]
    orelse: tuple[Stmt, ...] = ()
    constexpr: bool = False
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Case:
    """One `case v1: case v2: body` group of a `Switch` (`values` empty for `default`). Fallthrough is
    C's: control runs into the next case unless `body` ends in `Break`/`Return`."""

    values: tuple[Expr, ...]
    body: tuple[Stmt, ...]


@dataclass(frozen=True, slots=True)
class Switch(Stmt):
    value: Expr
    cases: tuple[Case, ...]
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Break(Stmt):
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Continue(Stmt):
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Return(Stmt):
    value: Expr | None = None
    loc: Loc | None = _loc()


class BarrierScope(str, Enum):
    """Who waits: WARP (`__syncwarp`), BLOCK (`__syncthreads`), CLUSTER (`__sync_cluster`), ALL
    (`__sync_all`, every core of the launch), CORE (`__sync`, a BANG core's own pipelines),
    DEVICE (`cudaDeviceSynchronize`-style host waits are host calls, not barriers)."""

    WARP = "warp"
    BLOCK = "block"
    CLUSTER = "cluster"
    ALL = "all"
    CORE = "core"


@dataclass(frozen=True, slots=True)
class Barrier(Stmt):
    scope: BarrierScope
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Evaluate(Stmt):
    """An expression evaluated for its effect: intrinsic calls (`__bang_add(...)`, `wmma::mma_sync(...)`),
    host API calls (`cudaMemcpy(...)`), calls of module functions."""

    value: Expr
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Launch(Stmt):
    """A kernel launch `kernel<<<config>>>(args)`. `config` is in the order written: CUDA/HIP
    `(grid, block[, shared_bytes[, stream]])`; BANG `(dim, func_type, queue)`."""

    kernel: str
    config: tuple[Expr, ...]
    args: tuple[Expr, ...]
    template_args: tuple = ()
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Block(Stmt):
    """A nested `{ ... }` scope."""

    body: tuple[Stmt, ...]
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Comment(Stmt):
    """A source comment kept for the reader (text without the `//` or `/* */`). Also a module item."""

    text: str
    block: bool = False  # written as /* */
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Opaque(Stmt):
    """A statement the IR cannot model yet: its exact text and the symbols it reads and writes, so passes
    and the LLM can still carry it. It is counted and reported; it never disappears."""

    text: str
    reads: tuple[Sym, ...] = ()
    writes: tuple[Sym, ...] = ()
    loc: Loc | None = _loc()


# ----------------------------------------------------------------------------------------------------------
# Functions and modules


class FuncKind(str, Enum):
    KERNEL = "kernel"  # __global__ / __mlu_global__: launched from the host
    DEVICE = "device"  # __device__ / __mlu_func__: called from kernels
    HOST = "host"  # plain C/C++ function (the entry of c/vnni programs, host wrappers)


@dataclass(frozen=True, slots=True)
class Param:
    sym: Sym
    type: Type
    const: bool = False  # the parameter itself is const (`const int n`)


@dataclass(frozen=True, slots=True)
class Func:
    """A function. `launch_bounds` is CUDA/HIP `__launch_bounds__(...)`; `template_params` the
    `template <int NV>` parameters (as Params); `inline` covers inline / __forceinline__ (`forceinline`)."""

    name: str
    params: tuple[Param, ...]
    ret: Type
    body: tuple[Stmt, ...]
    kind: FuncKind = FuncKind.HOST
    extern_c: bool = False
    static: bool = False
    inline: bool = False
    forceinline: bool = False
    launch_bounds: tuple[Expr, ...] | None = None
    template_params: tuple[Param, ...] = ()
    is_declaration: bool = False  # a prototype without body
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Define:
    """`#define name body` or `#define name(params) body`. `body` is the parsed expression when the
    replacement text is one (the usual case: shapes, MIN/MAX helpers); otherwise None and `text` keeps
    the replacement text verbatim (that counts as opaque)."""

    sym: Sym
    params: tuple[str, ...] | None
    body: Expr | None
    text: str
    loc: Loc | None = _loc()

    @property
    def name(self) -> str:
        return self.sym.name


@dataclass(frozen=True, slots=True)
class Include:
    path: str
    system: bool = True  # <...> rather than "..."
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class StaticAssert:
    cond: Expr
    message: str | None = None
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class TypeAlias:
    """`typedef T name;` / `using name = T;`."""

    name: str
    type: Type
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class UsingNamespace:
    name: str
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class PreprocIf:
    """A module-level `#if cond ... [#else ...] #endif` (`#ifdef X` is `cond=Call("defined", X)`)."""

    cond: Expr
    then: tuple
    orelse: tuple = ()
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Directive:
    """Any other preprocessor line kept verbatim: `#error ...`, `#pragma once`, `#undef X`."""

    kind: str
    text: str
    loc: Loc | None = _loc()


@dataclass(frozen=True, slots=True)
class Module:
    """A translation unit of one dialect, in source order."""

    dialect: str
    items: tuple
    path: str | None = field(default=None, compare=False)

    def funcs(self) -> tuple[Func, ...]:
        return tuple(i for i in self.items if isinstance(i, Func))

    def func(self, name: str) -> Func:
        for f in self.funcs():
            if f.name == name and not f.is_declaration:
                return f
        raise KeyError(name)

    def defines(self) -> dict[str, Define]:
        return {d.name: d for d in self.items if isinstance(d, Define)}


STMT_TYPES = (Decl, Alloc, Assign, Store, For, CFor, While, DoWhile, If, Switch, Break, Continue, Return,
              Barrier, Evaluate, Launch, Block, Comment, Opaque)
EXPR_TYPES = (Const, StrLit, Var, Builtin, Load, Member, AddrOf, Deref, BinOp, UnOp, Select, Cast, Call,
              SizeOf, InitList, OpaqueExpr)
ITEM_TYPES = (Func, Define, Include, Alloc, Decl, StaticAssert, TypeAlias, UsingNamespace, PreprocIf,
              Directive, Comment, Opaque)
