"""The kernel corpus spec: load `spec.toml`, make a case's source and arguments, check outputs.

A spec (benchmarks/corpus/README.md) describes one operator: its positional arguments, shape symbols,
cases, dtypes (with per-dialect overrides), input initialisations, a numpy reference and tolerances.
Everything here is pure Python + numpy; running a kernel is the executor's job (`xpiler.exec`), and
`run_case` only glues the two together.

Example::

    spec = load_spec("benchmarks/corpus/gemm")
    src = spec.source("cuda", case=1)                # the .cu text with the #defines of case 1
    args = spec.make_args("cuda", case=1, seed=0)    # positional numpy arrays / scalars
    expected = spec.expected("cuda", 1, args)        # {"C": float64 array}
    report = spec.check("cuda", 1, args, outputs)    # outputs aligned with args
    assert report.ok, report
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
import math
import operator
import re
import sys
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import numpy as np

from xpiler.errors import BadInput
from xpiler.registry import DIALECTS

__all__ = [
    "SpecError",
    "Arg",
    "Tolerance",
    "DialectSpec",
    "Spec",
    "Comparison",
    "CaseReport",
    "CorpusItem",
    "load_spec",
    "iter_corpus",
    "corpus_root",
    "substitute_defines",
    "evaluate",
    "compare",
    "run_case",
    "DEFAULT_TOLERANCES",
    "corpus_table",
    "load_corpus",
    "read_defines",
]

DTYPES = ("float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64")
INTENTS = ("in", "out", "inout", "scalar")
FAMILIES = ("elementwise", "reduction", "matrix", "convolution", "normalization", "pooling", "layout", "llm")
INIT_KINDS = ("normal", "uniform", "positive", "randint", "permutation", "zeros", "ones", "arange", "sparse")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class SpecError(BadInput):
    """A spec that is malformed, or a request it cannot satisfy (unknown dialect, missing #define)."""


# ------------------------------------------------------------------------------------------ tolerances
@dataclass(frozen=True)
class Tolerance:
    """|actual - expected| <= atol + rtol * |expected|, elementwise (numpy.isclose)."""

    rtol: float
    atol: float


DEFAULT_TOLERANCES = {
    "float64": Tolerance(1e-9, 1e-9),
    "float32": Tolerance(1e-4, 1e-5),
    "float16": Tolerance(1e-2, 1e-2),
}
_EXACT = Tolerance(0.0, 0.0)


# ------------------------------------------------------------------------------------------ expressions
_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_CMPOPS = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
}
_FUNCS = {"min": min, "max": max, "abs": abs}


def _eval_node(node: ast.AST, env: Mapping[str, Any]) -> Any:
    if isinstance(node, ast.Expression):
        return _eval_node(node.body, env)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, bool):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in env:
            raise ValueError(f"unknown name {node.id!r}")
        return env[node.id]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
        v = _eval_node(node.operand, env)
        return -v if isinstance(node.op, ast.USub) else (+v if isinstance(node.op, ast.UAdd) else not v)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
        left, right = _eval_node(node.left, env), _eval_node(node.right, env)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        if isinstance(node.op, (ast.FloorDiv, ast.Mod, ast.Div)) and right == 0:
            raise ValueError("division by zero")
        return _BINOPS[type(node.op)](left, right)
    if isinstance(node, ast.Compare):
        left = _eval_node(node.left, env)
        for op, comp in zip(node.ops, node.comparators):
            if type(op) not in _CMPOPS:
                raise ValueError(f"unsupported comparison {type(op).__name__}")
            right = _eval_node(comp, env)
            if not _CMPOPS[type(op)](left, right):
                return False
            left = right
        return True
    if isinstance(node, ast.BoolOp):
        values = [_eval_node(v, env) for v in node.values]
        return all(values) if isinstance(node.op, ast.And) else any(values)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _FUNCS and not node.keywords:
        return _FUNCS[node.func.id](*(_eval_node(a, env) for a in node.args))
    raise ValueError(f"unsupported syntax {ast.dump(node)[:60]}")


def evaluate(expr: str | int | float, env: Mapping[str, Any]) -> Any:
    """Evaluate a shape/value expression of the symbols safely (no eval): numbers, names in `env`,
    + - * / // % **, comparisons, and/or/not, min/max/abs.

    >>> evaluate("(H - KH) // S + 1", {"H": 15, "KH": 3, "S": 2})
    7
    """
    if isinstance(expr, bool) or not isinstance(expr, (str, int, float)):
        raise ValueError(f"expected a number or an expression string, got {expr!r}")
    if not isinstance(expr, str):
        return expr
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"cannot parse {expr!r}: {exc.msg}") from None
    return _eval_node(tree, env)


# ------------------------------------------------------------------------------------------ init kinds
@dataclass(frozen=True)
class Init:
    """A parsed `init` string: kind and argument expressions (still unevaluated)."""

    kind: str
    params: tuple[str, ...]
    text: str

    _ARITY = {
        "normal": (0, 0),
        "uniform": (2, 2),
        "positive": (0, 0),
        "randint": (2, 2),
        "permutation": (1, 1),
        "zeros": (0, 0),
        "ones": (0, 0),
        "arange": (0, 0),
        "sparse": (1, 1),
    }

    @classmethod
    def parse(cls, text: str) -> "Init":
        try:
            node = ast.parse(text.strip(), mode="eval").body
        except SyntaxError:
            raise ValueError(f"cannot parse init {text!r}") from None
        if isinstance(node, ast.Name):
            kind, params = node.id, ()
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            kind, params = node.func.id, tuple(ast.unparse(a) for a in node.args)
        else:
            raise ValueError(f"init {text!r} is not of the form kind or kind(args)")
        if kind not in cls._ARITY:
            raise ValueError(f"unknown init kind {kind!r} (known: {', '.join(INIT_KINDS)})")
        lo, hi = cls._ARITY[kind]
        if not lo <= len(params) <= hi:
            raise ValueError(f"init {kind} takes {lo} argument(s), got {len(params)}")
        return cls(kind, params, text)

    @property
    def integral(self) -> bool:
        """True when the values are integers (usable for integer dtypes)."""
        return self.kind in ("randint", "permutation", "zeros", "ones", "arange")

    def generate(self, shape: tuple[int, ...], dtype: str, env: Mapping[str, int], rng: np.random.Generator):
        p = [evaluate(x, env) for x in self.params]
        size = math.prod(shape)
        if self.kind == "normal":
            data = rng.standard_normal(size)
        elif self.kind == "uniform":
            data = rng.uniform(float(p[0]), float(p[1]), size)
        elif self.kind == "positive":
            data = rng.uniform(0.5, 2.0, size)
        elif self.kind == "randint":
            data = rng.integers(int(p[0]), int(p[1]), size)
        elif self.kind == "permutation":
            n = int(p[0])
            reps = -(-size // n) if n else 0
            data = np.concatenate([rng.permutation(n) for _ in range(reps)])[:size] if reps else np.zeros(0)
        elif self.kind == "zeros":
            data = np.zeros(size)
        elif self.kind == "ones":
            data = np.ones(size)
        elif self.kind == "arange":
            data = np.arange(size)
        elif self.kind == "sparse":  # normal values with a fraction p of exact zeros
            data = rng.standard_normal(size)
            data[rng.random(size) < float(p[0])] = 0.0
        else:  # pragma: no cover - parse() rejects unknown kinds
            raise AssertionError(self.kind)
        np_dtype = np.dtype(dtype)
        if np.issubdtype(np_dtype, np.integer):
            info = np.iinfo(np_dtype)
            if data.size and (data.min() < info.min or data.max() > info.max):
                raise ValueError(f"init {self.text} gives values outside the range of {dtype}")
        return data.astype(np_dtype).reshape(shape)


# ------------------------------------------------------------------------------------------ spec objects
@dataclass(frozen=True)
class Arg:
    """One positional argument of the entry."""

    name: str
    dtype: str
    intent: str  # in | out | inout | scalar
    shape: tuple[str | int, ...] = ()
    init: str | None = None
    value: str | float | int | None = None  # scalars only

    @property
    def is_output(self) -> bool:
        return self.intent in ("out", "inout")

    @property
    def is_scalar(self) -> bool:
        return self.intent == "scalar"


@dataclass(frozen=True)
class DialectSpec:
    name: str
    file: str
    dtypes: Mapping[str, str] = field(default_factory=dict)
    init: Mapping[str, str] = field(default_factory=dict)
    tolerance: Tolerance | None = None
    entry: str | None = None
    launch: str | None = None


@dataclass(frozen=True)
class Spec:
    """A loaded and validated spec. `path` is the operator's folder."""

    op: str
    family: str
    summary: str
    reference: str
    symbols: tuple[str, ...]
    cases: tuple[Mapping[str, int], ...]
    args: tuple[Arg, ...]
    dialects: Mapping[str, DialectSpec]
    path: Path
    tolerance: Tolerance | None = None
    constraints: tuple[str, ...] = ()
    notes: str = ""

    # ---------------------------------------------------------------- lookup
    @property
    def spec_file(self) -> Path:
        return self.path / "spec.toml"

    def _err(self, message: str) -> SpecError:
        return SpecError(message, file=str(self.spec_file))

    def case(self, case: int) -> dict[str, int]:
        """The symbol values of case `case` (an index into `cases`)."""
        if not isinstance(case, int) or not 0 <= case < len(self.cases):
            raise self._err(f"{self.op}: no case {case!r} (the spec has {len(self.cases)})")
        return dict(self.cases[case])

    def case_label(self, case: int) -> str:
        """`M=48,N=80,K=112`: a short name for a case."""
        return ",".join(f"{k}={v}" for k, v in self.case(case).items())

    def dialect(self, dialect: str) -> DialectSpec:
        if dialect not in self.dialects:
            raise self._err(f"{self.op}: no dialect {dialect!r} in the spec (it has {', '.join(self.dialects)})")
        return self.dialects[dialect]

    def arg_dtype(self, arg: Arg, dialect: str) -> str:
        return self.dialect(dialect).dtypes.get(arg.name, arg.dtype)

    def arg_init(self, arg: Arg, dialect: str) -> str:
        return self.dialect(dialect).init.get(arg.name) or arg.init or ("zeros" if arg.is_output else "normal")

    def shape(self, arg: Arg, case: int) -> tuple[int, ...]:
        env = self.case(case)
        return tuple(int(evaluate(d, env)) for d in arg.shape)

    def tolerance_for(self, arg: Arg, dialect: str) -> Tolerance:
        """Dialect tolerance, else the spec's, else the default of the output dtype (exact for integers)."""
        dtype = self.arg_dtype(arg, dialect)
        if np.issubdtype(np.dtype(dtype), np.integer):
            return _EXACT
        return self.dialect(dialect).tolerance or self.tolerance or DEFAULT_TOLERANCES[dtype]

    # ---------------------------------------------------------------- sources
    def source_path(self, dialect: str) -> Path:
        return self.path / self.dialect(dialect).file

    def source(self, dialect: str, case: int = 0) -> str:
        """The dialect's kernel text with every shape symbol's `#define` set to the case's value."""
        path = self.source_path(dialect)
        if not path.is_file():
            raise self._err(f"{self.op}: the {dialect} kernel {path.name} does not exist")
        return substitute_defines(path.read_text(), self.case(case), filename=str(path))

    # ---------------------------------------------------------------- arguments
    def make_args(self, dialect: str, case: int = 0, seed: int = 0) -> list[Any]:
        """The positional arguments of case `case` for `dialect`: numpy arrays (C order) for pointers,
        numpy scalars of the arg dtype for scalars. Deterministic in (seed, case, argument position):
        dialects that share an argument's init draw the same values (then cast to their dtype)."""
        env = self.case(case)
        out: list[Any] = []
        for i, arg in enumerate(self.args):
            dtype = self.arg_dtype(arg, dialect)
            if arg.is_scalar:
                out.append(np.dtype(dtype).type(evaluate(arg.value, env)))
                continue
            init = Init.parse(self.arg_init(arg, dialect))
            rng = np.random.default_rng([seed, case, i])
            try:
                out.append(init.generate(self.shape(arg, case), dtype, env, rng))
            except ValueError as exc:
                raise self._err(f"{self.op}: argument {arg.name} ({dialect}, case {case}): {exc}") from None
        return out

    def _reference_fn(self):
        module = _load_reference_module(str(self.path / "reference.py"))
        fn = getattr(module, self.reference, None)
        if not callable(fn):
            raise self._err(f"{self.op}: reference.py has no function {self.reference!r}")
        return fn

    def expected(self, dialect: str, case: int, args: Sequence[Any]) -> dict[str, np.ndarray]:
        """Run the numpy reference on `args` (as made by make_args) and return {output name: array},
        float64 for float outputs and rounded to the output dtype for integer outputs."""
        if len(args) != len(self.args):
            raise self._err(f"{self.op}: expected {len(self.args)} arguments, got {len(args)}")
        kwargs: dict[str, Any] = dict(self.case(case))
        for arg, value in zip(self.args, args):
            if arg.is_scalar:
                kwargs[arg.name] = value.item() if isinstance(value, np.generic) else value
            else:
                kwargs[arg.name] = np.array(value, copy=True)
        result = self._reference_fn()(**kwargs)
        outputs = {}
        for arg in self.args:
            if not arg.is_output:
                continue
            if not isinstance(result, Mapping) or arg.name not in result:
                raise self._err(f"{self.op}: the reference did not return output {arg.name!r}")
            value = np.asarray(result[arg.name])
            shape = self.shape(arg, case)
            if value.shape != shape:
                raise self._err(f"{self.op}: the reference returned {arg.name} with shape {value.shape}, "
                                f"the spec says {shape}")
            dtype = np.dtype(self.arg_dtype(arg, dialect))
            if np.issubdtype(dtype, np.integer):
                if not np.issubdtype(value.dtype, np.integer):
                    value = np.rint(value)
                value = value.astype(dtype)
            else:
                value = value.astype(np.float64)
            outputs[arg.name] = value
        return outputs

    def check(self, dialect: str, case: int, args: Sequence[Any], outputs: Sequence[Any]) -> "CaseReport":
        """Compare a run's `outputs` (aligned with the positional args, None for scalars) with the reference
        evaluated on the same `args`."""
        if len(outputs) != len(self.args):
            raise self._err(f"{self.op}: expected {len(self.args)} outputs (one per argument), got {len(outputs)}")
        expected = self.expected(dialect, case, args)
        comparisons = []
        for arg, actual in zip(self.args, outputs):
            if not arg.is_output:
                continue
            tol = self.tolerance_for(arg, dialect)
            comparisons.append(compare(actual, expected[arg.name], tol.rtol, tol.atol, name=arg.name))
        return CaseReport(self.op, dialect, case, self.case_label(case), tuple(comparisons))


@lru_cache(maxsize=None)
def _load_reference_module(path: str):
    digest = hashlib.sha1(path.encode()).hexdigest()[:8]  # two corpora may hold the same op name
    op = re.sub(r"\W", "_", Path(path).parent.name)
    name = f"xpiler_corpus_reference_{op}_{digest}"
    module_spec = importlib.util.spec_from_file_location(name, path)
    if module_spec is None or not Path(path).is_file():
        raise SpecError("reference.py is missing", file=path)
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[name] = module
    module_spec.loader.exec_module(module)
    return module


# ------------------------------------------------------------------------------------------ #define rewrite
_DEFINE = re.compile(r"^(?P<head>[ \t]*#[ \t]*define[ \t]+)(?P<name>[A-Za-z_]\w*)(?P<rest>.*)$")


def substitute_defines(source: str, values: Mapping[str, Any], *, filename: str = "<source>") -> str:
    """Rewrite the value of every object-like `#define NAME value` whose NAME is in `values`; keep a trailing
    comment and every other line as is. Raises SpecError when a name has no such #define.

    >>> substitute_defines("#define N 16  // size\\nint a[N];\\n", {"N": 40})
    '#define N 40  // size\\nint a[N];\\n'
    """
    found: set[str] = set()
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        m = _DEFINE.match(line)
        if not m or m["name"] not in values:
            continue
        name, rest = m["name"], m["rest"]
        body = rest.rstrip("\r\n")
        newline = line[len(line.rstrip("\r\n")):]
        if not body or body[0] not in " \t":  # `#define N(x)` (function-like) or `#define N` (no value)
            raise SpecError(f"line {i + 1}: #define {name} is not of the form `#define {name} <value>`", file=filename)
        comment = ""
        cm = re.search(r"[ \t]*(//|/\*)", body)
        if cm:
            body, comment = body[: cm.start()], body[cm.start():]
        if body.rstrip().endswith("\\"):
            raise SpecError(f"line {i + 1}: #define {name} continues on the next line", file=filename)
        lines[i] = f"{m['head']}{name} {values[name]}{comment}{newline}"
        found.add(name)
    missing = [n for n in values if n not in found]
    if missing:
        raise SpecError(f"no `#define` for shape symbol(s) {', '.join(missing)}", file=filename)
    return "".join(lines)


def read_defines(source: str, names: Sequence[str]) -> dict[str, str]:
    """The text value of the first `#define NAME value` for each of `names` that has one."""
    out: dict[str, str] = {}
    for line in source.splitlines():
        m = _DEFINE.match(line)
        if m and m["name"] in names and m["name"] not in out:
            value = re.split(r"//|/\*", m["rest"])[0].strip()
            out[m["name"]] = value
    return out


# ------------------------------------------------------------------------------------------ comparison
@dataclass(frozen=True)
class Comparison:
    """How one output compares with the reference."""

    name: str
    ok: bool
    mismatches: int
    total: int
    max_abs: float
    max_rel: float
    rtol: float
    atol: float
    first_index: tuple[int, ...] | None = None
    first_actual: float | None = None
    first_expected: float | None = None
    message: str = ""

    def __str__(self) -> str:
        if self.message:
            return f"{self.name}: {self.message}"
        head = f"{self.name}: {'ok' if self.ok else 'MISMATCH'} max_abs={self.max_abs:.3g} max_rel={self.max_rel:.3g}"
        head += f" (rtol={self.rtol:g}, atol={self.atol:g})"
        if not self.ok:
            head += (f"; {self.mismatches}/{self.total} elements differ, first at {list(self.first_index)}: "
                     f"got {self.first_actual!r}, expected {self.first_expected!r}")
        return head


def compare(actual: Any, expected: Any, rtol: float, atol: float, *, name: str = "output") -> Comparison:
    """Compare elementwise with |a - e| <= atol + rtol*|e|. NaN matches only NaN, inf only the same inf.
    max_rel is max |a - e| / |e| over the elements where e != 0."""
    exp = np.asarray(expected)
    if actual is None:
        return Comparison(name, False, exp.size, exp.size, math.inf, math.inf, rtol, atol, message="no output")
    act = np.asarray(actual)
    if act.shape != exp.shape:
        return Comparison(name, False, exp.size, exp.size, math.inf, math.inf, rtol, atol,
                          message=f"shape {act.shape} differs from the expected {exp.shape}")
    a = act.astype(np.float64)
    e = exp.astype(np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(a - e)
        both_nan = np.isnan(a) & np.isnan(e)
        same_inf = np.isinf(a) & np.isinf(e) & (a == e)
        close = (diff <= atol + rtol * np.abs(e)) | both_nan | same_inf
        finite = np.isfinite(diff)
        diff_f = np.where(same_inf | both_nan, 0.0, np.where(finite, diff, np.inf))
        nonzero = e != 0
        rel = np.where(nonzero, diff_f / np.where(nonzero, np.abs(e), 1.0), 0.0)
    bad = ~close
    mismatches = int(bad.sum())
    max_abs = float(diff_f.max()) if diff_f.size else 0.0
    max_rel = float(np.nan_to_num(rel, nan=math.inf).max()) if rel.size else 0.0
    first = None
    fa = fe = None
    if mismatches:
        first = tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))
        fa, fe = act[first].item(), exp[first].item()
    return Comparison(name, mismatches == 0, mismatches, int(exp.size), max_abs, max_rel, rtol, atol, first, fa, fe)


@dataclass(frozen=True)
class CaseReport:
    op: str
    dialect: str
    case: int
    label: str
    outputs: tuple[Comparison, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.outputs)

    def __str__(self) -> str:
        head = f"{self.op}/{self.dialect} case {self.case} ({self.label}): {'ok' if self.ok else 'FAILED'}"
        return "\n".join([head] + ["  " + str(c) for c in self.outputs])


# ------------------------------------------------------------------------------------------ loading
_TOP_KEYS = {"op", "family", "summary", "reference", "symbols", "cases", "args", "tolerance", "dialects",
             "constraints", "notes"}
_ARG_KEYS = {"name", "dtype", "shape", "intent", "init", "value"}
_DIALECT_KEYS = {"file", "dtypes", "init", "tolerance", "entry", "launch"}


def _tolerance(raw: Any, where: str, fail) -> Tolerance:
    if not isinstance(raw, Mapping) or set(raw) - {"rtol", "atol"}:
        raise fail(f"{where}: tolerance must be a table with rtol and/or atol")
    for k, v in raw.items():
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
            raise fail(f"{where}: tolerance {k} must be a non-negative number")
    return Tolerance(float(raw.get("rtol", 0.0)), float(raw.get("atol", 0.0)))


def load_spec(path: str | Path) -> Spec:
    """Load and validate `spec.toml` (or the folder holding it). Raises SpecError naming the file and the
    problem. The kernel files need not exist yet; `Spec.source` reports a missing one."""
    path = Path(path)
    file = path / "spec.toml" if path.is_dir() else path
    folder = file.parent

    def fail(message: str) -> SpecError:
        return SpecError(message, file=str(file))

    if not file.is_file():
        raise fail("no such spec file")
    try:
        raw = tomllib.loads(file.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise fail(f"not valid TOML: {exc}") from None

    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise fail(f"unknown key(s) {', '.join(sorted(unknown))}")
    for key in ("op", "family", "summary", "reference", "symbols", "cases", "args", "dialects"):
        if key not in raw:
            raise fail(f"missing key {key!r}")
    op = raw["op"]
    if not isinstance(op, str) or not _IDENT.match(op):
        raise fail(f"op must be an identifier, got {op!r}")
    if op != folder.name:
        raise fail(f"op {op!r} differs from the folder name {folder.name!r}")
    if raw["family"] not in FAMILIES:
        raise fail(f"family {raw['family']!r} is not one of {', '.join(FAMILIES)}")
    for key in ("summary", "reference"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise fail(f"{key} must be a non-empty string")
    if not _IDENT.match(raw["reference"]):
        raise fail(f"reference must name a function, got {raw['reference']!r}")

    symbols = raw["symbols"]
    if not isinstance(symbols, list) or not all(isinstance(s, str) and _IDENT.match(s) for s in symbols):
        raise fail("symbols must be a list of identifiers")
    if len(set(symbols)) != len(symbols):
        raise fail("symbols are not distinct")

    cases = raw["cases"]
    if not isinstance(cases, list) or len(cases) < 1:
        raise fail("cases must be a non-empty list of tables")
    for i, case in enumerate(cases):
        if not isinstance(case, dict):
            raise fail(f"case {i} is not a table")
        if set(case) != set(symbols):
            missing, extra = set(symbols) - set(case), set(case) - set(symbols)
            parts = ([f"missing {', '.join(sorted(missing))}"] if missing else []) + (
                [f"unknown {', '.join(sorted(extra))}"] if extra else [])
            raise fail(f"case {i}: {'; '.join(parts)}")
        for k, v in case.items():
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise fail(f"case {i}: {k} must be a positive integer, got {v!r}")
    cases_t = tuple({s: case[s] for s in symbols} for case in cases)

    constraints = raw.get("constraints", [])
    if not isinstance(constraints, list) or not all(isinstance(c, str) for c in constraints):
        raise fail("constraints must be a list of expression strings")
    for i, case in enumerate(cases_t):
        for c in constraints:
            try:
                holds = evaluate(c, case)
            except ValueError as exc:
                raise fail(f"constraint {c!r}: {exc}") from None
            if not holds:
                raise fail(f"case {i} ({case}) violates the constraint {c!r}")

    if not isinstance(raw["args"], list) or not raw["args"]:
        raise fail("args must be a non-empty array of tables ([[args]])")
    args: list[Arg] = []
    for i, a in enumerate(raw["args"]):
        where = f"argument {i}"
        if not isinstance(a, dict):
            raise fail(f"{where} is not a table")
        if set(a) - _ARG_KEYS:
            raise fail(f"{where}: unknown key(s) {', '.join(sorted(set(a) - _ARG_KEYS))}")
        name = a.get("name")
        if not isinstance(name, str) or not _IDENT.match(name):
            raise fail(f"{where}: name must be an identifier, got {name!r}")
        where = f"argument {name!r}"
        if name in symbols:
            raise fail(f"{where}: the name is also a shape symbol")
        if any(x.name == name for x in args):
            raise fail(f"{where}: duplicate argument name")
        intent = a.get("intent", "in")
        if intent not in INTENTS:
            raise fail(f"{where}: intent {intent!r} is not one of {', '.join(INTENTS)}")
        dtype = a.get("dtype")
        if dtype not in DTYPES:
            raise fail(f"{where}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        if intent == "scalar":
            if "value" not in a or "shape" in a or "init" in a:
                raise fail(f"{where}: a scalar has a value and no shape or init")
            for j, case in enumerate(cases_t):
                try:
                    evaluate(a["value"], case)
                except ValueError as exc:
                    raise fail(f"{where}: value {a['value']!r}: {exc}") from None
            args.append(Arg(name, dtype, intent, value=a["value"]))
            continue
        if "value" in a:
            raise fail(f"{where}: only scalars have a value")
        shape = a.get("shape")
        if not isinstance(shape, list) or not shape:
            raise fail(f"{where}: shape must be a non-empty list")
        for j, case in enumerate(cases_t):
            for d in shape:
                try:
                    n = evaluate(d, case)
                except ValueError as exc:
                    raise fail(f"{where}: shape entry {d!r}: {exc}") from None
                if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
                    raise fail(f"{where}: shape entry {d!r} is {n!r} in case {j}, not a positive integer")
        init = a.get("init")
        if init is not None:
            if not isinstance(init, str):
                raise fail(f"{where}: init must be a string")
            if intent == "out":
                raise fail(f"{where}: an out argument has no init (its buffer starts as zeros)")
        args.append(Arg(name, dtype, intent, tuple(shape), init))
    if not any(a.is_output for a in args):
        raise fail("no argument is an output (intent out or inout)")

    tolerance = _tolerance(raw["tolerance"], "[tolerance]", fail) if "tolerance" in raw else None

    dialects_raw = raw["dialects"]
    if not isinstance(dialects_raw, dict) or not dialects_raw:
        raise fail("dialects must be a table of [dialects.<name>] tables")
    names = {a.name for a in args}
    dialects: dict[str, DialectSpec] = {}
    for d, table in dialects_raw.items():
        where = f"[dialects.{d}]"
        if d not in DIALECTS:
            raise fail(f"{where}: unknown dialect (known: {', '.join(DIALECTS)})")
        if not isinstance(table, dict) or set(table) - _DIALECT_KEYS:
            raise fail(f"{where}: unknown key(s) {', '.join(sorted(set(table) - _DIALECT_KEYS))}")
        f = table.get("file")
        if not isinstance(f, str) or not f or "/" in f or "\\" in f:
            raise fail(f"{where}: file must be a file name in the operator's folder")
        dts = table.get("dtypes", {})
        inits = table.get("init", {})
        for label, mapping in (("dtypes", dts), ("init", inits)):
            if not isinstance(mapping, dict):
                raise fail(f"{where}: {label} must be an inline table")
            for k in mapping:
                if k not in names:
                    raise fail(f"{where}: {label} names an unknown argument {k!r}")
        for k, v in dts.items():
            if v not in DTYPES:
                raise fail(f"{where}: dtype {v!r} of {k} is not one of {', '.join(DTYPES)}")
        for k, v in inits.items():
            if not isinstance(v, str):
                raise fail(f"{where}: init of {k} must be a string")
        for k in ("entry", "launch"):
            if k in table and not isinstance(table[k], str):
                raise fail(f"{where}: {k} must be a string")
        tol = _tolerance(table["tolerance"], where, fail) if "tolerance" in table else None
        dialects[d] = DialectSpec(d, f, dict(dts), dict(inits), tol, table.get("entry"), table.get("launch"))

    spec = Spec(op=op, family=raw["family"], summary=raw["summary"], reference=raw["reference"],
                symbols=tuple(symbols), cases=cases_t, args=tuple(args), dialects=dialects, path=folder,
                tolerance=tolerance, constraints=tuple(constraints), notes=str(raw.get("notes", "")))

    # Every (dialect, argument) pair must have an init that parses, evaluates and fits its dtype.
    for d in dialects:
        for arg in args:
            if arg.is_scalar:
                continue
            dtype = spec.arg_dtype(arg, d)
            if arg.intent == "out" and arg.name in dialects[d].init:
                raise fail(f"[dialects.{d}]: init of {arg.name}: an out argument has no init")
            text = spec.arg_init(arg, d)
            try:
                init = Init.parse(text)
                for case in cases_t:
                    [evaluate(p, case) for p in init.params]
            except ValueError as exc:
                raise fail(f"argument {arg.name!r} ({d}): {exc}") from None
            if np.issubdtype(np.dtype(dtype), np.integer) and not init.integral:
                raise fail(f"argument {arg.name!r} ({d}): init {text!r} gives non-integers for dtype {dtype}; "
                           f"give an integer init such as randint(lo, hi)")
    return spec


# ------------------------------------------------------------------------------------------ corpus
def corpus_root() -> Path:
    """benchmarks/corpus of the source tree this package lives in."""
    return Path(__file__).resolve().parents[2] / "benchmarks" / "corpus"


@dataclass(frozen=True)
class CorpusItem:
    spec: Spec
    dialect: str
    case: int

    @property
    def op(self) -> str:
        return self.spec.op

    @property
    def id(self) -> str:
        """`gemm/cuda/1`: handy as a pytest id."""
        return f"{self.spec.op}/{self.dialect}/{self.case}"


def load_corpus(root: str | Path | None = None) -> list[Spec]:
    root = Path(root) if root is not None else corpus_root()
    return [load_spec(p.parent) for p in sorted(root.glob("*/spec.toml"))]


def iter_corpus(root: str | Path | None = None, *, dialects: Sequence[str] | None = None,
                ops: Sequence[str] | None = None, existing_only: bool = False) -> Iterator[CorpusItem]:
    """Every (spec, dialect, case) of the corpus, in op, dialect (canonical order), case order.
    `existing_only` skips dialects whose kernel file is not there yet."""
    for spec in load_corpus(root):
        if ops is not None and spec.op not in ops:
            continue
        for d in DIALECTS:
            if d not in spec.dialects or (dialects is not None and d not in dialects):
                continue
            if existing_only and not spec.source_path(d).is_file():
                continue
            for case in range(len(spec.cases)):
                yield CorpusItem(spec, d, case)


def run_case(spec: Spec, dialect: str, case: int = 0, *, seed: int = 0,
             transform: Callable[[str], str] | None = None, **run_options) -> CaseReport:
    """Materialize, run on the local executor and check one case. Executor errors propagate.
    `transform` rewrites the case's source text before it runs (the IR round trip uses it)."""
    from xpiler.exec import run_kernel  # imported late: the spec loader itself needs no executor

    ds = spec.dialect(dialect)
    args = spec.make_args(dialect, case, seed)
    options = dict(run_options)
    if ds.entry is not None:
        options.setdefault("entry", ds.entry)
    if ds.launch is not None:
        options.setdefault("launch", ds.launch)
    source = spec.source(dialect, case)
    if transform is not None:
        source = transform(source)
    res = run_kernel(source, dialect, args=args, filename=ds.file, **options)
    return spec.check(dialect, case, args, res.outputs)


def corpus_table(specs: Sequence[Spec]) -> str:
    """The markdown table of benchmarks/corpus/README.md: op, family, symbols and the cases' values."""
    rows = ["| op | family | symbols | cases |", "|---|---|---|---|"]
    for spec in sorted(specs, key=lambda s: (FAMILIES.index(s.family), s.op)):
        cases = "; ".join("x".join(str(v) for v in case.values()) for case in spec.cases)
        rows.append(f"| {spec.op} | {spec.family} | {', '.join(spec.symbols)} | {cases} |")
    return "\n".join(rows) + "\n"
