"""The tree-sitter frontend: source text of any of the five dialects -> one IR `Module`.

    >>> from xpiler.frontend import parse
    >>> mod = parse(text, get_backend("bang").language(), get_backend("bang").catalogue(), path="k.mlu")

Pipeline (one module per step): `source` validates the input and rewrites dialect qualifier keywords
to GNU attributes with an offset map back to the original text; `lift` parses with tree-sitter-cuda
(a C++ superset, used for every dialect) and reports the first syntax error as `BadInput`
"FILE:LINE:COL: ..."; the mixins `lift_types`, `lift_expr`, `lift_stmt`, `lift_module` build the IR.
Constructs without an IR node become `Opaque` / `OpaqueExpr` carrying their exact text.
"""

from __future__ import annotations

from xpiler.frontend.lift import parse
from xpiler.frontend.opaque import omp_hint, opaque_sites
from xpiler.frontend.source import MAX_BYTES

__all__ = ["MAX_BYTES", "omp_hint", "opaque_sites", "parse"]
