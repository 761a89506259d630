"""`dump(node) -> str`: a readable, indented pseudo-code rendering of any IR node, for debugging.

Why: dataclass reprs of a loop nest are unreadable, and printing through a dialect printer hides what the
IR actually holds (loop kinds, scopes, which calls are intrinsics). This text shows exactly that, one
statement per line. It is not meant to be parsed.

Conventions:
- Types are compact: `f32`, `i32`, `u8`, `f32*global`, `const f16*shared`, `f32x4`, `frag<a 16x16x16 f16 row>`.
- Symbols print by name; `name#id` only when two different symbols of the dumped tree share a name.
- `for i in 0..n step 2 [unrolled 4]:`; a BOUND loop shows its axis: `for t in 0..128 [bound threadIdx.x]:`.
- Calls are marked by kind: `@__bang_add(...)` intrinsic, `MAX!(...)` macro, `host:cudaMalloc(...)` host API.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from xpiler.ir import nodes as N
from xpiler.ir.types import Fragment, Named, Pointer, Scalar, Type, Vector

_SHORT = {"float16": "f16", "bfloat16": "bf16", "float32": "f32", "float64": "f64", "int8": "i8", "uint8": "u8",
          "int16": "i16", "uint16": "u16", "int32": "i32", "uint32": "u32", "int64": "i64", "uint64": "u64"}
_PREC = {"||": 1, "&&": 2, "|": 3, "^": 4, "&": 5, "==": 6, "!=": 6, "<": 7, "<=": 7, ">": 7, ">=": 7,
         "<<": 8, ">>": 8, "+": 9, "-": 9, "*": 10, "/": 10, "%": 10}


def type_str(t: Any) -> str:
    """Compact text of a type."""
    if isinstance(t, Scalar):
        return _SHORT.get(t.dtype, t.dtype)
    if isinstance(t, Pointer):
        inner = type_str(t.pointee)
        return f"{'const ' if t.const else ''}{inner}*{t.scope.value}{' restrict' if t.restrict else ''}"
    if isinstance(t, Vector):
        return f"{_SHORT.get(t.elem, t.elem)}x{t.lanes}"
    if isinstance(t, Fragment):
        use = {"matrix_a": "a", "matrix_b": "b", "accumulator": "acc"}.get(t.use, t.use)
        lay = f" {t.layout.replace('_major', '')}" if t.layout else ""
        return f"frag<{use} {t.m}x{t.n}x{t.k} {_SHORT.get(t.dtype, t.dtype)}{lay}>"
    if isinstance(t, Named):
        return t.name + (f"<{', '.join(_arg(a, None) for a in t.args)}>" if t.args else "")
    return repr(t)


def _arg(a: Any, d: _Dumper | None) -> str:
    if isinstance(a, Type):
        return type_str(a)
    if isinstance(a, N.Expr):
        return (d or _Dumper(set())).expr(a)
    return str(a)


def _all_syms(node: Any) -> set[N.Sym]:
    out: set[N.Sym] = set()
    stack = [node]
    while stack:
        x = stack.pop()
        if isinstance(x, N.Sym):
            out.add(x)
        elif isinstance(x, tuple):
            stack.extend(x)
        elif dataclasses.is_dataclass(x) and not isinstance(x, (type, N.Loc)):
            stack.extend(getattr(x, f.name) for f in dataclasses.fields(x))
    return out


class _Dumper:
    def __init__(self, ambiguous: set[str]) -> None:
        self.ambiguous = ambiguous
        self.lines: list[str] = []

    def sym(self, s: N.Sym) -> str:
        return f"{s.name}#{s.id}" if s.name in self.ambiguous else s.name

    # -- expressions -----------------------------------------------------------------------------------
    def expr(self, e: Any, prec: int = 0) -> str:
        if not isinstance(e, N.Expr):
            return _arg(e, self)
        if isinstance(e, N.Const):
            if e.spelling:
                return e.spelling
            if isinstance(e.value, bool):
                return "true" if e.value else "false"
            suffix = {"float32": "f", "int64": "L", "uint32": "u", "uint64": "uL"}.get(e.dtype, "")
            if e.dtype == "float32" and float(e.value).is_integer():
                return f"{float(e.value)}f"
            return f"{e.value}{suffix}" if e.dtype not in ("int32", "float64") else repr(e.value)
        if isinstance(e, N.StrLit):
            return f'"{e.text}"'
        if isinstance(e, N.Var):
            return self.sym(e.sym)
        if isinstance(e, N.Builtin):
            return e.name
        if isinstance(e, N.Load):
            return self.expr(e.base, 12) + "".join(f"[{self.expr(i)}]" for i in e.indices)
        if isinstance(e, N.Member):
            return f"{self.expr(e.base, 12)}{'->' if e.arrow else '.'}{e.name}"
        if isinstance(e, N.AddrOf):
            return f"&{self.expr(e.value, 11)}"
        if isinstance(e, N.Deref):
            return f"*{self.expr(e.value, 11)}"
        if isinstance(e, N.BinOp):
            p = _PREC[e.op]
            s = f"{self.expr(e.a, p)} {e.op} {self.expr(e.b, p + 1)}"
            return f"({s})" if p < prec else s
        if isinstance(e, N.UnOp):
            return f"{e.op}{self.expr(e.a, 11)}"
        if isinstance(e, N.Select):
            s = f"{self.expr(e.cond, 1)} ? {self.expr(e.a, 1)} : {self.expr(e.b, 1)}"
            return f"({s})" if prec > 0 else s
        if isinstance(e, N.Cast):
            return f"({type_str(e.type)}){self.expr(e.value, 11)}"
        if isinstance(e, N.Call):
            tpl = f"<{', '.join(_arg(a, self) for a in e.template_args)}>" if e.template_args else ""
            args = ", ".join(self.expr(a) for a in e.args)
            mark = {N.CallKind.INTRINSIC: ("@", ""), N.CallKind.MACRO: ("", "!"),
                    N.CallKind.HOST_API: ("host:", "")}.get(e.kind, ("", ""))
            return f"{mark[0]}{e.name}{mark[1]}{tpl}({args})"
        if isinstance(e, N.SizeOf):
            return f"sizeof({_arg(e.arg, self)})"
        if isinstance(e, N.InitList):
            return "{" + ", ".join(self.expr(x) for x in e.items) + "}"
        if isinstance(e, N.OpaqueExpr):
            return f"opaque`{e.text}`"
        return repr(e)

    # -- statements ------------------------------------------------------------------------------------
    def emit(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def body(self, stmts: tuple, depth: int) -> None:
        if not stmts:
            self.emit(depth, "pass")
        for s in stmts:
            self.node(s, depth)

    def node(self, s: Any, depth: int) -> None:
        fn = getattr(self, "n_" + type(s).__name__, None)
        if fn is not None:
            fn(s, depth)
        elif isinstance(s, N.Expr):
            self.emit(depth, self.expr(s))
        elif isinstance(s, Type):
            self.emit(depth, type_str(s))
        elif isinstance(s, tuple):
            self.body(s, depth)
        else:
            self.emit(depth, repr(s))

    def n_Decl(self, s: N.Decl, d: int) -> None:
        q = "".join(w + " " for w, on in (("static", s.static), ("const", s.const)) if on)
        init = f" = {self.expr(s.init)}" if s.init is not None else ""
        al = f" align {s.align}" if s.align else ""
        self.emit(d, f"{q}decl {self.sym(s.sym)}: {type_str(s.type)}{al}{init}")

    def n_Alloc(self, s: N.Alloc, d: int) -> None:
        q = "".join(w + " " for w, on in (("extern", s.extern), ("static", s.static), ("const", s.const)) if on)
        shape = "".join(f"[{self.expr(x)}]" for x in s.shape)
        init = f" = {self.expr(s.init)}" if s.init is not None else ""
        al = f" align {s.align}" if s.align else ""
        self.emit(d, f"{q}alloc {self.sym(s.sym)}: {type_str(s.elem)}{shape} @{s.scope.value}{al}{init}")

    def n_Assign(self, s: N.Assign, d: int) -> None:
        self.emit(d, f"{self.sym(s.sym)} {s.op or ''}= {self.expr(s.value)}")

    def n_Store(self, s: N.Store, d: int) -> None:
        self.emit(d, f"{self.expr(s.target)} {s.op or ''}= {self.expr(s.value)}")

    def n_For(self, s: N.For, d: int) -> None:
        step = "" if isinstance(s.step, N.Const) and s.step.value == 1 else f" step {self.expr(s.step)}"
        tags = []
        if s.kind is not N.LoopKind.SERIAL:
            tags.append(s.kind.value + (f" {s.unroll}" if s.unroll else ""))
        if s.axis:
            tags.append(s.axis)
        tag = f" [{' '.join(tags)}]" if tags else ""
        self.emit(d, f"for {self.sym(s.var)} in {self.expr(s.start)}..{self.expr(s.stop)}{step}{tag}:")
        self.body(s.body, d + 1)

    def _inline(self, stmts: tuple) -> str:
        sub = _Dumper(self.ambiguous)
        for s in stmts:
            sub.node(s, 0)
        return ", ".join(line.strip() for line in sub.lines)

    def n_CFor(self, s: N.CFor, d: int) -> None:
        cond = self.expr(s.cond) if s.cond is not None else ""
        unroll = f" [unroll{f' {s.unroll}' if s.unroll else ''}]" if s.pragma or s.unroll else ""
        self.emit(d, f"cfor ({self._inline(s.init)}; {cond}; {self._inline(s.update)}){unroll}:")
        self.body(s.body, d + 1)

    def n_While(self, s: N.While, d: int) -> None:
        self.emit(d, f"while {self.expr(s.cond)}:")
        self.body(s.body, d + 1)

    def n_DoWhile(self, s: N.DoWhile, d: int) -> None:
        self.emit(d, "do:")
        self.body(s.body, d + 1)
        self.emit(d, f"while {self.expr(s.cond)}")

    def n_If(self, s: N.If, d: int) -> None:
        self.emit(d, f"if {self.expr(s.cond)}:")
        self.body(s.then, d + 1)
        if s.orelse:
            self.emit(d, "else:")
            self.body(s.orelse, d + 1)

    def n_Switch(self, s: N.Switch, d: int) -> None:
        self.emit(d, f"switch {self.expr(s.value)}:")
        for c in s.cases:
            vals = ", ".join(self.expr(v) for v in c.values)
            self.emit(d + 1, f"case {vals}:" if c.values else "default:")
            self.body(c.body, d + 2)

    def n_Break(self, s: N.Break, d: int) -> None:
        self.emit(d, "break")

    def n_Continue(self, s: N.Continue, d: int) -> None:
        self.emit(d, "continue")

    def n_Return(self, s: N.Return, d: int) -> None:
        self.emit(d, "return" + (f" {self.expr(s.value)}" if s.value is not None else ""))

    def n_Barrier(self, s: N.Barrier, d: int) -> None:
        self.emit(d, f"barrier({s.scope.value})")

    def n_Evaluate(self, s: N.Evaluate, d: int) -> None:
        self.emit(d, self.expr(s.value))

    def n_Launch(self, s: N.Launch, d: int) -> None:
        tpl = f"<{', '.join(_arg(a, self) for a in s.template_args)}>" if s.template_args else ""
        cfg = ", ".join(self.expr(c) for c in s.config)
        self.emit(d, f"launch {s.kernel}{tpl}<<<{cfg}>>>({', '.join(self.expr(a) for a in s.args)})")

    def n_Block(self, s: N.Block, d: int) -> None:
        self.emit(d, "block:")
        self.body(s.body, d + 1)

    def n_Comment(self, s: N.Comment, d: int) -> None:
        for line in s.text.splitlines() or [""]:
            self.emit(d, f"// {line.strip()}")

    def n_Opaque(self, s: N.Opaque, d: int) -> None:
        text = " ".join(s.text.split())
        parts = [f"{w} {', '.join(map(self.sym, syms))}" for w, syms in (("reads", s.reads), ("writes", s.writes)) if syms]
        rw = f"  [{'; '.join(parts)}]" if parts else ""
        self.emit(d, f"opaque `{text}`{rw}")

    # -- functions and module items --------------------------------------------------------------------
    def param(self, p: N.Param) -> str:
        return f"{'const ' if p.const else ''}{self.sym(p.sym)}: {type_str(p.type)}"

    def n_Param(self, p: N.Param, d: int) -> None:
        self.emit(d, self.param(p))

    def n_Func(self, f: N.Func, d: int) -> None:
        quals = [w for w, on in (("extern \"C\"", f.extern_c), ("static", f.static), ("inline", f.inline),
                                 ("forceinline", f.forceinline)) if on]
        tpl = f"<{', '.join(self.param(p) for p in f.template_params)}>" if f.template_params else ""
        lb = f" launch_bounds({', '.join(self.expr(x) for x in f.launch_bounds)})" if f.launch_bounds else ""
        head = " ".join(quals + [f.kind.value])
        params = ", ".join(self.param(p) for p in f.params)
        decl = " (declaration)" if f.is_declaration else ":"
        self.emit(d, f"{head} {f.name}{tpl}({params}) -> {type_str(f.ret)}{lb}{decl}")
        if not f.is_declaration:
            self.body(f.body, d + 1)

    def n_Define(self, s: N.Define, d: int) -> None:
        params = f"({', '.join(s.params)})" if s.params is not None else ""
        body = self.expr(s.body) if s.body is not None else f"`{s.text}` (unparsed)"
        self.emit(d, f"#define {self.sym(s.sym)}{params} {body}")

    def n_Include(self, s: N.Include, d: int) -> None:
        self.emit(d, f"#include {'<' + s.path + '>' if s.system else chr(34) + s.path + chr(34)}")

    def n_StaticAssert(self, s: N.StaticAssert, d: int) -> None:
        msg = f', "{s.message}"' if s.message else ""
        self.emit(d, f"static_assert({self.expr(s.cond)}{msg})")

    def n_TypeAlias(self, s: N.TypeAlias, d: int) -> None:
        self.emit(d, f"typedef {s.name} = {type_str(s.type)}")

    def n_UsingNamespace(self, s: N.UsingNamespace, d: int) -> None:
        self.emit(d, f"using namespace {s.name}")

    def n_PreprocIf(self, s: N.PreprocIf, d: int) -> None:
        self.emit(d, f"#if {self.expr(s.cond)}")
        self.body(s.then, d + 1)
        if s.orelse:
            self.emit(d, "#else")
            self.body(s.orelse, d + 1)
        self.emit(d, "#endif")

    def n_Directive(self, s: N.Directive, d: int) -> None:
        self.emit(d, f"#{s.kind} {s.text}".rstrip())

    def n_Module(self, m: N.Module, d: int) -> None:
        self.emit(d, f"module {m.dialect}" + (f" ({m.path})" if m.path else ""))
        for item in m.items:
            self.node(item, d + 1)

    def n_Case(self, c: N.Case, d: int) -> None:
        self.emit(d, f"case {', '.join(self.expr(v) for v in c.values)}:" if c.values else "default:")
        self.body(c.body, d + 1)


def dump(node: Any) -> str:
    """Readable multi-line text of `node` (a Module, Func, statement, expression, type or tuple of them)."""
    by_name: dict[str, set[N.Sym]] = {}
    for s in _all_syms(node):
        by_name.setdefault(s.name, set()).add(s)
    d = _Dumper({name for name, syms in by_name.items() if len(syms) > 1})
    if isinstance(node, N.Expr):
        return d.expr(node)
    d.node(node, 0)
    return "\n".join(d.lines)


def expr_text(e: Any) -> str:
    """One expression in the dump's C-like notation (for reports and logs)."""
    return _Dumper(set()).expr(e)
