"""The private parts of Textual, textual-plotext and CodeCarbon greentui relies on, checked against the installed versions.

Each test fails with a message naming what to re-verify when an upgrade changes or removes one
(pyproject.toml pins the ranges these were verified on). The public hooks greentui uses instead of
internals (CodeCarbon's output handlers) are checked the same way.
"""

from __future__ import annotations

import csv
import re
from importlib.metadata import version
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.geometry import Region
from textual.screen import Screen
from textual.widgets import Button, Label
from textual_plotext import PlotextPlot

from greentui.events.log import EventWriter
from greentui.tui.app import _styled_as_of_now
from greentui.tui.partial_updates import TEXTUAL_WRITER, render_segments
from greentui.tui.widgets.chart_canvas import CanvasPlot
from greentui.tui.widgets.footer import Footer
from greentui.tui.widgets.status_strip import StripLine
from greentui.worker.telemetry import TRACKING_MODE, Telemetry
from tests.support import wait_until, wait_until_pilot

TEXTUAL = f"Textual {version('textual')}"
CODECARBON = f"CodeCarbon {version('codecarbon')}"
PLOTEXT = f"textual-plotext {version('textual-plotext')}"


# --- textual-plotext: PlotextPlot._plot, _set_size, _get_plotext_theme_name (greentui.tui.widgets.chart_canvas) ---

class TwoPlots(App[None]):
    def compose(self) -> ComposeResult:
        yield PlotextPlot(id="theirs")
        yield CanvasPlot(id="ours")


async def test_canvas_plot_builds_the_picture_plotext_plot_renders() -> None:
    app = TwoPlots()
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        theirs, ours = app.query_one("#theirs", PlotextPlot), app.query_one("#ours", CanvasPlot)
        for plot in (theirs, ours):
            plot.plt.plot([0, 1, 2, 3], [3.0, 1.0, 2.0, 0.5])
            plot.plt.title("loss")
        ours.redraw()
        assert ours.size == theirs.size
        assert ours.render().plain == theirs.render().plain, f"{PLOTEXT}: CanvasPlot._build no longer matches render"


def test_a_figure_cleared_of_its_data_alone_draws_what_a_cleared_figure_draws() -> None:
    # LineChart clears only plotext's data (greentui.tui.widgets.charts.Chart.fresh_figure): builds must
    # not leave anything in the figure that a later build would draw differently from a fresh one.
    import random

    from textual_plotext.plot import Plot

    rng, fresh, reused = random.Random(7), Plot(), Plot()
    for _ in range(60):
        count = rng.randint(1, 40)
        curves = [(sorted(rng.uniform(0, 100) for _ in range(count)), [rng.uniform(-5, 50) for _ in range(count)])
                  for _ in range(rng.randint(1, 3))]
        waiting = rng.random() < 0.15
        colours = [(rng.randint(0, 255), 90, 200) for _ in curves]
        top_x, top_y = 100 + rng.uniform(0, 50), 50 + rng.uniform(0, 50)
        pictures = []
        for plt, whole in ((fresh, True), (reused, False)):
            plt.clear_data()
            if whole:
                plt.clear_figure()
            plt.plotsize(50, 12)
            plt._set_size(50, 12)
            plt.theme("dark")
            if waiting:
                plt.text("waiting for data…", 0.5, 0.5, alignment="center")
                plt.xlim(0, 1)
                plt.ylim(0, 1)
            else:
                for (xs, ys), colour in zip(curves, colours, strict=True):
                    plt.plot(xs, ys, marker="braille", color=colour)
                plt.scatter([curves[0][0][-1]], [curves[0][1][-1]], marker="●")
                plt.xlim(0, top_x)
                plt.ylim(-6, top_y)
            pictures.append(plt.build())
        assert pictures[0] == pictures[1], f"{PLOTEXT}: clear_data alone leaves something a build draws"


# --- Textual: ChopsUpdate.render_segments, .chops, .spans, .chop_ends (greentui.tui.partial_updates) ---

_SEQUENCE = re.compile(r"\x1b\[(\d+);(\d+)H|\x1b\[([0-9;]*)m|(\r)|(\n)|(.)", re.S)


def _painted(sequences: str) -> dict[tuple[int, int], tuple[str, str]]:
    """What a terminal shows after these sequences: (row, column) -> (character, the colour codes it was written in)."""
    cells: dict[tuple[int, int], tuple[str, str]] = {}
    y = x = 0
    codes = ""
    for found in _SEQUENCE.finditer(sequences):
        row, column, sgr, carriage, newline, char = found.groups()
        if row is not None:
            y, x = int(row) - 1, int(column) - 1
        elif sgr is not None:
            codes = "" if sgr in ("", "0") else sgr  # Textual writes each run's codes whole, then a reset
        elif carriage:
            x = 0
        elif newline:
            y += 1
        else:
            for _ in range(cell_len(char)):  # a wide character fills two cells
                cells[(y, x)] = (char, codes)
                x += 1
    return cells


class PartlyChanged(App[None]):
    def compose(self) -> ComposeResult:
        yield StripLine()
        yield Label("日本語のラベル", id="wide")
        yield CanvasPlot(id="chart")


async def test_left_cropped_partial_updates_paint_what_textual_paints_inside_each_span(monkeypatch) -> None:
    redo = f"re-verify greentui.tui.partial_updates against ChopsUpdate.render_segments of {TEXTUAL}"
    updates: list[ChopsUpdate] = []
    made = ChopsUpdate.__init__

    def record(update: ChopsUpdate, *args: object) -> None:
        made(update, *args)  # type: ignore[arg-type]
        updates.append(update)

    monkeypatch.setattr(ChopsUpdate, "__init__", record)
    app = PartlyChanged()
    async with app.run_test(size=(60, 16)) as pilot:
        line, chart = app.query_one(StripLine), app.query_one("#chart", CanvasPlot)
        line.show(Text("step 10 · elapsed 9 s · 12.0 W", style="bold"))
        chart.plt.plot([0, 1, 2], [3.0, 2.0, 1.5])
        chart.redraw()
        await pilot.pause()
        updates.clear()
        line.show(Text("step 11 · elapsed 9 s · 12.4 W", style="bold"))  # two changes apart on one row
        chart.plt.clear_data()
        chart.plt.plot([0, 1, 2, 3], [3.0, 2.0, 1.5, 1.4])
        chart.redraw()
        app.query_one("#wide", Label).refresh(Region(3, 0, 2, 1))  # a span that would split a wide character
        await pilot.pause()
        assert updates, redo
        sent_ours = sent_theirs = 0
        for update in updates:
            assert {"chops", "spans", "chop_ends"} <= vars(update).keys(), redo
            theirs = _painted(TEXTUAL_WRITER(update, app.console))
            ours = _painted(render_segments(update, app.console))
            inside = {(y, x) for y, x1, x2 in update.spans for x in range(x1, x2)}
            assert inside <= ours.keys() <= theirs.keys(), redo  # every changed cell, and nothing Textual would not paint
            assert all(ours[cell] == theirs[cell] for cell in ours), redo  # the same character in the same colours
            wide_row = app.query_one("#wide").region.y
            assert {c for c in theirs if c[0] == wide_row} <= ours.keys(), redo  # a wide line is sent from its start
            sent_ours, sent_theirs = sent_ours + len(ours), sent_theirs + len(theirs)
        assert sent_ours < sent_theirs / 2, redo  # the cells before each change are no longer sent


# --- Textual: App._css_update_count / Screen._css_update_count (greentui.tui.app._styled_as_of_now) ---

class ThemedLabel(Label):
    DEFAULT_CSS = "ThemedLabel { color: $primary; }"


class ThemedScreen(Screen):
    def compose(self) -> ComposeResult:
        yield ThemedLabel("themed")


class TwoModes(App[None]):
    MODES = {"plain": ThemedScreen, "styled": lambda: _styled_as_of_now(ThemedScreen())}
    DEFAULT_MODE = "plain"

    def __init__(self) -> None:
        super().__init__()
        self.css_refreshes = 0

    def refresh_css(self, animate: bool = True) -> None:
        self.css_refreshes += 1
        super().refresh_css(animate)


async def test_css_update_count_still_spares_a_new_mode_screen_the_css_refresh() -> None:
    redo = f"re-verify greentui.tui.app._styled_as_of_now on {TEXTUAL}"
    app = TwoModes()
    async with app.run_test() as pilot:
        assert isinstance(app._css_update_count, int), f"App._css_update_count is gone or no longer a count: {redo}"
        fresh = ThemedScreen()
        assert fresh._css_update_count != app._css_update_count, (
            f"a new Screen no longer starts marked unstyled (its _css_update_count): {redo}")
        await app.switch_mode("plain")  # the default mode, already styled
        before = app.css_refreshes
        app.add_mode("plain-too", ThemedScreen)
        await app.switch_mode("plain-too")
        await pilot.pause()
        assert app.css_refreshes > before, (
            f"switching to a new mode no longer refreshes the whole app's CSS: the optimisation may be moot; {redo}")
        before = app.css_refreshes
        await app.switch_mode("styled")
        await pilot.pause()
        assert app.css_refreshes == before, (
            f"a screen whose _css_update_count equals the app's still gets the whole-app CSS refresh: {redo}")
        label = app.screen.query_one(ThemedLabel)
        assert label.styles.color == app.current_theme.to_color_system().primary, (
            f"a screen spared the refresh is not styled as it mounts: {redo}")

        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await wait_until_pilot(pilot, lambda: app.screen._css_update_count == app._css_update_count,
                               "the styled screen to be restyled after a theme change")
        assert label.styles.color == app.current_theme.to_color_system().primary, (
            f"a theme change no longer restyles a screen spared the first refresh: {redo}")


# --- Textual: Footer.bindings_changed (greentui.tui.widgets.footer.Footer) ---

class CountingFooter(Footer):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def bindings_changed(self, screen: Screen) -> None:
        self.calls += 1
        super().bindings_changed(screen)


class TwoButtons(App[None]):
    BINDINGS = [Binding("x", "toggle", "Toggle"), Binding("y", "other", "Other")]

    def __init__(self) -> None:
        super().__init__()
        self.other_enabled = True

    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield CountingFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return None if action == "other" and not self.other_enabled else True  # None: shown, disabled

    def action_toggle(self) -> None:
        self.other_enabled = not self.other_enabled
        self.refresh_bindings()

    def action_other(self) -> None:
        pass


async def test_footer_override_is_still_called_and_rebuilds_only_on_changed_keys() -> None:
    redo = f"re-verify greentui/tui/widgets/footer.py (Footer.bindings_changed) on {TEXTUAL}"
    app = TwoButtons()
    async with app.run_test() as pilot:
        footer = app.query_one(CountingFooter)
        keys = await wait_until_pilot(pilot, lambda: list(footer.query("FooterKey")), "the footer's keys")
        assert not [key for key in keys if key.has_class("-disabled")]  # how a FooterKey shows a disabled key
        assert app.app_focus, "the pilot's app has no focus: the footer would never rebuild"
        calls = footer.calls
        app.query_one("#two", Button).focus()  # a focus change refreshes the bindings: same keys
        await pilot.pause()
        await pilot.pause()
        assert footer.calls > calls, f"Textual no longer calls Footer.bindings_changed when bindings refresh: {redo}"
        assert list(footer.query("FooterKey")) == keys, f"the footer rebuilt though its keys did not change: {redo}"

        await pilot.press("x")  # 'Other' is now disabled: the keys shown change
        await wait_until_pilot(pilot, lambda: list(footer.query("FooterKey")) != keys,
                               f"the footer to rebuild on changed keys ({redo})")
        disabled = [key for key in footer.query("FooterKey") if key.has_class("-disabled")]
        assert len(disabled) == 1, f"the rebuilt footer does not show the 'Other' key disabled: {redo}"


# --- CodeCarbon: the output-handler hook and the CPU's method (greentui.worker.codecarbon_readings) ---

def started_telemetry(folder: Path) -> Telemetry:
    """The worker's own telemetry (CodeCarbon's offline tracker with greentui's totals handler), started."""
    telemetry = Telemetry(folder, "", EventWriter(folder / "events.jsonl"))
    telemetry.start()
    assert telemetry.tracker is not None and telemetry.totals is not None, telemetry.tracker_error
    return telemetry


def test_codecarbon_hands_its_running_totals_to_live_out_after_each_measurement(tmp_path: Path) -> None:
    redo = f"re-verify greentui.worker.codecarbon_readings.CodeCarbonTotals and Telemetry.start on {CODECARBON}"
    telemetry = started_telemetry(tmp_path)
    totals = telemetry.totals
    assert totals is not None
    try:
        # start() measures once at once; with api_call_interval=1 that measurement is handed over.
        assert totals.live is not None, f"api_call_interval=1 no longer hands each measurement to live_out: {redo}"
        first, first_at = totals.live
        later, _later_at = wait_until(lambda: totals.live if totals.live and totals.live[1] > first_at else None,
                                      "CodeCarbon's next measurement")
        for data in (first, later):
            for name in ("energy_consumed", "cpu_energy", "gpu_energy", "ram_energy", "emissions", "cpu_power",
                         "ram_power", "gpu_count"):
                assert isinstance(getattr(data, name, None), (int, float)), f"EmissionsData.{name} changed: {redo}"
            assert data.tracking_mode == TRACKING_MODE, f"EmissionsData.tracking_mode changed: {redo}"
        assert later.energy_consumed > first.energy_consumed, f"live_out's totals are no longer cumulative: {redo}"
        assert later.energy_consumed == pytest.approx(later.cpu_energy + later.gpu_energy + later.ram_energy), (
            f"the energy total is no longer the sum of its parts: {redo}")
    finally:
        measured = telemetry.stop()
    assert totals.final is not None, f"tracker.stop() no longer hands its final totals to out(): {redo}"
    own = telemetry.tracker.final_emissions_data  # CodeCarbon's own final figures (its CSV row)
    assert totals.final[0].energy_consumed == own.energy_consumed, f"out() got other totals than stop()'s: {redo}"
    assert measured["metrics"]["energy_kwh"] == own.energy_consumed
    assert measured["metrics"]["emissions_kg"] == own.emissions
    with (tmp_path / "emissions.csv").open(newline="") as handle:  # OutputMethod.CSV: the run folder's file
        row = list(csv.DictReader(handle))[-1]
    assert float(row["energy_consumed"]) == pytest.approx(own.energy_consumed, rel=1e-9), redo


def test_codecarbon_cpu_method_is_where_greentui_reads_it(tmp_path: Path) -> None:
    from codecarbon.external.hardware import CPU

    from greentui.worker.codecarbon_readings import cpu_power_method

    redo = (f"{CODECARBON} changed its private CPU description (tracker._hardware, CPU._mode, "
            "CPU._is_generic_tdp): re-verify greentui.worker.codecarbon_readings.cpu_power_method")
    telemetry = started_telemetry(tmp_path)
    try:
        tracker = telemetry.tracker
        cpus = [part for part in getattr(tracker, "_hardware", []) if isinstance(part, CPU)]
        assert len(cpus) == 1 and type(cpus[0]).__name__ == "CPU", redo
        mode, generic = getattr(cpus[0], "_mode", None), getattr(cpus[0], "_is_generic_tdp", None)
        assert isinstance(mode, str) and mode and isinstance(generic, bool), redo
        described = cpus[0].description()  # public, and made from _mode and _is_generic_tdp
        if mode == "constant":
            assert ("[generic]" in described) == generic, f"CPU._is_generic_tdp changed meaning: {redo}"
        else:
            assert mode.replace("_", " ").lower() in described.lower(), f"CPU._mode changed meaning: {redo}"
        assert cpu_power_method(tracker).startswith(mode), redo
    finally:
        measurement = telemetry.stop()["measurement"]
    assert measurement["cpu"] == cpu_power_method(tracker)
    assert measurement["ram"].startswith("RAM power model"), f"EmissionsData.ram_power changed: {redo}"
    assert measurement["tracking_mode"] == TRACKING_MODE
