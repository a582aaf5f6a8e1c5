"""Sweep: plan techniques against a baseline, queue it, and watch the attribution table fill in.

The store's queue runner (greentui.queue.runner, a process of its own) runs the queue, so leaving
this screen, or closing greentui, never stops it. The screen acts on the queue as `greentui queue`
does, through the sweep files: cancel, pause or resume, and run next. The sweep files and the store
are read and written on threads: the screen only renders what they send back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import DescendantFocus
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label, Select, Static

from greentui.config import RunConfig
from greentui.presets import DEFAULT_PRESET, PRESETS
from greentui.sweep.model import Sweep
from greentui.sweep.plan import PLANS, PRUNE_MODES, PlannedRun, SweepError
from greentui.tui.app_access import app_of
from greentui.tui.models.sweep import SweepProgress
from greentui.tui.widgets.charts import DeltaBars
from greentui.tui.widgets.focus_row import mark_focused_row
from greentui.tui.widgets.footer import Footer

if TYPE_CHECKING:
    from greentui.store.run_store import RunStore

REFRESH_S = 2.0
# ★ before a row's techniques: on the energy–accuracy front; ≈: a change within the spread.
COLUMNS = ("techniques", "runs", "energy kWh", "Δ energy", "Δ time", "Δ CO₂", "accuracy", "Δ acc")


# Textual's messages set their own fields as they travel, so they cannot be frozen; what they carry is.
@dataclass
class ProgressRead(Message):
    """A fresh read of the newest sweep's progress."""

    progress: SweepProgress


@dataclass
class SweepQueued(Message):
    """A planned sweep was written to its file (None: it could not be, for `problem`)."""

    sweep: Sweep | None
    problem: str = ""


# What the table's marks mean, on screen (the report's caption says the same).
LEGEND = "≈ within the spread of repeats (noise) · ? one run on a side, no spread · ★ on the energy–accuracy front"
# The command line's words in errors the form shows, and what they are called here.
FORM_WORDS = (("--techniques KEY=VALUE[,KEY=VALUE...]", "the techniques field: KEY=VALUE, comma-separated"),
              ("; pass --yes to run them all", ": fewer techniques or repeats, or the command line's --yes"))


def in_form_words(message: str) -> str:
    """An error from the planner, in the form's words rather than the command line's."""
    for cli, form in FORM_WORDS:
        message = message.replace(cli, form)
    return message


class SweepScreen(Screen):
    """The sweep form on top, the newest sweep's progress and attribution table below."""

    # Control keys: a letter would go to the focused input.
    BINDINGS = [Binding("ctrl+r", "start", "Start sweep", priority=True),
                Binding("ctrl+t", "report", "Report", priority=True),
                Binding("ctrl+o", "pause_or_resume", "Pause/resume", priority=True),
                Binding("ctrl+y", "cancel_sweep", "Cancel sweep", priority=True),
                Binding("ctrl+n", "run_next", "Run next", priority=True)]
    sweep_id: str | None = None  # the sweep shown
    sweep_control = "active"  # its queue state: active, paused, cancelled or stopped
    _reading = False  # a progress read is on its way: the clock does not start another

    def compose(self) -> ComposeResult:
        """Baseline (preset and KEY=VALUE changes), techniques, plan, repeats; then status and table."""
        yield Header()
        with Horizontal(classes="sweep-row"):
            yield Label("baseline", classes="sweep-label")
            yield Select([(name, name) for name in PRESETS], value=DEFAULT_PRESET, allow_blank=False,
                         id="sweep-preset", compact=True)
            yield Input(placeholder="e.g. train_samples=2000 epochs=2 (optional)", id="sweep-baseline", compact=True)
        with Horizontal(classes="sweep-row"):
            yield Label("techniques", classes="sweep-label")
            yield Input(placeholder="e.g. mixed_precision=bf16,optimizer=sgd,label_smoothing=0.1",
                        id="sweep-techniques", compact=True)
        with Horizontal(classes="sweep-row"):
            yield Label("plan", classes="sweep-label")
            yield Select([(p, p) for p in PLANS], value="ablation", allow_blank=False, id="sweep-plan", compact=True)
            yield Label("repeats", classes="sweep-label")
            yield Input("2", id="sweep-repeats", compact=True, type="integer")
            yield Label("prune", classes="sweep-label")
            yield Select([(m, m) for m in PRUNE_MODES], value="off", allow_blank=False, id="sweep-prune", compact=True)
        yield Static("", id="sweep-preview", markup=False)  # what the form would queue, or what is wrong with it
        yield Static("", id="sweep-status", markup=False)  # shows typed techniques
        yield DataTable(id="sweep-table", cursor_type="row", zebra_stripes=True)
        yield Static(LEGEND, id="sweep-legend", markup=False)
        yield DeltaBars(id="sweep-chart")  # the report's Δ-energy figure, as far as the sweep has got
        yield Footer()

    def on_mount(self) -> None:
        """Columns and the refresh clock."""
        table = self.query_one(DataTable)
        for title in COLUMNS:
            table.add_column(title)
        # The first row first, as read: typing went into the techniques while the user meant the baseline.
        self.query_one("#sweep-preset", Select).focus()
        self.refresh_table()
        self.set_interval(REFRESH_S, self.refresh_table)

    def _planned(self) -> tuple[RunConfig, list[tuple[str, Any]], str, int, list[PlannedRun]]:
        """The sweep the form describes; ConfigError or SweepError, in the form's words, where it is wrong."""
        from greentui.config import parse_sets
        from greentui.presets import preset
        from greentui.sweep.plan import parse_techniques, plan_runs

        sets = parse_sets(self.query_one("#sweep-baseline", Input).value.split())
        baseline = RunConfig.from_mapping(sets, base=preset(str(self.query_one("#sweep-preset", Select).value)))
        techniques = parse_techniques(self.query_one("#sweep-techniques", Input).value, baseline)
        repeats_text = self.query_one("#sweep-repeats", Input).value.strip()
        if not repeats_text.isdigit() or int(repeats_text) < 1:
            raise SweepError(f"repeats {repeats_text!r}: a whole number, at least 1")
        plan = str(self.query_one("#sweep-plan", Select).value)
        repeats = int(repeats_text)
        return baseline, techniques, plan, repeats, plan_runs(baseline, techniques, plan, repeats)

    def action_start(self) -> None:
        """Plan the sweep from the form and queue it; errors name the value at fault."""
        from greentui.config import ConfigError

        try:
            baseline, techniques, plan, repeats, runs = self._planned()
        except (ConfigError, SweepError, ValueError) as err:
            self.notify(in_form_words(str(err)), severity="error")
            return
        self._create(baseline, techniques, plan, repeats, runs, str(self.query_one("#sweep-prune", Select).value))

    def on_input_changed(self, event: Input.Changed) -> None:
        """Say what the form would queue as it is typed."""
        self._preview()

    def on_descendant_focus(self, event: DescendantFocus) -> None:
        """Light up the label of the row being typed in."""
        mark_focused_row(self, self.focused or event.widget)

    @on(Input.Blurred, "#sweep-repeats")
    def _tidy_repeats(self, event: Input.Blurred) -> None:
        """`01` is read as 1: the box says so once the user leaves it, rather than keep showing `01`."""
        text = event.input.value.strip()
        if text.isdigit() and text != str(int(text)):
            event.input.value = str(int(text))

    def on_select_changed(self, event: Select.Changed) -> None:
        """The preset or the plan changed: so may the runs."""
        self._preview()

    def _preview(self) -> None:
        from greentui.config import ConfigError

        try:
            _baseline, _techniques, plan, repeats, runs = self._planned()
        except (ConfigError, SweepError, ValueError) as err:
            text = "" if not self.query_one("#sweep-techniques", Input).value.strip() else in_form_words(str(err))
        else:
            configs = len({r.role for r in runs})
            text = f"ctrl+r queues {plan}: {configs} configs × {repeats} repeat(s) = {len(runs)} runs"
            if self.query_one("#sweep-prune", Select).value == "dominated":
                text += "; dominated runs pruned at 25 % and 50 % of their steps"
        self.query_one("#sweep-preview", Static).update(text)

    def action_report(self) -> None:
        """Write the shown sweep's report (LaTeX, Markdown, JSON or CSV, by the file name)."""
        from greentui.report.selection import sweep_selection
        from greentui.tui.dialogs.prompt import ask_path_and_write
        from greentui.tui.models.report import QUESTION, write_report

        if self.sweep_id is None:
            self.notify("no sweep to report on yet", severity="warning")
            return
        store, sweep_id = app_of(self).store, self.sweep_id
        ask_path_and_write(self, QUESTION, f"sweep-{sweep_id}.tex",
                           lambda target: write_report(lambda: sweep_selection(store, sweep_id), target))

    @work(thread=True, group="sweep-create")
    def _create(self, baseline: RunConfig, techniques: list[tuple[str, Any]], plan: str, repeats: int,
                runs: list[PlannedRun], prune: str = "off") -> None:
        from greentui.queue.runner_process import ensure_runner
        from greentui.store.run_store import StoreError
        from greentui.sweep.queue import create_sweep, sweeps_dir

        try:
            app_of(self).store.check()
            sweep = create_sweep(app_of(self).store, baseline, techniques, plan, repeats, runs, prune)
            ensure_runner(app_of(self).store)
        except StoreError as err:
            self.post_message(SweepQueued(None, str(err)))
        except OSError as err:
            self.post_message(SweepQueued(None, f"cannot write the sweep file in {sweeps_dir(app_of(self).store)}: "
                                                f"{err.strerror or err}"))
        else:
            self.post_message(SweepQueued(sweep))

    @on(SweepQueued)
    def _queued(self, message: SweepQueued) -> None:
        if message.sweep is None:
            self.notify(message.problem, title="sweep not queued", severity="error", timeout=10)
            return
        self.notify(f"sweep {message.sweep.id}: {len(message.sweep.entries)} runs queued")
        self.refresh_table()

    def action_pause_or_resume(self) -> None:
        """Pause the shown sweep (no new run starts), or resume it."""
        from greentui.queue import state

        self._act(lambda store, sweep_id: state.resume(store, sweep_id)[0] if self.sweep_control == "paused"
                  else state.pause(store, sweep_id)[0])

    def action_cancel_sweep(self) -> None:
        """Cancel the shown sweep (its running run is stopped), once the user says so."""
        from greentui.queue import state
        from greentui.tui.dialogs.confirm import ConfirmDialog

        if self.sweep_id is None:
            self.notify("no sweep to cancel", severity="warning")
            return
        question = f"Cancel sweep {self.sweep_id}? Its running run is stopped and no other run of it starts."
        self.app.push_screen(ConfirmDialog(question, "Cancel sweep"),
                             lambda yes: self._act(state.cancel) if yes else None)

    def action_run_next(self) -> None:
        """Put the shown sweep first in the store's queue."""
        from greentui.queue import state

        self._act(lambda store, sweep_id: state.move(store, sweep_id, 1))

    def _act(self, action: Callable[[RunStore, str], str]) -> None:
        if self.sweep_id is None:
            self.notify("no sweep yet", severity="warning")
            return
        self._act_on_thread(action, self.sweep_id)

    @work(thread=True, group="sweep-action")
    def _act_on_thread(self, action: Callable[[RunStore, str], str], sweep_id: str) -> None:
        from greentui.queue.runner_process import ensure_runner
        from greentui.store.run_store import StoreError

        store = app_of(self).store
        try:
            said = action(store, sweep_id)
            ensure_runner(store)  # it carries the change out: stops a cancelled run, starts a resumed sweep's
        except (SweepError, StoreError, OSError) as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.app.call_from_thread(self.notify, said)
        self.app.call_from_thread(self.refresh_table)

    def refresh_table(self) -> None:
        """Read the newest sweep's progress on a thread (hidden, or a read still going: no work)."""
        if self.is_current and not self._reading:
            self._reading = True
            self._read_progress()

    @work(thread=True, group="sweep-progress")
    def _read_progress(self) -> None:
        from greentui.store.run_store import StoreError
        from greentui.tui.models.sweep import newest_sweep_progress

        try:
            progress = newest_sweep_progress(app_of(self).store)
        except (StoreError, OSError) as err:
            progress = SweepProgress(None, skipped=(f"cannot read the sweeps of {app_of(self).store.path}: {err}",))
        self.post_message(ProgressRead(progress))

    @on(ProgressRead)
    def _show_progress(self, message: ProgressRead) -> None:
        """Show the newest sweep: how far it is, and its attribution table so far."""
        self._reading = False
        progress = message.progress
        for problem in progress.skipped:
            app_of(self).warn_once(problem)
        self.query_one("#sweep-status", Static).update(progress.status_text(app_of(self).sweep_active()))
        if progress.sweep is None:
            return
        self.sweep_id = progress.sweep.id
        self.sweep_control = progress.sweep.control
        table = self.query_one(DataTable)
        table.clear()
        for row in progress.rows:
            table.add_row(*row)
        self.query_one(DeltaBars).show("Δ energy against the baseline (green: saves)", progress.energy_changes)
