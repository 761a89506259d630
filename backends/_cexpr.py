"""Expressions, literals and types as C/C++ text: the half of `_cstyle.CStylePrinter` below statements.

Parentheses are the minimal correct set by C++ precedence and associativity (`a - (b - c)`, `(a + b) * c`,
`((float4*)p)[0]`), plus the ones GCC's -Wparentheses asks for (`a || (b && c)`, `(a + b) << c`,
`(a < b) == c`), so printed c/vnni code stays warning-free. The IR has no parenthesis node, so the parser
drops them and re-printing puts the same ones back (idempotence).

Literals print `Const.spelling` when it still denotes the node's value and C type (a pass that copied a
spelling with `dataclasses.replace` cannot print a stale number), else a canonical literal: float32 as the
shortest text that reads back to the same float32 (`0.1f`, `1e-05f`), float64 as Python's repr, `5LL`,
`5u`, `5ull`, `true`; other dtypes as a C cast of a literal.
"""

from __future__ import annotations

import math
import re
from typing import ClassVar

import numpy as np

from xpiler.errors import XpilerError
from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.dialect import C_SCALARS, C_SPELLING, LanguageFacts


class PrintError(XpilerError):
    """The IR uses something the target dialect cannot express (a barrier scope, a launch, a memory scope)."""


# C++ precedence levels, higher binds tighter.
COND, OR, AND, BOR, XOR, BAND, EQ, REL, SHIFT, ADD, MUL, UNARY, POSTFIX, ATOM = range(3, 17)
BIN_PREC = {"||": OR, "&&": AND, "|": BOR, "^": XOR, "&": BAND, "==": EQ, "!=": EQ, "<": REL, "<=": REL,
            ">": REL, ">=": REL, "<<": SHIFT, ">>": SHIFT, "+": ADD, "-": ADD, "*": MUL, "/": MUL, "%": MUL}
_BITWISE = {"|", "^", "&", "<<", ">>"}
_COMPARE = {"==", "!=", "<", "<=", ">", ">="}

_INT_LIMITS = {"int32": (-(2**31), "(-2147483647 - 1)"), "int64": (-(2**63), "(-9223372036854775807LL - 1)")}
_SUFFIX = {"int32": "", "uint32": "u", "int64": "LL", "uint64": "ull"}
_IDENT = re.compile(r"[A-Za-z_]\w*(::\w+)*$")


def _balanced_parens(text: str) -> bool:
    """True when `text` is one parenthesized group `( ... )`."""
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0 and i < len(text) - 1:
            return False
    return True


def _literal_value(sp: str):
    """(value, is_float, is_f32) of a C numeric literal spelling, or None when it is not one."""
    s = sp.strip().replace("'", "")
    low = s.lower()
    if low in ("infinity", "inf", "huge_valf", "__builtin_inff()"):
        return math.inf, True, True
    if low in ("nan", "__builtin_nanf(\"\")"):
        return math.nan, True, True
    neg = low.startswith("-")
    body = low[1:] if neg else low
    try:
        if body.startswith("0x") and "p" not in body or re.fullmatch(r"[0-9]+[ul]*", body):
            digits = body.rstrip("ul")
            if digits.startswith("0x"):
                v = int(digits, 16)
            elif len(digits) > 1 and digits.startswith("0"):
                v = int(digits, 8)
            else:
                v = int(digits)
            return (-v if neg else v), False, False
        f32 = body.endswith("f")
        core = body.rstrip("fl")
        v = float.fromhex(core) if core.startswith("0x") else float(core)
        return (-v if neg else v), True, f32
    except ValueError:
        return None


class ExprPrinter:
    """Expression and type text for one dialect (`language`)."""

    ATOM_PREC = ATOM
    UNARY_PREC = UNARY
    # Extra scalar spellings valid in the dialect (spelling -> dtype) beyond C's and `dtype_spelling`'s.
    extra_spellings: ClassVar[dict[str, str]] = {}
    bad_spellings: frozenset[str] = frozenset()
    # "alignas" -> `alignas(N)` before the declaration; otherwise the GNU-style word, e.g. "__align__".
    align_style = "alignas"

    def __init__(self, language: LanguageFacts) -> None:
        self.language = language
        self.macro_params: frozenset[str] = frozenset()
        self.aliases: dict[str, T.Type] = {}
        self.wmma = "nvcuda::wmma::"
        self.safe_macros: set[str] = set()
        self._rev = {v: k for k, v in language.dtype_spelling.items()}

    def prepare(self, items) -> None:
        """Read what the module declares that changes spellings: typedef names, `using namespace nvcuda`."""
        self.aliases = {}
        self.wmma = "nvcuda::wmma::"
        self.safe_macros = {it.name for it in items if isinstance(it, N.Define) and it.body is not None}
        for it in items:
            if isinstance(it, N.TypeAlias):
                self.aliases[it.name] = it.type
            elif isinstance(it, N.UsingNamespace):
                if it.name == "nvcuda":
                    self.wmma = "wmma::"
                elif it.name in ("nvcuda::wmma", "wmma"):
                    self.wmma = ""
            elif isinstance(it, N.PreprocIf):
                self.prepare_more(it.then + it.orelse)

    def prepare_more(self, items) -> None:
        for it in items:
            if isinstance(it, N.TypeAlias):
                self.aliases[it.name] = it.type

    def macro_safe(self, body, prec: int) -> bool:
        """A macro body that needs no outer parentheses: one token, or a postfix expression (call, index)
        whose callee is not a macro with an unparsed (possibly unparenthesized) body."""
        if prec >= ATOM:
            return True
        if prec < POSTFIX:
            return False
        return not (isinstance(body, N.Call) and body.kind == N.CallKind.MACRO and body.name not in self.safe_macros)

    # ------------------------------------------------------------------ types
    def scalar_ok(self, sp: str, dtype: str) -> bool:
        if sp in self.bad_spellings:
            return False
        if sp in self.aliases:
            return True
        return C_SCALARS.get(sp) == dtype or self._rev.get(sp) == dtype or self.extra_spellings.get(sp) == dtype

    def scalar_name(self, t: T.Scalar) -> str:
        if t.spelling and self.scalar_ok(t.spelling, t.dtype):
            return t.spelling
        return self.language.dtype_spelling.get(t.dtype) or C_SPELLING[t.dtype]

    def _vector_ok(self, sp: str) -> bool:
        return sp in self.language.vector_types or sp in self.aliases

    def vector_name(self, t: T.Vector) -> str:
        if t.spelling and self._vector_ok(t.spelling):
            return t.spelling
        for name, ty in self.aliases.items():
            if ty == t:
                return name
        for name, (elem, lanes) in self.language.vector_types.items():
            if (elem, lanes) == (t.elem, t.lanes):
                return name
        raise PrintError(f"dialect {self.language.name} has no {t.lanes}-lane {t.elem} vector type")

    def type_name(self, t: T.Type) -> str:
        if isinstance(t, T.Scalar):
            return self.scalar_name(t)
        if isinstance(t, T.Pointer):
            base = self.type_name(t.pointee)
            if t.const:
                base = f"{base} const" if isinstance(t.pointee, T.Pointer) else f"const {base}"
            return base + "*" + (f" {self.language.restrict_spelling}" if t.restrict else "")
        if isinstance(t, T.Vector):
            return self.vector_name(t)
        if isinstance(t, T.Fragment):
            w = self.wmma
            dt = self.scalar_name(T.Scalar(t.dtype))
            layout = f", {w}{t.layout}" if t.layout else ""
            return f"{w}fragment<{w}{t.use}, {t.m}, {t.n}, {t.k}, {dt}{layout}>"
        if isinstance(t, T.Named):
            return t.name + self.template_args(t.args)
        raise PrintError(f"cannot print type {t!r}")

    def declarator(self, t: T.Type, name: str, *, const: bool = False, array: bool = False) -> str:
        """`T name` with the object itself const when `const` (`const int n`, `float* const p`)."""
        tn = self.type_name(t)
        if const:
            tn = f"{tn} const" if isinstance(t, T.Pointer) else f"const {tn}"
        return f"{tn} {name}" if name else tn  # unnamed prototype parameter

    def template_args(self, args) -> str:
        if not args:
            return ""
        parts = []
        for a in args:
            if isinstance(a, T.Type):
                parts.append(self.type_name(a))
            else:
                s, p = self._expr(a)
                parts.append(f"({s})" if p < ATOM and ">" in s and not _balanced_parens(s) else s)
        inner = ", ".join(parts)
        return f"<{inner}{' ' if inner.endswith('>') else ''}>"

    def align_spelling(self, n: int) -> str:
        return f"alignas({n})" if self.align_style == "alignas" else f"{self.align_style}({n})"

    # ------------------------------------------------------------------ expressions
    def expr(self, e: N.Expr, min_prec: int = 0) -> str:
        s, p = self._expr(e)
        return f"({s})" if p < min_prec else s

    def _expr(self, e) -> tuple[str, int]:
        fn = getattr(self, "expr_" + type(e).__name__, None)
        if fn is None:
            raise PrintError(f"{self.language.name} printer: cannot print expression {type(e).__name__}")
        return fn(e)

    def sym_name(self, sym: N.Sym) -> str:
        return sym.name

    def expr_Var(self, e: N.Var):
        if e.sym.name in self.macro_params:
            return f"({e.sym.name})", ATOM
        return self.sym_name(e.sym), ATOM

    def expr_Builtin(self, e: N.Builtin):
        return e.name, ATOM

    def expr_StrLit(self, e: N.StrLit):
        return f'"{e.text}"', ATOM

    def expr_OpaqueExpr(self, e: N.OpaqueExpr):
        t = e.text.strip()
        return t, (ATOM if _IDENT.match(t) or _balanced_parens(t) else 0)

    def expr_Const(self, e: N.Const):
        text = self.literal(e)
        return text, (UNARY if text.startswith("-") else ATOM)

    def literal(self, e: N.Const) -> str:
        v, dt = e.value, e.dtype
        if e.spelling and self._spelling_ok(e):
            return e.spelling
        if dt == "bool" or isinstance(v, bool):
            text = "true" if v else "false"
            return text if dt == "bool" else f"({self.scalar_name(T.Scalar(dt))}){text}"
        if dt in ("float32", "float64", "float16", "bfloat16"):
            f = float(v)
            if math.isinf(f) or math.isnan(f):
                word = "NAN" if math.isnan(f) else "INFINITY"
                text = word if dt == "float32" else f"({self.scalar_name(T.Scalar(dt))}){word}"
                return "-" + text if f < 0 else text
            if dt == "float64":
                return repr(f)
            s = str(np.float32(f))
            if not any(c in s for c in ".en"):
                s += ".0"
            return s + "f" if dt == "float32" else f"({self.scalar_name(T.Scalar(dt))}){s}f"
        iv = int(v)
        if dt in _INT_LIMITS and iv == _INT_LIMITS[dt][0]:
            return _INT_LIMITS[dt][1]
        if dt in _SUFFIX:
            return f"{iv}{_SUFFIX[dt]}"
        return f"({self.scalar_name(T.Scalar(dt))}){iv}"

    @staticmethod
    def _spelling_ok(e: N.Const) -> bool:
        sp, dt = e.spelling, e.dtype
        if dt == "bool" or isinstance(e.value, bool):
            return sp in (("true", "1") if e.value else ("false", "0"))
        if sp.startswith("'"):
            return dt in ("char", "int8", "int32")
        got = _literal_value(sp)
        if got is None:
            return False
        val, is_float, f32 = got
        if dt in ("float32", "float64"):
            if not is_float or f32 != (dt == "float32") and not math.isinf(val) and not math.isnan(val):
                return False
            want = float(e.value)
            if math.isnan(want) or math.isnan(val):
                return math.isnan(want) and math.isnan(val)
            return np.float32(val) == np.float32(want) if dt == "float32" else val == want
        if is_float or isinstance(e.value, float):
            return False
        return val == int(e.value)

    def expr_BinOp(self, e: N.BinOp):
        p = BIN_PREC[e.op]
        return f"{self._operand(e.op, e.a, p)} {e.op} {self._operand(e.op, e.b, p + 1)}", p

    def _operand(self, op: str, child, need: int) -> str:
        s, p = self._expr(child)
        if isinstance(child, N.BinOp) and p >= need:
            c = child.op
            if (op == "||" and c == "&&") or (op in _BITWISE and c != op) or (op in _COMPARE and c in _COMPARE):
                p = 0  # clarity parentheses (-Wparentheses)
        return f"({s})" if p < need else s

    def _unary(self, op: str, value) -> str:
        s = self.expr(value, UNARY)
        if s[:1] in "-+&*" and (s[:1] == op or op in "-+" and s[:1] in "-+"):
            s = f"({s})"  # `-(-x)`, not `--x`
        return op + s

    def expr_UnOp(self, e: N.UnOp):
        return self._unary(e.op, e.a), UNARY

    def expr_AddrOf(self, e: N.AddrOf):
        return self._unary("&", e.value), UNARY

    def expr_Deref(self, e: N.Deref):
        return self._unary("*", e.value), UNARY

    def expr_Select(self, e: N.Select):
        return f"{self.expr(e.cond, OR)} ? {self.expr(e.a, COND)} : {self.expr(e.b, COND)}", COND

    def expr_Cast(self, e: N.Cast):
        tn = self.type_name(e.type)
        if e.style == N.CastStyle.STATIC:
            return f"static_cast<{tn}>({self.expr(e.value)})", POSTFIX
        if e.style == N.CastStyle.REINTERPRET:
            return f"reinterpret_cast<{tn}>({self.expr(e.value)})", POSTFIX
        if e.style == N.CastStyle.FUNCTIONAL and isinstance(e.value, N.InitList) and _IDENT.match(tn):
            return f"{tn}{self.expr(e.value)}", POSTFIX  # C++ list initialization `T{a, b}`
        if e.style == N.CastStyle.FUNCTIONAL and _IDENT.match(tn):
            return f"{tn}({self.expr(e.value)})", POSTFIX
        s = self.expr(e.value, UNARY)
        if s[:1] in "-+*&!~" and not tn.endswith("*"):
            s = f"({s})"  # `(T)(-x)`: `(T)-x` reads as a subtraction when T could be a variable
        return f"({tn}){s}", UNARY

    def call_head(self, e: N.Call) -> str:
        return e.name + self.template_args(e.template_args)

    def expr_Call(self, e: N.Call):
        return f"{self.call_head(e)}({', '.join(self.expr(a) for a in e.args)})", POSTFIX

    def expr_Load(self, e: N.Load):
        return self.expr(e.base, POSTFIX) + "".join(f"[{self.expr(i)}]" for i in e.indices), POSTFIX

    def expr_Member(self, e: N.Member):
        return f"{self.expr(e.base, POSTFIX)}{'->' if e.arrow else '.'}{e.name}", POSTFIX

    def expr_SizeOf(self, e: N.SizeOf):
        inner = self.type_name(e.arg) if isinstance(e.arg, T.Type) else self.expr(e.arg)
        return f"sizeof({inner})", UNARY

    def expr_InitList(self, e: N.InitList):
        return "{" + ", ".join(self.expr(x) for x in e.items) + "}", ATOM
