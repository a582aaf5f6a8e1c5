"""Sweep: plan techniques against a baseline, start the queue, and watch the attribution table fill in.

The queue itself runs on the app (see GreenTuiApp.queue_sweep), so leaving this screen, or
closing greentui, never loses it: the next `greentui` picks up what is left.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Label, Select, Static

from greentui.presets import DEFAULT_PRESET, PRESETS
from greentui.sweep.plan import PLANS, SweepError
from greentui.tui.widgets.footer import Footer

REFRESH_S = 2.0
# ★ before a row's techniques: on the energy–accuracy front; ≈: a change within the spread.
COLUMNS = ("techniques", "runs", "energy kWh", "Δ energy", "Δ time", "Δ CO₂", "accuracy", "Δ acc")


class SweepScreen(Screen):
    """The sweep form on top, the newest sweep's progress and attribution table below."""

    BINDINGS = [Binding("ctrl+r", "start", "Start sweep", priority=True)]

    def compose(self) -> ComposeResult:
        """Baseline (preset and KEY=VALUE changes), techniques, plan, repeats; then status and table."""
        yield Header()
        with Horizontal(classes="sweep-row"):
            yield Label("baseline", classes="sweep-label")
            yield Select([(name, name) for name in PRESETS], value=DEFAULT_PRESET, allow_blank=False,
                         id="sweep-preset", compact=True)
            yield Input(placeholder="changes: train_samples=2000 epochs=2", id="sweep-baseline", compact=True)
        with Horizontal(classes="sweep-row"):
            yield Label("techniques", classes="sweep-label")
            yield Input(placeholder="mixed_precision=bf16,optimizer=sgd,label_smoothing=0.1",
                        id="sweep-techniques", compact=True)
        with Horizontal(classes="sweep-row"):
            yield Label("plan", classes="sweep-label")
            yield Select([(p, p) for p in PLANS], value="ablation", allow_blank=False, id="sweep-plan", compact=True)
            yield Label("repeats", classes="sweep-label")
            yield Input("2", id="sweep-repeats", compact=True, type="integer")
        yield Static("", id="sweep-status", markup=False)  # shows typed techniques
        yield DataTable(id="sweep-table", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        """Columns and the refresh clock."""
        table = self.query_one(DataTable)
        for title in COLUMNS:
            table.add_column(title)
        self.query_one("#sweep-techniques", Input).focus()
        self.refresh_table()
        self.set_interval(REFRESH_S, self.refresh_table)

    def action_start(self) -> None:
        """Plan the sweep from the form and queue it; errors name the value at fault."""
        from greentui.config import ConfigError, RunConfig, parse_sets
        from greentui.presets import preset
        from greentui.sweep.plan import parse_techniques, plan_runs
        from greentui.sweep.queue import create_sweep

        try:
            sets = parse_sets(self.query_one("#sweep-baseline", Input).value.split())
            baseline = RunConfig.from_mapping(sets, base=preset(str(self.query_one("#sweep-preset", Select).value)))
            techniques = parse_techniques(self.query_one("#sweep-techniques", Input).value, baseline)
            repeats_text = self.query_one("#sweep-repeats", Input).value.strip()
            if not repeats_text.isdigit():
                raise SweepError(f"repeats {repeats_text!r}: a whole number, at least 1")
            plan = str(self.query_one("#sweep-plan", Select).value)
            runs = plan_runs(baseline, techniques, plan, int(repeats_text))
            self.app.store.check()
            sweep = create_sweep(self.app.store, baseline, techniques, plan, int(repeats_text), runs)
        except (ConfigError, SweepError, ValueError) as err:
            self.notify(str(err), severity="error")
            return
        self.app.queue_sweep(sweep)
        self.notify(f"sweep {sweep['id']}: {len(runs)} runs queued")
        self.refresh_table()

    def refresh_table(self) -> None:
        """Show the newest sweep: how far it is, and its attribution table so far (hidden: no work)."""
        if not self.is_current:
            return
        from greentui.sweep.queue import all_sweeps
        from greentui.tui.models.sweep import sweep_rows

        sweeps = all_sweeps(self.app.store)
        status = self.query_one("#sweep-status", Static)
        table = self.query_one(DataTable)
        if not sweeps:
            status.update("no sweep yet: fill in the techniques and press ctrl+r")
            return
        sweep = sweeps[-1]
        rows, finished, running = sweep_rows(self.app.store, sweep)
        techniques = ", ".join(f"{k}={v}" for k, v in sweep["techniques"])
        status.update(f"sweep {sweep['id']} · {sweep['plan']} of {techniques} × {sweep['repeats']} · "
                      f"{finished} of {len(sweep['entries'])} runs finished"
                      + (f" · running: {running}" if running else "")
                      + ("" if self.app.sweep_active() or finished == len(sweep["entries"])
                         else " · paused: it resumes on the next greentui"))
        table.clear()
        for row in rows:
            table.add_row(*row)
