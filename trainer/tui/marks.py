"""Marks and theme colours shared by the widgets.

Colours are Textual theme variables ($success, $error, ...), resolved against the running
app's theme, so they hold on light and dark themes alike.
"""

from __future__ import annotations

from textual.app import App
from textual.color import Color, ColorParseError

from trainer.progress import KataStatus
from trainer.verdict import CheckStatus, Status

KATA_MARK: dict[KataStatus | str, tuple[str, str]] = {
    "new": ("•", "foreground-muted"),
    "attempted": ("✗", "error"),
    "solved": ("✓", "success"),
    "gpu": ("⚠", "warning"),
}

CHECK_MARK: dict[CheckStatus | str, tuple[str, str, str]] = {
    "pending": ("·", "foreground-muted", "pending"),
    "running": ("◌", "accent", "running"),
    CheckStatus.PASSED: ("✓", "success", "passed"),
    CheckStatus.FAILED: ("✗", "error", "failed"),
    CheckStatus.ERROR: ("!", "warning", "error"),
    CheckStatus.TIMEOUT: ("⏱", "warning", "timeout"),
    CheckStatus.SKIPPED: ("⊘", "foreground-muted", "not verifiable here"),
    CheckStatus.NOT_RUN: ("·", "foreground-muted", "not run"),
}

STATUS_MARK: dict[Status, tuple[str, str]] = {
    Status.PASSED: ("✓", "success"),
    Status.FAILED: ("✗", "error"),
    Status.ERROR: ("!", "warning"),
    Status.TIMEOUT: ("⏱", "warning"),
    Status.CRASHED: ("☠", "error"),
    Status.UNAVAILABLE: ("⊘", "foreground-muted"),
}

STATUS_WORD: dict[Status, str] = {
    Status.PASSED: "passed",
    Status.FAILED: "failed",
    Status.ERROR: "error",
    Status.TIMEOUT: "timed out",
    Status.CRASHED: "crashed",
    Status.UNAVAILABLE: "not verified here",
}


_PALETTES: dict[tuple[int, str], dict[str, str]] = {}
_VARIABLES: dict[tuple[int, str], dict[str, str]] = {}


def colour(app: App[object], variable: str) -> str:
    """The theme's value for ``$variable`` as a colour Rich understands (alpha blended in).

    Resolved once per app and theme: generating the theme's variables is not cheap.
    """
    key = (id(app), app.theme)
    palette = _PALETTES.get(key)
    if palette is None:
        palette = _PALETTES[key] = {}
    found = palette.get(variable)
    if found is None:
        variables = _VARIABLES.get(key)
        if variables is None:
            variables = _VARIABLES[key] = app.get_css_variables()
        found = palette[variable] = _resolve(variables, variable)
    return found


def _resolve(variables: dict[str, str], variable: str) -> str:
    value = variables.get(variable, "")
    if not value:
        return "default"
    try:
        parsed = Color.parse(value)
        if parsed.a < 1:
            parsed = Color.parse(variables.get("background", "#000000")) + parsed
    except ColorParseError:
        return "default"
    return parsed.hex6


def stars(difficulty: int) -> str:
    return "★" * difficulty + "☆" * (5 - difficulty)
