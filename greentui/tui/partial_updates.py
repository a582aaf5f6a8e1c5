"""Textual's partial screen updates, cropped on the left as well as on the right.

When a widget refreshes a region inside a line (a chart's newest cells, a status line's clock),
Textual 8.2 writes that line from the widget's left edge up to the region's end: the cells before
the change are sent again, each run of them with its colour codes. Over SSH this was most of the
live view's traffic. `install` replaces the one method that writes a partial update
(`ChopsUpdate.render_segments`, private to Textual, which is why pyproject pins Textual to 8.2 and
tests/test_dependency_contracts.py checks it against the original) with one that starts each
piece at the region's left edge, where that edge cuts no character in two.
"""

from __future__ import annotations

from rich.console import Console
from rich.control import Control
from textual._compositor import ChopsUpdate
from textual.strip import Strip

TEXTUAL_WRITER = ChopsUpdate.render_segments  # Textual's own, for the test that holds this one to it


def render_segments(self: ChopsUpdate, console: Console) -> str:
    """The terminal sequences of this update: each span's cells only, from its left edge to its right."""
    sequences: list[str] = []
    append = sequences.append
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(self.chop_ends[y], self.chops[y].items(), strict=False):
            if strip is None or x > x2 or end <= x1:
                continue
            start = x
            if x < x1 and _one_cell_per_character(strip):
                start = x1  # every cell before the cut is a character of its own: nothing is split
            append(Control.move_to(start, y).segment.text)
            append(strip.crop(start - x, min(end, x2) - x).render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _one_cell_per_character(strip: Strip) -> bool:
    """True when each character of the strip takes one cell (no wide character, no control code)."""
    return strip.cell_length == len(strip.text) and not any(segment.control for segment in strip)


def install() -> None:
    """Use the left-cropping writer for every partial update from now on (idempotent)."""
    ChopsUpdate.render_segments = render_segments  # type: ignore[method-assign]
