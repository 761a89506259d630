"""loop_bind for CUDA / HIP: a band of independent loops becomes `blockIdx.x * blockDim.x + threadIdx.x`.

Constant trip count T: block = min(knob `block`, T rounded up to the warp (32) / wave (64)), grid =
ceil(T / block); the band's variables are decoded from the flat thread index (row-major, innermost fastest)
under a guard `if (flat < T)` that is left out when grid * block == T. Trip count not known at compile
time: a grid-stride loop `for (flat = tid; flat < T; flat += gridDim.x * blockDim.x)` with grid = knob
`grid`. The launch (host `<<<grid, block>>>` or the bare kernel's launch text) is updated by loop_bind.
"""

from __future__ import annotations

import z3

from xpiler.analysis.symbolic import normalize
from xpiler.ir import nodes as N
from xpiler.ir.types import Scalar
from xpiler.ir.visit import substitute, walk

from . import _bind_common as C

WARP = {"cuda": 32, "hip": 64}


def _bx(name: str) -> N.Builtin:
    return N.Builtin(name)


def _runtime_total(band: C.Band) -> N.Expr | None:
    """The band's trip count when it is an expression of the kernel's integer parameters only (the launch
    site can then compute the grid from the arguments it passes)."""
    params = {p.sym for p in band.func.params if isinstance(p.type, Scalar) and p.type.dtype.startswith(("int", "uint"))}
    total = _over_params(band.total(), band.func, params, band.facts.defines)
    free = {n.sym for n in walk(total) if isinstance(n, N.Var)}
    if not free or not free <= params or any(isinstance(n, (N.Load, N.Call)) for n in walk(total)):
        return None
    return normalize(total) or total


def _plainest(e: N.Expr) -> N.Expr:
    """`e` or its polynomial normal form, whichever has fewer nodes (a product of sizes with divisions
    expands into many terms; `(n - 1) + 1 + 255` shrinks)."""
    n = normalize(e)
    if n is None:
        return e
    return n if sum(1 for _ in walk(n)) < sum(1 for _ in walk(e)) else e


def _size_local_env(func: N.Func, defines: dict) -> dict:
    """Z3 terms of the kernel's size locals (see `_over_params`), by symbol."""
    params = _int_params(func)
    out: dict = {}
    for st in func.body:
        e = _over_params(N.Var(st.sym), func, params, defines) if isinstance(st, N.Decl) else None
        if e is not None and not isinstance(e, N.Var):
            try:
                out[st.sym] = C.ir_z3(e, {}, defines)
            except Exception:  # noqa: BLE001 - a definition Z3 cannot model stays a free symbol
                continue
    return out


def _int_params(func: N.Func) -> set:
    return {p.sym for p in func.params if isinstance(p.type, Scalar) and p.type.dtype.startswith(("int", "uint"))}


def _over_params(e: N.Expr, func: N.Func, params: set, defines: dict | None = None) -> N.Expr:
    """`e` with the kernel's size locals (top-level `int output_H = (H - K) / S + 1;`, never assigned, pure
    over the parameters and earlier such locals) replaced by their definitions, and the macros that read
    the kernel's names (`#define OH ((H - K) / S + 1)`) expanded, so a launch can compute it."""
    if defines:
        e = _expand_scoped(e, func, defines)
    assigned = {n.sym for n in walk(func) if isinstance(n, N.Assign)}
    defs: dict = {}
    for st in func.body:
        if (isinstance(st, N.Decl) and st.init is not None and isinstance(st.type, Scalar) and st.sym not in assigned
                and not any(isinstance(n, (N.Load, N.Call, N.Deref)) for n in walk(st.init))
                and {n.sym for n in walk(st.init) if isinstance(n, N.Var)} <= params | set(defs)):
            defs[st.sym] = substitute(st.init, defs)
    return substitute(e, defs) if defs else e


def _expand_scoped(e: N.Expr, func: N.Func, defines: dict) -> N.Expr:
    """`e` with each object-like macro whose expansion reads the function's own names expanded, those names
    bound to the function's symbols (constant macros such as a block size stay as written)."""
    from xpiler.ir.z3expr import expand_macros

    scope = {p.sym.name: p.sym for p in func.params}
    for n in walk(func):
        if isinstance(n, N.Decl):
            scope.setdefault(n.sym.name, n.sym)
    by_sym = {d.sym: d for d in defines.values()}

    def reads_scope(d, depth=0) -> bool:
        if d is None or d.body is None or d.params is not None or depth > 16:
            return False
        for m in walk(d.body):
            if isinstance(m, N.Var):
                inner = by_sym.get(m.sym) or defines.get(m.sym.name)
                if inner is not None and inner is not d:
                    if reads_scope(inner, depth + 1):
                        return True
                elif m.sym.name in scope:
                    return True
        return False

    scoped = {k: d for k, d in defines.items() if reads_scope(d)}
    if not scoped or not any(isinstance(n, N.Var) and (n.sym in by_sym and by_sym[n.sym].name in scoped)
                             for n in walk(e)):
        return e
    return expand_macros(e, scoped, scope)


def _grid_count(total: N.Expr) -> N.Expr:
    """The thread count a grid is sized by: the trip count without its `t > 0 ? t : 0` clamps (extra
    threads fail the kernel's guard, which keeps them; a non-positive count launches no block)."""
    if isinstance(total, N.BinOp) and total.op == "*":
        return N.BinOp("*", _grid_count(total.a), _grid_count(total.b))
    return C.unclamped(total)


def bind(band: C.Band, ctx, dialect: str, host_grid: bool = False) -> tuple[N.Func, dict, callable, dict]:
    """(new kernel, launch parameters {grid, block}, model factory for the obligations, z3 env).

    `host_grid`: every launch of the kernel is in host code, which can compute a grid from the arguments;
    a trip count over the kernel's integer parameters then gets one thread per iteration, grid
    `(T + block - 1) / block` as an expression of those parameters (launch["grid"] is IR then)."""
    warp = WARP.get(dialect, 32)
    block_knob = int(ctx.knob("loop_bind", "block", 256))
    if block_knob % warp or not 0 < block_knob <= 1024:
        block_knob = 256
    grid_knob = int(ctx.knob("loop_bind", "grid", 128))
    total, tc = band.total(), band.total_const()
    defines = band.facts.defines
    flat = N.Sym(C.fresh_name("_".join(f.var.name for f in band.loops) + "_flat", band.func))
    tid = N.BinOp("+", N.BinOp("*", _bx("blockIdx.x"), _bx("blockDim.x")), _bx("threadIdx.x"))
    decls = C.decode(band, N.Var(flat))
    body = tuple(decls) + band.inner_body()
    if tc is not None and tc > 0:
        block = min(block_knob, -(-tc // warp) * warp)
        grid = -(-tc // block)
        exact = grid * block == tc
        first = N.Decl(flat, C.INT, tid, const=True)
        inner = body if exact else (N.If(N.BinOp("<", N.Var(flat), total), body),)
        stmt = N.Block((first,) + inner)
        guard = None if exact else N.BinOp("<", N.Var(flat), total)

        def model():
            b, t = z3.FreshInt("blockIdx"), z3.FreshInt("threadIdx")
            env = {"blockIdx.x": b, "threadIdx.x": t, "blockDim.x": z3.IntVal(block), "gridDim.x": z3.IntVal(grid)}
            env[flat] = C.ir_z3(tid, env, defines)
            active = z3.BoolVal(True) if guard is None else C.ir_z3(guard, env, defines) != 0
            return C.BindingModel([b, t], [b >= 0, b < grid, t >= 0, t < block], active,
                                  _decoded(decls, env, defines),
                                  lambda r: [r / block, r % block])
    elif host_grid and (rt := _runtime_total(band)) is not None:
        block = block_knob
        span = N.BinOp("+", _grid_count(_over_params(band.total(), band.func, _int_params(band.func))),
                       N.Const(block - 1))
        grid_ir = N.BinOp("/", _plainest(span), N.Const(block))
        first = N.Decl(flat, C.INT, tid, const=True)
        one = len(band.loops) == 1  # flat >= 0, so one unclamped count guards the same
        guard = N.BinOp("<", N.Var(flat), C.unclamped(band.total()) if one else band.total())
        stmt = N.Block((first, N.If(guard, body)))
        grid = grid_ir
        sizes = _size_local_env(band.func, defines)  # the grid restates the kernel's size locals

        def model():
            b, t = z3.FreshInt("blockIdx"), z3.FreshInt("threadIdx")
            gz = C.ir_z3(grid_ir, {}, defines)
            env = {"blockIdx.x": b, "threadIdx.x": t, "blockDim.x": z3.IntVal(block), "gridDim.x": gz, **sizes}
            env[flat] = C.ir_z3(tid, env, defines)
            active = C.ir_z3(guard, env, defines) != 0
            total_z = C.ir_z3(band.total(), env, defines)
            return C.BindingModel([b, t], [b >= 0, b < gz, t >= 0, t < block], active,
                                  _decoded(decls, env, defines),
                                  lambda r: [r / block, r % block], canonical=(env[flat], total_z, gz * block))
    else:
        block, grid = block_knob, grid_knob
        stride = N.BinOp("*", _bx("gridDim.x"), _bx("blockDim.x"))
        stmt = N.Block((N.For(flat, tid, total, stride, body, var_type=C.INT),))

        def model():
            b, t, k = z3.FreshInt("blockIdx"), z3.FreshInt("threadIdx"), z3.FreshInt("iter")
            env = {"blockIdx.x": b, "threadIdx.x": t, "blockDim.x": z3.IntVal(block), "gridDim.x": z3.IntVal(grid)}
            env[flat] = C.ir_z3(tid, env, defines) + k * C.ir_z3(stride, env, defines)
            active = env[flat] < C.ir_z3(total, env, defines)
            n = grid * block
            return C.BindingModel([b, t, k], [b >= 0, b < grid, t >= 0, t < block, k >= 0], active,
                                  _decoded(decls, env, defines),
                                  lambda r: [(r % n) / block, (r % n) % block, r / n])
    return C.replace_band(band, stmt), {"grid": grid, "block": block}, model, (
        sizes if isinstance(grid, N.Expr) else {})


def _decoded(decls, env, defines) -> list:
    out = []
    for d in decls:
        env[d.sym] = C.ir_z3(d.init, env, defines)
        out.append(env[d.sym])
    return out
