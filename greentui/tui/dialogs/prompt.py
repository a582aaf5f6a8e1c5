"""Asks for one line of text (a path, a name) in a modal; dismisses with the text or None."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class PromptDialog(ModalScreen[str | None]):
    """Enter accepts a non-empty value; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", hint: str = "enter: OK   escape: cancel") -> None:
        super().__init__(classes="dialog-screen")
        self.question = question
        self.value = value
        self.hint = hint

    def compose(self) -> ComposeResult:
        """Question, input, hint."""
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question")
            yield Input(self.value, id="prompt-input")
            yield Label(self.hint, classes="dialog-hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Accept the text (blank counts as cancel)."""
        self.dismiss(event.value.strip() or None)

    def action_cancel(self) -> None:
        """Give up."""
        self.dismiss(None)
