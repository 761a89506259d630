"""`xpiler translate`, the `A2B` shorthands and `xpiler verify` end to end: outputs are written atomically,
never over the source and not at all on failure; exit codes say what happened."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

VADD = """#define N 300
extern "C" void vscale(const float* a, const float* b, float* c) {
  for (int i = 0; i < N; ++i) {
    c[i] = a[i] * 3.0f + b[i];
  }
}
"""
WRONG = VADD.replace("a[i] * 3.0f", "a[i] * 2.0f")


def xpiler(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "xpiler.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=cwd)


def test_shorthand_translates_and_writes_verified_output(tmp_path):
    src = tmp_path / "vscale.c"
    src.write_text(VADD)
    out = tmp_path / "vscale.cu"
    report = tmp_path / "report.json"
    r = xpiler("c2cuda", src, "-o", out, "--report", report)
    assert r.returncode == 0, r.stderr
    assert "verified" in r.stderr
    text = out.read_text()
    assert "__global__" in text and 'extern "C"' in text and "vscale(" in text
    rep = json.loads(report.read_text())
    assert rep["verified"] and rep["source"] == "c" and rep["target"] == "cuda"
    assert [s["pass_name"] for s in rep["steps"]][0] == "host"
    # the output runs like the source: xpiler verify agrees
    r = xpiler("verify", src, out)
    assert r.returncode == 0, r.stderr


def test_translate_json_to_stdout(tmp_path):
    src = tmp_path / "k.c"
    src.write_text(VADD)
    r = xpiler("translate", src, "--target", "vnni", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["ok"] and "vscale" in data["code"]


def test_never_over_the_source(tmp_path):
    src = tmp_path / "k.c"
    src.write_text(VADD)
    r = xpiler("c2hip", src, "-o", src)
    assert r.returncode == 2
    assert "over its source" in r.stderr
    assert src.read_text() == VADD


def test_bad_input_writes_nothing(tmp_path):
    src = tmp_path / "broken.c"
    src.write_text('extern "C" void f(float* x) {\n  for (int i = 0; i < 4; ++i) {\n    x[i] = 1.0f;\n')
    out = tmp_path / "broken.cu"
    r = xpiler("c2cuda", src, "-o", out)
    assert r.returncode == 2
    assert "broken.c:" in r.stderr
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [src]


def test_unknown_target_is_bad_input(tmp_path):
    src = tmp_path / "k.c"
    src.write_text(VADD)
    r = xpiler("translate", src, "--target", "fortran")
    assert r.returncode == 2 and "fortran" in r.stderr


def test_verify_detects_different_programs(tmp_path):
    a, b = tmp_path / "a.c", tmp_path / "b.c"
    a.write_text(VADD)
    b.write_text(WRONG)
    r = xpiler("verify", a, b)
    assert r.returncode == 6
    assert "DIFFERENT" in r.stderr
    r = xpiler("verify", a, a, "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["equivalent"]


# the device kernel hard-codes its extent while the host copies `size` elements: with size=64 the source
# itself faults, so the Tester must find a size in the source's valid domain (or take the user's)
HARD = """__global__ void k(const float* a, float* b) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < 8192) b[i] = 2.f * a[i];
}
extern "C" void run(const float* a, float* b, int size) {
  float *da, *db;
  cudaMalloc(&da, size * sizeof(float));
  cudaMalloc(&db, size * sizeof(float));
  cudaMemcpy(da, a, size * sizeof(float), cudaMemcpyHostToDevice);
  k<<<(size + 255) / 256, 256>>>(da, db);
  cudaMemcpy(b, db, size * sizeof(float), cudaMemcpyDeviceToHost);
  cudaFree(da);
  cudaFree(db);
}
"""


def test_verify_finds_the_valid_domain_and_takes_given_args(tmp_path):
    src = tmp_path / "hard.cu"
    src.write_text(HARD)
    r = xpiler("verify", src, src)
    assert r.returncode == 0, r.stderr
    assert "size=8192" in r.stderr and "valid domain" in r.stderr
    r = xpiler("verify", src, src, "--json")
    data = json.loads(r.stdout)
    assert data["equivalent"] and data["scalars"] == {"size": 8192} and data["tried"][0].startswith("size=64")
    r = xpiler("verify", src, src, "--args", "size=64")  # the user's value is used as given: the source faults
    assert r.returncode == 6 and "NOT verified" in r.stderr and "size=64" in r.stderr and "out-of-bounds" in r.stderr
    r = xpiler("verify", src, src, "--args", "length=5")
    assert r.returncode == 2 and "no parameter 'length'" in r.stderr


def test_translate_reports_the_tested_values(tmp_path):
    src = tmp_path / "hard.cu"
    src.write_text(HARD)
    out = tmp_path / "hard.c"
    report = tmp_path / "r.json"
    r = xpiler("cuda2c", src, "-o", out, "--report", report, "--args", "size=8192")
    assert r.returncode == 0, r.stderr
    assert "tested with size=8192 (given)" in r.stderr
    rep = json.loads(report.read_text())
    assert rep["verified"] and rep["scalars"] == {"size": 8192} and rep["scalars_given"]
    r = xpiler("translate", src, "--target", "c", "--args", "size=64", "-o", tmp_path / "bad.c")
    assert r.returncode == 6 and "NOT verified" in r.stderr and "size=64" in r.stderr
    assert not (tmp_path / "bad.c").exists()


def test_a_pass_bug_in_strict_mode_is_an_internal_error_with_traceback(tmp_path, monkeypatch, capsys):
    """XPILER_STRICT=1 (the suite's default): a pass that raises a plain exception stops the CLI with exit 7
    and the traceback, instead of a rolled-back step."""
    from xpiler import cli
    from xpiler.pipeline import manager
    from xpiler.pipeline.passes import Pass

    class Broken(Pass):
        name = "host"

        def run(self, program, ctx):
            raise AttributeError("planted bug")

    monkeypatch.setenv("XPILER_STRICT", "1")
    monkeypatch.setattr(manager, "_registry_pass", lambda name: Broken())
    src = tmp_path / "k.c"
    src.write_text(VADD)
    assert cli.main(["c2cuda", str(src), "-o", str(tmp_path / "k.cu")]) == 7
    err = capsys.readouterr().err
    assert "internal error in pass host" in err and "AttributeError: planted bug" in err and "Traceback" in err
    assert not (tmp_path / "k.cu").exists()
    monkeypatch.setenv("XPILER_STRICT", "0")  # without strict mode the same bug is a failed step (exit 5)
    assert cli.main(["c2cuda", str(src), "-o", str(tmp_path / "k.cu")]) == 5
