"""Compile translation units into executables, with a content-addressed cache.

The cache key covers everything that determines the binary: the translation unit text, the compiler command
and flags, the compiler's version, and the contents of every runtime file (native/ and the backend's runtime
folder). Entries are written to a temporary name and renamed, so parallel test workers can share the cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from xpiler.backend import CompilerSpec
from xpiler.errors import CompileError
from xpiler.exec.sandbox import run_limited

NATIVE_DIR = Path(__file__).parent / "native"
COMPILE_TIMEOUT_S = 180.0
COMPILE_MEMORY_MB = 8192


def cache_root() -> Path:
    root = os.environ.get("XPILER_CACHE")
    base = Path(root) if root else Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "xpiler"
    d = base / "build"
    d.mkdir(parents=True, exist_ok=True)
    return d


@lru_cache(maxsize=None)
def _tree_digest(folders: tuple[str, ...]) -> str:
    h = hashlib.sha256()
    for folder in folders:
        p = Path(folder)
        if not p.exists():
            continue
        for f in sorted(p.rglob("*")):
            if f.is_file() and f.suffix in (".h", ".hpp", ".c", ".cc", ".cpp", ".inc"):
                h.update(str(f.relative_to(p)).encode())
                h.update(f.read_bytes())
    return h.hexdigest()


@lru_cache(maxsize=None)
def compiler_version(command: tuple[str, ...]) -> str:
    exe = shutil.which(command[0])
    if exe is None:
        raise CompileError(f"compiler {command[0]!r} not found (install it; see README.md)")
    r = run_limited([*command, "--version"], timeout=30)
    return r.stdout.splitlines()[0] if r.stdout else command[0]


def _atomic_install(tmp: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, dest)


def _compile(cmd: list[str], what: str, cwd: str) -> None:
    r = run_limited(cmd, timeout=COMPILE_TIMEOUT_S, memory_mb=COMPILE_MEMORY_MB, cwd=cwd)
    if r.timed_out:
        raise CompileError(f"compiling {what} took longer than {COMPILE_TIMEOUT_S:.0f} s", log=r.stderr)
    if r.returncode != 0:
        raise CompileError(f"{what} does not compile", log=_trim_log(r.stderr or r.stdout))


def _trim_log(log: str, limit: int = 8000) -> str:
    return log if len(log) <= limit else log[:limit] + "\n... (compiler output truncated)"


def _runtime_objects(spec: CompilerSpec, include: list[str], sources: list[Path]) -> list[Path]:
    """Compile the shared runtime sources once per (compiler, flags, runtime contents)."""
    objs = []
    for src in sources:
        h = hashlib.sha256()
        h.update(repr((spec.command, spec.flags, include, compiler_version(spec.command))).encode())
        h.update(_tree_digest(tuple(include)).encode())
        h.update(src.read_bytes())
        key = h.hexdigest()[:24]
        dest = cache_root() / "rt" / f"{src.stem}-{key}.o"
        if not dest.exists():
            with tempfile.TemporaryDirectory(prefix="xpiler-rt-") as tmp:
                out = Path(tmp) / "x.o"
                cmd = [*spec.command, *spec.flags, *[f"-I{d}" for d in include], "-c", str(src), "-o", str(out)]
                _compile(cmd, f"runtime source {src.name}", tmp)
                _atomic_install(out, dest)
        objs.append(dest)
    return objs


def build_executable(
    unit: str,
    spec: CompilerSpec,
    *,
    include_dirs: list[Path],
    runtime_sources: list[Path],
    what: str,
    user_headers: list[Path] = (),
    quote_dir: Path | None = None,
) -> Path:
    """Compile `unit` (C++ text) with the runtime into an executable; returns its cached path.
    `user_headers`: the user's own headers the unit includes with quotes, found in `quote_dir` (the source
    file's folder, searched with -iquote); their contents are part of the cache key."""
    include = [str(NATIVE_DIR), *[str(d) for d in include_dirs]]
    h = hashlib.sha256()
    h.update(unit.encode())
    quote_dirs = [str(Path(quote_dir).resolve())] if quote_dir is not None and user_headers else []
    for p in sorted(str(p) for p in user_headers):
        h.update(p.encode())
        h.update(Path(p).read_bytes())
    h.update(repr((spec, include, compiler_version(spec.command))).encode())
    h.update(_tree_digest(tuple(include)).encode())
    for s in runtime_sources:
        h.update(s.read_bytes())
    key = h.hexdigest()[:32]
    dest = cache_root() / key[:2] / key / "prog"
    if dest.exists():
        return dest
    objs = _runtime_objects(spec, include, [NATIVE_DIR / "xp_main.cpp", *runtime_sources])
    with tempfile.TemporaryDirectory(prefix="xpiler-build-") as tmp:
        src = Path(tmp) / "unit.cpp"
        src.write_text(unit)
        out = Path(tmp) / "prog"
        cmd = [
            *spec.command,
            *spec.flags,
            *[f"-I{d}" for d in include],
            *[f"-iquote{d}" for d in quote_dirs],
            str(src),
            *[str(o) for o in objs],
            "-o",
            str(out),
            *spec.link_flags,
            "-lm",
        ]
        _compile(cmd, what, tmp)
        _atomic_install(out, dest)
    return dest
