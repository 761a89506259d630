"""The CUDA <-> HIP runtime API table (backends/_simt/runtime_api.py) against the headers installed here:
every HIP name is declared by the AMD platform's HIP headers, every current CUDA name by the CUDA toolkit's,
and the executors' runtimes provide what the port emits."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from xpiler.backends._simt import runtime_api as api

HIP_DIRS = [Path("/usr/include/hip"), Path("/opt/rocm/include/hip")]
CUDA_DIRS = [Path("/usr/local/cuda/include")]


@cache
def _words(dirs: tuple[Path, ...], skip: str = "") -> frozenset:
    words: set[str] = set()
    for d in dirs:
        if not d.is_dir():
            continue
        for p in d.rglob("*.h"):
            if skip and skip in p.parts:
                continue
            words |= set(re.findall(r"\b[A-Za-z_]\w*\b", p.read_text(errors="replace")))
    return frozenset(words)


def _hip_words():
    # the NVIDIA shim (nvidia_detail) declares HIP names over CUDA; the port targets the AMD platform
    w = _words(tuple(HIP_DIRS), skip="nvidia_detail")
    if "hipMalloc" not in w:
        pytest.skip("no HIP headers installed (libamdhip64-dev)")
    return w


def test_every_hip_name_is_declared_by_the_installed_hip_headers():
    w = _hip_words()
    missing = sorted({h for _, h in api.TABLE if h not in w})
    assert not missing, missing
    for table in (api.HEADERS_CUDA_TO_HIP,):
        for h in table.values():
            if h is not None:
                assert any((d.parent / h).is_file() for d in HIP_DIRS), h


def test_every_current_cuda_name_is_declared_by_the_installed_cuda_headers():
    w = _words(tuple(CUDA_DIRS))
    if "cudaMalloc" not in w:
        pytest.skip("no CUDA toolkit headers installed")
    missing = sorted({c for c, _ in api.TABLE if c not in w and c not in api.LEGACY_CUDA})
    assert not missing, missing
    for h in api.HEADERS_HIP_TO_CUDA.values():
        if h is not None:
            assert any((d / h).is_file() for d in CUDA_DIRS), h


def test_the_table_is_consistent_both_ways():
    assert api.CUDA_TO_HIP["cudaThreadSynchronize"] == "hipDeviceSynchronize"
    assert api.HIP_TO_CUDA["hipDeviceSynchronize"] == "cudaDeviceSynchronize"  # never a legacy name back
    assert not set(api.HIP_TO_CUDA.values()) & api.LEGACY_CUDA
    for c, h in api.TABLE:
        assert c.startswith("cuda") and h.startswith("hip")
        assert api.HIP_TO_CUDA[h] in api.CUDA_TO_HIP and api.CUDA_TO_HIP[api.HIP_TO_CUDA[h]] == h


def test_the_executor_runtimes_declare_the_common_names():
    from xpiler.passes._port_simt import _runtime_names

    for name in ("cudaMalloc", "cudaMemcpyToSymbol", "cudaStreamCreate", "cudaEventElapsedTime",
                 "cudaDeviceSynchronize"):
        assert name in _runtime_names("cuda") and api.CUDA_TO_HIP[name] in _runtime_names("hip")
