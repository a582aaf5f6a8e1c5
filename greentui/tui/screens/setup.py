"""The home screen: every run-config key in groups, inline validation, presets, TOML save/load, Run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Header, Input, Label, Select, Static

from greentui.config import KEYS, ConfigError, RunConfig, load_toml, save_toml
from greentui.config_keys import groups
from greentui.presets import DEFAULT_PRESET, PRESETS
from greentui.runs.capabilities import MachineFacts, needs_facts, refusal
from greentui.store.record import RunRecord
from greentui.tui.app_access import app_of
from greentui.tui.dialogs.prompt import PromptDialog, ask_path_and_write
from greentui.tui.help_text import help_for
from greentui.tui.settings import load_last_config, save_last_config
from greentui.tui.widgets.config_field import ConfigField
from greentui.tui.widgets.focus_row import mark_focused_row
from greentui.tui.widgets.footer import Footer

# (group title, its keys), from the keys' own declarations.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = groups()

# A technique's parameter appears beside its switch only when the technique is on.
SUB_FIELDS: dict[str, tuple[str, Any]] = {
    "momentum": ("optimizer", lambda v: v == "sgd"),
    "warmup_ratio": ("lr_scheduler", lambda v: v != "constant"),
    "early_stopping_metric": ("early_stopping_patience", lambda v: str(v).strip() not in ("", "0")),
    "lora_r": ("lora", bool),
    "distill_temperature": ("distill_from", lambda v: bool(str(v).strip())),
    "distill_alpha": ("distill_from", lambda v: bool(str(v).strip())),
    "deadline": ("start_when", lambda v: v == "low-carbon"),
}


# Textual's messages set their own fields as they travel, so they cannot be frozen; what they carry is.
@dataclass
class RunLaunched(Message):
    """The worker process started; `record` is the run as stored, `warning` what went wrong beside it."""

    record: RunRecord
    warning: str | None = None


@dataclass
class FactsProbed(Message):
    """What this machine's torch can run (None: the probe failed, refuse nothing)."""

    facts: MachineFacts | None


@dataclass
class LaunchFailed(Message):
    """launch() refused the run; `reason` is its one-line message."""

    reason: str


def field_error(key: str, raw: Any) -> str | None:
    """Why `raw` is not allowed for `key` (the key's own check, against otherwise default values), or None."""
    try:
        RunConfig.from_mapping({key: raw})
    except ConfigError as err:
        return str(err).split(": ", 1)[-1]
    return None


class SetupScreen(Screen):
    """Form for a new run; the last used config (or the tiny preset) fills it at start."""

    _validation_queued = False  # see queue_validation
    _filled_from: RunConfig | None = None  # what the preset box (or the last used config) put in the form
    _facts: MachineFacts | None = None  # what the machine can run, once probed (see _machine_refusal)
    _probing = False
    # The preset box first: a key typed there (`?` for help, `q` to quit) does no harm, where in `model`
    # it became the model's name. Where on_mount puts it anyway: one focus change, not two (each restyles the form).
    AUTO_FOCUS = "#input-preset"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True),
        Binding("ctrl+s", "save", "Save TOML", priority=True),
        Binding("ctrl+o", "load", "Load TOML", priority=True),
    ]

    def compose(self) -> ComposeResult:
        """Form on the left, help panel and Run on the right."""
        yield Header()
        with Horizontal(id="setup-body"):
            with VerticalScroll(id="form"):
                yield ConfigField("preset", choices=tuple(PRESETS), blank="(last used)")
                yield ConfigField("name", "run name")
                for title, keys in GROUPS:
                    yield Label(title, classes="group-title")
                    for key in keys:
                        yield ConfigField(key, sub=key in SUB_FIELDS)
            with Vertical(id="side"):
                yield Static("", id="side-title")
                yield Static(help_for(""), id="side-help", markup=False)  # `greentui[minilm]` is text, not a tag
                yield Label("", id="form-status", markup=False)  # shows typed values and paths
                yield Button("Run ▶ (ctrl+r)", id="run-button", variant="success", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        """Fill the form with the last used config, else the offline default preset."""
        last = load_last_config()
        self.fill(last or PRESETS[DEFAULT_PRESET], preset="" if last else DEFAULT_PRESET)
        self.query_one("#form-status", Label).update(
            "filled from the last used config" if last else f"filled from preset '{DEFAULT_PRESET}'")
        self.query_one("#input-preset").focus()

    def fields(self) -> dict[str, ConfigField]:
        """Every form row by key."""
        return {f.key: f for f in self.query(ConfigField)}

    def fill(self, config: RunConfig, preset: str | None = None) -> None:
        """Show `config` in the form (without re-triggering preset handling), then re-validate.

        `preset` names the preset to show in its select ("" for none); None leaves the select alone.
        """
        fields = self.fields()
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            for key, value in config.to_dict().items():
                if key in fields:
                    fields[key].set_value(value)
            if preset is not None:  # "" shows no preset: the form holds the last used config
                fields["preset"].set_value(preset or None)
        self._filled_from = config
        self.validate_form()

    def raw_values(self) -> dict[str, Any]:
        """The config keys as the user typed them."""
        return {key: f.raw_value for key, f in self.fields().items() if key in KEYS}

    def validate_form(self, keep_status: bool = False) -> dict[str, str]:
        """Show each field's reason, show or hide technique parameters; returns key -> reason.

        `keep_status`: a valid form keeps the status line's message (`filled from run …`) rather
        than `ready to run`, for a check the user did not cause (the machine's facts arriving)."""
        fields = self.fields()
        raw = self.raw_values()
        errors = {}
        for key, value in raw.items():
            reason = field_error(key, value)
            fields[key].show_error(reason)
            if reason:
                errors[key] = reason
        if not errors:
            found = self._machine_refusal()
            if found:
                key, reason = found
                fields[key].show_error(reason)
                errors[key] = reason
        for key, (parent, shown) in SUB_FIELDS.items():
            fields[key].display = bool(shown(raw[parent])) or key in errors
        self.query_one("#run-button", Button).disabled = bool(errors)
        self._mark_edited(bool(errors))
        status = self.query_one("#form-status", Label)
        if errors or not keep_status:
            status.update(f"{len(errors)} invalid: {', '.join(errors)}" if errors else "ready to run")
        status.set_class(bool(errors), "error")
        return errors

    def _mark_edited(self, invalid: bool) -> None:
        """Once the form differs from what filled it, the preset box says `(edited)` and shows no preset.

        Choosing the same preset again is then a change, so it fills the form afresh: a select
        that still showed `tiny` would ignore `tiny` chosen again."""
        if self._filled_from is not None and not invalid and self.config() == self._filled_from:
            return
        box = self.fields()["preset"].control
        assert isinstance(box, Select)
        box.prompt = "(edited)"
        if box.value != Select.NULL:
            with self.prevent(Select.Changed):
                box.clear()

    def _machine_refusal(self) -> tuple[str, str] | None:
        """(key, why) when this machine cannot run the form's config, as `greentui doctor` would tell.

        The facts need torch, which the TUI does not import: the first config that depends on them
        (fp16, a quantization) starts a probe subprocess on a thread, and the form is checked again
        when its answer comes. Until then nothing is refused here; launch checks again anyway."""
        config = self.config()
        if not needs_facts(config):
            return None
        if self._facts is None:
            if not self._probing:
                self._probing = True
                self._probe_machine()
            return None
        return refusal(config, self._facts)

    @work(thread=True, exclusive=True, group="machine-probe")
    def _probe_machine(self) -> None:
        from greentui.runs.capabilities import machine_facts

        self.post_message(FactsProbed(machine_facts()))

    def on_facts_probed(self, message: FactsProbed) -> None:
        """Check the form again on the machine's facts (a failed probe leaves the form as it was)."""
        if message.facts is not None:
            self._facts = message.facts
            self.validate_form(keep_status=True)

    def config(self) -> RunConfig:
        """The form as a validated config; raises ConfigError naming the first bad key."""
        return RunConfig.from_mapping(self.raw_values())

    def queue_validation(self) -> None:
        """Validate the form once the changes queued so far are handled: once for a burst.

        Each control reports its first value as it mounts: validating the whole form for each
        of those cost a third of a second before the first frame.
        """
        if not self._validation_queued:
            self._validation_queued = True
            self.call_later(self._validate_queued)

    def _validate_queued(self) -> None:
        self._validation_queued = False
        self.validate_form()

    def on_input_changed(self, event: Input.Changed) -> None:
        """Validate as the user types."""
        self.queue_validation()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        """A technique switched on or off."""
        self.queue_validation()

    def on_select_changed(self, event: Select.Changed) -> None:
        """A preset fills the whole form; any other choice just re-validates."""
        if event.select.id == "input-preset" and isinstance(event.value, str):
            self.fill(PRESETS[event.value])
            self.query_one("#form-status", Label).update(f"filled from preset '{event.value}'")
        else:
            self.queue_validation()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Explain the focused field in the side panel."""
        # The focus may have moved on since this event was queued: explain what has it now.
        widget = self.focused or event.widget
        mark_focused_row(self, widget)
        row = next((n for n in widget.ancestors_with_self if isinstance(n, ConfigField)), None)
        if row is not None:
            self.query_one("#side-title", Static).update(row.label_text)
            self.query_one("#side-help", Static).update(help_for(row.key))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The Run button."""
        if event.button.id == "run-button":
            self.action_run()

    def action_run(self) -> None:
        """Start the run unless a field is invalid."""
        errors = self.validate_form()
        if errors:
            key, reason = next(iter(errors.items()))
            self.notify(f"Run refused: {key}: {reason}", title="invalid field", severity="error")
            return
        name = str(self.fields()["name"].raw_value).strip() or None
        self.query_one("#form-status", Label).update("starting…")
        self.query_one("#run-button", Button).disabled = True
        self._launch(self.config(), name)

    @work(thread=True, exclusive=True, group="launch")
    def _launch(self, config: RunConfig, name: str | None) -> None:
        # launch() checks the model and dataset, which may ask the hub: never on the event loop.
        from greentui.preflight import PreflightError
        from greentui.runs.launch import launch
        from greentui.store.run_store import StoreError

        try:
            record = launch(config, app_of(self).store, name)
        except (ConfigError, PreflightError, StoreError, OSError) as err:
            self.post_message(LaunchFailed(str(err)))
            return
        # The run is going whatever happens to the remembered config: say so, and warn beside it.
        self.post_message(RunLaunched(record, warning=save_last_config(config)))

    def on_launch_failed(self, message: LaunchFailed) -> None:
        """Say why, beside the Run button and in a notification."""
        self.validate_form()
        self.query_one("#form-status", Label).update(message.reason)
        self.notify(message.reason, title="run not started", severity="error", timeout=10)

    def on_run_launched(self, message: RunLaunched) -> None:
        """Open the live view of the new run (and warn if the form could not remember its config)."""
        self.validate_form()
        app_of(self).open_live(message.record)
        if message.warning:
            self.notify(message.warning, title="config not remembered", severity="warning", timeout=10)

    def action_save(self) -> None:
        """Save the form as a TOML file (asks for the path)."""
        try:
            config = self.config()
        except ConfigError as err:
            self.notify(f"not saved: {err}", severity="error")
            return

        def save(target: Path) -> str:
            save_toml(config, target)
            return f"config saved to {target}"

        ask_path_and_write(self, "Save the config as TOML to:", "greentui-config.toml", save)

    def fill_from_run(self, record: RunRecord) -> None:
        """Fill the form with a stored run's config, for a rerun with changes; the config is checked as
        the form checks typed values (a stored config is untrusted: a bad key is said, not obeyed)."""
        try:
            config = RunConfig.from_mapping(dict(record.config))
        except ConfigError as err:
            self.notify(f"cannot rerun {record.id}: {err}", title="form not filled", severity="error", timeout=10)
            return
        self.fill(config, preset="")
        box = self.fields()["preset"].control
        assert isinstance(box, Select)
        box.prompt = "(from a run)"
        self.query_one("#form-status", Label).update(f"filled from run {record.id}: change what you like, then ctrl+r")
        self.query_one("#input-preset").focus()

    def action_load(self) -> None:
        """Fill the form from a TOML file (asks for the path)."""
        def load(path: str | None) -> None:
            if not path:
                return
            target = Path(path).expanduser()
            try:
                config = load_toml(target)
            except ConfigError as err:
                self.notify(str(err), title="not loaded", severity="error", timeout=10)
                return
            self.fill(config, preset="")  # the file's config, not a preset's
            box = self.fields()["preset"].control
            assert isinstance(box, Select)
            box.prompt = "(from file)"
            self.query_one("#form-status", Label).update(f"loaded {target}")

        self.app.push_screen(PromptDialog("Load a TOML config from:", "greentui-config.toml"), load)
