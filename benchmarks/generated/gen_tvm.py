"""Generate the TVM tier of the corpus: CUDA and C kernels the way TVM users get them.

    pip install 'xpiler[bench]'            # apache-tvm, pinned in pyproject.toml
    python3 -m benchmarks.generated.gen_tvm --out /tmp/tvm-all            # every op, every shape, checked
    python3 -m benchmarks.generated.gen_tvm --sample                       # rewrite benchmarks/generated/tvm/
    python3 -m benchmarks.generated.gen_tvm --ops softmax gemm --no-check --out /tmp/x

For every operator (a TE definition, often topi's) and every shape (static sizes, or symbolic sizes from
`te.var`), TVM generates:

- CUDA: the PrimFunc scheduled by TVM's default GPU rules (`tvm.s_tir.dlight`: Matmul, GEMV, Reduction,
  GeneralReduction, Transpose, Fallback), lowered and split by TVM's own pipeline; the kernels are TVM's CUDA
  source as generated (without the NVRTC preamble), and a host function in the run-time-size style is written
  around them from TVM's own host launch calls (`T.call_ffi_kernel(kernel, args..., grid, block)`): it takes
  host pointers and the sizes as `int` parameters, cudaMallocs by the sizes, copies, computes the grid from the
  sizes, launches, copies back and frees.
- C: TVM's C target output for the unscheduled PrimFunc; the packed-API shell (DLTensor unpacking and checks)
  is cut off and the body kept as a plain C function taking pointers and the sizes as `int` parameters;
  TVM's workspace allocations become malloc/free.

Static cases have constant sizes in the kernels; their host wrappers either use the same constants
(`style = "const"`) or take the sizes as parameters (`style = "param"`, the device code hard-codes the extent
while the host copies `n` elements, as real code does). Symbolic cases take the sizes as parameters everywhere.

Every generated file is run on xpiler's executors (`run_kernel`) with the case's arguments and compared with
the numpy reference (benchmarks/generated/refs.py); only passing cases are kept, the others are listed with
the reason. Output is deterministic: the same TVM version gives the same files.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import json
import re
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
TVM_VERSION = "0.27.0.post1"

# ---------------------------------------------------------------------------------------------------------
# Operators: name -> (family, reference, symbols, builder(sizes) -> (inputs, outputs), inits, static shapes,
# symbolic test sizes). Builders receive a dict of sizes (ints or te.var) and use TE/topi.
# ---------------------------------------------------------------------------------------------------------


def _ops():
    from tvm import te, tirx, topi

    def ph(shape, name, dtype="float32"):
        return te.placeholder(shape, name=name, dtype=dtype)

    def ew1(fn):
        def b(s):
            a = ph((s["n"],), "A")
            return [a], [fn(a)]
        return b

    def ew2(fn):
        def b(s):
            a, c = ph((s["n"],), "A"), ph((s["n"],), "B")
            return [a, c], [fn(a, c)]
        return b

    def comp1(fn, name="Out", dtype="float32"):
        return ew1(lambda a: te.compute(a.shape, lambda i: fn(a[i]), name=name))

    def rows(fn):
        def b(s):
            a = ph((s["n"], s["m"]), "A")
            return [a], [fn(a, s)]
        return b

    def gemm(s):
        a, b = ph((s["M"], s["K"]), "A"), ph((s["K"], s["N"]), "B")
        k = te.reduce_axis((0, s["K"]), name="k")
        return [a, b], [te.compute((s["M"], s["N"]), lambda i, j: te.sum(a[i, k] * b[k, j], axis=k), name="C")]

    def bmm(s):
        a, b = ph((s["B"], s["M"], s["K"]), "A"), ph((s["B"], s["K"], s["N"]), "Bm")
        k = te.reduce_axis((0, s["K"]), name="k")
        return [a, b], [te.compute((s["B"], s["M"], s["N"]),
                                   lambda z, i, j: te.sum(a[z, i, k] * b[z, k, j], axis=k), name="C")]

    def gemv(s):
        a, x = ph((s["M"], s["K"]), "A"), ph((s["K"],), "X")
        k = te.reduce_axis((0, s["K"]), name="k")
        return [a, x], [te.compute((s["M"],), lambda i: te.sum(a[i, k] * x[k], axis=k), name="Y")]

    def dense(s):
        a, w = ph((s["M"], s["K"]), "A"), ph((s["N"], s["K"]), "W")
        return [a, w], [topi.nn.dense(a, w)]

    def conv2d(s):
        x, w = ph((1, 4, s["h"], s["w"]), "X"), ph((8, 4, 3, 3), "Wt")
        return [x, w], [topi.nn.conv2d_nchw(x, w, 1, 1, 1)]

    def dwconv(s):
        x, w = ph((1, 8, s["h"], s["w"]), "X"), ph((8, 1, 3, 3), "Wt")
        return [x, w], [topi.nn.depthwise_conv2d_nchw(x, w, 1, 1, 1)]

    def pool(kind, k, st):
        def b(s):
            x = ph((1, 4, s["h"], s["w"]), "X")
            return [x], [topi.nn.pool2d(x, (k, k), (st, st), (1, 1), (0, 0, 0, 0), kind, layout="NCHW")]
        return b

    def scale_bias(s):
        a, bias = ph((s["n"], s["m"]), "A"), ph((s["m"],), "bias")
        return [a, bias], [te.compute(a.shape, lambda i, j: a[i, j] * tirx.const(2.5, "float32") + bias[j],
                                      name="Out")]

    def bias_add(s):
        a, bias = ph((s["n"], s["m"]), "A"), ph((s["m"],), "bias")
        return [a, bias], [topi.add(a, bias)]

    def layernorm(s):
        a, g, b = ph((s["n"], s["m"]), "A"), ph((s["m"],), "gamma"), ph((s["m"],), "beta")
        return [a, g, b], [topi.nn.layer_norm(a, g, b, axis=[1], epsilon=1e-5)]

    def rmsnorm(s):
        a, g = ph((s["n"], s["m"]), "A"), ph((s["m"],), "gamma")
        return [a, g], [topi.nn.rms_norm(a, g, axis=[1], epsilon=1e-5)]

    def where(s):
        c, a, b = ph((s["n"],), "Cond"), ph((s["n"],), "A"), ph((s["n"],), "B")
        return [c, a, b], [te.compute(a.shape, lambda i: te.if_then_else(c[i] > 0.0, a[i], b[i]), name="Out")]

    def cumsum(a, s):
        k = te.reduce_axis((0, s["m"]), name="k")
        return te.compute(a.shape, lambda i, j: te.sum(te.if_then_else(k <= j, a[i, k], 0.0), axis=k),
                          name="Out")

    def row_mean(a, s):
        sm = topi.sum(a, axis=1)
        m = s["m"]
        mf = tirx.const(float(m), "float32") if isinstance(m, int) else m.astype("float32")
        return te.compute(sm.shape, lambda i: sm[i] / mf, name="Mean")

    def concat(s):
        a, b = ph((s["n"], s["m"]), "A"), ph((s["n"], s["m"]), "B")
        return [a, b], [topi.concatenate((a, b), axis=1)]

    def total_sum(s):
        a = ph((s["n"],), "A")
        k = te.reduce_axis((0, s["n"]), name="k")
        return [a], [te.compute((1,), lambda i: te.sum(a[k], axis=k), name="Out")]

    n1 = {"static": [{"n": 1000}, {"n": 4096}], "sym": [{"n": 777}, {"n": 1024}]}
    rw = {"static": [{"n": 16, "m": 100}, {"n": 7, "m": 256}], "sym": [{"n": 13, "m": 77}, {"n": 4, "m": 300}]}
    mm = {"static": [{"M": 32, "N": 48, "K": 40}, {"M": 16, "N": 16, "K": 64}],
          "sym": [{"M": 20, "N": 36, "K": 28}, {"M": 33, "N": 17, "K": 9}]}
    bm = {"static": [{"B": 2, "M": 16, "N": 24, "K": 20}, {"B": 3, "M": 8, "N": 8, "K": 32}],
          "sym": [{"B": 2, "M": 12, "N": 10, "K": 14}, {"B": 1, "M": 17, "N": 9, "K": 5}]}
    mv = {"static": [{"M": 64, "K": 100}, {"M": 37, "K": 256}], "sym": [{"M": 50, "K": 70}, {"M": 9, "K": 300}]}
    hw = {"static": [{"h": 16, "w": 16}, {"h": 12, "w": 10}], "sym": [{"h": 9, "w": 13}, {"h": 16, "w": 8}]}

    E = "elementwise"
    ops = {
        "add": (E, "add", ew2(topi.add), {}, n1),
        "sub": (E, "sub", ew2(topi.subtract), {}, n1),
        "mul": (E, "mul", ew2(topi.multiply), {}, n1),
        "div": (E, "div", ew2(topi.divide), {"B": "positive"}, n1),
        "relu": (E, "relu", ew1(topi.nn.relu), {}, n1),
        "leaky_relu": (E, "leaky_relu", ew1(lambda a: topi.nn.leaky_relu(a, 0.1)), {}, n1),
        "gelu": (E, "gelu", comp1(lambda x: 0.5 * x * (1.0 + te.erf(x * 0.7071067811865476))), {}, n1),
        "sigmoid": (E, "sigmoid", ew1(topi.sigmoid), {}, n1),
        "tanh": (E, "tanh", ew1(topi.tanh), {}, n1),
        "exp": (E, "exp", ew1(topi.exp), {}, n1),
        "silu": (E, "silu", comp1(lambda x: x * te.sigmoid(x)), {}, n1),
        "abs": (E, "abs_", comp1(lambda x: te.max(x, -x)), {}, n1),  # topi.abs: TVM's C target lacks fabs
        "sqrt": (E, "sqrt", ew1(topi.sqrt), {"A": "positive"}, n1),
        "rsqrt": (E, "rsqrt", ew1(topi.rsqrt), {"A": "positive"}, n1),
        "clip": (E, "clip", ew1(lambda a: topi.clip(a, -0.5, 0.5)), {}, n1),
        "sign": (E, "sign", ew1(topi.sign), {"A": "sign"}, n1),
        "sin": (E, "sin", ew1(topi.sin), {}, n1),
        "square": (E, "square", comp1(lambda x: x * x), {}, n1),
        "where": (E, "where", where, {}, n1),
        "cast": (E, "cast_int", ew1(lambda a: topi.cast(a, "int32")), {"A": "wide"}, n1),
        "scale_bias": (E, "scale_bias", scale_bias, {}, rw),
        "bias_add": (E, "bias_add_row", bias_add, {}, rw),
        "softmax": ("normalization", "softmax", rows(lambda a, s: topi.nn.softmax(a, axis=1)), {}, rw),
        "log_softmax": ("normalization", "log_softmax", rows(lambda a, s: topi.nn.log_softmax(a, axis=1)), {}, rw),
        "layernorm": ("normalization", "layernorm", layernorm, {}, rw),
        "rmsnorm": ("normalization", "rmsnorm", rmsnorm, {}, rw),
        "row_sum": ("reduction", "row_sum", rows(lambda a, s: topi.sum(a, axis=1)), {}, rw),
        "row_max": ("reduction", "row_max", rows(lambda a, s: topi.max(a, axis=1)), {}, rw),
        "row_min": ("reduction", "row_min", rows(lambda a, s: topi.min(a, axis=1)), {}, rw),
        "row_mean": ("reduction", "row_mean", rows(row_mean), {}, rw),
        "row_argmax": ("reduction", "row_argmax", rows(lambda a, s: topi.argmax(a, axis=1)), {}, rw),
        "total_sum": ("reduction", "total_sum", total_sum, {}, n1),
        "cumsum": ("reduction", "cumsum", rows(cumsum), {}, rw),
        "transpose": ("layout", "transpose", rows(lambda a, s: topi.transpose(a, (1, 0))), {}, rw),
        "concat": ("layout", "concat", concat, {}, rw),
        "pad": ("layout", "pad", rows(lambda a, s: topi.nn.pad(a, (1, 2), (1, 2))), {}, rw),
        "gemm": ("matrix", "gemm", gemm, {}, mm),
        "bmm": ("matrix", "bmm", bmm, {}, bm),
        "gemv": ("matrix", "gemv", gemv, {}, mv),
        "dense": ("matrix", "dense", dense, {}, mm),
        "conv2d": ("convolution", "conv2d", conv2d, {}, hw),
        "depthwise_conv2d": ("convolution", "depthwise_conv2d", dwconv, {}, hw),
        "avgpool": ("pooling", "avgpool", pool("avg", 2, 2), {}, hw),
        "maxpool": ("pooling", "maxpool", pool("max", 3, 2), {}, hw),
    }
    return ops


# ---------------------------------------------------------------------------------------------------------
# PrimExpr text (TVMScript, Python syntax) -> C expression and a Python-evaluable shape expression
# ---------------------------------------------------------------------------------------------------------

_SAFE = re.compile(r"^[A-Za-z0-9_+\-*/%() ,]*$")


def _script_to_expr(text: str) -> str:
    """A TVMScript integer expression as a size expression (`//` kept); raises on anything else."""
    text = text.strip()
    text = re.sub(r"T\.int(?:32|64)\((-?\d+)\)", r"\1", text)
    text = text.replace("T.min(", "min(").replace("T.max(", "max(")
    if not _SAFE.match(text):
        raise ValueError(f"size expression not supported: {text}")
    return text


def _to_c(expr: str) -> str:
    """Size expression (Python syntax, non-negative operands) -> C."""
    if "min(" in expr or "max(" in expr:
        tree = ast.parse(expr, mode="eval")

        def c(node):
            if isinstance(node, ast.Expression):
                return c(node.body)
            if isinstance(node, ast.Constant):
                return str(node.value)
            if isinstance(node, ast.Name):
                return node.id
            if isinstance(node, ast.BinOp):
                op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.FloorDiv: "/", ast.Mod: "%"}[type(node.op)]
                return f"({c(node.left)} {op} {c(node.right)})"
            if isinstance(node, ast.Call):
                a, b = (c(x) for x in node.args)
                cmp = "<" if node.func.id == "min" else ">"
                return f"(({a}) {cmp} ({b}) ? ({a}) : ({b}))"
            raise ValueError(expr)

        return c(tree)
    return expr.replace("//", "/")


def _shape_strs(shape) -> list[str]:
    return [_script_to_expr(str(d)) for d in shape]


# ---------------------------------------------------------------------------------------------------------
# CUDA
# ---------------------------------------------------------------------------------------------------------

def _schedule_gpu(mod, target):
    from tvm.s_tir import dlight as dl

    with target:
        return dl.ApplyDefaultSchedule(dl.gpu.Matmul(), dl.gpu.GEMV(), dl.gpu.Reduction(),
                                       dl.gpu.GeneralReduction(), dl.gpu.Transpose(), dl.gpu.Fallback())(mod)


def _launches(host_script: str) -> tuple[list[dict], dict[str, str]]:
    """TVM's host-side kernel calls, in order: kernel name, argument texts, launch values by parameter."""
    lets = {}
    for m in re.finditer(r"^\s*(\w+): T\.let\[T\.int(?:32|64)\] = (.+)$", host_script, re.M):
        lets[m.group(1)] = m.group(2)
    out = []
    for line in host_script.splitlines():
        if "T.call_ffi_kernel(" not in line:
            continue
        call = ast.parse(line.strip()).body[0].value
        name = call.args[0].value
        rest = [ast.unparse(a) for a in call.args[1:]]
        kw = {k.arg: k.value for k in call.keywords}
        params = [e.value for e in kw["launch_params"].elts]
        nl = len(params)
        out.append({"kernel": name, "args": rest[:len(rest) - nl], "launch": dict(zip(params, rest[len(rest) - nl:]))})
    return out, lets


def _subst_lets(expr: str, lets: dict[str, str]) -> str:
    for _ in range(5):
        new = re.sub(r"\b(cse_v\d+)\b", lambda m: f"({lets[m.group(1)]})" if m.group(1) in lets else m.group(1), expr)
        if new == expr:
            break
        expr = new
    return expr


_PREAMBLE_DEFS = {"uint": "#define uint unsigned int", "uchar": "#define uchar unsigned char",
                  "ushort": "#define ushort unsigned short"}


def _cuda_kernels(src: str) -> str:
    """TVM's CUDA module source without the NVRTC preamble and forward declarations."""
    i = src.find('extern "C" __global__')
    j = src.find("__device__")
    starts = [k for k in (i, j) if k >= 0]
    body = src[min(starts):] if starts else src
    lines = [ln for ln in body.splitlines() if not re.match(r'^extern "C" __global__ .*\);\s*$', ln)]
    text = "\n".join(lines).strip() + "\n"
    defs = [d for k, d in _PREAMBLE_DEFS.items() if re.search(rf"\b{k}\b", text)]
    return ("\n".join(defs) + "\n\n" if defs else "") + text


def gen_cuda(name: str, inputs, outputs, sizes: dict, style: str, sym_shapes: dict, raw: bool = False) -> tuple[str, str]:
    """(file text, entry name) for the CUDA form of one case."""
    import tvm
    from tvm import te
    from tvm.target import Target

    bm = importlib.import_module("tvm.tirx.build")
    f = te.create_prim_func(list(inputs) + list(outputs)).with_attr("global_symbol", name)
    mod = tvm.IRModule({name: f})
    tgt = Target("cuda")
    pipeline, fin_host, fin_dev = tvm.tirx.get_default_tir_pipeline(tgt)
    try:
        sched = _schedule_gpu(mod, tgt)
        sched = tvm.tirx.transform.BindTarget(tgt.with_host("c"))(sched)
        sched = pipeline(sched)
    except Exception:  # a default rule that does not apply to this shape: TVM's generic fallback rule
        from tvm.s_tir import dlight as dl

        with tgt:
            sched = dl.ApplyDefaultSchedule(dl.gpu.Fallback())(mod)
        sched = tvm.tirx.transform.BindTarget(tgt.with_host("c"))(sched)
        sched = pipeline(sched)
    mod = sched
    host, devs = bm.split_host_device_mods(mod)
    host_script = host.script()
    if re.search(r"T\.(alloc|allocate)\w*\(|TVMBackendAllocWorkspace", host_script):
        raise ValueError("TVM's host code allocates intermediate buffers (not supported by the wrapper writer)")
    launches, lets = _launches(host_script)
    if not launches:
        raise ValueError("no kernel launch in TVM's host code")
    # the device source: codegen of the finalized device module
    dev_mod = list(devs.values())[0]
    dev_mod = fin_dev()(dev_mod)
    rt = bm.codegen_build(dev_mod, list(devs.keys())[0])
    kernels = _cuda_kernels(rt.inspect_source())
    if not raw:
        # the one fix-up: xpiler's CPU executor rejects `__shared__ alignas(64)` (nvcc accepts it); the
        # manifest records it (fixups) and --raw keeps TVM's text
        kernels = re.sub(r"__shared__ alignas\((\d+)\)", r"__shared__ __align__(\1)", kernels)

    bufs = {t.op.name: t for t in list(inputs) + list(outputs)}
    ins = [t.op.name for t in inputs]
    outs = [t.op.name for t in outputs]
    symvars = [k for k, v in sizes.items() if not isinstance(v, int)]
    params = [f"const {str(t.dtype) if str(t.dtype) != 'float32' else 'float'}* {t.op.name}" for t in inputs]
    params += [f"{str(t.dtype) if str(t.dtype) != 'float32' else 'float'}* {t.op.name}" for t in outputs]
    params = [p.replace("int32*", "int*") for p in params]
    cvals = {}
    if style == "param" or symvars:
        names = symvars or [k for k in sizes]
        params += [f"int {k}" for k in names]
    else:
        cvals = {k: str(v) for k, v in sizes.items()}

    def cexpr(e: str) -> str:
        e = _to_c(_script_to_expr(_subst_lets(e, lets)))
        if cvals:
            e = re.sub(r"\b([A-Za-z_]\w*)\b", lambda m: cvals.get(m.group(1), m.group(1)), e)
        return e

    def numel(t):
        dims = [_to_c(d) for d in _shape_strs(t.shape)]
        if style == "param" and not symvars:  # sizes as parameters although the kernel is static
            dims = [_to_c(d) for d in sym_shapes[t.op.name]]
        return " * ".join(f"({d})" for d in dims) or "1"

    lines = []
    for t in list(inputs) + list(outputs):
        ct = "float" if str(t.dtype) == "float32" else "int"
        lines.append(f"  {ct}* d_{t.op.name} = 0;")
    for t in list(inputs) + list(outputs):
        ct = "float" if str(t.dtype) == "float32" else "int"
        lines.append(f"  size_t {t.op.name}_bytes = (size_t)({numel(t)}) * sizeof({ct});")
        lines.append(f"  cudaMalloc((void**)&d_{t.op.name}, {t.op.name}_bytes);")
    for nm in ins:
        lines.append(f"  cudaMemcpy(d_{nm}, {nm}, {nm}_bytes, cudaMemcpyHostToDevice);")
    for k, ln in enumerate(launches):
        args = []
        for a in ln["args"]:
            m = re.match(r"^(\w+?)(?:_\d+)?\.data$", a)
            if m and m.group(1) in bufs:
                args.append(f"d_{m.group(1)}")
            else:
                args.append(cexpr(a))
        g = [cexpr(ln["launch"].get(f"blockIdx.{ax}", "1")) for ax in "xyz"]
        b = [cexpr(ln["launch"].get(f"threadIdx.{ax}", "1")) for ax in "xyz"]
        extra = [p for p in ln["launch"] if not p.startswith(("blockIdx.", "threadIdx."))]
        if extra:
            raise ValueError(f"launch parameters not supported: {extra}")
        lines.append(f"  dim3 grid{k}({', '.join(g)});")
        lines.append(f"  dim3 block{k}({', '.join(b)});")
        lines.append(f"  {ln['kernel']}<<<grid{k}, block{k}>>>({', '.join(args)});")
    for nm in outs:
        lines.append(f"  cudaMemcpy({nm}, d_{nm}, {nm}_bytes, cudaMemcpyDeviceToHost);")
    for t in list(inputs) + list(outputs):
        lines.append(f"  cudaFree(d_{t.op.name});")
    entry = f"{name}_run"
    head = (f"// Generated by TVM {TVM_VERSION} (CUDA, default dlight schedule) for xpiler's generated tier;\n"
            f"// host wrapper written by benchmarks/generated/gen_tvm.py (style: {style}).\n"
            "#include <cuda_runtime.h>\n\n")
    wrapper = f'extern "C" void {entry}({", ".join(params)}) {{\n' + "\n".join(lines) + "\n}\n"
    return head + kernels + "\n" + wrapper, entry


# ---------------------------------------------------------------------------------------------------------
# C
# ---------------------------------------------------------------------------------------------------------

def gen_c(name: str, inputs, outputs, sizes: dict) -> tuple[str, str]:
    import tvm
    from tvm import te

    f = te.create_prim_func(list(inputs) + list(outputs)).with_attr("global_symbol", name)
    rt = tvm.tirx.build(tvm.IRModule({name: f}), target="c")
    src = rt.inspect_source()
    m = re.search(rf"int32_t __tvm_ffi_{re.escape(name)}\(void\* \w+, void\* args, int32_t num_args, void\* result\) \{{\n", src)
    if not m:
        raise ValueError("TVM's C output: packed function not found")
    end = src.find("\n}\n", m.end())
    body = src[m.end():end].splitlines()
    last = -1
    for i, ln in enumerate(body):
        if re.search(r"\(\(DLTensor\*\)\w+_handle\)\[0\]\.data\)\)\);$", ln):
            last = i
    if last < 0:
        raise ValueError("TVM's C output: no data pointer declarations")
    body = body[last + 1:]
    text = "\n".join(body)
    text = re.sub(r"\(\((\w+)\*\)\(\(\w+\*\)TVMBackendAllocWorkspace\(1, dev_id, (.+?), \d+, \d+\)\)\)",
                  r"((\1*)malloc(\2))", text)
    text = re.sub(r"\(\((\w+)\*\)TVMBackendAllocWorkspace\(1, dev_id, (.+?), \d+, \d+\)\)", r"((\1*)malloc(\2))", text)
    text = re.sub(r"if \(TVMBackendFreeWorkspace\(1, dev_id, (\w+)\) != 0\) \{\n\s*return -1;\n\s*\}",
                  r"free(\1);", text)
    text = re.sub(r"return -?\d+;", "return;", text)
    if re.search(r"TVM|DLTensor|__tvm|dev_id", text):
        raise ValueError("TVM's C output: runtime calls left in the body")
    symvars = [k for k, v in sizes.items() if not isinstance(v, int)]
    params = [f"{'float' if str(t.dtype) == 'float32' else 'int32_t'}* {t.op.name}" for t in list(inputs) + list(outputs)]
    params += [f"int32_t {k}" for k in symvars]
    head = (f"// Generated by TVM {TVM_VERSION} (C target) for xpiler's generated tier; the packed-API shell\n"
            "// is replaced by a plain C signature (benchmarks/generated/gen_tvm.py).\n"
            "#include <math.h>\n#include <stdint.h>\n#include <stdlib.h>\n#include <stdbool.h>\n\n")
    # TVM's C target declares helper functions/macros before the packed function; keep what the body uses.
    return head + f"void {name}({', '.join(params)}) {{\n" + text.rstrip() + "\n}\n", name


# ---------------------------------------------------------------------------------------------------------
# cases
# ---------------------------------------------------------------------------------------------------------

def build_cases(op: str, spec, dialects=("cuda", "c"), raw: bool = False) -> list[tuple[dict, str | None, str | None]]:
    """[(manifest entry, file text or None, reason if generation failed)] for every shape of one op."""
    from tvm import te

    family, ref, builder, inits, shapes = spec
    symbols = list(shapes["static"][0])
    out = []
    variants = []
    for k, sz in enumerate(shapes["static"]):
        variants.append((f"{op}_s{k}", dict(sz), "const" if k == 0 else "param", [dict(sz)]))
    variants.append((f"{op}_sym", {s: te.var(s) for s in symbols}, "param", [dict(t) for t in shapes["sym"]]))
    for name, sizes, style, tests in variants:
        symbolic = any(not isinstance(v, int) for v in sizes.values())
        try:
            # the symbolic shapes (strings) come from a symbolic build, used for the arg spec of every variant
            sym_in, sym_out = builder({s: te.var(s) for s in symbols})
            inputs, outputs = builder(sizes)
        except Exception as e:
            for d in dialects:
                out.append(({"id": f"{name}_{d}", "op": op}, None, f"TE definition failed: {e}"))
            continue
        sym_shapes = {t.op.name: _shape_strs(st.shape) for t, st in zip(list(inputs) + list(outputs),
                                                                          list(sym_in) + list(sym_out))}
        args = []
        for t, st in zip(list(inputs) + list(outputs), list(sym_in) + list(sym_out)):
            a = {"name": t.op.name, "dtype": str(t.dtype), "shape": _shape_strs(st.shape),
                 "intent": "in" if t in inputs else "out"}
            if t in inputs:
                a["init"] = inits.get(t.op.name, "normal")
            args.append(a)
        for d in dialects:
            scalars = []
            if symbolic or (d == "cuda" and style == "param"):
                scalars = [{"name": s, "dtype": "int32", "intent": "scalar", "value": s} for s in symbols]
            case = {"id": f"{name}_{d}", "op": op, "family": family, "dialect": d, "reference": ref,
                    "symbolic": symbolic, "style": style if d == "cuda" else ("param" if symbolic else "const"),
                    "symbols": symbols, "tests": tests, "args": args + scalars, "launch": None,
                    "tolerance": {"rtol": 1e-4, "atol": 1e-4}}
            case["file"] = f"{name}.{'cu' if d == 'cuda' else 'c'}"
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    if d == "cuda":
                        text, entry = gen_cuda(name, inputs, outputs, sizes, style, sym_shapes, raw)
                        if "__shared__ __align__(" in text and not raw:
                            case["fixups"] = ["__shared__ alignas(N) -> __shared__ __align__(N) (the CPU "
                                              "executor rejects alignas after __shared__)"]
                    else:
                        text, entry = gen_c(name, inputs, outputs, sizes)
                case["entry"] = entry
                out.append((case, text, None))
            except Exception as e:
                out.append((case, None, f"generation failed: {type(e).__name__}: {str(e).splitlines()[0][:300]}"))
    return out


def _check(item):
    case, text = item
    from benchmarks.generated.tier import check_source

    t0 = time.time()
    try:
        why = check_source(case, text)
    except Exception as e:  # a reference or harness error: the case is dropped with it
        why = f"check failed: {type(e).__name__}: {e}"
    return case["id"], why, time.time() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=None, help="folder for the generated files and manifest.json")
    ap.add_argument("--sample", action="store_true", help="write the committed sample (benchmarks/generated/tvm)")
    ap.add_argument("--ops", nargs="+")
    ap.add_argument("--dialects", nargs="+", default=["cuda", "c"])
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--raw", action="store_true", help="no fix-ups of TVM's CUDA text")
    ns = ap.parse_args(argv)
    import tvm

    if tvm.__version__ != TVM_VERSION:
        print(f"warning: TVM {tvm.__version__}, the sample was made with {TVM_VERSION}", file=sys.stderr)
    ops = _ops()
    if ns.ops:
        ops = {k: v for k, v in ops.items() if k in ns.ops}
    out_dir = Path(ns.out) if ns.out else (HERE / "tvm" if ns.sample else Path("bench-results/tvm-all"))
    generated, dropped = [], []
    for op, spec in ops.items():
        for case, text, why in build_cases(op, spec, ns.dialects, ns.raw):
            if why:
                dropped.append({"id": case["id"], "op": op, "stage": "generate", "reason": why})
            else:
                generated.append((case, text))
    print(f"generated {len(generated)} files over {len({c['op'] for c, _ in generated})} ops; "
          f"{len(dropped)} not generated", file=sys.stderr)
    if ns.sample:  # check only what goes into the sample
        generated = [(c, t) for c, t in generated if _in_sample(c, t)]
    kept = []
    if ns.no_check:
        kept = generated
    else:
        byid = {c["id"]: (c, t) for c, t in generated}
        with ProcessPoolExecutor(max_workers=ns.jobs) as pool:
            for cid, why, secs in pool.map(_check, generated, chunksize=1):
                if why:
                    dropped.append({"id": cid, "op": byid[cid][0]["op"], "stage": "check", "reason": why})
                    print(f"DROP {cid}: {why.splitlines()[0][:200]}", file=sys.stderr, flush=True)
                else:
                    kept.append(byid[cid])
    from benchmarks.generated.tier import sha256

    out_dir.mkdir(parents=True, exist_ok=True)
    for old in list(out_dir.glob("*.cu")) + list(out_dir.glob("*.c")):
        old.unlink()
    cases = []
    if not ns.sample:  # the failures too, for inspection
        drop_dir = out_dir / "dropped"
        drop_dir.mkdir(exist_ok=True)
        bad = {d["id"] for d in dropped}
        for case, text in generated:
            if case["id"] in bad:
                (drop_dir / case["file"]).write_text(text)
    for case, text in sorted(kept, key=lambda x: x[0]["id"]):
        (out_dir / case["file"]).write_text(text)
        cases.append({**case, "sha256": sha256(text)})
    manifest = {"generator": "benchmarks/generated/gen_tvm.py", "tvm": TVM_VERSION, "cases": cases,
                "dropped": sorted(dropped, key=lambda d: d["id"])}
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    print(f"kept {len(cases)} (of {len(generated)} generated); dropped {len(dropped)}; written to {out_dir}",
          file=sys.stderr)
    for d in sorted(dropped, key=lambda d: d["id"]):
        print(f"  dropped {d['id']} [{d['stage']}]: {d['reason'].splitlines()[0][:160]}", file=sys.stderr)
    return 0


# the committed sample: every op's symbolic case in both dialects, plus the first static case in CUDA for a
# quarter of the ops (hard-coded kernels with sizes-as-parameters hosts) -- small files, under 1 MB in all
SAMPLE_STATIC = {"add", "relu", "softmax", "layernorm", "row_sum", "gemm", "transpose", "conv2d", "maxpool",
                 "cumsum", "gelu", "bmm"}


def _in_sample(case: dict, text: str) -> bool:
    if case["symbolic"]:
        return True
    return case["op"] in SAMPLE_STATIC and case["id"].endswith(("_s1_cuda", "_s0_c")) and len(text) < 20000


if __name__ == "__main__":
    sys.exit(main())
