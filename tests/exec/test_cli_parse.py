"""`xpiler parse` end to end: malformed input fails fast with file:line:col, exit 2 and no output file;
good input reports, prints back and dumps."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

GOOD = {
    "c": 'extern "C" void vadd(const float* a, float* c, int n) {\n  for (int i = 0; i < n; ++i) c[i] = a[i] + 1.0f;\n}\n',
    "cuda": "__global__ void k(float* x, int n) {\n  int i = blockIdx.x * blockDim.x + threadIdx.x;\n"
            "  if (i < n) x[i] *= 2.0f;\n}\n",
    "bang": '__nram__ float buf[64];\nextern "C" __mlu_global__ void k(float* x) {\n'
            "  __memcpy(buf, x + taskId * 64, 64 * sizeof(float), GDRAM2NRAM);\n"
            "  __bang_add_scalar(buf, buf, 1.0f, 64);\n"
            "  __memcpy(x + taskId * 64, buf, 64 * sizeof(float), NRAM2GDRAM);\n}\n",
}
EXT = {"c": ".c", "cuda": ".cu", "bang": ".mlu"}


def xpiler(*args):
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "xpiler.cli", *map(str, args)], capture_output=True, text=True,
                       timeout=120)
    return r, time.perf_counter() - t0


@pytest.mark.parametrize("dialect", sorted(GOOD))
def test_parse_reports_functions_and_no_opaque(tmp_path, dialect):
    src = tmp_path / f"k{EXT[dialect]}"
    src.write_text(GOOD[dialect])
    r, _ = xpiler("parse", src, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)
    assert rep["dialect"] == dialect
    assert rep["opaque_statements"] == 0 and rep["statements"] >= 2


@pytest.mark.parametrize("dialect", sorted(GOOD))
def test_emit_writes_the_same_program_back(tmp_path, dialect):
    src = tmp_path / f"k{EXT[dialect]}"
    src.write_text(GOOD[dialect])
    out = tmp_path / f"out{EXT[dialect]}"
    r, _ = xpiler("parse", src, "--emit", "-o", out)
    assert r.returncode == 0, r.stderr
    again = tmp_path / f"again{EXT[dialect]}"
    r, _ = xpiler("parse", out, "--emit", "-o", again)
    assert r.returncode == 0, r.stderr
    assert out.read_text() == again.read_text()


def test_dump_is_readable(tmp_path):
    src = tmp_path / "k.cu"
    src.write_text(GOOD["cuda"])
    r, _ = xpiler("parse", src, "--dump")
    assert r.returncode == 0, r.stderr
    assert "threadIdx.x" in r.stdout and "k" in r.stdout


MALFORMED = {
    "truncated": ("k.cu", GOOD["cuda"][: len(GOOD["cuda"]) // 2]),
    "unbalanced": ("k.c", 'extern "C" void f(float* a) {\n  for (int i = 0; i < 4; ++i) { a[i] = 0;\n}\n'),
    "extra_brace": ("k.c", 'extern "C" void f(float* a) {\n  a[0] = 1;\n}\n}\n'),
    "garbage_tokens": ("k.cu", "__global__ void k(float* x) {\n  x[0] = = 3 @@ ;\n}\n"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_source_names_file_line_column(tmp_path, name):
    fname, text = MALFORMED[name]
    src = tmp_path / fname
    src.write_text(text)
    out = tmp_path / "out.txt"
    r, seconds = xpiler("parse", src, "--emit", "-o", out)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert f"{src}:" in r.stderr, r.stderr  # file:line:col
    line_col = r.stderr.split(f"{src}:", 1)[1].split(":")[:2]
    assert all(part.strip().isdigit() for part in line_col), r.stderr
    assert "Traceback" not in r.stderr
    assert not out.exists()
    assert seconds < 30


def test_binary_garbage_is_refused(tmp_path):
    src = tmp_path / "k.cu"
    src.write_bytes(bytes(range(256)) * 40)
    r, _ = xpiler("parse", src)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert str(src) in r.stderr


def test_invalid_utf8_is_refused(tmp_path):
    src = tmp_path / "k.c"
    src.write_bytes(b"void f() {}\n\xff\xfe\n")
    r, _ = xpiler("parse", src)
    assert r.returncode == 2 and "UTF-8" in r.stderr


def test_ten_megabyte_file_fails_fast(tmp_path):
    src = tmp_path / "big.c"
    line = "float x%d = 1.0f;\n"
    with open(src, "w") as f:
        i = 0
        while f.tell() < 10 * 1024 * 1024:
            f.write(line % i)
            i += 1
    r, seconds = xpiler("parse", src)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert seconds < 10


def test_unknown_dialect_is_bad_input(tmp_path):
    src = tmp_path / "k.c"
    src.write_text(GOOD["c"])
    r, _ = xpiler("parse", src, "--dialect", "fortran")
    assert r.returncode == 2 and "unknown dialect" in r.stderr


def test_unknown_extension_is_bad_input(tmp_path):
    src = tmp_path / "k.f90"
    src.write_text("program p\nend program\n")
    r, _ = xpiler("parse", src)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_output_never_overwrites_the_source(tmp_path):
    src = tmp_path / "k.c"
    src.write_text(GOOD["c"])
    r, _ = xpiler("parse", src, "--emit", "-o", src)
    assert r.returncode == 2
    assert src.read_text() == GOOD["c"]
