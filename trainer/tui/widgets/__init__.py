"""The main screen's widgets: each takes attributes from its screen and posts messages up."""

from trainer.tui.widgets.checks import CheckList
from trainer.tui.widgets.description import KataDescription
from trainer.tui.widgets.editor import KataEditor
from trainer.tui.widgets.header import KatasHeader
from trainer.tui.widgets.kata_tree import KataTree
from trainer.tui.widgets.output import OutputPane

__all__ = ["CheckList", "KataDescription", "KataEditor", "KataTree", "KatasHeader", "OutputPane"]
