"""The errors xpiler raises. Each maps to one CLI exit code (DESIGN.md, `xpiler run`)."""

from __future__ import annotations


class XpilerError(Exception):
    """Base class. `exit_code` is what the CLI exits with when this error ends a command."""

    exit_code = 1

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None, column: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return f"{where}{self.message}"


class BadInput(XpilerError):
    """The user's input is wrong: unknown dialect, missing entry, arguments that do not fit."""

    exit_code = 2


class CompileError(XpilerError):
    """The kernel does not compile; `log` holds the compiler's diagnostics."""

    exit_code = 3

    def __init__(self, message: str, *, log: str = "", **kw):
        self.log = log
        super().__init__(message, **kw)


class RuntimeFault(XpilerError):
    """The kernel ran and did something real hardware would fault on (or did not finish).

    `kind` is one of: out-of-bounds, memory-space, capacity, alignment, barrier, collective, launch,
    deadlock, arithmetic, invalid-argument, unsupported, timeout, memory-limit, crash.
    """

    exit_code = 4

    def __init__(self, message: str, *, kind: str = "crash", log: str = "", **kw):
        self.kind = kind
        self.log = log
        super().__init__(message, **kw)


class InternalError(XpilerError):
    """A bug inside xpiler (an exception that is not an XpilerError) surfaced in strict mode, with its traceback.

    Outside strict mode the pass manager reports such an exception as a failed step ("error") and goes on;
    with `XPILER_STRICT=1` (or `strict=True`) it stops the translation with this error instead, so that a
    bug never looks like a decline. `where` names the pass, obligation or Tester phase; `traceback_text` is
    the formatted traceback of the original exception (also part of the message)."""

    exit_code = 7

    def __init__(self, message: str, *, where: str = "", traceback_text: str = "", **kw):
        self.where = where
        self.traceback_text = traceback_text
        super().__init__(message, **kw)

    @classmethod
    def from_exception(cls, where: str, exc: BaseException) -> "InternalError":
        import traceback

        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        return cls(f"internal error in {where}: {type(exc).__name__}: {exc}\n{tb.rstrip()}", where=where,
                   traceback_text=tb)


STRICT_ENV = "XPILER_STRICT"


def strict_mode(flag: bool | None = None) -> bool:
    """Whether strict mode is on: `flag` when given, else the environment variable XPILER_STRICT
    (1 / true / yes / on)."""
    if flag is not None:
        return bool(flag)
    import os

    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")
