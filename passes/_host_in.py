"""Host conversion IN: a serial cuda / hip / bang program -> the serial form (dialect `c`).

Input contract (loop_recovery and detensorize done): every kernel runs as one thread (launched `<<<1, 1>>>`,
a BANG launch of one task, or a bare kernel entry whose launch is one thread / task), no built-in index
variables, no intrinsics. Then:

* kernels and device functions become plain functions (a bare kernel entry stays `extern "C"` with its name
  and parameters); barriers disappear (one thread); on-chip buffers (`__shared__`, `__nram__`, `__wram__`,
  `__mlu_shared__`, `__constant__`) become plain arrays; every pointer is a host pointer; device-only math
  becomes C (passes/_host_devmath.py);
* launches become calls; `cudaMalloc/hipMalloc/cnrtMalloc` -> `malloc`, `*Memcpy*` (any direction) ->
  `memcpy`, `*Memset` -> `memset`, `*Free` -> `free`; synchronisation, streams / queues, events and error
  checks are dropped, with the variables and macros only they used;
* a device buffer that is just a full copy of a host parameter is replaced by it (passes/_host_alias.py).

Declines (never a wrong program): kernels that still use thread / task indices or intrinsics, launches of
more than one thread, dynamic shared memory, runtime calls whose value is used, warp collectives."""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.dialect import C_HOST_API, C_MATH
from xpiler.ir.visit import Rewriter, walk
from xpiler.launch import parse_launch
from xpiler.pipeline.passes import PassContext, PassDeclined, PassResult
from xpiler.pipeline.program import Program

from . import _host_devmath as devmath
from ._host_ir import const_int, map_types, pointer_scope, with_includes

_NO_VALUE = ("Synchronize", "Sync", "Create", "Destroy", "SetDevice", "GetLastError", "PeekAtLastError",
             "SetAttribute", "Record", "Init", "SetCacheConfig", "Notifier", "ElapsedTime")


def run(program: Program, ctx: PassContext) -> PassResult:
    src = program.dialect
    lang = ctx.language(src)
    module = program.module
    defines = module.defines()
    _check_serial(program, defines)
    notes = [f"host: {src} -> c"]
    entry_kernel = program.entry_is_kernel
    items = []
    for it in module.items:
        if isinstance(it, N.Func):
            it = _function(it, lang, program, defines)
        elif isinstance(it, N.Alloc):
            if it.extern:
                raise PassDeclined(f"host: extern buffer {it.sym.name} (dynamic shared memory)")
            it = dataclasses.replace(map_types(it, pointer_scope(T.Scope.HOST)), scope=T.Scope.HOST)
        elif isinstance(it, N.Decl):
            it = map_types(it, pointer_scope(T.Scope.HOST))
        elif _device_only(it, src):
            continue
        items.append(it)
    module = dataclasses.replace(module, items=tuple(items), dialect="c")
    module = _drop_unused_runtime_macros(module, lang)
    _check_c(module, lang)
    out = program.replace(module=module, dialect="c", entry_is_kernel=False, launch=None)
    if entry_kernel and out.note("source_entry_is_kernel") is None:
        out = out.with_note("source_entry_is_kernel", True)
    if ctx.knob("host", "alias_copies", True):
        from ._host_alias import alias_copies

        out, more = alias_copies(out)
        notes += more
    if ctx.knob("host", "inline", True):
        from ._host_inline import inline_single_calls

        module, more = inline_single_calls(out.module, out.entry)
        out, notes = out.replace(module=module), notes + more
    if ctx.knob("host", "drop_true_guards", True):
        from ._simplify import drop_true_guards

        module, n = drop_true_guards(out.module)
        if n:
            out, notes = out.replace(module=module), notes + [f"host: {n} guard(s) proved always true, dropped"]
    if ctx.knob("host", "contract_grids", True):
        from ._simplify import contract_guarded_grids

        module, n = contract_guarded_grids(out.module)
        if n:
            out, notes = out.replace(module=module), notes + [f"host: {n} guarded block x thread nest(s) "
                                                              "contracted into one loop"]
    called = {n.name for n in walk(out.module) if isinstance(n, N.Call)}
    inc = [h for h, fns in (("stdlib.h", {"malloc", "free"}), ("string.h", {"memcpy", "memset"}))
           if fns & called]
    if any(isinstance(i, N.Include) for i in program.module.items) and called & C_MATH - {
            f.name for f in out.module.funcs()}:
        inc.append("math.h")  # the device runtime's header brought the math functions in; C needs its own
    out = out.replace(module=dataclasses.replace(out.module, items=with_includes(out.module.items, inc)))
    return PassResult(out, notes=notes)


# ----------------------------------------------------------------------------------------------------------
# preconditions


def _single(launch_text: str | None) -> bool:
    if launch_text is None:
        return False
    ln = parse_launch(launch_text)
    prod = 1
    for k in ("grid", "block", "dim"):
        v = ln.get(k)
        if v is not None:
            for x in v.split(","):
                prod *= int(x)
    return prod == 1 and int(ln.get("tasks", "1")) == 1


def _check_serial(program: Program, defines: dict) -> None:
    module = program.module
    for f in module.funcs():
        dev = f.kind is not N.FuncKind.HOST
        for n in walk(f):
            if dev and isinstance(n, N.Builtin):
                raise PassDeclined(f"host: {f.name} still uses {n.name} (run loop_recovery first)")
            if isinstance(n, N.Call) and n.kind is N.CallKind.INTRINSIC and n.name not in devmath.RULES:
                raise PassDeclined(f"host: {f.name} still calls the intrinsic {n.name} (run detensorize first)")
            if isinstance(n, N.Launch) and not _single_thread_launch(n, f, defines, program.dialect):
                raise PassDeclined(f"host: the launch of {n.kernel} in {f.name} is not a single thread")
    if program.entry_is_kernel and not _single(program.launch):
        raise PassDeclined(f"host: the entry kernel's launch ({program.launch}) is not a single thread")


def _resolve(e: N.Expr, func: N.Func) -> N.Expr:
    """A local variable's initializer when the variable is never reassigned (dims of a launch)."""
    if not isinstance(e, N.Var):
        return e
    inits = [n.init for n in walk(func) if isinstance(n, N.Decl) and n.sym is e.sym]
    writes = [n for n in walk(func) if isinstance(n, N.Assign) and n.sym is e.sym]
    members = [n for n in walk(func) if isinstance(n, N.Store) and isinstance(n.target, N.Member)
               and n.target.base == e]
    if len(inits) == 1 and inits[0] is not None and not writes and not members:
        return inits[0]
    return e


def _ones(e: N.Expr, func: N.Func, defines: dict) -> bool:
    e = _resolve(e, func)
    if isinstance(e, (N.InitList, N.Call)) and (not isinstance(e, N.Call) or e.kind is N.CallKind.CTOR):
        parts = e.items if isinstance(e, N.InitList) else e.args
        return all(const_int(x, defines) == 1 for x in parts)
    return const_int(e, defines) == 1


def _single_thread_launch(ln: N.Launch, func: N.Func, defines: dict, dialect: str) -> bool:
    """CUDA/HIP `<<<grid, block[, shmem[, stream]]>>>` with grid = block = 1; BANG `<<<dim, type, queue>>>`
    with dim = {1, 1, 1} (one task, whatever the type)."""
    if dialect == "bang":
        return len(ln.config) == 3 and _ones(ln.config[0], func, defines)
    return len(ln.config) >= 2 and _ones(ln.config[0], func, defines) and _ones(ln.config[1], func, defines)


def _device_only(item, src: str) -> bool:
    """Module items that only mean something to the device toolchain: its runtime headers, `using
    namespace nvcuda`."""
    if isinstance(item, N.Include):
        return _runtime_header(item.path, src)
    return isinstance(item, N.UsingNamespace) and item.name in ("nvcuda", "nvcuda::wmma", "wmma")


def _runtime_header(path: str, src: str) -> bool:
    """Headers the device runtime provides (the executor's stand-ins live in the backend's runtime folder)."""
    from xpiler.registry import get_backend

    rt = get_backend(src).runtime_dir
    if rt is None:
        return False
    return (rt / path).is_file() or (rt / "include" / path).is_file()


# ----------------------------------------------------------------------------------------------------------
# functions


def _function(f: N.Func, lang, program: Program, defines: dict) -> N.Func:
    device = f.kind is not N.FuncKind.HOST
    f = map_types(f, pointer_scope(T.Scope.HOST))
    if device:
        is_entry = f.name == program.entry and program.entry_is_kernel
        body = _Device(lang, devmath.declared_types(f)).rewrite(f.body)
        return dataclasses.replace(f, body=body, kind=N.FuncKind.HOST, launch_bounds=None,
                                   extern_c=f.extern_c if is_entry else False, forceinline=False)
    body = _Host(lang, f).rewrite(f.body)
    body = _drop_dead_runtime_vars(body, lang)
    return dataclasses.replace(f, body=body)


class _Device(Rewriter):
    def __init__(self, lang, types: dict | None = None) -> None:
        self.lang = lang
        self.types = types or {}

    def rewrite_Barrier(self, s):
        return ()  # one thread: nothing to wait for

    def rewrite_Alloc(self, a: N.Alloc):
        if a.extern:
            raise PassDeclined(f"host: extern buffer {a.sym.name} (dynamic shared memory)")
        if a.scope is T.Scope.LOCAL:
            return None
        big = a.scope is not T.Scope.SHARED  # NRAM/WRAM-sized arrays live outside the stack
        return dataclasses.replace(a, scope=T.Scope.LOCAL, static=a.static or big)

    def rewrite_Evaluate(self, s: N.Evaluate):
        return devmath.atomic_stmt(s)

    def rewrite_Call(self, e: N.Call):
        if e.kind in (N.CallKind.MATH, N.CallKind.OTHER, N.CallKind.INTRINSIC):
            got = devmath.rewrite_call(e) or devmath.max_min(e, self.types)
            if got is not None:
                return got
        return None  # an atomic whose value is used stays, and _check_c declines


class _Host(Rewriter):
    """Runtime calls of host code -> C library calls; launches -> calls."""

    def __init__(self, lang, func: N.Func) -> None:
        self.lang = lang
        self.prefixes = lang.host_api_prefixes
        self.types = {n.sym: n.type for n in walk(func) if isinstance(n, N.Decl)}
        self.types.update({p.sym: p.type for p in func.params})

    def rewrite_Launch(self, s: N.Launch):
        return N.Evaluate(N.Call(s.kernel, s.args, N.CallKind.FUNC, s.template_args), loc=s.loc)

    def rewrite_Call(self, e: N.Call):
        if e.kind in (N.CallKind.MATH, N.CallKind.INTRINSIC):  # __float2half and friends run on the host too
            return devmath.rewrite_call(e)
        if self._runtime(e.name):
            return self._value_form(e)
        return None

    def rewrite_Evaluate(self, s: N.Evaluate):
        inner = _unchecked(s.value)
        if isinstance(inner, (N.Const, N.StrLit)):
            return ()  # a reporting call's value (cudaGetLastError() -> 0) as a statement: nothing to do
        call = self._checked_call(s.value)
        if call is None:
            return None
        return self._convert(call, s.loc)

    def _checked_call(self, e):
        """The runtime call under error-check macros and `(void)` casts (`CHECK(cudaMalloc(...))`), or None."""
        call = _unchecked(e)
        if not (isinstance(call, N.Call) and self._runtime(call.name)):
            return None
        return call

    # The status a runtime call returns, where code keeps it (`cudaError_t e = cudaMalloc(...)`, `err =
    # cudaMemcpy(...)`): the call's C form runs first, and the status is success (0), which is what every
    # call returns on one CPU thread; a later `if (e != cudaSuccess)` then reads 0 against 0.
    def rewrite_Decl(self, s: N.Decl):
        call = self._checked_call(s.init) if s.init is not None else None
        if call is None or self._value_form(call) is not None:
            t = _status_type(s.type, self)
            return None if t is s.type else dataclasses.replace(s, type=t)
        conv = self._convert(call, s.loc)
        return (*_stmts(conv), dataclasses.replace(s, type=_status_type(s.type, self), init=N.Const(0)))

    def rewrite_Assign(self, s: N.Assign):
        call = self._checked_call(s.value) if s.op is None else None
        if call is None or self._value_form(call) is not None:
            return None
        return (*_stmts(self._convert(call, s.loc)), dataclasses.replace(s, value=N.Const(0)))

    def _value_form(self, call: N.Call):
        """The C value of a runtime call that only reports (error state, error text), or None."""
        word = self._word(call.name)
        if word in ("GetLastError", "PeekAtLastError"):
            return N.Const(0)
        if word == "GetErrorString":
            return N.StrLit("no error")  # the runtime's text for success, the only status here
        if word == "GetErrorName":
            return N.StrLit(call.name.replace("GetErrorName", "Success"))
        return None

    def rewrite_Var(self, e: N.Var):
        if self._runtime(e.sym.name) and self._word(e.sym.name) == "Success":
            return N.Const(0)  # cudaSuccess / hipSuccess: the status every call here returns
        return None

    def _runtime(self, name: str) -> bool:
        return any(name.startswith(p) for p in self.prefixes)

    def _word(self, name: str) -> str:
        for p in sorted(self.prefixes, key=len, reverse=True):
            if name.startswith(p):
                return name[len(p):]
        return name

    def _convert(self, call: N.Call, loc):
        word, a = self._word(call.name), call.args
        lib = lambda name, *args: N.Evaluate(N.Call(name, tuple(args), N.CallKind.HOST_API), loc=loc)
        if word in ("Malloc", "MallocHost", "MallocManaged", "HostAlloc") and len(a) >= 2:
            target = a[0].value if isinstance(a[0], N.Cast) else a[0]
            if not (isinstance(target, N.AddrOf) and isinstance(target.value, N.Var)):
                raise PassDeclined(f"host: {call.name} into something other than a variable")
            sym = target.value.sym
            t = self.types.get(sym)
            if not isinstance(t, T.Pointer):
                raise PassDeclined(f"host: {call.name} into {sym.name} of unknown pointer type")
            return N.Assign(sym, N.Cast(t, N.Call("malloc", (a[1],), N.CallKind.HOST_API)), loc=loc)
        if word in ("Memcpy", "MemcpyAsync") and len(a) >= 3:
            return lib("memcpy", a[0], a[1], a[2])
        if word in ("MemcpyToSymbol", "MemcpyFromSymbol") and len(a) >= 3:
            off = a[3] if len(a) >= 4 else None  # the byte offset into the symbol
            dst, srcp = a[0], a[1]
            if off is not None and const_int(off, None) != 0:
                if word == "MemcpyToSymbol":
                    dst = N.BinOp("+", N.Cast(T.Pointer(T.Scalar("char")), dst), off)
                else:
                    srcp = N.BinOp("+", N.Cast(T.Pointer(T.Scalar("char")), srcp), off)
            return lib("memcpy", dst, srcp, a[2])
        if word in ("Memset", "MemsetAsync") and len(a) >= 3:
            return lib("memset", a[0], a[1], a[2])
        if word in ("Free", "FreeHost"):
            return lib("free", a[0])
        if word == "DeviceGetAttribute" and len(a) == 3 and isinstance(a[1], N.Var) and "WarpSize" in a[1].sym.name:
            if not (isinstance(a[0], N.AddrOf) and isinstance(a[0].value, N.Var)) or not self.lang.warp_size:
                raise PassDeclined(f"host: {call.name} into something other than a variable")
            return N.Assign(a[0].value.sym, N.Const(self.lang.warp_size), loc=loc)
        if any(k in word for k in _NO_VALUE):
            return ()  # synchronisation, queues / streams / events, error state: nothing on one CPU thread
        raise PassDeclined(f"host: no C equivalent for {call.name}")


def _unchecked(e):
    """`e` without error-check macros of one argument and `(void)` casts around it (a macro the file defines,
    or an unknown one-argument wrapper spelled like a macro, `HIP_CHECK` from a header)."""
    while isinstance(e, N.Call) and len(e.args) == 1 and (
            e.kind is N.CallKind.MACRO or (e.kind is N.CallKind.OTHER and e.name.isupper())):
        e = e.args[0]  # CHECK(cudaMalloc(...)): the error check goes
    if isinstance(e, N.Cast) and isinstance(e.type, T.Scalar) and e.type.dtype == "void":
        e = e.value
    return e


def _stmts(conv) -> tuple:
    if isinstance(conv, tuple):
        return conv
    return (conv,) if conv is not None else ()


def _status_type(t, host: "_Host"):
    """`cudaError_t` / `hipError_t` -> int (the status is a plain integer in C)."""
    if isinstance(t, T.Named) and host._runtime(t.name) and t.name.endswith(("Error_t", "Ret_t", "Status_t")):
        return T.Scalar("int32")
    return t


def _drop_dead_runtime_vars(body: tuple, lang) -> tuple:
    """Remove declarations of runtime-typed variables (dim3, streams, queues, ...) nothing reads any more,
    with the statements that only set them."""
    named = set(lang.named_types)
    for _ in range(4):
        cands = {n.sym for s in body for n in walk(s) if isinstance(n, N.Decl) and isinstance(n.type, T.Named)
                 and (n.type.name in named or n.type.name.startswith(lang.host_api_prefixes))}
        if not cands:
            return body
        def reads(node) -> set:
            out = set()
            for n in walk(node):
                if isinstance(n, N.Var):
                    out.add(n.sym)
            return out

        used = set()
        for s in _flat(body):
            if isinstance(s, N.Decl) and s.sym in cands:
                used |= reads(s.init) if s.init is not None else set()
            elif (isinstance(s, N.Assign) and s.sym in cands) or _sets_member_of(s, cands):
                used |= reads(s.value)
            elif not isinstance(s, (N.For, N.If, N.Block, N.CFor, N.While, N.DoWhile, N.Switch)):
                used |= reads(s)
            else:
                used |= {n.sym for e in _stmt_exprs(s) for n in walk(e) if isinstance(n, N.Var)}
        dead = cands - used
        if not dead:
            return body

        body = _Drop(dead).rewrite(body)
    return body


def _sets_member_of(s, syms: set) -> bool:
    """`v.x = ...` for a variable v in `syms`."""
    t = getattr(s, "target", None) if isinstance(s, N.Store) else None
    return isinstance(t, N.Member) and isinstance(t.base, N.Var) and t.base.sym in syms


class _Drop(Rewriter):
    """Remove the declarations of `dead` variables and the statements that only set them."""

    def __init__(self, dead: set) -> None:
        self.dead = dead

    def rewrite_Decl(self, s):
        return () if s.sym in self.dead else None

    def rewrite_Assign(self, s):
        return () if s.sym in self.dead else None

    def rewrite_Store(self, s):
        return () if _sets_member_of(s, self.dead) else None


def _flat(body):
    for s in body:
        yield s
        for f in ("body", "then", "orelse", "init", "update"):
            inner = getattr(s, f, None)
            if isinstance(inner, tuple):
                yield from _flat(inner)
        if isinstance(s, N.Switch):
            for c in s.cases:
                yield from _flat(c.body)


def _stmt_exprs(s):
    for f in ("cond", "start", "stop", "step", "value"):
        v = getattr(s, f, None)
        if isinstance(v, N.Expr):
            yield v


def _drop_unused_runtime_macros(module: N.Module, lang) -> N.Module:
    """Macros that name the device runtime (error-check helpers) and nothing uses any more."""
    used = {n.sym for n in walk(module) if isinstance(n, N.Var)} | {
        n.name for n in walk(module) if isinstance(n, N.Call) and n.kind is N.CallKind.MACRO}
    keep = []
    for it in module.items:
        if isinstance(it, N.Define) and it.sym not in used and it.name not in used and any(
                p in it.text for p in lang.host_api_prefixes):
            continue
        keep.append(it)
    return dataclasses.replace(module, items=tuple(keep))


def _check_c(module: N.Module, lang) -> None:
    """What plain C cannot express makes the pass decline rather than print code that does not build."""
    known = C_MATH | C_HOST_API | {f.name for f in module.funcs()} | {
        "__builtin_popcount", "__builtin_popcountll", "__builtin_clz", "__builtin_ffs"}
    for n in walk(module):
        if isinstance(n, N.Launch):
            raise PassDeclined(f"host: launch of {n.kernel} left")
        if isinstance(n, N.Call) and n.kind is N.CallKind.HOST_API and any(
                n.name.startswith(p) for p in lang.host_api_prefixes):
            raise PassDeclined(f"host: the value of {n.name} is used")
        if isinstance(n, N.Call) and n.kind in (N.CallKind.MATH, N.CallKind.INTRINSIC) and n.name not in known:
            raise PassDeclined(f"host: {n.name} has no C equivalent here")
    bad = _bad_types(module)
    if bad:
        raise PassDeclined(f"host: type {bad} has no plain C form")


def _bad_types(module: N.Module) -> str | None:
    found = []

    def fn(t):
        if isinstance(t, T.Fragment):  # short vectors print as C (vector_size typedefs, structs)
            found.append(type(t).__name__)

    map_types(module, fn)
    return found[0] if found else None
