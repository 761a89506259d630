"""Launch configurations: parsing, formatting and the `// xpiler:launch ...` line (DESIGN.md, entry contract).

SIMT dialects (cuda, hip):  grid=X[,Y[,Z]] block=X[,Y[,Z]] [shmem=BYTES]
BANG:                       tasks=N [clusters=C] [cores=K] [type=block|union1|union2|union4|union8|union16]
                            [dim=X,Y,Z]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xpiler.errors import BadInput

_LINE = re.compile(r"^[ \t]*//[ \t]*xpiler:launch[ \t]+(.+?)[ \t]*$", re.M)
_KEYS = {"grid", "block", "shmem", "tasks", "clusters", "cores", "type", "dim"}
_TRIPLE = {"grid", "block", "dim"}
_TYPES = {"block", "union1", "union2", "union4", "union8", "union16"}


@dataclass(frozen=True)
class Launch:
    fields: tuple[tuple[str, str], ...]

    @property
    def text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.fields)

    def get(self, key: str, default: str | None = None) -> str | None:
        return dict(self.fields).get(key, default)

    def __str__(self) -> str:
        return self.text


def parse_launch(text: str, *, origin: str = "launch") -> Launch:
    """Parse and normalize a launch text; BadInput with the reason when malformed."""
    fields = []
    seen = set()
    for tok in text.split():
        if "=" not in tok:
            raise BadInput(f"{origin}: expected key=value, got {tok!r} (e.g. 'grid=4,1,1 block=256,1,1' or 'tasks=16')")
        k, v = tok.split("=", 1)
        k = k.strip().lower()
        if k not in _KEYS:
            raise BadInput(f"{origin}: unknown launch key {k!r}; known: {', '.join(sorted(_KEYS))}")
        if k in seen:
            raise BadInput(f"{origin}: launch key {k!r} given twice")
        seen.add(k)
        if k in _TRIPLE:
            parts = v.split(",")
            if not 1 <= len(parts) <= 3 or not all(p.strip().isdigit() for p in parts):
                raise BadInput(f"{origin}: {k} must be 1 to 3 positive integers separated by commas, got {v!r}")
            nums = [int(p) for p in parts] + [1] * (3 - len(parts))
            if min(nums) < 1:
                raise BadInput(f"{origin}: {k} dimensions must be >= 1, got {v!r}")
            v = ",".join(map(str, nums))
        elif k == "type":
            v = v.lower()
            if v not in _TYPES:
                raise BadInput(f"{origin}: type must be one of {', '.join(sorted(_TYPES))}, got {v!r}")
        else:
            if not v.isdigit() or (int(v) < 1 and k != "shmem"):
                raise BadInput(f"{origin}: {k} must be a positive integer, got {v!r}")
        fields.append((k, v))
    if not fields:
        raise BadInput(f"{origin}: empty launch configuration")
    keys = {k for k, _ in fields}
    if keys & {"grid", "block"} and keys & {"tasks", "clusters", "cores", "type", "dim"}:
        raise BadInput(f"{origin}: mixes SIMT (grid/block) and BANG (tasks/clusters/cores) keys")
    if keys & {"grid", "block", "shmem"} and not {"grid", "block"} <= keys:
        raise BadInput(f"{origin}: a SIMT launch needs both grid= and block=")
    if keys & {"clusters", "cores", "type", "dim"} and not keys & {"tasks", "dim"}:
        raise BadInput(f"{origin}: a BANG launch needs tasks= (or dim=)")
    return Launch(tuple(fields))


def find_launch_line(source: str) -> str | None:
    """The text of the first `// xpiler:launch ...` line, or None."""
    m = _LINE.search(source)
    return m.group(1) if m else None


def launch_comment(launch: Launch) -> str:
    return f"// xpiler:launch {launch.text}"
