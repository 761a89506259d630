"""Dialect backends, installed as `xpiler.backends.<dialect>` and registered through entry points."""
