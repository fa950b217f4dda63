"""The task: the kata's description, the hints revealed so far, and after a pass, why."""

from __future__ import annotations

from textual.widgets import Markdown

from trainer.model import Kata


def task_markdown(
    kata: Kata,
    *,
    hints: int = 0,
    explanation: bool = False,
    solution: str | None = None,
    location: str | None = None,
) -> str:
    """The Markdown the Task tab shows for ``kata`` in its current state."""
    spec = kata.spec
    parts = [spec.description.rstrip()]
    if location:
        parts.append(f"Your file: `{location}`")
    for index in range(min(hints, len(spec.hints))):
        parts.append(f"**Hint {index + 1} of {len(spec.hints)}.** {spec.hints[index]}")
    if explanation:
        parts.append("## ✓ Solved: why it works\n\n" + spec.explanation.rstrip())
        if spec.references:
            parts.append("\n".join(f"- [{r.title}]({r.url})" for r in spec.references))
    if solution is not None:
        parts.append(f"## Reference solution\n\n```python\n{solution.rstrip()}\n```")
    return "\n\n".join(parts) + "\n"


class KataDescription(Markdown):
    """Markdown; the screen calls :meth:`show` whenever what it should say changes."""

    def show(self, text: str, *, end: bool = False) -> None:
        """Show ``text``, scrolled to the top, or to the end (a new hint, the explanation)."""
        if text == self.source:
            return
        done = self.update(text)

        async def scroll() -> None:
            await done
            # after the layout settles (the tree may just have come back, rewrapping the text)
            if end:
                self.call_after_refresh(self.scroll_end, animate=False)
            else:
                self.call_after_refresh(self.scroll_home, animate=False)

        self.run_worker(scroll(), group="scroll", exclusive=True)
