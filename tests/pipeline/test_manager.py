"""The pass manager catches broken passes: a wrong step is repaired or rolled back, never verified."""

from __future__ import annotations

import dataclasses

import pytest

from xpiler.ir import nodes as N
from xpiler.ir.visit import Rewriter
from xpiler.pipeline.manager import PassManager, TranslationFailed
from xpiler.pipeline.passes import Pass, PassDeclined, PassResult
from xpiler.pipeline.planner import Plan
from xpiler.pipeline.program import Program

SRC = """
#define N 37
extern "C" void scale_add(const float* x, const float* y, float* out) {
  for (int i = 0; i < N; ++i) {
    out[i] = 2.0f * x[i] + y[i];
  }
}
"""


class _OffByOne(Pass):
    """A deliberately broken rewrite: the loop bound loses one iteration (like a wrong guard)."""

    name = "off_by_one"
    optional = True

    def run(self, program, ctx):
        class R(Rewriter):
            def rewrite_For(self, f):
                return dataclasses.replace(f, stop=N.BinOp("-", f.stop, N.Const(1)))

        return PassResult(program.replace(module=R().rewrite(program.module)), notes=["shortened a loop"])


class _SwapOperands(Pass):
    """A broken rewrite no small hole explains: x and y trade coefficients."""

    name = "swap"

    def __init__(self, optional: bool):
        self.optional = optional

    def run(self, program, ctx):
        class R(Rewriter):
            def rewrite_BinOp(self, b):
                if b.op == "*" and isinstance(b.a, N.Const):
                    return N.BinOp("*", b.a, N.Load(N.Var(_param(program, 1)), b.b.indices))
                if b.op == "+" and isinstance(b.b, N.Load):
                    return N.BinOp("+", b.a, N.Load(N.Var(_param(program, 0)), b.b.indices))
                return None

        return PassResult(program.replace(module=R().rewrite(program.module)))


class _Declines(Pass):
    name = "declines"

    def run(self, program, ctx):
        raise PassDeclined("not for this program")


def _param(program, i):
    return program.entry_func.params[i].sym


def _program():
    return Program.from_source(SRC, "c", path="scale_add.c")


def test_broken_bound_is_repaired_and_verified():
    mgr = PassManager(passes={"off_by_one": _OffByOne()})
    out = mgr.translate(_program(), "c", candidate_plans=[Plan("test", ("off_by_one",))])
    step = out.report.steps[0]
    assert step.status == "repaired", out.report.summary()
    assert any("accepted" in r for r in step.repairs)
    assert out.report.verified
    # the repaired loop runs the full range again
    loop = next(s for s in out.program.entry_func.body if isinstance(s, N.For))
    from xpiler.ir.z3expr import to_z3
    import z3

    assert z3.simplify(to_z3(loop.stop, defines=out.program.module.defines())).as_long() == 37


def test_unrepairable_optional_pass_is_rolled_back():
    mgr = PassManager(passes={"swap": _SwapOperands(optional=True)}, repair_budget_s=10)
    out = mgr.translate(_program(), "c", candidate_plans=[Plan("test", ("swap",))])
    assert out.report.steps[0].status == "rolled back"
    assert "differential test failed" in out.report.steps[0].reason
    assert out.report.verified  # the rolled-back program is the (correct) source
    from xpiler.ir.equal import structural_eq

    assert structural_eq(out.program.module, _program().module)


def test_unrepairable_mandatory_pass_fails_the_translation():
    mgr = PassManager(passes={"swap": _SwapOperands(optional=False)}, repair_budget_s=10)
    with pytest.raises(TranslationFailed) as e:
        mgr.translate(_program(), "c", candidate_plans=[Plan("test", ("swap",))])
    assert not e.value.report.verified
    assert e.value.report.steps[0].status == "rolled back"


def test_declining_pass_falls_back_to_next_plan():
    mgr = PassManager(passes={"declines": _Declines()})
    out = mgr.translate(_program(), "c", candidate_plans=[Plan("first", ("declines",)), Plan("second", ())])
    assert out.report.plan.startswith("second")
    assert out.report.steps[0].status == "declined"
    assert out.report.verified


def test_broken_pass_never_verified_without_checks():
    """With step checks off, the final verification still catches the broken output."""
    mgr = PassManager(passes={"off_by_one": _OffByOne()}, check_steps=False)
    out = mgr.translate(_program(), "c", candidate_plans=[Plan("test", ("off_by_one",))])
    assert not out.report.verified
    assert "final differential test failed" in out.report.reason


# ------------------------------------------------------------------------------------------ strict mode

class _Crashes(Pass):
    """A pass with a bug: an exception that is not an XpilerError."""

    name = "crashes"
    optional = True

    def run(self, program, ctx):
        return {}["no such key"]


class _BadObligation(_OffByOne):
    name = "bad_obligation"

    def run(self, program, ctx):
        from xpiler.pipeline.passes import Obligation

        res = super().run(program, ctx)
        res.obligations.append(Obligation("bound in range", lambda: 1 / 0))
        return res


class _RefusesWithXpilerError(Pass):
    name = "refuses"
    optional = True

    def run(self, program, ctx):
        from xpiler.errors import BadInput

        raise BadInput("construct not supported here")


def test_strict_mode_turns_a_pass_bug_into_an_internal_error():
    from xpiler.errors import InternalError

    mgr = PassManager(passes={"crashes": _Crashes()}, strict=True)
    with pytest.raises(InternalError) as e:
        mgr.translate(_program(), "c", candidate_plans=[Plan("test", ("crashes",))])
    err = e.value
    assert err.where == "pass crashes" and err.exit_code == 7
    assert "KeyError" in str(err) and "Traceback" in str(err) and "return {}[\"no such key\"]" in err.traceback_text
    assert isinstance(err.__cause__, KeyError)


def test_without_strict_mode_a_pass_bug_is_a_failed_step():
    mgr = PassManager(passes={"crashes": _Crashes()}, strict=False)
    out = mgr.translate(_program(), "c", candidate_plans=[Plan("test", ("crashes",))])
    assert out.report.steps[0].status == "error" and "KeyError" in out.report.steps[0].reason
    assert out.report.verified


def test_strict_mode_covers_obligations_and_the_tester():
    from xpiler.errors import InternalError
    from xpiler.verify import tester as real

    with pytest.raises(InternalError) as e:
        PassManager(passes={"bad_obligation": _BadObligation()}, strict=True).translate(
            _program(), "c", candidate_plans=[Plan("test", ("bad_obligation",))])
    assert "obligation 'bound in range' of pass bad_obligation" in str(e.value)
    assert "ZeroDivisionError" in str(e.value)

    class BrokenTester:
        infer_args = staticmethod(real.infer_args)
        differential = staticmethod(real.differential)

        @staticmethod
        def make_tests(specs, seed=0, n=2):
            raise IndexError("tester bug")

    with pytest.raises(InternalError, match="the Tester"):
        PassManager(tester=BrokenTester(), strict=True).translate(_program(), "c", candidate_plans=[Plan("t", ())])
    out = PassManager(tester=BrokenTester(), strict=False).translate(_program(), "c", candidate_plans=[Plan("t", ())])
    assert not out.report.verified and "IndexError" in out.report.reason


def test_strict_mode_keeps_declines_and_xpiler_errors_as_steps():
    mgr = PassManager(passes={"declines": _Declines(), "refuses": _RefusesWithXpilerError()}, strict=True)
    out = mgr.translate(_program(), "c", candidate_plans=[Plan("first", ("declines",)), Plan("second", ("refuses",))])
    assert [s.status for s in out.report.steps] == ["declined", "error"]
    assert out.report.verified


def test_strict_mode_follows_the_environment(monkeypatch):
    from xpiler.errors import strict_mode

    monkeypatch.setenv("XPILER_STRICT", "1")
    assert strict_mode() and PassManager().strict and not PassManager(strict=False).strict
    monkeypatch.setenv("XPILER_STRICT", "0")
    assert not strict_mode() and not PassManager().strict and PassManager(strict=True).strict
    monkeypatch.delenv("XPILER_STRICT")
    assert not strict_mode()


def test_the_suite_runs_in_strict_mode():
    import os

    assert os.environ.get("XPILER_STRICT") == "1"  # tests/conftest.py
