"""Asks for one line of text (a path, a name) in a modal; dismisses with the text or None."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Label

from greentui.report.printable import printable


class PromptDialog(ModalScreen[str | None]):
    """Enter accepts a non-empty value; escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, question: str, value: str = "", hint: str = "enter: OK   escape: cancel",
                 allow_empty: bool = False) -> None:
        super().__init__(classes="dialog-screen")
        self.question = printable(question)  # it quotes run names: stored text, shown escaped
        self.value = value
        self.hint = hint
        self.allow_empty = allow_empty  # an empty answer means "none" (tags, a note), not "cancel"

    def compose(self) -> ComposeResult:
        """Question, input, hint."""
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-question", markup=False)  # names and paths
            yield Input(self.value, id="prompt-input")
            yield Label(self.hint, classes="dialog-hint", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Accept the text (blank counts as cancel, unless blank is an answer here)."""
        self.dismiss(event.value.strip() if self.allow_empty else event.value.strip() or None)

    def action_cancel(self) -> None:
        """Give up."""
        self.dismiss(None)


def ask_path_and_write(screen: Screen, question: str, default: str, write: Callable[[Path], str]) -> None:
    """Ask for a file path, then `write(path)` on a thread (never the event loop: a store's records, a slow
    disk); notifies its message, or the OS error naming the path. `write` must touch no widget."""

    def write_off_loop(target: Path) -> None:
        try:
            message = write(target)
        except OSError as err:
            screen.app.call_from_thread(screen.notify, f"cannot write {target}: {err.strerror}", severity="error")
            return
        except Exception as err:  # noqa: BLE001 - a store that cannot be read (StoreError): said, never a crash
            screen.app.call_from_thread(screen.notify, f"cannot write {target}: {err}", severity="error")
            return
        screen.app.call_from_thread(screen.notify, message)

    def answered(text: str | None) -> None:
        if text:
            screen.run_worker(partial(write_off_loop, Path(text).expanduser()), thread=True, group="write-file",
                              exit_on_error=False)

    screen.app.push_screen(PromptDialog(question, default), answered)
