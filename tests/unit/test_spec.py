"""The corpus spec loader: validation errors, #define substitution, input generation, comparison."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest

from xpiler.verify.spec import (
    SpecError,
    compare,
    corpus_root,
    evaluate,
    iter_corpus,
    load_corpus,
    load_spec,
    read_defines,
    substitute_defines,
)

MINIMAL = """
op = "toy"
family = "elementwise"
summary = "Y = X * 2 + b"
reference = "toy"
symbols = ["N", "M"]
cases = [ { N = 8, M = 3 }, { N = 6, M = 5 } ]
constraints = ["N % 2 == 0"]

[[args]]
name = "X"
dtype = "float32"
shape = ["M", "N"]
intent = "in"
init = "normal"

[[args]]
name = "idx"
dtype = "int32"
shape = ["N"]
intent = "in"
init = "permutation(N)"

[[args]]
name = "Y"
dtype = "float32"
shape = ["M", "N"]
intent = "out"

[[args]]
name = "b"
dtype = "float32"
intent = "scalar"
value = "M / 2"

[dialects.c]
file = "toy.c"

[dialects.vnni]
file = "toy_vnni.cpp"
dtypes = { X = "int8", Y = "int32" }
init = { X = "randint(-3, 4)" }

[dialects.cuda]
file = "toy.cu"
dtypes = { X = "float16" }
tolerance = { rtol = 1e-2, atol = 1e-2 }
"""

REFERENCE = """
import numpy as np

def toy(*, X, b, **_):
    return {"Y": np.asarray(X, np.float64) * 2 + b}
"""

KERNEL = """// toy kernel
#define N 8   // columns
#define M 3
#define MN (M * N)
extern "C" void toy_kernel(const float* X, const int32_t* idx, float* Y, float b) {
  for (int i = 0; i < MN; ++i) Y[i] = X[i] * 2 + b;
}
"""


def write_spec(tmp_path: Path, text: str = MINIMAL, *, op: str = "toy", reference: str = REFERENCE) -> Path:
    folder = tmp_path / op
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "spec.toml").write_text(textwrap.dedent(text))
    (folder / "reference.py").write_text(reference)
    (folder / "toy.c").write_text(KERNEL)
    return folder


def edited(old: str, new: str) -> str:
    assert old in MINIMAL, old
    return MINIMAL.replace(old, new, 1)


# ------------------------------------------------------------------------------------------ loading
def test_minimal_spec_loads(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    assert spec.op == "toy" and spec.symbols == ("N", "M")
    assert [a.name for a in spec.args] == ["X", "idx", "Y", "b"]
    assert spec.case(1) == {"N": 6, "M": 5}
    assert spec.case_label(0) == "N=8,M=3"
    assert spec.shape(spec.args[0], 1) == (5, 6)
    assert spec.arg_dtype(spec.args[0], "vnni") == "int8"
    assert spec.arg_init(spec.args[2], "c") == "zeros"
    assert spec.tolerance_for(spec.args[2], "cuda").rtol == pytest.approx(1e-2)
    assert spec.tolerance_for(spec.args[2], "c").rtol == pytest.approx(1e-4)  # float32 default
    assert spec.tolerance_for(spec.args[2], "vnni").atol == 0.0  # integer output: exact


@pytest.mark.parametrize(
    "old, new, needle",
    [
        ('family = "elementwise"', 'family = "magic"', "family"),
        ('op = "toy"', 'op = "other"', "folder name"),
        ('reference = "toy"\n', "", "missing key 'reference'"),
        ("{ N = 6, M = 5 }", "{ N = 6 }", "case 1: missing M"),
        ("{ N = 6, M = 5 }", "{ N = 6, M = 5, Q = 1 }", "unknown Q"),
        ("{ N = 6, M = 5 }", "{ N = 6, M = 0 }", "positive integer"),
        ("{ N = 6, M = 5 }", "{ N = 7, M = 5 }", "violates the constraint"),
        ('dtype = "int32"', 'dtype = "int31"', "dtype 'int31'"),
        ('intent = "out"', 'intent = "sideways"', "intent"),
        ('shape = ["N"]', 'shape = ["N - 8"]', "not a positive integer"),
        ('shape = ["N"]', 'shape = ["Q"]', "unknown name 'Q'"),
        ('shape = ["N"]', "shape = [\"__import__('os')\"]", "unsupported syntax"),
        ('name = "idx"', 'name = "M"', "also a shape symbol"),
        ('name = "idx"', 'name = "X"', "duplicate"),
        ('init = "permutation(N)"', 'init = "gaussian"', "unknown init kind"),
        ('init = "permutation(N)"', 'init = "randint(0)"', "takes 2 argument"),
        ('init = "permutation(N)"', 'init = "normal"', "non-integers for dtype int32"),
        ('init = { X = "randint(-3, 4)" }', "", "non-integers for dtype int8"),
        ('dtypes = { X = "int8", Y = "int32" }', 'dtypes = { Z = "int8" }', "unknown argument 'Z'"),
        ("[dialects.cuda]", "[dialects.fortran]", "unknown dialect"),
        ('file = "toy.cu"', 'file = "../toy.cu"', "file name"),
        ("tolerance = { rtol = 1e-2, atol = 1e-2 }", "tolerance = { rtol = -1.0 }", "non-negative"),
        ('value = "M / 2"', 'value = "M / 0"', "division by zero"),
        ('summary = "Y = X * 2 + b"', 'summary = "x"\ncolour = "red"', "unknown key(s) colour"),
        ('intent = "in"\ninit = "normal"', 'intent = "in"\ninit = "normal"\nvalue = 3', "only scalars"),
    ],
)
def test_loader_rejects_with_file_and_reason(tmp_path, old, new, needle):
    folder = write_spec(tmp_path, edited(old, new))
    with pytest.raises(SpecError) as info:
        load_spec(folder)
    assert needle in str(info.value)
    assert str(folder / "spec.toml") in str(info.value)


def test_loader_rejects_bad_toml_and_missing_file(tmp_path):
    folder = write_spec(tmp_path, MINIMAL + "\n[[args]\n")
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(folder)
    with pytest.raises(SpecError, match="no such spec file"):
        load_spec(tmp_path / "nowhere")


def test_unknown_case_and_dialect_are_clear(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    with pytest.raises(SpecError, match="no case 2"):
        spec.case(2)
    with pytest.raises(SpecError, match="no dialect 'bang'"):
        spec.make_args("bang", 0)
    with pytest.raises(SpecError, match="toy.cu does not exist"):
        spec.source("cuda", 0)


# ------------------------------------------------------------------------------------------ expressions
def test_evaluate_is_arithmetic_only():
    env = {"H": 15, "KH": 3, "S": 2}
    assert evaluate("(H - KH) // S + 1", env) == 7
    assert evaluate("H % 4 == 3 and KH <= H", env) is True
    assert evaluate("max(H, 20) - min(KH, S)", env) == 18
    assert evaluate(5, env) == 5
    for bad in ("H.__class__", "open('x')", "[1, 2]", "lambda: 1", "H if S else KH", "2 ** 1000"):
        with pytest.raises(ValueError):
            evaluate(bad, env)


# ------------------------------------------------------------------------------------------ #define rewrite
def test_substitute_defines_rewrites_only_symbols():
    out = substitute_defines(KERNEL, {"N": 6, "M": 5})
    assert "#define N 6   // columns\n" in out  # the comment and its spacing are kept
    assert read_defines(out, ["N", "M", "MN"]) == {"N": "6", "M": "5", "MN": "(M * N)"}
    assert "// columns" in out
    assert out.count("\n") == KERNEL.count("\n")


def test_substitute_defines_keeps_layout():
    src = "  #  define K 16 /* depth */\r\n#define KK 3\nint a[K];\n"
    out = substitute_defines(src, {"K": 48})
    assert out == "  #  define K 48 /* depth */\r\n#define KK 3\nint a[K];\n"


def test_substitute_defines_errors():
    with pytest.raises(SpecError, match="no `#define` for shape symbol"):
        substitute_defines("#define N 4\n", {"N": 2, "M": 3}, filename="k.cu")
    with pytest.raises(SpecError, match="not of the form"):
        substitute_defines("#define N(x) (x)\n", {"N": 2})
    with pytest.raises(SpecError, match="continues on the next line"):
        substitute_defines("#define N 4 \\\n  + 1\n", {"N": 2})


def test_spec_source_materializes_case(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    assert read_defines(spec.source("c", 0), ["N", "M"]) == {"N": "8", "M": "3"}
    assert read_defines(spec.source("c", 1), ["N", "M"]) == {"N": "6", "M": "5"}


# ------------------------------------------------------------------------------------------ inputs
def test_make_args_is_deterministic_and_typed(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    a1 = spec.make_args("c", 1, seed=7)
    a2 = spec.make_args("c", 1, seed=7)
    a3 = spec.make_args("c", 1, seed=8)
    for x, y in zip(a1, a2):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(a1[0], a3[0])
    X, idx, Y, b = a1
    assert X.dtype == np.float32 and X.shape == (5, 6) and X.flags.c_contiguous
    assert idx.dtype == np.int32 and sorted(idx.tolist()) == list(range(6))  # a permutation
    assert Y.dtype == np.float32 and not Y.any()  # outputs start as zeros
    assert isinstance(b, np.float32) and b == np.float32(2.5)


def test_dialects_share_values_then_cast(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    c = spec.make_args("c", 0, seed=3)
    cu = spec.make_args("cuda", 0, seed=3)
    vn = spec.make_args("vnni", 0, seed=3)
    assert cu[0].dtype == np.float16
    np.testing.assert_array_equal(cu[0], c[0].astype(np.float16))
    np.testing.assert_array_equal(cu[1], c[1])
    assert vn[0].dtype == np.int8 and vn[0].min() >= -3 and vn[0].max() <= 3
    assert vn[2].dtype == np.int32


def test_init_kinds(tmp_path):
    text = edited('init = "normal"', 'init = "sparse(0.5)"')
    spec = load_spec(write_spec(tmp_path, text))
    x = spec.make_args("c", 0)[0]
    assert 0 < int((x == 0).sum()) < x.size


def test_init_out_of_dtype_range_is_an_error(tmp_path):
    text = edited('init = { X = "randint(-3, 4)" }', 'init = { X = "randint(0, 1000)" }')
    spec = load_spec(write_spec(tmp_path, text))
    with pytest.raises(SpecError, match="outside the range of int8"):
        spec.make_args("vnni", 0)


# ------------------------------------------------------------------------------------------ comparison
def test_compare_reports_first_mismatch():
    e = np.arange(12, dtype=np.float64).reshape(3, 4)
    a = e.astype(np.float32)
    assert compare(a, e, 1e-4, 1e-5).ok
    a[1, 2] += 1.0
    a[2, 3] += 0.5
    c = compare(a, e, 1e-4, 1e-5, name="Y")
    assert not c.ok and c.mismatches == 2 and c.total == 12
    assert c.first_index == (1, 2) and c.first_actual == pytest.approx(7.0) and c.first_expected == 6.0
    assert c.max_abs == pytest.approx(1.0) and c.max_rel == pytest.approx(1.0 / 6.0)
    assert "Y: MISMATCH" in str(c) and "[1, 2]" in str(c)


def test_compare_nan_inf_shape_and_none():
    e = np.array([1.0, np.nan, np.inf])
    assert compare(np.array([1.0, np.nan, np.inf]), e, 0, 0).ok
    assert not compare(np.array([1.0, 0.0, np.inf]), e, 0, 0).ok
    assert not compare(np.array([1.0, np.nan, -np.inf]), e, 0, 0).ok
    assert "shape" in compare(np.zeros(2), e, 0, 0).message
    assert not compare(None, e, 0, 0).ok


def test_check_against_reference(tmp_path):
    spec = load_spec(write_spec(tmp_path))
    for dialect in ("c", "vnni", "cuda"):
        args = spec.make_args(dialect, 1)
        exp = spec.expected(dialect, 1, args)
        good = exp["Y"].astype(args[2].dtype)
        assert spec.check(dialect, 1, args, [None, None, good, None]).ok
        bad = good.copy()
        bad[4, 5] += 1
        report = spec.check(dialect, 1, args, [None, None, bad, None])
        assert not report.ok and report.outputs[0].first_index == (4, 5)
        assert "toy/" + dialect in str(report)
    # integer output: the reference (float64) is rounded and compared exactly
    args = spec.make_args("vnni", 0)
    assert spec.expected("vnni", 0, args)["Y"].dtype == np.int32


def test_reference_errors(tmp_path):
    folder = write_spec(tmp_path, reference="def toy(**_):\n    return {}\n")
    spec = load_spec(folder)
    with pytest.raises(SpecError, match="did not return output 'Y'"):
        spec.expected("c", 0, spec.make_args("c", 0))


# ------------------------------------------------------------------------------------------ the corpus
POW2 = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}


def test_corpus_specs_are_valid():
    specs = load_corpus()
    assert len(specs) == 36
    for spec in specs:
        assert len(spec.cases) >= 2, spec.op
        assert any(v not in POW2 for case in spec.cases for v in case.values()), spec.op
        assert set(spec.dialects) == {"c", "vnni", "cuda", "hip", "bang"}, spec.op
        for d in spec.dialects:
            args = spec.make_args(d, 0)
            outputs = spec.expected(d, 0, args)
            assert set(outputs) == {a.name for a in spec.args if a.is_output}
            size = sum(a.nbytes for a in args if isinstance(a, np.ndarray))
            assert size < 4 << 20, (spec.op, size)
            path = spec.source_path(d)
            if path.is_file():  # the committed file is written for case 0
                defines = read_defines(path.read_text(), spec.symbols)
                assert defines == {k: str(v) for k, v in spec.case(0).items()}, (spec.op, d)


def test_iter_corpus_enumerates_op_dialect_case():
    items = list(iter_corpus(ops=["gemm", "add"], dialects=["c", "cuda"]))
    ids = [it.id for it in items]
    assert ids[0] == "add/c/0" and "gemm/cuda/2" in ids
    assert len(ids) == len({*ids}) == 2 * (3 + 3)
    assert corpus_root().name == "corpus"


@pytest.mark.corpus
def test_c_corpus_runs_on_the_executor():
    pytest.importorskip("xpiler.exec")
    from xpiler.verify.spec import run_case

    for item in iter_corpus(ops=["gemm", "conv2d_nhwc", "scatter", "layernorm"], dialects=["c"]):
        report = run_case(item.spec, item.dialect, item.case)
        assert report.ok, str(report)


def test_readme_table_is_current():
    from xpiler.verify.spec import corpus_table

    readme = (corpus_root() / "README.md").read_text()
    assert corpus_table(load_corpus()) in readme, "regenerate the table at the end of benchmarks/corpus/README.md"
