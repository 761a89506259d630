"""Printer of the `c` dialect (plain C/C++ compiled as C++): the shared C-style printer, GCC's loop pragma.

    >>> from xpiler.lang import parse, emit
    >>> print(emit(parse("extern \\"C\\" void f(float* x) { x[0] = 1.0f; }", "c")))
"""

from __future__ import annotations

import dataclasses

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.dialect import GCC_FULL_UNROLL
from xpiler.ir.nodes import Module

from .._cstyle import CStylePrinter
from .dialect import LANGUAGE


class CPrinter(CStylePrinter):
    language = LANGUAGE

    # g++ -Wall warns about CUDA's `#pragma unroll`; GCC's own pragma needs a factor (GCC_FULL_UNROLL
    # stands for "fully").
    def pragma(self, unroll: int | None) -> str:
        return f"#pragma GCC unroll {unroll or GCC_FULL_UNROLL}"

    # Short vectors. GCC has no `ext_vector_type` (clang's); its `vector_size` vectors index the same way.
    # SIMT vector types that C lacks (`float4` with .x .y .z .w, `make_float4`, from lifted CUDA/HIP code)
    # are defined at the top of the file as plain structs, so the output is self-contained C.
    def item_TypeAlias(self, it: N.TypeAlias) -> None:
        t = it.type
        if isinstance(t, T.Vector) and (t.spelling or it.name) not in self.language.vector_types:
            elem = self.scalar_name(T.Scalar(t.elem))
            size = t.lanes * dtypes.itemsize(t.elem)
            self.lines.append(f"typedef {elem} {it.name} __attribute__((vector_size({size})));")
            return
        super().item_TypeAlias(it)

    def vector_name(self, t: T.Vector) -> str:
        if t.spelling and t.spelling not in self.language.vector_types and t.spelling not in self.aliases \
                and t.lanes <= 4:
            return t.spelling  # defined as a struct by emit_module
        return super().vector_name(t)

    def emit_module(self, module: Module) -> str:
        text = super().emit_module(module)
        structs = self._struct_vectors(module)
        if not structs:
            return text
        lines = text.split("\n")
        at = max((i + 1 for i, line in enumerate(lines) if line.startswith("#include")), default=0)
        defs = []
        for name, t in structs:
            elem = self.scalar_name(T.Scalar(t.elem))
            fields = "xyzw"[: t.lanes]
            defs.append(f"typedef struct {{ {elem} {', '.join(fields)}; }} {name};")
            params = ", ".join(f"{elem} {f}" for f in fields)
            defs.append(f"static inline {name} make_{name}({params}) {{ {name} v = {{{', '.join(fields)}}}; return v; }}")
        return "\n".join(lines[:at] + ([""] if at else []) + defs + [""] + lines[at:]).replace("\n\n\n", "\n\n")

    def _struct_vectors(self, module: Module) -> list:
        aliased = {it.name for it in module.items if isinstance(it, N.TypeAlias)}
        found: dict[str, T.Vector] = {}
        stack = [module.items]
        while stack:
            x = stack.pop()
            if isinstance(x, T.Vector):
                name = x.spelling
                if name and name not in aliased and name not in self.language.vector_types and x.lanes <= 4:
                    found.setdefault(name, x)
            if isinstance(x, (tuple, list)):
                stack.extend(x)
            elif dataclasses.is_dataclass(x) and not isinstance(x, (type, N.Loc, N.Sym)):
                stack.extend(getattr(x, f.name) for f in dataclasses.fields(x))
        return sorted(found.items())


def emit(module: Module) -> str:
    """`module` as C/C++ source text."""
    return CPrinter().emit_module(module)
