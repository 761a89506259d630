"""Direct CUDA <-> HIP translation (the `port` pass) for programs without matrix intrinsics.

What changes, and where the facts come from:
* runtime API and type names: the one table backends/_simt/runtime_api.py (cudaMalloc <-> hipMalloc,
  cudaThreadSynchronize -> hipDeviceSynchronize, cudaStream_t <-> hipStream_t, ...); a name missing from the
  table, or one the target's executor runtime does not declare, makes the pass decline with the name;
* includes: the table's header map (cuda_runtime.h <-> hip/hip_runtime.h, cuda_fp16.h <-> hip/hip_fp16.h,
  mma.h dropped); the source's other runtime headers are dropped, the target's runtime header is always
  included; `using namespace nvcuda;` is dropped in HIP;
* warp collectives: each intrinsic maps to the target catalogue entry whose numpy semantics agree on every
  segment of lanes both can express (checked here on sampled inputs). CUDA warps have 32 lanes, HIP
  wavefronts 64: cuda -> hip passes width 32 explicitly (`__shfl_xor_sync(m, v, o)` -> `__shfl_xor(v, o, 32)`)
  and replaces `warpSize` in device code by 32 (also a host query of the warp size), so the kernel keeps
  its CUDA semantics. hip -> cuda maps a shuffle whose width is a constant <= 32, or the default width
  (warpSize) when the code is warpSize-generic: Z3 proves the lane argument lies in [0, warpSize) for
  warpSize 32 and 64, and no device code uses the literal wavefront size. Otherwise the pass declines.
Declines: wmma fragments / MFMA, warp votes and masks (64-bit in HIP), `__syncwarp` (cuda -> hip), any
intrinsic without an equivalent."""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path

import numpy as np
import z3

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import Rewriter, walk
from xpiler.ir.z3expr import Unsupported, expand_macros, prove, sym_var, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from ._host_ir import map_types
from ._simt_util import activemask_as_full

VOTES = ("__ballot", "__any", "__all", "__activemask", "__popc", "__syncthreads_count", "__syncthreads_and",
         "__syncthreads_or", "__reduce_")


@cache
def _runtime_names(dialect: str) -> frozenset:
    from xpiler.registry import get_backend

    rt = get_backend(dialect).runtime_dir
    words: set[str] = set()
    for p in Path(rt).rglob("*.h"):
        words |= set(re.findall(r"\b[A-Za-z_]\w*\b", p.read_text(errors="replace")))
    shared = Path(rt).parent.parent / "_simt" / "runtime"
    for p in shared.glob("*.h"):
        words |= set(re.findall(r"\b[A-Za-z_]\w*\b", p.read_text(errors="replace")))
    return frozenset(words)


@cache
def _runtime_headers(dialect: str) -> tuple[str, ...]:
    from xpiler.registry import get_backend

    inc = Path(get_backend(dialect).runtime_dir) / "include"
    return tuple(sorted(str(p.relative_to(inc)) for p in inc.rglob("*.h"))) if inc.is_dir() else ()


class _Port:
    def __init__(self, program: Program, ctx: PassContext) -> None:
        self.src, self.dst = program.dialect, ctx.target
        self.ls, self.lt = ctx.language(self.src), ctx.language(self.dst)
        self.cs, self.ct = ctx.catalogue(self.src), ctx.catalogue(self.dst)
        self.program = program
        self.defines = program.module.defines()
        self.declared = {n.sym for n in walk(program.module) if isinstance(n, (N.Decl, N.Alloc, N.Define))} | {
            p.sym for f in program.module.funcs() for p in f.params} | {
            n.var for n in walk(program.module) if isinstance(n, N.For)}
        self.obligations: list[Obligation] = []
        self.notes: list[str] = []
        self.renamed: dict[str, str] = {}
        self.generic = False  # a hip shuffle kept its default width (warpSize-generic code)
        self.user_names: set[str] = set()  # prefixed names the program's own headers define (kept as spelled)

    # -- names --------------------------------------------------------------------------------------
    def rename(self, name: str, nargs: int | None = None) -> str:
        """The target's name for a runtime API name, from the one table (backends/_simt/runtime_api.py)."""
        from xpiler.backends._simt.runtime_api import arity_variant, mapping

        if not name.startswith(self.ls.host_api_prefixes[0]) or name in self.user_names or "::" in name:
            return name  # not the runtime's (its API is C: `hip::check` is the program's own namespace)
        new = arity_variant(self.src, self.dst, name, nargs) or mapping(self.src, self.dst).get(name)
        if new is None:
            raise PassDeclined(f"port: {name} is not in the {self.src} -> {self.dst} runtime API table "
                               "(backends/_simt/runtime_api.py)")
        if new not in _runtime_names(self.dst):
            raise PassDeclined(f"port: {name} -> {new}, which the {self.dst} executor does not provide")
        self.renamed[name] = new
        return new

    def rename_lenient(self, name: str) -> str:
        """A name in a ported user header: the table's counterpart when the target provides it, else the
        name unchanged (the header's own names; a runtime name the table lacks shows when the output is
        compiled)."""
        from xpiler.backends._simt.runtime_api import mapping

        if name in self.user_names:
            return name
        new = mapping(self.src, self.dst).get(name)
        if new is None or new not in _runtime_names(self.dst):
            return name
        self.renamed[name] = new
        return new

    def include(self, path: str) -> str | None:
        """The target header for a source runtime header, or None to drop it (the table's None, or a
        runtime header of the source without counterpart)."""
        from xpiler.backends._simt.runtime_api import headers

        table = headers(self.src, self.dst)
        if path in table:
            return table[path]
        return None

    # -- collectives ----------------------------------------------------------------------------------
    def shuffle(self, call: N.Call, ctxinfo) -> N.Expr:
        e = self.cs.get(call.name)
        if e is None or e.category != "collective" or "lanes" not in e.extra:
            raise PassDeclined(f"port: no {self.dst} equivalent known for {call.name}")
        ops = [o.name for o in e.operands if o.name not in e.extra.get("pseudo", ())]
        args = dict(zip(ops, call.args))
        argname = next(o for o in ops if o not in ("mask", "var", "width"))
        lanes_s = e.extra["lanes"]
        width = args.get("width")
        wval = None if width is None else _const(width, self.defines)
        parametric = False
        if self.src == "cuda":
            widths = [wval] if wval is not None else ([lanes_s] if width is None else [1, 2, 4, 8, 16, 32])
            new_width = width if width is not None else N.Const(lanes_s)
        else:
            if wval is not None and wval <= 32:
                widths, new_width = [wval], width
            elif width is None:
                parametric, widths, new_width = True, [None], None
            else:
                raise PassDeclined(f"port: {call.name} with width {wval if wval is not None else '?'} > 32 lanes")
        target = self._match(e, argname, widths)
        self.obligations.append(Obligation(
            f"port: {target.name} computes {e.name} on every common lane segment",
            lambda: (all(_same_semantics(e, target, argname, w) for w in widths), f"widths {widths}")))
        tops = [o.name for o in target.operands if o.name not in target.extra.get("pseudo", ())]
        full = (1 << target.extra["lanes"]) - 1
        vals = {"mask": N.Const(full, "uint32" if full < 2**32 else "uint64"), "var": args["var"],
                argname: args[argname], "width": new_width}
        out_args = tuple(vals[o] for o in tops if vals.get(o) is not None)
        if parametric:
            self.parametric(call, args[argname], ctxinfo)
            self.generic = True
        how = "default width (warpSize)" if new_width is None else f"width {_show(new_width)}"
        self.notes.append(f"port: {call.name} -> {target.name}, {how}")
        return N.Call(target.name, out_args, N.CallKind.INTRINSIC)

    def _match(self, e, argname, widths):
        """The target entry (mask-less preferred) whose semantics equal `e`'s on every common lane segment."""
        entries = {id(c): c for c in self.ct.values()}.values()  # aliases list an entry twice
        cands = [c for c in entries if c.category == e.category and "lanes" in c.extra
                 and argname in [o.name for o in c.operands]]
        cands.sort(key=lambda c: any(o.name == "mask" for o in c.operands))
        for c in cands:
            if all(_same_semantics(e, c, argname, w) for w in widths):
                return c
        raise PassDeclined(f"port: no {self.dst} collective computes what {e.name} does")

    def parametric(self, call: N.Call, arg: N.Expr, ctxinfo) -> None:
        """hip -> cuda with the default width (warpSize): the lane argument must lie in [0, warpSize)."""
        W = z3.Int("warpSize")
        hyps = [z3.Or(W == 32, W == 64)] + ctxinfo
        defines = self.defines

        def check():
            try:
                a = to_z3(expand_macros(arg, defines), env={"warpSize": W}, defines=defines)
            except (Unsupported, ValueError) as ex:
                return None, f"cannot model the lane argument ({ex})"
            ok, model = prove(z3.And(a >= 0, a < W), hyps)
            return (True, "0 <= lane argument < warpSize for warpSize 32 and 64") if ok else (
                False if model is not None else None, f"counterexample {model}")

        if check()[0] is not True:
            raise PassDeclined(f"port: {call.name} with the default width (wavefront 64) and a lane argument not "
                               "provably below warpSize")
        self.obligations.append(Obligation(f"port: lane argument of {call.name} < warpSize", check))


def _show(e) -> str:
    return str(e.value) if isinstance(e, N.Const) else getattr(getattr(e, "sym", None), "name", "expr")


def _const(e, defines):
    from ._host_ir import const_int

    return const_int(e, defines)


def _same_semantics(e, c, argname: str, width: int | None) -> bool:
    """Entry `c` computes what `e` computes on every segment of min(lanes) lanes: both run on the same
    values, each over its own lanes (a 64-lane wave is two 32-lane warps side by side)."""
    ls, lt = e.extra["lanes"], c.extra["lanes"]
    big = max(ls, lt)
    rng = np.random.default_rng(7)
    var = rng.standard_normal(big).astype(np.float32)
    w_s = width or min(ls, lt)
    for arg in sorted({0, 1, 3, w_s // 2, w_s - 1, 5} - {-1}):
        if arg < 0:
            continue
        outs = []
        for ent, lanes in ((e, ls), (c, lt)):
            res = []
            for k in range(big // lanes):
                kw = {"var": var[k * lanes:(k + 1) * lanes], "ret": np.zeros(lanes, np.float32), argname: arg,
                      "width": w_s}
                if any(o.name == "mask" for o in ent.operands):
                    kw["mask"] = (1 << lanes) - 1
                res.append(ent.semantics(**kw)["ret"])
            outs.append(np.concatenate(res))
        if not np.array_equal(outs[0], outs[1]):
            return False
    return True


# ----------------------------------------------------------------------------------------------------------


class _Rewrite(Rewriter):
    def __init__(self, port: _Port, loops_of) -> None:
        self.port, self.loops_of = port, loops_of

    def rewrite_Call(self, e: N.Call):
        p = self.port
        if e.kind is N.CallKind.INTRINSIC:
            ent = p.cs.get(e.name)
            if ent is not None and ent.category == "convert" and (e.name in p.ct or e.name in p.lt.math):
                return None  # the same conversion in both (e.g. __half2float)
            return p.shuffle(e, self.loops_of(e))
        if p.src == "hip" and e.name == "HIP_SYMBOL" and len(e.args) == 1:
            return self.rewrite(e.args[0])  # CUDA takes the symbol itself
        if e.name.startswith(VOTES):
            raise PassDeclined(f"port: {e.name} (warp votes and masks differ between 32 and 64 lanes)")
        if e.kind is N.CallKind.HOST_API:
            if p.src == "cuda" and e.name.endswith("DeviceGetAttribute") and len(e.args) == 3 and \
                    isinstance(e.args[1], N.Var) and "WarpSize" in e.args[1].sym.name:
                return None  # handled at the statement (the kernel keeps 32-lane warps)
            return dataclasses.replace(e, name=p.rename(e.name, len(e.args)))
        if e.kind is N.CallKind.MATH and e.name not in p.lt.math:
            raise PassDeclined(f"port: {e.name} is not available in {p.dst}")
        return None

    def rewrite_Evaluate(self, s: N.Evaluate):
        e = s.value
        p = self.port
        if p.src == "cuda" and isinstance(e, N.Call) and e.name.endswith("DeviceGetAttribute") and len(e.args) == 3 \
                and isinstance(e.args[1], N.Var) and "WarpSize" in e.args[1].sym.name and \
                isinstance(e.args[0], N.AddrOf) and isinstance(e.args[0].value, N.Var):
            p.notes.append("port: the host's warp-size query is the CUDA warp size (32)")
            return N.Assign(e.args[0].value.sym, N.Const(p.ls.warp_size), loc=s.loc)
        return None

    def rewrite_Var(self, e: N.Var):
        p = self.port
        if e.sym not in p.declared and e.sym.name.startswith(p.ls.host_api_prefixes[0]):
            return N.Var(N.Sym(p.rename(e.sym.name)))
        return None

    def rewrite_Builtin(self, e: N.Builtin):
        if self.port.src == "cuda" and e.name == "warpSize":
            return N.Const(self.port.ls.warp_size)
        return None

    def rewrite_Barrier(self, s: N.Barrier):
        if self.port.src == "cuda" and s.scope is N.BarrierScope.WARP:
            raise PassDeclined("port: __syncwarp inside a 64-lane wavefront would wait for the other half")


def _loop_facts(func: N.Func, defines) -> dict:
    """id(call) -> Z3 facts about the loop variables around it (counted loops and halving/doubling CFor)."""
    facts: dict[int, list] = {}
    W = z3.Int("warpSize")

    def z(e):
        return to_z3(e, env={"warpSize": W}, defines=defines)

    def visit(stmts, hyps):
        for s in stmts:
            here = list(hyps)
            if isinstance(s, N.For):
                try:
                    v = sym_var(s.var)
                    here += [z(s.start) <= v, v < z(s.stop)]
                except (Unsupported, ValueError):
                    pass
            elif isinstance(s, N.CFor):
                here += _cfor_facts(s, z)
            for n in walk(s):
                if isinstance(n, N.Call):
                    facts[id(n)] = here  # inner statements, visited later, add their own loops
            for f in ("body", "then", "orelse"):
                inner = getattr(s, f, None)
                if isinstance(inner, tuple):
                    visit(inner, here)

    visit(func.body, [])
    return facts


def _cfor_facts(s: N.CFor, z) -> list:
    """`for (v = e0; v > 0 / v >= 1; v >>= k / v /= k)`: 0 < v <= e0 (a decreasing counter)."""
    if len(s.init) != 1 or len(s.update) != 1 or s.cond is None:
        return []
    init, upd = s.init[0], s.update[0]
    sym = init.sym if isinstance(init, (N.Decl, N.Assign)) else None
    e0 = init.init if isinstance(init, N.Decl) else getattr(init, "value", None)
    if sym is None or e0 is None or not isinstance(upd, N.Assign) or upd.sym is not sym:
        return []
    if upd.op not in (">>", "/", "-") or not (isinstance(upd.value, N.Const) and upd.value.value > 0):
        return []
    try:
        v = sym_var(sym)
        c = z(s.cond)
        return [v <= z(e0), c if z3.is_bool(c) else c != 0]
    except (Unsupported, ValueError):
        return []


def _literal_wave(program: Program, lanes: int, defines) -> bool:
    """Device code that splits thread indices by the literal wavefront size (`tid % 64`, `tid / 64`,
    `tid & 63`, `tid >> 6`), i.e. assumes 64 lanes instead of using warpSize."""
    shift = lanes.bit_length() - 1
    for f in program.module.funcs():
        if f.kind is N.FuncKind.HOST:
            continue
        body = expand_macros(f.body, defines)
        tainted: set = set()
        for _ in range(4):  # variables computed from thread indices
            for st in body:
                for n in walk(st):
                    if isinstance(n, (N.Decl, N.Assign)):
                        v = n.init if isinstance(n, N.Decl) else n.value
                        if v is not None and _mentions_thread(v, tainted):
                            tainted.add(n.sym)
        for st in body:
            for n in walk(st):
                if isinstance(n, N.BinOp) and isinstance(n.b, N.Const) and _mentions_thread(n.a, tainted) and (
                        (n.op in ("%", "/") and n.b.value == lanes) or (n.op == "&" and n.b.value == lanes - 1)
                        or (n.op == ">>" and n.b.value == shift)):
                    return True
    return False


def _mentions_thread(e, tainted) -> bool:
    return any((isinstance(n, N.Builtin) and n.name.startswith("threadIdx")) or
               (isinstance(n, N.Var) and n.sym in tainted) for n in walk(e))


def run(program: Program, ctx: PassContext) -> PassResult:
    src, dst = program.dialect, ctx.target
    if {src, dst} != {"cuda", "hip"}:
        raise PassDeclined(f"port: only cuda <-> hip, not {src} -> {dst}")
    module, n_masks = activemask_as_full(program.module)
    if n_masks:
        program = program.replace(module=module)
    for n in walk(program.module):
        if isinstance(n, N.Call) and n.kind is N.CallKind.INTRINSIC:
            ent = ctx.catalogue(src).get(n.name)
            if ent is None or ent.category not in ("collective", "convert"):
                raise PassDeclined(f"port: {n.name} (matrix / vendor intrinsic): use the serial route")
    frag = []
    map_types(program.module, lambda t: frag.append(t) if isinstance(t, T.Fragment) else None)
    if frag:
        raise PassDeclined("port: wmma fragments: use the serial route")
    port = _Port(program, ctx)
    from xpiler.backends._simt.runtime_api import headers as _headers

    from . import _port_headers

    runtime_headers = set(_headers(src, dst)) | set(_runtime_headers(src))
    port.user_names = _port_headers.user_defined(program, port, runtime_headers)
    inlined: set = set()
    if n_masks:
        port.notes.append("port: __activemask() only feeds shuffle masks, which the port drops: the full warp mask")
    items = []
    for it in program.module.items:
        if isinstance(it, N.Func):
            facts = _loop_facts(it, port.defines)
            rw = _Rewrite(port, lambda c, f=facts: f.get(id(c), []))
            it = map_types(rw.rewrite(it), lambda t: _rename_type(t, port))
        elif isinstance(it, N.Include):
            new = port.include(it.path)
            if new is None and (_is_runtime_header(it.path, src) or it.path in _dropped_headers(src, dst)):
                continue  # the source's own runtime headers: the target's come in below
            own = None if new else _port_headers.inline_item(it, port, program, runtime_headers, inlined)
            if own is not None:  # the program's header that uses the source's API: inlined, ported
                port.notes.append(f"port: {it.path} (the program's header) inlined, ported to {dst}")
                items.append(own)
                continue
            it = dataclasses.replace(it, path=new, system=True) if new else it
            if any(isinstance(o, N.Include) and o.path == it.path for o in items):
                continue
        elif isinstance(it, N.Define):
            it = _port_define(it, port)
        elif isinstance(it, N.UsingNamespace) and it.name.split("::")[0] in _namespaces_only_in(src):
            port.notes.append(f"port: dropped `using namespace {it.name};` ({dst} has no such namespace)")
            continue
        elif isinstance(it, (N.Decl, N.Alloc)):
            it = map_types(it, lambda t: _rename_type(t, port))
        elif isinstance(it, N.Opaque):  # a definition kept as text: ported word by word
            it = dataclasses.replace(it, text=_port_headers.port_words(it.text, port))
        items.append(it)
    if port.generic and _literal_wave(program, port.ls.warp_size, port.defines):
        raise PassDeclined("port: device code names the wavefront size 64 literally; warpSize-generic code only")
    runtime = port.lt.default_includes[0]
    if not any(isinstance(i, N.Include) and i.path == runtime for i in items):
        items.insert(0, N.Include(runtime))  # the target's own runtime header
    module = dataclasses.replace(program.module, items=tuple(items), dialect=dst)
    out = program.replace(module=module, dialect=dst)
    notes = [f"port: {src} -> {dst}"] + sorted(set(port.notes)) + [
        f"port: {a} -> {b}" for a, b in sorted(port.renamed.items())]
    return PassResult(out, obligations=port.obligations, notes=notes)


_WORD = re.compile(r'"(?:\\.|[^"\\\n])*"|\b[A-Za-z_]\w*\b')


def _port_define(d: N.Define, port: _Port) -> N.Define:
    """A macro's runtime API names renamed through the same table: the parsed body like code, an unparsed
    replacement text (a `CHECK(call)` statement macro) word by word outside string literals."""
    if d.body is not None:
        rw = _Rewrite(port, lambda c: [])
        return dataclasses.replace(d, body=rw.rewrite(d.body))
    prefix = port.ls.host_api_prefixes[0]

    def repl(m):
        w = m.group(0)
        if w.startswith('"') or not w.startswith(prefix) or w in (d.params or ()):
            return w
        if port.src == "hip" and w == "HIP_SYMBOL":
            return w
        return port.rename(w)

    text = _WORD.sub(repl, d.text)
    if port.src == "hip":
        text = re.sub(r"\bHIP_SYMBOL\s*\(\s*([A-Za-z_]\w*)\s*\)", r"\1", text)
    return dataclasses.replace(d, text=text)


def _namespaces_only_in(src: str) -> frozenset:
    from xpiler.backends._simt.runtime_api import NAMESPACES_ONLY_IN

    return NAMESPACES_ONLY_IN.get(src, frozenset())


def _dropped_headers(src: str, dst: str) -> set:
    from xpiler.backends._simt.runtime_api import headers

    return {h for h, t in headers(src, dst).items() if t is None}


def _is_runtime_header(path: str, dialect: str) -> bool:
    return path in _runtime_headers(dialect)


def _rename_type(t, port: _Port):
    if isinstance(t, T.Named) and t.name.startswith(port.ls.host_api_prefixes[0]):
        return dataclasses.replace(t, name=port.rename(t.name))
    return None
