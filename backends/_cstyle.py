"""`CStylePrinter`: IR -> formatted C/C++ source, shared by the five dialects' printers.

One small method per node kind (`expr_BinOp`, `stmt_For`, `item_Define`, ...); every dialect-specific word
(qualifiers, barrier names, type spellings) comes from the dialect's `LanguageFacts`, and a dialect's
`printer.py` subclass overrides only what the facts cannot say (tinygrad's CStyleLanguage / CUDARenderer
split). Expression text is in `_cexpr.ExprPrinter` (precedence, literals, types); this module prints
statements, functions and module items.

Layout rules, chosen so that printing is idempotent (`emit(parse(emit(m))) == emit(m)`):
- 2-space indent, K&R braces, braces on every loop / if body, one statement per line.
- A blank line separates two statements when the source had one: statement `s` follows `prev` after a gap
  iff `s.loc.line - prev.loc.line` exceeds the number of lines `prev` prints as. On re-parsed output the
  gap is exactly what we printed, so the decision repeats. Generated nodes (no `loc`) get none.
- A comment on the same source line as a one-line statement is printed after it (`x = 1;  // why`).
- Module items: a blank line between groups of different kinds and around every function definition;
  comments stick to the item after them.
- Long signatures, calls and launches wrap at `width` columns, arguments aligned to the open paren.
- `LoopKind.BOUND` loops have no source form of their own: they print as a serial loop under a
  `// bound to <axis>` comment until the lowering passes (issue 4) replace them.
"""

from __future__ import annotations

import dataclasses

from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.dialect import LanguageFacts

from xpiler.frontend.opaque import OMP_HINT  # noqa: E402  (a lifted `#pragma omp ...` line, kept as a Comment)

from ._cexpr import REL, ExprPrinter, PrintError, _balanced_parens

__all__ = ["CStylePrinter", "PrintError"]


class CStylePrinter(ExprPrinter):
    """Prints a `Module` in the dialect described by `language`. Subclass per dialect; see module doc."""

    language: LanguageFacts
    indent_unit = "  "
    width = 100
    # `__launch_bounds__(...)` exists (cuda, hip); elsewhere it is a hint that is dropped.
    launch_bounds_spelling: str | None = None
    # how `Func.forceinline` is written
    forceinline_spelling = "inline"
    # `#pragma unroll` spelling: {n} is the factor ("" when full)
    unroll_pragma = "#pragma unroll{n}"

    def __init__(self, language: LanguageFacts | None = None) -> None:
        super().__init__(language or self.language)
        self.lines: list[str] = []

    # ------------------------------------------------------------------ entry points
    def reserved_scalars(self) -> dict[str, str]:
        """Scalar type names the target dialect defines itself (spelling -> dtype): `half` in CUDA/HIP."""
        out = {v: k for k, v in self.language.dtype_spelling.items()}
        out.update(self.extra_spellings)
        return out

    def prepare(self, items) -> None:
        super().prepare(items)
        # A source's own scalar typedef named like a type of the target (C's `typedef unsigned short half;`
        # printed as CUDA) is not copied: the target's name means its own type, so the typedef is dropped and
        # every use is printed with the alias's underlying type.
        reserved = self.reserved_scalars()
        self.dropped_aliases = {name for name, ty in self.aliases.items()
                                if name in reserved and isinstance(ty, T.Scalar)}
        for name in self.dropped_aliases:
            del self.aliases[name]
        # A vector typedef named like a vector type of the target (HIP's `using float4 = __attribute__((
        # __vector_size__(16))) float;` beside the runtime's struct float4) is renamed with all its uses.
        self.renamed_aliases = {}
        for name, ty in list(self.aliases.items()):
            if isinstance(ty, T.Vector) and name in self.language.vector_types:
                new = name + "_v"
                while new in self.aliases:
                    new += "_"
                self.renamed_aliases[name] = new
                self.aliases[new] = self.aliases.pop(name)

    def vector_name(self, t: T.Vector) -> str:
        new = getattr(self, "renamed_aliases", {}).get(t.spelling) if t.spelling else None
        return new if new is not None else super().vector_name(t)

    def emit_module(self, module: N.Module) -> str:
        self.prepare(module.items)
        self.lines = []
        items = list(module.items)
        cats = self._categories(items)
        prev, prev_n = None, 0
        for idx, item in enumerate(items):
            start = len(self.lines)
            if prev is not None:
                if self._trailing_comment(prev, prev_n, item):
                    continue
                pl, il = getattr(prev, "loc", None), getattr(item, "loc", None)
                gap = pl is not None and il is not None and il.line - pl.line > prev_n and pl.file == il.file
                if gap or (not isinstance(prev, N.Comment) and (cats[idx] != cats[idx - 1] or cats[idx] == "func")):
                    self.lines.append("")
                    start += 1
            self.item(item)
            prev, prev_n = item, len(self.lines) - start
        return "\n".join(self.lines).rstrip("\n") + "\n"

    def _categories(self, items: list) -> list[str]:
        cats: list[str] = [""] * len(items)
        nxt = "comment"
        for i in range(len(items) - 1, -1, -1):
            it = items[i]
            if isinstance(it, N.Comment):
                cats[i] = nxt
                continue
            if isinstance(it, N.Func):
                nxt = "proto" if it.is_declaration else "func"
            elif isinstance(it, (N.Alloc, N.Decl)):
                nxt = "global"
            elif isinstance(it, (N.PreprocIf, N.Directive)):
                nxt = "pp"
            else:
                nxt = type(it).__name__
            cats[i] = nxt
        return cats

    def _trailing_comment(self, prev, prev_n: int, c) -> bool:
        """Print `c` (a line comment on `prev`'s source line) at the end of `prev`'s one printed line."""
        if not (isinstance(c, N.Comment) and not c.block and "\n" not in c.text and prev_n == 1):
            return False
        pl, cl = getattr(prev, "loc", None), c.loc
        if isinstance(prev, N.Comment) or pl is None or cl is None or pl.line != cl.line:
            return False
        if self.lines[-1].rstrip().endswith("\\"):
            return False
        self.lines[-1] += "  " + self.comment_text(c)
        return True

    # ------------------------------------------------------------------ module items
    def item(self, item) -> None:
        fn = getattr(self, "item_" + type(item).__name__, None)
        if fn is None:
            raise PrintError(f"{self.language.name} printer: cannot print module item {type(item).__name__}")
        fn(item)

    def item_Include(self, it: N.Include) -> None:
        self.lines.append(f"#include <{it.path}>" if it.system else f'#include "{it.path}"')

    def item_UsingNamespace(self, it: N.UsingNamespace) -> None:
        self.lines.append(f"using namespace {it.name};")

    def item_TypeAlias(self, it: N.TypeAlias) -> None:
        if it.name in getattr(self, "dropped_aliases", ()):
            return
        if it.name in getattr(self, "renamed_aliases", {}):
            it = dataclasses.replace(it, name=self.renamed_aliases[it.name])
        t = it.type
        if isinstance(t, T.Vector) and not (t.spelling and t.spelling != it.name and self._vector_ok(t.spelling)):
            elem = self.scalar_name(T.Scalar(t.elem))
            self.lines.append(f"typedef {elem} {it.name} __attribute__((ext_vector_type({t.lanes})));")
        else:
            self.lines.append(f"typedef {self.declarator(t, it.name)};")

    def item_StaticAssert(self, it: N.StaticAssert) -> None:
        msg = f', "{it.message}"' if it.message is not None else ""
        self.lines.append(f"static_assert({self.expr(it.cond)}{msg});")

    def item_Directive(self, it: N.Directive) -> None:
        if it.kind == "verbatim":  # text carried whole (a ported header), printed as it is
            self.lines.extend(it.text.split("\n"))
            return
        text = it.text.strip()
        self.lines.append(text if text.startswith("#") else f"#{it.kind} {text}".rstrip())

    def item_Define(self, d: N.Define) -> None:
        head = f"#define {d.name}" + (f"({', '.join(d.params)})" if d.params is not None else "")
        if d.body is None:
            body = d.text.strip()
        else:
            self.macro_params = frozenset(d.params or ())
            try:
                body, prec = self._expr(d.body)
            finally:
                self.macro_params = frozenset()
            if not self.macro_safe(d.body, prec) and not _balanced_parens(body):
                body = f"({body})"
        self.lines.append(f"{head} {body}" if body else head)

    def item_PreprocIf(self, it: N.PreprocIf, kw: str = "#if") -> None:
        self.lines.append(f"{kw} {self.expr(it.cond)}")
        self._pp_items(it.then)
        if len(it.orelse) == 1 and isinstance(it.orelse[0], N.PreprocIf):
            self.item_PreprocIf(it.orelse[0], "#elif")
            return
        if it.orelse:
            self.lines.append("#else")
            self._pp_items(it.orelse)
        self.lines.append("#endif")

    def _pp_items(self, items) -> None:
        for x in items:
            if isinstance(x, N.STMT_TYPES) and not isinstance(x, (N.Comment, N.Opaque, N.Decl, N.Alloc)):
                self.stmt(x, 0)  # a #if inside a function body
            else:
                self.item(x)

    def item_Comment(self, c: N.Comment) -> None:
        self.stmt_Comment(c, 0)

    def item_Opaque(self, o: N.Opaque) -> None:
        self.stmt_Opaque(o, 0)

    def item_Alloc(self, a: N.Alloc) -> None:
        self.stmt_Alloc(a, 0)

    def item_Decl(self, d: N.Decl) -> None:
        self.stmt_Decl(d, 0)

    def item_Func(self, f: N.Func) -> None:
        if f.template_params:
            self.lines.append(f"template <{', '.join(self.template_param(p) for p in f.template_params)}>")
        quals = []
        if f.extern_c:
            quals.append('extern "C"')
        if f.static:
            quals.append("static")
        q = {N.FuncKind.KERNEL: self.language.kernel_spelling, N.FuncKind.DEVICE: self.language.device_spelling}
        if q.get(f.kind):
            quals.append(q[f.kind])
        if f.forceinline:
            quals.append(self.forceinline_spelling)
        elif f.inline:
            quals.append("inline")
        quals.append(self.type_name(f.ret))
        if f.launch_bounds and self.launch_bounds_spelling:
            quals.append(f"{self.launch_bounds_spelling}({', '.join(self.expr(e) for e in f.launch_bounds)})")
        params = [self.param(p) for p in f.params]
        tail = ";" if f.is_declaration else " {"
        self.lines.extend(self.wrap(" ".join(quals) + f" {f.name}(", params, ")" + tail, ""))
        if not f.is_declaration:
            self.body(f.body, 1)
            self.lines.append("}")

    def template_param(self, p: N.Param) -> str:
        if isinstance(p.type, T.Named) and p.type.name in ("typename", "class"):
            return f"{p.type.name} {p.sym.name}"
        return self.declarator(p.type, p.sym.name)

    def param(self, p: N.Param) -> str:
        return self.declarator(p.type, p.sym.name, const=p.const)

    # ------------------------------------------------------------------ statements
    def body(self, stmts, level: int) -> None:
        """Print a statement list at `level`, keeping the source's blank lines and trailing comments."""
        prev, prev_n = None, 0
        for s in stmts:
            start = len(self.lines)
            if prev is not None and self._trailing_comment(prev, prev_n, s):
                continue
            pl, sl = getattr(prev, "loc", None), getattr(s, "loc", None)
            if pl is not None and sl is not None and sl.line - pl.line > prev_n and pl.file == sl.file:
                self.lines.append("")
                start += 1
            self.stmt(s, level)
            prev, prev_n = s, len(self.lines) - start

    def stmt(self, s, level: int) -> None:
        fn = getattr(self, "stmt_" + type(s).__name__, None)
        if fn is None:
            raise PrintError(f"{self.language.name} printer: cannot print statement {type(s).__name__}")
        fn(s, level)

    def ind(self, level: int) -> str:
        return self.indent_unit * level

    def line(self, level: int, text: str) -> None:
        self.lines.append(self.ind(level) + text)

    def stmt_Decl(self, d: N.Decl, level: int) -> None:
        head = (f"{self.align_spelling(d.align)} " if d.align else "") + ("static " if d.static else "")
        tname = self.type_name(d.type)
        init = d.init
        if isinstance(init, N.Call) and init.kind == N.CallKind.CTOR and init.name == tname and init.args:
            # `dim3 grid(x, y);` rather than `dim3 grid = dim3(x, y);`
            head += self.declarator(d.type, d.sym.name, const=d.const)
            self.lines.extend(self.wrap(head + "(", [self.expr(a) for a in init.args], ");", self.ind(level)))
            return
        head += self.declarator(d.type, d.sym.name, const=d.const)
        self.assign_like(level, head, "=", init)

    def stmt_Alloc(self, a: N.Alloc, level: int) -> None:
        scope = self.language.scope_spelling.get(a.scope)
        if scope is None:
            raise PrintError(f"dialect {self.language.name} has no memory scope {a.scope.value!r} "
                             f"(buffer {a.sym.name})")
        words = [w for w in ("extern" if a.extern else "", scope) if w]
        head = (f"{self.align_spelling(a.align)} " if a.align and self.align_style == "alignas" else "")
        head += " ".join(words) + (" " if words else "")
        if self.align_style != "alignas" and a.align:
            head += f"{self.align_spelling(a.align)} "
        head += "static " if a.static else ""
        dims = "".join(f"[{self.expr(e)}]" for e in a.shape) or ("[]" if a.extern else "")
        head += self.declarator(a.elem, a.sym.name, const=a.const, array=True) + dims
        self.assign_like(level, head, "=", a.init)

    def assign_like(self, level: int, head: str, op: str, value) -> None:
        if value is None:
            self.line(level, head + ";")
            return
        text = f"{head} {op} {self.expr(value)};"
        if isinstance(value, N.Call) and len(self.ind(level) + text) > self.width:
            self.lines.extend(self.wrap(f"{head} {op} {self.call_head(value)}(",
                                        [self.expr(a) for a in value.args], ");", self.ind(level)))
        else:
            self.line(level, text)

    def stmt_Assign(self, s: N.Assign, level: int) -> None:
        self.assign_like(level, self.sym_name(s.sym), f"{s.op or ''}=", s.value)

    def stmt_Store(self, s: N.Store, level: int) -> None:
        self.assign_like(level, self.expr(s.target, self.UNARY_PREC), f"{s.op or ''}=", s.value)

    def stmt_Evaluate(self, s: N.Evaluate, level: int) -> None:
        v = s.value
        text = self.expr(v) + ";"
        if isinstance(v, N.Call) and len(self.ind(level) + text) > self.width:
            self.lines.extend(self.wrap(self.call_head(v) + "(", [self.expr(a) for a in v.args], ");",
                                        self.ind(level)))
        else:
            self.line(level, text)

    def stmt_Launch(self, s: N.Launch, level: int) -> None:
        if not self.language.triple_chevron:
            raise PrintError(f"dialect {self.language.name} has no kernel launches (launch of {s.kernel})")
        targs = self.template_args(s.template_args)
        cfg = ", ".join(self.expr(e) for e in s.config)
        self.lines.extend(self.wrap(f"{s.kernel}{targs}<<<{cfg}>>>(", [self.expr(a) for a in s.args], ");",
                                    self.ind(level)))

    def stmt_Barrier(self, s: N.Barrier, level: int) -> None:
        for name, scope in self.language.barriers.items():
            if scope == s.scope:
                self.line(level, f"{name}();")
                return
        raise PrintError(f"dialect {self.language.name} has no {s.scope.value}-scope barrier")

    def stmt_Return(self, s: N.Return, level: int) -> None:
        self.line(level, "return;" if s.value is None else f"return {self.expr(s.value)};")

    def stmt_Break(self, s, level: int) -> None:
        self.line(level, "break;")

    def stmt_Continue(self, s, level: int) -> None:
        self.line(level, "continue;")

    def stmt_Block(self, s: N.Block, level: int) -> None:
        self.line(level, "{")
        self.body(s.body, level + 1)
        self.line(level, "}")

    def braced(self, level: int, head: str, body) -> None:
        self.line(level, head + " {")
        self.body(body, level + 1)
        self.line(level, "}")

    def stmt_If(self, s: N.If, level: int) -> None:
        self.line(level, f"if {'constexpr ' if s.constexpr else ''}({self.expr(s.cond)}) {{")
        while True:
            self.body(s.then, level + 1)
            if len(s.orelse) == 1 and isinstance(s.orelse[0], N.If) and s.orelse[0].constexpr == s.constexpr:
                s = s.orelse[0]
                self.line(level, f"}} else if {'constexpr ' if s.constexpr else ''}({self.expr(s.cond)}) {{")
                continue
            if s.orelse:
                self.line(level, "} else {")
                self.body(s.orelse, level + 1)
            break
        self.line(level, "}")

    def stmt_While(self, s: N.While, level: int) -> None:
        self.braced(level, f"while ({self.expr(s.cond)})", s.body)

    def stmt_DoWhile(self, s: N.DoWhile, level: int) -> None:
        self.line(level, "do {")
        self.body(s.body, level + 1)
        self.line(level, f"}} while ({self.expr(s.cond)});")

    def stmt_Switch(self, s: N.Switch, level: int) -> None:
        self.line(level, f"switch ({self.expr(s.value)}) {{")
        for case in s.cases:
            for v in case.values:
                self.line(level + 1, f"case {self.expr(v)}:")
            if not case.values:
                self.line(level + 1, "default:")
            if len(case.body) == 1 and isinstance(case.body[0], N.Block):  # `case 1: {` ... `}`
                self.lines[-1] += " {"
                self.body(case.body[0].body, level + 2)
                self.line(level + 1, "}")
            else:
                self.body(case.body, level + 2)
        self.line(level, "}")

    def pragma(self, unroll: int | None) -> str:
        return self.unroll_pragma.format(n=f" {unroll}" if unroll else "")

    def stmt_For(self, s: N.For, level: int) -> None:
        if s.kind == N.LoopKind.UNROLLED:
            self.lines.append(self.pragma(s.unroll))
        elif s.kind == N.LoopKind.BOUND:
            self.line(level, f"// bound to {s.axis or 'a parallel axis'}")
        v = s.var.name
        vt = self.type_name(s.var_type) if s.var_type is not None else "int"
        one = isinstance(s.step, N.Const) and s.step.value == 1 and not isinstance(s.step.value, bool)
        step = f"++{v}" if one else f"{v} += {self.expr(s.step)}"
        # the bound is the right operand of `<`: a ?: or comparison there needs parentheses
        self.braced(level, f"for ({vt} {v} = {self.expr(s.start)}; {v} < {self.expr(s.stop, REL + 1)}; {step})",
                    s.body)

    def stmt_CFor(self, s: N.CFor, level: int) -> None:
        if s.pragma:
            self.lines.append(self.pragma(s.unroll))
        init = self.for_init(s.init)
        cond = self.expr(s.cond) if s.cond is not None else ""
        update = ", ".join(self.inline_stmt(u) for u in s.update)
        head = f"for ({init};" + (f" {cond}" if cond else "") + ";" + (f" {update}" if update else "") + ")"
        self.braced(level, head, s.body)

    def for_init(self, init) -> str:
        """`int i = 0, j = n` (declarations of one type share the declaration) or `i = 0, j = n`."""
        if init and all(isinstance(d, N.Decl) for d in init):
            first = init[0]
            base = self.type_name(first.type)
            if all(self.type_name(d.type) == base and d.const == first.const for d in init) and "*" not in base:
                parts = [f"{d.sym.name}" + (f" = {self.expr(d.init, 2)}" if d.init is not None else "")
                         for d in init]
                return ("const " if first.const else "") + f"{base} " + ", ".join(parts)
        return ", ".join(self.inline_stmt(d) for d in init)

    def inline_stmt(self, s) -> str:
        """A statement inside a `for (...)` header, without its `;`."""
        if isinstance(s, N.Assign) and s.op in ("+", "-") and isinstance(s.value, N.Const) and s.value.value == 1 \
                and not isinstance(s.value.value, bool) and s.value.dtype == "int32":
            return ("++" if s.op == "+" else "--") + self.sym_name(s.sym)
        saved = self.lines
        self.lines = []
        try:
            self.stmt(s, 0)
            text = " ".join(ln.strip() for ln in self.lines)
        finally:
            self.lines = saved
        return text.removesuffix(";")

    def comment_text(self, c: N.Comment) -> str:
        if c.block:
            return f"/*{c.text}*/"
        t = c.text
        return "//" + (t if not t or t[0] in " \t/!" else " " + t)

    def stmt_Comment(self, c: N.Comment, level: int) -> None:
        if not c.block and c.text.startswith(OMP_HINT):
            # an OpenMP pragma kept as a hint (see xpiler.frontend): a pragma again in CPU dialects
            pragma = c.text[len(OMP_HINT):]
            self.lines.append(pragma if self.language.name in ("c", "vnni") else self.ind(level) + "// " + pragma)
            return
        if c.block or "\n" not in c.text:
            text = self.comment_text(c)
            first, *rest = text.split("\n")
            self.line(level, first)
            self.lines.extend(rest)  # the inside of a block comment is kept as written
            return
        for part in c.text.split("\n"):
            self.line(level, self.comment_text(N.Comment(part)))

    def stmt_Opaque(self, o: N.Opaque, level: int) -> None:
        first, *rest = o.text.strip().split("\n")
        if first.startswith("#"):
            self.lines.append(first)
            self.lines.extend(rest)
            return
        self.line(level, first)
        # Continuation lines keep their relative indentation, one level deeper than the first line.
        pad = min((len(r) - len(r.lstrip()) for r in rest if r.strip()), default=0)
        self.lines.extend(self.ind(level + 1) + r[pad:] if r.strip() else "" for r in rest)

    def stmt_Define(self, d: N.Define, level: int) -> None:
        self.item_Define(d)  # preprocessor lines start at column 0

    def stmt_Directive(self, d: N.Directive, level: int) -> None:
        self.item_Directive(d)

    def stmt_PreprocIf(self, p: N.PreprocIf, level: int) -> None:
        self.item_PreprocIf(p)

    # ------------------------------------------------------------------ line wrapping
    def wrap(self, head: str, args: list[str], tail: str, indent: str) -> list[str]:
        """`head + ", ".join(args) + tail` on one line, or wrapped with the arguments aligned to the open paren
        (clang-format's bin packing); if even that overflows, break after the paren with a 4-space indent."""
        one = indent + head + ", ".join(args) + tail
        if len(one) <= self.width or not args:
            return [one]
        for pad, first in ((indent + " " * len(head), indent + head), (indent + "    ", None)):
            if first is None:
                out, cur = [indent + head.rstrip()], pad
            else:
                out, cur = [], first
            fresh = True
            for i, a in enumerate(args):
                piece = a + (", " if i < len(args) - 1 else tail)
                if not fresh and len(cur + piece.rstrip()) > self.width:
                    out.append(cur.rstrip())
                    cur, fresh = pad, True
                cur += piece
                fresh = False
            out.append(cur)
            if all(len(ln) <= self.width for ln in out) or first is None:
                return out
        return out  # pragma: no cover
