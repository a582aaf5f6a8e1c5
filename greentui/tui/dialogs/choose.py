"""Pick one of a list in a modal; dismisses with the chosen key, or None on escape."""

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
    """`choices` are (key, label); enter or a click chooses the highlighted one, escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, choices: Sequence[tuple[str, str]]) -> None:
        super().__init__(classes="dialog-screen")
        self.question = printable(question)
        self.choices = tuple(choices)

    def compose(self) -> ComposeResult:
        """The question, the list, a hint."""
        with Vertical(classes="dialog choice-dialog"):
            yield Label(self.question, classes="dialog-question", markup=False)
            # Text, not strings: the labels hold run names, which are stored text, never markup.
            yield OptionList(*(Option(Text(printable(label), no_wrap=True), id=key) for key, label in self.choices),
                             id="choices")
            yield Label("enter: choose   escape: cancel", classes="dialog-hint")

    def on_mount(self) -> None:
        """The list has the keys."""
        self.query_one(OptionList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """A choice ends the dialog."""
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        """Escape: no choice."""
        self.dismiss(None)
