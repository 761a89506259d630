"""Whole files in the styles real code is written in (tests/realstyle/inputs/): they parse with no opaque
statement, run on the executors like numpy, pick the entry a user means, and port between CUDA and HIP into
code the real compilers accept.

The inputs are small but written the way users write them: includes of every kind (one local header that
does not exist), `using namespace nvcuda;`, `typedef unsigned short half;` in C, a vector alias with the
attribute in front in HIP, shapes as #defines or locals, `extern "C"` kernels, `(int)blockIdx.x`,
`__restrict__`, TVM's fused indices, kernels named `sin` and `max`, several kernels and helpers per file,
`#if defined(__GNUC__)` around a function, `#pragma omp parallel for`, streams, events, `__constant__` with
`cudaMemcpyToSymbol`, `cudaThreadSynchronize`, `hipLaunchKernelGGL` and the `hipThreadIdx_x` spellings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from xpiler import run_kernel, transcompile
from xpiler.errors import BadInput
from xpiler.exec.entry import Candidate, choose_entry
from xpiler.exec.scan import find_functions
from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import walk
from xpiler.lang import emit, parse
from xpiler.pipeline.program import Program, select_entry
from xpiler.registry import get_backend

INPUTS = Path(__file__).parent / "inputs"
DIALECT = {".c": "c", ".cu": "cuda", ".hip": "hip", ".cpp": "vnni"}
FILES = sorted(p.name for p in INPUTS.iterdir() if p.suffix in DIALECT)


def _load(name):
    p = INPUTS / name
    return p.read_text(), DIALECT[p.suffix], str(p)


# -- the frontend ------------------------------------------------------------------------------------------


# C++ method calls in host code stay opaque expressions (kept verbatim); nothing else may be opaque
OPAQUE_OK = {"cpp_host.cu": {"tmp.begin()", "tmp.data()"},
             # dynamic shared memory and a namespace alias: kept verbatim (the port copies them)
             "dynsmem.cu": {"extern __shared__ float s[];", "namespace cg = cooperative_groups;"},
             # cooperative groups: method calls and a template type the grammar does not know, verbatim
             "coop_groups.cu": {"namespace cg = cooperative_groups;", "tile.size()", "tile.shfl_down(v, o)",
                                "block.sync()", "tile.thread_rank()",
                                "cg::thread_block_tile<32> tile = cg::tiled_partition<32>(block);"}}


@pytest.mark.parametrize("name", FILES)
def test_whole_file_lifts_without_opaque_code_and_prints_back_stably(name):
    text, d, path = _load(name)
    mod = parse(text, d, path=path)
    opaque = {n.text for n in walk(mod) if isinstance(n, (N.Opaque, N.OpaqueExpr))}
    assert opaque == OPAQUE_OK.get(name, set())
    out = emit(mod, d)
    assert emit(parse(out, d), d) == out


def test_gnu_inline_helper_is_a_device_function():
    text, d, path = _load("warp_reduce.cu")
    f = parse(text, d, path=path).func("warpReduceSum")
    assert f.kind is N.FuncKind.DEVICE and f.inline


def test_vector_alias_with_the_attribute_in_front():
    text, d, path = _load("hip_vec4.hip")
    mod = parse(text, d, path=path)
    alias = [i for i in mod.items if isinstance(i, N.TypeAlias)]
    assert [(a.name, a.type.elem, a.type.lanes) for a in alias] == [("float4_t", "float32", 4)]
    assert isinstance(alias[0].type, T.Vector)
    src = "using v8h = __attribute__((__vector_size__(16))) short;\n__global__ void k(v8h* p) { }\n"
    a = [i for i in parse(src, "hip").items if isinstance(i, N.TypeAlias)][0]
    assert (a.type.elem, a.type.lanes) == ("int16", 8)


def test_vector_alias_named_like_a_runtime_vector_type_is_renamed_in_output_and_runs():
    text, d, path = _load("hip_vec_alias.hip")
    mod = parse(text, d, path=path)
    for dst in ("hip", "cuda"):
        out = emit(mod, dst)
        assert "float4_v v = ((const float4_v*)in)[i];" in out
        assert "float4 " not in out and "float4*" not in out
    x = np.arange(1024, dtype=np.float32)
    res = run_kernel(text, d, args=[np.zeros(1024, np.float32), x, np.float32(3)], filename=path)
    np.testing.assert_array_equal(res.outputs[0], 3 * x)


def test_hip_legacy_index_spellings_are_the_builtins():
    text, d, path = _load("hip_vec4.hip")
    names = {n.name for n in walk(parse(text, d, path=path)) if isinstance(n, N.Builtin)}
    assert {"blockIdx.x", "blockDim.x", "threadIdx.x"} <= names


def test_gnuc_conditional_around_a_function_is_decided_and_others_are_kept():
    text, d, path = _load("half_storage.c")
    mod = parse(text, d, path=path)
    assert [f.name for f in mod.funcs()] == ["clampf", "clamp_copy"]
    assert not [i for i in mod.items if isinstance(i, N.PreprocIf)]
    kept = parse("#if defined(USE_FAST)\nvoid f(float* x) { x[0] = 1; }\n#endif\n", "c")
    assert isinstance(kept.items[0], N.PreprocIf) and not kept.funcs()
    other = parse("#ifndef __GNUC__\nvoid f(float* x) { x[0] = 1; }\n#else\nvoid g(float* x) { x[0] = 2; }\n#endif\n",
                  "c")
    assert [f.name for f in other.funcs()] == ["g"]
    # what the dialect's own compiler always defines is decided too; the device pass's __CUDA_ARCH__ is not
    guarded = "#ifdef __CUDACC__\nvoid h(float* x) { x[0] = 1; }\n#endif\n"
    assert [f.name for f in parse(guarded, "cuda").funcs()] == ["h"]
    assert not parse(guarded, "c").funcs()
    assert not parse(guarded.replace("__CUDACC__", "__CUDA_ARCH__"), "cuda").funcs()


def test_omp_pragma_is_kept_as_a_hint_not_opaque():
    text, d, path = _load("half_storage.c")
    mod = parse(text, d, path=path)
    out = emit(mod, "c")
    assert "#pragma omp parallel for\n  for (int i = 0; i < dim1; ++i)" in out
    f = mod.func("clamp_copy")
    from xpiler.frontend import omp_hint

    k = next(i for i, s in enumerate(f.body) if isinstance(s, N.For))
    assert omp_hint(f.body[k - 1]) == "#pragma omp parallel for" and omp_hint(f.body[k]) is None
    # as CUDA the hint is a comment, never a pragma nvcc would warn about
    assert "// #pragma omp parallel for" in emit(mod, "cuda")
    # a pragma someone commented out stays a comment
    out2 = emit(parse("void f(float* x) {\n  //#pragma omp parallel for\n  x[0] = 1;\n}\n", "c"), "c")
    assert "// #pragma omp parallel for" in out2 and "\n#pragma" not in out2


def test_c_half_typedef_is_not_copied_beside_cuda_half():
    text, d, path = _load("half_storage.c")
    mod = parse(text, d, path=path)
    cu = emit(mod, "cuda")
    assert "typedef unsigned short half" not in cu and "uint16_t* tag" in cu
    assert "typedef unsigned short half;" in emit(mod, "c")  # C keeps its own typedef


def test_c_output_carries_the_headers_it_uses():
    src = "void f(float* x, int n) {\n  bool odd = n % 2 == 1;\n  if (x == NULL) return;\n  x[0] = odd;\n}\n"
    out = emit(parse(src, "c"), "c")
    assert out.startswith("#include <stddef.h>\n#include <stdbool.h>\n")
    assert emit(parse(out, "c"), "c") == out
    plain = emit(parse("#include <stdio.h>\nvoid f(float* x) { if (x != NULL) x[0] = 1; }\n", "c"), "c")
    assert "stddef.h" not in plain  # stdio.h defines NULL


def test_unknown_construct_names_file_line_and_construct():
    with pytest.raises(BadInput) as ei:
        parse("__global__ void k(float* x) {\n  x[0] = 1 +;\n}\n", "cuda", path="bad.cu")
    assert str(ei.value) == "bad.cu:2:12: unexpected '+'"


def test_a_template_declaration_the_grammar_misreads_is_kept_verbatim_not_printed_as_a_comparison():
    src = ("__global__ void k(float* y) {\n  cg::thread_block_tile<32> tile = cg::tiled_partition<32>(b);\n"
           "  y[0] = 1;\n}\n")
    out = emit(parse(src, "cuda"), "cuda")
    assert "  cg::thread_block_tile<32> tile = cg::tiled_partition<32>(b);\n" in out
    assert "(cg::thread_block_tile < 32)" not in out


def test_unmodelled_constructs_are_named_with_file_line_and_text():
    from xpiler.frontend import opaque_sites

    src = ("__global__ void k(float* y, const float* x, int n) {\n"
           "  int i = threadIdx.x;\n"
           "  if (i >= n) goto done;\n"
           "  y[i] = [](float v) { return v * 2.0f; }(x[i]);\n"
           "done:\n"
           "  return;\n"
           "}\n")
    sites = opaque_sites(parse(src, "cuda", path="k.cu").func("k"))
    assert sites == ["k.cu:3:15: `goto done;`", "k.cu:4:3: `[](float v) { return v * 2.0f; }(x[i])`",
                     "k.cu:5:1: `done: return;`"]


# -- the entry a user means --------------------------------------------------------------------------------

ENTRIES = {
    "vec_add_launcher.cu": "vecAddLauncher",  # not extern "C", launches one kernel
    "relu_nvcuda.cu": "relu_invoke",  # extern "C" kernel and extern "C" host function
    "tvm_fused.cu": "add_bias",
    "two_kernels_helpers.cu": "square_then_scale",  # two kernels, two device helpers
    "warp_reduce.cu": "sum_all",
    "events_const.cu": "poly_host",
    "half_scale.cu": "half_scale",
    "main_plus_launcher.cu": "axpy",  # main calls the launcher
    "hip_vec4.hip": "scale4_launch",  # hipLaunchKernelGGL
    "hip_shfl.hip": "row_sum_host",
    "sin_kernel.cu": "sin",  # a bare kernel
    "max_kernel.hip": "max",
    "half_storage.c": "clamp_copy",  # the static helper is no candidate
    "vnni_dot.cpp": "dot_u8s8",
    "atomics_half.cu": "run_hist",
    "hip_symbol_stream.hip": "warp_scale_host",
    "cpp_host.cu": "k_launch",  # std::vector, static_cast, reinterpret_cast, auto, nullptr in host code
    "hip_vec_alias.hip": "scale_vec4_host",  # using float4 = __attribute__((__vector_size__(16))) float;
    "runtime_api_mix.cu": "add_bias_host",
    "dynsmem.cu": "reverse_host",
    "coop_groups.cu": "tile_sum_host",
}


def _exec_entry(text, d, path, entry=None):
    from xpiler.exec.runner import select_entry as run_select

    return run_select(find_functions(text), entry, get_backend(d), path, text).name


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_entry_is_the_same_for_the_executors_and_the_pass_chain(name):
    text, d, path = _load(name)
    assert select_entry(parse(text, d, path=path), None, path).name == ENTRIES[name]
    assert _exec_entry(text, d, path) == ENTRIES[name]
    assert Program.from_source(text, d, path=path).entry == ENTRIES[name]


def test_program_whose_main_launches_is_translated_and_verified_whole():
    # main is the entry (for the executors and the pass chain alike); the port is verified by running both
    # programs and comparing what they print and return
    text, d, path = _load("main_program.cu")
    assert select_entry(parse(text, d, path=path), None, path).name == "main"
    assert _exec_entry(text, d, path) == "main"
    assert _exec_entry(text, d, path, "fill") == "fill"  # the kernel itself can still be chosen
    assert run_kernel(text, d, args=[], filename=path).stdout == "1.000000\n[xpiler] main returned 0\n"
    res = transcompile(text, d, "hip", path=path)
    assert res.verified and "int main()" in res.code and "hipMalloc(&d, n * sizeof(float));" in res.code, res.code
    assert "cuda" not in res.code.replace("<cuda_runtime.h>", "")
    # a wrong program is told apart by its output
    from xpiler.verify.tester import differential

    bad = res.code.replace("1.0f", "2.0f")
    verdict = differential(Program.from_source(text, d, path=path), Program.from_source(bad, "hip"), [[]])
    assert not verdict.ok and "printed output differs at line 1: '1.000000' vs '2.000000'" in " ".join(verdict.checks)


def test_truly_ambiguous_choices_list_the_candidates():
    text, d, path = _load("c_tvm_style.c")
    with pytest.raises(BadInput) as ei:
        _exec_entry(text, d, path)
    assert "transpose_fused (line 5)" in str(ei.value) and "blocked_copy (line 11)" in str(ei.value)
    with pytest.raises(BadInput):
        select_entry(parse(text, d, path=path), None, path)
    two = ("__global__ void a(float* x) { x[0] = 1; }\n__global__ void b(float* x) { x[0] = 2; }\n"
           "void la(float* x) { a<<<1, 1>>>(x); }\nvoid lb(float* x) { b<<<1, 1>>>(x); }\n")
    with pytest.raises(BadInput) as ei:
        _exec_entry(two, "cuda", "two.cu")
    assert "la (line 3), lb (line 4)" in str(ei.value)


def test_rule_prefers_the_top_launcher_and_extern_c_among_tops():
    k = Candidate("k", kernel=True)
    inner = Candidate("launch_k", launches=frozenset({"k"}))
    outer = Candidate("run", calls=frozenset({"launch_k"}))
    assert choose_entry([k, inner, outer], None, "f").name == "run"
    a = Candidate("a", launches=frozenset({"k"}))
    b = Candidate("b", launches=frozenset({"k"}), extern_c=True)
    assert choose_entry([k, a, b], None, "f").name == "b"
    helper = Candidate("helper")
    top = Candidate("compute", calls=frozenset({"helper"}))
    assert choose_entry([helper, top], None, "f").name == "compute"
    dev = Candidate("d", device=True)
    assert choose_entry([dev, k], None, "f").name == "k"
    with pytest.raises(BadInput, match="no function named 'zz'; functions defined: d, k"):
        choose_entry([dev, k], "zz", "f")


# -- the executors -----------------------------------------------------------------------------------------

R = np.random.default_rng(1)


def _f32(n):
    return R.standard_normal(n).astype(np.float32)


def test_template_constructor_declaration_prints_back_compilable():
    text, d, path = _load("cpp_host.cu")
    out = emit(parse(text, d, path=path), d)
    assert "  std::vector<float> tmp(n);" in out or "std::vector<float> tmp = std::vector<float>(n);" in out
    x = _f32(300)
    res = run_kernel(out, d, args=[np.zeros(300, np.float32), x, np.int32(300)])
    np.testing.assert_allclose(res.outputs[0], np.minimum(x, 1) + np.arange(300) % 3, rtol=1e-6)


def test_run_launcher_with_missing_local_include_and_restrict_casts():
    text, d, path = _load("vec_add_launcher.cu")
    a, b = _f32(1000), _f32(1000)
    res = run_kernel(text, d, args=[a, b, np.zeros(1000, np.float32), np.int32(1000)], filename=path)
    np.testing.assert_allclose(res.outputs[2], a + b, rtol=1e-6)
    assert any("local_helpers.h" in w for w in res.warnings)


def test_quoted_system_header_is_not_taken_for_a_missing_local_one():
    text, d, path = _load("hip_symbol_stream.hip")  # #include "hip/hip_runtime.h"
    x = _f32(300)
    res = run_kernel(text, d, args=[x, np.zeros(300, np.float32), np.array([2, 0.5], np.float32), np.int32(300)],
                     filename=path)
    assert not res.warnings


def test_missing_include_that_is_needed_is_named_in_the_compile_error():
    from xpiler.errors import CompileError

    src = '#include "shapes.h"\nvoid f(float* x) { x[0] = SHAPE_N; }\n'
    with pytest.raises(CompileError) as ei:
        run_kernel(src, "c", args=[np.zeros(1, np.float32)], filename="/nonexistent/f.c")
    assert "'shapes.h'" in str(ei.value)


@pytest.mark.parametrize("name, fn", [("sin_kernel.cu", np.sin), ("max_kernel.hip", None)])
def test_kernels_named_like_library_functions_run(name, fn):
    text, d, path = _load(name)
    n = 1024 if fn is not None else 256
    x, y = _f32(n), _f32(n)
    args = [np.zeros(n, np.float32), x] if fn is not None else [np.zeros(n, np.float32), x, y]
    res = run_kernel(text, d, args=args, filename=path)
    assert res.entry == name.split("_")[0]
    want = fn(x) if fn is not None else np.maximum(x, y)
    np.testing.assert_allclose(res.outputs[0], want, rtol=1e-5, atol=1e-6)


def test_c_function_named_max_runs():
    src = "void max(const float* a, const float* b, float* out, int n) {\n" \
          "  for (int i = 0; i < n; i++) out[i] = a[i] > b[i] ? a[i] : b[i];\n}\n"
    a, b = _f32(64), _f32(64)
    res = run_kernel(src, "c", args=[a, b, np.zeros(64, np.float32), np.int32(64)])
    np.testing.assert_array_equal(res.outputs[2], np.maximum(a, b))


def test_file_with_main_runs_its_launcher():
    text, d, path = _load("main_plus_launcher.cu")
    x, y = _f32(100), _f32(100)
    res = run_kernel(text, d, args=[np.float32(2), x, y.copy(), np.int32(100)], filename=path)
    np.testing.assert_allclose(res.outputs[2], 2 * x + y, rtol=1e-6)


def test_kernel_of_a_whole_program_runs_when_chosen_beside_the_users_main():
    text, d, path = _load("main_program.cu")
    res = run_kernel(text, d, args=[np.zeros(1024, np.float32), np.float32(3), np.int32(1024)], entry="fill",
                     launch="grid=4,1,1 block=256,1,1", filename=path)
    assert (res.outputs[0] == 3).all()


def test_tvm_fused_indices_and_extern_c_kernel():
    text, d, path = _load("tvm_fused.cu")
    a, b = _f32(98304), _f32(256)
    res = run_kernel(text, d, args=[np.zeros(98304, np.float32), a, b], filename=path)
    np.testing.assert_allclose(res.outputs[0], a + b[(np.arange(98304) >> 7) & 255], rtol=1e-6)


def test_stream_shuffle_atomic_reduction():
    text, d, path = _load("warp_reduce.cu")
    x = _f32(1000)
    res = run_kernel(text, d, args=[x, np.zeros(1, np.float32), np.int32(1000)], filename=path)
    np.testing.assert_allclose(res.outputs[1][0], x.sum(), rtol=1e-4)


def test_c_with_restrict_omp_typedef_half_and_gnuc_helper():
    text, d, path = _load("half_storage.c")
    x = _f32(512) * 2
    res = run_kernel(text, d, args=[x, np.zeros(512, np.float32), np.zeros(512, np.uint16)], filename=path)
    np.testing.assert_array_equal(res.outputs[1], np.clip(x, -1, 1))
    np.testing.assert_array_equal(res.outputs[2], np.arange(512, dtype=np.uint16))


# -- CUDA <-> HIP ports ------------------------------------------------------------------------------------

PORTS = [n for n in FILES if n.endswith((".cu", ".hip")) and n != "main_program.cu"]


def _port(name):
    from xpiler.pipeline.passes import PassContext
    from xpiler.registry import get_pass

    text, d, path = _load(name)
    dst = "hip" if d == "cuda" else "cuda"
    res = get_pass("port").run(Program.from_source(text, d, path=path), PassContext(d, dst))
    return res.program, dst


@pytest.mark.parametrize("name", PORTS)
def test_port_output_uses_only_the_targets_names_and_headers(name):
    prog, dst = _port(name)
    text = prog.text()
    if dst == "hip":
        assert "#include <hip/hip_runtime.h>" in text
        for word in ("cuda_runtime.h", "cuda_fp16.h", "mma.h", "nvcuda", "cudaMalloc", "cudaThreadSynchronize"):
            assert word not in text
    else:
        assert "#include <cuda_runtime.h>" in text and "hip" not in text.replace("hip_", "")
    assert "local_helpers.h" in text or name != "vec_add_launcher.cu"  # the user's own header stays


def test_port_maps_the_irregular_runtime_names():
    prog, _ = _port("two_kernels_helpers.cu")
    assert "hipDeviceSynchronize();" in prog.text()
    prog, _ = _port("events_const.cu")
    t = prog.text()
    for w in ("hipMemcpyToSymbol(coeffs", "hipEvent_t start", "hipEventElapsedTime(&ms", "hipEventDestroy(stop)"):
        assert w in t
    prog, _ = _port("warp_reduce.cu")
    t = prog.text()
    assert "hipStream_t stream" in t and "hipMemcpyAsync(" in t and "__shfl_down(val, offset, 32)" in t
    assert "atomicAdd(out, v)" in t
    prog, _ = _port("runtime_api_mix.cu")
    t = prog.text()
    for w in ("hipMallocAsync((void**)&dx",
              "hipMemcpyToSymbolAsync(bias, b, 8 * sizeof(float), 0, hipMemcpyHostToDevice, s)",
              "hipDeviceGetAttribute(&clock, hipDeviceAttributeClockRate, 0)",
              "hipSetDeviceFlags(hipDeviceScheduleBlockingSync)",
              "hipHostRegister((void*)x, n * sizeof(float), hipHostRegisterDefault)",
              "hipStreamQuery(s) != hipSuccess",
              "hipOccupancyMaxActiveBlocksPerMultiprocessor(&blocksPerSm, add_bias, 256, 0)",
              "hipDeviceSynchronize();"):
        assert w in t, w


def test_port_renames_inside_macros_and_drops_hip_symbol():
    prog, _ = _port("atomics_half.cu")
    t = prog.text()
    assert "#define CHECK(call) do { hipError_t e = (call); if (e != hipSuccess) { printf(\"%s\\n\", " \
           "hipGetErrorString(e)); } } while (0)" in t
    assert "hipHostMalloc((void**)&pinned" in t and "hipHostFree(pinned)" in t
    prog, _ = _port("hip_symbol_stream.hip")
    t = prog.text()
    assert t.startswith("#include <cuda_runtime.h>\n") and "hip" not in t.replace("hip_", "")
    assert "cudaMemcpyToSymbol(scale_c, s, 2 * sizeof(float));" in t
    assert "__shfl_xor_sync(4294967295u, v, m, 32)" in t


@pytest.mark.parametrize("name", ["hip_symbol_stream.hip", "atomics_half.cu", "runtime_api_mix.cu", "dynsmem.cu",
                                  "coop_groups.cu"])
def test_ported_program_runs_like_its_source(name):
    text, d, path = _load(name)
    prog, dst = _port(name)
    if name == "runtime_api_mix.cu":
        x, b = _f32(1000), _f32(8)
        args = lambda: [np.zeros(1000, np.float32), x, b, np.zeros(8, np.float32), np.int32(1000)]  # noqa: E731
    elif name == "dynsmem.cu":
        x = _f32(64)
        args = lambda: [x.copy(), np.int32(64)]  # noqa: E731
    elif name == "coop_groups.cu":
        x = _f32(1000)
        args = lambda: [x, np.zeros(1, np.float32), np.int32(1000)]  # noqa: E731
    elif name.endswith(".hip"):
        x = _f32(300)
        args = lambda: [x, np.zeros(300, np.float32), np.array([2, 0.5], np.float32), np.int32(300)]  # noqa: E731
    else:
        keys = R.integers(0, 1000, 1000).astype(np.int32)
        h = _f32(1000).astype(np.float16)
        args = lambda: [keys, np.zeros(16, np.int32), h.copy(), np.zeros(1, np.float32),  # noqa: E731
                        np.zeros(1, np.int32), np.int32(1000)]
    a = run_kernel(text, d, args=args(), filename=path)
    ported = run_kernel(prog.text(), dst, args=args())
    for got_src, got_dst in zip(a.outputs, ported.outputs):
        if got_src is not None:
            np.testing.assert_allclose(got_src, got_dst, rtol=1e-6)
    if name == "atomics_half.cu":
        assert (a.outputs[1] == np.bincount(args()[0] & 15, minlength=16)).all()
    if name == "runtime_api_mix.cu":
        np.testing.assert_allclose(a.outputs[0], x + b[np.arange(1000) & 7], rtol=1e-6)
        np.testing.assert_allclose(a.outputs[3], 2 * b, rtol=1e-6)
    if name == "coop_groups.cu":
        np.testing.assert_allclose(a.outputs[1][0], x.sum(), rtol=1e-4)
    if name == "dynsmem.cu":
        rev = x[::-1]
        np.testing.assert_allclose(a.outputs[0][:32], rev[:32] - rev[0], rtol=1e-6)


def test_port_declines_naming_an_unknown_runtime_function():
    from xpiler.pipeline.passes import PassContext, PassDeclined
    from xpiler.registry import get_pass

    src = ("#include <cuda_runtime.h>\n__global__ void k(float* x) { x[threadIdx.x] = 1; }\n"
           "void h(float* x) { float* d; cudaMalloc(&d, 4); cudaFrobnicate(d); k<<<1, 1>>>(d); }\n")
    with pytest.raises(PassDeclined, match="cudaFrobnicate"):
        get_pass("port").run(Program.from_source(src, "cuda"), PassContext("cuda", "hip"))


@pytest.mark.toolchain
@pytest.mark.parametrize("name", PORTS)
def test_port_output_compiles_with_the_real_compiler(name):
    import importlib

    prog, dst = _port(name)
    tc = importlib.import_module(f"xpiler.backends.{dst}.toolchain")
    res = tc.check_compile(prog.text(), f"{Path(name).stem}.{'hip' if dst == 'hip' else 'cu'}")
    if not res.available:
        pytest.skip(res.log)
    assert res.ok, res.log


@pytest.mark.toolchain
@pytest.mark.parametrize("name", ["half_storage.c", "c_tvm_style.c"])
def test_c_inputs_and_their_printed_form_compile_with_gcc(name):
    from xpiler.backends.c.toolchain import check_compile

    text, d, path = _load(name)
    for src in (text, emit(parse(text, d, path=path), d)):
        res = check_compile(src, path)
        if not res.available:
            pytest.skip(res.log)
        assert res.ok, res.log


def test_printers_never_copy_the_other_simt_dialects_headers_or_namespaces():
    text, d, path = _load("relu_nvcuda.cu")
    hip = emit(parse(text, d, path=path), "hip")
    assert hip.startswith("#include <hip/hip_runtime.h>\n\n#define N_ELEM 4096")
    assert "nvcuda" not in hip and "mma.h" not in hip and "cuda_runtime" not in hip
    assert emit(parse(hip, "hip"), "hip") == hip
    text, d, path = _load("hip_symbol_stream.hip")
    cu = emit(parse(text, d, path=path), "cuda")
    assert cu.startswith("#include <cuda_runtime.h>\n") and "hip/" not in cu
    assert emit(parse(text, d, path=path), "hip").startswith('#include "hip/hip_runtime.h"')  # HIP keeps its own


def test_bang_kernel_named_sin_runs():
    src = ("// xpiler:launch tasks=1\n__mlu_global__ void sin(float* y, const float* x) {\n"
           "  __nram__ float buf[256];\n  __memcpy(buf, x, 256 * sizeof(float), GDRAM2NRAM);\n"
           "  for (int i = 0; i < 256; i++) buf[i] = sinf(buf[i]);\n"
           "  __memcpy(y, buf, 256 * sizeof(float), NRAM2GDRAM);\n}\n")
    x = np.linspace(0, 3, 256).astype(np.float32)
    res = run_kernel(src, "bang", args=[np.zeros(256, np.float32), x])
    assert res.entry == "sin"
    np.testing.assert_allclose(res.outputs[0], np.sin(x), atol=1e-6)


def test_c_program_with_main_runs_the_function_main_calls():
    src = ('#include <stdio.h>\n#include "bench.h"\n'
           "static float sq(float v) { return v * v; }\n"
           "void compute(const float* x, float* y, int n) { for (int i = 0; i < n; i++) y[i] = sq(x[i]); }\n"
           "int main(void) { float x[4] = {1, 2, 3, 4}, y[4]; compute(x, y, 4); printf(\"%f\\n\", y[3]); return 0; }\n")
    x = _f32(32)
    res = run_kernel(src, "c", args=[x, np.zeros(32, np.float32), np.int32(32)], filename="/nonexistent/prog.c")
    assert res.entry == "compute"
    np.testing.assert_allclose(res.outputs[1], x * x, rtol=1e-6)


def test_local_header_beside_the_file_is_used_by_the_executor_and_the_check(tmp_path):
    from xpiler.backends.c.toolchain import check_compile

    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "scale.h").write_text("#define SCALE 3.0f\n")
    src = '#include "cfg/scale.h"\nvoid f(float* x, int n) { for (int i = 0; i < n; i++) x[i] *= SCALE; }\n'
    path = str(tmp_path / "k.c")
    res = run_kernel(src, "c", args=[np.ones(4, np.float32), np.int32(4)], filename=path)
    assert (res.outputs[0] == 3).all() and not res.warnings
    (tmp_path / "cfg" / "scale.h").write_text("#define SCALE 5.0f\n")  # the header is part of the build key
    res = run_kernel(src, "c", args=[np.ones(4, np.float32), np.int32(4)], filename=path)
    assert (res.outputs[0] == 5).all()
    assert check_compile(src, path).ok


@pytest.mark.toolchain
def test_c_function_named_sin_passes_the_gcc_check():
    from xpiler.backends.c.toolchain import check_compile

    src = ("void sin(float* y, const float* x) {\n  for (int i = 0; i < 4; ++i) {\n    y[i] = sinf(x[i]);\n  }\n}\n")
    res = check_compile(src, "sin.c")
    if not res.available:
        pytest.skip(res.log)
    assert res.ok and "warning" not in res.log, res.log


def test_program_lines_that_vary_from_run_to_run_are_left_out_of_the_comparison():
    # a timing line differs between two runs of the source itself: it is not compared; the result line is
    text = """#include <cstdio>
#include <ctime>
#include <cuda_runtime.h>
__global__ void fill(float* x, float v) { x[threadIdx.x] = v * threadIdx.x; }
int main() {
  float* d;
  cudaMalloc(&d, 64 * sizeof(float));
  timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  fill<<<1, 64>>>(d, 0.5f);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  float h[64];
  cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
  printf("took %ld ns\\n", (long)(t1.tv_nsec - t0.tv_nsec) + 1000000000L * (long)(t1.tv_sec - t0.tv_sec));
  printf("last %g\\n", h[63]);
  cudaFree(d);
  return 0;
}
"""
    res = transcompile(text, "cuda", "hip")
    assert res.verified, res.report.summary()
    from xpiler.verify.tester import differential

    bad = res.code.replace("0.5f", "0.25f")
    verdict = differential(Program.from_source(text, "cuda"), Program.from_source(bad, "hip"), [[]])
    assert not verdict.ok and "'last 31.5' vs 'last 15.75'" in " ".join(verdict.checks), verdict.checks


def test_a_launcher_that_takes_the_command_line_from_main_makes_the_file_a_program():
    text = """#include <cstdio>
#include <cuda_runtime.h>
__global__ void fill(float* x) { x[threadIdx.x] = 1.0f; }
void runTest(int argc, char **argv) {
  float* d;
  cudaMalloc(&d, 32 * sizeof(float));
  fill<<<1, 32>>>(d);
  float h[32];
  cudaMemcpy(h, d, sizeof h, cudaMemcpyDeviceToHost);
  cudaFree(d);
  printf("%d %g\\n", argc, h[31]);
}
int main(int argc, char **argv) { runTest(argc, argv); }
"""
    assert select_entry(parse(text, "cuda", path="t.cu"), None, "t.cu").name == "main"
    assert _exec_entry(text, "cuda", "t.cu") == "main"
    # main ends without `return` (allowed for main only): the executor's renamed copy still returns 0
    assert run_kernel(text, "cuda", args=[]).stdout == "1 1\n[xpiler] main returned 0\n"
