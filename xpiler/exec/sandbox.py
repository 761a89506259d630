"""Run a child process with wall-time, CPU-time and memory limits (compilers and compiled user code)."""

from __future__ import annotations

import os
import signal
import subprocess
from dataclasses import dataclass


@dataclass
class Completed:
    returncode: int  # negative: killed by that signal
    stdout: str
    stderr: str
    timed_out: bool


# Limits are set by a tiny shell prologue instead of `preexec_fn`: preexec_fn runs Python code between
# fork and exec, which can deadlock when other threads hold locks (the corpus runner uses threads).
_PROLOGUE = 'ulimit -c 0; [ -n "$XP_LIM_AS" ] && ulimit -v "$XP_LIM_AS"; [ -n "$XP_LIM_CPU" ] && ulimit -t "$XP_LIM_CPU"; exec "$@"'


def run_limited(
    cmd: list[str],
    *,
    timeout: float,
    memory_mb: int | None = None,
    cwd: str | None = None,
    env: dict[str, str] | None = None,
) -> Completed:
    """Run `cmd`; never raises on failure or time-out (see `Completed`)."""
    child_env = dict(os.environ if env is None else env)
    child_env["XP_LIM_AS"] = str(int(memory_mb) * 1024) if memory_mb else ""  # KiB
    child_env["XP_LIM_CPU"] = str(int(timeout * 2) + 2)
    proc = subprocess.Popen(
        ["/bin/sh", "-c", _PROLOGUE, "xpiler-sandbox", *cmd],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        cwd=cwd,
        env=child_env,
        start_new_session=True,
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
