"""Expressions: tree-sitter expression nodes -> IR `Expr`.

Every construct the IR has a node for is lifted structurally; anything else (assignments used as
values, `i++` inside an index, lambdas, comma expressions, method calls) becomes an `OpaqueExpr` with
its exact source text and the symbols it reads, so it still prints and its uses are still visible.
"""

from __future__ import annotations

import re

from xpiler.frontend.context import named
from xpiler.frontend.lift_types import Unsupported
from xpiler.ir.nodes import (
    BINARY_OPS,
    AddrOf,
    BinOp,
    Builtin,
    Call,
    CallKind,
    Cast,
    CastStyle,
    Const,
    Deref,
    InitList,
    Load,
    Member,
    OpaqueExpr,
    Select,
    SizeOf,
    StrLit,
    UnOp,
    Var,
)
from xpiler.ir.types import Named, Scalar, Type

_HIP_LEGACY = {f"hip{w}_{a}": f"{w[0].lower()}{w[1:]}.{a}" for w in ("ThreadIdx", "BlockIdx", "BlockDim", "GridDim")
               for a in "xyz"}
_INT = re.compile(r"^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlLzZ]*)$")
_CASTS = {"static_cast": CastStyle.STATIC, "reinterpret_cast": CastStyle.REINTERPRET}


def parse_number(text: str) -> tuple[int | float, str]:
    """(value, C dtype) of a numeric literal: `3` int32, `3u` uint32, `3L` int64, `3.0f` float32, `3.0`
    float64, `0xFFFFFFFF` uint32 (C's rule for hex literals that do not fit int)."""
    t = text.replace("'", "")
    if t[:1] in ("-", "+"):  # the grammar lexes a signed hex float (`-0x1p+0f`, TVM's spelling) as one literal
        v, dt = parse_number(t[1:])
        return (-v if t[0] == "-" else v), dt
    m = _INT.match(t)
    if m:
        digits, suf = m.group(1), m.group(2).lower()
        low = digits.lower()
        if low.startswith("0x"):
            v, dec = int(digits, 16), False
        elif low.startswith("0b"):
            v, dec = int(digits, 0), False
        elif len(digits) > 1 and digits.startswith("0"):
            v, dec = int(digits, 8), False
        else:
            v, dec = int(digits), True
        unsigned, longs = "u" in suf, suf.count("l") + suf.count("z")
        if longs:
            return v, "uint64" if unsigned or v >= 2**63 else "int64"
        if unsigned:
            return v, "uint32" if v < 2**32 else "uint64"
        if v < 2**31:
            return v, "int32"
        if not dec and v < 2**32:
            return v, "uint32"
        return v, "int64" if v < 2**63 else "uint64"
    low = t.lower()
    dtype = "float64"
    if low.endswith("f") and not low.startswith("0x") or low.startswith("0x") and "p" in low and low.endswith("f"):
        dtype, t = "float32", t[:-1]
    elif low.endswith("l"):
        t = t[:-1]
    if t.lower().startswith("0x"):
        return float.fromhex(t), dtype
    try:
        return float(t), dtype
    except ValueError:
        raise Unsupported(f"number {text}") from None


class ExprLifter:
    def expr(self, node):
        """Lift an expression node; constructs the IR cannot express become OpaqueExpr."""
        try:
            return self._expr(node)
        except (Unsupported, ValueError, KeyError, IndexError, AttributeError, TypeError):
            return OpaqueExpr(self.text(node), self.idents(node))

    def opt_expr(self, node):
        return None if node is None else self.expr(node)

    def _expr(self, n):
        t = n.type
        if t == "parenthesized_expression":
            inner = named(n)
            if len(inner) != 1:
                raise Unsupported("parenthesized")
            if inner[0].type == "comma_expression":
                raise Unsupported("comma expression")
            return self._expr(inner[0])
        if t == "number_literal":
            v, dt = parse_number(self.raw(n))
            return Const(v, dt, spelling=self.raw(n))
        if t in ("true", "false"):
            return Const(t == "true", "bool", spelling=t)
        if t == "char_literal":
            return self.char_literal(n)
        if t == "string_literal":
            return StrLit(self.string_body(n))
        if t == "concatenated_string":
            return StrLit("".join(self.string_body(s) for s in named(n) if s.type == "string_literal"))
        if t == "identifier":
            return self.ident(self.raw(n))
        if t == "qualified_identifier":
            return Var(self.syms.lookup("".join(self.raw(n).split())))
        if t in ("null", "nullptr"):
            return Var(self.syms.external(self.raw(n)))
        if t == "field_expression":
            return self.field(n)
        if t == "subscript_expression":
            return self.subscript(n)
        if t == "call_expression":
            return self.call(n)
        if t == "binary_expression":
            op = self.raw(n.child_by_field_name("operator"))
            if op not in BINARY_OPS:
                raise Unsupported(op)
            return BinOp(op, self.expr(n.child_by_field_name("left")), self.expr(n.child_by_field_name("right")))
        if t == "unary_expression":
            op = self.raw(n.child_by_field_name("operator"))
            if op == "not":
                op = "!"
            return UnOp(op, self.expr(n.child_by_field_name("argument")))
        if t == "pointer_expression":
            op = self.raw(n.child_by_field_name("operator"))
            arg = self.expr(n.child_by_field_name("argument"))
            return Deref(arg) if op == "*" else AddrOf(arg)
        if t == "conditional_expression":
            return Select(self.expr(n.child_by_field_name("condition")),
                          self.expr(n.child_by_field_name("consequence")),
                          self.expr(n.child_by_field_name("alternative")))
        if t == "cast_expression":
            return Cast(self.type_descriptor(n.child_by_field_name("type")),
                        self.expr(n.child_by_field_name("value")), CastStyle.C)
        if t == "sizeof_expression":
            return self.sizeof(n)
        if t == "initializer_list":
            return self.init_list(n)
        if t == "preproc_defined":
            return Call("defined", tuple(Var(self.syms.lookup(self.raw(c))) for c in named(n)), CallKind.OTHER)
        raise Unsupported(t)

    # ------------------------------------------------------------------ leaves
    def ident(self, name: str):
        if name in self.lang.builtins and self.syms.local(name) is None:
            return Builtin(name)
        legacy = _HIP_LEGACY.get(name)
        if legacy is not None and self.lang.name == "hip" and self.syms.local(name) is None:
            return Builtin(legacy)  # hipThreadIdx_x: HIP's older spelling of threadIdx.x
        return Var(self.syms.lookup(name))

    def char_literal(self, n):
        body = self.raw(n)[1:-1]
        try:
            s = body.encode("latin-1", "backslashreplace").decode("unicode_escape")
        except UnicodeDecodeError:
            raise Unsupported("char literal") from None
        if len(s) != 1:
            raise Unsupported("char literal")
        return Const(ord(s), "char", spelling=self.raw(n))

    def string_body(self, n) -> str:
        raw = self.raw(n)
        if n.type != "string_literal" or not raw.startswith('"') or not raw.endswith('"'):
            raise Unsupported("string prefix")
        return raw[1:-1]

    def field(self, n):
        base = n.child_by_field_name("argument")
        fname = self.raw(n.child_by_field_name("field"))
        arrow = self.raw(n.child_by_field_name("operator")) == "->"
        if base.type == "identifier" and not arrow:
            bname = self.raw(base)
            full = f"{bname}.{fname}"
            if bname in self.builtin_bases and full in self.lang.builtins and self.syms.local(bname) is None:
                return Builtin(full)
        return Member(self.expr(base), fname, arrow)

    def subscript(self, n):
        idx = []
        while n.type == "subscript_expression":
            args = n.child_by_field_name("indices")
            items = named(args) if args is not None else [n.child_by_field_name("index")]
            if len(items) != 1:
                raise Unsupported("multi-argument subscript")
            idx.append(self.expr(items[0]))
            n = n.child_by_field_name("argument")
            if n.type == "parenthesized_expression":
                break
        return Load(self.expr(n), tuple(reversed(idx)))

    def sizeof(self, n):
        ty = n.child_by_field_name("type")
        if ty is not None:
            return SizeOf(self.type_descriptor(ty))
        val = n.child_by_field_name("value")
        if val.type == "parenthesized_expression":
            inner = named(val)
            if len(inner) == 1 and inner[0].type == "identifier":
                name = self.raw(inner[0])
                if self.syms.local(name) is None and name not in self.syms.macros and self.is_type_name(name):
                    return SizeOf(self.type_from_name(name))
        return SizeOf(self.expr(val))

    def init_list(self, n):
        items = []
        for c in named(n):
            if c.type in ("initializer_pair", "field_designator", "subscript_designator"):
                raise Unsupported("designated initializer")
            items.append(self.expr(c))
        return InitList(tuple(items))

    # ------------------------------------------------------------------ calls
    def call_kind(self, name: str) -> CallKind:
        lang = self.lang
        if name in self.syms.func_macros:
            return CallKind.MACRO
        if name in self.syms.funcs:
            return CallKind.FUNC
        if name in self.catalogue or any(name.startswith(p) for p in lang.intrinsic_prefixes if p):
            return CallKind.INTRINSIC
        if name in lang.math:
            return CallKind.MATH
        if name in lang.host_api or any(name.startswith(p) for p in lang.host_api_prefixes if p):
            return CallKind.HOST_API
        if self.is_type_name(name) or name in self.syms.types:
            return CallKind.CTOR
        if name.startswith("make_") and name[5:] in lang.vector_types:
            return CallKind.CTOR  # make_float4(x, y, z, w): the vector type's constructor
        return CallKind.OTHER

    def callee(self, fn) -> tuple[str, tuple]:
        """(name, template args) of a call's function node."""
        if fn.type in ("identifier", "primitive_type", "type_identifier", "sized_type_specifier"):
            return self.raw(fn), ()
        if fn.type == "qualified_identifier":
            name_part = fn
            while name_part.type == "qualified_identifier" and name_part.child_by_field_name("name") is not None:
                name_part = name_part.child_by_field_name("name")
            if name_part.type == "template_function":
                targs = self.template_args(name_part.child_by_field_name("arguments"))
                return "".join(self.raw(fn).split("<")[0].split()), targs
            return "".join(self.raw(fn).split()), ()
        if fn.type == "template_function":
            targs = self.template_args(fn.child_by_field_name("arguments"))
            return self.raw(fn.child_by_field_name("name")), targs
        raise Unsupported(f"callee {fn.type}")

    def parenthesized_type(self, fn):
        """The type T when `fn` is `(T)` and T names a type, not a variable or macro."""
        if fn.type != "parenthesized_expression":
            return None
        inner = named(fn)
        if len(inner) != 1 or inner[0].type not in ("identifier", "qualified_identifier"):
            return None
        name = self.raw(inner[0])
        if self.syms.local(name) is not None or name in self.syms.macros or name in self.syms.funcs:
            return None
        if not (self.is_type_name(name) or name in self.syms.types):
            return None
        return self.type_from_name(name)

    def call_args(self, n) -> tuple:
        args = n.child_by_field_name("arguments")
        return tuple(self.expr(a) for a in named(args)) if args is not None else ()

    def call(self, n):
        fn = n.child_by_field_name("function")
        cast_to = self.parenthesized_type(fn)
        if cast_to is not None:  # `(__mmask16)(x)`: the grammar reads a C cast of a typedef'd name as a call
            args = named(n.child_by_field_name("arguments"))
            if len(args) != 1:
                raise Unsupported("cast of a list")
            return Cast(cast_to, self.expr(args[0]), CastStyle.C)
        if any(c.type == "kernel_call_syntax" for c in n.children):
            raise Unsupported("kernel launch used as a value")
        name, targs = self.callee(fn)
        args = self.call_args(n)
        if name in _CASTS and len(targs) == 1 and len(args) == 1 and isinstance(targs[0], Type):
            return Cast(targs[0], args[0], _CASTS[name])
        kind = self.call_kind(name)
        if kind == CallKind.CTOR and not targs and len(args) == 1 and self.syms.local(name) is None:
            ty = self.type_from_name(name)
            if isinstance(ty, Scalar):
                return Cast(ty, args[0], CastStyle.FUNCTIONAL)
        if kind == CallKind.OTHER and fn.type in ("primitive_type", "sized_type_specifier"):
            ty = self.type_from_name(name)
            if len(args) == 1 and not isinstance(ty, Named):
                return Cast(ty, args[0], CastStyle.FUNCTIONAL)
        return Call(name, args, kind, targs)
