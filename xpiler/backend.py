"""What a dialect plugs into the core: the `Backend` base class.

Each package under `backends/` (installed as `xpiler.backends.<name>`) exposes one `BACKEND` instance of a
`Backend` subclass and registers it under the entry-point group `xpiler.backends`. The core finds backends
through `xpiler.registry` only; it never imports one by name.

A backend's executor is native code: its runtime header (in `runtime_dir`) is prepended to the user's
source, the launch syntax `k<<<...>>>(...)` is rewritten to `xp_launch(k, ...)(...)`, and a small shim that
defines `xp_entry_signature()` / `xp_entry()` is appended (see `xpiler/exec/native/xp_rt.h`).

Runtime-header contract for dialects with device kernels (cuda, hip, bang):

* `xp_launch(kernel, <launch configuration...>)` returns an object whose `operator()(args...)` runs the
  launch (the rewrite of `kernel<<<cfg>>>(args)`).
* `template <class... P> void xp_launch_entry(void (*kernel)(P...), void** args, const char* launch)`
  parses the launch text (`grid=X,Y,Z block=X,Y,Z`, or `tasks=N [clusters=C cores=K] [type=...]`) and
  launches `kernel` with the positional arguments (`xp::bind_args`). Pointer arguments already live in
  guarded global memory, so the kernel can use them directly as device (GDRAM) pointers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from xpiler.exec.scan import FunctionInfo


@dataclass(frozen=True)
class CompilerSpec:
    """How the executor compiles a translation unit of this dialect on the CPU."""

    command: tuple[str, ...]  # ("g++",) or ("clang++-15",)
    flags: tuple[str, ...] = ()  # language/optimisation flags, e.g. ("-x", "c++", "-O2", "-std=c++17")
    link_flags: tuple[str, ...] = ()


@dataclass
class Backend:
    """Facts and hooks of one dialect. Subclasses set the class attributes and override hooks."""

    name: str = ""
    extensions: tuple[str, ...] = ()
    # Qualifiers that mark a device kernel (an entry that needs a launch configuration).
    kernel_qualifiers: tuple[str, ...] = ()
    # Folder with the runtime headers; `runtime_header` is included first in every translation unit.
    runtime_dir: Path | None = None
    runtime_header: str = ""
    # Extra runtime sources compiled once per compiler and linked in (paths relative to runtime_dir).
    runtime_sources: tuple[str, ...] = ()
    description: str = ""
    extra: dict = field(default_factory=dict)

    # Import path of the backend's package (`xpiler.backends.cuda`); set by the registry on load.
    package: str = ""

    # ------------------------------------------------------------------ language and catalogue
    def language(self):
        """The dialect's `LanguageFacts` (keywords, built-ins, spellings) from `<package>.dialect`."""
        return self._submodule("dialect").LANGUAGE

    def catalogue(self):
        """The dialect's intrinsic `Catalogue` from `<package>.intrinsics` (empty when it has none)."""
        from xpiler.ir.intrinsic import Catalogue

        import importlib.util

        name = f"{self.package}.intrinsics"
        if importlib.util.find_spec(name) is None:  # the dialect has no intrinsics; a broken module raises
            return Catalogue(self.name, [])
        return self._submodule("intrinsics").CATALOGUE

    def parse(self, text: str, path: str | None = None):
        """Lift `text` of this dialect into an IR `Module` (the backend's `parser.parse`)."""
        return self._submodule("parser").parse(text, path)

    def emit(self, module) -> str:
        """Write the IR `module` as source text of this dialect (the backend's `printer.emit`)."""
        return self._submodule("printer").emit(module)

    def _submodule(self, name: str):
        import importlib

        if not self.package:
            raise RuntimeError(f"backend {self.name!r} has no package set (load it through xpiler.registry)")
        return importlib.import_module(f"{self.package}.{name}")

    # ------------------------------------------------------------------ hooks
    def compiler(self, source: str) -> CompilerSpec:
        """The CPU compiler for this source (may depend on the machine, e.g. VNNI vs SIMDe)."""
        raise NotImplementedError

    def prepare(self, source: str) -> str:
        """Source-to-source adjustments the runtime needs (line count must not change)."""
        return source

    def is_kernel(self, fn: FunctionInfo) -> bool:
        """True when `fn` is a device kernel of this dialect (needs a launch)."""
        return any(q in fn.qualifiers for q in self.kernel_qualifiers)

    def include_dirs(self) -> list[Path]:
        """Folders searched for the runtime header and stand-ins of the dialect's system headers."""
        return [self.runtime_dir] if self.runtime_dir else []

    def defines(self, source: str) -> dict[str, str]:
        """Macros defined before the runtime header (e.g. XP_SIMT_COOPERATIVE when barriers are used)."""
        return {}

    def shim_extra(self, source: str, functions: list[FunctionInfo]) -> str:
        """Extra C++ appended after the user's source, before the entry shim (registrations, tables)."""
        return ""

    def run_environment(self) -> dict[str, str]:
        """Extra environment variables for the executable (e.g. arena sizes)."""
        return {}
