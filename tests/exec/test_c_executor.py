"""The C and VNNI executors: correct runs, argument checking, and the fault classes they can show."""

import numpy as np
import pytest

from xpiler import BadInput, CompileError, RuntimeFault, run_kernel
from xpiler.exec import compile_program, execute

ADD = """
#define N 1000
extern "C" void vadd(const float* a, const float* b, float* c, int n) {
  for (int i = 0; i < n; ++i) c[i] = a[i] + b[i];
}
"""


def arrays(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)


def test_add_matches_numpy():
    a, b = arrays()
    r = run_kernel(ADD, "c", args=[a, b, np.zeros_like(a), 1000])
    np.testing.assert_array_equal(r.outputs[2], a + b)
    assert r.outputs[3] is None and r.entry == "vadd"
    np.testing.assert_array_equal(r.outputs[0], a)  # inputs come back unchanged


def test_program_is_reusable_and_cached():
    p1 = compile_program(ADD, "c")
    p2 = compile_program(ADD, "c")
    assert p1.path == p2.path
    assert [x.describe() for x in p1.params] == ["const float32*", "const float32*", "float32*", "int32"]
    a, b = arrays(10)
    out = execute(p1, [a, b, np.zeros_like(a), 10]).outputs[2]
    np.testing.assert_array_equal(out, a + b)


def test_wrong_argument_count_and_dtype():
    a, b = arrays()
    with pytest.raises(BadInput, match="takes 4 arguments, 3 given"):
        run_kernel(ADD, "c", args=[a, b, a])
    with pytest.raises(BadInput, match="dtype float64"):
        run_kernel(ADD, "c", args=[a.astype(np.float64), b, a, 1000])
    with pytest.raises(BadInput, match="needs an integer"):
        run_kernel(ADD, "c", args=[a, b, a, 2.5])
    with pytest.raises(BadInput, match="is a scalar"):
        run_kernel(ADD, "c", args=[a, b, a, a])


@pytest.mark.parametrize("index, where", [("i + 1", "offset 4000"), ("i - 1024", "before the start")])
def test_out_of_bounds_read_is_a_fault(index, where):
    src = f'extern "C" void f(const float* a, float* c) {{ for (int i = 0; i < 1000; ++i) c[i] = a[{index}]; }}'
    a, _ = arrays()
    with pytest.raises(RuntimeFault, match=where) as e:
        run_kernel(src, "c", args=[a, np.zeros_like(a)])
    assert e.value.kind == "out-of-bounds" and "arg0" in str(e.value)


def test_out_of_bounds_write_is_a_fault():
    src = 'extern "C" void f(float* c) { for (int i = 0; i <= 999; ++i) c[i + 1] = 1.0f; }'
    with pytest.raises(RuntimeFault, match="arg0") as e:
        run_kernel(src, "c", args=[np.zeros(999, np.float32)])
    assert e.value.kind == "out-of-bounds"


def test_timeout_is_a_fault():
    src = 'extern "C" void f(int* c) { volatile int x = 1; while (x) { c[0]++; } }'
    with pytest.raises(RuntimeFault, match="did not finish within 1 s") as e:
        run_kernel(src, "c", args=[np.zeros(1, np.int32)], timeout=1)
    assert e.value.kind == "timeout"


def test_memory_limit_is_a_fault():
    src = '#include <vector>\nextern "C" void f(int* c) { std::vector<char> v(size_t(8) << 30); c[0] = v[5]; }'
    with pytest.raises(RuntimeFault) as e:
        run_kernel(src, "c", args=[np.zeros(1, np.int32)], memory_mb=512)
    assert e.value.kind in ("memory-limit", "invalid-argument")


def test_integer_division_by_zero_is_a_fault():
    src = 'extern "C" void f(int* c, int d) { c[0] = c[0] / d; }'
    with pytest.raises(RuntimeFault) as e:
        run_kernel(src, "c", args=[np.ones(1, np.int32), 0])
    assert e.value.kind == "arithmetic"


def test_compile_error_names_file_and_line():
    src = 'extern "C" void f(float* c) {\n  c[0] = undefined_name;\n}\n'
    with pytest.raises(CompileError) as e:
        run_kernel(src, "c", args=[np.zeros(1, np.float32)], filename="bad.c")
    assert "bad.c:2" in e.value.log and "undefined_name" in e.value.log


def test_entry_selection():
    src = 'static void helper(float* c) { c[0] = 1; }\nvoid a(float* c) { helper(c); }\nvoid b(float* c) { c[0] = 2; }\n'
    with pytest.raises(BadInput, match="several candidate entry functions"):
        run_kernel(src, "c", args=[np.zeros(1, np.float32)])
    assert run_kernel(src, "c", args=[np.zeros(1, np.float32)], entry="b").outputs[0][0] == 2
    with pytest.raises(BadInput, match="no function named 'zz'"):
        run_kernel(src, "c", args=[np.zeros(1, np.float32)], entry="zz")


def test_plain_c_with_malloc_and_half_types():
    src = '#include <stdlib.h>\nvoid f(float* c, int n) { float* t = malloc(n * sizeof(float)); ' \
          'for (int i = 0; i < n; ++i) t[i] = i; for (int i = 0; i < n; ++i) c[i] = t[i] * 2; free(t); }'
    out = run_kernel(src, "c", args=[np.zeros(7, np.float32), 7]).outputs[0]
    np.testing.assert_array_equal(out, np.arange(7) * 2)


VNNI_DOT = """
extern "C" void dot(const uint8_t* a, const int8_t* b, int32_t* out) {
  __m512i acc = _mm512_setzero_si512();
  for (int i = 0; i < 256; i += 64)
    acc = _mm512_dpbusd_epi32(acc, _mm512_loadu_si512(a + i), _mm512_loadu_si512(b + i));
  _mm512_storeu_si512(out, acc);
}
"""


def _vnni_expected(a, b):
    prod = a.astype(np.int64) * b.astype(np.int64)
    return prod.reshape(4, 16, 4).sum(axis=(0, 2)).astype(np.int32)


def test_vnni_dpbusd_native_semantics():
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, 256).astype(np.uint8)
    b = rng.integers(-128, 128, 256).astype(np.int8)
    r = run_kernel(VNNI_DOT, "vnni", args=[a, b, np.zeros(16, np.int32)])
    np.testing.assert_array_equal(r.outputs[2], _vnni_expected(a, b))


def test_vnni_through_simde(monkeypatch):
    from xpiler.backends import vnni

    monkeypatch.setenv("XPILER_VNNI", "simde")
    vnni.cpu_has_vnni.cache_clear()
    try:
        assert not vnni.cpu_has_vnni()
        rng = np.random.default_rng(2)
        a = rng.integers(0, 256, 256).astype(np.uint8)
        b = rng.integers(-128, 128, 256).astype(np.int8)
        r = run_kernel(VNNI_DOT, "vnni", args=[a, b, np.zeros(16, np.int32)])
        np.testing.assert_array_equal(r.outputs[2], _vnni_expected(a, b))
    finally:
        vnni.cpu_has_vnni.cache_clear()


def test_vnni_aligned_load_of_misaligned_pointer_faults():
    src = 'extern "C" void f(const int8_t* a, int32_t* o) { __m512i v = _mm512_load_si512(a + 1); ' \
          '_mm512_storeu_si512(o, v); }'
    with pytest.raises(RuntimeFault) as e:
        run_kernel(src, "vnni", args=[np.zeros(128, np.int8), np.zeros(16, np.int32)])
    assert e.value.kind == "out-of-bounds"  # #GP on x86 is delivered as SIGSEGV


@pytest.mark.parametrize("op", ["gemm", "transpose", "softmax", "conv2d_nhwc", "gather", "mha"])
def test_vnni_corpus_kernels_through_simde(monkeypatch, op):
    """The SIMDe fallback (CPUs without AVX-512 VNNI) runs the same corpus kernels, masked tails included."""
    from xpiler.backends import vnni
    from xpiler.verify.spec import corpus_root, load_spec, run_case

    monkeypatch.setenv("XPILER_VNNI", "simde")
    vnni.cpu_has_vnni.cache_clear()
    try:
        spec = load_spec(corpus_root() / op)
        report = run_case(spec, "vnni", len(spec.cases) - 1)
        assert report.ok, report
    finally:
        vnni.cpu_has_vnni.cache_clear()
