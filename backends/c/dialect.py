"""Language facts of plain C / C++ host code (the `c` dialect)."""

from __future__ import annotations

from xpiler.ir.dialect import LanguageFacts
from xpiler.ir.types import Scope

LANGUAGE = LanguageFacts(
    name="c",
    scope_spelling={Scope.HOST: "", Scope.LOCAL: "", Scope.GLOBAL: ""},
    dtype_spelling={"float16": "_Float16"},
    default_includes=("math.h", "stdint.h", "string.h"),
)
