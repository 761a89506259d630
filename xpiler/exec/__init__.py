"""Executors: run a kernel of any dialect on this CPU (compiled natively with the dialect's runtime)."""

from xpiler.exec.runner import Program, RunResult, compile_program, execute, run_kernel

__all__ = ["Program", "RunResult", "compile_program", "execute", "run_kernel"]
