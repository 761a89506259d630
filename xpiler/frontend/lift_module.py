"""Module items: functions, macros, includes, preprocessor conditionals, globals, typedefs.

Representation choices the printers rely on are listed in /tmp/xp/frontend_notes.md (copied into the
module docstring of `xpiler.frontend`): `extern "C" { ... }` blocks become `Func.extern_c` on each
function inside; a trailing `// comment` on a `#define` line becomes a `Comment` item right after the
`Define`; `#ifdef X` is `PreprocIf(Call("defined", (Var X,)))` and `#ifndef X` its `UnOp("!")`.
"""

from __future__ import annotations

import dataclasses
import re

import tree_sitter

from xpiler.dtypes import itemsize
from xpiler.frontend.context import named
from xpiler.frontend.lift_types import Specs, Unsupported
from xpiler.ir.nodes import (
    BinOp,
    Call,
    CallKind,
    Comment,
    Define,
    Directive,
    Func,
    FuncKind,
    Include,
    Loc,
    Opaque,
    OpaqueExpr,
    Param,
    PreprocIf,
    StaticAssert,
    Sym,
    TypeAlias,
    UnOp,
    UsingNamespace,
    Var,
)
from xpiler.ir.types import Named, Scalar, Vector

_LINE_COMMENT = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//')


class ModuleLifter:
    def items(self, nodes) -> list:
        out: list = []
        for c in nodes:
            if not c.is_named:
                if c.type == ";" and out and isinstance(out[-1], Opaque) and not out[-1].text.endswith(";"):
                    # `struct S {...}` and its `;` are two grammar nodes; keep the `;`
                    out[-1] = dataclasses.replace(out[-1], text=out[-1].text + ";")
                continue
            if c.type == "comment":
                if c.start_byte not in self.emitted:
                    self.emitted.add(c.start_byte)
                    out.append(self.comment(c))
                continue
            depth = len(self.syms.scopes)
            try:
                got = self.item(c)
            except RecursionError:
                raise
            except Exception:  # noqa: BLE001 - keep what we cannot model verbatim
                del self.syms.scopes[depth:]
                self.func_kind = None
                got = [self.opaque(c)]
            out.extend(self.hoisted_comments(c))
            out.extend(got)
        return out

    def item(self, n) -> list:
        t = n.type
        loc = self.loc(n)
        if t == "preproc_include":
            p = n.child_by_field_name("path")
            raw = self.text(p)
            return [Include(raw[1:-1], raw.startswith("<"), loc=loc)]
        if t in ("preproc_def", "preproc_function_def"):
            return self.define(n)
        if t in ("preproc_if", "preproc_ifdef"):
            pif = self.preproc_if(n)
            if _include_guard(pif):  # `#ifndef X_CU_ / #define X_CU_ ... #endif` around the file: its contents
                return list(pif.then)
            return list(_decided(pif, ALWAYS_DEFINED | DIALECT_DEFINED.get(self.lang.name, frozenset())))
        if t == "preproc_call":
            d = self.raw(n.child_by_field_name("directive"))
            arg = n.child_by_field_name("argument")
            return [Directive(d.lstrip("#").strip(), self.text(arg).strip() if arg is not None else "", loc=loc)]
        if t == "function_definition":
            return [self.function(n, loc)]
        if t == "template_declaration":
            return [self.template(n, loc)]
        if t == "linkage_specification":
            return self.linkage(n)
        if t == "declaration":
            return self.module_declaration(n, loc)
        if t == "type_definition":
            return self.typedef(n, loc)
        if t == "alias_declaration":
            name = self.raw(n.child_by_field_name("name"))
            ty = self.type_descriptor(n.child_by_field_name("type"))
            self.aliases[name] = ty
            self.syms.types.add(name)
            return [TypeAlias(name, ty, loc=loc)]
        if t == "using_declaration" and any(c.type == "namespace" for c in n.children):
            return [UsingNamespace("".join(self.raw(named(n)[-1]).split()), loc=loc)]
        if t == "static_assert_declaration":
            msg = n.child_by_field_name("message")
            return [StaticAssert(self.expr(n.child_by_field_name("condition")),
                                 None if msg is None else self.expr(msg).text, loc=loc)]
        raise Unsupported(t)

    # ------------------------------------------------------------------ preprocessor
    def define(self, n) -> list:
        name = self.raw(n.child_by_field_name("name"))
        params_node = n.child_by_field_name("parameters")
        value = n.child_by_field_name("value")
        params = None
        if params_node is not None:
            params = tuple(self.raw(p) for p in named(params_node))
            if any(p == "..." for p in params) or any(c.type == "..." for c in params_node.children):
                raise Unsupported("variadic macro")
        code, trailing = "", None
        raw = ""
        if value is not None:
            text = self.text(value)
            raw = self.raw(value)
            cut = _comment_start(text)
            rcut = _comment_start(raw)
            if cut is not None and rcut is not None:
                trailing = (text[cut + 2:], value.start_byte + len(raw[:rcut].encode()))
                text, raw = text[:cut], raw[:rcut]
            code = text.strip()
            raw = raw.strip()
        sym = Sym(name)
        body = self.define_body(raw, params) if raw else None
        if params is None:
            self.syms.macros[name] = sym
            if body is not None:
                self.macro_bodies[sym] = body
        else:
            self.syms.func_macros[name] = sym
        out = [Define(sym, params, body, code, loc=self.loc(n))]
        if trailing is not None:
            line, col = self.omap.line_col(trailing[1])
            out.append(Comment(trailing[0].rstrip("\r"), False, loc=Loc(line, col, self.path)))
        return out

    def define_body(self, raw: str, params):
        """The replacement text parsed as one expression (None when it is not one)."""
        snippet = ("int __xp_define_body__ = (\n" + raw + "\n);").encode()
        tree = self.parser.parse(snippet)
        root = tree.root_node
        if root.has_error or len(root.named_children) != 1:
            return None
        decl = root.named_children[0]
        init = decl.child_by_field_name("declarator")
        if init is None or init.type != "init_declarator":
            return None
        value = init.child_by_field_name("value")
        if value is None or value.type != "parenthesized_expression" or len(named(value)) != 1:
            return None
        inner = named(value)[0]
        if inner.type == "comma_expression":
            return None
        sub = self.sub_lifter(snippet)
        sub.syms.push()
        try:
            for p in params or ():
                sub.syms.declare(p)
            e = sub.expr(inner)
        finally:
            sub.syms.pop()
        return None if isinstance(e, OpaqueExpr) else e

    def preproc_cond(self, n) -> tuple:
        """(condition, start bytes of the condition's nodes) of `#if` / `#ifdef` / `#ifndef` / `#elif...`."""
        if n.type in ("preproc_ifdef", "preproc_elifdef"):
            name = n.child_by_field_name("name")
            cond = Call("defined", (Var(self.syms.lookup(self.raw(name))),), CallKind.OTHER)
            if self.raw(n.children[0]).strip() in ("#ifndef", "#elifndef"):
                cond = UnOp("!", cond)
            return cond, {name.start_byte}
        c = n.child_by_field_name("condition")
        return self.expr(c), {c.start_byte}

    def preproc_if(self, n) -> PreprocIf:
        loc = self.loc(n)
        cond, skip = self.preproc_cond(n)
        alt = n.child_by_field_name("alternative")
        body = [c for c in n.children if c.start_byte not in skip and (alt is None or c.start_byte != alt.start_byte)
                and c.type not in ("#if", "#ifdef", "#ifndef", "#elif", "#endif", "#else")]
        then = tuple(self.items(body))
        orelse = ()
        if alt is not None:
            if alt.type in ("preproc_elif", "preproc_elifdef"):
                orelse = (self.preproc_if(alt),)
            else:
                orelse = tuple(self.items([c for c in alt.children if c.type != "#else"]))
        return PreprocIf(cond, then, orelse, loc=loc)

    # ------------------------------------------------------------------ functions
    def linkage(self, n) -> list:
        value = n.child_by_field_name("value")
        if value is None or self.raw(value) != '"C"':
            raise Unsupported("linkage")
        body = n.child_by_field_name("body")
        saved = self.extern_c
        self.extern_c = True
        try:
            if body.type == "declaration_list":
                return self.items([c for c in body.children if c.type not in ("{", "}")])
            return self.items([body])
        finally:
            self.extern_c = saved

    def template(self, n, loc) -> Func:
        params_node = n.child_by_field_name("parameters")
        self.syms.push()
        try:
            tparams = []
            for p in named(params_node):
                if p.type == "parameter_declaration":
                    specs = self.read_specs(p, Specs())
                    ty = self.spec_type(p.child_by_field_name("type"))
                    name = self.raw(p.child_by_field_name("declarator"))
                    tparams.append(Param(self.syms.declare(name), ty, specs.const))
                elif p.type == "type_parameter_declaration":
                    name = self.raw(named(p)[-1])
                    self.syms.types.add(name)
                    tparams.append(Param(self.syms.declare(name), Named(self.raw(p.children[0]))))
                else:
                    raise Unsupported(p.type)
            inner = [c for c in named(n) if c.start_byte != params_node.start_byte]
            if len(inner) != 1 or inner[0].type not in ("function_definition", "declaration"):
                raise Unsupported("template")
            f = self.function(inner[0], loc, tuple(tparams))
        finally:
            self.syms.pop()
        return f

    def function(self, n, loc, template_params=()) -> Func:
        specs = self.read_specs(n, Specs())
        base = self.spec_type(n.child_by_field_name("type"))
        d = n.child_by_field_name("declarator")
        quals = []
        while d.type == "pointer_declarator":
            quals.append(self._ptr_quals(d))
            d = d.child_by_field_name("declarator")
        if d.type != "function_declarator":
            raise Unsupported("function declarator")
        name_node = d.child_by_field_name("declarator")
        if name_node.type != "identifier":
            raise Unsupported("function name")
        if any(c.type not in ("parameter_list",) and d.field_name_for_child(i) not in ("declarator", "parameters")
               for i, c in enumerate(d.children) if c.is_named):
            raise Unsupported("function declarator suffix")
        kind = FuncKind.HOST
        kinds = set()
        for w in specs.words:
            k = self.lang.func_qualifiers.get(w)
            if k is None:
                raise Unsupported(f"function qualifier {w}")
            kinds.add(k)
        if FuncKind.KERNEL in kinds:
            kind = FuncKind.KERNEL
        elif FuncKind.DEVICE in kinds:
            kind = FuncKind.DEVICE
        name = self.raw(name_node)
        self.syms.funcs.add(name)
        self.func_kind = kind
        self.syms.push()
        try:
            ret, _ = self.apply_pointers(base, specs.const, quals)
            params = self.params(d.child_by_field_name("parameters"))
            body_node = n.child_by_field_name("body")
            body = () if body_node is None else tuple(self.stmt_list(body_node.children))
        finally:
            self.syms.pop()
            self.func_kind = None
        return Func(name, params, ret, body, kind, extern_c=self.extern_c,
                    static=specs.static, inline=specs.inline, forceinline=specs.forceinline,
                    launch_bounds=specs.launch_bounds, template_params=template_params,
                    is_declaration=body_node is None, loc=loc)

    def params(self, plist) -> tuple:
        out = []
        for p in named(plist):
            if p.type != "parameter_declaration":
                raise Unsupported(p.type)
            specs = self.read_specs(p, Specs())
            if specs.words or specs.static or specs.extern:
                raise Unsupported("parameter qualifier")
            base = self.spec_type(p.child_by_field_name("type"))
            d = p.child_by_field_name("declarator")
            if d is None:
                if isinstance(base, Scalar) and base.dtype == "void" and len(named(plist)) == 1:
                    return ()
                out.append(Param(self.syms.declare(""), base, specs.const))
                continue
            if d.type == "abstract_pointer_declarator":
                quals = []
                while d is not None and d.type == "abstract_pointer_declarator":
                    quals.append(self._ptr_quals(d))
                    d = d.child_by_field_name("declarator")
                if d is not None:
                    raise Unsupported("abstract declarator")
                ty, own = self.apply_pointers(base, specs.const, quals)
                out.append(Param(self.syms.declare(""), ty, own))
                continue
            name_node, quals, dims, init = self.unwrap_declarator(d)
            if init is not None or len(dims) > 1:
                raise Unsupported("array / default parameter")
            if dims:  # `char *argv[]`, `float x[16]`: an array parameter is a pointer to its element
                quals = quals + [(False, False)]
            ty, own = self.apply_pointers(base, specs.const, quals)
            out.append(Param(self.syms.declare(self.raw(name_node)), ty, own))
        return tuple(out)

    # ------------------------------------------------------------------ module-level declarations
    def module_declaration(self, n, loc) -> list:
        decls = [n.children[i] for i in range(n.child_count) if n.field_name_for_child(i) == "declarator"]
        if len(decls) == 1 and decls[0].type in ("function_declarator", "pointer_declarator"):
            d = decls[0]
            while d.type == "pointer_declarator":
                d = d.child_by_field_name("declarator")
            if d.type == "function_declarator":
                return [self.function(n, loc)]
        return self.declaration(n)

    def typedef(self, n, loc) -> list:
        specs = self.read_specs(n, Specs(), skip=("type", "declarator"))
        base = self.spec_type(n.child_by_field_name("type"))
        out = []
        for i, c in enumerate(n.children):
            if n.field_name_for_child(i) != "declarator":
                continue
            name_node, quals, dims, init = self.unwrap_declarator(c)
            if dims or init is not None:
                raise Unsupported("array typedef")
            ty, _ = self.apply_pointers(base, specs.const, quals)
            lanes = specs.vector_lanes
            if lanes is None and specs.vector_bytes is not None and isinstance(ty, Scalar):
                try:
                    size = itemsize(ty.dtype)
                except KeyError:
                    size = 0
                if not size or specs.vector_bytes % size:
                    raise Unsupported("vector_size that is no multiple of the element size")
                lanes = specs.vector_bytes // size
            if lanes is not None:
                if not isinstance(ty, Scalar):
                    raise Unsupported("vector of non-scalar")
                ty = Vector(ty.dtype, lanes)
            elif specs.words or specs.align:
                raise Unsupported("typedef attribute")
            name = self.raw(name_node)
            self.aliases[name] = ty
            self.syms.types.add(name)
            out.append(TypeAlias(name, ty, loc=loc))
        return out

    def opaque_item(self, n) -> Opaque:
        return self.opaque(n)


def _comment_start(text: str) -> int | None:
    """Index of a `//` comment in a macro's replacement text (outside string / char literals)."""
    for m in _LINE_COMMENT.finditer(text):
        if m.group(0) == "//":
            return m.start()
    return None


def make_parser(language) -> tree_sitter.Parser:
    return tree_sitter.Parser(language)


# Macros every compiler of the five dialects predefines on the Linux hosts they run on (gcc, clang, nvcc,
# hipcc, cncc all define __GNUC__): a conditional that tests only these is decided here, so functions under
# `#if defined(__GNUC__) ... #endif` are ordinary functions of the module. Anything else stays a PreprocIf.
ALWAYS_DEFINED = frozenset({"__GNUC__", "__GNUC_MINOR__", "__linux__", "__linux", "__unix__", "__unix",
                            "__STDC__", "__ELF__"})


# ... and what the dialect's own compiler defines for every compilation of such a file (nvcc: __CUDACC__;
# hipcc: __HIPCC__; C++ compilers: __cplusplus). __CUDA_ARCH__ (device pass only) is not among them.
DIALECT_DEFINED = {
    "cuda": frozenset({"__CUDACC__", "__NVCC__", "__cplusplus"}),
    "hip": frozenset({"__HIPCC__", "__HIP__", "__HIP_PLATFORM_AMD__", "__cplusplus"}),
    "vnni": frozenset({"__cplusplus", "__AVX512F__", "__AVX512VNNI__"}),
}


def _truth(cond, defined=ALWAYS_DEFINED) -> bool | None:
    if isinstance(cond, Call) and cond.name == "defined" and len(cond.args) == 1 and isinstance(cond.args[0], Var):
        return True if cond.args[0].sym.name in defined else None
    if isinstance(cond, UnOp) and cond.op == "!":
        v = _truth(cond.a, defined)
        return None if v is None else not v
    if isinstance(cond, BinOp) and cond.op in ("&&", "||"):
        a, b = _truth(cond.a, defined), _truth(cond.b, defined)
        if cond.op == "&&":
            return False if False in (a, b) else (True if a and b else None)
        return True if True in (a, b) else (False if a is False and b is False else None)
    return None


def _include_guard(pif: PreprocIf) -> bool:
    """`#ifndef X` whose first item defines X empty and without `#else`: an include guard. The file is read
    from its start, where the guard is not defined yet, so its contents are the file's."""
    c = pif.cond
    if pif.orelse or not (isinstance(c, UnOp) and c.op == "!" and isinstance(c.a, Call) and c.a.name == "defined"
                          and len(c.a.args) == 1 and isinstance(c.a.args[0], Var)):
        return False
    first = next((it for it in pif.then if not isinstance(it, Comment)), None)
    return isinstance(first, Define) and first.params is None and not first.text.strip() and \
        first.name == c.a.args[0].sym.name


def _decided(pif: PreprocIf, defined=ALWAYS_DEFINED):
    """The items of the branch a decidable conditional takes, else the conditional itself."""
    v = _truth(pif.cond, defined)
    if v is None:
        return (pif,)
    out = []
    for it in (pif.then if v else pif.orelse):
        out.extend(_decided(it, defined) if isinstance(it, PreprocIf) else (it,))
    return tuple(out)
