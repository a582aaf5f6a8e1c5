"""Pick one of a few named choices from a list in a modal; dismisses with the chosen value or None."""

from __future__ import annotations

from typing import Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from greentui.report.printable import printable


class ChoiceDialog(ModalScreen[str | None]):
    """`choices` are (value, label) pairs; enter or a click picks the highlighted one, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, choices: Sequence[tuple[str, str]], current: str | None = None,
                 hint: str = "enter: choose   escape: cancel") -> None:
        super().__init__(classes="dialog-screen")
        self.question = printable(question)
        self.choices = list(choices)
        self.current = current
        self.hint = hint

    def compose(self) -> ComposeResult:
        """Question, list, hint."""
        with Vertical(classes="dialog choice-dialog"):
            yield Label(self.question, classes="dialog-question", markup=False)
            # Text prompts: an option list reads a string as markup.
            yield OptionList(*(Option(Text(printable(label), no_wrap=True), id=value) for value, label in self.choices),
                             id="choice-list")
            yield Label(self.hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        """Start on the current choice."""
        values = [value for value, _label in self.choices]
        if self.current in values:
            self.query_one(OptionList).highlighted = values.index(self.current)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click chooses."""
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Give up."""
        self.dismiss(None)
