"""The trainer's screens: the main screen, the progress screen and the dialogs."""

from trainer.tui.screens.confirm import ConfirmScreen
from trainer.tui.screens.device import DeviceScreen
from trainer.tui.screens.main import MainScreen
from trainer.tui.screens.progress import ProgressScreen

__all__ = ["ConfirmScreen", "DeviceScreen", "MainScreen", "ProgressScreen"]
