"""One labelled form row for one config key: the right control for its type, and its error beside it."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Input, Label, Select

from greentui.config import CHOICES, RunConfig

_DEFAULTS = RunConfig()


def on_off(value: bool) -> str:
    """A checkbox's label: its state in words, readable without colour."""
    return "on" if value else "off"


def text_of(value: Any) -> str:
    """How a config value is written in an input box (floats keep full precision)."""
    return repr(value) if isinstance(value, float) else str(value)


class ConfigField(Vertical):
    """A form row: label and control (select, checkbox or text input); the reason shows under it when invalid.

    The reason takes its own line so it stays readable in an 80-column terminal.
    """

    def __init__(self, key: str, label: str | None = None, choices: tuple[str, ...] | None = None,
                 sub: bool = False, blank: str | None = None) -> None:
        classes = "field sub-field" if sub else "field"
        super().__init__(id=f"field-{key}", classes=classes)
        self.key = key
        self.label_text = label or key
        self.choices = choices or CHOICES.get(key)
        self.blank = blank  # a select that may show no choice, with this prompt

    def compose(self) -> ComposeResult:
        """Label and control; the error line is added the first time there is an error."""
        with Horizontal(classes="field-row"):
            yield from self._compose_row()

    def _compose_row(self) -> ComposeResult:
        prefix = "└ " if self.has_class("sub-field") else ""
        yield Label(prefix + self.label_text, classes="field-label")
        default = getattr(_DEFAULTS, self.key, "")
        if self.choices:
            yield Select([(c, c) for c in self.choices], allow_blank=self.blank is not None,
                         prompt=self.blank or "", value=Select.NULL if self.blank else self.choices[0],
                         compact=True, id=f"input-{self.key}", classes="field-control")
        elif isinstance(default, bool):
            yield Checkbox(on_off(default), default, compact=True, id=f"input-{self.key}", classes="field-control")
        else:
            yield Input(text_of(default), compact=True, id=f"input-{self.key}", classes="field-control")

    @property
    def control(self) -> Input | Select | Checkbox:
        """The widget that holds the value."""
        return self.query_one(".field-control")  # type: ignore[return-value]

    @property
    def raw_value(self) -> Any:
        """The value as the user left it: text for inputs, the choice for selects, a bool for checkboxes."""
        return self.control.value

    def set_value(self, value: Any) -> None:
        """Show `value` in the control."""
        control = self.control
        if isinstance(control, Input):
            control.value = text_of(value)
        elif isinstance(control, Select):
            if value is None:
                control.clear()
            else:
                control.value = str(value)
        else:
            control.value = bool(value)
            control.label = on_off(bool(value))

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """Keep the on/off word in step with the box (the event still bubbles to the screen)."""
        event.checkbox.label = on_off(event.value)

    def show_error(self, message: str | None) -> None:
        """Show why the value is refused (None clears it)."""
        lines = self.query(".field-error")
        if lines:
            lines.first(Label).update(f"✗ {message}" if message else "")
        elif message:
            # Mounted on demand: a line per field from the start made the form a sixth bigger,
            # and every widget costs start-up time.
            self.mount(Label(f"✗ {message}", classes="field-error", markup=False))
        self.set_class(bool(message), "invalid")
