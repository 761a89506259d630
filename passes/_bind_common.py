"""What loop_bind shares across dialects: choosing the band of loops to bind in a serial kernel, decoding a
flat index into the band's variables, and the Z3 obligations of a binding.

Choosing the band (`select_band`). The kernel body is a list of top-level statements. Exactly one of them
may have effects outside the thread (stores to global memory: parameters, module buffers); it must be a
counted loop. The others only touch thread-local state (scalars, local arrays) and are executed by every
thread (task) redundantly, which is equivalent. Inside that loop, the band is the outermost loop L whose
iterations are independent (LoopKind.PARALLEL, or proven by `_deps`), extended with the perfectly nested
loops below it while the joint test still holds and their bounds do not depend on the band. Above L there
may be serial loops S whose bodies hold only L and pure declarations: then every thread runs the S loops and
its share of L (legal because iterations with different L values never touch the same memory).
Local arrays declared outside the band and written in it become thread-private: allowed only when every
read in an iteration is covered by an earlier write of the same iteration and nothing reads them after.

Limits: one effectful top-level nest per kernel (several nests would need a grid-wide barrier or separate
kernels: declined); bands whose bounds depend on the band itself (triangular) stop the extension; scalars
assigned in the band must be declared in it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar
from xpiler.ir.visit import walk
from xpiler.ir.z3expr import Unsupported, to_z3
from xpiler.pipeline.passes import PassDeclined

from . import _deps as D

INT = Scalar("int32")


@dataclass
class Band:
    func: N.Func
    index: int  # top-level statement of the kernel body that holds the band
    outer: tuple[N.For, ...]  # serial loops above the band (each thread runs them)
    loops: tuple[N.For, ...]  # the band, outermost first
    proof: str  # how independence is known
    facts: D.FuncFacts = field(repr=False, default=None)
    private: tuple[str, ...] = ()  # local arrays that became thread-private
    between: tuple[N.Decl, ...] = ()  # pure declarations between the band's loops (moved inside)

    def inner_body(self) -> tuple:
        """What each iteration of the band runs: the declarations between its loops, then the innermost body."""
        return self.between + self.loops[-1].body

    def extents(self) -> list[N.Expr]:
        return [trip_count(f, self.facts.defines) for f in self.loops]

    def total(self) -> N.Expr:
        t = None
        for e in self.extents():
            t = e if t is None else N.BinOp("*", t, e)
        return t

    def total_const(self) -> int | None:
        return D.expr_constant(self.total(), self.facts.defines)


def trip_count(f: N.For, defines: dict | None = None) -> N.Expr:
    """`ceil((stop - start) / step)` as IR, simplified for the usual `start = 0`, `step = 1`; clamped at 0
    (`t > 0 ? t : 0`) unless it is a constant known (with `defines`) to be non-negative."""
    span = f.stop if _is_int(f.start, 0) else N.BinOp("-", f.stop, f.start)
    t = span if _is_int(f.step, 1) else N.BinOp("/", N.BinOp("+", span, N.BinOp("-", f.step, N.Const(1))), f.step)
    value = D.expr_constant(t, defines or {})
    if value is not None and value >= 0:
        return t
    return N.Select(N.BinOp(">", t, N.Const(0)), t, N.Const(0))


def unclamped(t: N.Expr) -> N.Expr:
    """`t` for a trip count `t > 0 ? t : 0` (as `trip_count` clamps it); anything else unchanged."""
    if (isinstance(t, N.Select) and isinstance(t.b, N.Const) and t.b.value == 0 and isinstance(t.cond, N.BinOp)
            and t.cond.op == ">" and t.cond.a == t.a and isinstance(t.cond.b, N.Const) and t.cond.b.value == 0):
        return t.a
    return t


def _is_int(e: N.Expr, v: int) -> bool:
    return isinstance(e, N.Const) and not isinstance(e.value, (bool, float)) and e.value == v


# ----------------------------------------------------------------------------------------------------------
# band selection


def kernel_effects(func: N.Func, facts: D.FuncFacts) -> list[int]:
    """Indices of the top-level statements that have effects beyond thread-local state."""
    out = []
    for k, s in enumerate(func.body):
        reg = D.analyze((s,), facts)
        if reg.impure or any(a.write and not facts.is_local_array(a.base) for a in reg.accesses) or any(isinstance(j, N.Return) for j, _ in reg.jumps) and k != len(func.body) - 1:
            out.append(k)
    return out


def select_band(func: N.Func, module: N.Module) -> Band:
    facts = D.FuncFacts(func, module)
    if any(isinstance(n, N.Builtin) for n in walk(func)):
        raise PassDeclined("the kernel already uses parallel built-ins")
    eff = kernel_effects(func, facts)
    if not eff:
        raise PassDeclined("the kernel writes no global memory: nothing to bind")
    if len(eff) > 1:
        raise PassDeclined(f"{len(eff)} top-level statements write global memory; binding several nests needs a "
                           "grid-wide barrier or separate kernels (not done)")
    idx = eff[0]
    root = func.body[idx]
    if not isinstance(root, N.For):
        raise PassDeclined(f"the statement that writes global memory is a {type(root).__name__}, not a counted loop")
    later = func.body[idx + 1:]
    reg = D.analyze((root,), facts)
    if reg.impure:
        raise PassDeclined("the loop nest has effects the dependence test cannot model: " + reg.impure[0])
    if any(isinstance(j, N.Return) for j, _ in reg.jumps):
        raise PassDeclined("a return inside the loop nest")
    assigned_loop_vars = {f.var for f in walk(root) if isinstance(f, N.For)} & set(reg.assigned)
    if assigned_loop_vars:
        raise PassDeclined("a loop variable is assigned in its loop body")
    outer: list[N.For] = []
    cur = root
    reasons = []
    while True:
        if cur.kind in (N.LoopKind.SERIAL, N.LoopKind.PARALLEL):
            why = _band_problem((cur,), (), tuple(outer), reg, facts, later)
            if why is None:
                band, between = (cur,), ()
                while True:
                    nxt = _single_loop(band[-1].body, pure_ok=True)
                    if nxt is None or nxt.kind not in (N.LoopKind.SERIAL, N.LoopKind.PARALLEL):
                        break
                    if not all(D.scalars_free_of_loops(e, band + tuple(outer)) for e in (nxt.start, nxt.stop,
                                                                                          nxt.step)):
                        break
                    decls = tuple(d for d in band[-1].body if isinstance(d, N.Decl))
                    # the band's extents are evaluated before it (its flattened trip count): they must not read
                    # scalars declared inside the band's bodies (`end` of a per-task chunk)
                    inside = {d.sym for d in between + decls}
                    if any(isinstance(n, N.Var) and n.sym in inside for e in (nxt.start, nxt.stop, nxt.step)
                           for n in walk(e)):
                        break
                    if _band_problem(band + (nxt,), between + decls, tuple(outer), reg, facts, later) is not None:
                        break
                    band, between = band + (nxt,), between + decls
                private = _privatized(band, between, reg, facts)
                marked = all(f.kind is N.LoopKind.PARALLEL for f in band)
                proof = "marked PARALLEL" if marked else "proved by Z3 (no conflicting accesses)"
                return Band(func, idx, tuple(outer), band, proof, facts, tuple(s.name for s in private), between)
            reasons.append(f"loop {cur.var.name}: {why}")
        nxt = _single_loop(cur.body, pure_ok=True)
        if nxt is None:
            raise PassDeclined("no parallel loop found (" + "; ".join(reasons) + ")")
        outer.append(cur)
        cur = nxt


def _single_loop(body: tuple, pure_ok: bool) -> N.For | None:
    """The only counted loop of `body` when the rest is comments (and, with pure_ok, pure declarations)."""
    loops = [s for s in body if isinstance(s, N.For)]
    rest = [s for s in body if not isinstance(s, (N.For, N.Comment))]
    if len(loops) != 1:
        return None
    if rest and not (pure_ok and all(isinstance(s, N.Decl) for s in rest)):
        return None
    return loops[0]


def _escaping_jumps(stmts: tuple) -> list:
    """Break / Continue statements in `stmts` that leave or continue the enclosing loop."""
    out = []
    for s in stmts:
        if isinstance(s, (N.Break, N.Continue)):
            out.append(s)
        elif isinstance(s, N.If):
            out += _escaping_jumps(s.then) + _escaping_jumps(s.orelse)
        elif isinstance(s, N.Block):
            out += _escaping_jumps(s.body)
        elif isinstance(s, N.Switch):
            out += [j for c in s.cases for j in _escaping_jumps(c.body) if isinstance(j, N.Continue)]
    return out


def _band_problem(band: tuple, between: tuple, outer: tuple, reg: D.Region, facts: D.FuncFacts,
                  later: tuple) -> str | None:
    """Why the band's iterations may not run on different threads, or None when they may. `between` are the
    pure declarations between the band's loops: they move into the innermost body (recomputed per iteration),
    so they must not be assigned nor read memory the band writes."""
    inner = band[-1].body
    if _escaping_jumps(inner):
        return "break/continue of a band loop"
    innermost = D.analyze(inner, facts).declared
    for s in reg.assigned:
        if s not in innermost:
            return f"scalar {s.name} is assigned in the loop but declared outside it (shared between iterations)"
    body_reg = D.analyze(between + inner, facts)
    band_accesses = [a for a in reg.accesses if band[0] in a.loops]
    if between:
        bet = D.analyze(between, facts)
        written = {a.base for a in band_accesses if a.write}
        if bet.impure or any(a.base in written or a.base is None for a in bet.accesses):
            return "a declaration between the band's loops reads memory the band writes"
    # thread-private local arrays
    skip = set(body_reg.declared)
    for base in {a.base for a in band_accesses if a.write and facts.is_local_array(a.base)} - skip:
        ok, why = D.covered_reads(body_reg, base, facts)
        if not ok:
            return f"local array {base.name} would become thread-private but {why}"
        if any(isinstance(n, N.Var) and n.sym is base for s in later for n in walk(s)):
            return f"local array {base.name} is read after the loop"
        if any(isinstance(n, N.Var) and n.sym is base for f in outer for d in f.body if isinstance(d, N.Decl)
               for n in walk(d)):
            return f"local array {base.name} is used outside the band"
        skip.add(base)
    # declarations of the serial loops above the band run on every thread: they must not read what the band writes
    written = {a.base for a in band_accesses if a.write}
    for a in reg.accesses:
        if band[0] not in a.loops and not a.write and (a.base in written or a.base is None):
            return "a declaration above the band reads memory the band writes"
    if all(f.kind is N.LoopKind.PARALLEL for f in band):
        # PARALLEL (a recovered task loop) vouches for the source's memory model, where on-chip buffers
        # (`__nram__`, now module-level arrays) are private to each task. Once the iterations are threads
        # such buffers are shared: they must still pass the dependence test.
        shared = [a for a in band_accesses if a.base in facts.module_buffers]
        if not any(a.write for a in shared):
            return None
        problems = D.band_conflicts(shared, band, facts, skip_bases=skip)
        return None if not problems else "module buffer shared by the iterations: " + problems[0]
    problems = D.band_conflicts(band_accesses, band, facts, skip_bases=skip)
    return None if not problems else "dependence: " + problems[0]


def _privatized(band: tuple, between: tuple, reg: D.Region, facts: D.FuncFacts) -> list:
    declared = D.analyze(between + band[-1].body, facts).declared
    return sorted({a.base for a in reg.accesses if a.write and facts.is_local_array(a.base)
                   and a.base not in declared}, key=lambda s: s.name)


# ----------------------------------------------------------------------------------------------------------
# rewriting helpers


def fresh_name(base: str, func: N.Func) -> str:
    used = {n.sym.name for n in walk(func) if isinstance(n, (N.Var,))} | {
        n.sym.name for n in walk(func) if isinstance(n, (N.Decl, N.Alloc))} | {
        n.var.name for n in walk(func) if isinstance(n, N.For)} | {p.sym.name for p in func.params}
    name, k = base, 1
    while name in used:
        k += 1
        name = f"{base}{k}"
    return name


def decode(band: Band, flat: N.Expr) -> list[N.Decl]:
    """Declarations of the band variables from a flat index in [0, total): row-major, innermost fastest.
    A flat index exists only when every trip count is positive, so the counts' `t > 0 ? t : 0` clamps are
    left out here."""
    ext = [unclamped(e) for e in band.extents()]
    out = []
    for k, f in enumerate(band.loops):
        stride = None
        for e in ext[k + 1:]:
            stride = e if stride is None else N.BinOp("*", stride, e)
        q = flat if stride is None else N.BinOp("/", flat, stride)
        if k > 0:
            q = N.BinOp("%", q, ext[k])
        v = q if _is_int(f.step, 1) else N.BinOp("*", q, f.step)
        if not _is_int(f.start, 0):
            v = N.BinOp("+", f.start, v)
        out.append(N.Decl(f.var, f.var_type or INT, v, const=True))
    return out


def replace_band(band: Band, replacement: N.Stmt) -> N.Func:
    """The kernel with the band's outermost loop replaced by `replacement` (inside the serial loops above)."""
    def rebuild(stmt: N.For, chain: tuple) -> N.Stmt:
        if not chain:
            return replacement
        head, rest = chain[0], chain[1:]
        target = rest[0] if rest else band.loops[0]
        body = tuple(rebuild(s, rest) if s is target else s for s in head.body)
        return _replace(head, body=body)

    chain = band.outer
    root = band.func.body[band.index]
    new_root = rebuild(root, chain) if chain else replacement
    body = band.func.body[:band.index] + (new_root,) + band.func.body[band.index + 1:]
    return _replace(band.func, body=body)


def _replace(node, **kw):
    import dataclasses

    return dataclasses.replace(node, **kw)


# ----------------------------------------------------------------------------------------------------------
# obligations


@dataclass
class BindingModel:
    """A binding in Z3 terms: coordinates with their ranges, which of them are active (inside the guard or
    the per-task range), the band variables they decode to, and a witness mapping the band's row-major
    rank back to coordinates (for onto-ness)."""

    coords: list  # z3 Int
    ranges: list  # z3 Bool per coordinate (or shared)
    active: Any  # z3 Bool
    decoded: list  # z3 Int per band loop
    witness: Callable[[Any], list]  # rank -> coords
    # For a one-thread-per-iteration binding whose decode is exactly `decode(band, flat)` with
    # flat = blockIdx * B + threadIdx guarded by flat < total, or flat in a task's disjoint chunk
    # [taskId * chunk, min(taskId * chunk + chunk, total)): (flat, total, threads or tasks * chunk). Injective
    # and onto then follow from the mixed-radix lemma (decode is a bijection [0, total) -> the band's box
    # when total > 0) plus a premise Z3 checks: the launch has at least `total` threads.
    canonical: tuple | None = None


def band_domain(band: Band, env: dict) -> tuple[list, list, Any]:
    """(vars, constraints, row-major rank) of the band's iteration space."""
    defines = band.facts.defines
    vs, cs = [], []
    rank = z3.IntVal(0)
    for f in band.loops:
        v = z3.Int(f"{f.var.name}!{f.var.id}@dom")
        lo = D._as_int(to_z3(f.start, env, defines))
        hi = D._as_int(to_z3(f.stop, env, defines))
        st = D._as_int(to_z3(f.step, env, defines))
        cs += [lo <= v, v < hi, st > 0, (v - lo) % st == 0]
        ext = D._as_int(to_z3(trip_count(f, defines), env, defines))
        rank = rank * ext + (v - lo) / st
        vs.append(v)
    return vs, cs, rank


def obligations(band: Band, model_fn: Callable[[], BindingModel], env: dict, label: str) -> list:
    from xpiler.pipeline.passes import Obligation

    def guarded(fn):
        def run():
            try:
                return fn()
            except (Unsupported, z3.Z3Exception, ValueError) as e:
                return None, f"not modelled: {e}"
        return run

    def in_range():
        m = model_fn()
        vs, dom, _ = band_domain(band, env)
        claim = z3.And(*[c for c in _subst_dom(dom, vs, m.decoded)])
        ok, cex = _prove(claim, m.ranges + [m.active])
        return ok, "every active coordinate decodes into the iteration space" if ok else f"counterexample {cex}"

    def injective():
        # a left inverse proves injectivity with one copy: coordinates -> iteration -> row-major rank -> the
        # same coordinates again (the witness map)
        m = model_fn()
        if m.canonical is not None:
            return True, "decode(flat) of the mixed-radix lemma, flat = blockIdx * blockDim + threadIdx: injective"
        vs, _, rank = band_domain(band, env)
        back = m.witness(z3.substitute(rank, *zip(vs, m.decoded)))
        claim = z3.And(*[a == b for a, b in zip(back, m.coords)])
        ok, cex = _prove(claim, m.ranges + [m.active])
        return ok, "distinct coordinates give distinct iterations" if ok else f"counterexample {cex}"

    def onto():
        m = model_fn()
        if m.canonical is not None:
            _flat, total, threads = m.canonical
            ok, cex = _prove(z3.Implies(total > 0, threads >= total), [])
            return ok, ("the launch has a thread for every iteration (mixed-radix lemma)" if ok
                        else f"counterexample {cex}")
        vs, dom, rank = band_domain(band, env)
        w = m.witness(rank)
        sub = list(zip(m.coords, w))
        claim = z3.And(*[z3.substitute(r, *sub) for r in m.ranges], z3.substitute(m.active, *sub),
                       *[z3.substitute(d, *sub) == v for d, v in zip(m.decoded, vs)])
        ok, cex = _prove(claim, dom)
        return ok, "every iteration has a coordinate" if ok else f"counterexample {cex}"

    def independent():
        return (None if band.proof.startswith("marked") else True), band.proof

    names = ", ".join(f.var.name for f in band.loops)
    return [Obligation(f"{label}: binding of ({names}) in range", guarded(in_range)),
            Obligation(f"{label}: binding of ({names}) injective", guarded(injective)),
            Obligation(f"{label}: binding of ({names}) onto the iteration space", guarded(onto)),
            Obligation(f"{label}: iterations of ({names}) independent", independent)]


def _subst_dom(dom: list, vs: list, decoded: list) -> list:
    sub = list(zip(vs, decoded))
    return [z3.substitute(c, *sub) for c in dom]


def _prove(claim, assumptions) -> tuple[bool | None, Any]:
    """Prove `claim` under `assumptions` with a small portfolio (Z3's default arithmetic, then its second
    arithmetic solver, which handles the div/mod chains of decoded indices better on some shapes)."""
    for solver_id, timeout in ((None, 3000), (2, 6000)):
        s = z3.Solver()
        if solver_id is not None:
            s.set("smt.arith.solver", solver_id)
        s.set("timeout", timeout)
        s.add(*assumptions)
        s.add(z3.Not(claim))
        r = s.check()
        if r == z3.unsat:
            return True, None
        if r == z3.sat:
            return False, s.model()
    return None, "unknown (solver gave up)"


def ir_z3(e: N.Expr, env: dict, defines: dict) -> Any:
    return D._as_int(to_z3(e, env, defines))
