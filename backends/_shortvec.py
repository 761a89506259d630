"""Short vector types for dialects that lack them (c, vnni, bang): a `typedef T name
__attribute__((vector_size(bytes)))` for vector typedefs (GCC and clang both index those), and plain structs
with `make_<name>` for the SIMT built-ins (`float4` with .x .y .z .w) that lifted CUDA/HIP code uses, defined
at the top of the file so the output stays self-contained."""

from __future__ import annotations

from xpiler import dtypes
from xpiler.ir import nodes as N
from xpiler.ir import types as T
from xpiler.ir.visit import walk


class ShortVectorsAsC:
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

    def emit_module(self, module: N.Module) -> str:
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

    def _struct_vectors(self, module: N.Module) -> list:
        aliased = {it.name for it in module.items if isinstance(it, N.TypeAlias)}
        found: dict[str, T.Vector] = {}
        for x in walk(module):
            if isinstance(x, T.Vector):
                name = x.spelling
                if name and name not in aliased and name not in self.language.vector_types and x.lanes <= 4:
                    found.setdefault(name, x)
        return sorted(found.items())
