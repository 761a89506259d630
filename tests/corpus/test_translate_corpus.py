"""Translation over the corpus in every one of the 20 directions (a rotating sample in CI; the full table is
benchmarks/bench_translate.py). Each translation must report verified, and its output must pass the numpy
reference on the target's executor with the source's arguments (an independent check of the Tester)."""

from __future__ import annotations

import pytest

from xpiler.api import transcompile
from xpiler.registry import DIALECTS
from xpiler.verify.corpus_check import check_text
from xpiler.verify.spec import corpus_root, load_corpus

PAIRS = [(a, b) for a in DIALECTS for b in DIALECTS if a != b]
OPS = sorted(s.op for s in load_corpus(corpus_root()))
PER_PAIR = 2  # ops per direction in CI; 20 x 2 = 40 translations, every op covered at least once


def _sample():
    out = []
    for i, (a, b) in enumerate(PAIRS):
        for j in range(PER_PAIR):
            out.append((a, b, OPS[(i * PER_PAIR + j) % len(OPS)]))
    return out


@pytest.mark.corpus
@pytest.mark.parametrize("src,dst,op", _sample(), ids=[f"{a}2{b}-{op}" for a, b, op in _sample()])
def test_translation_is_verified_and_matches_reference(src, dst, op):
    from xpiler.verify.spec import load_spec

    spec = load_spec(corpus_root() / op)
    res = transcompile(spec.source(src, 0), src, dst, path=str(spec.source_path(src)))
    assert res.verified, res.report.summary()
    rep = check_text(spec, src, 0, res.code, dst, entry=res.entry, launch=res.launch)
    assert rep.ok, f"{rep}\n{res.report.summary()}"


def test_renamed_functions_translate_the_same():
    """Function names carry no meaning: a renamed kernel and host function translate and verify."""
    import re

    from xpiler.verify.spec import load_spec

    spec = load_spec(corpus_root() / "softmax")
    text = spec.source("cuda", 1)
    for name in sorted(set(re.findall(r"\b(\w+)\s*\(", text))):
        if name.startswith(("softmax", "block_", "warp_")):
            text = re.sub(rf"\b{name}\b", f"q{abs(hash(name)) % 997}_{len(name)}", text)
    assert "softmax_kernel" not in text
    res = transcompile(text, "cuda", "bang")
    assert res.verified, res.report.summary()
    rep = check_text(spec, "cuda", 1, res.code, "bang", entry=res.entry, launch=res.launch)
    assert rep.ok, rep
