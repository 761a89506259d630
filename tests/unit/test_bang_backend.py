"""The BANG backend's Python side: dialect facts, the -D facts handed to the runtime, source preparation."""

from __future__ import annotations

import re

import pytest

from xpiler.backends.bang import BACKEND, needs_cooperative, prepare_bang_source
from xpiler.backends.bang.dialect import (
    DEFAULT_GENERATION,
    GENERATIONS,
    KIB,
    MEMORY_SPACES,
    TASK_TYPES,
    compile_defines,
    generation,
)
from xpiler.exec.scan import find_functions
from xpiler.registry import get_backend


def test_backend_attributes_and_files():
    assert get_backend("bang") is BACKEND
    assert BACKEND.extensions == (".mlu",)
    assert BACKEND.kernel_qualifiers == ("__mlu_global__", "__mlu_entry__")
    assert (BACKEND.runtime_dir / BACKEND.runtime_header).is_file()
    for s in BACKEND.runtime_sources:
        assert (BACKEND.runtime_dir / s).is_file()
    for h in ("bang.h", "cnrt.h", "mlu.h"):  # sources that include the Cambricon headers compile
        assert (BACKEND.runtime_dir / h).is_file()
    fns = find_functions('extern "C" __mlu_global__ void k(float* x) {}\n__mlu_func__ void f() {}\n')
    assert [BACKEND.is_kernel(f) for f in fns] == [True, False]


def test_generations_and_default():
    g = generation()
    assert g.name == DEFAULT_GENERATION == "MLU370"
    assert (g.arch, g.nram, g.sram, g.cores_per_cluster) == (372, 768 * KIB, 4096 * KIB, 4)
    assert generation("290").name == "MLU290" and generation("mlu590").name == "MLU590"
    with pytest.raises(ValueError, match="unknown MLU generation"):
        generation("MLU100")
    assert {s.name for s in MEMORY_SPACES} == {"GDRAM", "NRAM", "WRAM", "SRAM", "LDRAM"}
    assert TASK_TYPES["block"] == 0 and TASK_TYPES["union4"] == 4


def test_arch_environment_variable(monkeypatch):
    monkeypatch.setenv("XP_BANG_ARCH", "MLU270")
    d = BACKEND.defines("")
    assert d["__BANG_ARCH__"] == "270" and d["XP_BANG_NRAM_BYTES"] == str(GENERATIONS["MLU270"].nram)


def test_defines_cover_every_fact_the_header_reads():
    header = (BACKEND.runtime_dir / BACKEND.runtime_header).read_text()
    facts_fn = header[header.index("static const xpb_facts f = {") :]
    needed = set(re.findall(r"\b(XP_BANG_[A-Z_]+|__BANG_ARCH__)\b", facts_fn)) - {"XP_BANG_COOPERATIVE"}
    d = compile_defines()
    assert needed <= set(d), needed - set(d)
    assert d["__MLU_NRAM_SIZE__"] == "768" and d["XP_BANG_GEN_NAME"] == '"MLU370"'


def test_cooperative_mode_only_for_barriers_in_code():
    assert needs_cooperative("void k() { __sync_cluster(); }")
    assert needs_cooperative("void k() { __sync_all_ipu(); }")
    assert not needs_cooperative("void k() { /* __sync_cluster() */ __sync_io(); }")
    assert "XP_BANG_COOPERATIVE" in BACKEND.defines("__sync_all();")
    assert "XP_BANG_COOPERATIVE" not in BACKEND.defines("__sync();")


def test_prepare_keeps_lines_and_blanks_static_const():
    src = (
        "static __nram__ float a[4];\n"
        "__nram__ const float b[2] = {1, 2};\n"
        "const __wram__ int8_t w[64];\n"
        "// static __nram__ stays in a comment\n"
        "void f() { __asm__ volatile(\"sync;\"); static int keep = 0; }\n"
    )
    out = prepare_bang_source(src)
    assert len(out) == len(src) and out.count("\n") == src.count("\n")
    lines = out.split("\n")
    assert lines[0].split() == ["__nram__", "float", "a[4];"]
    assert lines[1].split() == ["__nram__", "float", "b[2]", "=", "{1,", "2};"]
    assert lines[2].split() == ["__wram__", "int8_t", "w[64];"]
    assert lines[3] == src.split("\n")[3]
    assert "__sync()" in lines[4] and "asm" not in lines[4] and "static int keep" in lines[4]
