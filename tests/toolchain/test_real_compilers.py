"""Every corpus kernel compiles with its platform's real compiler: gcc -Wall (c, vnni), nvcc for sm_80 and
sm_90 (cuda), hipcc for gfx90a (hip). Skipped where the compiler is not installed; BANG has no public
compiler (its executor's checks are the judge)."""

from __future__ import annotations

import importlib

import pytest

from xpiler.verify.spec import load_corpus

FILES = [(s, d) for s in load_corpus() for d in ("c", "vnni", "cuda", "hip") if s.source_path(d).is_file()]


@pytest.mark.toolchain
@pytest.mark.parametrize("spec, dialect", FILES, ids=[f"{s.op}/{d}" for s, d in FILES])
def test_compiles_with_real_compiler(spec, dialect):
    tc = importlib.import_module(f"xpiler.backends.{dialect}.toolchain")
    res = tc.check_compile(spec.source(dialect, 0), str(spec.source_path(dialect)))
    if not res.available:
        pytest.skip(res.log)
    assert res.ok, res.log
    if dialect in ("c", "vnni"):  # our own C must be clean under -Wall (system headers' own warnings aside:
        # GCC 12's avx512fintrin.h warns about its own uninitialized __Y)
        name = spec.source_path(dialect).name
        ours = [ln for ln in res.log.splitlines() if "warning:" in ln and name in ln.split(":")[0]]
        assert not ours, res.log
