"""Printer of the `cuda` dialect: `__global__`/`__device__`, `__launch_bounds__`, `__align__`, wmma
fragments (`wmma::` when the module says `using namespace nvcuda;`), `k<<<grid, block>>>(...)` launches."""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.nodes import Module

from .._cstyle import CStylePrinter
from .dialect import LANGUAGE


class CudaPrinter(CStylePrinter):
    language = LANGUAGE
    launch_bounds_spelling = "__launch_bounds__"
    forceinline_spelling = "__forceinline__"
    align_style = "__align__"
    extra_spellings: ClassVar[dict[str, str]] = {"__half": "float16", "nv_bfloat16": "bfloat16"}
    bad_spellings = frozenset({"_Float16"})
    vector_typedefs_as_structs = True  # nvcc has no ext_vector_type

    def item_TypeAlias(self, it: N.TypeAlias) -> None:
        """A short-vector typedef CUDA lacks (HIP's `typedef float floatx4 __attribute__((ext_vector_type(4)))`;
        nvcc has no ext_vector_type) becomes an aligned struct indexed like the vector."""
        if it.name in getattr(self, "dropped_aliases", ()):
            return
        if it.name in getattr(self, "renamed_aliases", {}):
            it = dataclasses.replace(it, name=self.renamed_aliases[it.name])
        t = it.type
        if self.vector_typedefs_as_structs and isinstance(t, T.Vector) \
                and (t.spelling or it.name) not in self.language.vector_types:
            elem = self.scalar_name(T.Scalar(t.elem))
            size = t.lanes * dtypes.itemsize(t.elem)
            self.lines.append(
                f"struct __align__({size}) {it.name} {{ {elem} v[{t.lanes}]; "
                f"__host__ __device__ {elem}& operator[](int i) {{ return v[i]; }} "
                f"__host__ __device__ const {elem}& operator[](int i) const {{ return v[i]; }} }};")
            return
        super().item_TypeAlias(it)


def emit(module: Module) -> str:
    """`module` as CUDA C++ source text."""
    return CudaPrinter().emit_module(module)
