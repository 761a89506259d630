"""Host conversion OUT of the serial form: c -> cuda / hip / bang (and the relabel c -> vnni).

The entry function's body becomes a device kernel that runs as one thread (`<<<1, 1>>>` on CUDA/HIP, one
task of a Block launch on BANG); loop_bind spreads it over the parallel axes later. Two shapes:

* host wrapper (the usual case): an `extern "C"` function with the entry's exact name and parameters
  allocates one device buffer per pointer parameter (element counts from `buffer_extents`; a count that
  depends on an index buffer's contents is computed by scanning that buffer at run time), copies in what
  the kernel may read (and what it writes only partly), launches, copies back what it may write, frees.
  Idiomatic runtime calls of the target (cudaMalloc/cudaMemcpy, hipMalloc/..., cnrtMalloc + a queue).
* bare kernel (the source entry was a kernel: note `source_entry_is_kernel` or knob host.kernel_entry): the
  kernel takes the entry's name and parameters and the program records its launch (grid=1 block=1 / tasks=1).

Functions the entry calls become device functions; module-level arrays they use become device globals.
Limits: the entry must return void; a pointer parameter whose extent is unknown makes the pass decline.
Obligation: every device buffer's allocation covers the kernel's accesses (Z3 over the loop domain)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import z3

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.analysis.bounds import count_candidates, covers, equal, terms
from xpiler.ir.visit import map_exprs, substitute, walk
from xpiler.ir.z3expr import Unsupported, affine_form, expand_macros, prove, to_z3
from xpiler.pipeline.passes import Obligation, PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program
from xpiler.verify.extents import stable_extents

from ._host_access import ParamUse, analyze
from ._host_alias import SOURCE_COUNTS
from ._host_domain import domain, inline, single_defs
from ._host_ir import fresh, map_types, names_in, pointer_scope, replace_func, with_includes


@dataclass(frozen=True)
class RuntimeAPI:
    """The spellings of a target's host runtime that a wrapper needs."""

    includes: tuple[str, ...]
    malloc: str
    memcpy: str
    free: str
    h2d: str
    d2h: str
    void_casts: bool = False  # cnrtMalloc((void**)&p, n) / cnrtMemcpy((void*)src, ...)
    queue: tuple[str, str, str, str] | None = None  # (queue type, create, sync, destroy)
    dim_type: str | None = None
    func_type: str | None = None


def runtime_api(target: str, ctx: PassContext) -> RuntimeAPI:
    lang = ctx.language(target)
    if target == "bang":
        return RuntimeAPI(("bang.h", "cnrt.h"), "cnrtMalloc", "cnrtMemcpy", "cnrtFree", "cnrtMemcpyHostToDev",
                          "cnrtMemcpyDevToHost", True,
                          ("cnrtQueue_t", "cnrtQueueCreate", "cnrtQueueSync", "cnrtQueueDestroy"),
                          "cnrtDim3_t", "cnrtFuncTypeBlock")
    p = lang.host_api_prefixes[0]  # cuda / hip: the runtime API is the prefix plus the same words
    return RuntimeAPI(lang.default_includes[:1], f"{p}Malloc", f"{p}Memcpy", f"{p}Free", f"{p}MemcpyHostToDevice",
                      f"{p}MemcpyDeviceToHost")


def _extents(program: Program) -> list:
    """Element counts of the entry's buffers: those the pass manager measured on the source program (the
    most faithful form: masks, host-code sizes) when present, else `stable_extents` of this program."""
    noted = program.note("entry_extents")
    if noted is None or len(noted) != len(program.entry_func.params):
        return stable_extents(program)
    if all(e is None or e.count is not None or e.data_dependent for e in noted):
        return list(noted)
    here = stable_extents(program)  # what the source analysis could not bound, the serial form may
    return [e if e is None or e.count is not None or e.data_dependent else h for e, h in zip(noted, here)]


def _uses_half(module: N.Module) -> bool:
    """Does any type in the module mention float16 (the target then needs its half-precision header)?"""
    return any(isinstance(n, T.Scalar) and n.dtype == "float16" for n in walk(module))


def _host_call(name: str, *args: N.Expr) -> N.Evaluate:
    return N.Evaluate(N.Call(name, tuple(args), N.CallKind.HOST_API))


def _to_device(node):
    """Pointers of host code become device (global) pointers."""
    return map_types(node, pointer_scope(T.Scope.GLOBAL, (T.Scope.HOST,)))


# ----------------------------------------------------------------------------------------------------------


def run(program: Program, ctx: PassContext) -> PassResult:
    target = ctx.target
    if target == "vnni":
        module = dataclasses.replace(program.module, dialect="vnni")
        return PassResult(program.replace(module=module, dialect="vnni"), notes=["host: c -> vnni (relabel)"])
    if target not in ("cuda", "hip", "bang"):
        raise PassDeclined(f"host: no conversion c -> {target}")
    module, entry = program.module, program.entry_func
    if not (isinstance(entry.ret, T.Scalar) and entry.ret.dtype == "void"):
        raise PassDeclined("host: the entry returns a value (a kernel cannot)")
    if any(f.kind is not N.FuncKind.HOST for f in module.funcs()) or any(isinstance(n, N.Launch) for n in walk(module)):
        raise PassDeclined("host: the program already has device code")
    bare = bool(program.note("source_entry_is_kernel") or ctx.knob("host", "kernel_entry", False))
    taken = names_in(module)
    kname = entry.name if bare else fresh(entry.name.removesuffix("_kernel") + "_device", taken)
    kernel = dataclasses.replace(_to_device(entry), name=kname, kind=N.FuncKind.KERNEL, static=False,
                                 inline=False, extern_c=entry.extern_c and bare)
    module = _device_helpers(module, entry, target)
    api = runtime_api(target, ctx)
    includes = list(api.includes)
    half_header = [h for h in ctx.language(target).default_includes if "fp16" in h]
    if half_header and _uses_half(program.module):
        includes += half_header[:1]
    notes = [f"host: c -> {target}: entry body -> kernel {kname}"]
    obligations: list[Obligation] = []
    if bare:
        module = replace_func(module, entry, (kernel,))
        launch = "tasks=1" if target == "bang" else "grid=1,1,1 block=1,1,1"
        module = dataclasses.replace(module, dialect=target, items=with_includes(module.items, includes[:1] + includes[len(api.includes):]))
        out = program.replace(module=module, dialect=target, entry_is_kernel=True, launch=launch)
        notes.append(f"bare kernel entry, launch {launch}")
    else:
        extents = _extents(program)
        uses = analyze(entry, program.module)
        wrapper, obligations = _wrapper(program, entry, kname, extents, uses, api, taken)
        module = replace_func(module, entry, (kernel, wrapper))
        module = dataclasses.replace(module, dialect=target, items=with_includes(module.items, includes))
        out = program.replace(module=module, dialect=target, entry_is_kernel=False, launch=None)
        notes.append(f"host wrapper {entry.name}: one device buffer per pointer parameter, launch <<<1, 1>>>")
    out = out.with_note("device_kernel", kname)
    return PassResult(out, obligations=obligations, notes=notes)


def _device_helpers(module: N.Module, entry: N.Func, target: str) -> N.Module:
    """Functions reachable from the entry become device functions; module arrays they read become device
    globals (`__device__` / `__mlu_device__`)."""
    funcs = {f.name: f for f in module.funcs() if not f.is_declaration}
    todo, seen = [entry.name], set()
    while todo:
        name = todo.pop()
        if name in seen or name not in funcs:
            continue
        seen.add(name)
        todo.extend(n.name for n in walk(funcs[name]) if isinstance(n, N.Call) and n.kind is N.CallKind.FUNC)
    seen.discard(entry.name)
    used = {n.sym for name in seen | {entry.name} for n in walk(funcs[name]) if isinstance(n, N.Var)}
    items = []
    for it in module.items:
        if isinstance(it, N.Func) and it.name in seen:
            it = dataclasses.replace(_to_device(it), kind=N.FuncKind.DEVICE, extern_c=False)
        elif isinstance(it, N.Alloc) and it.sym in used and it.scope is T.Scope.HOST:
            it = dataclasses.replace(it, scope=T.Scope.GLOBAL, static=False)
        items.append(it)
    return dataclasses.replace(module, items=tuple(items))


# ----------------------------------------------------------------------------------------------------------
# the host wrapper


def _wrapper(program, entry, kname, extents, uses, api: RuntimeAPI, taken):
    defines = program.module.defines()
    params = tuple(N.Param(p.sym.copy(), p.type, p.const) for p in entry.params)
    pv = [N.Var(p.sym) for p in params]
    scans, head, alloc, copy_in, copy_out, free, args = [], [], [], [], [], [], []
    obligations = []
    counts: dict[int, N.Expr] = {}
    trusted: set = set()  # parameters sized by the source's own copies, not by a proof
    wrap_map = {a.sym: b for a, b in zip(entry.params, pv)}
    wrapper_names = {p.sym.name for p in params} | {"d_" + p.sym.name for p in params}
    size_syms: dict = {}

    def size_vars():
        return {a: N.Var(b) for a, b in size_syms.items()}

    for i, p in enumerate(entry.params):
        if not isinstance(p.type, T.Pointer):
            args.append(pv[i])
            continue
        ext = extents[i] if i < len(extents) else None
        u = uses.get(i, ParamUse(escapes=True))
        symbolic = None
        given = (program.note(SOURCE_COUNTS) or {}).get(p.sym.name)
        if ext is None or (ext.count is None and not ext.data_dependent):
            if given is not None and _over_entry(given, entry, defines) and not u.escapes:
                # the source's host code copied this many elements of the buffer: its own statement of the
                # user's buffer size (a kernel that reads whole 16-element K tiles assumes K % 16 == 0; a
                # bound that covers every K would copy past the user's buffer). Proved below when it can be.
                got, why = (given, {}), ""
                trusted.add(i)
            else:
                got, why = _symbolic_count(entry, u, defines)
            symbolic = None
            if got is not None:
                symbolic, needed = got
                for s_, init in needed.items():  # the size locals the count reads, declared once
                    if s_ not in size_syms:
                        size_syms[s_] = N.Sym(fresh(s_.name, wrapper_names))
                        head.append(N.Decl(size_syms[s_], T.INT32, substitute(init, {**wrap_map, **size_vars()})))
            if symbolic is None:
                raise PassDeclined(f"host: cannot tell how many elements of {p.sym.name!r} the kernel touches "
                                   f"({why})")
            ext = None
        if ext is not None and ext.count == 0 and not u.escapes:
            args.append(N.Cast(T.Pointer(p.type.pointee, T.Scope.GLOBAL, p.type.const), N.Const(0)))  # never touched
            continue
        elem = p.type.pointee
        if symbolic is not None:  # a run-time size: the expression, over the wrapper's own parameters
            count: N.Expr = substitute(symbolic, {**wrap_map, **size_vars()})
        elif ext.count is not None:
            count = _spell_count(ext.count, u, defines)
        else:
            count = _scan_extent(ext.data_dependent, p, pv, scans, taken)
        counts[i] = count
        d = N.Sym(fresh("d_" + p.sym.name, taken))
        dtype = T.Pointer(elem, T.Scope.GLOBAL)
        head.append(N.Decl(d, dtype))
        nbytes = N.BinOp("*", count, N.SizeOf(elem)) if _size(elem) != 1 else count
        target = N.AddrOf(N.Var(d))
        if api.void_casts:
            target = N.Cast(T.Pointer(T.Pointer(T.VOID)), target)
        alloc.append(_host_call(api.malloc, target, nbytes))
        host = pv[i]
        src = N.Cast(T.Pointer(T.VOID), host) if api.void_casts else host
        written_whole = (_fully_written(u, ext.count, entry, defines) if ext is not None
                         else _fully_written_symbolic(u, symbolic, entry, defines))
        if u.may_read or (u.may_write and not written_whole):
            copy_in.append(_host_call(api.memcpy, N.Var(d), src, nbytes, N.Var(N.Sym(api.h2d))))
        if u.may_write:
            dst = N.Cast(T.Pointer(T.VOID), host) if p.type.const else host
            copy_out.append(_host_call(api.memcpy, dst, N.Var(d), nbytes, N.Var(N.Sym(api.d2h))))
        free.append(_host_call(api.free, N.Var(d)))
        args.append(N.Var(d))
        obligations.append(_cover_obligation(entry, i, ext, u, defines) if symbolic is None
                           else _symbolic_cover_obligation(entry, i, symbolic, u, defines, i in trusted))
    if api.queue is None:
        launch = [N.Launch(kname, (N.Const(1), N.Const(1)), tuple(args))]
        pre, post = [], []
    else:
        qtype, qcreate, qsync, qdestroy = api.queue
        q, dim = N.Sym(fresh("queue", taken)), N.Sym(fresh("dim", taken))
        pre = [N.Decl(q, T.Named(qtype)), _host_call(qcreate, N.AddrOf(N.Var(q))),
               N.Decl(dim, T.Named(api.dim_type), N.InitList((N.Const(1), N.Const(1), N.Const(1))))]
        launch = [N.Launch(kname, (N.Var(dim), N.Var(N.Sym(api.func_type)), N.Var(q)), tuple(args)),
                  _host_call(qsync, N.Var(q))]
        post = [_host_call(qdestroy, N.Var(q))]
    body = tuple(pre + scans + head + alloc + copy_in + launch + copy_out + free + post)
    wrapper = N.Func(entry.name, params, entry.ret, body, N.FuncKind.HOST, extern_c=True)
    return wrapper, obligations


def _spell_count(count: int, u: ParamUse, defines: dict) -> N.Expr:
    """`count` written as a product of the #defines that shape the buffer's accesses (`N * H * W * C`) when
    one equals it, so the wrapper reads like the kernel; else the number."""
    from itertools import combinations

    from ._host_ir import const_int

    used = []
    for acc in u.accesses:
        for node in (acc.index, *[x for f in acc.loops for x in (f.start, f.stop)]):
            for n in walk(node) if node is not None else ():
                d = defines.get(n.sym.name) if isinstance(n, N.Var) else None
                if d is not None and d.sym is n.sym and d.params is None and n.sym not in used:
                    used.append(n.sym)
    vals = {s: const_int(N.Var(s), defines) for s in used}
    order = list(defines)
    used = sorted((s for s in used if isinstance(vals[s], int) and vals[s] > 1), key=lambda s: order.index(s.name))
    for k in range(1, min(4, len(used)) + 1):
        for combo in combinations(used, k):
            prod = 1
            for s in combo:
                prod *= vals[s]
            if prod == count:
                out: N.Expr = N.Var(combo[0])
                for s in combo[1:]:
                    out = N.BinOp("*", out, N.Var(s))
                return out
    return N.Const(count)


def _size(t: T.Type) -> int | None:
    from ._host_access import _elem_size

    return _elem_size(t)


def _scan_extent(dd: tuple, p: N.Param, pv: list, head: list, taken: set) -> N.Expr:
    """Host code computing max(idx[0..n)) * scale + offset at run time; returns the count variable."""
    k, n, scale, offset = dd if not isinstance(dd[0], tuple) else dd[0]
    i64 = T.Scalar("int64", "long long")
    cnt, i, e = N.Sym(fresh("n_" + p.sym.name, taken)), N.Sym(fresh("i", taken)), N.Sym(fresh("e", taken))
    value = N.BinOp("+", N.BinOp("*", N.Cast(i64, N.Load(pv[k], (N.Var(i),))), N.Const(scale)), N.Const(offset))
    loop = N.For(i, N.Const(0), N.Const(n), N.Const(1),
                 (N.Decl(e, i64, value, const=True),
                  N.If(N.BinOp(">", N.Var(e), N.Var(cnt)), (N.Assign(cnt, N.Var(e)),))),
                 var_type=T.INT32)
    head.append(N.Comment(f"elements of {p.sym.name} the kernel touches: max of its index buffer * {scale} + {offset}"))
    head += [N.Decl(cnt, i64, N.Const(0)), loop]
    return N.Var(cnt)


# ----------------------------------------------------------------------------------------------------------
# proofs


def _fully_written(u: ParamUse, count: int | None, func: N.Func, defines: dict) -> bool:
    """True when some unconditional store writes every element [0, count) of the buffer (and the kernel
    never reads it): its index is `sum(c_k * v_k)` over counted loops 0..n_k with the coefficients forming a
    mixed radix (1, n_1, n_1 n_2, ...) whose total is count."""
    from ._host_ir import const_int

    if count is None or u.may_read or u.escapes:
        return False
    defs = single_defs(func)
    for acc in u.accesses:
        if not (acc.write and acc.clean and not acc.conds and acc.index is not None):
            continue
        ext = {}
        for f in acc.loops:
            lo, hi, st = (const_int(x, defines) for x in (f.start, f.stop, f.step))
            if lo != 0 or st != 1 or hi is None or hi < 1:
                break
            ext[f.var] = hi
        else:
            form = affine_form(inline(acc.index, defs), list(ext), defines)
            if form is None or form.const != 0 or not all(isinstance(c, int) for c in form.coeffs.values()):
                continue
            radix = sorted((c, ext[v]) for v, c in form.coeffs.items())
            want = 1
            for c, n in radix:
                if c != want:
                    break
                want *= n
            else:
                if want == count:
                    return True
    return False


def _cover_obligation(func: N.Func, i: int, ext, u: ParamUse, defines: dict) -> Obligation:
    name = func.params[i].sym.name

    def check():
        if u.escapes:
            return None, f"{name}: the pointer escapes; accesses not modeled"
        defs = single_defs(func)
        m = z3.Int("xp_max_index")
        for acc in u.accesses:
            if acc.index is None:
                return None, f"{name}: an access with an unknown index"
            try:
                index = inline(acc.index, defs)
                loads = [n for n in walk(index) if isinstance(n, N.Load)]
                hyps = domain(acc, defs, defines)
                if loads:
                    if ext.count is not None or len(loads) != 1:
                        return None, f"{name}: a data-dependent index"
                    v, load = N.Sym("xp_loaded"), loads[0]
                    index = map_exprs(index, lambda e, v=v, load=load: N.Var(v) if e == load else None)
                    _, _, scale, offset = ext.data_dependent
                    vz = to_z3(N.Var(v))
                    hyps += [vz >= 0, vz <= m]
                    bound = m * scale + offset
                else:
                    bound = z3.IntVal(ext.count)
                iz = to_z3(index, defines=defines)
                ok, model = prove(z3.And(iz >= 0, iz < bound), hyps)
            except (Unsupported, ValueError, z3.Z3Exception) as e:
                return None, f"{name}: {e}"
            if not ok:
                # A counterexample is real only when the access's domain is fully modeled: a clean access whose
                # index reads nothing but its counted loops' variables and parameters. Otherwise (a counter
                # updated by an outer loop of another shape, a mask, a local of several assignments) it may be
                # spurious: undecided. The emulator's bounds checks in the differential test catch a real one.
                known = {f.var for f in acc.loops} | {p.sym for p in func.params} | \
                    {d.sym for d in defines.values()}
                seen = [index] + [inline(c, defs) for c in acc.conds]  # a guard on an unknown flag counts too
                seen += [inline(e, defs) for f in acc.loops for e in (f.start, f.stop, f.step)]  # and bounds
                free = {n.sym for e in seen for n in walk(e) if isinstance(n, N.Var)} - known
                if model is not None and acc.clean and not free:
                    return False, f"{name}: an access may fall outside the allocation"
                return None, f"{name}: not proved that every access lies inside the allocation"
        size = ext.count if ext.count is not None else "scanned"
        return True, f"{name}: every access lies inside the {size} elements"

    return Obligation(f"host: allocation of {name} covers the kernel's accesses", check)


# ----------------------------------------------------------------------------------------------------------
# run-time sizes


def _size_params(func: N.Func) -> set:
    return {p.sym for p in func.params if isinstance(p.type, T.Scalar) and p.type.dtype not in
            ("float16", "bfloat16", "float32", "float64", "void")}


def _in_scope(accs, func: N.Func, defines: dict) -> list:
    """The accesses with the macros in their indices, loop bounds and conditions expanded, a macro body's
    names bound to `func`'s parameters and locals (`#define NVEC (N / 4)` reads the entry's `N`), so bounds
    and proofs see the run-time sizes the macros are spelled with."""
    if not defines or not any(d.params is None and d.body is not None for d in defines.values()):
        return list(accs)
    scope = {p.sym.name: p.sym for p in func.params}
    for n in walk(func):
        if isinstance(n, N.Decl):
            scope.setdefault(n.sym.name, n.sym)
    ex = lambda e: expand_macros(e, defines, scope)  # noqa: E731
    out = []
    for a in accs:
        loops = tuple(dataclasses.replace(f, start=ex(f.start), stop=ex(f.stop), step=ex(f.step)) for f in a.loops)
        out.append(dataclasses.replace(a, index=None if a.index is None else ex(a.index), loops=loops,
                                       conds=tuple(ex(c) for c in a.conds)))
    return out


def _inlined_domain(acc, defs: dict):
    """An access's index, loops and conditions with the function's single-definition locals inlined."""
    loops = tuple(dataclasses.replace(f, start=inline(f.start, defs), stop=inline(f.stop, defs),
                                      step=inline(f.step, defs)) for f in acc.loops)
    return inline(acc.index, defs), loops, tuple(inline(c, defs) for c in acc.conds)


def _size_locals(func: N.Func, params: set) -> dict:
    """Top-level integer locals of `func` computed once from the size parameters (and earlier such locals)
    by pure arithmetic: `int output_H = (input_H - kernel_size) / stride + 1;` -> {sym: init}, in order.
    Sizes are spelled with them, as the source does."""
    assigned = {n.sym for n in walk(func) if isinstance(n, N.Assign)}
    out: dict = {}
    for st in func.body:
        if not (isinstance(st, N.Decl) and st.init is not None and isinstance(st.type, T.Scalar)
                and st.type.dtype.startswith(("int", "uint")) and st.sym not in assigned):
            continue
        if any(isinstance(n, (N.Load, N.Call, N.Deref)) for n in walk(st.init)):
            continue
        if {n.sym for n in walk(st.init) if isinstance(n, N.Var)} <= params | set(out):
            out[st.sym] = st.init
    return out


def _local_hyps(locals_: dict, defines: dict) -> list:
    out = []
    for s_, init in locals_.items():
        try:
            out.append(to_z3(N.Var(s_)) == to_z3(init, defines=defines))
        except (Unsupported, ValueError, z3.Z3Exception):
            pass
    return out


def _max_cover(cands: list, accs: list, params: set, defines: dict, hyps: list) -> N.Expr | None:
    """The larger of the fewest candidates that together cover every access, each access by one of them,
    when no single candidate covers all (`x = X + m * N; ... x[0] ... x[n]`: the row's first element reaches
    (M - 1) * N + 1, which only N >= 1 makes at most M * N): `max(a, b)` as a conditional expression. Each
    candidate is proved for its accesses, so their maximum covers all of them and is no larger than the
    farthest element the source touches when every candidate is tight."""
    chosen: list = []
    for index, dom, scan, loops in accs:
        if any(covers(c, index, dom, params, defines, scan=scan, hyps=hyps, loops=loops) is True for c in chosen):
            continue
        c = next((c for c in cands if c not in chosen and
                  covers(c, index, dom, params, defines, scan=scan, hyps=hyps, loops=loops) is True), None)
        if c is None or len(chosen) == 3:
            return None
        chosen.append(c)
    if len(chosen) < 2:
        return None
    out = chosen[0]
    for c in chosen[1:]:
        out = N.Select(N.BinOp(">", out, c), out, c)
    return out


def _symbolic_count(func: N.Func, u: ParamUse, defines: dict) -> tuple[tuple | None, str]:
    """((count, size locals it reads), "") for a buffer whose extent depends on run-time sizes: an expression
    over the function's integer parameters and size locals that Z3 proves covers every access; the
    tightest such candidate, spelled with the fewest terms among those Z3 proves equal to it. (None,
    reason) otherwise."""
    if u.escapes:
        return None, "its pointer escapes"
    if not u.accesses:
        return None, "no access to measure"
    params = _size_params(func)
    locals_ = _size_locals(func, params)
    defs = {k: v for k, v in single_defs(func).items() if k not in locals_}
    atoms = params | set(locals_)
    hyps = _local_hyps(locals_, defines)
    accs = []
    cands: list = []
    for acc in _in_scope(u.accesses, func, defines):
        if acc.index is None:
            return None, "an access with an unknown index"
        index, loops, conds = _inlined_domain(acc, defs)
        if any(isinstance(n, (N.Load, N.Call)) for n in walk(index)):
            return None, "a data-dependent index"
        dom = domain(acc, defs, defines)
        accs.append((index, dom, [x for f in loops for x in (f.start, f.stop)] + list(locals_.values()), loops))
        for c in count_candidates(index, loops, conds, atoms):
            free = {n.sym for n in walk(c) if isinstance(n, N.Var)}
            if free <= atoms and c not in cands:
                cands.append(c)
    if not cands:
        return None, "no bound of its indices over the function's size parameters"

    def proved(c):
        return all(covers(c, index, dom, params, defines, scan=scan, hyps=hyps, loops=loops) is True
                   for index, dom, scan, loops in accs)

    best = next((c for c in cands if proved(c)), None)
    if best is None:
        best = _max_cover(cands, accs, params, defines, hyps)
    if best is None:
        return None, "no candidate size was proved to cover every access"
    for c in sorted((c for c in cands if c is not best), key=terms):
        if terms(c) < terms(best) and equal(c, best, params, hyps) and proved(c):
            best = c
            break
    used = {n.sym for n in walk(best) if isinstance(n, N.Var)}
    for s_ in reversed(list(locals_)):  # the locals it reads, with what they read, in declaration order
        if s_ in used:
            used |= {n.sym for n in walk(locals_[s_]) if isinstance(n, N.Var)}
    return (best, {s_: e for s_, e in locals_.items() if s_ in used}), ""


def _over_entry(e: N.Expr, func: N.Func, defines: dict) -> bool:
    """Does `e` read only `func`'s parameters (and constants, object-like macros, sizeof)?"""
    params = {p.sym for p in func.params}
    return not any(isinstance(n, (N.Load, N.Call, N.Deref)) for n in walk(e)) and all(
        n.sym in params or n.sym.name in defines for n in walk(e) if isinstance(n, N.Var))


def _symbolic_cover_obligation(func: N.Func, i: int, count: N.Expr, u: ParamUse, defines: dict,
                               trusted: bool = False) -> Obligation:
    name = func.params[i].sym.name

    def check():
        params = _size_params(func)
        locals_ = _size_locals(func, params)
        defs = {k: v for k, v in single_defs(func).items() if k not in locals_}
        hyps = _local_hyps(locals_, defines)
        for acc in _in_scope(u.accesses, func, defines):
            index, loops, _conds = _inlined_domain(acc, defs)
            got = covers(count, index, domain(acc, defs, defines), params, defines,
                         scan=[x for f in loops for x in (f.start, f.stop)] + list(locals_.values()), hyps=hyps,
                         loops=loops)
            if got is not True:
                if trusted:
                    return None, (f"{name}: sized as the source's host code copies it; not proved that every "
                                  "access lies inside (the source assumes it)")
                return got, f"{name}: not proved that every access lies inside the allocation"
        return True, f"{name}: every access lies inside the run-time size"

    return Obligation(f"host: allocation of {name} covers the kernel's accesses for every size", check)


def _fully_written_symbolic(u: ParamUse, count: N.Expr, func: N.Func, defines: dict) -> bool:
    """`_fully_written` for a run-time count: an unconditional store whose index is `sum(c_k * v_k)` over
    loops 0..n_k (step 1) with coefficients forming a mixed radix (1, n_1, n_1 n_2, ...) whose total Z3 proves
    equal to `count`, in a kernel that never reads the buffer."""
    from xpiler.analysis.symbolic import expr as poly_expr
    from xpiler.analysis.symbolic import poly

    if u.may_read or u.escapes:
        return False
    params = _size_params(func)
    locals_ = _size_locals(func, params)
    defs = {k: v for k, v in single_defs(func).items() if k not in locals_}
    hyps = _local_hyps(locals_, defines)
    for acc in u.accesses:
        if not (acc.write and acc.clean and not acc.conds and acc.index is not None and acc.loops):
            continue
        index, loops, _ = _inlined_domain(acc, defs)
        if not all(isinstance(f.start, N.Const) and f.start.value == 0 and isinstance(f.step, N.Const)
                   and f.step.value == 1 for f in loops):
            continue
        pa = poly(index)
        if pa is None:
            continue
        p, atoms = pa
        keys = {f.var: next((k for k, a in atoms.by_key.items() if isinstance(a, N.Var) and a.sym is f.var), None)
                for f in loops}
        if None in keys.values() or () in p:
            continue
        coefs = {}
        for f in loops:
            k = keys[f.var]
            terms_ = {tuple(x for x in m if x != k): c for m, c in p.items() if k in m}
            if any(m.count(k) != 1 for m in p if k in m):
                break
            coefs[f.var] = poly_expr((terms_, atoms))
        else:
            if any(sum(1 for x in m if x in keys.values()) != 1 for m in p):
                continue  # every term holds exactly one loop counter
            want: N.Expr = N.Const(1)
            left = list(loops)
            while left:  # innermost radix digit first: the counter whose coefficient is the product so far
                f = next((f for f in left if equal(coefs[f.var], want, params, hyps)), None)
                if f is None:
                    break
                left.remove(f)
                want = N.BinOp("*", want, f.stop)
            if not left and equal(want, count, params, hyps):
                return True
    return False
