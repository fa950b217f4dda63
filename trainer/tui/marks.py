"""Theme colours for the widgets; the marks themselves are :mod:`trainer.marks`.

Colours are Textual theme variables ($success, $error, ...), resolved against the running
app's theme, so they hold on light and dark themes alike.
"""

from __future__ import annotations

from textual.app import App
from textual.color import Color, ColorParseError

from trainer.marks import THEME_VARIABLE, Mark

__all__ = ["colour", "paint"]


def paint(app: App[object], mark: Mark) -> str:
    """The colour of ``mark``'s tone in ``app``'s theme (:data:`trainer.marks.THEME_VARIABLE`)."""
    return colour(app, THEME_VARIABLE[mark.tone])


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
