"""The committed sample of the generated corpus tier (benchmarks/generated/tvm): the manifest is consistent
with the files, and a few kernels run on the executors and match their numpy references. This checks the
sample, not the translator (benchmarks/bench_realworld.py measures translation)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root: benchmarks/ is no package
from benchmarks.generated import refs
from benchmarks.generated.tier import TVM_SAMPLE, check_source, evaluate, load_manifest, make_args, sha256

CASES = load_manifest(TVM_SAMPLE)
BY_ID = {c["id"]: c for c in CASES}


def test_manifest_consistent():
    raw = json.loads((TVM_SAMPLE / "manifest.json").read_text())
    assert raw["tvm"] and raw["generator"].endswith("gen_tvm.py")
    files = {p.name for p in TVM_SAMPLE.iterdir() if p.suffix in (".cu", ".c")}
    listed = [c["file"] for c in CASES]
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert set(listed) == files, f"unlisted {files - set(listed)}, missing {set(listed) - files}"
    assert len({c["op"] for c in CASES}) >= 30
    assert {c["dialect"] for c in CASES} == {"cuda", "c"}
    assert any(c["symbolic"] for c in CASES) and any(not c["symbolic"] for c in CASES)
    total = sum((TVM_SAMPLE / f).stat().st_size for f in files)
    assert total < 1_200_000
    for c in CASES:
        text = Path(c["path"]).read_text()
        assert sha256(text) == c["sha256"], f"{c['file']} changed since generation"
        assert callable(getattr(refs, c["reference"], None)), c["reference"]
        assert c["entry"] and c["entry"] in text
        assert c["tests"], c["id"]
        for t in c["tests"]:
            assert set(t) == set(c["symbols"])
            for a in c["args"]:  # every shape and scalar evaluates
                if a["intent"] == "scalar":
                    evaluate(a["value"], t)
                else:
                    assert all(evaluate(s, t) > 0 for s in a["shape"])
        names = [a["name"] for a in c["args"]]
        assert len(names) == len(set(names))
        if c["dialect"] == "cuda":
            assert f'extern "C" void {c["entry"]}(' in text and "<<<" in text
        if c["symbolic"]:
            assert [a["name"] for a in c["args"] if a["intent"] == "scalar"] == c["symbols"]


def test_args_deterministic():
    c = CASES[0]
    a, b = make_args(c, 0), make_args(c, 0)
    assert all((x == y).all() for x, y in zip(a, b))


def _pick():
    want = ["softmax_sym_cuda", "gemm_sym_c", "layernorm_sym_c", "add_sym_cuda", "row_sum_s0_c"]
    got = [i for i in want if i in BY_ID]
    return got[:4] or [c["id"] for c in CASES[:3]]


@pytest.mark.parametrize("cid", _pick())
def test_sample_kernel_matches_reference(cid):
    case = BY_ID[cid]
    why = check_source(case, Path(case["path"]).read_text(), tests=[0])
    assert why is None, why
