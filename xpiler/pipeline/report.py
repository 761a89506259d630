"""The translation report: the plan that succeeded, every step with its checks and repairs, the final
verification, timings and the idioms the output uses. Plain dataclasses; `as_dict()` for --json."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from xpiler.pipeline.passes import CheckResult


@dataclass
class Step:
    plan: str
    pass_name: str
    status: str  # accepted | repaired | unchanged | not applicable | declined | rolled back | error
    dialect_before: str = ""
    dialect_after: str = ""
    checks: list[CheckResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)
    reason: str = ""
    seconds: float = 0.0


@dataclass
class Report:
    source: str
    target: str
    entry: str = ""
    plan: str = ""
    steps: list[Step] = field(default_factory=list)
    final_checks: list[CheckResult] = field(default_factory=list)
    verified: bool = False
    reason: str = ""  # why not verified / why translation failed
    launch: str | None = None
    tests: list[str] = field(default_factory=list)  # what the generated tests were
    scalars: dict[str, Any] = field(default_factory=dict)  # integer scalar arguments the tests used, by name
    scalars_more: list[dict[str, Any]] = field(default_factory=list)  # further bindings the final check tested
    scalars_given: bool = False  # the user gave them (args=, --args), else the valid-domain search chose them
    domain: list[str] = field(default_factory=list)  # the bindings the valid-domain search tried, and why not
    idioms: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)

    def summary(self) -> str:
        lines = [f"{self.source} -> {self.target}: {'verified' if self.verified else 'NOT verified'}"
                 + (f" ({self.reason})" if self.reason else "")]
        if self.plan:
            lines.append(f"plan: {self.plan}")
        if self.scalars:
            lines.append("tested with " + ", ".join(f"{k}={v}" for k, v in self.scalars.items())
                         + "".join("; " + ", ".join(f"{k}={v}" for k, v in m.items()) for m in self.scalars_more)
                         + (" (given)" if self.scalars_given else " (found in the source's valid domain)"))
        for s in self.steps:
            extra = f" - {s.reason}" if s.reason else ""
            lines.append(f"  {s.pass_name:<14} {s.status:<14} {s.dialect_before}->{s.dialect_after} "
                         f"{s.seconds:5.2f}s{extra}")
            for r in s.repairs:
                lines.append(f"      repair: {r}")
        for c in self.final_checks:
            lines.append(f"  final: {c.name}: {'ok' if c.ok else ('n/a' if c.ok is None else 'FAILED')} {c.detail}")
        if self.idioms:
            lines.append("  idioms: " + ", ".join(f"{k}={v}" for k, v in self.idioms.items() if v))
        if self.timings:
            lines.append("  time: " + ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()))
        return "\n".join(lines)
