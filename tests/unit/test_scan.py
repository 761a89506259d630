from xpiler.exec.launch_syntax import rewrite_launches
from xpiler.exec.scan import find_functions

SRC = '''#define N 4
// void commented(int x) { }
__device__ float f(float x) { return x; }
__global__ void __launch_bounds__(256) k(const float* __restrict__ a, float* b) { if (1) { } }
extern "C" void host(float* a, float* b) { k<<<dim3(1, 2), 32>>>(a, b); /* k<<<1,1>>>(a) */ }
extern "C" { void h2(int x) { } }
namespace ns { static int g() { return 1; } }
struct S { int a; };
'''


def test_functions_and_qualifiers():
    fns = {f.name: f for f in find_functions(SRC)}
    assert list(fns) == ["f", "k", "host", "h2", "g"]
    assert "__global__" in fns["k"].qualifiers
    assert fns["host"].extern_c and fns["h2"].extern_c and not fns["k"].extern_c
    assert fns["g"].static
    assert fns["k"].line == 4
    assert fns["k"].params == "const float* __restrict__ a, float* b"


def test_launch_rewrite_keeps_lines_and_comments():
    out = rewrite_launches(SRC)
    assert "xp_launch(k, dim3(1, 2), 32)(a, b);" in out
    assert "/* k<<<1,1>>>(a) */" in out
    assert out.count("\n") == SRC.count("\n")


def test_launch_rewrite_template_kernel():
    assert rewrite_launches("k<float, 4><<<g, b, 0, s>>>(x);") == "xp_launch(k<float, 4>, g, b, 0, s)(x);"


def test_braces_in_strings_and_offsets():
    src = 'extern "C" void f(char* s) { const char* t = "}{"; s[0] = t[0]; }\nvoid g() { }\n'
    fns = find_functions(src)
    assert [f.name for f in fns] == ["f", "g"]
    f = fns[0]
    assert src[f.start : f.start + 10] == 'extern "C"' and src[f.name_pos] == "f"
    assert src[f.body_open] == "{" and src[f.body_close] == "}" and src[f.body_close + 1] == "\n"


def test_call_statement_is_not_a_definition():
    assert find_functions("x = f(a) { }\n") == []
