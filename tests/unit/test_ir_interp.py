"""The reference interpreter follows C: truncating division, wrapping integers, float32 staying float32."""

import numpy as np
import pytest

from xpiler.ir import interp
from xpiler.ir.nodes import (
    AddrOf,
    Alloc,
    Assign,
    Barrier,
    BarrierScope,
    BinOp,
    Block,
    Break,
    Builtin,
    Call,
    CallKind,
    Case,
    Cast,
    CFor,
    Const,
    Continue,
    Decl,
    Define,
    Deref,
    Evaluate,
    For,
    If,
    InitList,
    Launch,
    Load,
    Return,
    Select,
    Store,
    Switch,
    Sym,
    UnOp,
    Var,
    While,
)
from xpiler.ir.types import FLOAT32, INT32, Pointer, Scalar, Scope


def ev(e, env=None):
    return interp.eval_expr(e, env or {})


def C(v, d="int32"):
    return Const(v, d)


@pytest.mark.parametrize("a,b,q,r", [(7, 2, 3, 1), (-7, 2, -3, -1), (7, -2, -3, 1), (-7, -2, 3, -1)])
def test_division_truncates_toward_zero(a, b, q, r):
    assert ev(BinOp("/", C(a), C(b))) == q
    assert ev(BinOp("%", C(a), C(b))) == r


def test_integer_overflow_wraps_to_width():
    assert ev(BinOp("*", C(2**30), C(4))) == 0
    assert ev(BinOp("+", C(2**31 - 1), C(1))) == -(2**31)
    v = ev(BinOp("-", C(0, "uint32"), C(1, "uint32")))
    assert v == 2**32 - 1 and v.dtype == np.uint32
    assert ev(BinOp("+", C(2**31 - 1, "int64"), C(1))) == 2**31  # int64 wins


def test_usual_arithmetic_conversions():
    assert ev(BinOp("<", C(-1), C(1, "uint32"))) == 0  # -1 converts to UINT_MAX
    assert ev(BinOp("<", C(-1), C(1, "int64"))) == 1
    assert ev(BinOp("+", C(100, "int8"), C(100, "int8"))) == 200  # promoted to int
    assert ev(BinOp("/", C(7), C(2.0, "float32"))).dtype == np.float32
    assert ev(BinOp("*", C(0.1, "float32"), C(3.0, "float64"))).dtype == np.float64


def test_float32_stays_float32():
    x = ev(BinOp("+", C(16777216.0, "float32"), C(1.0, "float32")))
    assert x.dtype == np.float32 and x == np.float32(16777216.0)


def test_casts():
    assert ev(Cast(INT32, C(-2.7, "float32"))) == -2
    assert ev(Cast(Scalar("uint8"), C(300))) == 44
    assert ev(Cast(Scalar("int8"), C(200))) == -56
    assert ev(Cast(Scalar("bool"), C(0.5, "float32"))) == True
    assert ev(Cast(FLOAT32, C(16777217))) == np.float32(16777216.0)


def test_shift_and_bitwise():
    assert ev(BinOp("<<", C(1), C(31))) == -(2**31)
    assert ev(BinOp(">>", C(-8), C(1))) == -4
    assert ev(BinOp("&", C(6), C(3))) == 2 and ev(UnOp("~", C(0))) == -1
    assert ev(UnOp("!", C(5))) == 0 and ev(UnOp("-", C(3, "uint32"))) == 2**32 - 3


def test_logical_short_circuit():
    a = Sym("a")
    oob = BinOp(">", Load(Var(a), (C(10),)), C(0.0, "float32"))
    assert ev(BinOp("&&", C(0), oob), {a: np.zeros(2, np.float32)}) == 0
    assert ev(BinOp("||", C(1), oob), {a: np.zeros(2, np.float32)}) == 1


def test_select_takes_common_type_and_evaluates_one_arm():
    a = Sym("a")
    v = ev(Select(C(1), C(7), C(2.0, "float32")))
    assert v == 7 and v.dtype == np.float32
    assert ev(Select(C(0), Load(Var(a), (C(99),)), C(3)), {a: np.zeros(2, np.int32)}) == 3


@pytest.mark.parametrize("name,args,want", [
    ("expf", (1.0,), np.exp(np.float32(1.0))), ("fmaxf", (1.0, float("nan")), 1.0), ("fminf", (-1.0, 2.0), -1.0),
    ("sqrtf", (2.0,), np.sqrt(np.float32(2.0))), ("fabsf", (-3.5,), 3.5), ("tanhf", (0.5,), np.tanh(np.float32(0.5))),
    ("roundf", (2.5,), 3.0), ("roundf", (-2.5,), -3.0), ("__expf", (0.0,), 1.0), ("rsqrtf", (4.0,), 0.5),
])
def test_math_calls_in_float32(name, args, want):
    v = ev(Call(name, tuple(C(a, "float32") for a in args), CallKind.MATH))
    assert v.dtype == np.float32 and v == np.float32(want)


def test_math_max_min_on_ints():
    v = ev(Call("max", (C(-3), C(2)), CallKind.MATH))
    assert v == 2 and v.dtype == np.int32
    assert ev(Call("min", (C(-3), C(2.0, "float32")), CallKind.MATH)) == -3.0


def test_loop_with_shaped_and_flat_arrays():
    i, j, a, b = Sym("i"), Sym("j"), Sym("a"), Sym("b")
    A = np.arange(6, dtype=np.float32).reshape(2, 3)
    B = np.zeros(6, np.float32)
    body = Store(Load(Var(b), (BinOp("+", BinOp("*", Var(i), C(3)), Var(j)),)),
                 BinOp("*", Load(Var(a), (Var(i), Var(j))), C(2.0, "float32")))
    interp.run((For(i, C(0), C(2), C(1), (For(j, C(0), C(3), C(1), (body,)),)),), {a: A, b: B})
    np.testing.assert_array_equal(B, A.reshape(-1) * 2)


def test_out_of_bounds_names_the_buffer():
    i, y = Sym("i"), Sym("yout")
    with pytest.raises(IndexError, match="yout"):
        interp.run(For(i, C(0), C(4), C(1), (Store(Load(Var(y), (Var(i),)), C(1.0, "float32")),)),
                   {y: np.zeros(3, np.float32)})
    with pytest.raises(IndexError, match="yout"):
        interp.run(Store(Load(Var(y), (C(-1),)), C(1.0, "float32")), {y: np.zeros(3, np.float32)})


def test_decl_alloc_accumulate_and_locals_visible():
    i, acc, buf, x = Sym("i"), Sym("acc"), Sym("buf"), Sym("x")
    X = np.array([1, 2, 3, 4], np.float32)
    env = {x: X}
    interp.run((
        Decl(acc, FLOAT32, C(0.0, "float32")),
        Alloc(buf, FLOAT32, (C(2), C(2)), Scope.LOCAL, init=InitList((C(5.0, "float32"),))),
        For(i, C(0), C(4), C(1), (Assign(acc, Load(Var(x), (Var(i),)), "+"),)),
        Store(Load(Var(buf), (C(1), C(1))), Var(acc)),
    ), env)
    assert env[acc] == 10.0 and env[acc].dtype == np.float32
    np.testing.assert_array_equal(env[buf], [[5, 0], [0, 10]])


def test_assign_converts_to_declared_type():
    k = Sym("k")
    env = {}
    interp.run((Decl(k, INT32, C(0)), Assign(k, C(3.9, "float32"))), env)
    assert env[k] == 3 and env[k].dtype == np.int32


def test_control_flow_break_continue_return_while_switch():
    i, s = Sym("i"), Sym("s")
    env = {}
    r = interp.run((
        Decl(s, INT32, C(0)),
        For(i, C(0), C(10), C(1), (
            If(BinOp("==", BinOp("%", Var(i), C(2)), C(1)), (Continue(),)),
            If(BinOp(">=", Var(i), C(7)), (Break(),)),
            Assign(s, Var(i), "+"),
        )),
        While(BinOp("<", Var(s), C(20)), (Assign(s, C(5), "+"),)),
        Switch(Var(s), (Case((C(22),), (Assign(s, C(1), "+"),)), Case((), (Assign(s, C(100), "+"), Break())))),
        Return(Var(s)),
    ), env)
    assert r == 0 + 2 + 4 + 6 + 5 + 5 + 1 + 100  # 12 -> 22 -> case 22 falls through to default


def test_cfor_and_block():
    i, s = Sym("i"), Sym("s")
    env = {s: np.int32(0)}
    interp.run(CFor((Decl(i, INT32, C(10)),), BinOp(">", Var(i), C(0)), (Assign(i, C(3), "-"),),
                    (Block((Assign(s, C(1), "+"),)),)), env)
    assert env[s] == 4


def test_pointers():
    p, a = Sym("p"), Sym("a")
    A = np.arange(8, dtype=np.float32)
    env = {a: A}
    interp.run((Decl(p, Pointer(FLOAT32), BinOp("+", Var(a), C(4))),
                Store(Load(Var(p), (C(1),)), C(-1.0, "float32")),
                Store(Deref(AddrOf(Load(Var(a), (C(0),)))), C(9.0, "float32"))), env)
    assert A[5] == -1.0 and A[0] == 9.0
    with pytest.raises(IndexError):
        interp.run(Store(Load(Var(p), (C(4),)), C(0.0, "float32")), env)


def test_macros_from_defines_and_env():
    n, x = Sym("N"), Sym("x")
    d_n = Define(n, None, C(4), "4")
    mx = Define(Sym("MAX"), ("a", "b"), Select(BinOp(">", Var(Sym("a")), Var(Sym("b"))), Var(Sym("a")),
                                              Var(Sym("b"))), "((a) > (b) ? (a) : (b))")
    defines = {"N": d_n, "MAX": mx}
    assert interp.eval_expr(BinOp("*", Var(n), C(2)), {}, defines) == 8
    assert interp.eval_expr(Var(n), {n: 7}) == 7
    assert interp.eval_expr(Call("MAX", (Var(x), C(3)), CallKind.MACRO), {x: 5}, defines) == 5


def test_builtins_by_name():
    assert interp.eval_expr(BinOp("+", Builtin("threadIdx.x"), C(1)), {"threadIdx.x": 3}) == 4


def test_run_func_converts_params():
    from xpiler.ir.nodes import Func, Param
    n, x, i = Sym("n"), Sym("x"), Sym("i")
    f = Func("f", (Param(x, Pointer(FLOAT32)), Param(n, INT32)), Scalar("void"),
             (For(i, C(0), Var(n), C(1), (Store(Load(Var(x), (Var(i),)), Var(i)),)),))
    X = np.zeros(3, np.float32)
    interp.run_func(f, [X, 3])
    np.testing.assert_array_equal(X, [0, 1, 2])


@pytest.mark.parametrize("stmt,kind", [
    (Barrier(BarrierScope.BLOCK), "Barrier"), (Launch("k", (), ()), "Launch"),
    (Evaluate(Call("__bang_add", (), CallKind.INTRINSIC)), "intrinsic"),
])
def test_unsupported_nodes_are_named(stmt, kind):
    with pytest.raises(NotImplementedError, match=kind):
        interp.run((stmt,), {})


def test_reinterpreting_pointer_cast_writes_the_same_bytes():
    a = Sym("a")
    A = np.zeros(4, np.float32)
    interp.run(Store(Load(Cast(Pointer(Scalar("uint32")), AddrOf(Load(Var(a), (C(1),)))), (C(1),)),
                     C(0x3F800000, "uint32")), {a: A})
    assert A[2] == 1.0
