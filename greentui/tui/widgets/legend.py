"""A title and coloured labels as Textual text: the legend of a chart, or of the runs on a screen."""

from __future__ import annotations

from typing import Any, Sequence

from rich.text import Text
from textual.widget import Widget

from greentui.tui.models.run_styles import RGB, hex_of
from greentui.tui.widgets.cell_diff import changed_regions


class Legend(Widget):
    """A bold title and coloured entries, packed into as many rows as the width needs; an entry is
    never split between rows (a wider one is cut with `…`), so no label is lost off the edge."""

    DEFAULT_CSS = "Legend { height: auto; width: 1fr; }"

    def __init__(self, *, id: str | None = None, classes: str | None = None,  # noqa: A002 - Textual's keyword
                 centred: bool = False) -> None:
        super().__init__(id=id, classes=classes)
        self.centred = centred
        self.heading = ""
        self.entries: tuple[tuple[str, RGB], ...] = ()

    def show(self, title: str, entries: Sequence[tuple[str, RGB]]) -> None:
        """Replace the title and the (label, colour) entries; labels may be stored text: never markup."""
        if (title, tuple(entries)) == (self.heading, self.entries):
            return  # unchanged: a repaint would only resend the same cells
        shown = self.rows(self.size.width) if self.size.width else None
        self.heading, self.entries = title, tuple(entries)
        regions = changed_regions(shown, self.rows(self.size.width)) if shown is not None else None
        if regions is None:
            self.refresh(layout=True)  # a row more or fewer (or not laid out yet)
        elif regions:
            self.refresh(*regions)  # the same rows: only the cells that changed (a live title's figures)

    def rows(self, width: int) -> list[Text]:
        """The title and entries, packed greedily into rows of at most `width` cells."""
        width = max(width, 8)
        pieces = ([Text(self.heading, style="bold")] if self.heading else []) + [
            Text(f"━ {label}", style=hex_of(colour)) for label, colour in self.entries]
        rows: list[Text] = []
        for piece in pieces:
            if piece.cell_len > width:
                piece.truncate(width, overflow="ellipsis")
            if rows and rows[-1].cell_len + 2 + piece.cell_len <= width:
                rows[-1].append("  ").append_text(piece)
            else:
                rows.append(piece)
        if self.centred:
            for row in rows:
                row.pad_left((width - row.cell_len) // 2)
        return rows or [Text("")]

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """As many rows as the entries need at this width."""
        return len(self.rows(width))

    def render(self) -> Text:
        """Plain Text, never markup."""
        return Text("\n", no_wrap=True).join(self.rows(self.size.width))
