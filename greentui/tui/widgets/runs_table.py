"""The history's run table: the columns that fit its width, and a window of the sorted runs.

Textual measures every cell of every row it is given, which for thousands of runs takes seconds
(10,000 rows: over two), while a screen shows a few dozen. So the table holds a window of a few
pages of the runs and moves it: the cursor or the mouse wheel coming within a screen of its edge
brings the next page, End and Home jump to the last and first run, and the window never grows
past `MAX_WINDOW_ROWS`, so a redraw after a reload stays a few hundred rows however far one
scrolled. Row indices outside this file are indices into `runs`, never table rows.
"""

from __future__ import annotations

from typing import AbstractSet, Sequence

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widgets import DataTable

from greentui.store.run_store import RunSummary
from greentui.tui.models.history import DATE_COLUMN, MARK_WIDTH, header_label, marked, row_cells, row_texts
from greentui.tui.models.history_columns import DEFAULT_COLUMNS, Column, fit_columns, natural_widths

PAGE_ROWS = 100  # rows added at a time: a few screens' worth
MAX_WINDOW_ROWS = 4 * PAGE_ROWS


class RunsTable(DataTable):
    """A DataTable over `runs[start:start + row_count]`, with the columns fitted to its width."""

    BINDINGS = [  # DataTable's own end/home move to the last/first column, which a row cursor does not have
        Binding("end,ctrl+end,G", "last_run", "Last run", show=False),
        Binding("home,ctrl+home,g", "first_run", "First run", show=False),
    ]

    def __init__(self, id: str | None = None) -> None:  # noqa: A002 - Textual's name for it
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)
        self.runs: Sequence[RunSummary] = ()
        self.start = 0
        self.chosen: tuple[Column, ...] = DEFAULT_COLUMNS
        self.shown_columns: tuple[Column, ...] = ()  # those of `chosen` that fit, in its order
        self.sort_key = DATE_COLUMN
        self.reverse = False
        self.selected: AbstractSet[str] = frozenset()
        self._layout: tuple[tuple[str, int], ...] = ()

    # ---- what the screen asks of it

    def show_runs(self, runs: Sequence[RunSummary], chosen: Sequence[Column], sort_key: str, reverse: bool,
                  selected: AbstractSet[str], at: int | None) -> None:
        """Show `runs` under the `chosen` columns (those that fit), the cursor on runs[at] (None: the first)."""
        self.runs, self.chosen, self.sort_key, self.reverse, self.selected = runs, tuple(chosen), sort_key, reverse, selected
        at = min(at or 0, max(len(runs) - 1, 0))
        size = max(PAGE_ROWS, self.row_count)
        if not self.start <= at < self.start + size:
            self.start = min(max(at - PAGE_ROWS // 2, 0), max(len(runs) - PAGE_ROWS, 0))
        self.start = min(self.start, max(len(runs) - 1, 0))
        self._fill(self.start, min(len(runs), self.start + size), at)

    def cursor_index(self) -> int | None:
        """The index in `runs` of the run under the cursor (None: no runs)."""
        index = self.start + self.cursor_row
        return index if self.row_count and 0 <= self.cursor_row < self.row_count and index < len(self.runs) else None

    def move_to(self, index: int) -> None:
        """Put the cursor on runs[index], moving the window there if it is elsewhere."""
        index = max(0, min(index, len(self.runs) - 1))
        if self.start <= index < self.start + self.row_count:
            self.move_cursor(row=index - self.start, animate=False)
        else:
            self.show_runs(self.runs, self.chosen, self.sort_key, self.reverse, self.selected, index)

    # ---- keys, cursor, wheel and width

    def action_last_run(self) -> None:
        """End: the last run (loading the last page, not every page before it)."""
        if self.runs:
            self.move_to(len(self.runs) - 1)

    def action_first_run(self) -> None:
        """Home: the first run."""
        if self.runs:
            self.move_to(0)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor within a screen of the window's edge: bring the next page that way."""
        # The cursor as it is now: the message may be one that a refill's clear() sent from row 0.
        margin, row = max(self.size.height, 1), self.cursor_row
        if row >= self.row_count - margin and self.start + self.row_count < len(self.runs):
            self._grow_down()
        elif row < margin and self.start > 0:
            self._grow_up()

    def _on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        super()._on_mouse_scroll_down(event)
        self.call_after_refresh(self._wheel_reached_edge)

    def _on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        super()._on_mouse_scroll_up(event)
        self.call_after_refresh(self._wheel_reached_edge)

    def _wheel_reached_edge(self) -> None:
        # The wheel scrolls the view, not the cursor: the view within a screen of the window's edge
        # brings the next page, as the cursor does.
        view = self.scrollable_content_region.height
        if self.scroll_y + 2 * view >= self.virtual_size.height and self.start + self.row_count < len(self.runs):
            self._grow_down()
        elif self.scroll_y < view and self.start > 0:
            self._grow_up()

    def on_resize(self, event: events.Resize) -> None:
        """Another width may fit other columns: lay them out again (rows and cursor stay)."""
        if self._layout and self._fitted(self._window_texts(self.start, self.start + self.row_count))[1] != self._layout:
            self._fill(self.start, self.start + self.row_count, self.cursor_index())

    # ---- the window

    def _grow_down(self) -> None:
        stop = min(len(self.runs), self.start + self.row_count + PAGE_ROWS)
        start = max(self.start, stop - MAX_WINDOW_ROWS)
        cursor = self.cursor_index()
        if start == self.start:
            texts = self._window_texts(self.start + self.row_count, stop)
            if self._fitted(self._window_texts(self.start, self.start + self.row_count) + texts)[1] == self._layout:
                for summary, cells in zip(self.runs[self.start + self.row_count:stop], texts, strict=True):
                    self.add_row(*self._cells(summary, cells), key=summary.id)  # appended: nothing moves
                return
        self._refill(max(0, min(start, cursor if cursor is not None else start)), stop)

    def _grow_up(self) -> None:
        start = max(0, self.start - PAGE_ROWS)
        cursor = self.cursor_index()
        stop = min(self.start + self.row_count, start + MAX_WINDOW_ROWS)
        self._refill(start, max(stop, (cursor or 0) + 1))

    def _refill(self, start: int, stop: int) -> None:
        """Hold runs[start:stop], the cursor on its run and the view on the same runs as before."""
        top = self.start + round(self.scroll_y)  # the run at the top of the view
        cursor = self.cursor_index()
        self.start = start
        self._fill(start, stop, cursor, scroll=False)
        self.call_after_refresh(self.scroll_to, y=max(0, top - start), animate=False)

    def _fill(self, start: int, stop: int, at: int | None, scroll: bool = True) -> None:
        texts = self._window_texts(start, stop)
        fitted, self._layout = self._fitted(texts)
        self.shown_columns = tuple(column for column, _width in fitted)
        self.clear(columns=True)
        for column, width in fitted:
            self.add_column(header_label(column, self.sort_key, self.reverse), width=width, key=column.key)
        for summary, cells in zip(self.runs[start:stop], texts, strict=True):
            self.add_row(*self._cells(summary, cells), key=summary.id)
        if at is not None and start <= at < stop:
            self.move_cursor(row=at - start, animate=False, scroll=scroll)

    def _window_texts(self, start: int, stop: int) -> list[list[str]]:
        # The cells of every chosen column, shown or not: what fits depends on how wide they are.
        return [row_texts(summary, self.chosen) for summary in self.runs[start:stop]]

    def _cells(self, summary: RunSummary, texts: list[str]) -> tuple[Text, ...]:
        shown = {c.key for c in self.shown_columns}
        return row_cells(marked([text for column, text in zip(self.chosen, texts, strict=True) if column.key in shown],
                                summary.id in self.selected))

    def _fitted(self, texts: list[list[str]]) -> tuple[list[tuple[Column, int]], tuple[tuple[str, int], ...]]:
        width = self.size.width or self.app.size.width  # before the first layout the table spans the screen
        if len(texts) + 1 > self.size.height:  # rows below the fold (or no layout yet): the scrollbar takes its width
            width -= self.styles.scrollbar_size_vertical
        natural = natural_widths(self.chosen, texts, self.sort_key)
        first = self.chosen[0]
        for _ in self.chosen:  # the first shown column carries the selection mark; which is first depends on the fit
            fitted = fit_columns(self.chosen, {**natural, first.key: natural[first.key] + MARK_WIDTH}, width)
            if fitted[0][0] is first:
                break
            first = fitted[0][0]
        return fitted, tuple((column.key, width) for column, width in fitted)

