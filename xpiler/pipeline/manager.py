"""The pass manager: run a plan's passes one by one, check each step, repair or roll back, verify the end.

For every pass of a plan:

1. `applies` / `run` (a pass that declines changes nothing);
2. the pass's proof obligations (Z3) — a refuted obligation fails the step, an undecidable one is reported;
3. the differential test of the program before and after the step on the generated tests (the Tester);
4. on failure: localize (first diverging buffer) and repair (xpiler.synth: holes x enumerated candidates,
   each accepted only by the differential test); when no repair passes, the step is rolled back — an optional
   pass (idiom: bind, cache, pipeline, tensorize) is skipped, a mandatory one fails the plan and the manager
   tries the next plan.

The final program is verified against the source on fresh tests (another seed). `verified` is true only if
that check ran and passed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping

from xpiler.errors import InternalError, XpilerError, strict_mode
from xpiler.pipeline.idioms import idioms
from xpiler.pipeline.passes import CheckResult, Pass, PassContext, PassDeclined, PassResult
from xpiler.pipeline.planner import Plan, plans
from xpiler.pipeline.program import Program
from xpiler.pipeline.report import Report, Step


class TranslationFailed(XpilerError):
    """No plan produced a program that passed its checks; `report` says what was tried."""

    exit_code = 5

    def __init__(self, message: str, report: Report):
        super().__init__(message)
        self.report = report


@dataclass
class Outcome:
    program: Program
    report: Report


def _registry_pass(name: str) -> Pass:
    from xpiler.registry import get_pass

    return get_pass(name)


class PassManager:
    """`PassManager(tester=None, passes=None, check_steps=True, repair=True, strict=None, args=None)`.

    `passes` maps pass names to objects and overrides the registry (tests use it to plug a broken pass);
    `tester` is xpiler.verify.tester (or any object with infer_args / make_tests / differential).
    `strict` (default: the environment variable XPILER_STRICT): an exception that is not an XpilerError or
    PassDeclined, raised inside a pass, an obligation's check or the Tester, stops the translation as an
    `InternalError` with its traceback instead of becoming a failed step. `args` gives integer scalar
    arguments of the entry by name (`{"size": 8192}`); the Tester uses them as they are instead of searching
    the source's valid domain."""

    def __init__(self, *, tester: Any = None, passes: Mapping[str, Pass] | None = None, check_steps: bool = True,
                 repair: bool = True, repair_budget_s: float = 30.0, progress: Callable[[str], None] | None = None,
                 strict: bool | None = None, args: Mapping[str, Any] | None = None):
        if tester is None:
            from xpiler.verify import tester as _tester

            tester = _tester
        self.tester = tester
        self.passes = dict(passes or {})
        self.check_steps = check_steps
        self.repair = repair
        self.repair_budget_s = repair_budget_s
        self.progress = progress or (lambda msg: None)
        self.strict = strict_mode(strict)
        self.args = dict(args or {})

    def _internal(self, where: str, e: BaseException) -> None:
        """In strict mode, a non-XpilerError exception is a bug: raise it as an InternalError."""
        if self.strict and not isinstance(e, (XpilerError, PassDeclined)):
            raise InternalError.from_exception(where, e) from e

    def get(self, name: str) -> Pass:
        return self.passes[name] if name in self.passes else _registry_pass(name)

    # ------------------------------------------------------------------------------------------
    def translate(self, program: Program, target: str, *, verify: bool = True, seed: int = 0,
                  knobs: Mapping[str, Any] | None = None, candidate_plans: list[Plan] | None = None,
                  args: Mapping[str, Any] | None = None) -> Outcome:
        """Translate `program` to `target`. `args`: scalar arguments given by the user for the tests
        (overrides the manager's `args`)."""
        t_start = time.monotonic()
        given = dict(args) if args is not None else self.args
        source = program.dialect
        program = program.with_note("source_entry_is_kernel", program.entry_is_kernel)
        try:  # the buffers of the entry contract, measured once on the source (host conversion sizes by them)
            from xpiler.verify.extents import stable_extents

            program = program.with_note("entry_extents", tuple(stable_extents(program)))
        except Exception as e:  # no sizes: passes that need them measure their own input or decline
            self._internal("the extent analysis of the source", e)
        report = Report(source=source, target=target, entry=program.entry)
        ctx = PassContext(source=source, target=target, knobs=dict(knobs or {}), seed=seed)

        specs, tests, test_error, more = None, None, "", []
        if verify:
            t0 = time.monotonic()
            specs, tests, test_error, more = self._tests(program, seed, report, given)
            report.timings["tests"] = time.monotonic() - t0

        candidate_plans = candidate_plans if candidate_plans is not None else plans(source, target)
        if not candidate_plans:
            raise TranslationFailed(f"no plan from {source} to {target}", report)
        final: Program | None = None
        failures = []
        t0 = time.monotonic()
        for plan in candidate_plans:
            self.progress(f"plan {plan}")
            result, why = self._run_plan(plan, program, ctx, tests, report)
            if result is not None:
                final = result
                report.plan = str(plan)
                break
            failures.append(f"{plan.name}: {why}")
        report.timings["passes"] = time.monotonic() - t0
        if final is None:
            report.reason = "; ".join(failures)
            raise TranslationFailed(f"no plan from {source} to {target} succeeded ({report.reason})", report)
        if final.dialect != target:
            report.reason = f"the plan ended in dialect {final.dialect}, not {target}"
            raise TranslationFailed(report.reason, report)

        report.launch = final.launch if final.entry_is_kernel else None
        report.idioms = idioms(final.module)
        if verify:
            t0 = time.monotonic()
            self._final_check(program, final, seed, specs, tests, test_error, report, more)
            report.timings["verify"] = time.monotonic() - t0
        else:
            report.reason = "verification was not requested"
        report.timings["total"] = time.monotonic() - t_start
        return Outcome(final, report)

    # ------------------------------------------------------------------------------------------
    def _tests(self, program: Program, seed: int, report: Report, given: Mapping[str, Any] | None = None):
        """(specs, tests, error, further bindings): the tests every step is checked on, at the first valid
        binding of the source's scalars; the further valid bindings [(scalars, specs)] are for the final
        check."""
        more: list = []
        try:
            if hasattr(self.tester, "valid_domain"):  # the source's valid domain: scalars for which it runs
                dom = self.tester.valid_domain(program, args=given or None)
                report.scalars = dict(dom.scalars)
                report.scalars_given = bool(dom.given)
                report.domain = list(dom.tried)
                if dom.specs is None:
                    return None, None, dom.reason, more
                specs = dom.specs
                more = list(getattr(dom, "more", []))
                report.scalars_more = [dict(sc) for sc, _sp in more]
            else:
                specs = self.tester.infer_args(program)
            tests = self.tester.make_tests(specs, seed=seed)
            report.tests = [self.tester.describe(specs)] if hasattr(self.tester, "describe") else []
            return specs, tests, "", more
        except XpilerError as e:
            return None, None, f"could not generate tests: {e}", more
        except Exception as e:  # the Tester must never crash a translation; it reports
            self._internal("the Tester (test generation)", e)
            return None, None, f"could not generate tests ({type(e).__name__}: {e})", more

    def _differential(self, a: Program, b: Program, tests):
        return self.tester.differential(a, b, tests)

    def _run_plan(self, plan: Plan, program: Program, ctx: PassContext, tests, report: Report):
        cur = program
        for name in plan.passes:
            p = self.get(name)
            step = Step(plan=plan.name, pass_name=name, status="", dialect_before=cur.dialect)
            report.steps.append(step)
            t0 = time.monotonic()
            try:
                nxt, status, reason = self._run_step(p, cur, ctx, tests, step)
            finally:
                step.seconds = time.monotonic() - t0
            step.status, step.reason = status, reason
            step.dialect_after = (nxt or cur).dialect
            self.progress(f"{name}: {status}")
            if nxt is None:
                if p.is_optional(cur):
                    continue
                return None, f"{name} {status}: {reason}"
            cur = nxt
        return cur, ""

    def _run_step(self, p: Pass, cur: Program, ctx: PassContext, tests, step: Step):
        """(next program | None, status, reason). None means: roll back to `cur`."""
        try:
            if not p.applies(cur, ctx):
                return cur, "not applicable", ""
            res: PassResult = p.run(cur, ctx)
        except PassDeclined as e:
            return None, "declined", str(e)
        except XpilerError as e:
            return None, "error", f"{type(e).__name__}: {e}"
        except Exception as e:  # a pass bug is a failed step, reported, never a crash of the translation
            self._internal(f"pass {p.name or type(p).__name__}", e)  # ... unless strict
            return None, "error", f"{type(e).__name__}: {e}"
        step.notes.extend(res.notes)
        if not res.changed:
            return res.program, "unchanged", ""

        # 1. obligations
        refuted = []
        for ob in res.obligations:
            t0 = time.monotonic()
            try:
                ok, detail = ob.check()
            except Exception as e:
                self._internal(f"obligation {ob.name!r} of pass {p.name or type(p).__name__}", e)
                ok, detail = None, f"could not check ({type(e).__name__}: {e})"
            step.checks.append(CheckResult(f"obligation: {ob.name}", ok, detail, time.monotonic() - t0))
            if ok is False:
                refuted.append(ob.name)
        # 2. differential test
        verdict = None
        if tests is not None and self.check_steps:
            t0 = time.monotonic()
            verdict = self._safe_differential(cur, res.program, tests, where=f"the Tester (differential test "
                                                                              f"of pass {p.name})")
            step.checks.append(CheckResult("differential test", verdict.ok, _verdict_text(verdict),
                                           time.monotonic() - t0))
        elif tests is None:
            step.checks.append(CheckResult("differential test", None, "no tests (see the report's reason)"))
        if not refuted and (verdict is None or verdict.ok):
            return res.program, "accepted", ""

        why = (f"obligation refuted: {', '.join(refuted)}" if refuted else "") + \
              (("; " if refuted else "") + f"differential test failed: {_verdict_text(verdict)}"
               if verdict is not None and not verdict.ok else "")
        # 3. localize + repair
        if self.repair and tests is not None:
            from xpiler.synth.repair import repair

            prefer = None
            if verdict is not None and getattr(verdict, "first_divergence", None):
                prefer = verdict.first_divergence[1]
            fixed, log = repair(cur, res.program, tests, self._safe_differential, pass_holes=res.holes,
                                prefer=prefer, budget_s=self.repair_budget_s)
            step.repairs.extend(log)
            if fixed is not None:
                step.checks.append(CheckResult("differential test after repair", True, ""))
                return fixed, "repaired", why
        return None, "rolled back", why

    def _safe_differential(self, a: Program, b: Program, tests, where: str = ""):
        """The differential test; an exception is a failed verdict. With `where` (not during repair, whose
        candidates may be any expression) and strict mode, a non-XpilerError exception is an InternalError."""
        try:
            return self._differential(a, b, tests)
        except Exception as e:
            if where:
                self._internal(where, e)
            return _Failed(f"{type(e).__name__}: {str(e)[:300]}")

    def _final_check(self, source: Program, final: Program, seed: int, specs, tests, test_error: str,
                     report: Report, more=()):
        """Fresh inputs (another seed) at the binding the steps were checked on, and one test at each further
        valid binding of the source's scalars (other sizes: tails, several tiles); verified only if all agree."""
        if tests is None:
            report.final_checks.append(CheckResult("final differential test", None, test_error))
            report.reason = test_error or "no tests"
            return
        try:  # the arguments' shapes and ranges were inferred once; fresh values from another seed
            fresh = self.tester.make_tests(specs, seed=seed + 1_000_003)
            others = [(sc, self.tester.make_tests(sp, seed=seed + 2_000_003, n=1)) for sc, sp in more]
        except Exception as e:
            self._internal("the Tester (fresh tests)", e)
            report.final_checks.append(CheckResult("final differential test", None, f"could not generate: {e}"))
            report.reason = "could not generate fresh tests"
            return
        t0 = time.monotonic()
        v = self._safe_differential(source, final, fresh, where="the Tester (final differential test)")
        report.final_checks.append(CheckResult("final differential test (fresh inputs)", v.ok, _verdict_text(v),
                                               time.monotonic() - t0))
        report.verified = bool(v.ok)
        if not v.ok:
            report.reason = "the final differential test failed: " + _verdict_text(v)
            return
        for scalars, tests2 in others:
            t0 = time.monotonic()
            at = ", ".join(f"{k}={x}" for k, x in scalars.items())
            v = self._safe_differential(source, final, tests2, where="the Tester (final differential test)")
            report.final_checks.append(CheckResult(f"final differential test at {at}", v.ok, _verdict_text(v),
                                                   time.monotonic() - t0))
            if not v.ok:
                report.verified = False
                report.reason = f"the final differential test at {at} failed: " + _verdict_text(v)
                return


@dataclass
class _Failed:
    error: str
    ok: bool = False
    first_divergence: Any = None
    checks: tuple = ()


def _verdict_text(v) -> str:
    if v is None:
        return ""
    err = getattr(v, "error", None)
    if err:
        return str(err)[:300]
    fd = getattr(v, "first_divergence", None)
    if fd:
        try:
            i, name, idx, a, b = fd
            return f"{name} (argument {i}) differs first at [{idx}]: {a!r} vs {b!r}"
        except Exception:
            return str(fd)
    if getattr(v, "ok", False):
        n = getattr(v, "checks", ())
        return f"{len(n)} comparisons agree" if n else "outputs agree"
    return "outputs differ"
