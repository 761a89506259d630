"""The Tester: generate tests for any kernel program and compare two programs on them.

`infer_args(program)` describes the entry's arguments without a spec: dtype from the parameter type,
element count from the symbolic extent analysis (`xpiler.verify.extents`), role from the accesses (in / out
/ inout), and a value range from how the values are used:
- floats: normal-ish; values that reach sqrt/log directly are positive;
- int8 / uint8 (and 16-bit) inputs: small magnitudes, so int8 dot products accumulate the same way in every
  program (no overflow that one program wraps and another saturates);
- index buffers (an integer buffer whose values address another buffer): values in [0, R) with R keeping
  every indexed buffer in bounds, distinct values (a permutation) when they address writes (scatter);
- integer scalars: the value the extent analysis assumed; float scalars that reach sqrt/log: an epsilon.

`make_tests(specs, seed, n)` draws seeded inputs: test 0 plain random values, later tests add edge values
(zeros, negatives, larger magnitudes where safe) and start outputs from a non-zero pattern so that a
missing write shows.

`differential(prog_a, prog_b, tests)` runs both programs on the executors with the same inputs and compares
every pointer argument afterwards (dtype-aware tolerances, NaN equal to NaN at the same place). Reference
outputs of `prog_a` are cached per (program text, test), since one reference is compared with many
candidates. `localize` names the first diverging buffer and element.
"""

from __future__ import annotations

import hashlib
import math
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
    "Verdict",
    "clear_cache",
    "differential",
    "infer_args",
    "localize",
    "make_tests",
    "tolerance_for",
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
    unbounded buffers (or, when every extent was bounded, all buffers) double, a few times at most."""
    specs = _infer(program, scalars, facts)
    if probe:
        specs = _probe(program, specs, timeout)
    return specs


def _probe(program, specs: list[ArgSpec], timeout: float) -> list[ArgSpec]:
    from dataclasses import replace

    from xpiler.errors import RuntimeFault

    unknown = [i for i, s in enumerate(specs) if s.note.startswith("extent unknown")]
    known = [s.shape[0] for i, s in enumerate(specs) if s.shape and i not in unknown]
    if unknown:
        size = max(known + [1024])
        specs = [replace(s, shape=(size,), note="extent probed") if i in unknown else s for i, s in enumerate(specs)]
    grow = unknown or [i for i, s in enumerate(specs) if s.shape]
    for _ in range(12 if unknown else 3):
        try:
            _run(program, make_tests(specs, 0, 1)[0], timeout)
            return specs
        except RuntimeFault as e:
            if getattr(e, "kind", None) != "out-of-bounds":
                return specs
        except XpilerError:
            return specs
        if max(specs[i].shape[0] for i in grow) * 2 > _PROBE_LIMIT:
            break
        specs = [replace(s, shape=(s.shape[0] * 2,), note=(s.note + "; grown by probing").lstrip("; "))
                 if i in grow else s for i, s in enumerate(specs)]
    return specs


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
            k = max(1, n // 16)
            pos = rng.choice(n, size=min(n, 2 * k), replace=False)
            data[pos[:k]] = 0.0
            data[pos[k:]] *= 4.0  # larger magnitudes, still safe for exp/half
    if spec.dtype == "bfloat16":  # carried as the upper 16 bits of float32
        return (data.astype(np.float32).view(np.uint32) >> 16).astype(np.uint16).reshape(spec.shape)
    return data.astype(npdt).reshape(spec.shape)


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


def _run(prog, args: Sequence[Any], timeout: float):
    from xpiler.exec import run_kernel

    res = run_kernel(prog.text(), prog.dialect, args=[np.copy(a) if isinstance(a, np.ndarray) else a for a in args],
                     entry=prog.entry, launch=prog.launch if prog.entry_is_kernel else None, timeout=timeout)
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
            ok, idx, err = _compare(ra, gb, dtype, r, a_)
            v.max_abs_err = max(v.max_abs_err, err) if math.isfinite(err) else math.inf
            if ok:
                v.checks.append(f"test {t}: {name} ok (max abs err {err:.3g})")
                continue
            v.ok = False
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
