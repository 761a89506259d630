"""Printer of the `cuda` dialect: `__global__`/`__device__`, `__launch_bounds__`, `__align__`, wmma
fragments (`wmma::` when the module says `using namespace nvcuda;`), `k<<<grid, block>>>(...)` launches."""

from __future__ import annotations

import dataclasses
import re
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

    # headers of the other SIMT dialect and what this one includes instead (None: nothing), and namespaces
    # only the other one has: a module lifted from HIP printed as CUDA (or the reverse) never copies them
    foreign_headers: ClassVar[str] = "hip"

    def emit_module(self, module: Module) -> str:
        self._printed_includes: set = set()
        self._dropped = False
        text = super().emit_module(module)
        if self._dropped:  # no blank lines left where a dropped item stood
            text = re.sub(r"\n{3,}", "\n\n", text.lstrip("\n"))
        return text

    def item_Include(self, it: N.Include) -> None:
        from .._simt.runtime_api import headers

        table = headers(self.foreign_headers, self.language.name)
        printed = self.__dict__.setdefault("_printed_includes", set())
        if it.path in table:
            new = table[it.path]
            if new is None or new in printed:
                self._dropped = True
                return
            it = dataclasses.replace(it, path=new, system=True)
        printed.add(it.path)
        super().item_Include(it)

    def item_UsingNamespace(self, it: N.UsingNamespace) -> None:
        from .._simt.runtime_api import NAMESPACES_ONLY_IN

        if it.name.split("::")[0] in NAMESPACES_ONLY_IN.get(self.foreign_headers, ()):
            self._dropped = True
            return
        super().item_UsingNamespace(it)

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
