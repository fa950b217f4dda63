"""The catalog as a tree: topics with solved counts, katas with a status mark."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from trainer.kata.catalog import Catalog
from trainer.kata.model import Kata
from trainer.learner.progress import ProgressStatus
from trainer.marks import NEEDS_DEVICE, PROGRESS
from trainer.tui.marks import colour, paint


class KataTree(Tree[str]):
    """Topics (``tensors 3/7``) and their katas (``✓ param-not-tensor``).

    Selecting a kata (enter, or a click) posts ``Tree.NodeSelected`` with the kata id as the
    node's data; the screen opens it. Topic nodes carry no data; enter or a click folds and
    unfolds them.

    ``folded`` (the practice's rule, :meth:`~trainer.learner.practice.Practice.folds`) starts
    every topic closed and keeps only the open kata's topic unfolded as the learner moves on,
    so ~90 katas read as a dozen topic lines.
    """

    def __init__(
        self,
        catalog: Catalog,
        *,
        runnable: Callable[[Kata], bool],
        folded: bool = False,
        id: str | None = None,
    ) -> None:
        # Text labels, not strings: a string label is parsed as markup (and the first parse
        # loads Rich's emoji table), which the first frame does not need
        super().__init__(Text("katas"), id=id)
        self.show_root = False
        self.guide_depth = 2
        self.catalog = catalog
        self.runnable = runnable
        """Whether this machine can grade a kata (the app's rule, shared with ``next``)."""
        self.folded = folded
        self._statuses: Mapping[str, ProgressStatus] = {}
        self._labelled: tuple[Mapping[str, ProgressStatus], str] | None = None
        self._topics: dict[str, TreeNode[str]] = {}
        self._kata_nodes: dict[str, TreeNode[str]] = {}
        for topic, katas in catalog.by_topic().items():
            node = self.root.add(Text(topic), expand=not folded)
            self._topics[topic] = node
            for kata in katas:
                self._kata_nodes[kata.id] = node.add_leaf(Text(kata.id), data=kata.id)

    def needs_gpu(self, kata: Kata) -> bool:
        return not self.runnable(kata)

    def show_statuses(self, statuses: Mapping[str, ProgressStatus]) -> None:
        """Relabel every node from ``statuses`` (kata id to new/attempted/solved)."""
        self._statuses = dict(statuses)
        self._relabel()

    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._relabel())
        if self._labelled != (self._statuses, self.app.theme):  # the screen may have done it
            self._relabel()

    def _relabel(self) -> None:
        if not self.is_attached:
            return
        self._labelled = (self._statuses, self.app.theme)
        for topic, katas in self.catalog.by_topic().items():
            solved = sum(self._statuses.get(k.id) == "solved" for k in katas)
            label = Text(topic, style="bold")
            label.append(f"  {solved}/{len(katas)}", style=colour(self.app, "foreground-muted"))
            self._topics[topic].set_label(label)
            for kata in katas:
                status = self._statuses.get(kata.id, "new")
                mark = (
                    NEEDS_DEVICE
                    if status != "solved" and self.needs_gpu(kata)
                    else PROGRESS[status]
                )
                text = Text(mark.glyph, style=paint(self.app, mark))
                text.append(f" {kata.id}")
                self._kata_nodes[kata.id].set_label(text)

    def select_kata(self, kata_id: str) -> None:
        """Move the cursor to ``kata_id`` (without posting a selection)."""
        node = self._kata_nodes.get(kata_id)
        if node is None:
            return
        parent = node.parent
        changed = False
        for topic in self._topics.values():
            if topic is parent:
                changed |= not topic.is_expanded
                topic.expand()
            elif self.folded and topic.is_expanded:  # folded: only the learner's topic open
                changed = True
                topic.collapse()
        if changed:  # the tree's lines are rebuilt on the next refresh: place the cursor then
            self.call_after_refresh(self._place, parent, node)
        else:
            self._place(parent, node)

    def _place(self, parent: TreeNode[str] | None, node: TreeNode[str]) -> None:
        self.move_cursor(node)
        if parent is not None:
            # keep the topic's line (and its count) in view when the kata is near it
            self.call_after_refresh(self._reveal, parent, node)

    def _reveal(self, parent: TreeNode[str], node: TreeNode[str]) -> None:
        if 0 <= node.line - parent.line < self.size.height:
            self.scroll_to_node(parent, animate=False)
            self.scroll_to_node(node, animate=False)
