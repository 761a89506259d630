"""Frontend: each construct of the brief lifts to the IR node the printers expect (see frontend_notes)."""

from __future__ import annotations

import pytest

from xpiler import lang
from xpiler.ir import nodes as N
from xpiler.ir.stats import count_statements, opaque_report
from xpiler.ir.types import Fragment, Named, Pointer, Scalar, Scope, Vector
from xpiler.ir.visit import walk


def body(src: str, dialect: str = "c", name: str | None = None):
    mod = lang.parse(src, dialect)
    funcs = [f for f in mod.funcs() if not f.is_declaration]
    f = funcs[0] if name is None else mod.func(name)
    return f.body


def all_of(nodes, cls):
    items = nodes if isinstance(nodes, tuple) else (nodes,)
    return [n for it in items for n in walk(it) if isinstance(n, cls)]


def first(nodes, cls):
    return all_of(nodes, cls)[0]


# ------------------------------------------------------------------ literals
@pytest.mark.parametrize("text,value,dtype", [
    ("3", 3, "int32"), ("3u", 3, "uint32"), ("3L", 3, "int64"), ("3LL", 3, "int64"), ("3ull", 3, "uint64"),
    ("3.0f", 3.0, "float32"), ("3.0", 3.0, "float64"), ("1e-5f", 1e-5, "float32"), ("0x1F", 31, "int32"),
    ("0xFFFFFFFF", 0xFFFFFFFF, "uint32"), ("3000000000", 3000000000, "int64"), ("017", 15, "int32"),
    ("1.f", 1.0, "float32"), (".5", 0.5, "float64"),
])
def test_number_literals(text, value, dtype):
    (d,) = body(f"void f() {{ auto x = {text}; }}")
    assert isinstance(d.init, N.Const) and d.init.dtype == dtype and d.init.spelling == text
    assert d.init.value == pytest.approx(value)


def test_bool_string_char_literals():
    b = body('void f() { bool t = true; bool u = false; const char *s = "a\\n"; char c = \'x\'; }')
    assert b[0].init == N.Const(True, "bool") and b[1].init == N.Const(False, "bool")
    assert b[2].init == N.StrLit("a\\n")
    assert b[3].init.value == ord("x") and b[3].init.dtype == "char"


# ------------------------------------------------------------------ symbols
def test_one_sym_per_declaration_and_lexical_scope():
    src = "void f(int n) { int i = n; { int i = 2; i = 3; } i = 4; }"
    b = body(src)
    outer, inner_block, assign = b[0], b[1], b[2]
    inner_decl, inner_assign = inner_block.body
    assert inner_decl.sym is not outer.sym
    assert inner_assign.sym is inner_decl.sym and assign.sym is outer.sym


def test_undeclared_names_share_one_sym_per_module():
    src = "void f(float *a) { a[0] = FLT_MAX; a[1] = FLT_MAX; a[2] = INFINITY; }"
    stores = body(src)
    s0, s1, s2 = (s.value.sym for s in stores)
    assert s0 is s1 and s0 is not s2 and s0.name == "FLT_MAX"


def test_params_and_globals_resolve():
    mod = lang.parse("int g; void f(int n) { g = n; }", "c")
    g = mod.items[0]
    (a,) = mod.func("f").body
    assert a.sym is g.sym and a.value.sym is mod.func("f").params[0].sym


# ------------------------------------------------------------------ calls, builtins, launches
def test_call_kinds_cuda():
    src = """
#define SQ(x) ((x) * (x))
__device__ float helper(float x) { return x; }
__global__ void k(float *a) {
  float v = expf(a[0]) + helper(a[1]) + SQ(a[2]);
  int w = __shfl_down_sync(0xffffffffu, 1, 2);
  dim3 g = dim3(4, 2);
  float4 q = make_float4(1, 2, 3, 4);
}
void host(float *d) { cudaMalloc(&d, 4); memcpy(d, d, 4); }
"""
    mod = lang.parse(src, "cuda")
    kinds = {c.name: c.kind for c in all_of(mod, N.Call)}
    assert kinds["expf"] == N.CallKind.MATH and kinds["helper"] == N.CallKind.FUNC
    assert kinds["SQ"] == N.CallKind.MACRO and kinds["dim3"] == N.CallKind.CTOR
    assert kinds["cudaMalloc"] == N.CallKind.HOST_API and kinds["memcpy"] == N.CallKind.HOST_API
    assert kinds["__shfl_down_sync"] in (N.CallKind.MATH, N.CallKind.INTRINSIC)  # catalogue may list it
    assert kinds["make_float4"] == N.CallKind.CTOR  # the vector type's constructor


def test_intrinsics_by_prefix_and_template_args():
    b = body("template <int NV> void tile(int *p) {}\n"
             "void f(int *p) { __m512i a = _mm512_setzero_si512(); tile<4>(p); }", "vnni", "f")
    assert b[0].init.kind == N.CallKind.INTRINSIC and isinstance(b[0].type, Vector)
    call = b[1].value
    assert call.name == "tile" and call.template_args == (N.Const(4),) and call.kind == N.CallKind.FUNC


def test_casts():
    b = body("void f(float *p, int n) { float a = (float)n; float b = static_cast<float>(n);"
             " float4 *q = reinterpret_cast<float4 *>(p); float c = float(n); }", "cuda")
    styles = [d.init.style for d in b]
    assert styles == [N.CastStyle.C, N.CastStyle.STATIC, N.CastStyle.REINTERPRET, N.CastStyle.FUNCTIONAL]
    assert isinstance(b[2].init.type, Pointer) and b[2].init.type.pointee.spelling == "float4"


def test_builtins_cuda_and_bang():
    b = body("__global__ void k(float *a) { int i = blockIdx.x * blockDim.x + threadIdx.x; int w = warpSize; }",
             "cuda")
    names = {x.name for x in all_of(b, N.Builtin)}
    assert names == {"blockIdx.x", "blockDim.x", "threadIdx.x", "warpSize"}
    b = body("__mlu_global__ void k(float *a) { int t = taskId + taskDim * coreId; }", "bang")
    assert {x.name for x in all_of(b, N.Builtin)} == {"taskId", "taskDim", "coreId"}


def test_barriers():
    b = body("__global__ void k() { __syncthreads(); __syncwarp(); }", "cuda")
    assert [s.scope for s in b] == [N.BarrierScope.BLOCK, N.BarrierScope.WARP]
    b = body("__mlu_global__ void k() { __sync_cluster(); __sync_all(); }", "bang")
    assert [s.scope for s in b] == [N.BarrierScope.CLUSTER, N.BarrierScope.ALL]


def test_launches():
    src = """
__global__ void k(float *a, int n) {}
void h(float *d) {
  dim3 grid(4, 2);
  k<<<grid, 256>>>(d, 3);
  k<<<1, 64, 0, 0>>>(d, 1);
}
"""
    launches = all_of(lang.parse(src, "cuda"), N.Launch)
    assert launches[0].kernel == "k" and len(launches[0].config) == 2 and len(launches[0].args) == 2
    assert len(launches[1].config) == 4
    hip = "__global__ void k(float *a) {}\nvoid h(float *d) { hipLaunchKernelGGL(k, dim3(2), dim3(64), 0, 0, d); }"
    (launch,) = all_of(lang.parse(hip, "hip"), N.Launch)
    assert launch.kernel == "k" and len(launch.config) == 4 and len(launch.args) == 1
    assert launch.config[0] == N.Call("dim3", (N.Const(2),), N.CallKind.CTOR)
    bang = "__mlu_global__ void k(float *a) {}\nvoid h(float *d, cnrtDim3_t dim, cnrtQueue_t q) {" \
           " k<<<dim, cnrtFuncTypeUnion1, q>>>(d); }"
    (launch,) = all_of(lang.parse(bang, "bang"), N.Launch)
    assert launch.config[1].sym.name == "cnrtFuncTypeUnion1"


def test_ctor_declarations():
    b = body("void h() { dim3 grid((N + 1) / 2, 3); const dim3 block(TX, TY); }", "cuda")
    assert b[0].init.kind == N.CallKind.CTOR and b[0].init.name == "dim3" and isinstance(b[0].type, Named)
    assert b[1].const and [a.sym.name for a in b[1].init.args] == ["TX", "TY"]


# ------------------------------------------------------------------ types and declarations
def test_pointer_params_scope_const_restrict():
    mod = lang.parse("__global__ void k(const float *__restrict__ a, float *b, const int n) {}\n"
                     "void h(float *p) {}\n__device__ float d(float *q) { return q[0]; }", "cuda")
    a, b, n = mod.func("k").params
    assert a.type == Pointer(Scalar("float32"), Scope.GLOBAL, const=True, restrict=True)
    assert b.type.scope == Scope.GLOBAL and n.const and n.type == Scalar("int32")
    assert mod.func("h").params[0].type.scope == Scope.HOST
    assert mod.func("d").params[0].type.scope == Scope.GLOBAL and mod.func("d").kind == N.FuncKind.DEVICE


def test_dialect_scalar_spellings():
    b = body("__global__ void k() { half h; __half h2; __nv_bfloat16 b; int32_t i; unsigned long long u;"
             " size_t s; }", "cuda")
    assert [d.type.dtype for d in b] == ["float16", "float16", "bfloat16", "int32", "uint64", "size_t"]
    assert b[0].type.spelling == "half"
    b = body("__mlu_global__ void k() { half h; bfloat16_t b; int8_t q; }", "bang")
    assert [d.type.dtype for d in b] == ["float16", "bfloat16", "int8"]


def test_typedef_vector_and_uses():
    mod = lang.parse("typedef float floatx4 __attribute__((ext_vector_type(4)));\n"
                     "__global__ void k() { floatx4 acc = {0.0f, 0.0f, 0.0f, 0.0f}; }", "hip")
    alias = mod.items[0]
    assert alias == N.TypeAlias("floatx4", Vector("float32", 4))
    d = mod.func("k").body[0]
    assert d.type == Vector("float32", 4) and d.type.spelling == "floatx4"
    assert isinstance(d.init, N.InitList) and len(d.init.items) == 4


def test_using_alias_and_namespace():
    mod = lang.parse("using namespace nvcuda;\nusing fp = float;\n", "cuda")
    assert mod.items[0] == N.UsingNamespace("nvcuda") and mod.items[1] == N.TypeAlias("fp", Scalar("float32"))


def test_wmma_fragment_with_macro_shapes():
    src = ("#define WM 16\nusing namespace nvcuda;\n__global__ void k() {"
           " wmma::fragment<wmma::matrix_a, WM, 16, 16, half, wmma::row_major> a;"
           " wmma::fragment<wmma::accumulator, 16, 16, 16, float> c; wmma::fill_fragment(c, 0.0f); }")
    b = body(src, "cuda")
    assert b[0].type == Fragment("matrix_a", 16, 16, 16, "float16", "row_major")
    assert b[1].type == Fragment("accumulator", 16, 16, 16, "float32", None)
    assert b[2].value.kind == N.CallKind.INTRINSIC and b[2].value.name == "wmma::fill_fragment"


def test_decl_vs_alloc_and_multi_declarators():
    b = body("void f() { int a = 1, *p, arr[4][2]; static const float t[2] = {1.0f, 2.0f}; }")
    assert isinstance(b[0], N.Decl) and isinstance(b[1], N.Decl) and isinstance(b[1].type, Pointer)
    assert isinstance(b[2], N.Alloc) and b[2].shape == (N.Const(4), N.Const(2)) and b[2].scope == Scope.LOCAL
    assert b[3].static and b[3].const and isinstance(b[3].init, N.InitList)


def test_module_allocs_c_and_vnni():
    mod = lang.parse("alignas(64) static float a[16], b[8];\nfloat g[4];\nconstexpr int k = 3;\n", "vnni")
    a, b, g, k = mod.items
    assert a.align == 64 and a.static and a.scope == Scope.HOST and b.align == 64 and b.static
    assert g.scope == Scope.HOST and isinstance(k, N.Decl) and k.const


def test_scope_qualifiers_cuda():
    mod = lang.parse("__device__ float gd[4];\n__constant__ float c[2];\n__global__ void k() {"
                     " __shared__ __align__(32) half s[8][4]; __shared__ float t; }", "cuda")
    assert mod.items[0].scope == Scope.GLOBAL and mod.items[1].scope == Scope.CONSTANT
    s, t = mod.func("k").body
    assert s.scope == Scope.SHARED and s.align == 32 and len(s.shape) == 2
    assert isinstance(t, N.Alloc) and t.scope == Scope.SHARED and t.shape == ()


def test_scope_qualifiers_bang():
    mod = lang.parse("__nram__ float n[64];\n__wram__ float w[64];\n__mlu_shared__ float s[64];\n"
                     "__mlu_func__ void d(float *x) {}\n__mlu_entry__ void e() { __nram__ float l[4]; }", "bang")
    scopes = [i.scope for i in mod.items[:3]]
    assert scopes == [Scope.NRAM, Scope.WRAM, Scope.SRAM]
    assert mod.func("d").kind == N.FuncKind.DEVICE and mod.func("e").kind == N.FuncKind.KERNEL
    assert mod.func("e").body[0].scope == Scope.NRAM


def test_keywords_not_rewritten_in_comments_and_strings_and_locs_are_original():
    src = '// __nram__ in a comment\nconst char *s = "__nram__";\n__nram__ float buf[4]; __nram__ float x[2];\n'
    mod = lang.parse(src, "bang", "k.mlu")
    c, s, buf, x = mod.items
    assert c.text == " __nram__ in a comment" and s.init == N.StrLit("__nram__")
    assert (buf.loc.line, buf.loc.col) == (3, 1) and (x.loc.line, x.loc.col) == (3, 24)
    assert buf.loc.file == "k.mlu"


# ------------------------------------------------------------------ statements
def test_assign_store_compound_and_increments():
    b = body("void f(float *a, int i, float4 v, int *p) { i = 2; i += 3; a[i] = 1.0f; a[i] *= 2.0f; v.x = 1.0f;"
             " *p = 3; i++; --i; a[i]++; }", "cuda")
    assert isinstance(b[0], N.Assign) and b[0].op is None and b[1].op == "+"
    assert isinstance(b[2], N.Store) and isinstance(b[2].target, N.Load) and b[3].op == "*"
    assert isinstance(b[4].target, N.Member) and isinstance(b[5].target, N.Deref)
    assert b[6] == N.Assign(b[6].sym, N.Const(1), "+") and b[7].op == "-"
    assert isinstance(b[8], N.Store) and b[8].op == "+" and b[8].value == N.Const(1)


def test_multi_index_load():
    (s,) = body("void f(float a[4][4], float *p) { p[0] = a[1][2]; }".replace("float a[4][4]", "float *a"))
    assert s.value == N.Load(s.value.base, (N.Const(1), N.Const(2)))


@pytest.mark.parametrize("header,stop_is_plus1", [
    ("for (int i = 0; i < n; ++i)", False), ("for (int i = 0; i < n; i++)", False),
    ("for (int i = 0; i <= n; i += 2)", True), ("for (int i = 0; n > i; i = i + 1)", False),
    ("for (size_t i = 0; n >= i; i += 1)", True),
])
def test_canonical_for(header, stop_is_plus1):
    (loop,) = body(f"void f(int n, float *a) {{ {header} a[i] = 0; }}")
    assert isinstance(loop, N.For) and loop.kind == N.LoopKind.SERIAL
    assert isinstance(loop.stop, N.BinOp) == stop_is_plus1
    assert loop.body[0].target.indices[0].sym is loop.var


@pytest.mark.parametrize("header", [
    "for (int i = 0; i < n; i *= 2)", "for (; i < n; ++i)", "for (int i = 0, j = 0; i < n; ++i)",
    "for (float i = 0; i < n; ++i)", "for (int i = n; i > 0; i >>= 1)", "for (int i = 0; i < n;)",
    "for (int i = 0; i < n - i; ++i)",
])
def test_non_canonical_loops_are_cfor(header):
    b = body(f"void f(int n, int i, float *a) {{ {header} a[0] = 0; }}")
    assert isinstance(b[0], N.CFor)


def test_loop_assigning_its_counter_is_cfor():
    (loop,) = body("void f(int n) { for (int i = 0; i < n; ++i) { if (i == 3) i += 2; } }")
    assert isinstance(loop, N.CFor) and isinstance(loop.init[0], N.Decl)


def test_pragma_unroll():
    b = body("__global__ void k(float *a) {\n#pragma unroll\n for (int i = 0; i < 4; ++i) a[i] = 0;\n"
             "#pragma unroll 2\n for (int i = 4; i > 0; i--) a[i] = 0;\n for (int j = 0; j < 2; ++j) a[j] = 1; }",
             "cuda")
    assert b[0].kind == N.LoopKind.UNROLLED and b[0].unroll is None
    assert isinstance(b[1], N.CFor) and b[1].pragma and b[1].unroll == 2
    assert b[2].kind == N.LoopKind.SERIAL


def test_while_do_if_else_break_continue_return():
    b = body("int f(int n) { while (n > 0) { n--; if (n == 3) break; else if (n == 2) continue; else n -= 1; }"
             " do { n++; } while (n < 5); return n; }")
    w, d, r = b
    assert isinstance(w, N.While) and isinstance(d, N.DoWhile) and isinstance(r, N.Return)
    iff = w.body[1]
    assert isinstance(iff.then[0], N.Break) and isinstance(iff.orelse[0], N.If)
    assert isinstance(iff.orelse[0].then[0], N.Continue)


def test_switch_groups_and_fallthrough():
    (sw,) = body("void f(int x, int *a) { switch (x) { case 1: case 2: a[0] = 1; break; case 3: a[0] = 3;"
                 " default: a[0] = 0; } }")
    assert [len(c.values) for c in sw.cases] == [2, 1, 0]
    assert isinstance(sw.cases[0].body[-1], N.Break) and not isinstance(sw.cases[1].body[-1], N.Break)


def test_chained_assignment_splits():
    b = body("void f(float *g, float *u, int r) { g[r] = u[r] = 0.0f; }")
    assert len(b) == 2 and isinstance(b[0], N.Store) and b[1].value == b[0].target


def test_comments_kept_everywhere():
    src = "// top\nvoid f(int a /* param */) {\n  // inside\n  int x = a /* mid */ + 1;  // trailing\n}\n"
    mod = lang.parse(src, "c")
    texts = [c.text for c in all_of(mod, N.Comment)]
    assert sorted(texts) == sorted([" top", " param ", " inside", " mid ", " trailing"])


def test_in_body_define_and_opaque_fallback():
    b = body("void f(int *a) {\n#define T 4\n a[0] = T;\n auto g = [&](int x) { return x; };\n}")
    assert isinstance(b[0], N.Define) and b[1].value.sym is b[0].sym
    assert isinstance(b[2], N.Decl) and isinstance(b[2].init, N.OpaqueExpr)
    b = body("void f(int *a) { for (int x : xs) a[0] = x; goto end; end: ; }")
    assert all(isinstance(s, N.Opaque) for s in b) and "for (int x : xs)" in b[0].text
    assert any(s.name == "xs" for s in b[0].reads)


def test_opaque_declaration_still_declares_its_name():
    b = body("void f(int *a) { volatile int v = 1; a[0] = v; }")
    assert isinstance(b[0], N.Opaque) and b[1].value.sym is b[0].writes[0]


# ------------------------------------------------------------------ module level
def test_module_items():
    src = """// xpiler:launch tasks=4
#include <bang.h>
#include "local.h"
#define N 128  // size
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define STR do { } while (0)
#if N > 64 && defined(FOO)
#error "too big"
#elif N > 8
#pragma message("x")
#else
#undef N
#endif
#ifndef BAR
int bar;
#endif
static_assert(N % 4 == 0, "N must be a multiple of 4");
extern "C" {
void proto(int n);
void impl(int n) { proto(n); }
}
extern "C" __mlu_global__ void k(float *x) { x[0] = MIN(N, 3); }
template <int NV> static inline void t() {}
"""
    mod = lang.parse(src, "bang")
    kinds = [type(i).__name__ for i in mod.items]
    assert kinds == ["Comment", "Include", "Include", "Define", "Comment", "Define", "Define", "PreprocIf",
                     "PreprocIf", "StaticAssert", "Func", "Func", "Func", "Func"]
    assert mod.items[0].text == " xpiler:launch tasks=4"
    assert mod.items[1] == N.Include("bang.h", True) and mod.items[2] == N.Include("local.h", False)
    n, trailing, mn, st = mod.items[3], mod.items[4], mod.items[5], mod.items[6]
    assert n.body == N.Const(128) and n.text == "128" and trailing.text == " size"
    assert trailing.loc.line == n.loc.line
    assert mn.params == ("a", "b") and isinstance(mn.body, N.Select)
    assert st.body is None and st.text == "do { } while (0)"
    pif = mod.items[7]
    assert isinstance(pif.cond, N.BinOp) and first(pif.cond, N.Call).name == "defined"
    assert isinstance(pif.then[0], N.Directive) and pif.then[0].kind == "error"
    assert isinstance(pif.orelse[0], N.PreprocIf) and pif.orelse[0].orelse[0].kind == "undef"
    assert isinstance(mod.items[8].cond, N.UnOp)
    assert mod.items[9].message == "N must be a multiple of 4"
    proto, impl, k, t = mod.items[10:]
    assert proto.is_declaration and proto.extern_c and impl.extern_c and k.extern_c
    assert k.kind == N.FuncKind.KERNEL and first(k.body, N.Call).kind == N.CallKind.MACRO
    assert t.template_params[0].sym.name == "NV" and t.static and t.inline and not t.extern_c
    assert first(impl.body, N.Call).kind == N.CallKind.FUNC


def test_function_qualifiers_cuda():
    mod = lang.parse("__global__ void __launch_bounds__(256, 2) k() {}\n"
                     "__device__ __forceinline__ float d(float x) { return x; }\n"
                     "__host__ __device__ int hd() { return 1; }\n", "cuda")
    k, d, hd = mod.funcs()
    assert k.kind == N.FuncKind.KERNEL and k.launch_bounds == (N.Const(256), N.Const(2))
    assert d.forceinline and d.kind == N.FuncKind.DEVICE and hd.kind == N.FuncKind.DEVICE


def test_define_params_are_local_syms():
    mod = lang.parse("#define F(x) ((x) + 1)\nint x;\n", "c")
    d, x = mod.items
    v = first(d.body, N.Var)
    assert v.sym.name == "x" and v.sym is not x.sym


def test_unknown_module_construct_is_opaque():
    mod = lang.parse("struct S { int a; };\nnamespace ns { int q; }\nvoid f() {}\n", "c")
    assert isinstance(mod.items[0], N.Opaque) and mod.items[0].text == "struct S { int a; };"
    assert isinstance(mod.items[2], N.Func)
    r = opaque_report(mod)
    assert r["opaque_statements"] == 2


def test_stats_counts():
    mod = lang.parse("void f(int n) { for (int i = 0; i < n; ++i) { n += 1; } // c\n}", "c")
    assert count_statements(mod) == 2
    r = opaque_report(mod)
    assert r["statements"] == 2 and r["comments"] == 1 and r["functions"] == 1


# ------------------------------------------------------------------ each dialect's parser module
KERNELS = {
    "c": "void k(const float *x, float *y, int n) { for (int i = 0; i < n; ++i) y[i] = x[i]; }",
    "vnni": "#include <immintrin.h>\nvoid k(const float *x, float *y) { __m512 v = _mm512_loadu_ps(x);"
            " _mm512_storeu_ps(y, v); }",
    "cuda": "__global__ void k(const float *x, float *y) { __shared__ float s[32]; s[threadIdx.x] = x[0];"
            " __syncthreads(); y[0] = s[0]; }",
    "hip": "__global__ void k(const float *x, float *y) { __shared__ float s[64]; s[threadIdx.x] = x[0];"
           " __syncthreads(); y[0] = s[0]; }",
    "bang": "__mlu_global__ void k(float *x, float *y) { __nram__ float b[64];"
            " __memcpy(b, x, 256, GDRAM2NRAM); __bang_add(b, b, b, 64); __memcpy(y, b, 256, NRAM2GDRAM); }",
}


@pytest.mark.parametrize("dialect", sorted(KERNELS))
def test_each_dialect_parser_module(dialect):
    import importlib

    parser = importlib.import_module(f"backends.{dialect}.parser")
    mod = parser.parse(KERNELS[dialect], f"k.{dialect}")
    assert mod.dialect == dialect and mod.path == f"k.{dialect}"
    assert opaque_report(mod)["opaque_statements"] == 0 and opaque_report(mod)["opaque_expressions"] == 0
    (k,) = mod.funcs()
    expect = N.FuncKind.KERNEL if dialect in ("cuda", "hip", "bang") else N.FuncKind.HOST
    assert k.kind == expect
    scope = Scope.GLOBAL if expect == N.FuncKind.KERNEL else Scope.HOST
    assert k.params[1].type.scope == scope
    if dialect in ("cuda", "hip", "bang"):
        alloc = k.body[0]
        assert alloc.scope == (Scope.NRAM if dialect == "bang" else Scope.SHARED)
    if dialect in ("vnni", "bang"):
        assert all(c.kind == N.CallKind.INTRINSIC for c in all_of(k.body, N.Call))


def test_frontend_api_with_explicit_facts():
    from xpiler.frontend import parse
    from xpiler.registry import get_backend

    b = get_backend("bang")
    mod = parse("__mlu_global__ void k() {}", b.language(), b.catalogue(), path="x.mlu")
    assert mod.dialect == "bang" and mod.funcs()[0].kind == N.FuncKind.KERNEL
    mod = parse("__mlu_global__ void k() {}", b.language(), dialect="bang2")
    assert mod.dialect == "bang2"


def test_array_parameters_are_pointers():
    # C adjusts an array parameter to a pointer to its element: `char *argv[]` is `char **argv`
    from xpiler.ir import types as T
    from xpiler.lang import parse

    m = parse("int main(int argc, char *argv[]) { return argc; }\nvoid f(const float x[16]) { }\n", "c")
    argv = m.func("main").params[1].type
    assert isinstance(argv, T.Pointer) and isinstance(argv.pointee, T.Pointer) and argv.pointee.pointee == T.Scalar("char")
    x = m.func("f").params[0].type
    assert isinstance(x, T.Pointer) and x.pointee == T.Scalar("float32") and x.const


def test_calling_conventions_and_lambda_execution_spaces_parse():
    # macros that are empty on Linux sit between a declaration's type and its name; lambdas may carry
    # __host__ / __device__ (nvcc --extended-lambda, HIP by default): both parse, and the functions are found
    src = """#include <cuda_runtime.h>
typedef int status_t;
void CUDART_CB on_done(cudaStream_t s, cudaError_t e, void* data) { *(int*)data = 1; }
status_t MYLIB_API run_all(float* x, int n) {
  auto twice = [] __host__ __device__ (float v) { return 2.0f * v; };
  for (int i = 0; i < n; ++i) x[i] = twice(x[i]);
  return 0;
}
"""
    m = lang.parse(src, "cuda", path="conv.cu")
    assert [f.name for f in m.funcs()] == ["on_done", "run_all"]
    out = lang.emit(m)
    assert "auto twice = [] __host__ __device__ (float v) { return 2.0f * v; };" in out


def test_an_include_guard_around_the_file_does_not_hide_its_functions():
    # cuda-samples' *_kernel.cu files are guarded like headers; a default-value #ifndef stays a conditional
    src = """#ifndef MY_KERNEL_CU_
#define MY_KERNEL_CU_
__global__ void k(float* x) { x[threadIdx.x] = 1.0f; }
#endif
#ifndef N
#define N 4
#endif
"""
    m = lang.parse(src, "cuda", path="guarded.cu")
    assert [f.name for f in m.funcs()] == ["k"]
    assert any(isinstance(i, N.PreprocIf) for i in m.items)


def test_conditionals_inside_a_function_take_the_branch_the_dialects_compiler_takes():
    src = """__global__ void k(unsigned* o, const unsigned* i) {
  int t = threadIdx.x;
#ifdef __HIP_PLATFORM_AMD__
  o[t] = i[t] + 1;
#else
  o[t] = i[t] + 2;
#endif
#if defined(SOMETHING_ELSE)
  o[t] = 0;
#endif
}
"""
    m = lang.parse(src, "hip", path="cond.hip")
    body = m.funcs()[0].body
    assert sum(isinstance(s, N.Store) for s in body) == 1  # the AMD branch, lifted
    assert sum(isinstance(s, N.Opaque) for s in body) == 1  # an unknown macro: kept as it is
    assert "i[t] + 1" in lang.emit(m) and "i[t] + 2" not in lang.emit(m)
