"""Verify corpus cases on the local executors, in parallel: the engine behind `xpiler corpus`, the corpus
tests and the executor benchmark."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, Iterable

from xpiler.errors import XpilerError
from xpiler.verify.spec import CaseReport, CorpusItem, run_case


@dataclass
class Outcome:
    item: CorpusItem
    ok: bool
    seconds: float
    report: CaseReport | None = None
    error: XpilerError | None = None

    @property
    def summary(self) -> str:
        if self.error is not None:
            kind = getattr(self.error, "kind", None)
            head = f"{type(self.error).__name__}{f' ({kind})' if kind else ''}: {self.error}"
            log = getattr(self.error, "log", "")
            if log and kind is None:  # compiler diagnostics: the first lines say what is wrong
                head += "\n" + "\n".join(log.strip().splitlines()[:12])
            return head
        return str(self.report)


def verify_item(item: CorpusItem, *, seed: int = 0, timeout: float = 120.0) -> Outcome:
    t0 = time.perf_counter()
    try:
        rep = run_case(item.spec, item.dialect, item.case, seed=seed, timeout=timeout)
        return Outcome(item, rep.ok, time.perf_counter() - t0, report=rep)
    except XpilerError as e:
        return Outcome(item, False, time.perf_counter() - t0, error=e)


def verify_items(
    items: Iterable[CorpusItem],
    *,
    jobs: int = 2,
    seed: int = 0,
    on_done: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Verify every item; `jobs` cases compile/run at once (each in its own subprocess)."""
    items = list(items)
    results: list[Outcome | None] = [None] * len(items)
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(verify_item, it, seed=seed): i for i, it in enumerate(items)}
        for fut, i in futures.items():
            res = fut.result()
            results[i] = res
            if on_done:
                on_done(res)
    return [r for r in results if r is not None]
