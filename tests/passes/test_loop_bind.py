"""loop_bind: serial kernels (the output of the host pass: a kernel run as one thread / one task) get their
independent loops bound to blockIdx/threadIdx (cuda, hip) or taskId (bang), and still compute the corpus
reference. The wrappers below stand in for the host pass: a corpus .c function made a bare kernel entry
(launch grid=1 block=1 / tasks=1), or a kernel plus a host wrapper that launches it <<<1, 1>>>.

The whole corpus x {cuda, hip, bang} sweep with execution takes minutes; it runs with XPILER_BIND_SWEEP=1.
By default every corpus kernel is bound (pass only, fast) and a representative subset is executed."""

from __future__ import annotations

import dataclasses
import os
import re

import pytest
from xpiler.passes import _bind_common as C
from xpiler.passes import _bind_simt
from xpiler.passes.loop_bind import PASS

from xpiler.ir import nodes as N
from xpiler.ir.visit import walk
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

SPECS = {s.op: s for s in load_corpus()}
DIALECTS = ("cuda", "hip", "bang")
ONE = {"cuda": "grid=1,1,1 block=1,1,1", "hip": "grid=1,1,1 block=1,1,1", "bang": "tasks=1"}


def bare_kernel(op: str, dialect: str) -> Program:
    """The corpus .c function as a bare serial kernel entry of `dialect` (same name and parameters)."""
    p = source_program(SPECS[op], "c", 0)
    items = tuple(dataclasses.replace(i, kind=N.FuncKind.KERNEL) if isinstance(i, N.Func) and i.name == p.entry
                  else i for i in p.module.items)
    return Program(dataclasses.replace(p.module, items=items, dialect=dialect), dialect, p.entry, True, ONE[dialect])


_API = {
    "cuda": ("cudaMalloc((void**)&{d}, {n})", "cudaMemcpy({d}, {h}, {n}, cudaMemcpyHostToDevice)",
             "cudaMemcpy({h}, {d}, {n}, cudaMemcpyDeviceToHost)", "cudaFree({d})", "<<<1, 1>>>"),
    "hip": ("hipMalloc((void**)&{d}, {n})", "hipMemcpy({d}, {h}, {n}, hipMemcpyHostToDevice)",
            "hipMemcpy({h}, {d}, {n}, hipMemcpyDeviceToHost)", "hipFree({d})", "<<<1, 1>>>"),
    "bang": ("cnrtMalloc((void**)&{d}, {n})", "cnrtMemcpy({d}, {h}, {n}, cnrtMemcpyHostToDev)",
             "cnrtMemcpy({h}, {d}, {n}, cnrtMemcpyDevToHost)", "cnrtFree({d})", "<<<dim, cnrtFuncTypeBlock, q>>>"),
}


def hosted_kernel(op: str, dialect: str) -> Program:
    """The corpus .c function as kernel `<name>_dev` plus an extern "C" host wrapper `<name>` that copies the
    buffers to the device and launches the kernel as one thread / task."""
    spec = SPECS[op]
    p = source_program(spec, "c", 0)
    src = spec.source("c", 0)
    name = p.entry
    sig = re.search(r'extern "C" void ' + name + r"\((.*?)\)\s*\{", src, re.DOTALL).group(1)
    params = [re.match(r"(.*?)(\w+)$", s.strip()).groups() for s in sig.split(",")]
    items = tuple(dataclasses.replace(i, name=name + "_dev", kind=N.FuncKind.KERNEL, extern_c=False)
                  if isinstance(i, N.Func) and i.name == name else i for i in p.module.items)
    from xpiler.lang import emit

    kernel_text = emit(dataclasses.replace(p.module, items=items, dialect=dialect), dialect)
    malloc, h2d, d2h, free, launch = _API[dialect]
    lines, args, after = [], [], []
    if dialect == "bang":
        lines += ["cnrtQueue_t q;", "cnrtQueueCreate(&q);"]
    for (typ, pname), arg in zip(params, spec.args):
        if "*" not in typ:
            args.append(pname)
            continue
        elem = typ.replace("const", "").replace("*", "").strip()
        count = 1
        for d in spec.shape(arg, 0):
            count *= d
        nbytes = f"{count} * sizeof({elem})"
        dname = "d_" + pname
        lines += [f"{elem}* {dname};", malloc.format(d=dname, n=nbytes) + ";",
                  h2d.format(d=dname, h=pname, n=nbytes) + ";"]
        if arg.is_output:
            after.append(d2h.format(h=pname, d=dname, n=nbytes) + ";")
        after.append(free.format(d=dname) + ";")
        args.append(dname)
    if dialect == "bang":
        lines.append("cnrtDim3_t dim = {1, 1, 1};")
    lines.append(f"{name}_dev{launch}({', '.join(args)});")
    if dialect == "bang":
        lines.append("cnrtQueueSync(q);")
        after.append("cnrtQueueDestroy(q);")
    host = f'extern "C" void {name}({sig}) {{\n  ' + "\n  ".join(lines + after) + "\n}\n"
    return Program.from_source(kernel_text + "\n" + host, dialect, entry=name)


def bind(program: Program, **knobs):
    return PASS.run(program, PassContext("c", program.dialect, {f"loop_bind.{k}": v for k, v in knobs.items()}))


def builtins_used(program: Program) -> set[str]:
    return {n.name for f in program.module.funcs() if f.kind is N.FuncKind.KERNEL for n in walk(f)
            if isinstance(n, N.Builtin)}


# ------------------------------------------------------------------------------------------------ the corpus


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_corpus_kernel_gets_bound(dialect):
    bound = []
    for op in sorted(SPECS):
        res = bind(bare_kernel(op, dialect))
        axes = builtins_used(res.program)
        assert ("taskId" in axes) if dialect == "bang" else ({"blockIdx.x", "threadIdx.x"} <= axes), op
        assert res.program.launch != ONE[dialect]
        bound.append(op)
    assert len(bound) == len(SPECS) == 36


SAMPLE = [("cuda", "add"), ("cuda", "gemm"), ("cuda", "scatter"), ("cuda", "gatemlp"), ("cuda", "conv1d"),
          ("hip", "softmax"), ("hip", "batchnorm"), ("hip", "deformable_attention"), ("hip", "gather"),
          ("bang", "mha"), ("bang", "transpose"), ("bang", "concat"), ("bang", "maxpool"), ("bang", "layernorm")]


@pytest.mark.corpus
@pytest.mark.parametrize("dialect,op", SAMPLE)
def test_bound_kernel_matches_the_reference(dialect, op):
    res = bind(bare_kernel(op, dialect))
    report = check_program(SPECS[op], "c", 0, res.program)
    assert report.ok, report


@pytest.mark.corpus
@pytest.mark.skipif(not os.environ.get("XPILER_BIND_SWEEP"), reason="full sweep: set XPILER_BIND_SWEEP=1")
@pytest.mark.parametrize("dialect", DIALECTS)
def test_full_corpus_sweep(dialect):
    failed = []
    for op in sorted(SPECS):
        res = bind(bare_kernel(op, dialect))
        if not check_program(SPECS[op], "c", 0, res.program).ok:
            failed.append(op)
        if not all(o.check()[0] is not False for o in res.obligations):
            failed.append(op + " (obligation)")
    assert not failed


@pytest.mark.parametrize("op", ["gemm", "softmax", "mha"])
def test_obligations_hold(op):
    res = bind(bare_kernel(op, "cuda"))
    verdicts = {o.name: o.check() for o in res.obligations}
    assert len(verdicts) == 4
    assert all(ok is True for ok, _ in verdicts.values()), verdicts


@pytest.mark.corpus
@pytest.mark.parametrize("dialect,op", [("cuda", "softmax"), ("hip", "gemm"), ("bang", "add"), ("bang", "gqa")])
def test_host_wrapper_launch_is_updated(dialect, op):
    prog = hosted_kernel(op, dialect)
    assert check_program(SPECS[op], "c", 0, prog).ok  # the serial wrapper itself runs
    res = bind(prog)
    launches = [n for f in res.program.module.funcs() for n in walk(f) if isinstance(n, N.Launch)]
    assert len(launches) == 1
    text = res.program.text()
    if dialect == "bang":
        assert "cnrtFuncTypeUnion4" in text and "{16, 1, 1}" in text
    else:
        assert launches[0].config[1] != N.Const(1)
    report = check_program(SPECS[op], "c", 0, res.program)
    assert report.ok, report


# ------------------------------------------------------------------------------------------------ shapes


def test_band_flattening_and_guard():
    res = bind(bare_kernel("conv1d", "cuda"))  # N*CO*LO = 2*64*126 = 16128 = 63 * 256: exact, no guard
    assert res.program.launch == "grid=63,1,1 block=256,1,1"
    assert "if (" not in res.program.text().split("void conv1d_kernel")[1].split("for")[0]
    res = bind(bare_kernel("gemv", "hip"), block=128)  # 256 rows
    assert res.program.launch == "grid=2,1,1 block=128,1,1"
    res = bind(bare_kernel("relu", "cuda"), block=100)  # not a multiple of 32: the default 256
    assert res.program.launch == "grid=16,1,1 block=256,1,1"


def test_small_trip_count_rounds_block_to_the_wave():
    res = bind(bare_kernel("bmm", "hip"))  # 4*64*64 iterations, all flattened
    assert "b_m_n_flat" in res.program.text()
    res = bind(bare_kernel("instancenorm", "hip"))  # 2*16 = 32 planes: one wave64 block with a guard
    assert res.program.launch == "grid=1,1,1 block=64,1,1"
    assert "if (n_c_flat < N * C)" in res.program.text()


def test_serial_outer_loop_with_independent_inner_loop():
    # scatter's rows may collide (indices are data), the inner loop over columns is independent
    res = bind(bare_kernel("scatter", "cuda"))
    assert "bound (d)" in res.notes[0]


# ------------------------------------------------------------------------------------------------ refusals


def kernel(text: str, dialect: str = "cuda") -> Program:
    launch = ONE[dialect]
    qual = "__mlu_global__" if dialect == "bang" else "__global__"
    return Program.from_source(text.replace("KERNEL", qual), dialect, launch=launch)


def test_reduction_into_one_location_is_not_parallel():
    prog = kernel("#define N 64\nKERNEL void k(const float* x, float* y) {\n"
                  "  for (int i = 0; i < N; ++i) { y[0] += x[i]; }\n}\n")
    with pytest.raises(PassDeclined, match="dependence"):
        bind(prog)


def test_carried_dependence_is_not_parallel():
    prog = kernel("#define N 64\nKERNEL void k(float* a) {\n"
                  "  for (int i = 1; i < N; ++i) { a[i] = a[i - 1] * 0.5f; }\n}\n", "bang")
    with pytest.raises(PassDeclined, match="dependence"):
        bind(prog)


def test_shared_scalar_is_not_parallel():
    prog = kernel("#define N 64\nKERNEL void k(const float* x, float* y) {\n  float s = 0.0f;\n"
                  "  for (int i = 0; i < N; ++i) { s += x[i]; y[i] = s; }\n}\n")
    with pytest.raises(PassDeclined, match="scalar s"):
        bind(prog)


def test_local_array_read_after_the_loop_stays_serial():
    prog = kernel("#define N 64\nKERNEL void k(const float* x, float* y) {\n  float t[N];\n"
                  "  for (int i = 0; i < N; ++i) { t[i] = x[i]; y[i] = t[i]; }\n"
                  "  float u = t[3];\n}\n")
    # the array is written by every iteration and read afterwards: thread-private copies would be wrong
    with pytest.raises(PassDeclined, match="read after"):
        bind(prog)


_ROWS = """#define M 8
#define N 37
KERNEL void k(const float* x, float* y) {
  for (int m = 0; m < M; ++m) {
    int j = 0;
    for (; j + 16 <= N; j += 16) {
      for (int l = 0; l < 16; ++l) { (y + m * N + j)[l] = (x + m * N + j)[l] * 2.0f; }
    }
    if (j < N) {
      const unsigned short t = (unsigned short)((1u << (N - j)) - 1u);
      for (int l = 0; l < 16; ++l) {
        if ((t >> l) & 1) { (y + m * N + j)[l] = ((t >> l) & 1 ? (x + m * N + j)[l] : 0.0f) + 1.0f; }
      }
    }
  }
}
"""


def test_strip_mined_rows_with_a_masked_tail_are_parallel():
    # j is a counter shared by the strip loop and its tail: the strip loop's condition (j + 16 <= N), the
    # tail's (j < N), the tail mask's lane test (l < N - j) and j >= 0 keep each row's accesses in the row
    res = bind(kernel(_ROWS))
    assert "bound (m)" in res.notes[0]


@pytest.mark.parametrize("change", [
    ("if ((t >> l) & 1) { (y", "if (1) { (y"),  # no lane mask: the tail spills into the next row
    ("for (; j + 16 <= N; j += 16) {", "for (; j + 16 <= N; j += 16) {\n      j += 0 * j;"),  # j changes in body
    ("int j = 0;", "int j = -16;"),  # j may be negative
])
def test_strip_mined_rows_without_the_bounds_are_not_parallel(change):
    with pytest.raises(PassDeclined, match="dependence"):
        bind(kernel(_ROWS.replace(*change)))


def test_two_nests_writing_global_memory_are_declined():
    prog = kernel("#define N 64\nKERNEL void k(const float* x, float* y, float* z) {\n"
                  "  for (int i = 0; i < N; ++i) { y[i] = x[i]; }\n"
                  "  for (int i = 0; i < N; ++i) { z[i] = y[N - 1 - i]; }\n}\n")
    with pytest.raises(PassDeclined, match="2 top-level"):
        bind(prog)


def test_parallel_launch_is_left_alone():
    prog = bare_kernel("add", "cuda").replace(launch="grid=4,1,1 block=32,1,1")
    assert not PASS.applies(prog, PassContext("c", "cuda"))
    with pytest.raises(PassDeclined):
        bind(prog)


def test_wrong_binding_fails_its_obligation():
    prog = bare_kernel("gemm", "cuda")
    func = prog.entry_func
    band = C.select_band(func, prog.module)
    # bind a band whose inner loop stops one short, and check it against the real band
    short = dataclasses.replace(band.loops[1], stop=N.BinOp("-", band.loops[1].stop, N.Const(1)))
    outer = dataclasses.replace(band.loops[0], body=(short,))
    wrong_band = dataclasses.replace(band, loops=(outer, short))
    _, _, wrong_model, env = _bind_simt.bind(wrong_band, PassContext("c", "cuda"), "cuda")
    verdicts = {o.name.rsplit(" ", 3)[-1]: o.check()[0] for o in C.obligations(band, wrong_model, env, "gemm")}
    assert False in verdicts.values(), verdicts


@pytest.mark.parametrize("dialect", DIALECTS)
def test_runtime_trip_counts_use_a_strided_loop(dialect):
    import numpy as np

    from xpiler.exec import run_kernel

    prog = kernel("KERNEL void k(const float* x, float* y, int n, int m) {\n"
                  "  for (int i = 0; i < n; ++i) {\n"
                  "    for (int j = 2; j < m; j += 3) { y[i * m + j] = 2.0f * x[i * m + j]; }\n  }\n}\n", dialect)
    res = bind(prog)
    assert "bound (i, j)" in res.notes[0]
    assert all(o.check()[0] is not False for o in res.obligations)
    x = np.arange(77, dtype=np.float32)
    out = run_kernel(res.program.text(), dialect, args=[x, np.zeros_like(x), np.int32(7), np.int32(11)], entry="k",
                     launch=res.program.launch).outputs[1]
    want = np.zeros_like(x)
    want.reshape(7, 11)[:, 2::3] = 2 * x.reshape(7, 11)[:, 2::3]
    np.testing.assert_array_equal(out, want)


# ------------------------------------------------------------------------------------------------ splitting
_TWO_NESTS = """#define N 1000
extern "C" void f(const float* x, float* y, float* z) {
  const float k = 2.0f;
  for (int i = 0; i < N; ++i) { y[i] = x[i] * k; }
  for (int i = 0; i < N; ++i) { z[i] = y[N - 1 - i] + k; }
}
"""


@pytest.mark.parametrize("target", ["cuda", "bang"])
def test_two_nests_become_two_bound_kernels(target):
    # the second nest reads what other iterations of the first wrote (reversed): only a kernel boundary
    # between them keeps that order once both are parallel
    from xpiler import transcompile

    res = transcompile(_TWO_NESTS, "c", target)
    assert res.verified
    launches = re.findall(r"(\w+)<<<([^>]*)>>>", res.code)
    assert len(launches) == 2 and launches[0][0] != launches[1][0]
    assert all(cfg.replace(" ", "") != "1,1" for _, cfg in launches)
    assert any("split into 2 kernels" in n for s in res.report.steps for n in s.notes)


def test_nests_sharing_a_local_array_are_not_split():
    from xpiler import transcompile

    src = _TWO_NESTS.replace("const float k = 2.0f;", "const float k = 2.0f;\n  float t[N];").replace(
        "y[i] = x[i] * k;", "t[i] = x[i]; y[i] = t[i] * k;").replace("y[N - 1 - i] + k", "t[N - 1 - i] + k")
    res = transcompile(src, "c", "cuda")
    assert res.verified
    assert not any("split into" in n for s in res.report.steps for n in s.notes)
    assert "<<<1, 1>>>" in res.code


# ------------------------------------------------------------------------------------------------ NRAM scratch
_NRAM = """#include <bang.h>
#define N 4000
#define TILE 256
__nram__ float buf[TILE];
__mlu_global__ void k(float* x, float* y) {
  int per = (N + taskDim - 1) / taskDim;
  int begin = taskId * per;
  int end = begin + per < N ? begin + per : N;
  for (int off = begin; off < end; off += TILE) {
    int len = end - off < TILE ? end - off : TILE;
    __memcpy(buf, x + off, len * sizeof(float), GDRAM2NRAM);
    __bang_mul_scalar(buf, buf, 3.0f, len);
    __memcpy(y + off, buf, len * sizeof(float), NRAM2GDRAM);
  }
}
// xpiler:launch tasks=16
"""


@pytest.mark.parametrize("target", ["cuda", "hip"])
@pytest.mark.parametrize("tile, how", [(256, "thread-private"), (100000, "expanded")])
def test_nram_scratch_is_per_thread_once_tasks_are_threads(target, tile, how):
    # every task stages through `buf`: bound to threads, one shared array would be a race (the emulator runs
    # threads one after another and would not notice); each thread gets its own copy (small: a local array)
    # or its own slice of a larger global array (above half the per-thread private memory)
    from xpiler import transcompile

    res = transcompile(_NRAM.replace("#define TILE 256", f"#define TILE {tile}"), "bang", target)
    assert res.verified and "threadIdx.x" in res.code
    notes = [n for s in res.report.steps if s.pass_name == "loop_bind" for n in s.notes]
    assert any(how in n for n in notes), notes


def test_shared_module_buffer_of_a_parallel_loop_is_checked():
    # a PARALLEL loop (as loop_recovery marks a task loop) writing one module buffer from every iteration
    prog = kernel("#define N 64\n__device__ float t[N];\n"
                  "KERNEL void k(const float* x, float* y) {\n"
                  "  for (int i = 0; i < N; ++i) { t[0] = x[i]; y[i] = t[0] * 2.0f; }\n}\n")
    f = prog.entry_func
    loop = dataclasses.replace(f.body[0], kind=N.LoopKind.PARALLEL)
    items = tuple(dataclasses.replace(i, body=(loop,)) if i is f else i for i in prog.module.items)
    prog = prog.replace(module=dataclasses.replace(prog.module, items=items))
    with pytest.raises(PassDeclined, match="module buffer shared"):
        C.select_band(prog.entry_func, prog.module)


ROW_MAJOR = """void f(const float *x, float *y, int N, int C, int H, int W) {
  for (int n = 0; n < N; ++n)
    for (int c = 0; c < C; ++c)
      for (int h = 0; h < H; ++h)
        for (int w = 0; w < STOP_W; ++w)
          y[((n * C + c) * H + h) * W + w] = x[0];
}
"""


@pytest.mark.parametrize("stop_w,radix", [("W", True), ("W + 1", False), ("2 * W", False)])
def test_row_major_writes_are_told_apart_without_a_solver(stop_w, radix):
    # ((n * C + c) * H + h) * W + w with every digit inside its extent: distinct band iterations write distinct
    # elements for every size (the mixed-radix lemma); a digit that can reach its radix breaks it
    from xpiler.lang import parse
    from xpiler.passes._deps import _mixed_radix

    func = parse(ROW_MAJOR.replace("STOP_W", stop_w), "c").func("f")
    loops = [n for n in walk(func) if isinstance(n, N.For)]
    store = next(n for n in walk(func) if isinstance(n, N.Store))
    assert _mixed_radix(store.target.indices[0], tuple(loops), tuple(loops)) is radix
    assert not _mixed_radix(store.target.indices[0], tuple(loops[1:]), tuple(loops))  # n varies in the index
