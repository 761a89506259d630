"""The Tester: generate tests for any kernel program and compare two programs on them.

`infer_args(program)` describes the entry's arguments without a spec: dtype from the parameter type,
element count from the symbolic extent analysis (`xpiler.verify.extents`), role from the accesses (in / out
/ inout), and a value range from how the values are used:
- floats: normal-ish; values that reach sqrt/log directly are positive;
- int8 / uint8 (and 16-bit) inputs: small magnitudes, so int8 dot products accumulate the same way in every
  program (no overflow that one program wraps and another saturates);
- index buffers (an integer buffer whose values address another buffer): values in [0, R) with R keeping
  every indexed buffer in bounds, distinct values (a permutation) when they address writes (scatter);
- integer scalars: the value the extent analysis assumed (`scalars=`, by parameter index; `valid_domain`
  chooses them); float scalars that reach sqrt/log: an epsilon.

`make_tests(specs, seed, n)` draws seeded inputs: test 0 plain random values, later tests add edge values
(floats: small integers with zero and negatives, values on both sides of activation knees in [-6, 6],
negative-only values, zeros and larger magnitudes; integers: zeros and both ends of the range) and start
outputs from a non-zero pattern so that a missing write shows. Integer outputs compare exactly.

`valid_domain(program, args=...)` finds where to test a source: integer scalar parameters get values for
which the source runs without a fault and writes some output (candidates from the constants of its guards,
loop bounds and #defines, then 64, 100, 37, 16; the user's values as given), within a memory budget; when no
such binding exists the source is not testable and the reason lists what was tried.

`differential(prog_a, prog_b, tests)` runs both programs on the executors with the same inputs and compares
every pointer argument afterwards (dtype-aware tolerances, NaN equal to NaN at the same place). Reference
outputs of `prog_a` are cached per (program text, test), since one reference is compared with many
candidates. `localize` names the first diverging buffer and element.
"""

from __future__ import annotations

import hashlib
import math
import os
import re as _re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from xpiler import dtypes
from xpiler.errors import XpilerError
from xpiler.verify.extents import Facts, analyze

__all__ = [
    "ArgSpec",
    "Domain",
    "Verdict",
    "clear_cache",
    "describe",
    "differential",
    "infer_args",
    "localize",
    "make_tests",
    "parse_args_text",
    "resolve_args",
    "scalar_candidates",
    "tolerance_for",
    "valid_domain",
]

# Fallback element count for a buffer whose extent could not be bounded (probing grows it if needed).
_UNBOUNDED_FALLBACK = 1 << 16
_PROBE_LIMIT = 1 << 24


@dataclass(frozen=True)
class ArgSpec:
    """One positional argument of the entry, as the Tester will make it."""

    name: str
    dtype: str  # canonical dtype (xpiler.dtypes name)
    shape: tuple  # (count,) for buffers, () for scalars
    role: str  # in | out | inout | scalar
    low: float | None = None  # values in [low, high) (ints) or the scale of normal floats
    high: float | None = None
    kind: str = "normal"  # normal | positive | int | index | permutation | zeros | scalar
    value: Any = None  # scalars: the value
    note: str = ""

    @property
    def is_scalar(self) -> bool:
        return self.role == "scalar"


@dataclass
class Verdict:
    ok: bool
    checks: list[str] = field(default_factory=list)
    first_divergence: tuple | None = None  # (arg index, name, flat index, a value, b value)
    max_abs_err: float = 0.0
    error: str | None = None

    def __bool__(self) -> bool:
        return self.ok


# ----------------------------------------------------------------------------------------------------------
# argument inference

_INT_RANGES = {"int8": (-8, 8), "uint8": (0, 16), "int16": (-64, 64), "uint16": (0, 128), "int32": (-1000, 1000),
               "uint32": (0, 1000), "int64": (-1000, 1000), "uint64": (0, 1000), "bool": (0, 2)}


def _numpy_dtype(name: str) -> np.dtype:
    return dtypes.numpy_of(name)


def _is_float(name: str) -> bool:
    return name in ("float16", "bfloat16", "float32", "float64")


def infer_args(program, *, scalars: dict[int, int] | None = None, facts: Facts | None = None,
               probe: bool = True, timeout: float = 60.0) -> list[ArgSpec]:
    """The entry's arguments of `program` (any dialect) as `ArgSpec`s (see the module docstring).

    Buffers whose extent the analysis could not bound start at the largest known buffer size. With
    `probe` the program runs once on generated inputs as a check: while it faults out of bounds, the
    unbounded buffers (or, when every extent was bounded, all buffers) double, a few times at most. A whole
    program takes no arguments."""
    if is_program(program):
        return []
    specs = _infer(program, scalars, facts)
    if probe:
        specs = _probe(program, specs, timeout)
    return specs


def _probe(program, specs: list[ArgSpec], timeout: float) -> list[ArgSpec]:
    return _probe_run(program, specs, timeout)[0]


def _grows_param(e: Exception) -> bool:
    """Can larger argument buffers cure this out-of-bounds fault? Not when the executor names another
    buffer (a device allocation, a local array): those are sized by the program, not by the Tester."""
    m = _re.search(r"global buffer (\S+)", str(e))
    return m is None or _re.fullmatch(r"arg\d+,?", m.group(1)) is not None


def _probe_run(program, specs: list[ArgSpec], timeout: float, max_runs: int = 12):
    """Run `program` once on the probe test (test 1 of seed 0: edge values, outputs start from a non-zero
    pattern). While it faults out of bounds in an argument buffer, the unbounded buffers (or, when every
    extent was bounded, all buffers) double, a few times at most.
    Returns (specs, probe args, outputs or None, the fault or None, runs)."""
    from dataclasses import replace

    unknown = [i for i, s in enumerate(specs) if s.note.startswith("extent unknown")]
    known = [s.shape[0] for i, s in enumerate(specs) if s.shape and i not in unknown]
    if unknown:
        size = max(known + [1024])
        specs = [replace(s, shape=(size,), note="extent probed") if i in unknown else s for i, s in enumerate(specs)]
    grow = unknown or [i for i, s in enumerate(specs) if s.shape]
    runs = 0
    args, fault = None, None
    for _ in range(min(max_runs, 12 if unknown else 3)):
        args = make_tests(specs, 0, 2)[1]
        runs += 1
        try:
            return specs, args, _reference(program, args, timeout), None, runs
        except XpilerError as e:
            fault = e
            if getattr(e, "kind", None) != "out-of-bounds" or not _grows_param(e):
                return specs, args, None, e, runs
        if not grow or max(specs[i].shape[0] for i in grow) * 2 > _PROBE_LIMIT:
            break
        specs = [replace(s, shape=(s.shape[0] * 2,), note=(s.note + "; grown by probing").lstrip("; "))
                 if i in grow else s for i, s in enumerate(specs)]
    return specs, args, None, fault, runs


def _infer(program, scalars, facts) -> list[ArgSpec]:
    facts = facts or analyze(program, scalars=scalars)
    params = facts.params
    # index ranges: R per index parameter
    ranges: dict[int, int] = {}
    for p in params:
        if not p.pointer or p.extent is None or not p.extent.data_dependent:
            continue
        ip, idx_count, _scale, _off = p.extent.data_dependent
        want = max(idx_count or 0, 16)
        ranges[ip] = min(ranges.get(ip, want), want)
    for p in params:
        if p.index_limit is not None:
            ranges[p.index] = max(1, min(ranges.get(p.index, p.index_limit), p.index_limit))
        elif p.index_of and p.index not in ranges:
            ranges[p.index] = 16
    specs: list[ArgSpec] = []
    for p in params:
        dt = p.dtype or "float32"
        if dt == "char":
            dt = "int8"
        if not p.pointer:
            if _is_float(dt):
                v = 1e-5 if p.in_math else 1.25
                specs.append(ArgSpec(p.name, dt, (), "scalar", kind="scalar", value=v))
            else:
                v = p.scalar_value if p.scalar_value is not None else 1
                specs.append(ArgSpec(p.name, dt, (), "scalar", kind="scalar", value=int(v)))
            continue
        ext = p.extent
        note = ""
        if ext is None or (ext.count is None and not ext.data_dependent):
            count = _UNBOUNDED_FALLBACK
            note = "extent unknown (fallback size)"
        elif ext.count is not None:
            count = ext.count
        else:
            ip, _ic, scale, off = ext.data_dependent
            r = ranges.get(ip, 16)
            count = (r - 1) * scale + off
            note = f"indexed by {params[ip].name} in [0, {r})"
        count = max(int(count), 1)
        role = "inout" if p.read and p.written else ("out" if p.written else "in")
        if p.index in ranges and not _is_float(dt):
            r = ranges[p.index]
            kind = "permutation" if p.scatter else "index"
            specs.append(ArgSpec(p.name, dt, (count,), role, 0, r, kind, note=f"index values in [0, {r})"))
        elif _is_float(dt):
            kind = "positive" if p.nonneg else "normal"
            specs.append(ArgSpec(p.name, dt, (count,), role, 0.0 if p.nonneg else -1.0, 1.0, kind, note=note))
        else:
            lo, hi = _INT_RANGES.get(dt, (-100, 100))
            specs.append(ArgSpec(p.name, dt, (count,), role, lo, hi, "int", note=note))
    return specs


# ----------------------------------------------------------------------------------------------------------
# the source's valid domain

# Total bytes of the argument buffers of one test; a binding that needs more is not tried (big shapes).
MEMORY_BUDGET_BYTES = 256 << 20
# Integer scalar values tried after the constants of the program: the extent analysis' default, a round
# size, one that is not a multiple of any block size (tails), and a small one for shapes of many dimensions
# (B * NH * T * T) that would not fit the memory budget otherwise.
DEFAULT_SCALAR_CANDIDATES = (64, 100, 37, 16)
FIRST_EXTENTS = (64, 48, 40, 56, 72, 24, 80, 32)  # distinct extents of the first binding, in parameter order
FIRST_STEPS = (3, 2, 5, 4, 6, 7)  # and of the parameters that act as steps or windows
# The first binding's extents multiply to at most this (scaled down evenly when more sizes would exceed it):
# a 7-deep convolution at 64 x 48 x 40 x 56 x 72 is 10^8 multiply-adds, minutes on an emulated target.
FIRST_EXTENT_PRODUCT = 1 << 20
MIN_FIRST_EXTENT = 8
LARGE_EXTENT = 5 * 65536 + 37  # the second binding of a one-extent source: two 8192-element tiles per task of 16 and a tail
MAX_DOMAIN_RUNS = 6  # runs of the source the search may spend, in all
SECOND_BINDING_RUNS = 3  # and besides, for the further bindings the final check tests
_CMP_OPS = ("<", "<=", ">", ">=", "==", "!=")


@dataclass
class Domain:
    """Where the tests live: `specs` for a binding of the integer scalar parameters on which the source runs
    without a fault and writes some output (None when none was found: `reason` says why, `tried` lists
    every binding tried and what happened). `scalars` maps parameter names to the values tested; `given`
    names those the user gave."""

    specs: list[ArgSpec] | None
    scalars: dict[str, Any] = field(default_factory=dict)
    given: dict[str, Any] = field(default_factory=dict)
    tried: list[str] = field(default_factory=list)
    reason: str = ""
    runs: int = 0
    more: list[tuple[dict[str, Any], list[ArgSpec]]] = field(default_factory=list)  # further valid bindings
    written: list[int] = field(default_factory=list)  # elements the source wrote where a binding copied more

    def tests(self, seed: int = 0, n: int = 2, n_more: int = 1) -> list[list[Any]]:
        """`n` tests at the first binding, `n_more` at each further one."""
        out = make_tests(self.specs, seed=seed, n=n)
        for k, (_scalars, specs) in enumerate(self.more):
            out += make_tests(specs, seed=seed + 7919 * (k + 1), n=n_more)
        return out

    @property
    def ok(self) -> bool:
        return self.specs is not None


def _budget() -> int:
    try:
        return int(float(os.environ["XPILER_TEST_BUDGET_MB"]) * (1 << 20))
    except (KeyError, ValueError):
        return MEMORY_BUDGET_BYTES


def int_scalar_params(program) -> list[tuple[int, str]]:
    """(index, name) of the entry's integer scalar parameters (none for a whole program: main's argc is
    not the Tester's to choose)."""
    from xpiler.ir.types import Pointer, Scalar

    if is_program(program):
        return []
    out = []
    for i, prm in enumerate(program.entry_func.params):
        t = prm.type
        if isinstance(t, Scalar) and not isinstance(t, Pointer) and not _is_float(t.dtype) and t.dtype != "void":
            out.append((i, prm.sym.name))
    return out


def spec_bytes(specs: Sequence[ArgSpec]) -> int:
    """Bytes the buffers of one test need."""
    return sum(int(np.prod(s.shape)) * _numpy_dtype(s.dtype).itemsize for s in specs if not s.is_scalar)


def _const_value(e, defines) -> int | None:
    """`e` as an integer when it is a constant expression (literals, #defines, arithmetic on them)."""
    from xpiler.ir import nodes as N
    from xpiler.ir.visit import walk

    if isinstance(e, N.Const):
        v = e.value
        return v if isinstance(v, int) and not isinstance(v, bool) else None
    if any(isinstance(n, (N.Load, N.Call, N.Builtin, N.OpaqueExpr)) or
           (isinstance(n, N.Var) and n.sym.name not in defines) for n in walk(e)):
        return None
    try:
        import z3

        from xpiler.ir.z3expr import to_z3

        v = z3.simplify(to_z3(e, defines=defines))
        return v.as_long() if z3.is_int_value(v) else None
    except Exception:  # not an integer expression (a float, a cast): no candidate
        return None


def _param_dependence(program):
    """(integer scalar parameters, depends): `depends(e)` is the set of parameter indices that the value of
    expression `e` depends on, through declarations, assignments and the arguments passed to kernels and
    functions of the module."""
    from xpiler.ir import nodes as N
    from xpiler.ir.visit import walk

    module = program.module
    params = int_scalar_params(program)
    entry = program.entry_func
    deps: dict[Any, set[int]] = {}
    for i, _n in params:
        deps.setdefault(entry.params[i].sym, set()).add(i)
    funcs = {f.name: f for f in module.funcs() if not f.is_declaration}
    flows: list[tuple[Any, Any]] = []  # (symbol, expression it takes its value from)
    # A macro's body names what it names where it is used (`#define HO ((H - KH) / SH + 1)` in `f(int H, ...)`):
    # its names are bound to the entry's parameters of the same name, and a use of the macro to its body.
    by_name = {entry.params[i].sym.name: entry.params[i].sym for i, _n in params}
    macro_syms: dict = {}
    for d in module.defines().values():
        if d.body is not None:
            if d.params is None:
                flows.append((d.sym, d.body))
            for m in walk(d.body):
                if isinstance(m, N.Var) and m.sym.name in by_name and m.sym is not by_name[m.sym.name]:
                    macro_syms[m.sym] = by_name[m.sym.name]
    for n in walk(module):
        if isinstance(n, N.Decl) and n.init is not None:
            flows.append((n.sym, n.init))
        elif isinstance(n, N.Assign):
            flows.append((n.sym, n.value))
        elif isinstance(n, (N.Launch, N.Call)):
            f = funcs.get(n.kernel if isinstance(n, N.Launch) else n.name)
            if f is not None:
                flows.extend((prm.sym, a) for prm, a in zip(f.params, n.args))

    def depends(e) -> set[int]:
        got: set[int] = set()
        for m in walk(e):
            if isinstance(m, N.Var):
                sym = macro_syms.get(m.sym, m.sym)
                got |= deps.get(sym, set())
        return got

    for _ in range(8):
        changed = False
        for sym, e in flows:
            d = depends(e)
            if d - deps.get(sym, set()):
                deps.setdefault(sym, set()).update(d)
                changed = True
        if not changed:
            break
    return params, depends


def scalar_steps(program) -> set[int]:
    """Integer parameters that act as a step or a window rather than an extent: they divide, or are
    subtracted from, an expression of another parameter (`(input_H - kernel_size) / stride + 1`). Tests give
    them small values (an extent of 64 with a window of 64 leaves one output element)."""
    from xpiler.ir import nodes as N
    from xpiler.ir.visit import walk

    params, depends = _param_dependence(program)
    if len(params) < 2:
        return set()
    out: set[int] = set()
    for n in walk(program.module):
        if isinstance(n, N.BinOp) and n.op in ("/", "%", "-"):
            a, b = depends(n.a), depends(n.b)
            if a and b and not (a & b):
                out |= b
    return out


def first_binding(program, cands: dict[int, list[int]]) -> dict[int, int]:
    """The binding tried first: distinct values per parameter so that a test cannot confuse one size with
    another (m=64, n=48, k=40 for a GEMM; a pooling's window and stride small: 3 and 2). Empty with fewer
    than two parameters to search (their first candidate is tried as it is)."""
    if len(cands) < 2:
        return {}
    steps = scalar_steps(program)
    ext_params = [i for i in sorted(cands) if i not in steps]
    ext = iter(_first_extents(len(ext_params)))
    stp = iter(FIRST_STEPS)
    return {i: next(stp, 1 + len(cands) + i) if i in steps else next(ext) for i in sorted(cands)}


def _first_extents(k: int) -> list[int]:
    """k distinct extents, FIRST_EXTENTS in order, scaled down evenly when their product would exceed
    FIRST_EXTENT_PRODUCT (never below MIN_FIRST_EXTENT)."""
    vals = [FIRST_EXTENTS[j] if j < len(FIRST_EXTENTS) else 64 + 8 * j for j in range(k)]
    return _fit_product(vals, FIRST_EXTENT_PRODUCT)


def _fit_product(vals: list[int], limit: int) -> list[int]:
    prod = math.prod(vals)
    if prod <= limit or not vals:
        return vals
    f = (limit / prod) ** (1 / len(vals))
    out: list[int] = []
    for v in vals:
        w = max(MIN_FIRST_EXTENT, int(v * f))
        while w in out:
            w += 1
        out.append(w)
    return out


def scalar_candidates(program) -> dict[int, list[int]]:
    """Candidate values per integer scalar parameter (by index), in the order to try them: 64 (what the
    extent analysis assumes by default), constants compared with an expression that depends on the
    parameter (c, c+1, c-1: `if (n != 4096) return;`), the other constants of the program's guards, loop
    bounds and #defines (c, c+1: a kernel often hard-codes its extent in device code, `if (i < 8192)`,
    while the host copies `size` elements), then 100, 37 (not a multiple of a block size: tails) and 16.
    Values below 1 are left out (a size of zero tests nothing)."""
    from xpiler.ir import nodes as N
    from xpiler.ir.visit import walk

    module = program.module
    defines = module.defines()
    params, depends = _param_dependence(program)
    if not params:
        return {}

    direct: dict[int, list[int]] = {i: [] for i, _ in params}
    other: list[int] = []

    def compared(a, b) -> None:
        for x, y in ((a, b), (b, a)):
            c = _const_value(y, defines)
            if c is None:
                continue
            d = depends(x)
            for i in d:
                direct[i].extend((c, c + 1, c - 1))
            if not d:
                other.append(c)

    for n in walk(module):
        if isinstance(n, N.BinOp) and n.op in _CMP_OPS:
            compared(n.a, n.b)
        elif isinstance(n, N.For):
            c = _const_value(n.stop, defines)
            if c is not None:
                other.append(c)
    for d in defines.values():
        if d.params is None and d.body is not None:
            c = _const_value(d.body, defines)
            if c is not None:
                other.append(c)
    other.extend(_launch_totals(module, defines))
    extra = []
    for c in other:
        if c >= 2:
            extra.extend((c, c + 1))
    out = {}
    for i, _n in params:
        vals = [DEFAULT_SCALAR_CANDIDATES[0]] + direct[i] + extra + list(DEFAULT_SCALAR_CANDIDATES[1:])
        seen, ordered = set(), []
        for v in vals:
            if v >= 1 and v not in seen and v <= 1 << 31:
                seen.add(v)
                ordered.append(v)
        out[i] = ordered
    return out


def _launch_totals(module, defines) -> list[int]:
    """How many threads each launch with a constant configuration starts (grid x block, `dim3 grid0(4, 1, 1)`
    declarations followed): a kernel without a guard covers exactly that many elements (TVM's static
    kernels, `compute[blockIdx.x * 1024 + threadIdx.x]` on grid 4), often behind a host that takes the size."""
    from xpiler.ir import nodes as N
    from xpiler.ir.visit import walk

    inits = {n.sym: n.init for n in walk(module) if isinstance(n, N.Decl) and n.init is not None}
    ctor_args = {n.sym: n.init.args for n in walk(module) if isinstance(n, N.Decl) and isinstance(n.init, N.Call)
                 and n.init.kind is N.CallKind.CTOR}

    def extent(e) -> int | None:
        if isinstance(e, N.Var) and e.sym in ctor_args:
            parts = [_const_value(a, defines) for a in ctor_args[e.sym]]
        elif isinstance(e, N.Call) and e.kind is N.CallKind.CTOR:
            parts = [_const_value(a, defines) for a in e.args]
        else:
            if isinstance(e, N.Var) and e.sym in inits:
                e = inits[e.sym]
            parts = [_const_value(e, defines)]
        return math.prod(parts) if parts and None not in parts else None

    out = []
    for n in walk(module):
        if isinstance(n, N.Launch) and len(n.config) >= 2:
            g, b = extent(n.config[0]), extent(n.config[1])
            if g and b and g * b > 1:
                out.append(g * b)
    return out


def resolve_args(program, args) -> tuple[dict[int, Any], dict[str, Any]]:
    """User-given scalar arguments (`{"size": 8192}` or by position `{2: 8192}`) as ({index: value},
    {name: value}); BadInput for a name the entry does not have or a pointer parameter."""
    from xpiler.errors import BadInput
    from xpiler.ir.types import Pointer, Scalar

    params = program.entry_func.params
    names = [p.sym.name for p in params]
    by_index: dict[int, Any] = {}
    for k, v in dict(args or {}).items():
        if isinstance(k, int) or (isinstance(k, str) and k.isdigit()):
            i = int(k)
            if not 0 <= i < len(params):
                raise BadInput(f"argument {k}: {program.entry} has {len(params)} parameters")
        elif k in names:
            i = names.index(k)
        else:
            raise BadInput(f"{program.entry} has no parameter {k!r} (parameters: {', '.join(names)})")
        t = params[i].type
        if isinstance(t, Pointer) or not isinstance(t, Scalar):
            raise BadInput(f"parameter {names[i]!r} of {program.entry} is not a scalar; only scalars take values")
        try:
            by_index[i] = float(v) if _is_float(t.dtype) else int(v)
        except (TypeError, ValueError):
            raise BadInput(f"parameter {names[i]!r}: {v!r} is not a number") from None
    return by_index, {names[i]: v for i, v in sorted(by_index.items())}


def parse_args_text(text: str) -> dict[str, Any]:
    """`"size=8192,n=4"` -> {"size": 8192, "n": 4} (values int when they look like ints, else float)."""
    from xpiler.errors import BadInput

    out: dict[str, Any] = {}
    for part in (text or "").replace(" ", ",").split(","):
        if not part:
            continue
        name, eq, val = part.partition("=")
        if not eq or not name.strip() or not val.strip():
            raise BadInput(f"--args: {part!r} is not NAME=VALUE")
        val = val.strip()
        try:
            out[name.strip()] = int(val, 0)
        except ValueError:
            try:
                out[name.strip()] = float(val)
            except ValueError:
                raise BadInput(f"--args: {part!r}: {val!r} is not a number") from None
    return out


def _bindings(fixed: dict[int, Any], cands: dict[int, list[int]], first: dict[int, int] | None = None):
    """Bindings of every searched parameter, in order: `first` when given, then rank r gives every parameter
    its r-th candidate."""
    free = [i for i in cands if i not in fixed]
    if not free:
        yield dict(fixed)
        return
    seen = set()
    if first:
        b = {**fixed, **{i: v for i, v in first.items() if i in free}}
        seen.add(tuple(sorted(b.items())))
        yield b
    for r in range(max(len(cands[i]) for i in free)):
        b = dict(fixed)
        for i in free:
            b[i] = cands[i][min(r, len(cands[i]) - 1)]
        key = tuple(sorted(b.items()))
        if key not in seen:
            seen.add(key)
            yield b


def _second_bindings(program, primary: dict[int, Any], free: list[int]) -> list[dict[int, Any]]:
    """Bindings to test besides the first valid one, most telling first: a one-extent source once large
    (LARGE_EXTENT: several tiles of any chunking a target may use, and a tail), any source with its
    extents 37 larger (not multiples of the first values, so tails that the first binding filled exactly;
    less for sources of many sizes)."""
    steps = scalar_steps(program)
    ext = [i for i in free if i not in steps and isinstance(primary.get(i), int)]
    if not ext:
        return []
    out = []
    if len(ext) == 1 and primary[ext[0]] < LARGE_EXTENT:
        out.append({**primary, ext[0]: LARGE_EXTENT})
    # the largest step in (37, 19, 11, 7, 5, 3) that keeps the product within 4x the first binding's limit
    # (a source of many sizes stays testable on an emulated target)
    limit = max(4 * FIRST_EXTENT_PRODUCT, math.prod(primary[i] for i in ext))
    d = next((d for d in (37, 19, 11, 7, 5) if math.prod(primary[i] + d for i in ext) <= limit), 3)
    out.append({**primary, **{i: primary[i] + d for i in ext}})
    return out


def _writes_something(args, outputs) -> bool:
    """Did the run change any element of any buffer (outputs start from a non-zero pattern)? A program's
    printed output (one more output than arguments) counts when it prints more than its status line."""
    if len(outputs) == len(args) + 1 and outputs[-1] is not None:
        from xpiler.exec.runner import PROGRAM_STATUS

        text = bytes(outputs[-1]).decode(errors="replace")
        if text.split(PROGRAM_STATUS)[0].strip():
            return True
    for a, o in zip(args, outputs):
        if o is None or not isinstance(a, np.ndarray) or a.ndim == 0:
            continue
        if a.shape != o.shape:
            return True
        if not np.array_equal(a, o, equal_nan=a.dtype.kind == "f"):
            return True
    return False


def _fault_text(e: Exception) -> str:
    kind = getattr(e, "kind", None)
    msg = str(e).split("\n")[0]
    return (f"{kind}: " if kind else f"{type(e).__name__}: ") + msg[:160]


def valid_domain(program, *, args=None, budget_bytes: int | None = None, max_runs: int = MAX_DOMAIN_RUNS,
                 timeout: float = 60.0) -> Domain:
    """Find where to test `program` (the source): a binding of its integer scalar parameters (the user's
    `args` as given, the others from `scalar_candidates` in order) whose buffers fit in `budget_bytes`
    (default 256 MiB, env XPILER_TEST_BUDGET_MB) and on which the source runs without a fault and changes
    some buffer (a degenerate run, such as all sizes zero, is no evidence). At most `max_runs` runs of the
    source (the first binding may take up to 12 while it grows buffers of unknown extent, as `infer_args`
    does); `Domain.specs` is None with the reason when no binding qualifies."""
    budget = _budget() if budget_bytes is None else budget_bytes
    fixed, given = resolve_args(program, args)
    names = {i: p.sym.name for i, p in enumerate(program.entry_func.params)}
    int_params = dict(int_scalar_params(program))
    cands = {i: c for i, c in scalar_candidates(program).items() if i not in fixed}
    dom = Domain(None, given=given)
    fixed_int = {i: v for i, v in fixed.items() if i in int_params}
    fixed_float = {i: v for i, v in fixed.items() if i not in int_params}

    def label(b: dict) -> str:
        return ", ".join(f"{names[i]}={v}" for i, v in sorted(b.items())) or "the fixed shapes"

    ranked = _bindings(fixed_int, cands, first_binding(program, cands))
    solved: list[dict[int, Any]] = []  # bindings solved from what a failed binding showed, tried first
    seen: set = set()
    k = 0
    while True:
        b = solved.pop(0) if solved else next(ranked, None)
        if b is None:
            break
        key = tuple(sorted(b.items()))
        if key in seen:
            continue
        seen.add(key)
        if dom.runs >= max_runs or k >= 2 * max_runs:  # each binding costs an analysis, each run a run
            dom.tried.append(f"stopped after {dom.runs} runs of the source")
            break
        k += 1
        what = label(b)
        allowance = 12 if dom.runs == 0 else max_runs - dom.runs
        dom.written = []
        specs, why = _try_binding(program, b, fixed_float, budget, timeout, allowance, dom)
        dom.tried.append(f"{what}: {why}")
        if specs is None:
            if dom.written:
                solved = [x for x in solve_sizes(program, b, dom.written, set(cands)) if tuple(sorted(x.items()))
                          not in seen] + solved
            continue
        dom.specs = specs
        dom.scalars = {names[i]: v for i, v in sorted({**b, **fixed_float}.items())}
        for b2 in _second_bindings(program, b, [i for i in cands if i not in fixed]):
            if dom.runs >= max_runs + SECOND_BINDING_RUNS:
                break
            specs2, why2 = _try_binding(program, b2, fixed_float, budget, min(timeout, 20.0),
                                        max_runs + SECOND_BINDING_RUNS - dom.runs, dom)
            dom.tried.append(f"{label(b2)}: {why2}")
            if specs2 is not None:
                dom.more.append(({names[i]: v for i, v in sorted({**b2, **fixed_float}.items())}, specs2))
                break
        return dom
    dom.reason = ("no valid, non-degenerate input found for the source (tried: " + "; ".join(dom.tried) + ")")
    return dom


def _try_binding(program, b: dict, fixed_float: dict, budget: int, timeout: float, allowance: int,
                 dom: Domain) -> tuple[list[ArgSpec] | None, str]:
    """(specs, "runs cleanly") when the source runs at binding `b` within the budget and writes something;
    (None, why not) otherwise. Counts the runs in `dom.runs`."""
    try:
        specs = infer_args(program, scalars=b, probe=False, timeout=timeout)
    except XpilerError as e:
        return None, f"no buffer sizes ({str(e).splitlines()[0][:160]})"
    specs = [_with_value(sp, fixed_float[i]) if i in fixed_float else sp for i, sp in enumerate(specs)]
    need = spec_bytes(specs)
    if need > budget:
        return None, (f"buffers need {need / (1 << 20):.0f} MiB, over the test memory budget "
                      f"of {budget / (1 << 20):.0f} MiB")
    if allowance <= 0:
        return None, "not run (no runs left)"
    specs, probe_args, outs, fault, runs = _probe_run(program, specs, timeout, max_runs=allowance)
    dom.runs += runs
    if spec_bytes(specs) > budget:
        return None, "buffers grown by probing exceed the test memory budget"
    if fault is not None:
        return None, f"the source faults ({_fault_text(fault)})"
    if outs is None:
        return None, "not run (no runs left)"
    if not _writes_something(probe_args, outs):
        return None, "degenerate (the source writes no element of any buffer)"
    if program.dialect not in _HOST_ONLY_DIALECTS:
        dom.runs += 1
        try:
            other = _run_with_fill(program, probe_args, timeout)
        except XpilerError as e:
            return None, f"the source faults when fresh allocations are not zero ({_fault_text(e)})"
        printed = len(outs) == len(probe_args) + 1  # a program: its printed output is the last
        if any(_differs(a, b) for a, b in zip(outs[:len(probe_args)] if printed else outs, other)):
            dom.written = _written_prefixes(outs[:len(probe_args)], other)
            return None, ("the source's results depend on memory it never wrote (they change with the contents "
                          "of fresh device allocations)")
        if printed and _unstable_lines(outs[-1], other[-1]) is None:
            return None, "the source prints a different number of lines from run to run"
    return specs, "runs cleanly"


def _written_prefixes(a_outs, b_outs) -> list[int]:
    """For each output that changed with the contents of fresh allocations: how many leading elements the
    source wrote (one past the last element equal in both runs). A kernel that hard-codes its extent behind a
    host that copies `n * m` elements writes such a prefix; `solve_sizes` makes the copy that long."""
    out = []
    for a, b in zip(a_outs, b_outs):
        if a is None or b is None:
            continue
        a, b = np.asarray(a).reshape(-1), np.asarray(b).reshape(-1)
        if a.shape != b.shape or a.size == 0:
            continue
        same = (a == b) | ((a != a) & (b != b)) if a.dtype.kind in "fc" else (a == b)
        if same.all():
            continue
        idx = np.flatnonzero(same)
        if idx.size:
            out.append(int(idx[-1]) + 1)
    return sorted(set(out))


MAX_SOLVED_BINDINGS = 2


def solve_sizes(program, binding: dict[int, Any], counts: list[int], free: set[int]) -> list[dict[int, Any]]:
    """Bindings under which an allocation or copy of the entry (`cudaMalloc(&d, n * m * sizeof(float))`,
    a `memcpy` of `size` bytes) covers exactly `count` elements, for each count: Z3 solves
    `elements(params) == count` over the free parameters the size mentions (each at least 2 when it can be,
    else 1), the others keeping their values in `binding`. At most MAX_SOLVED_BINDINGS, largest count first."""
    import z3

    exprs = host_size_terms(program)
    out: list[dict[int, Any]] = []
    for count in sorted(counts, reverse=True):
        for term, used in exprs:
            used = used & free
            if not used or len(out) >= MAX_SOLVED_BINDINGS:
                continue
            for lo in (2, 1):
                s = z3.Solver()
                s.set("timeout", 2000)
                vs = {i: z3.Int(f"p{i}") for i in used}
                fixed = [(z3.Int(f"p{i}"), z3.IntVal(int(v))) for i, v in binding.items()
                         if i not in used and isinstance(v, int)]
                env_term = z3.substitute(term, *fixed) if fixed else term
                s.add(env_term == count, *[z3.And(v >= lo, v <= count) for v in vs.values()])
                if s.check() == z3.sat:
                    m = s.model()
                    b = dict(binding)
                    b.update({i: m.eval(v, model_completion=True).as_long() for i, v in vs.items()})
                    if b != binding and b not in out:
                        out.append(b)
                    break
    return out


def host_size_terms(program) -> list[tuple[Any, set[int]]]:
    """The element counts the entry's allocations and copies name, as Z3 terms over its integer scalar
    parameters (`p<index>`), with the set of parameters each mentions: the size argument of every runtime
    allocation or copy, with local declarations and macros substituted and `sizeof(T)` counted as one."""
    import z3

    from xpiler.ir import nodes as N
    from xpiler.ir.visit import map_exprs, walk
    from xpiler.ir.z3expr import Unsupported, expand_macros, to_z3

    params = int_scalar_params(program)
    if not params:
        return []
    entry = program.entry_func
    env = {entry.params[i].sym: z3.Int(f"p{i}") for i, _n in params}
    scope = {p.sym.name: p.sym for p in entry.params}
    inits = {n.sym: n.init for n in walk(entry.body) if isinstance(n, N.Decl) and n.init is not None}
    assigned = {n.sym for n in walk(entry.body) if isinstance(n, N.Assign)}
    defines = program.module.defines()

    def local(e):
        for _ in range(8):
            e2 = map_exprs(e, lambda x: inits[x.sym] if isinstance(x, N.Var) and x.sym in inits and
                           x.sym not in assigned else None)
            if e2 is e:
                break
            e = e2
        return e

    out: list[tuple[Any, set[int]]] = []
    seen: set[str] = set()
    for n in walk(entry.body):
        if not isinstance(n, N.Call) or n.kind is not N.CallKind.HOST_API and n.name not in _SIZE_ARG:
            continue
        k = _SIZE_ARG.get(n.name.removeprefix("std::"))
        if k is None or k >= len(n.args):
            continue
        e = local(expand_macros(n.args[k], defines, scope))
        e = expand_macros(e, defines, scope)
        e = map_exprs(e, lambda x: N.Const(1, "int32") if isinstance(x, N.SizeOf) else None)
        try:
            t = z3.simplify(to_z3(e, env=env))
        except (Unsupported, z3.Z3Exception, ValueError):
            continue
        names = _z3_names(t)
        used = {i for i, _n in params if f"p{i}" in names}
        if not used or names - {f"p{i}" for i in used}:
            continue
        if str(t) not in seen:
            seen.add(str(t))
            out.append((t, used))
    return out


_SIZE_ARG = {"cudaMalloc": 1, "hipMalloc": 1, "cnrtMalloc": 1, "cudaMallocManaged": 1, "hipMallocManaged": 1,
             "cudaMallocHost": 1, "hipHostMalloc": 1, "malloc": 0, "cudaMemcpy": 2, "hipMemcpy": 2,
             "cnrtMemcpy": 2, "memcpy": 2, "cudaMemcpyAsync": 2, "hipMemcpyAsync": 2}


def _z3_names(t) -> set[str]:
    import z3

    names: set[str] = set()
    todo = [t]
    while todo:
        x = todo.pop()
        if z3.is_const(x) and x.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            names.add(x.decl().name())
        todo.extend(x.children())
    return names


def _unstable_lines(a, b) -> set[int] | None:
    """Indices of the lines that differ between two printed outputs of the same program on the same input
    (timings, counters of polling loops): they say nothing about the computation and are left out of the
    comparison. None when the two outputs do not have the same number of lines."""
    la = bytes(a).decode(errors="replace").splitlines()
    lb = bytes(b).decode(errors="replace").splitlines()
    if len(la) != len(lb):
        return None
    return {k for k, (x, y) in enumerate(zip(la, lb)) if x != y}


_UNSTABLE: dict = {}  # (program key, test key) -> unstable line indices of the source's printed output


def _printed_mask(prog, args, ref, timeout: float) -> set[int]:
    """The source's unstable printed lines on `args`: a second run of the source, on a variant of the emulated
    device (another name, compute capability, clocks and memory size: XPILER_DEVICE_VARIANT), compared with
    the first. Timings, polling counters and the lines that describe the device differ; they say nothing
    about the computation, and a port to another platform's device prints them differently. A variant run
    that prints another number of lines (the program branches on the device) falls back to a plain rerun."""
    key = (_program_key(prog), _test_key(args))
    if key not in _UNSTABLE:
        try:
            again = _run_env(prog, args, timeout, XPILER_DEVICE_VARIANT="1")
            lines = _unstable_lines(ref[-1], again[-1])
        except XpilerError:  # the program refuses the other device (a capability check): a plain rerun
            lines = None
        if lines is None:
            lines = _unstable_lines(ref[-1], _run(prog, args, timeout)[-1])
        _UNSTABLE[key] = lines or set()
        while len(_UNSTABLE) > _CACHE_SIZE:
            _UNSTABLE.pop(next(iter(_UNSTABLE)))
    return _UNSTABLE[key]


_HOST_ONLY_DIALECTS = ("c", "vnni")  # no device allocator: nothing the program reads is left unwritten
ALLOC_FILL = 0xA5  # what fresh device allocations hold in the second run of a binding


def _run_with_fill(program, args, timeout: float):
    return _run_env(program, args, timeout, XPILER_ALLOC_FILL=str(ALLOC_FILL))


def _run_env(program, args, timeout: float, **env):
    """`_run` with these environment variables set for the executor (restored after)."""
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return _run(program, args, timeout)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _differs(a, b) -> bool:
    if a is None or b is None:
        return False
    a, b = np.asarray(a), np.asarray(b)
    return a.shape != b.shape or not np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")


def _with_value(spec: ArgSpec, value) -> ArgSpec:
    from dataclasses import replace

    return replace(spec, value=value, note="given")


def describe(specs: Sequence[ArgSpec]) -> str:
    """One line: every argument as the tests make it."""
    parts = []
    for sp in specs:
        if sp.is_scalar:
            parts.append(f"{sp.name}={sp.value}")
        else:
            parts.append(f"{sp.name}: {sp.dtype}[{int(np.prod(sp.shape))}] {sp.role}")
    return "; ".join(parts)


# ----------------------------------------------------------------------------------------------------------
# test generation


def _values(spec: ArgSpec, rng: np.random.Generator, test: int) -> Any:
    npdt = _numpy_dtype(spec.dtype)
    if spec.is_scalar:
        return npdt.type(spec.value)
    n = int(np.prod(spec.shape))
    edge = test > 0
    if spec.role == "out":
        # outputs start as zeros in test 0 and as a non-zero pattern later (a missing write then shows)
        if not edge:
            return np.zeros(spec.shape, npdt)
        if _is_float(spec.dtype):
            return rng.standard_normal(n).astype(npdt).reshape(spec.shape)
        lo, hi = _INT_RANGES.get(spec.dtype, (-100, 100))
        return rng.integers(lo, hi, n).astype(npdt).reshape(spec.shape)
    if spec.kind == "permutation":
        r = int(spec.high)
        reps = -(-n // r)
        data = np.concatenate([rng.permutation(r) for _ in range(reps)])[:n]
        return data.astype(npdt).reshape(spec.shape)
    if spec.kind == "index":
        data = rng.integers(0, int(spec.high), n)
        if edge and n:
            data[0], data[-1] = 0, int(spec.high) - 1  # both ends of the range
        return data.astype(npdt).reshape(spec.shape)
    if spec.kind == "int":
        lo, hi = int(spec.low), int(spec.high)
        data = rng.integers(lo, hi, n)
        if edge and n:
            k = max(1, n // 16)
            pos = rng.choice(n, size=min(n, 3 * k), replace=False)
            data[pos[:k]] = 0
            data[pos[k:2 * k]] = lo
            data[pos[2 * k:]] = hi - 1
        return data.astype(npdt).reshape(spec.shape)
    if spec.kind == "positive":
        data = rng.uniform(0.5, 2.0, n)
        if edge and n:
            pos = rng.choice(n, size=max(1, n // 16), replace=False)
            data[pos] = rng.uniform(4.0, 16.0, pos.size)
    else:
        data = rng.standard_normal(n)
        if edge and n:
            data = _edge_floats(data, rng)
    if spec.dtype == "bfloat16":  # carried as the upper 16 bits of float32
        return (data.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).reshape(spec.shape)
    return data.astype(npdt).reshape(spec.shape)


def _edge_floats(data: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The edge test's float inputs: four contiguous quarters with one distribution each, so that a row of
    a row-wise kernel mostly sees one of them:
    - small integers in [-4, 4], zero and negatives included (sums are exact; a reduction started at 1
      instead of 0, or a sign error, shows exactly);
    - uniform in [-6, 6]: both sides of every activation's knee (relu at 0, relu6 at 6, the saturation of
      sigmoid / tanh / gelu / hardswish at about +-3);
    - negative only: a max started at 0 instead of -inf, or a clamp at 0, shows;
    - normal with zeros and larger magnitudes (x4, still safe for exp and half)."""
    n = data.size
    q = [0, n // 4, n // 2, (3 * n) // 4, n]
    data[q[0]:q[1]] = rng.integers(-4, 5, q[1] - q[0])
    data[q[1]:q[2]] = rng.uniform(-6.0, 6.0, q[2] - q[1])
    data[q[2]:q[3]] = -np.abs(data[q[2]:q[3]]) - 0.25
    tail = data[q[3]:]
    if tail.size:
        k = max(1, tail.size // 8)
        pos = rng.choice(tail.size, size=min(tail.size, 2 * k), replace=False)
        tail[pos[:k]] = 0.0
        tail[pos[k:]] *= 4.0
    return data


def make_tests(specs: Sequence[ArgSpec], seed: int = 0, n: int = 2) -> list[list[Any]]:
    """`n` argument lists for `specs`, deterministic in `seed`."""
    tests = []
    for t in range(n):
        rng = np.random.default_rng([seed, t, 0x7e57])
        tests.append([_values(s, rng, t) for s in specs])
    return tests


# ----------------------------------------------------------------------------------------------------------
# differential testing


def tolerance_for(out_dtype: str, half_math: bool) -> tuple[float, float]:
    """(rtol, atol) for an output of `out_dtype`; `half_math` when any input or output is 16-bit float."""
    if not _is_float(out_dtype):
        return 0.0, 0.0
    if half_math or out_dtype in ("float16", "bfloat16"):
        return 2e-2, 2e-2
    if out_dtype == "float64":
        return 1e-9, 1e-9
    return 1e-4, 1e-4


_CACHE: OrderedDict[tuple, Any] = OrderedDict()
_CACHE_SIZE = 256


def clear_cache() -> None:
    _CACHE.clear()


def _program_key(prog) -> str:
    h = hashlib.sha1(prog.text().encode())
    h.update(f"|{prog.dialect}|{prog.entry}|{prog.launch if prog.entry_is_kernel else ''}".encode())
    return h.hexdigest()


def _test_key(args: Sequence[Any]) -> str:
    h = hashlib.sha1()
    for a in args:
        arr = np.asarray(a)
        h.update(str(arr.dtype).encode() + str(arr.shape).encode())
        h.update(np.ascontiguousarray(arr).tobytes())
    return h.hexdigest()


def is_program(prog) -> bool:
    """A whole program: `main` is the entry; its result is what it prints and returns."""
    return prog.entry == "main"


def _run(prog, args: Sequence[Any], timeout: float):
    from xpiler.exec import run_kernel

    res = run_kernel(prog.text(), prog.dialect, args=[np.copy(a) if isinstance(a, np.ndarray) else a for a in args],
                     entry=prog.entry, launch=prog.launch if prog.entry_is_kernel else None, timeout=timeout,
                     include_dir=getattr(prog, "include_dir", None), include_dirs=getattr(prog, "include_dirs", ()))
    if is_program(prog):  # its output (ending with the status line the executor adds) is compared byte for byte
        return list(res.outputs) + [np.frombuffer(res.stdout.encode(), dtype=np.uint8).copy()]
    return res.outputs


def _reference(prog, args, timeout: float):
    key = (_program_key(prog), _test_key(args))
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    out = _run(prog, args, timeout)
    _CACHE[key] = out
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return out


def _compare(a: np.ndarray, b: np.ndarray, dtype: str, rtol: float, atol: float):
    """(ok, flat index of the first mismatch or None, max abs error)."""
    if a.shape != b.shape:
        return False, 0, math.inf
    if not _is_float(dtype) or dtype == "bfloat16":
        if dtype == "bfloat16":
            fa = (a.astype(np.uint32) << 16).view(np.float32).astype(np.float64).ravel()
            fb = (b.astype(np.uint32) << 16).view(np.float32).astype(np.float64).ravel()
        else:
            bad = (a != b).ravel()
            err = float(np.max(np.abs(a.astype(np.float64) - b.astype(np.float64)))) if a.size else 0.0
            return (not bad.any()), (int(np.argmax(bad)) if bad.any() else None), err
    else:
        fa, fb = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(fa - fb)
        both_nan = np.isnan(fa) & np.isnan(fb)
        same_inf = np.isinf(fa) & np.isinf(fb) & (fa == fb)
        scale = max(1.0, float(np.nanmax(np.abs(np.where(np.isfinite(fa), fa, 0.0))))) if fa.size else 1.0
        close = (diff <= atol * scale + rtol * np.abs(fa)) | both_nan | same_inf
        finite = np.where(both_nan | same_inf, 0.0, np.where(np.isfinite(diff), diff, np.inf))
    bad = ~close
    err = float(finite.max()) if finite.size else 0.0
    return (not bad.any()), (int(np.argmax(bad)) if bad.any() else None), err


def differential(prog_a, prog_b, tests: Sequence[Sequence[Any]], *, timeout: float = 60.0,
                 rtol: float | None = None, atol: float | None = None) -> Verdict:
    """Run `prog_a` (the reference) and `prog_b` on every test and compare every pointer argument."""
    v = Verdict(ok=True)
    for t, args in enumerate(tests):
        try:
            ref = _reference(prog_a, args, timeout)
        except XpilerError as e:
            return Verdict(False, v.checks + [f"test {t}: reference failed"], None, v.max_abs_err,
                           f"reference {prog_a.entry} ({prog_a.dialect}) failed: {_describe(e)}")
        try:
            got = _run(prog_b, args, timeout)
        except XpilerError as e:
            return Verdict(False, v.checks + [f"test {t}: candidate failed"], None, v.max_abs_err, _describe(e))
        half = any(isinstance(a, np.ndarray) and a.dtype == np.float16 for a in args)
        for i, (ra, gb) in enumerate(zip(ref, got)):
            if ra is None:
                continue
            name = _param_name(prog_a, i)
            dtype = dtypes.name_of_numpy(ra.dtype)
            if gb is None:
                v.ok = False
                v.checks.append(f"test {t}: {name} missing from the candidate's outputs")
                continue
            r, a_ = tolerance_for(dtype, half or dtype == "float16")
            r = rtol if rtol is not None else r
            a_ = atol if atol is not None else a_
            if name == "the printed output":  # line by line, without the lines the source itself varies
                mask = _printed_mask(prog_a, args, ref, timeout)
                la = bytes(ra).decode(errors="replace").splitlines()
                lb = bytes(gb).decode(errors="replace").splitlines()
                same = len(la) == len(lb) and all(x == y for k, (x, y) in enumerate(zip(la, lb)) if k not in mask)
                if same:
                    left = f", {len(mask)} line(s) that vary from run to run left out" if mask else ""
                    v.checks.append(f"test {t}: {name} ok{left}")
                    continue
                ok, idx, err = False, 0, math.inf
                la = [x for k, x in enumerate(la) if k not in mask]
                lb = [x for k, x in enumerate(lb) if k not in mask]
                ra = np.frombuffer("\n".join(la).encode(), np.uint8)
                gb = np.frombuffer("\n".join(lb).encode(), np.uint8)
            else:
                ok, idx, err = _compare(ra, gb, dtype, r, a_)
                v.max_abs_err = max(v.max_abs_err, err) if math.isfinite(err) else math.inf
            if ok:
                v.checks.append(f"test {t}: {name} ok (max abs err {err:.3g})")
                continue
            v.ok = False
            if name == "the printed output":  # the first line that differs, as text
                la = bytes(ra).decode(errors="replace").splitlines()
                lb = bytes(gb).decode(errors="replace").splitlines()
                k = next((k for k in range(max(len(la), len(lb))) if k >= len(la) or k >= len(lb) or la[k] != lb[k]), 0)
                av, bv = (la[k] if k < len(la) else None), (lb[k] if k < len(lb) else None)
                v.checks.append(f"test {t}: the printed output differs at line {k + 1}: {av!r} vs {bv!r}")
                if v.first_divergence is None:
                    v.first_divergence = (i, name, k, av, bv)
                continue
            av = ra.ravel()[idx].item() if idx is not None and idx < ra.size else None
            bv = gb.ravel()[idx].item() if idx is not None and idx < gb.size else None
            v.checks.append(f"test {t}: {name} differs at [{idx}]: {av!r} vs {bv!r} (max abs err {err:.3g})")
            if v.first_divergence is None:
                v.first_divergence = (i, _param_name(prog_a, i), idx, av, bv)
        if not v.ok:
            return v
    return v


def _describe(e: Exception) -> str:
    kind = getattr(e, "kind", None)
    return f"{type(e).__name__}{f' ({kind})' if kind else ''}: {e}"


def _param_name(prog, i: int) -> str:
    if is_program(prog):  # a program takes no arguments: its one output is what it prints
        return "the printed output"
    try:
        return prog.entry_func.params[i].sym.name
    except (KeyError, IndexError):
        return f"arg{i}"


def localize(prog_a, prog_b, tests: Sequence[Sequence[Any]], **kw) -> tuple | None:
    """(arg index, name, flat index) of the first output element where `prog_b` departs from `prog_a`
    (arguments in order, first test first); None when they agree. A candidate that faults gives
    (None, error text, None)."""
    v = differential(prog_a, prog_b, tests, **kw)
    if v.ok:
        return None
    if v.first_divergence is None:
        return (None, v.error, None)
    i, name, idx, _a, _b = v.first_divergence
    return (i, name, idx)
