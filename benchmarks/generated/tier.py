"""The generated corpus tier: manifest, arguments and the independent numpy check (no TVM needed).

A manifest (`manifest.json` in a sample folder) lists cases:

    {"id": "softmax_sym_cuda", "op": "softmax", "file": "softmax_sym.cu", "dialect": "cuda",
     "entry": "softmax_sym_run", "launch": null, "reference": "softmax", "symbolic": true,
     "symbols": ["n", "m"], "tests": [{"n": 13, "m": 77}, ...],
     "args": [{"name": "A", "dtype": "float32", "shape": ["n", "m"], "intent": "in", "init": "normal"},
              {"name": "T_softmax_norm", "dtype": "float32", "shape": ["n", "m"], "intent": "out"},
              {"name": "n", "dtype": "int32", "intent": "scalar", "value": "n"}, ...],
     "tolerance": {"rtol": 1e-4, "atol": 1e-4}, "sha256": "..."}

Shapes and scalar values are expressions of the symbols (`"n+2"`, `"(h-3)//2+1"`), evaluated with the test's
sizes. `reference` names a function of benchmarks/generated/refs.py.
"""

from __future__ import annotations

import ast
import hashlib
import json
import operator
from pathlib import Path

import numpy as np

from . import refs

HERE = Path(__file__).resolve().parent
TVM_SAMPLE = HERE / "tvm"

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.FloorDiv: operator.floordiv,
        ast.Mod: operator.mod, ast.Pow: operator.pow}


def evaluate(expr, sizes: dict) -> int:
    """An integer expression of the size symbols (numbers, names, + - * // % **, min/max), no eval."""
    if isinstance(expr, (int, np.integer)):
        return int(expr)

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name):
            return int(sizes[node.id])
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("min", "max"):
            return {"min": min, "max": max}[node.func.id](*(ev(a) for a in node.args))
        raise ValueError(f"unsupported size expression {expr!r}")

    return ev(ast.parse(str(expr), mode="eval"))


def load_manifest(folder: Path = TVM_SAMPLE) -> list[dict]:
    folder = Path(folder)
    data = json.loads((folder / "manifest.json").read_text())
    for c in data["cases"]:
        c["path"] = str(folder / c["file"])
    return data["cases"]


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


CORPUS = HERE.parent / "corpus"


def corpus_spec(op: str):
    from xpiler.verify.spec import load_spec

    return load_spec(CORPUS / op)


def make_args(case: dict, test: int = 0, seed: int = 0) -> list:
    """The positional arguments of test `test` of a case (deterministic), as numpy arrays / numpy scalars."""
    if case.get("kind") == "variant":  # a corpus kernel in another style: the spec's args + the sizes
        spec, k = corpus_spec(case["op"]), case["tests"][test]["case"]
        return spec.make_args(case["dialect"], k, seed) + [np.int32(spec.case(k)[s]) for s in case["extra"]]
    sizes = case["tests"][test]
    out = []
    for i, a in enumerate(case["args"]):
        dt = np.dtype(a["dtype"])
        if a["intent"] == "scalar":
            out.append(dt.type(evaluate(a["value"], sizes)))
            continue
        shape = tuple(evaluate(s, sizes) for s in a["shape"])
        if a["intent"] == "out":
            out.append(np.zeros(shape, dt))
            continue
        rng = np.random.default_rng([seed, test, i])
        init = a.get("init", "normal")
        if init == "normal":
            v = rng.standard_normal(shape)
        elif init == "positive":
            v = rng.uniform(0.5, 2.0, shape)
        elif init == "wide":
            v = rng.standard_normal(shape) * 10.0
        elif init == "sign":
            v = rng.integers(-1, 2, shape).astype(np.float64) * rng.uniform(0.5, 2.0, shape)
        else:
            raise ValueError(f"unknown init {init!r}")
        out.append(v.astype(dt))
    return out


def reference(case: dict, args: list, test: int = 0) -> list:
    """Expected outputs: one array per `out`/`inout` argument, in order."""
    fn = getattr(refs, case["reference"])
    ins = [a for a, spec in zip(args, case["args"]) if spec["intent"] in ("in", "inout")]
    return fn(*ins, **case["tests"][test])


def compare(case: dict, args: list, outputs: list, test: int = 0) -> str | None:
    """None when every output matches the reference, else a one-line reason."""
    if case.get("kind") == "variant":
        spec, k = corpus_spec(case["op"]), case["tests"][test]["case"]
        n = len(spec.args)
        rep = spec.check(case["dialect"], k, list(args[:n]), list(outputs[:n]))
        return None if rep.ok else str(rep)[:600]
    want = reference(case, args, test)
    got = [outputs[i] for i, spec in enumerate(case["args"]) if spec["intent"] in ("out", "inout")]
    tol = case.get("tolerance", {})
    for spec, g, w in zip([s for s in case["args"] if s["intent"] in ("out", "inout")], got, want):
        g = np.asarray(g)
        w = np.asarray(w).reshape(g.shape) if np.asarray(w).size == g.size else np.asarray(w)
        if g.shape != w.shape:
            return f"{spec['name']}: shape {g.shape} != reference {w.shape}"
        if np.issubdtype(g.dtype, np.integer):
            bad = np.flatnonzero(g.ravel() != w.ravel())
        else:
            ok = np.isclose(g, w, rtol=tol.get("rtol", 1e-4), atol=tol.get("atol", 1e-4), equal_nan=False)
            bad = np.flatnonzero(~ok.ravel())
        if bad.size:
            i = int(bad[0])
            return (f"{spec['name']}: {bad.size}/{g.size} elements differ, first at flat index {i}: "
                    f"got {g.ravel()[i]!r}, want {w.ravel()[i]!r}")
    return None


def check_source(case: dict, text: str, dialect: str | None = None, entry: str | None = "",
                 launch: str | None = "", tests=None, timeout: float = 60.0) -> str | None:
    """Run `text` (the case's source or a translation of it) on the executor and compare with numpy.

    entry/launch default to the case's; pass None to let the executor find them. Returns None when all tests
    pass, else the first reason."""
    from xpiler import run_kernel

    dialect = dialect or case["dialect"]
    entry = case.get("entry") if entry == "" else entry
    launch = case.get("launch") if launch == "" else launch
    for t in (range(len(case["tests"])) if tests is None else tests):
        args = make_args(case, t)
        try:
            res = run_kernel(text, dialect, args=args, entry=entry, launch=launch, timeout=timeout)
        except Exception as e:  # compile errors, faults
            log = getattr(e, "log", "") or ""
            first = next((ln.strip() for ln in log.splitlines() if "error" in ln), "")
            return f"{type(e).__name__}: {e}{': ' + first if first else ''}".strip()[:600]
        why = compare(case, args, res.outputs, t)
        if why:
            return f"test {t} {case['tests'][t]}: {why}"
    return None
