"""Finds dialect backends (and, later, passes) through entry points, so a new deep-learning system is one
more installed package. `DIALECTS` is the canonical order of the five built-in dialect ids."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from xpiler.errors import BadInput

DIALECTS = ("c", "vnni", "cuda", "hip", "bang")
_GROUP = "xpiler.backends"


@lru_cache(maxsize=None)
def _backend_entry_points() -> dict:
    return {ep.name: ep for ep in entry_points(group=_GROUP)}


def available_dialects() -> list[str]:
    names = set(_backend_entry_points())
    return [d for d in DIALECTS if d in names] + sorted(names - set(DIALECTS))


@lru_cache(maxsize=None)
def get_backend(name: str):
    """The `Backend` registered under `name`; BadInput naming the known dialects otherwise."""
    eps = _backend_entry_points()
    if name not in eps:
        known = ", ".join(available_dialects()) or "none (is xpiler installed? pip install -e .)"
        raise BadInput(f"unknown dialect {name!r}; known dialects: {known}")
    try:
        backend = eps[name].load()
        if not backend.package:
            backend.package = eps[name].module
    except Exception as e:  # a broken plugin must not look like a missing one
        raise BadInput(f"dialect {name!r} is installed but failed to load ({type(e).__name__}: {e})") from e
    return backend


def dialect_for_path(path: str, source: str | None = None) -> str:
    """Infer the dialect from a file name (and, for .cpp/.c, from the intrinsics the text uses)."""
    lower = path.lower()
    for d in available_dialects():
        b = get_backend(d)
        if d in ("c", "vnni"):
            continue
        if any(lower.endswith(ext) for ext in b.extensions):
            return d
    if lower.endswith((".c", ".cpp", ".cc", ".cxx")):
        if source is not None and ("_mm512_" in source or "_mm256_" in source or "_mm_" in source):
            return "vnni"
        return "c"
    raise BadInput(f"cannot infer the dialect of {path!r} from its extension; pass --dialect", file=path)


_PASS_GROUP = "xpiler.passes"


@lru_cache(maxsize=None)
def _pass_entry_points() -> dict:
    return {ep.name: ep for ep in entry_points(group=_PASS_GROUP)}


def available_passes() -> list[str]:
    return sorted(_pass_entry_points())


@lru_cache(maxsize=None)
def get_pass(name: str):
    """The pass object registered under `name` in the "xpiler.passes" entry-point group."""
    eps = _pass_entry_points()
    if name not in eps:
        raise BadInput(f"unknown pass {name!r}; known passes: {', '.join(available_passes()) or 'none'}")
    return eps[name].load()
