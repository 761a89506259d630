"""Tensorize: replace a loop nest by a target intrinsic where its semantics match exactly, with operands in
the memory spaces and sizes the intrinsic requires; anything else stays scalar."""

from __future__ import annotations

from ._dispatch import DialectDispatch

# dialect -> private module implementing `run(program, ctx) -> PassResult` (and optional `applies`)
PASS = DialectDispatch("tensorize", {"bang": "_tensorize_bang", "vnni": "_tensorize_vnni"}, optional=True)
