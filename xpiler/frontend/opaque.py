"""Where the IR could not model the source: `opaque_sites(node)` lists every Opaque statement and OpaqueExpr
under a module, function or statement as "FILE:LINE:COL: `text`" (an OpaqueExpr carries no position of its
own: it is reported at the statement holding it), so a pass that refuses opaque code can name the
construct and its place instead of only counting."""

from __future__ import annotations

from xpiler.ir import nodes as N


def _where(loc) -> str:
    if loc is None:
        return ""
    file = loc.file or "<source>"
    return f"{file}:{loc.line}:{loc.col}: " if loc.col else f"{file}:{loc.line}: "


def _show(text: str, limit: int = 60) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def opaque_sites(node) -> list[str]:
    """"FILE:LINE:COL: `construct`" for every opaque piece under `node`, in source order."""
    out: list[str] = []

    def visit(n, loc):
        if isinstance(n, N.Opaque):
            out.append(f"{_where(n.loc or loc)}`{_show(n.text)}`")
            return
        if isinstance(n, N.OpaqueExpr):
            out.append(f"{_where(loc)}`{_show(n.text)}`")
            return
        here = getattr(n, "loc", None) or loc
        if isinstance(n, (list, tuple)):
            for x in n:
                visit(x, loc)
            return
        fields = getattr(n, "__dataclass_fields__", None)
        if not fields:
            return
        for f in fields:
            if f == "loc":
                continue
            v = getattr(n, f, None)
            if isinstance(v, (list, tuple)) or hasattr(v, "__dataclass_fields__"):
                visit(v, here)

    visit(node, None)
    return out


OMP_HINT = "\x00omp:"  # the Comment text prefix of a lifted `#pragma omp ...` line (see lift_stmt.stmt_list)


def omp_hint(stmt) -> str | None:
    """The `#pragma omp ...` text when `stmt` is the hint the frontend keeps for the loop after it
    (a `Comment`); None otherwise. Passes may take `parallel for` as a hint and still check the loop."""
    if isinstance(stmt, N.Comment) and not stmt.block and stmt.text.startswith(OMP_HINT):
        return stmt.text[len(OMP_HINT):]
    return None
