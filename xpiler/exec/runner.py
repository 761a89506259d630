"""Run one kernel of any dialect on this CPU: `run_kernel(source, dialect, args=...)`.

The source is compiled natively together with its dialect's runtime (see xp_rt.h for the contract), the
compiled program reports its entry's parameter signature, the arguments are checked against it and passed
through a file, and the program runs in a subprocess with time and memory limits. Faults are raised as
`RuntimeFault` with the runtime's message; compile failures as `CompileError`; wrong arguments as `BadInput`.
"""

from __future__ import annotations

import os
import re
import struct
import tempfile
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from xpiler import dtypes
from xpiler.errors import BadInput, CompileError, RuntimeFault
from xpiler.exec.build import build_executable
from xpiler.exec.entry import candidates_from_text, choose_entry
from xpiler.exec.launch_syntax import rewrite_launches
from xpiler.exec.sandbox import run_limited
from xpiler.exec.scan import (SYSTEM_INCLUDE_DIRS, FunctionInfo, drop_missing_includes, find_functions,
                               local_includes)
from xpiler.launch import find_launch_line, parse_launch
from xpiler.registry import get_backend

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MEMORY_MB = 4096
_FAULT = re.compile(r"^xpiler-fault: ([\w-]+): (.*)$", re.M)
_WARN = re.compile(r"^xpiler-warning: ([\w-]+): (.*)$", re.M)


@dataclass
class Param:
    pointer: bool
    code: int
    const: bool = False

    @property
    def dtype_name(self) -> str:
        return dtypes.CODE_TO_NAME.get(self.code, "unsupported type")

    def describe(self) -> str:
        return f"{'const ' if self.const else ''}{self.dtype_name}{'*' if self.pointer else ''}"


@dataclass
class Program:
    """A compiled kernel file, ready to run any number of times."""

    path: Path
    dialect: str
    entry: str
    kernel: bool  # True: a bare device kernel that needs a launch configuration
    params: list[Param]
    default_launch: str | None
    filename: str
    internal: str = ""  # the entry's name inside the build when it had to be renamed
    build_warnings: list[str] = field(default_factory=list)


@dataclass
class RunResult:
    outputs: list[np.ndarray | None]  # per positional argument: the buffer afterwards, None for scalars
    elapsed_s: float  # time inside the entry, measured by the program itself
    wall_s: float  # whole child process
    stdout: str
    warnings: list[str] = field(default_factory=list)
    entry: str = ""
    launch: str | None = None


# A cast to a pointer of a 16-byte vector type (`(float4*)p`, `reinterpret_cast<const int4*>(A)`): the program
# reads its buffers in 16-byte units and relies on the allocator's alignment.
_VECTOR_POINTER_CAST = re.compile(
    r"(?:\(|<)\s*(?:const\s+)?(?:u?char|u?short|u?int|u?long|u?longlong|float|double|half|__half|__nv_bfloat16|"
    r"bfloat16|__hip_bfloat16)[1-4]\s*(?:const\s*)?\*\s*(?:\)|>)")
_DEVICE_ONLY = re.compile(r"\b(?:__device__|__mlu_func__|__mlu_device__)\b")


def select_entry(functions: list[FunctionInfo], entry: str | None, backend, filename: str,
                 source: str = "") -> FunctionInfo:
    """The entry, by the one rule of `xpiler.exec.entry.choose_entry` (also used by the pass chain)."""
    cands = candidates_from_text(
        source, functions, backend.is_kernel,
        lambda f: bool(_DEVICE_ONLY.search(f.qualifiers)) and "__host__" not in f.qualifiers)
    chosen = choose_entry(cands, entry, filename, what="run")
    return next(f for f in functions if f.name == chosen.name)


# Names the C and C++ standard libraries (and the runtimes' headers) declare: a user function with one of
# these names compiles on the user's platform (nvcc takes a kernel named `sin` as one more overload) but would
# collide with the executor's headers or make `&name` ambiguous, so the build renames it (xp_user_<name>);
# messages show the user's name again.
_MATH = ("sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp exp2 exp10 expm1 log log2 log10 "
         "log1p logb ilogb pow sqrt rsqrt cbrt hypot erf erfc erfinv tgamma lgamma ceil floor trunc round lround "
         "llround rint lrint llrint nearbyint fmod remainder remquo copysign nan nextafter fdim fmax fmin fma fabs "
         "frexp ldexp modf scalbn isnan isinf isfinite signbit sincos norm")
_LIBRARY_NAMES = frozenset(
    _MATH.split() + [w + "f" for w in _MATH.split()]
    + ("abs labs div min max swap copy fill sort count find transform reverse accumulate clamp exit abort "
       "malloc free calloc realloc memcpy memset memmove strlen printf puts rand srand qsort atoi atof "
       "select index time clock signal raise").split())
_RENAME_PREFIX = "xp_user_"
PROGRAM_STATUS = "[xpiler] main returned "  # the line a whole program's run ends with (its exit status)


def _rename_occurrences(text: str, name: str, new: str, *, calls: bool, definition: int | None) -> str:
    """Rename identifier `name` (not after `::`, `.`, `->`); with calls=False a `name(` stays (a call of the
    library function) except at offset `definition`."""
    from xpiler.exec.scan import blank_comments_and_strings

    masked = blank_comments_and_strings(text)
    out, pos = [], 0
    for m in re.finditer(rf"(?<![\w.:>]){re.escape(name)}\b", masked):
        before = masked[max(0, m.start() - 2):m.start()]
        if before.endswith(("::", "->", ".")):
            continue
        after = masked[m.end():m.end() + 200].lstrip()
        if not calls and after.startswith("(") and m.start() != definition:
            continue
        out.append(text[pos:m.start()])
        out.append(new)
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def _build_source(source: str, backend, fn: FunctionInfo, kernel: bool, functions, filename: str,
                  include_from: str | None = None, user_dirs: Sequence[str] = ()):
    """The user's text as the executor compiles it: missing local includes dropped, the user's `main`
    renamed (the executor has its own), an entry named like a library function renamed.
    Returns (text, the entry's name inside the build, missing includes)."""
    text, missing = drop_missing_includes(source, include_from or filename,
                                          [*user_dirs, *backend.include_dirs(), *SYSTEM_INCLUDE_DIRS])
    internal = fn.name
    if missing:
        functions = find_functions(text)  # offsets of the text without the dropped lines
    mains = [f for f in functions if f.name == "main"]
    for f in sorted(mains, key=lambda f: -f.name_pos):
        if f.body_close > f.body_open:  # main may end without `return`; a renamed function may not (C++ UB)
            text = text[:f.body_close] + "return 0; " + text[f.body_close:]
        text = text[:f.name_pos] + _RENAME_PREFIX + "main" + text[f.name_pos + 4:]
    if fn.name == "main":  # a whole program: the executor's main runs the user's
        internal = _RENAME_PREFIX + "main"
    elif fn.name in _LIBRARY_NAMES:
        internal = _RENAME_PREFIX + fn.name
        definition = next((f.name_pos for f in find_functions(text) if f.name == fn.name), None)
        text = _rename_occurrences(text, fn.name, internal, calls=not kernel and backend.name in ("c", "vnni"),
                                   definition=definition)
    return text, internal, missing


def _translation_unit(source: str, backend, fn: FunctionInfo, kernel: bool, filename: str, functions,
                      internal: str | None = None) -> str:
    internal = internal or fn.name
    parts = [f"#define {k} {v}" for k, v in backend.defines(source).items()]
    parts.append(f'#include "{backend.runtime_header}"')
    text = rewrite_launches(source) if "<<<" in source else source
    text = backend.prepare(text)
    safe_name = filename.replace("\\", "/").replace('"', "'")
    parts.append(f'#line 1 "{safe_name}"')
    parts.append(text)
    parts.append('#line 1 "<xpiler-shim>"')
    parts.append(backend.shim_extra(source, functions))
    if _VECTOR_POINTER_CAST.search(source):  # buffers start 16-byte aligned, as device allocators give them
        parts.append('extern "C" unsigned xp_gmem_min_align = 16;')
    if fn.name == "main":  # a program: no arguments; what it prints and returns is its result
        # main(void), main(int, char**), main(int, const char* argv[]): the command line as main spells it
        parts.append(
            "static char xp_arg0[] = \"program\";\nstatic char* xp_argv[] = {xp_arg0, nullptr};\n"
            "template <class A, class B> static int xp_main_call(int (*m)(A, B)) { return m(1, (B)xp_argv); }\n"
            "static int xp_main_call(int (*m)()) { return m(); }\n"
            "extern \"C\" const char* xp_entry_signature(void) { return \"\"; }\n"
            "extern \"C\" void xp_entry(void** args, const char* launch) {\n"
            "  (void)args; (void)launch;\n"
            f"  int status = xp_main_call(&{internal});\n"
            "  fflush(stdout);\n"
            f"  printf(\"{PROGRAM_STATUS}%d\\n\", status);\n}}\n"
        )
        return "\n".join(parts)
    call = f"xp_launch_entry(&{internal}, args, launch)" if kernel else f"(void)launch; xp::invoke(&{internal}, args)"
    parts.append(
        "extern \"C\" const char* xp_entry_signature(void) {\n"
        f"  static std::string s = xp::signature_of(&{internal});\n"
        "  return s.c_str();\n}\n"
        "extern \"C\" void xp_entry(void** args, const char* launch) {\n"
        f"  {call};\n}}\n"
    )
    return "\n".join(parts)


@lru_cache(maxsize=512)
def _signature(path: Path) -> str:
    """The entry's signature, asked of the program once and kept beside it in the build cache."""
    sig_file = path.with_name("signature")
    if sig_file.exists():
        return sig_file.read_text().strip()
    r = run_limited([str(path), "--signature"], timeout=30, memory_mb=DEFAULT_MEMORY_MB)
    if r.returncode != 0:
        raise CompileError(f"compiled program does not report its signature: {r.stderr.strip()[:500]}")
    tmp = sig_file.with_name(f"signature.{os.getpid()}.tmp")
    tmp.write_text(r.stdout)
    os.replace(tmp, sig_file)
    return r.stdout.strip()


def _parse_signature(sig: str) -> list[Param]:
    params = []
    for tok in filter(None, sig.split(",")):
        m = re.fullmatch(r"([ps])(\d+)(c?)", tok)
        if not m:
            raise CompileError(f"malformed signature token {tok!r}")
        params.append(Param(m.group(1) == "p", int(m.group(2)), m.group(3) == "c"))
    return params


def compile_program(source: str, dialect: str, *, entry: str | None = None, filename: str | None = None,
                    include_dir: str | None = None, include_dirs: Sequence[str] = ()) -> Program:
    """Compile `source` for the CPU executor of `dialect` (cached by content). Its quoted includes are looked
    up beside `filename`, or in `include_dir` when given (a translation of a file includes the headers beside
    the original), then in `include_dirs` (the user's -I folders, searched after the executor's own runtime
    headers, which stand in for the vendors' runtime headers)."""
    filename = filename or f"<{dialect} kernel>"
    include_from = str(Path(include_dir) / "_") if include_dir else filename
    backend = get_backend(dialect)
    if "\x00" in source:
        raise BadInput("the file contains NUL bytes (is it a binary file?)", file=filename)
    functions = find_functions(source)
    fn = select_entry(functions, entry, backend, filename, source)
    kernel = backend.is_kernel(fn)
    user_dirs = [str(Path(d).resolve()) for d in include_dirs]
    text, internal, missing = _build_source(source, backend, fn, kernel, functions, filename, include_from,
                                            user_dirs)
    if text != source:
        functions = find_functions(text)
    unit = _translation_unit(text, backend, fn, kernel, filename, functions, internal)
    headers = local_includes(text, include_from)
    try:
        path = build_executable(
            unit,
            backend.compiler(source),
            include_dirs=[*backend.include_dirs(), *[Path(d) for d in user_dirs]],
            runtime_sources=[backend.runtime_dir / s for s in backend.runtime_sources],
            what=filename,
            user_headers=headers,
            quote_dir=Path(include_from).parent if headers else None,
        )
    except CompileError as e:
        e.file = e.file or filename
        if missing:
            e.message = (f"{e.message} (the file includes {', '.join(repr(m) for m in missing)}, which could not be "
                         "found and was left out)")
        if internal != fn.name and getattr(e, "log", None):
            e.log = e.log.replace(internal, fn.name)
        raise
    params = _parse_signature(_signature(path))
    launch_line = find_launch_line(source)
    notes = [f"missing-include: {m!r} was not found; the executor built the file without it" for m in missing]
    return Program(path, dialect, fn.name, kernel, params, launch_line, filename, internal, notes)


def _marshal(program: Program, args: Sequence[Any]) -> tuple[bytes, list[tuple[int, np.ndarray]]]:
    if len(args) != len(program.params):
        sig = ", ".join(p.describe() for p in program.params)
        raise BadInput(
            f"{program.entry}({sig}) takes {len(program.params)} arguments, {len(args)} given", file=program.filename
        )
    blob = bytearray(b"XPA1" + struct.pack("<I", len(args)))
    buffers = []
    for i, (p, a) in enumerate(zip(program.params, args)):
        if p.code == dtypes.OTHER_CODE:
            raise BadInput(f"argument {i} of {program.entry} has a type the executor cannot pass", file=program.filename)
        if p.pointer:
            if not isinstance(a, np.ndarray):
                raise BadInput(f"argument {i} ({p.describe()}) needs an array, got {type(a).__name__}")
            if not dtypes.compatible(p.code, a.dtype):
                raise BadInput(f"argument {i} of {program.entry} is {p.describe()} but the array has dtype {a.dtype}")
            data = np.ascontiguousarray(a).tobytes()
            blob += struct.pack("<BBHIQ", 1, p.code, 0, 0, len(data)) + data
            buffers.append((i, a))
        else:
            if isinstance(a, np.ndarray) and a.size != 1:
                raise BadInput(f"argument {i} ({p.describe()}) is a scalar but an array of shape {a.shape} was given")
            try:
                target = dtypes.numpy_of(p.dtype_name)
            except KeyError:
                raise BadInput(f"argument {i} of {program.entry} has type {p.describe()}, which cannot be passed")
            value = np.asarray(a).reshape(())
            conv = value.astype(target)
            if value.dtype.kind in "fc" and target.kind in "iub" and conv.astype(value.dtype) != value:
                raise BadInput(f"argument {i} ({p.describe()}) needs an integer, got {value.item()!r}")
            data = conv.tobytes()
            blob += struct.pack("<BBHIQ", 0, p.code, 0, 0, len(data)) + data
    return bytes(blob), buffers


def _read_outputs(path: Path, nargs: int, buffers: list[tuple[int, np.ndarray]]) -> tuple[list, float]:
    raw = path.read_bytes()
    if raw[:4] != b"XPO1":
        raise RuntimeFault("the program wrote no valid output file", kind="crash")
    nb, ns = struct.unpack_from("<IQ", raw, 4)
    off = 16
    outputs: list[np.ndarray | None] = [None] * nargs
    originals = dict(buffers)
    for _ in range(nb):
        idx, size = struct.unpack_from("<IQ", raw, off)
        off += 12
        src = originals[idx]
        arr = np.frombuffer(raw[off : off + size], dtype=src.dtype).reshape(src.shape).copy()
        outputs[idx] = arr
        off += size
    return outputs, ns / 1e9


def execute(
    program: Program,
    args: Sequence[Any],
    *,
    launch: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> RunResult:
    """Run a compiled program once with positional `args`."""
    launch_text = ""
    if program.kernel:
        text = launch or program.default_launch
        if not text:
            raise BadInput(
                f"{program.entry} is a device kernel: give a launch configuration (--launch) or record one "
                "in the file as '// xpiler:launch ...'",
                file=program.filename,
            )
        launch_text = parse_launch(text, origin="--launch" if launch else f"{program.filename}: xpiler:launch").text
    elif launch:
        raise BadInput(f"{program.entry} is a host function; --launch applies to device kernels only")
    blob, buffers = _marshal(program, args)
    blob += struct.pack("<I", len(launch_text)) + launch_text.encode()
    backend = get_backend(program.dialect)
    with tempfile.TemporaryDirectory(prefix="xpiler-run-") as tmp:
        argf = Path(tmp) / "args.bin"
        outf = Path(tmp) / "out.bin"
        argf.write_bytes(blob)
        env = dict(os.environ)
        env.update(backend.run_environment())
        t0 = time.perf_counter()
        r = run_limited([str(program.path), str(argf), str(outf)], timeout=timeout, memory_mb=memory_mb, env=env, cwd=tmp)
        wall = time.perf_counter() - t0
        warnings = list(program.build_warnings) + [f"{k}: {m}" for k, m in _WARN.findall(r.stderr)]
        if program.internal and program.internal != program.entry:
            r.stderr = r.stderr.replace(program.internal, program.entry)
        if r.timed_out:
            raise RuntimeFault(
                f"{program.entry} did not finish within {timeout:g} s (infinite loop or deadlock?)",
                kind="timeout",
                file=program.filename,
            )
        ended_early = r.returncode >= 0 and not outf.exists() and not _FAULT.search(r.stderr) and \
            "xpiler-badargs" not in r.stderr
        if ended_early and program.entry == "main":  # a program that ends with exit(N): N is its status
            return RunResult([], 0.0, wall, r.stdout + f"{PROGRAM_STATUS}{r.returncode}\n", warnings, program.entry,
                             None)
        if ended_early and r.returncode == 0:
            raise RuntimeFault(f"{program.entry} ended the process (exit(0)) instead of returning", kind="crash",
                               log=r.stderr[-4000:], file=program.filename)
        if r.returncode != 0:
            m = _FAULT.search(r.stderr)
            if m:
                raise RuntimeFault(m.group(2), kind=m.group(1), log=r.stderr[-4000:], file=program.filename)
            if r.returncode == -9 or "std::bad_alloc" in r.stderr:
                raise RuntimeFault(
                    f"{program.entry} exceeded the memory limit ({memory_mb} MiB)", kind="memory-limit",
                    log=r.stderr[-4000:], file=program.filename,
                )
            if r.returncode == 2 and "xpiler-badargs" in r.stderr:
                raise RuntimeFault(r.stderr.strip()[-500:], kind="crash", file=program.filename)
            how = f"signal {-r.returncode}" if r.returncode < 0 else f"exit code {r.returncode}"
            tail = r.stderr.strip()[-1500:]
            raise RuntimeFault(f"{program.entry} crashed ({how}){': ' + tail if tail else ''}", kind="crash",
                               log=r.stderr[-4000:], file=program.filename)
        outputs, elapsed = _read_outputs(outf, len(args), buffers)
    return RunResult(outputs, elapsed, wall, r.stdout, warnings, program.entry, launch_text or None)


def run_kernel(
    source: str,
    dialect: str,
    *,
    args: Sequence[Any],
    entry: str | None = None,
    launch: str | None = None,
    filename: str | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    memory_mb: int = DEFAULT_MEMORY_MB,
    include_dir: str | None = None,
    include_dirs: Sequence[str] = (),
) -> RunResult:
    """Compile (cached) and run one kernel. See the module docstring."""
    program = compile_program(source, dialect, entry=entry, filename=filename, include_dir=include_dir,
                              include_dirs=include_dirs)
    return execute(program, args, launch=launch, timeout=timeout, memory_mb=memory_mb)
