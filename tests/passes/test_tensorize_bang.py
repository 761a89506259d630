"""tensorize (bang): loops over NRAM lanes become __bang_* intrinsics where the catalogue's loop form
matches and every constraint is proved; everything else stays scalar.

Inputs: corpus .c kernels wrapped by hand as one-task bang kernels, staged by the cache pass."""

from __future__ import annotations

import dataclasses
import re

import pytest
from xpiler.passes import cache, tensorize

from xpiler.ir import nodes as N
from xpiler.ir.types import Pointer, Scope
from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.pipeline.program import Program
from xpiler.verify.corpus_check import check_program, source_program
from xpiler.verify.spec import load_corpus

CTX = PassContext(source="c", target="bang")
SPECS = {s.op: s for s in load_corpus()}


def as_bang_kernel(program: Program) -> Program:
    """A c program whose entry becomes a one-task `__mlu_global__` kernel over GDRAM pointers."""
    items = []
    for it in program.module.items:
        if isinstance(it, N.Func) and it.name == program.entry:
            ps = tuple(dataclasses.replace(q, type=dataclasses.replace(q.type, scope=Scope.GLOBAL))
                       if isinstance(q.type, Pointer) else q for q in it.params)
            it = dataclasses.replace(it, kind=N.FuncKind.KERNEL, params=ps)
        items.append(it)
    module = dataclasses.replace(program.module, dialect="bang", items=tuple(items))
    return Program(module, "bang", program.entry, True, "tasks=1")


def staged(program: Program) -> Program:
    return cache.PASS.run(program, CTX).program


def corpus_bang(op: str, case: int = 0) -> Program:
    return as_bang_kernel(source_program(SPECS[op], "c", case))


def text_bang(text: str) -> Program:
    return as_bang_kernel(Program.from_source(text, "c"))


def intrinsics(text: str) -> set[str]:
    return set(re.findall(r"__bang_\w+", text))


@pytest.fixture
def strict(monkeypatch):
    """The emulator treats the manual's soft rules (alignment, 128-byte lengths) as faults."""
    monkeypatch.setenv("XP_BANG_CHECK", "strict")


@pytest.mark.parametrize("op,case,want", [
    ("add", 0, {"__bang_add"}),
    ("sigmoid", 1, {"__bang_active_sigmoid"}),  # the whole expression is one catalogue entry
    ("softmax", 1, {"__bang_max", "__bang_sub_scalar", "__bang_active_exp", "__bang_reduce_sum",
                    "__bang_mul_scalar"}),
    ("dense", 0, {"__bang_mul", "__bang_reduce_sum"}),
])
def test_corpus_kernels_use_intrinsics_and_run_strict(op, case, want, strict):
    r = tensorize.PASS.run(staged(corpus_bang(op, case)), CTX)
    text = r.program.text()
    assert intrinsics(text) == want
    assert all(ob.check()[0] is True for ob in r.obligations)
    assert check_program(SPECS[op], "c", case, r.program).ok


def test_unaligned_tail_stays_scalar():
    # N = 3000: full tiles are 128-byte multiples, the 24-element tail is not and keeps its scalar loop
    r = tensorize.PASS.run(staged(corpus_bang("add", 1)), CTX)
    text = r.program.text()
    tail = text.split("if (i_full < N)")[1]
    assert "__bang_add" not in tail and "nram_C[i] = nram_A[i] + nram_B[i]" in tail
    assert text.count("__bang_add") == 1


def test_sign_has_no_exact_intrinsic():
    # __bang_active_sign(0) is +1, the kernel's sign(0) is 0: no match, nothing changes
    with pytest.raises(PassDeclined):
        tensorize.PASS.run(staged(corpus_bang("sign")), CTX)


def test_commuted_scalar_operand_matches_and_scalar_first_subtraction_does_not():
    src = """#define LEN 4096
extern "C" void scale_then_flip(const float* a, float* b, float* c, float s) {
  for (int t = 0; t < LEN; ++t) {
    b[t] = s * a[t];
  }
  for (int t = 0; t < LEN; ++t) {
    c[t] = 1.0f - a[t];
  }
}
"""
    r = tensorize.PASS.run(staged(text_bang(src)), CTX)
    text = r.program.text()
    assert intrinsics(text) == {"__bang_mul_scalar"}
    assert "1.0f - nram_a" in text


def test_no_nram_loops_declines():
    with pytest.raises(PassDeclined):
        tensorize.PASS.run(corpus_bang("add"), CTX)  # not staged: GDRAM operands are never vectorized


@pytest.mark.corpus
def test_corpus_sweep_cache_then_tensorize():
    """Every corpus op (case 0): cache + tensorize keeps the reference outputs. Reports the coverage."""
    n_staged = n_intr = 0
    for op in sorted(SPECS):
        p = corpus_bang(op)
        try:
            p = cache.PASS.run(p, CTX).program
            n_staged += 1
        except PassDeclined:
            pass
        try:
            p = tensorize.PASS.run(p, CTX).program
        except PassDeclined:
            pass
        n_intr += bool(intrinsics(p.text()))
        assert check_program(SPECS[op], "c", 0, p).ok, op
    print(f"NRAM staging {n_staged}/{len(SPECS)}, __bang_* intrinsics {n_intr}/{len(SPECS)}")
    assert n_staged >= 30 and n_intr >= 22


@pytest.mark.parametrize("op,case", [("gelu", 1), ("softmax", 1)])
def test_after_host_and_loop_bind(op, case, strict):
    """The real chain: host + loop_bind (tasks split the rows / elements), then cache + tensorize."""
    host = pytest.importorskip("xpiler.passes.host")
    loop_bind = pytest.importorskip("xpiler.passes.loop_bind")
    p = source_program(SPECS[op], "c", case)
    try:
        for ps in (host, loop_bind):
            p = ps.PASS.run(p, CTX).program
    except PassDeclined as e:
        pytest.skip(f"{e}")
    p = tensorize.PASS.run(cache.PASS.run(p, CTX).program, CTX).program
    assert intrinsics(p.text())
    assert check_program(SPECS[op], "c", case, p).ok
