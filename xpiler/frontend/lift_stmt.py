"""Statements: tree-sitter statement nodes -> IR `Stmt`s, with lexical scoping of declarations.

Any statement whose lifting hits something the IR cannot express becomes one `Opaque` with its exact
text, the symbols it reads and the ones it declares (so later uses still resolve). Comments inside a
statement (between operands, before an `else`) are hoisted in front of it as `Comment` statements, so
none is lost.
"""

from __future__ import annotations

import dataclasses

from xpiler.frontend.context import named
from xpiler.frontend.lift_types import Specs, Unsupported
from xpiler.ir.nodes import (
    BINARY_OPS,
    Alloc,
    Assign,
    Barrier,
    BinOp,
    Block,
    Break,
    Case,
    CFor,
    Comment,
    Const,
    Continue,
    Decl,
    DoWhile,
    Evaluate,
    For,
    If,
    Launch,
    LoopKind,
    Opaque,
    Return,
    Store,
    Switch,
    While,
)
from xpiler.ir.dialect import GCC_FULL_UNROLL
from xpiler.ir.types import Named, Scalar, Scope, Vector

INT_DTYPES = {"int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "size_t", "ptrdiff_t",
              "char"}
from xpiler.frontend.opaque import OMP_HINT  # noqa: E402  (the printers use the same prefix)
_ASSIGNING = ("assignment_expression", "update_expression")


class StmtLifter:
    # ------------------------------------------------------------------ lists and blocks
    def block_body(self, node) -> tuple:
        """Statements of a compound statement (a new scope) or of a single statement used as a body."""
        self.syms.push()
        try:
            if node.type == "compound_statement":
                return tuple(self.stmt_list(node.children))
            return tuple(self.stmt_list([node]))
        finally:
            self.syms.pop()

    def stmt_list(self, nodes) -> list:
        out: list = []
        pragma = None  # (unroll factor, node) of a `#pragma unroll` waiting for its loop
        for c in nodes:
            if not c.is_named:
                continue
            if c.type == "comment":
                self.emitted.add(c.start_byte)
                out.append(self.comment(c))
                continue
            omp = self.pragma_omp(c) if c.type == "preproc_call" else None
            if omp is not None:
                # `#pragma omp parallel for`: the author's hint that the next loop is parallel. Kept as an
                # annotation (a Comment the printers write back as the pragma in C, as a comment elsewhere);
                # passes still check the loop themselves.
                out.append(Comment(OMP_HINT + omp, False, loc=self.loc(c)))
                continue
            if c.type == "preproc_call" and self.pragma_unroll(c) is not False:
                if pragma is not None:
                    out.append(self.opaque(pragma[1]))
                pragma = (self.pragma_unroll(c), c)
                continue
            got = self.stmt(c)
            if pragma is not None:
                loops = [s for s in got if isinstance(s, (For, CFor))]
                if loops and got[-1] is loops[0]:
                    got[-1] = self.with_unroll(loops[0], pragma[0])
                else:
                    out.append(self.opaque(pragma[1]))
                pragma = None
            out.extend(got)
        if pragma is not None:
            out.append(self.opaque(pragma[1]))
        return out

    def pragma_omp(self, c) -> str | None:
        """The text of a `#pragma omp ...` line (None for any other directive)."""
        d = c.child_by_field_name("directive")
        arg = c.child_by_field_name("argument")
        if d is None or self.raw(d) != "#pragma" or arg is None:
            return None
        text = " ".join(self.raw(arg).split())
        return f"#pragma {text}" if text.split(None, 1)[0] == "omp" else None

    def pragma_unroll(self, c):
        """Unroll factor (None = full) of a `#pragma unroll [N]` line; False for any other directive."""
        d = c.child_by_field_name("directive")
        arg = c.child_by_field_name("argument")
        if d is None or self.raw(d) != "#pragma" or arg is None:
            return False
        words = self.raw(arg).split(None, 1)
        gcc = bool(words) and words[0] == "GCC"  # `#pragma GCC unroll N`, what g++ understands
        if gcc:
            words = words[1].split(None, 1) if len(words) > 1 else []
        if not words or words[0] != "unroll":
            return False
        if len(words) == 1:
            return False if gcc else None
        try:
            n = int(words[1].strip().strip("()"), 0)
        except ValueError:
            return False
        # GCC has no "full" spelling; its largest factor (GCC_FULL_UNROLL) is the idiom for it.
        return None if gcc and n >= GCC_FULL_UNROLL else n

    def with_unroll(self, loop, factor):
        if isinstance(loop, For):
            return dataclasses.replace(loop, kind=LoopKind.UNROLLED, unroll=factor)
        return dataclasses.replace(loop, pragma=True, unroll=factor)

    def comment(self, c) -> Comment:
        raw = self.text(c)
        if raw.startswith("//"):
            return Comment(raw[2:], False, loc=self.loc(c))
        return Comment(raw[2:-2] if raw.endswith("*/") else raw[2:], True, loc=self.loc(c))

    def stmt(self, node) -> list:
        """Lift one statement node to a list of statements (hoisted comments first)."""
        depth = len(self.syms.scopes)
        try:
            got = self._stmt(node)
        except RecursionError:
            raise
        except Exception:  # noqa: BLE001 - anything we cannot model stays, verbatim
            del self.syms.scopes[depth:]
            got = [self.opaque(node)]
        return self.hoisted_comments(node) + got

    def hoisted_comments(self, node) -> list:
        out = []
        stack = [node]
        while stack:
            n = stack.pop()
            if n.type == "comment":
                if n.start_byte not in self.emitted:
                    self.emitted.add(n.start_byte)
                    out.append(self.comment(n))
            elif n.type != "compound_statement" or n is node:
                stack.extend(reversed(n.children))
        return out

    def opaque(self, node) -> Opaque:
        writes = self.declared_names(node)
        return Opaque(self.text(node), self.idents(node), writes, loc=self.loc(node))

    def declared_names(self, node) -> tuple:
        """Declare (and return the Syms of) the variables a declaration we could not lift introduces."""
        if node.type != "declaration":
            return ()
        out = []
        for i, c in enumerate(node.children):
            if node.field_name_for_child(i) != "declarator":
                continue
            d = c
            while d is not None and d.type not in ("identifier", "field_identifier"):
                d = d.child_by_field_name("declarator")
            if d is not None:
                out.append(self.syms.declare(self.raw(d)))
        return tuple(out)

    # ------------------------------------------------------------------ dispatch
    def _stmt(self, n) -> list:
        t = n.type
        loc = self.loc(n)
        if t == "compound_statement":
            return [Block(self.block_body(n), loc=loc)]
        if t == "declaration":
            return self.declaration(n)
        if t == "expression_statement":
            inner = named(n)
            if not inner:
                return []
            if _misread_template_declaration(inner[0]):
                # `ns::tile<32> t = f<32>(b);` read by the grammar as `(ns::tile < 32) > (t = ...)`: a
                # declaration of a template type it does not know. Kept verbatim, never printed as a comparison.
                raise Unsupported("declaration of a template type")
            return self.expr_stmts(inner[0], loc)
        if t == "if_statement":
            return [self.if_stmt(n, loc)]
        if t == "for_statement":
            return [self.for_stmt(n, loc)]
        if t == "while_statement":
            cond = self.condition(n.child_by_field_name("condition"))
            return [While(cond, self.block_body(n.child_by_field_name("body")), loc=loc)]
        if t == "do_statement":
            body = self.block_body(n.child_by_field_name("body"))
            return [DoWhile(body, self.expr(n.child_by_field_name("condition")), loc=loc)]
        if t == "switch_statement":
            return [self.switch(n, loc)]
        if t == "break_statement":
            return [Break(loc=loc)]
        if t == "continue_statement":
            return [Continue(loc=loc)]
        if t == "return_statement":
            vals = named(n)
            return [Return(self.expr(vals[0]) if vals else None, loc=loc)]
        if t in ("preproc_def", "preproc_function_def"):
            return self.define(n)
        if t in ("preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef"):
            return self.preproc_stmts(n)
        raise Unsupported(t)

    def preproc_stmts(self, n) -> list:
        """`#ifdef __HIP_PLATFORM_AMD__ ... #else ... #endif` inside a function: the branch the dialect's
        compiler takes when the condition tests only macros it always defines (lift_module.DIALECT_DEFINED),
        lifted as statements; any other conditional stays opaque."""
        from .lift_module import ALWAYS_DEFINED, DIALECT_DEFINED, _truth

        cond, skip = self.preproc_cond(n)
        v = _truth(cond, ALWAYS_DEFINED | DIALECT_DEFINED.get(self.lang.name, frozenset()))
        if v is None:
            raise Unsupported("preprocessor conditional")
        alt = n.child_by_field_name("alternative")
        if v:
            return self.stmt_list([c for c in n.children if c.start_byte not in skip and
                                   (alt is None or c.start_byte != alt.start_byte) and
                                   c.type not in ("#if", "#ifdef", "#ifndef", "#elif", "#endif", "#else")])
        if alt is None:
            return []
        if alt.type in ("preproc_elif", "preproc_elifdef"):
            return self.preproc_stmts(alt)
        return self.stmt_list([c for c in alt.children if c.type != "#else"])

    def condition(self, c):
        if c.type == "condition_clause":
            if c.child_by_field_name("initializer") is not None:
                raise Unsupported("if with initializer")
            v = c.child_by_field_name("value")
            if v is None or v.type == "declaration":
                raise Unsupported("condition declaration")
            return self.expr(v)
        return self.expr(c)

    def if_stmt(self, n, loc) -> If:
        cond = self.condition(n.child_by_field_name("condition"))
        then = self.block_body(n.child_by_field_name("consequence"))
        orelse = ()
        alt = n.child_by_field_name("alternative")
        if alt is not None:
            inner = [c for c in alt.named_children if c.type != "comment"]
            orelse = self.block_body(inner[-1])
        constexpr = any(c.type == "constexpr" or (not c.is_named and self.raw(c) == "constexpr") for c in n.children)
        return If(cond, then, orelse, constexpr=constexpr, loc=loc)

    # ------------------------------------------------------------------ expression statements
    def expr_stmts(self, e, loc) -> list:
        t = e.type
        if t == "comma_expression":
            return self.expr_stmts(e.child_by_field_name("left"), loc) + self.expr_stmts(
                e.child_by_field_name("right"), loc)
        if t == "assignment_expression":
            op = self.raw(e.child_by_field_name("operator"))[:-1] or None
            if op is not None and op not in BINARY_OPS:
                raise Unsupported(op)
            left, right = e.child_by_field_name("left"), e.child_by_field_name("right")
            if right.type == "assignment_expression" and self._pure(left) and self._pure(right.child_by_field_name(
                    "left")):
                # `a = b = v` is `b = v; a = b;` when evaluating the targets has no side effect
                inner = self.expr_stmts(right, loc)
                return inner + [self.assign(left, self.expr(right.child_by_field_name("left")), op, loc)]
            return [self.assign(left, self.expr(right), op, loc)]
        if t == "update_expression":
            op = "+" if self.raw(e.child_by_field_name("operator")) == "++" else "-"
            return [self.assign(e.child_by_field_name("argument"), Const(1), op, loc)]
        if t == "call_expression":
            return [self.call_stmt(e, loc)]
        if t == "parenthesized_expression" and len(named(e)) == 1:
            return self.expr_stmts(named(e)[0], loc)
        return [Evaluate(self.expr(e), loc=loc)]

    def _pure(self, node) -> bool:
        """True when evaluating `node` (an lvalue) cannot have side effects."""
        stack = [node]
        while stack:
            x = stack.pop()
            if x.type in ("call_expression", "assignment_expression", "update_expression"):
                return False
            stack.extend(x.children)
        return True

    def assign(self, left, value, op, loc):
        while left.type == "parenthesized_expression" and len(named(left)) == 1:
            left = named(left)[0]
        if left.type == "identifier":
            name = self.raw(left)
            if name in self.syms.macros or name in self.lang.builtins:
                raise Unsupported("assignment to a macro / built-in")
            return Assign(self.syms.lookup(name), value, op, loc=loc)
        if left.type in ("subscript_expression", "field_expression") or (
            left.type == "pointer_expression" and self.raw(left.child_by_field_name("operator")) == "*"
        ):
            return Store(self.expr(left), value, op, loc=loc)
        raise Unsupported("assignment target")

    def call_stmt(self, e, loc):
        launch = next((c for c in e.children if c.type == "kernel_call_syntax"), None)
        fn = e.child_by_field_name("function")
        if launch is not None:
            name, targs = self.callee(fn)
            return Launch(name, tuple(self.expr(c) for c in named(launch)), self.call_args(e), targs, loc=loc)
        if fn.type == "identifier":
            name = self.raw(fn)
            args = named(e.child_by_field_name("arguments"))
            if name in self.lang.barriers and not args and self.syms.local(name) is None:
                return Barrier(self.lang.barriers[name], loc=loc)
            if name == "hipLaunchKernelGGL" and len(args) >= 5 and args[0].type in ("identifier", "template_function"):
                kname, targs = self.callee(args[0])
                return Launch(kname, tuple(self.expr(a) for a in args[1:5]), tuple(self.expr(a) for a in args[5:]),
                              targs, loc=loc)
        return Evaluate(self.expr(e), loc=loc)

    # ------------------------------------------------------------------ loops
    def for_stmt(self, n, loc):
        init = n.child_by_field_name("initializer")
        cond = n.child_by_field_name("condition")
        update = n.child_by_field_name("update")
        body = n.child_by_field_name("body")
        canon = self.canonical_for(init, cond, update, body)
        self.syms.push()
        try:
            if canon is not None:
                var_node, start_node, stop_node, inclusive, step_node, vtype = canon
                start = self.expr(start_node)
                var = self.syms.declare(self.raw(var_node))
                stop = self.expr(stop_node)
                if inclusive:
                    stop = BinOp("+", stop, Const(1))
                step = Const(1) if step_node is None else self.expr(step_node)
                return For(var, start, stop, step, self.block_body(body), var_type=vtype, loc=loc)
            inits: list = []
            if init is not None:
                inits = self.declaration(init) if init.type == "declaration" else self.expr_stmts(init, loc)
            c = self.expr(cond) if cond is not None else None
            ups = self.expr_stmts(update, loc) if update is not None else []
            return CFor(tuple(inits), c, tuple(ups), self.block_body(body), loc=loc)
        finally:
            self.syms.pop()

    def canonical_for(self, init, cond, update, body):
        """(var node, start, stop, inclusive, step or None, var type) when the loop is a counted loop."""
        if init is None or cond is None or update is None or init.type != "declaration":
            return None
        decls = [init.children[i] for i in range(init.child_count) if init.field_name_for_child(i) == "declarator"]
        if len(decls) != 1 or decls[0].type != "init_declarator":
            return None
        var = decls[0].child_by_field_name("declarator")
        start = decls[0].child_by_field_name("value")
        if var.type != "identifier" or start is None or start.type == "initializer_list":
            return None
        specs = self.read_specs(init, Specs())
        if specs.words or specs.static or specs.extern or specs.align:
            return None
        vtype = self.spec_type(init.child_by_field_name("type"))
        if not isinstance(vtype, Scalar) or vtype.dtype not in INT_DTYPES:
            return None
        v = self.raw(var)
        if cond.type != "binary_expression":
            return None
        op = self.raw(cond.child_by_field_name("operator"))
        left, right = cond.child_by_field_name("left"), cond.child_by_field_name("right")
        if op in ("<", "<=") and self._is(left, v):
            stop = right
        elif op in (">", ">=") and self._is(right, v):
            stop = left
        else:
            return None
        if self._mentions(stop, v):
            return None
        step = self._step(update, v)
        if step is False or self._assigns(body, v):
            return None
        if specs.const:
            return None
        return var, start, stop, op in ("<=", ">="), step, vtype

    def _is(self, node, name: str) -> bool:
        while node.type == "parenthesized_expression" and len(named(node)) == 1:
            node = named(node)[0]
        return node.type == "identifier" and self.raw(node) == name

    def _mentions(self, node, name: str) -> bool:
        stack = [node]
        while stack:
            x = stack.pop()
            if x.type == "identifier" and self.raw(x) == name:
                return True
            stack.extend(x.children)
        return False

    def _step(self, u, v):
        """The step node (None = 1) of `v++`, `++v`, `v += S`, `v = v + S`; False for anything else."""
        if u.type == "update_expression":
            ok = self.raw(u.child_by_field_name("operator")) == "++" and self._is(u.child_by_field_name("argument"), v)
            return None if ok else False
        if u.type == "assignment_expression" and self._is(u.child_by_field_name("left"), v):
            op = self.raw(u.child_by_field_name("operator"))
            r = u.child_by_field_name("right")
            if op == "+=" and not self._mentions(r, v):
                return r
            if op == "=" and r.type == "binary_expression" and self.raw(r.child_by_field_name("operator")) == "+":
                s = r.child_by_field_name("right")
                if self._is(r.child_by_field_name("left"), v) and not self._mentions(s, v):
                    return s
        return False

    def _assigns(self, body, v: str) -> bool:
        stack = [body]
        while stack:
            x = stack.pop()
            if x.type in _ASSIGNING:
                target = x.child_by_field_name("left") or x.child_by_field_name("argument")
                if target is not None and self._is(target, v):
                    return True
            if (x.type == "pointer_expression" and self.raw(x.child_by_field_name("operator")) == "&"
                    and self._is(x.child_by_field_name("argument"), v)):
                return True
            stack.extend(x.children)
        return False

    # ------------------------------------------------------------------ switch
    def switch(self, n, loc) -> Switch:
        """Case labels without statements merge into the next group (`case 1: case 2: body`)."""
        value = self.condition(n.child_by_field_name("condition"))
        body = n.child_by_field_name("body")
        cases: list[Case] = []
        values: list = []
        pending: list = []  # comments between a label group and its statements
        is_default = False
        self.syms.push()
        try:
            for c in body.named_children:
                if c.type == "comment":
                    self.emitted.add(c.start_byte)
                    if cases and not values and not is_default:
                        last = cases[-1]
                        cases[-1] = Case(last.values, last.body + (self.comment(c),))
                    else:
                        pending.append(self.comment(c))
                    continue
                if c.type != "case_statement":
                    raise Unsupported("statement outside a case")
                v = c.child_by_field_name("value")
                if v is None:
                    is_default = True
                else:
                    values.append(self.expr(v))
                vkey = None if v is None else (v.start_byte, v.end_byte)
                stmts = [x for x in c.named_children if (x.start_byte, x.end_byte) != vkey]
                if not stmts:
                    continue
                if is_default and values:
                    raise Unsupported("default merged with case labels")
                cases.append(Case(tuple(values), tuple(pending + self.stmt_list(stmts))))
                values, pending, is_default = [], [], False
            if values or is_default or pending:
                if is_default and values:
                    raise Unsupported("default merged with case labels")
                cases.append(Case(tuple(values), tuple(pending)))
        finally:
            self.syms.pop()
        return Switch(value, tuple(cases), loc=loc)

    # ------------------------------------------------------------------ declarations
    def declaration(self, n) -> list:
        specs = self.read_specs(n, Specs())
        tnode = n.child_by_field_name("type")
        base = self.spec_type(tnode)
        self._decl_type_text = " ".join(self.raw(tnode).split())  # `std::vector<float>` for its constructor
        out = []
        for i, c in enumerate(n.children):
            if n.field_name_for_child(i) != "declarator":
                continue
            out.append(self.declarator_item(c, base, specs, self.loc(c) if out else self.loc(n)))
        if not out:
            raise Unsupported("declaration without declarator")
        return out

    def declarator_item(self, d, base, specs: Specs, loc):
        if d.type == "function_declarator":
            return self.vexing_ctor(d, base, specs, loc)
        name_node, quals, dims, init = self.unwrap_declarator(d)
        typ, own_const = self.apply_pointers(base, specs.const, quals)
        scopes = [self.lang.scope_qualifiers[w] for w in specs.words if w in self.lang.scope_qualifiers]
        unknown = [w for w in specs.words if w not in self.lang.scope_qualifiers]
        if unknown or len(set(scopes)) > 1:
            raise Unsupported(f"qualifier {unknown}")
        shape = []
        for dn in dims:
            if dn is None:
                raise Unsupported("array of unknown size")
            shape.append(self.expr(dn))
        init_e = None
        if init is not None:
            if init.type == "argument_list":
                init_e = self.ctor_init(typ, init)
            else:
                init_e = self.expr(init)
        sym = self.syms.declare(self.raw(name_node))
        module = self.func_kind is None
        if dims or scopes:
            if scopes:
                scope = scopes[0]
            elif not module:
                scope = Scope.LOCAL
            else:
                scope = Scope.HOST
            return Alloc(sym, typ, tuple(shape), scope, init_e, const=own_const, static=specs.static,
                         extern=specs.extern, align=specs.align, loc=loc)
        if specs.extern:
            raise Unsupported("extern variable")
        return Decl(sym, typ, init_e, const=own_const, static=specs.static, align=specs.align, loc=loc)

    def vexing_ctor(self, d, base, specs: Specs, loc):
        """`dim3 block(TX, TY);` in a body: the grammar reads a function prototype whose parameter types are
        TX and TY; C++ reads a variable built by a constructor when TX, TY are values (macros, variables)."""
        if self.func_kind is None or specs.words or specs.extern:
            raise Unsupported("function declaration in a body")
        name = d.child_by_field_name("declarator")
        if name.type != "identifier":
            raise Unsupported("declarator")
        args = []
        for p in named(d.child_by_field_name("parameters")):
            ty = p.child_by_field_name("type") if p.type == "parameter_declaration" else None
            if ty is None or ty.type != "type_identifier" or p.child_by_field_name("declarator") is not None \
                    or len(named(p)) != 1:
                raise Unsupported("function declaration in a body")
            pname = self.raw(ty)
            if self.is_type_name(pname) or pname in self.syms.types:
                raise Unsupported("function declaration in a body")
            args.append(self.ident(pname))
        if any(c.is_named and d.field_name_for_child(i) not in ("declarator", "parameters")
               for i, c in enumerate(d.children)):
            raise Unsupported("declarator suffix")
        init = self.ctor_call(base, tuple(args))
        sym = self.syms.declare(self.raw(name))
        return Decl(sym, base, init, const=specs.const, static=specs.static, align=specs.align, loc=loc)

    def ctor_init(self, typ, args_node):
        return self.ctor_call(typ, tuple(self.expr(a) for a in named(args_node)))

    def ctor_call(self, typ, args):
        """`dim3 grid(a, b)` -> init `Call("dim3", (a, b), CTOR)` (see frontend_notes: printed either way)."""
        from xpiler.ir.nodes import Call, CallKind
        from xpiler.ir.types import Scalar as Sc

        if isinstance(typ, Named) and typ.args:
            name = getattr(self, "_decl_type_text", "")  # a template's constructor names its arguments
            if not name.startswith(typ.name):
                raise Unsupported("constructor initialiser")
        elif isinstance(typ, Named):
            name = typ.name
        elif isinstance(typ, (Vector, Sc)) and typ.spelling:
            name = typ.spelling
        else:
            raise Unsupported("constructor initialiser")
        return Call(name, args, CallKind.CTOR)


def _misread_template_declaration(e) -> bool:
    """A statement `a < b > (c = ...)` / `a < b > c`: a comparison whose value is thrown away, which no one
    writes; it is how tree-sitter reads `T<N> c = ...;` when it does not know the template T."""
    while e.type == "parenthesized_expression" and e.named_child_count == 1:
        e = e.named_children[0]
    if e.type != "binary_expression":
        return False
    op = e.child_by_field_name("operator")
    left = e.child_by_field_name("left")
    if op is None or op.type != ">" or left is None or left.type != "binary_expression":
        return False
    lop = left.child_by_field_name("operator")
    return lop is not None and lop.type == "<"
