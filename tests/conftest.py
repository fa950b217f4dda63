"""Shared test set-up: no test may read or write the real home or a real workspace."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """A throwaway HOME, and no workspace or extra packs inherited from the developer's shell."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("KATAS_WORKSPACE", raising=False)
    monkeypatch.delenv("KATAS_PATH", raising=False)
    for cache in ("XDG_CACHE_HOME", "KATAS_CACHE_DIR", "KATAS_NO_CACHE"):
        monkeypatch.delenv(cache, raising=False)  # the pack cache goes under the throwaway HOME
    return home
