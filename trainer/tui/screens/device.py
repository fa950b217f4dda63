"""Pick the device gradings run on: cpu, auto, and cuda where this machine has a GPU."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

DESCRIPTIONS = {
    "cpu": "cpu   grade on the CPU",
    "auto": "auto  the GPU when there is one, else the CPU",
    "cuda": "cuda  grade on the GPU",
}


class DeviceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen device, or None on escape."""

    CSS_PATH = Path(__file__).with_name("dialogs.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "dismiss(None)", "cancel")]

    def __init__(self, devices: list[str], current: str) -> None:
        super().__init__()
        self.devices = devices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Grade on which device?", id="question")
            yield OptionList(
                *(Option(DESCRIPTIONS.get(d, d), id=d) for d in self.devices), id="devices"
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current in self.devices:
            options.highlighted = self.devices.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)
