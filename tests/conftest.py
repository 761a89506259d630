"""Shared fixtures. The build cache is per test session unless XPILER_CACHE is set by the caller, so CI
starts from nothing and a developer's re-runs stay fast."""

from __future__ import annotations

import shutil

import pytest

from xpiler.registry import available_dialects


def have(tool: str) -> bool:
    return shutil.which(tool) is not None


@pytest.fixture(scope="session")
def dialects() -> list[str]:
    return available_dialects()
