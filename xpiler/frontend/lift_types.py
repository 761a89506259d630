"""Types and declaration specifiers: C / dialect spellings -> `xpiler.ir.types`.

A spelling is looked up in order: the module's typedefs (`floatx4` -> Vector spelled `floatx4`), the C
scalars, the dialect's dtype spellings read in reverse plus the usual vendor aliases (`half`, `__half`,
`__nv_bfloat16`, BANG's `int8`...), the dialect's vector types, and finally `Named`. Specifiers that
the IR cannot express (volatile, unknown attributes, references) raise `Unsupported`, which the
statement / item level turns into an `Opaque` carrying the exact text: nothing is silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from xpiler.frontend.context import named
from xpiler.ir.dialect import C_SCALARS, VENDOR_SCALARS
from xpiler.ir.types import Fragment, Named, Pointer, Scalar, Type, Vector

FRAGMENT_USES = ("matrix_a", "matrix_b", "accumulator")
LAYOUTS = ("row_major", "col_major")


class Unsupported(Exception):
    """A construct the IR cannot represent; the caller falls back to Opaque / OpaqueExpr."""


@dataclass
class Specs:
    """Everything a declaration says besides its type and declarators."""

    const: bool = False
    constexpr: bool = False
    static: bool = False
    extern: bool = False
    inline: bool = False
    forceinline: bool = False
    align: int | None = None
    words: list[str] = field(default_factory=list)  # qualifier keywords / attribute names
    launch_bounds: tuple | None = None
    vector_lanes: int | None = None  # ext_vector_type(N) of a typedef
    vector_bytes: int | None = None  # GNU vector_size(bytes) of a typedef (lanes = bytes / element size)


class TypeLifter:
    def _scalar_names(self) -> dict[str, str]:
        got = getattr(self, "_scalars", None)
        if got is None:
            got = dict(C_SCALARS)
            got.update(VENDOR_SCALARS)
            got.update({v: k for k, v in self.lang.dtype_spelling.items()})
            self._scalars = got
        return got

    def is_type_name(self, name: str) -> bool:
        return (name in self.aliases or name in self._scalar_names() or name in self.lang.vector_types
                or name in self.lang.named_types)

    def type_from_name(self, name: str, args: tuple = ()) -> Type:
        name = " ".join(name.split())
        if not args:
            alias = self.aliases.get(name)
            if isinstance(alias, Vector):
                return Vector(alias.elem, alias.lanes, spelling=name)
            if isinstance(alias, Scalar):
                return Scalar(alias.dtype, spelling=name)
            if alias is not None:
                return alias
            dt = self._scalar_names().get(name)
            if dt is not None:
                return Scalar(dt, spelling=name)
            vt = self.lang.vector_types.get(name)
            if vt is not None:
                return Vector(vt[0], vt[1], spelling=name)
        return Named(name, args)

    # ------------------------------------------------------------------ type specifier nodes
    def spec_type(self, node) -> Type:
        t = node.type
        if t in ("primitive_type", "sized_type_specifier", "type_identifier"):
            return self.type_from_name(self.raw(node))
        if t == "qualified_identifier":
            last = node
            while last.type == "qualified_identifier" and last.child_by_field_name("name") is not None:
                last = last.child_by_field_name("name")
            if last.type == "template_type":
                return self.template_type(self.raw(node).split("<")[0], last)
            return self.type_from_name(self.raw(node))
        if t == "placeholder_type_specifier" and self.raw(node) == "auto":
            return Named("auto")  # C++ `auto`: the printer writes it back, passes see an unknown type
        if t == "template_type":
            return self.template_type(self.raw(node.child_by_field_name("name")), node)
        raise Unsupported(f"type {t}")

    def template_type(self, full_name: str, node) -> Type:
        full_name = "".join(full_name.split())
        arg_list = node.child_by_field_name("arguments")
        args = self.template_args(arg_list) if arg_list is not None else ()
        if full_name.split("::")[-1] == "fragment" and len(args) in (5, 6):
            frag = self.fragment(args)
            if frag is not None:
                return frag
        return Named(full_name, args)

    def fragment(self, args: tuple) -> Fragment | None:
        use = args[0].name.split("::")[-1] if isinstance(args[0], Named) else None
        dims = [self.const_int(a) for a in args[1:4]]
        dt = args[4].dtype if isinstance(args[4], Scalar) else None
        layout = None
        if len(args) == 6:
            layout = args[5].name.split("::")[-1] if isinstance(args[5], Named) else None
            if layout not in LAYOUTS:
                return None
        if use not in FRAGMENT_USES or None in dims or dt is None:
            return None
        return Fragment(use, dims[0], dims[1], dims[2], dt, layout)

    def template_args(self, arg_list) -> tuple:
        out = []
        for a in named(arg_list):
            if a.type == "type_descriptor" and not self._value_name(a):
                out.append(self.type_descriptor(a))
            elif a.type == "type_descriptor":
                out.append(self.ident(self.raw(a)))
            else:
                out.append(self.expr(a))
        return tuple(out)

    def _value_name(self, td) -> bool:
        """True when a template argument the grammar read as a type is a macro or variable (`WM`)."""
        kids = named(td)
        if len(kids) != 1 or kids[0].type != "type_identifier":
            return False
        name = self.raw(kids[0])
        return name in self.syms.macros or self.syms.local(name) is not None

    def type_descriptor(self, node) -> Type:
        """`const float *` in a cast / sizeof / template argument."""
        specs = Specs()
        self.read_specs(node, specs, skip=("type", "declarator"))
        base = self.spec_type(node.child_by_field_name("type"))
        d = node.child_by_field_name("declarator")
        quals = []
        while d is not None:
            if d.type == "abstract_pointer_declarator":
                quals.append(self._ptr_quals(d))
                d = d.child_by_field_name("declarator")
            else:
                raise Unsupported(f"declarator {d.type}")
        return self.apply_pointers(base, specs.const, quals)[0]

    # ------------------------------------------------------------------ specifiers
    def read_specs(self, node, specs: Specs, skip=("type", "declarator", "body")) -> Specs:
        for i, c in enumerate(node.children):
            fname = node.field_name_for_child(i)
            if fname in skip or c.type in ("comment", ";", ","):
                continue
            t = c.type
            if t == "storage_class_specifier":
                w = self.raw(c)
                if w in ("static", "extern", "inline"):
                    setattr(specs, w, True)
                elif w in ("__inline__", "__inline"):  # GNU spellings of inline
                    specs.inline = True
                elif w != "register":
                    raise Unsupported(w)
            elif t == "type_qualifier":
                self._type_qualifier(c, specs)
            elif t == "attribute_specifier":
                self._attributes(c, specs)
            elif t == "launch_bounds":
                specs.launch_bounds = tuple(self.expr(e) for e in named(c))
            elif t in ("__global__", "__device__", "__host__", "__shared__", "__constant__", "__managed__"):
                specs.words.append(t)
            elif t in ("__forceinline__",):
                specs.forceinline = True
            elif t == "virtual" or t == "explicit" or fname is None and c.is_named:
                raise Unsupported(t)
        return specs

    def _type_qualifier(self, c, specs: Specs) -> None:
        inner = c.children[0] if c.children else c
        w = inner.type
        if w == "const":
            specs.const = True
        elif w == "constexpr":
            specs.const = specs.constexpr = True
        elif w == "alignas_qualifier":
            vals = named(inner)
            n = self.const_int(self.expr(vals[0])) if vals else None
            if n is None:
                raise Unsupported("alignas with a non-constant")
            specs.align = n
        elif w in ("__shared__", "__constant__", "__device__", "__managed__"):
            specs.words.append(w)
        else:
            raise Unsupported(f"qualifier {w}")

    def _attributes(self, c, specs: Specs) -> None:
        for arglist in named(c):
            for a in named(arglist):
                if a.type == "identifier":
                    specs.words.append(self.raw(a))
                elif a.type == "call_expression":
                    name = self.raw(a.child_by_field_name("function"))
                    args = named(a.child_by_field_name("arguments"))
                    val = self.const_int(self.expr(args[0])) if len(args) == 1 else None
                    if val is None:
                        raise Unsupported(f"attribute {name}")
                    if name in ("aligned", "__aligned__"):
                        specs.align = val
                    elif name == "ext_vector_type":
                        specs.vector_lanes = val
                    elif name in ("vector_size", "__vector_size__"):
                        specs.vector_bytes = val
                    else:
                        raise Unsupported(f"attribute {name}")
                else:
                    raise Unsupported("attribute")

    # ------------------------------------------------------------------ declarators
    def _ptr_quals(self, d) -> tuple[bool, bool]:
        const = restrict = False
        for q in d.children:
            if q.type == "type_qualifier":
                w = self.raw(q)
                if w == "const":
                    const = True
                elif w in ("__restrict__", "restrict", "__restrict"):
                    restrict = True
                else:
                    raise Unsupported(w)
        return const, restrict

    def apply_pointers(self, base: Type, base_const: bool, quals: list) -> tuple[Type, bool]:
        """Build the pointer chain; returns (type, whether the declared object itself is const)."""
        t, const = base, base_const
        for pconst, restrict in quals:
            t = Pointer(t, self.pointer_scope(), const=const, restrict=restrict)
            const = pconst
        return t, const

    def unwrap_declarator(self, d):
        """-> (name node, pointer qualifier list, dims (outermost first, None = []), init node)."""
        quals, dims, init = [], [], None
        while True:
            t = d.type
            if t == "init_declarator":
                init = d.child_by_field_name("value")
                d = d.child_by_field_name("declarator")
            elif t == "pointer_declarator":
                if dims:
                    raise Unsupported("pointer to array")
                quals.append(self._ptr_quals(d))
                d = d.child_by_field_name("declarator")
            elif t == "array_declarator":
                dims.append(d.child_by_field_name("size"))
                d = d.child_by_field_name("declarator")
            elif t in ("identifier", "field_identifier", "type_identifier"):
                return d, quals, list(reversed(dims)), init
            else:
                raise Unsupported(f"declarator {t}")

    # ------------------------------------------------------------------ constants
    def const_int(self, e) -> int | None:
        """Value of an integer constant expression built from literals and object-like macros."""
        from xpiler.frontend.consteval import const_value

        v = const_value(e, self.macro_bodies)
        return v if isinstance(v, int) and not isinstance(v, bool) else None
