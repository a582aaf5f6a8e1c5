"""One labelled form row for one config key: the right control for its type, and its error beside it."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Checkbox, Input, Label, Select

from greentui.config import CHOICES, RunConfig

_DEFAULTS = RunConfig()


def text_of(value: Any) -> str:
    """How a config value is written in an input box (floats keep full precision)."""
    return repr(value) if isinstance(value, float) else str(value)


class ConfigField(Horizontal):
    """A form row: label, control (select, checkbox or text input) and a reason label shown when invalid."""

    def __init__(self, key: str, label: str | None = None, choices: tuple[str, ...] | None = None,
                 sub: bool = False) -> None:
        classes = "field sub-field" if sub else "field"
        super().__init__(id=f"field-{key}", classes=classes)
        self.key = key
        self.label_text = label or key
        self.choices = choices or CHOICES.get(key)

    def compose(self) -> ComposeResult:
        """Label, control, error."""
        prefix = "└ " if self.has_class("sub-field") else ""
        yield Label(prefix + self.label_text, classes="field-label")
        default = getattr(_DEFAULTS, self.key, "")
        if self.choices:
            yield Select([(c, c) for c in self.choices], allow_blank=False, value=self.choices[0],
                         compact=True, id=f"input-{self.key}", classes="field-control")
        elif isinstance(default, bool):
            yield Checkbox("", default, compact=True, id=f"input-{self.key}", classes="field-control")
        else:
            yield Input(text_of(default), compact=True, id=f"input-{self.key}", classes="field-control")
        yield Label("", classes="field-error")

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
            control.value = str(value)
        else:
            control.value = bool(value)

    def show_error(self, message: str | None) -> None:
        """Show why the value is refused (None clears it)."""
        self.query_one(".field-error", Label).update(message or "")
        self.set_class(bool(message), "invalid")
