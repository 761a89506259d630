"""Language facts of C/C++ with AVX-512 VNNI intrinsics (the `vnni` dialect)."""

from __future__ import annotations

from xpiler.ir.dialect import LanguageFacts
from xpiler.ir.types import Scope

LANGUAGE = LanguageFacts(
    name="vnni",
    scope_spelling={Scope.HOST: "", Scope.LOCAL: "", Scope.GLOBAL: ""},
    intrinsic_prefixes=("_mm512_", "_mm256_", "_mm_", "_cvt", "_kand", "_kor", "_knot", "_load_mask", "_store_mask"),
    dtype_spelling={"float16": "_Float16"},
    vector_types={"__m512i": ("int32", 16), "__m512": ("float32", 16), "__m512d": ("float64", 8),
                  "__m256i": ("int32", 8), "__m256": ("float32", 8), "__m256d": ("float64", 4),
                  "__m128i": ("int32", 4), "__m128": ("float32", 4), "__m128d": ("float64", 2),
                  "__mmask16": ("bool", 16), "__mmask8": ("bool", 8), "__mmask32": ("bool", 32),
                  "__mmask64": ("bool", 64)},
    default_includes=("immintrin.h", "math.h", "stdint.h", "string.h"),
)
