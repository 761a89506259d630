"""Frontend input validation: malformed input fails fast with BadInput "FILE:LINE:COL: what", never a
traceback; positions refer to the original text even after keyword rewriting."""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from xpiler import lang
from xpiler.errors import BadInput
from xpiler.frontend import MAX_BYTES
from xpiler.ir import nodes as N

CORPUS = Path(__file__).resolve().parents[2] / "benchmarks" / "corpus"
GEMM_CU = (CORPUS / "gemm" / "gemm.cu").read_text()


def error_of(text, dialect="cuda", path="k.cu") -> str:
    with pytest.raises(BadInput) as e:
        lang.parse(text, dialect, path)
    return str(e.value)


def test_truncated_file_names_the_missing_brace_at_eof():
    text = GEMM_CU[: len(GEMM_CU) // 2]
    msg = error_of(text)
    last_line = text.count("\n") + 1
    assert msg.startswith(f"k.cu:{last_line}:") and "expected '}' before end of file" in msg


def test_unbalanced_closing_brace():
    msg = error_of("void f() { }\n}\n", "c", None)
    assert msg.startswith("<input>:2:1:") and "unexpected '}'" in msg


def test_mismatched_parenthesis():
    msg = error_of("void f() { g(1, 2; }", "c")
    assert msg == "k.cu:1:20: expected ')' before '}' (to close '(' opened at 1:13)"


def test_missing_semicolon_position():
    msg = error_of("void f() {\n  int x = 1\n  int y;\n}\n", "c")
    assert msg.startswith("k.cu:2:12:") and "expected ';'" in msg


def test_unexpected_token():
    msg = error_of("void f() { int x = 1 @ 2; }", "c")
    assert msg.startswith("k.cu:1:") and "unexpected" in msg


def test_positions_refer_to_original_text_after_rewriting():
    # `__nram__` becomes a longer attribute before parsing; the column must still be the original one
    msg = error_of("__nram__ float a[4]; __nram__ float b[4] int c;\n", "bang", "k.mlu")
    assert msg.startswith("k.mlu:1:41:"), msg


def test_binary_garbage_and_nul_bytes():
    assert "binary data" in error_of("\x7fELF\x02\x01\x01\x00\x00\x00garbage")
    assert error_of("int x;\nint\x00 y;").startswith("k.cu:2:4: binary data")
    with pytest.raises(BadInput, match="binary data"):
        lang.parse(b"int x = 1;\xff\xfe".decode("utf-8", "surrogateescape"), "c")


def test_bytes_input_is_validated_too():
    from xpiler.frontend.source import validate

    with pytest.raises(BadInput, match="binary data"):
        validate(b"int \xff;", "x.c")
    assert validate(b"int x;", "x.c") == b"int x;"


def test_empty_input():
    assert "empty input" in error_of("   \n\n")


def test_huge_file_rejected_quickly():
    big = "int x;\n" * (10 * 1024 * 1024 // 7)
    t = time.perf_counter()
    msg = error_of(big)
    assert time.perf_counter() - t < 2.0
    assert msg.startswith("k.cu:1:1:") and str(MAX_BYTES) in msg


def test_deep_nesting_rejected_not_crashing():
    text = "int x = " + "(" * 5000 + "1" + ")" * 5000 + ";"
    assert "nest" in error_of(text, "c")
    ok = lang.parse("int x = " + " + ".join(["a"] * 1000) + ";", "c")
    assert isinstance(ok.items[0], N.Decl)


def test_unknown_constructs_become_opaque_not_errors():
    mod = lang.parse("struct P { int a; };\nvoid f(int *a) { auto l = [](int x) { return x; }; a[0] = l(1); "
                     "label: goto label; }", "c")
    assert isinstance(mod.items[0], N.Opaque)
    body = mod.func("f").body
    assert isinstance(body[0].init, N.OpaqueExpr) and any(isinstance(s, N.Opaque) for s in body)


def test_mutated_corpus_files_never_crash():
    """Random token insertions / deletions: every outcome is a Module or a BadInput, each within a second."""
    rnd = random.Random(7)
    files = sorted(CORPUS.glob("*/*.cu")) + sorted(CORPUS.glob("*/*.mlu")) + sorted(CORPUS.glob("*/*_vnni.cpp"))
    toks = ["{", "}", "(", ")", ";", "__nram__", "<<<", ">>>", "#pragma unroll\n", "#define X(a) a\n", "[", "]",
            '"', "/*", "//", "template<", "::", "__align__(", 'extern "C"', "switch(x){case 1:", "?", ",", "*"]
    for _ in range(150):
        f = rnd.choice(files)
        dialect = {".cu": "cuda", ".mlu": "bang", ".cpp": "vnni"}[f.suffix]
        s = f.read_text()
        for _ in range(rnd.randint(1, 4)):
            p = rnd.randrange(len(s))
            s = s[:p] + rnd.choice(toks) + s[p:] if rnd.random() < 0.6 else s[:p] + s[p + rnd.randint(1, 20):]
        t = time.perf_counter()
        try:
            lang.parse(s, dialect, str(f))
        except BadInput as e:
            assert str(e).startswith(str(f) + ":")
        assert time.perf_counter() - t < 1.0
