"""The main screen's widgets: each takes attributes from its screen and posts messages up.

Imported on first use (``from trainer.tui.widgets import KataEditor`` still works), so the
first frame does not pay for the editor.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.tui.widgets.checks import CheckList
    from trainer.tui.widgets.description import KataDescription
    from trainer.tui.widgets.editor import KataEditor
    from trainer.tui.widgets.header import KatasHeader
    from trainer.tui.widgets.kata_tree import KataTree
    from trainer.tui.widgets.notice import NoticeBar
    from trainer.tui.widgets.output import OutputPane

__all__ = [
    "CheckList",
    "KataDescription",
    "KataEditor",
    "KataTree",
    "KatasHeader",
    "NoticeBar",
    "OutputPane",
]

_MODULES = {
    "CheckList": "checks",
    "KataDescription": "description",
    "KataEditor": "editor",
    "KatasHeader": "header",
    "KataTree": "kata_tree",
    "NoticeBar": "notice",
    "OutputPane": "output",
}


def __getattr__(name: str) -> object:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)
