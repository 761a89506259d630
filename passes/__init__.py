"""Compiler passes (one module each), installed as `xpiler.passes`. Filled by the transcompiler issue."""
