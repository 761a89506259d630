"""Every corpus kernel, every case, every dialect: run on its executor and compare with numpy."""

from __future__ import annotations

import pytest

from xpiler.registry import DIALECTS, available_dialects
from xpiler.verify.corpus import verify_item
from xpiler.verify.spec import iter_corpus, load_corpus

ITEMS = list(iter_corpus(existing_only=True))


def test_corpus_is_complete():
    """36 operators, each in all five dialects, each with >= 2 cases, one with a non-power-of-two size."""
    specs = load_corpus()
    assert len(specs) >= 36
    missing = [f"{s.op}/{d}" for s in specs for d in DIALECTS if not s.source_path(d).is_file()]
    assert not missing, f"kernel files missing: {missing}"
    for s in specs:
        assert len(s.cases) >= 2, s.op
        sizes = [v for case in s.cases for v in case.values() if isinstance(v, int)]
        assert any(v & (v - 1) for v in sizes if v > 0), f"{s.op}: no case has a non-power-of-two size"


@pytest.mark.corpus
@pytest.mark.parametrize("item", ITEMS, ids=[it.id for it in ITEMS])
def test_corpus_case_matches_reference(item):
    if item.dialect not in available_dialects():
        pytest.skip(f"dialect {item.dialect} not installed")
    out = verify_item(item)
    assert out.ok, out.summary
