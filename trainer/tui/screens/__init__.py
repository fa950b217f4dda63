"""The trainer's screens: the main screen, the progress screen and the dialogs.

Imported on first use (``from trainer.tui.screens import ProgressScreen`` still works), so
opening the main screen does not pay for the dialogs and the progress screen.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.tui.screens.confirm import ConfirmScreen
    from trainer.tui.screens.device import DeviceScreen
    from trainer.tui.screens.main import MainScreen
    from trainer.tui.screens.progress import ProgressScreen

__all__ = ["ConfirmScreen", "DeviceScreen", "MainScreen", "ProgressScreen"]

_MODULES = {
    "ConfirmScreen": "confirm",
    "DeviceScreen": "device",
    "MainScreen": "main",
    "ProgressScreen": "progress",
}


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)
