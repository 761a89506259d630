"""`xpiler run` end to end: the npz contract, exit codes and error messages."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

ADD = 'extern "C" void vadd(const float* a, const float* b, float* c, int n) {\n' \
      '  for (int i = 0; i < n; ++i) c[i] = a[i] + b[i];\n}\n'


def xpiler(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "xpiler.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.fixture
def add_case(tmp_path):
    src = tmp_path / "add.c"
    src.write_text(ADD)
    a = np.arange(10, dtype=np.float32)
    inputs = tmp_path / "in.npz"
    np.savez(inputs, arg0=a, arg1=a * 2, arg2=np.zeros(10, np.float32), arg3=np.int32(10))
    return src, inputs, tmp_path / "out.npz"


def test_run_writes_every_pointer_argument(add_case):
    src, inputs, out = add_case
    r = xpiler("run", src, "--inputs", inputs, "--output", out)
    assert r.returncode == 0, r.stderr
    with np.load(out) as z:
        assert sorted(z.files) == ["arg0", "arg1", "arg2"]
        np.testing.assert_array_equal(z["arg2"], np.arange(10) * 3)


def test_missing_argument_key_is_bad_input(add_case, tmp_path):
    src, _, out = add_case
    bad = tmp_path / "bad.npz"
    np.savez(bad, arg0=np.zeros(3), arg2=np.zeros(3))
    r = xpiler("run", src, "--inputs", bad, "--output", out)
    assert r.returncode == 2 and "arg1 is missing" in r.stderr
    assert not out.exists()


def test_unreadable_inputs_is_bad_input(add_case, tmp_path):
    src, _, out = add_case
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not an npz")
    r = xpiler("run", src, "--inputs", junk, "--output", out)
    assert r.returncode == 2 and "junk.npz" in r.stderr


def test_compile_error_exit_3_names_file_and_line(add_case, tmp_path):
    _, inputs, out = add_case
    src = tmp_path / "broken.c"
    src.write_text('extern "C" void vadd(const float* a, const float* b, float* c, int n) {\n  c[0] = a[0] +;\n}\n')
    r = xpiler("run", src, "--inputs", inputs, "--output", out)
    assert r.returncode == 3 and "broken.c:2" in r.stderr
    assert not out.exists()


def test_runtime_fault_exit_4_writes_nothing(add_case, tmp_path):
    _, inputs, out = add_case
    src = tmp_path / "oob.c"
    src.write_text(ADD.replace("i < n", "i <= n"))
    r = xpiler("run", src, "--inputs", inputs, "--output", out)
    assert r.returncode == 4 and "out-of-bounds" in r.stderr and "arg0" in r.stderr
    assert not out.exists()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x7fELF\x02\x01\x01\x00\x00\x00binary", "NUL bytes"),
        (b"\xff\xfe\xfa garbage", "not valid UTF-8"),
        (b'extern "C" void vadd(float* a) { for (;;) {', "does not compile"),
        (b"int x = 3;\n", "no function definition"),
    ],
)
def test_malformed_sources(tmp_path, add_case, content, message):
    _, inputs, out = add_case
    src = tmp_path / "weird.c"
    src.write_bytes(content)
    r = xpiler("run", src, "--inputs", inputs, "--output", out)
    assert r.returncode in (2, 3) and message in r.stderr and "weird.c" in r.stderr


def test_huge_file_is_refused_quickly(tmp_path, add_case):
    _, inputs, out = add_case
    src = tmp_path / "huge.c"
    src.write_bytes(b"// x\n" * (2 * 1024 * 1024))
    r = xpiler("run", src, "--inputs", inputs, "--output", out)
    assert r.returncode == 2 and "refused" in r.stderr


def test_unknown_dialect_and_extension(tmp_path, add_case):
    src, inputs, out = add_case
    r = xpiler("run", src, "--dialect", "fortran", "--inputs", inputs, "--output", out)
    assert r.returncode == 2 and "unknown dialect 'fortran'" in r.stderr
    odd = tmp_path / "k.xyz"
    odd.write_text(ADD)
    r = xpiler("run", odd, "--inputs", inputs, "--output", out)
    assert r.returncode == 2 and "cannot infer the dialect" in r.stderr


def test_help_lists_commands():
    r = xpiler("--help")
    assert r.returncode == 0 and "run" in r.stdout and "corpus" in r.stdout


def test_a_program_with_headers_from_an_include_folder_runs_and_ports(tmp_path):
    # `-I DIR` as a compiler takes it: a whole program whose helper header sits elsewhere runs, and its CUDA ->
    # HIP port is verified by comparing what both print
    inc = tmp_path / "common"
    inc.mkdir()
    (inc / "scale_helpers.h").write_text("#pragma once\n#define SCALE 3.0f\nstatic inline int blocks(int n) "
                                         "{ return (n + 127) / 128; }\n")
    src = tmp_path / "app" / "prog.cu"
    src.parent.mkdir()
    src.write_text("""#include <cstdio>
#include <scale_helpers.h>
__global__ void scale(float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = SCALE * i;
}
int main(int argc, char* argv[]) {
  int n = 300;
  float* d;
  cudaMalloc(&d, n * sizeof(float));
  scale<<<blocks(n), 128>>>(d, n);
  float h[300];
  cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
  cudaFree(d);
  printf("%s %g\\n", argc > 0 ? "ok" : "?", h[299]);
  return 0;
}
""")
    r = xpiler("run", str(src))
    assert r.returncode == 3 and "scale_helpers.h" in r.stderr  # a compile error without -I
    r = xpiler("run", str(src), "-I", str(inc))
    assert r.returncode == 0 and r.stdout == "ok 897\n[xpiler] main returned 0\n", r.stderr
    out = tmp_path / "prog.hip"
    r = xpiler("cuda2hip", str(src), "-I", str(inc), "-o", str(out))
    assert r.returncode == 0 and "hip -> " not in r.stderr and "verified" in r.stderr, r.stderr
    assert "hipMalloc(&d, n * sizeof(float));" in out.read_text()


def test_a_programs_own_header_that_uses_the_runtime_is_ported_with_it(tmp_path):
    # the helper header calls the CUDA runtime and tests its include guard (as cuda-samples' helper_cuda.h
    # does); the port inlines it, ported by the same table; the line that names the device differs between
    # the platforms' devices and is left out of the comparison; main launches through a kernel pointer
    inc = tmp_path / "common"
    inc.mkdir()
    (inc / "my_helper.h").write_text("""#pragma once
#include <cstdio>
#include <cuda_runtime.h>
#ifdef __CUDA_RUNTIME_H__
#define CHECK(call) do { cudaError_t e_ = (call); if (e_ != cudaSuccess) { \\
  printf("error %s\\n", cudaGetErrorString(e_)); return 1; } } while (0)
static inline int cudaShowDevice(void) {  // the helper's own name, with the runtime's prefix
  cudaDeviceProp p;
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) return -1;
  printf("device: %s (%d.%d)\\n", p.name, p.major, p.minor);
  return 0;
}
#endif
""")
    src = tmp_path / "app.cu"
    src.write_text("""#include <cstdio>
#include "my_helper.h"
__global__ void twice(float* x, int n) {
  int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] = 2.0f * i;
}
int main() {
  void (*kernel)(float*, int) = twice;
  cudaShowDevice();
  int n = 200;
  float* d;
  CHECK(cudaMalloc(&d, n * sizeof(float)));
  kernel<<<(n + 63) / 64, 64>>>(d, n);
  float h[200];
  CHECK(cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost));
  cudaFree(d);
  printf("%g %g\\n", h[1], h[199]);
  return 0;
}
""")
    out = tmp_path / "app.hip"
    r = xpiler("cuda2hip", str(src), "-I", str(inc), "-o", str(out))
    assert r.returncode == 0 and "verified" in r.stderr, r.stderr
    code = out.read_text()
    assert '#include "my_helper.h"' not in code and "cudaShowDevice" in code
    assert "hipGetDeviceProperties(&p, 0)" in code and "#ifdef HIP_INCLUDE_HIP_HIP_RUNTIME_H" in code
    assert "cudaMalloc" not in code and "cudaGetErrorString" not in code
    r = xpiler("run", str(out))
    assert r.returncode == 0 and r.stdout.endswith("2 398\n[xpiler] main returned 0\n"), r.stderr
