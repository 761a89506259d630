"""Run a child process with wall-time, CPU-time and memory limits (compilers and compiled user code)."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
from dataclasses import dataclass


@dataclass
class Completed:
    returncode: int  # negative: killed by that signal
    stdout: str
    stderr: str
    timed_out: bool


def _limits(memory_mb: int | None, cpu_s: float | None):
    def apply() -> None:
        os.setsid()
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        if memory_mb:
            b = int(memory_mb) * 1024 * 1024
            resource.setrlimit(resource.RLIMIT_AS, (b, b))
        if cpu_s:
            c = int(cpu_s) + 1
            resource.setrlimit(resource.RLIMIT_CPU, (c, c + 1))

    return apply


def run_limited(
    cmd: list[str],
    *,
    timeout: float,
    memory_mb: int | None = None,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> Completed:
    """Run `cmd`; never raises on failure or time-out (see `Completed`)."""
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=env,
        preexec_fn=_limits(memory_mb, timeout * 2 + 1),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = proc.communicate()
        timed_out = True
    return Completed(
        proc.returncode,
        out.decode("utf-8", "replace"),
        err.decode("utf-8", "replace"),
        timed_out,
    )
