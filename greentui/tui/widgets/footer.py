"""Textual's footer, rebuilt only when the keys it shows change."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer as TextualFooter


class Footer(TextualFooter):
    """The key bar at the bottom of every screen.

    Textual's footer rebuilds its key widgets each time the screen's bindings are refreshed
    (every focus change, mount and screen resume), even when the keys shown stay the same:
    opening the history screen rebuilt it seven times, restyling a dozen keys each time, a
    third of the screen's start-up. This one compares the keys first.

    `bindings_changed` is Textual's own handler of the screen's bindings signal, public by name
    but undocumented, so its contract (called on every bindings refresh; rebuilds only with app
    focus, attached, on its own screen) is verified on Textual 8.2 by
    tests/test_dependency_contracts.py, and pyproject.toml pins that range.
    """

    def __init__(self) -> None:
        super().__init__()
        self._keys_shown: tuple | None = None  # what the last rebuild showed; None before the first

    def bindings_changed(self, screen: Screen) -> None:
        """Rebuild (Textual's way) only when the shown keys, labels or enabled states differ."""
        keys = tuple((binding.key, binding.action, binding.description, enabled, tooltip)
                     for _node, binding, enabled, tooltip in screen.active_bindings.values() if binding.show)
        if keys == self._keys_shown:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._keys_shown = keys  # Textual rebuilds only under these conditions: remember only then
        super().bindings_changed(screen)
