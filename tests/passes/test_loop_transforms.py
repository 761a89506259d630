"""loop_split / loop_reorder / loop_fuse / loop_expand / loop_contract: each rewrite runs the same iterations
(Z3 obligation) and gives the same outputs; reorder and sibling fusion refuse when a dependence forbids;
the obligations fail on wrong transformations."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from xpiler.passes import _deps as D
from xpiler.passes import loop_contract, loop_expand, loop_fuse, loop_reorder, loop_split
from xpiler.passes.loop_contract import roll_obligation

from xpiler.exec import run_kernel
from xpiler.ir import nodes as N
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import corpus_root, load_spec

SRC = r"""
#define M 6
#define N 10
extern "C" void k(const float* A, float* B, float* C) {
  for (int i = 0; i < M; ++i) {
    for (int j = 0; j < N; ++j) {
      B[i * N + j] = A[j * M + i] * 2.0f + (float)j;
    }
  }
  for (int i = 0; i < M; ++i) {
    C[i] = B[i * N] + 1.0f;
  }
  for (int t = 0; t < 3; ++t) {
    C[t] += 1.0f;
  }
}
"""



def apply(module, p: Program, **knobs):
    return module.PASS.run(p, PassContext("c", "c", {f"{module.PASS.name}.{k}": v for k, v in knobs.items()}))


def outputs(p: Program):
    rng = np.random.default_rng(1)
    args = [rng.standard_normal(60).astype(np.float32), np.zeros(60, np.float32), np.zeros(6, np.float32)]
    res = run_kernel(p.text(), "c", args=args, entry=p.entry)
    return res.outputs[1], res.outputs[2]


def same(a: Program, b: Program) -> None:
    for x, y in zip(outputs(a), outputs(b)):
        np.testing.assert_array_equal(x, y)


def all_ok(res) -> bool:
    return all(o.check()[0] is True for o in res.obligations)


@pytest.fixture(scope="module")
def prog() -> Program:
    return Program.from_source(SRC, "c")


# ------------------------------------------------------------------------------------------------ split


@pytest.mark.parametrize("factor,guard", [(4, True), (5, False)])
def test_split_keeps_the_iterations(prog, factor, guard):
    res = apply(loop_split, prog, factor=factor, loop="j")
    text = res.program.text()
    assert "j_o" in text and "j_i" in text and ("if (" in text) == guard
    assert all_ok(res)
    same(prog, res.program)


def test_split_obligation_fails_on_a_wrong_split(prog):
    func = prog.entry_func
    j = D.loops_in(func)[1]
    _new, loops, guards, defs = loop_split.split_loop(func, j, 4, prog.module.defines())
    ok, _ = D.same_iterations([j], loops, guards, defs, prog.module.defines())
    assert ok is True
    short = dataclasses.replace(loops[1], stop=N.Const(3))  # inner loop one short: iterations lost
    assert D.same_iterations([j], [loops[0], short], guards, defs, prog.module.defines())[0] is False
    overlap = {j.var: N.BinOp("+", N.BinOp("*", N.Var(loops[0].var), N.Const(3)), N.Var(loops[1].var))}
    ok, why = D.same_iterations([j], loops, guards, overlap, prog.module.defines())
    assert ok is False and "same old iteration" in why  # stride 3 with 4 inner: overlapping blocks


# ------------------------------------------------------------------------------------------------ reorder


def test_reorder_interchanges_a_legal_nest(prog):
    res = apply(loop_reorder, prog, order="j,i")
    assert "reordered to (j,i)" in res.notes[0] and all_ok(res)
    same(prog, res.program)


ILLEGAL = r"""
#define N 8
extern "C" void k(float* A) {
  for (int i = 1; i < N; ++i) {
    for (int j = 0; j < N - 1; ++j) {
      A[i * N + j] = A[(i - 1) * N + j + 1] + 1.0f;
    }
  }
}
"""


def test_reorder_refuses_to_reverse_a_dependence():
    p = Program.from_source(ILLEGAL, "c")
    with pytest.raises(PassDeclined, match="dependence"):
        apply(loop_reorder, p, order="j,i")


def test_reorder_obligation_catches_a_triangular_nest():
    p = Program.from_source("#define N 8\nextern \"C\" void k(float* A) {\n  for (int i = 0; i < N; ++i) {\n"
                            "    for (int j = 0; j < i; ++j) { A[i * N + j] = 1.0f; }\n  }\n}\n", "c")
    i, j = D.loops_in(p.entry_func)
    with pytest.raises(PassDeclined, match="bounds"):
        apply(loop_reorder, p, order="j,i")
    # swapping the headers blindly (j over 0..N, i over 0..N) runs more iterations
    j2 = dataclasses.replace(j, stop=N.Var(p.module.defines()["N"].sym))
    ok, _why = D.same_iterations([i, j], [j2, i], [], {}, p.module.defines())
    assert ok is False


# ------------------------------------------------------------------------------------------------ fuse


def test_fuse_nest_collapses_two_loops(prog):
    res = apply(loop_fuse, prog)
    assert "for (int i_j = 0; i_j < M * N; ++i_j)" in res.program.text() and all_ok(res)
    same(prog, res.program)
    new = D.loops_in(res.program.entry_func)[0]
    i, j = D.loops_in(prog.entry_func)[:2]
    wrong = {i.var: N.BinOp("/", N.Var(new.var), N.Const(11)), j.var: N.BinOp("%", N.Var(new.var), N.Const(10))}
    assert D.same_iterations([i, j], [new], [], wrong, prog.module.defines())[0] is False


def test_fuse_siblings_when_legal(prog):
    res = apply(loop_fuse, prog, mode="siblings")
    assert "fused loops i and i" in res.notes[0] and all_ok(res)
    same(prog, res.program)


def test_fuse_siblings_refuses_a_forward_read():
    p = Program.from_source("#define N 8\nextern \"C\" void k(const float* a, float* b, float* c) {\n"
                            "  for (int i = 0; i < N; ++i) { b[i] = a[i]; }\n"
                            "  for (int i = 0; i < N - 1; ++i) { c[i] = b[i + 1]; }\n"
                            "  for (int i = 0; i < N - 1; ++i) { c[i] += b[i]; }\n}\n", "c")
    # loops 1 and 2 differ in trip count; 2 and 3 touch c[i] in the same iteration only: fused
    res = apply(loop_fuse, p, mode="siblings")
    assert res.program.text().count("for (") == 2
    q = Program.from_source("#define N 8\nextern \"C\" void k(const float* a, float* b, float* c) {\n"
                            "  for (int i = 0; i < N; ++i) { b[i] = a[i]; }\n"
                            "  for (int i = 0; i < N; ++i) { c[i] = b[(i + 1) % N]; }\n}\n", "c")
    with pytest.raises(PassDeclined, match="dependence"):
        apply(loop_fuse, q, mode="siblings")


# ------------------------------------------------------------------------------------------------ expand / contract


def test_expand_then_contract_round_trip(prog):
    res = apply(loop_expand, prog)  # innermost loop with trip count <= 8: the i loop over C (6)
    assert res.program.text().count("const int i = ") == 6 and all_ok(res)
    same(prog, res.program)
    back = apply(loop_contract, res.program)
    assert "rolled 6 copies" in back.notes[0] and all_ok(back)
    same(prog, back.program)


def test_partial_unroll(prog):
    res = apply(loop_expand, prog, factor=2, loop="j")
    assert "j_u" in res.program.text() and all_ok(res)
    same(prog, res.program)


def test_contract_obligation_rejects_a_gap():
    loop = N.For(N.Sym("v"), N.Const(0), N.Const(3), N.Const(1), ())
    assert roll_obligation(loop, [0, 1, 2], {})()[0] is True
    assert roll_obligation(loop, [0, 1, 3], {})()[0] is False


# ------------------------------------------------------------------------------------------------ corpus smoke


@pytest.mark.corpus
@pytest.mark.parametrize("op,module,knobs", [("gemm", loop_split, {"factor": 32, "loop": "k"}),
                                             ("transpose", loop_reorder, {"order": "n,m"}),
                                             ("dense", loop_fuse, {})])
def test_corpus_kernels_after_a_transform(op, module, knobs):
    spec = load_spec(corpus_root() / op)
    res = apply(module, source_program(spec, "c", 0), **knobs)
    assert all_ok(res)
    assert check_program(spec, "c", 0, res.program).ok
