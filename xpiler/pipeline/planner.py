"""Plans: which passes, in which order, take a program from a source dialect to a target.

Every translation goes through a pivot, the serial form (dialect `c`: one extern "C" entry function, plain
loops, no intrinsics; DESIGN.md "The chain"): the *lift* of the source dialect undoes its parallel axes and
intrinsics, the *lowering* of the target binds loops, stages data and tensorizes. A direct plan may come first
(cuda <-> hip without matrix intrinsics ports the SIMT code as it is). The manager tries plans in order and falls
back to the next when a mandatory pass declines or cannot be verified; optional passes (idiom: bind, cache,
pipeline, tensorize) are skipped when they decline or fail their checks.
"""

from __future__ import annotations

from dataclasses import dataclass

LIFT: dict[str, tuple[str, ...]] = {
    "c": (),
    "vnni": ("detensorize", "loop_recovery"),
    "cuda": ("detensorize", "loop_recovery", "host"),
    "hip": ("detensorize", "loop_recovery", "host"),
    "bang": ("detensorize", "loop_recovery", "host"),
}

LOWER: dict[str, tuple[str, ...]] = {
    "c": (),
    "vnni": ("host", "tensorize"),
    "cuda": ("host", "loop_bind", "cache", "tensorize"),
    "hip": ("host", "loop_bind", "cache", "tensorize"),
    "bang": ("host", "loop_bind", "cache", "tensorize", "pipeline"),
}

SIMD = ("vnni",)  # sources whose lift recovers element loops from lane loops (optional improvement)

DIRECT: dict[tuple[str, str], tuple[str, ...]] = {
    ("cuda", "hip"): ("port",),
    ("hip", "cuda"): ("port",),
}


@dataclass(frozen=True)
class Plan:
    name: str
    passes: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.name}: {' -> '.join(self.passes) or '(identity)'}"


def plans(source: str, target: str) -> list[Plan]:
    """The candidate plans from `source` to `target`, best first."""
    if source == target:
        return [Plan("identity", ())]
    out = []
    if (source, target) in DIRECT:
        out.append(Plan("direct", DIRECT[(source, target)]))
    lift, lower = LIFT.get(source), LOWER.get(target)
    if lift is None or lower is None:
        return out
    out.append(Plan("via serial form", lift + lower))
    if "loop_recovery" in lift and source in SIMD:
        # the recovered element loops are better code, but a later mandatory pass may still fail on them:
        # then the lane loops as detensorize left them
        out.append(Plan("via serial form, lane loops kept", tuple(p for p in lift if p != "loop_recovery") + lower))
    return out
