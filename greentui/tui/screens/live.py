"""Live view of one run: power, loss and CO2 charts and a status strip, fed by the run's events file.

A thread worker tails events.jsonl twice a second and posts what it read; the handler feeds the
screen's LiveState and redraws only when something changed and the screen is showing: the status
strip at most twice a second, the charts at most every CHART_INTERVAL_S (each repaints only when
its picture changed). Over SSH each repainted chart is kilobytes; the strip's clock is a line.
Leaving this screen never stops the run.
"""

from __future__ import annotations

import time
from functools import cached_property

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Header

from greentui.events.log import EVENTS_FILE, EventTail
from greentui.events.schema import Event
from greentui.report.printable import printable
from greentui.store.record import RunRecord
from greentui.tui.app_access import app_of
from greentui.tui.dialogs.confirm import ConfirmDialog
from greentui.tui.models.live import LiveSnapshot, LiveState
from greentui.tui.widgets.chart_canvas import within_reach
from greentui.tui.widgets.charts import LineChart
from greentui.tui.widgets.footer import Footer
from greentui.tui.widgets.status_strip import StatusStrip

REDRAW_INTERVAL_S = 0.5
CHART_INTERVAL_S = 2.0
# How often (in ticks) to ask whether a worker that wrote no final status is still alive.
LIVENESS_EVERY_TICKS = 10


class EventsRead(Message):
    """New events from the tail, and whether the worker process is gone without a final status."""

    def __init__(self, events: list[Event], worker_gone: bool) -> None:
        super().__init__()
        self.events = events
        self.worker_gone = worker_gone


class StopFinished(Message):
    """launcher.stop returned."""

    def __init__(self, clean: bool) -> None:
        super().__init__()
        self.clean = clean


class LiveScreen(Screen):
    """Charts and figures of `record`, re-attached from its events file at any time."""

    BINDINGS = [Binding("x", "stop", "Stop run"), Binding("g", "start_now", "Start now"),
                Binding("escape", "back", "Back")]
    _shown_waiting = False  # the footer offers `g` only while the run waits for a low-carbon window

    def __init__(self, record: RunRecord) -> None:
        super().__init__()
        self.record = record
        self.state = LiveState()
        self._tail: EventTail | None = None
        self._drawn_version = -1
        self._charts_version = -1  # the state version the charts last drew
        self._charts_drawn_at = float("-inf")  # time.monotonic() of that drawing
        self._ticks = 0
        self._reading = False  # one tail read at a time: EventTail keeps a file offset

    def compose(self) -> ComposeResult:
        """Status strip over three charts."""
        yield Header()
        yield StatusStrip(id="strip")
        with Grid(id="charts"):
            yield LineChart(id="power-chart")
            yield LineChart(id="loss-chart")
            yield LineChart(id="co2-chart")
        yield Footer()

    def on_mount(self) -> None:
        """Start tailing; the first read brings the whole file (re-attaching to a run started earlier)."""
        from greentui.store.run_dirs import RunDirRefused, run_dir_of

        self.sub_title = printable(f"{self.record.name}  ({self.record.id})")
        try:
            self._tail = EventTail(run_dir_of(app_of(self).store, self.record) / EVENTS_FILE)
        except RunDirRefused as err:  # a crafted record: its folder is never read
            self.notify(str(err), severity="error")
        self._request_read()
        self.set_interval(REDRAW_INTERVAL_S, self._tick)

    def _tick(self) -> None:
        self._ticks += 1
        if self.state.status == "running":
            self._request_read()

    def _request_read(self) -> None:
        if not self._reading:
            self._reading = True
            self._read_events()

    @work(thread=True, group="tail")
    def _read_events(self) -> None:
        # File reads (and, now and then, a liveness check) stay off the event loop.
        from greentui.runs.process import worker_alive
        from greentui.store.run_store import StoreError

        events: list[Event] = []
        gone = False
        try:
            events = self._tail.read_new() if self._tail else []
            if self._ticks % LIVENESS_EVERY_TICKS == 0 and self.state.status == "running" and not events:
                fresh = app_of(self).store.get(self.record.id)
                gone = fresh is not None and fresh.status == "running" and fresh.pid is not None \
                    and not worker_alive(app_of(self).store, fresh)
        except (OSError, StoreError):
            pass  # an unreadable file now and then is retried on the next tick
        self.post_message(EventsRead(events, gone))

    def on_events_read(self, message: EventsRead) -> None:
        """Take the events in; redraw if anything changed and the screen is showing."""
        self._reading = False
        self.state.feed(message.events)
        if message.worker_gone:
            self.state.mark_gone("the worker process is gone without a final status")
        self.redraw()

    def redraw(self, force: bool = False) -> None:
        """Draw the current snapshot (a hidden screen does not draw)."""
        if not force and (not self.is_current or self.state.version == self._drawn_version):
            if self.is_current and self._charts_version != self._drawn_version:  # held back by their interval
                self._draw_charts(self.state.snapshot(), force=False)
            return
        self._drawn_version = self.state.version
        snap = self.state.snapshot()
        self._strip.show(snap)
        if self.waiting_for_window() != self._shown_waiting:
            self._shown_waiting = not self._shown_waiting
            self.refresh_bindings()
        self._draw_charts(snap, force)

    def _draw_charts(self, snap: LiveSnapshot, force: bool) -> None:
        # A finished run's charts draw at once (and tight to their data); a running one's wait their interval.
        running = snap.status == "running"
        if running and not force and time.monotonic() - self._charts_drawn_at < CHART_INTERVAL_S:
            return
        self._charts_version, self._charts_drawn_at = self.state.version, time.monotonic()
        # No plotext axis labels: each would take a whole row of a small chart. The titles say what the
        # x axis counts (power and CO2 share the seconds), and the power title the source, so that the
        # legend beside it reads `━ CPU  ━ RAM` and fits one row at 80 columns.
        if any(k.startswith("GPU") for k in snap.power):
            power_title = "power W per GPU (NVML)"
        else:
            power_title = "power W (CodeCarbon)" if snap.power else "power W"
        power = {label.removesuffix(" (CodeCarbon)"): points for label, points in snap.power.items()}
        # A running run's axes reach to where it is expected to end (its last step, its projected finish
        # and CO2), so that they need not grow, and repaint whole, as the curves come in.
        finish = within_reach(snap.training_end_s, snap.elapsed_s)
        grams = snap.emissions[-1][1] if snap.emissions else 0.0
        final_grams = within_reach(snap.projected[1] * 1000.0 if snap.projected else None, grams)
        self._charts["power"].show(power_title, power, steady=running, ends=(finish, None))
        self._charts["loss"].show(
            "loss by step", {"train": snap.train_loss, "eval": snap.eval_loss}, steady=running,
            ends=(snap.total_steps, None))
        energy = f"{snap.energy_kwh:.6f} kWh" if snap.energy_kwh is not None else "– kWh"
        self._charts["co2"].show(
            f"cumulative CO2 g by second · energy {energy}", {"CO2 g": snap.emissions}, legend=False,
            steady=running, ends=(finish, final_grams))

    # The strip and the charts are looked up once: a query walks the whole screen (its footer's keys
    # too), and the live view redraws every second.
    @cached_property
    def _strip(self) -> StatusStrip:
        return self.query_one(StatusStrip)

    @cached_property
    def _charts(self) -> dict[str, LineChart]:
        return {name: self.query_one(f"#{name}-chart", LineChart) for name in ("power", "loss", "co2")}

    def on_screen_resume(self) -> None:
        """Back on top (after a dialog or another screen): draw what arrived meanwhile."""
        self.redraw(force=True)

    def on_resize(self) -> None:
        """Re-downsample to the new chart widths."""
        self.call_after_refresh(self.redraw, True)

    def action_stop(self) -> None:
        """Ask, then stop the run (it ends as `stopped` and keeps its partial results)."""
        if self.state.status != "running":
            self.notify(f"the run is already {self.state.status}")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.notify("stopping the run… (the worker saves its partial results)")
                self._stop()

        self.app.push_screen(ConfirmDialog(f"Stop run '{self.record.name}'? Partial results are kept.",
                                           "Stop"), answered)

    @work(thread=True, exclusive=True, group="stop")
    def _stop(self) -> None:
        # stop() waits up to 30 s for the worker to save its summary.
        from greentui.runs.process import StopRefused, stop

        fresh = app_of(self).store.get(self.record.id) or self.record
        try:
            clean = stop(app_of(self).store, fresh)
        except StopRefused as err:  # another host's run, or a pid that is not its worker's
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.post_message(StopFinished(clean))

    def on_stop_finished(self, message: StopFinished) -> None:
        """Report how the stop went; the final status arrives through the events."""
        self._request_read()
        self.notify("run stopped" if message.clean else "the worker was not running or had to be killed")

    def waiting_for_window(self) -> bool:
        """The run is waiting for its low-carbon window (its activity says so)."""
        snap = self.state.snapshot()
        return snap.status == "running" and snap.activity.startswith("waiting for a low-carbon window")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`g` only while there is a wait to end."""
        return self.waiting_for_window() if action == "start_now" else True

    def action_start_now(self) -> None:
        """End the wait for the low-carbon window: the run starts at once (its record says it was told to)."""
        from greentui.runs.timing import start_now
        from greentui.store.run_dirs import RunDirRefused

        try:
            start_now(app_of(self).store, self.record)
        except (RunDirRefused, OSError) as err:
            self.notify(f"cannot tell the run to start: {err}", severity="error")
            return
        self.notify("told to start now: the run leaves its wait within a second")

    def action_back(self) -> None:
        """Leave the live view; the run goes on."""
        self.app.pop_screen()
