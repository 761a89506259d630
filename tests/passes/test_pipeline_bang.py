"""pipeline (bang): double buffering of cache's tile loops, declined where it does not pay."""

from __future__ import annotations

import pytest
from test_cache_bang import SPECS, corpus_bang
from xpiler.passes import cache, pipeline, tensorize

from xpiler.pipeline.passes import PassContext, PassDeclined
from xpiler.verify.corpus_check import check_program

CTX = PassContext(source="c", target="bang")


def test_many_tiles_are_double_buffered_and_run_strict(monkeypatch):
    monkeypatch.setenv("XP_BANG_CHECK", "strict")  # a use of a pending async copy would fault
    p = tensorize.PASS.run(cache.PASS.run(corpus_bang("add", 2), CTX).program, CTX).program  # N = 65536
    r = pipeline.PASS.run(p, CTX)
    text = r.program.text()
    assert "__memcpy_async" in text and "__sync();" in text
    assert all(ob.check()[0] is True for ob in r.obligations)
    assert check_program(SPECS["add"], "c", 2, r.program).ok


def test_single_tile_declines():
    p = cache.PASS.run(corpus_bang("add", 0), CTX).program  # N = 4096: one tile, nothing to overlap
    with pytest.raises(PassDeclined):
        pipeline.PASS.run(p, CTX)


def test_other_dialects_decline():
    p = corpus_bang("add").replace(dialect="cuda")
    assert not pipeline.PASS.applies(p, CTX)
