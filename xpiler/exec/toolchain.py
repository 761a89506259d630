"""Real compilers as extra judges: a common result type and runner for the backends' `toolchain.py`."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from xpiler.exec.sandbox import run_limited
from xpiler.exec.scan import drop_missing_includes, local_includes


@dataclass(frozen=True)
class ToolResult:
    ok: bool
    tool: str
    log: str
    available: bool = True  # False: the compiler is not installed (the check could not run)


def compile_with(
    command: list[str],
    source: str,
    filename: str,
    *,
    suffix: str,
    prelude: str = "",
    timeout: float = 300.0,
    env: dict[str, str] | None = None,
) -> ToolResult:
    """Write `prelude + source` to a temporary file named like `filename` and run `command + [file]`.

    `prelude` lines are followed by a #line directive so diagnostics keep the user's line numbers.
    """
    tool = command[0]
    source, missing = drop_missing_includes(source, filename)
    if local_includes(source, filename):  # the user's headers beside the file (the check compiles elsewhere)
        command = [*command[:1], f"-I{Path(filename).resolve().parent}", *command[1:]]
    if shutil.which(tool) is None:
        return ToolResult(False, tool, f"{tool} is not installed", available=False)
    with tempfile.TemporaryDirectory(prefix="xpiler-tc-") as tmp:
        src = Path(tmp) / (Path(filename).stem + suffix)
        safe = filename.replace('"', "'")
        src.write_text((prelude + f'\n#line 1 "{safe}"\n' if prelude else "") + source)
        r = run_limited([*command, str(src)], timeout=timeout, memory_mb=16384, cwd=tmp, env=env)
    if r.timed_out:
        return ToolResult(False, tool, f"{tool} took longer than {timeout:g} s")
    log = (r.stderr + r.stdout).strip()
    if missing:
        log = (f"note: {', '.join(repr(m) for m in missing)} not found beside {filename}; checked without it\n"
               + log)
    return ToolResult(r.returncode == 0, tool, log)
