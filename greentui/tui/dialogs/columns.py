"""The history's columns chooser: a checklist of every column, in the table's order, that the user
ticks and reorders; dismisses with the chosen column keys in order, or None when nothing changed."""

from __future__ import annotations

from typing import AbstractSet, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, SelectionList
from textual.widgets.selection_list import Selection

from greentui.tui.models.history_columns import ALL_COLUMNS, BY_KEY, DEFAULT_KEYS, Column

HINT = "space: show/hide  u/d: move  r: defaults  enter: done"  # u/d or shift+↑/↓ move


class ColumnList(SelectionList[str]):
    """The checklist; enter closes the dialog (space and a click tick), as in most checklists."""

    BINDINGS = [Binding("enter", "screen.done", "Done", show=False)]


class ColumnsDialog(ModalScreen[tuple[str, ...] | None]):
    """Columns to show and their order; `fitting` are the keys the table has room for now."""

    BINDINGS = [Binding("escape", "done", "Done"), Binding("shift+up,u", "move(-1)", "Move up"),
                Binding("shift+down,d", "move(1)", "Move down"), Binding("r", "defaults", "Defaults")]

    def __init__(self, chosen: Sequence[Column], fitting: AbstractSet[str]) -> None:
        super().__init__(classes="dialog-screen")
        self.initial = tuple(c.key for c in chosen)
        self.order = [*self.initial, *(c.key for c in ALL_COLUMNS if c.key not in self.initial)]
        self.ticked = set(self.initial)
        self.fitting = fitting

    def compose(self) -> ComposeResult:
        """Question, checklist, hint."""
        with Vertical(classes="dialog"):
            yield Label("Columns of the history table, left to right:", classes="dialog-question")
            yield ColumnList(id="columns-list")
            yield Label(HINT, classes="dialog-hint")

    def on_mount(self) -> None:
        """Fill the checklist."""
        self._fill(0)

    def _fill(self, highlighted: int) -> None:
        checklist = self.query_one(ColumnList)
        checklist.clear_options()
        checklist.add_options([Selection(self._prompt(BY_KEY[key]), key, key in self.ticked) for key in self.order])
        checklist.highlighted = highlighted

    def _prompt(self, column: Column) -> Text:
        prompt = Text(f"{column.title:<11}", style="bold")
        if column.key in self.ticked and column.key not in self.fitting:  # before the description, which may be cut
            prompt.append(" no room now:", style="italic")
        prompt.append(f" {column.description}")
        return prompt

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        """Keep the ticks in step with the list (they decide what `done` returns)."""
        self.ticked = set(self.query_one(ColumnList).selected)

    def action_move(self, step: int) -> None:
        """Move the highlighted column up or down the order."""
        index = self.query_one(ColumnList).highlighted
        if index is None or not 0 <= index + step < len(self.order):
            return
        self.order[index], self.order[index + step] = self.order[index + step], self.order[index]
        self._fill(index + step)

    def action_defaults(self) -> None:
        """Back to the columns greentui starts with."""
        self.order = [*DEFAULT_KEYS, *(c.key for c in ALL_COLUMNS if c.key not in DEFAULT_KEYS)]
        self.ticked = set(DEFAULT_KEYS)
        self._fill(0)

    def action_done(self) -> None:
        """Close with the ticked columns in order (a table needs one at least)."""
        chosen = tuple(key for key in self.order if key in self.ticked)
        if not chosen:
            self.notify("tick one column at least (space)", severity="warning")
            return
        self.dismiss(chosen if chosen != self.initial else None)
