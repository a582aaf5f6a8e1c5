"""The greentui app as its screens see it, typed: Textual types `self.app` as any App."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.dom import DOMNode

if TYPE_CHECKING:
    from greentui.tui.app import GreenTuiApp


def app_of(node: DOMNode) -> GreenTuiApp:
    """The running GreenTuiApp of a mounted screen or widget (the only app greentui runs)."""
    return cast("GreenTuiApp", node.app)
