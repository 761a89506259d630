"""Detensorize: replace every intrinsic call of the program's dialect (wmma, MFMA, warp shuffles,
__bang_*, __memcpy, _mm512_*) by the scalar code it stands for, so that later passes see plain loops."""

from __future__ import annotations

from ._dispatch import DialectDispatch

# dialect -> private module implementing `run(program, ctx) -> PassResult` (and optional `applies`)
PASS = DialectDispatch("detensorize", {"cuda": "_detensorize_simt", "hip": "_detensorize_simt", "bang": "_detensorize_bang", "vnni": "_detensorize_vnni"})
