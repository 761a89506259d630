"""Integer expressions over run-time sizes as polynomials: a normal form that prints back as IR.

A size such as `(n - 1) * 1 + 1` or `rows * cols - 1 + 1` should reach the output as `n` / `rows * cols`.
`poly(e)` reads an integer IR expression as a polynomial with integer coefficients over *atoms*: variables
and the sub-expressions a polynomial cannot express (`(n + 255) / 256`, `a % b`, `x >> 2`, casts), whose
own operands are normalized first. `expr(p)` prints a polynomial back as IR, terms in a stable order
(highest degree first, then by name), constants last; `normalize(e) = expr(poly(e))` returns None when
`e` is not an integer expression of that kind (a float literal, a load, a call).

Integer division is C's (truncating) and stays an atom: `(2 * n) / 2` is not `n` for every n in C, so it
is not rewritten.
"""

from __future__ import annotations

from collections import defaultdict

from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar

__all__ = ["Poly", "expr", "normalize", "poly"]

Monomial = tuple  # sorted tuple of atom keys
Poly = dict  # Monomial -> int coefficient (no zero entries)

_INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "size_t", "ptrdiff_t",
               "char", "bool")


class _Atoms:
    """Atom key -> the IR expression it stands for; keys are stable strings, so products sort variables
    in the order they were declared and other atoms after them."""

    def __init__(self) -> None:
        self.by_key: dict[str, N.Expr] = {}

    def key(self, e: N.Expr) -> str:
        if isinstance(e, N.Var):  # symbols sort in creation order: parameters as declared (rows * cols)
            k = f"{e.sym.id:012d}:{e.sym.name}"
        else:
            k = f"~{_text(e)}"
        self.by_key.setdefault(k, e)
        return k


def _text(e: N.Expr) -> str:
    if isinstance(e, N.Var):
        return f"{e.sym.name}#{e.sym.id}"
    if isinstance(e, N.Const):
        return repr(e.value)
    if isinstance(e, N.BinOp):
        return f"({_text(e.a)}{e.op}{_text(e.b)})"
    if isinstance(e, N.UnOp):
        return f"({e.op}{_text(e.a)})"
    if isinstance(e, N.Cast):
        return f"(cast {e.type} {_text(e.value)})"
    return repr(e)


def _const(c: int) -> Poly:
    return {(): c} if c else {}


def _add(p: Poly, q: Poly, sign: int = 1) -> Poly:
    out = dict(p)
    for m, c in q.items():
        v = out.get(m, 0) + sign * c
        if v:
            out[m] = v
        else:
            out.pop(m, None)
    return out


def _mul(p: Poly, q: Poly) -> Poly:
    out: dict = defaultdict(int)
    for m1, c1 in p.items():
        for m2, c2 in q.items():
            out[tuple(sorted(m1 + m2))] += c1 * c2
    return {m: c for m, c in out.items() if c}


def poly(e: N.Expr, atoms: _Atoms | None = None) -> tuple[Poly, _Atoms] | None:
    """`e` as (polynomial, atoms), or None when it is not an integer expression we can read."""
    atoms = atoms or _Atoms()
    p = _poly(e, atoms)
    return None if p is None else (_fold_div_mod(p, atoms), atoms)


def _fold_div_mod(p: Poly, atoms: _Atoms) -> Poly:
    """`k * c * (x / c) + k * (x % c)` -> `k * x`: C defines `/` and `%` so that (x / c) * c + x % c == x for
    every x (TVM's fused indices split and rejoin an index this way). Other uses of `%` stay atoms."""
    changed = True
    while changed:
        changed = False
        for m, k in list(p.items()):
            a = atoms.by_key.get(m[0]) if len(m) == 1 else None
            if not (isinstance(a, N.BinOp) and a.op == "%" and isinstance(a.b, N.Const)
                    and isinstance(a.b.value, int) and a.b.value):
                continue
            dkey = atoms.key(N.BinOp("/", a.a, a.b))
            if p.get((dkey,)) != k * a.b.value:
                continue
            inner = _poly(a.a, atoms)
            if inner is None:
                continue
            rest = {mm: cc for mm, cc in p.items() if mm not in (m, (dkey,))}
            p = _add(rest, {mm: cc * k for mm, cc in inner.items()})
            changed = True
            break
    return p


def _poly(e: N.Expr, atoms: _Atoms) -> Poly | None:
    if isinstance(e, N.Const):
        if isinstance(e.value, bool) or not isinstance(e.value, int):
            return None
        return _const(int(e.value))
    if isinstance(e, N.Var):
        return {(atoms.key(e),): 1}
    if isinstance(e, N.UnOp) and e.op in ("-", "+"):
        a = _poly(e.a, atoms)
        return None if a is None else ({m: -c for m, c in a.items()} if e.op == "-" else a)
    if isinstance(e, N.Cast) and isinstance(e.type, Scalar) and e.type.dtype in _INT_DTYPES:
        return _poly(e.value, atoms)
    if isinstance(e, N.BinOp):
        if e.op in ("+", "-", "*"):
            a, b = _poly(e.a, atoms), _poly(e.b, atoms)
            if a is None or b is None:
                return None
            return _add(a, b, 1 if e.op == "+" else -1) if e.op != "*" else _mul(a, b)
        if e.op in ("/", "%", ">>", "<<", "&", "|", "^"):
            a, b = _poly(e.a, atoms), _poly(e.b, atoms)
            if a is None or b is None:
                return None
            if e.op == "<<" and list(b) in ([()], []):  # x << k == x * 2^k
                return _mul(a, _const(1 << b.get((), 0)))
            if e.op == "/" and list(b) == [()] and b[()] == 1:
                return a
            if not b and e.op in ("/", "%"):
                return None  # a division by zero is no size
            if all(m == () for m in a) and all(m == () for m in b):  # both constant: fold as C does
                from xpiler.ir.z3expr import int_binop

                import z3

                v = z3.simplify(int_binop(e.op, z3.IntVal(a.get((), 0)), z3.IntVal(b.get((), 0))))
                return _const(v.as_long()) if z3.is_int_value(v) else None
            inner = N.BinOp(e.op, expr((a, atoms)), expr((b, atoms)))
            return {(atoms.key(inner),): 1}
    return None


def _mono_expr(m: Monomial, atoms: _Atoms) -> N.Expr:
    out: N.Expr | None = None
    for k in m:
        a = atoms.by_key[k]
        out = a if out is None else N.BinOp("*", out, a)
    return out if out is not None else N.Const(1)


def _order(m: Monomial) -> tuple:
    return (-len(m), m)


def expr(pa: tuple[Poly, _Atoms]) -> N.Expr:
    """A polynomial printed back as an IR expression."""
    p, atoms = pa
    terms = sorted((m for m in p if m), key=_order)
    out: N.Expr | None = None
    for m in terms:
        c = p[m]
        t = _mono_expr(m, atoms)
        mag = abs(c)
        if mag != 1:
            t = N.BinOp("*", t, N.Const(mag))
        if out is None:
            out = t if c > 0 else N.UnOp("-", t)
        else:
            out = N.BinOp("+" if c > 0 else "-", out, t)
    c0 = p.get((), 0)
    if out is None:
        return N.Const(c0)
    if c0:
        out = N.BinOp("+" if c0 > 0 else "-", out, N.Const(abs(c0)))
    return out


def normalize(e: N.Expr) -> N.Expr | None:
    """`e` in polynomial normal form, or None when it is not an integer polynomial over atoms."""
    pa = poly(e)
    return None if pa is None else expr(pa)
