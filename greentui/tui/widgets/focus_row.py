"""The form row that holds the focus, marked with the class `has-focus` so its label can light up.

CSS's :focus-within would do it, but Textual restyles only the focused widget and its ancestors
as the focus moves, not the label beside the control: a class change restyles the whole row.
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.screen import Screen

ROW_CLASSES = ("field", "sweep-row")  # the setup form's rows, the sweep form's rows


def mark_focused_row(screen: Screen, focused: DOMNode | None) -> None:
    """Move `has-focus` to the row around `focused` (none: no row has it)."""
    row = None
    if focused is not None:
        row = next((n for n in focused.ancestors_with_self if any(n.has_class(c) for c in ROW_CLASSES)), None)
    for other in screen.query(".has-focus"):
        if other is not row:
            other.remove_class("has-focus")
    if row is not None:
        row.add_class("has-focus")
