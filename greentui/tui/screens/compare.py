"""Two or more runs side by side: metrics with % change against a baseline, differing config keys,
overlaid loss curves, and energy against accuracy with the unbeaten runs marked.

Each run has one colour and mark (models.run_styles) in its column headers, both charts and the
legend under them, so a curve, a point and a column read as the same run."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Header, Label

from greentui.metrics.pareto import pareto_front
from greentui.metrics.quality import is_contended
from greentui.report.printable import printable
from greentui.store.record import RunRecord
from greentui.tui.app_access import app_of
from greentui.tui.models.compare import differing_keys, metric_cells
from greentui.tui.models.run_styles import run_marker, run_styles
from greentui.tui.widgets.charts import LineChart, ScatterChart
from greentui.tui.widgets.footer import Footer
from greentui.tui.widgets.legend import Legend


@dataclass
class CurvesRead(Message):
    """The runs' train-loss curves, by their short labels, read off the event loop."""

    curves: dict[str, list[tuple]]


def distinct_names(runs: list[RunRecord]) -> list[str]:
    """Run names without the words every name starts with, nor a leading model name, so columns differ visibly."""
    words = [r.name.split() for r in runs]
    common = 0
    while all(len(w) > common for w in words) and len({w[common] for w in words}) == 1:
        common += 1
    names = []
    for rest, run in zip((w[common:] for w in words), runs, strict=True):
        # Default names start with the model (launcher.default_name): the techniques after it tell runs apart.
        model = str(run.config.get("model", "")).split(":")[-1].rstrip("/").split("/")[-1]
        if len(rest) > 1 and rest[0] == model:
            rest = rest[1:]
        names.append(printable(" ".join(rest) or run.name))  # stored text: shown, never obeyed
    return names


def short_label(index: int, name: str, width: int = 18) -> str:
    """`2 bf16 cosine`: the run's mark in this comparison (its number) and its name, cut to fit a column."""
    name = name if len(name) <= width else name[: width - 1] + "…"
    return f"{run_marker(index)} {name}"


class CompareScreen(Screen):
    """Comparison of `runs` (in the order given); `b` moves the baseline, `1`–`9` make run N the baseline."""

    BINDINGS = [Binding("b", "next_baseline", "Next baseline"),
                Binding("1", "baseline(0)", "Baseline", key_display="1-9"),
                *(Binding(str(n), f"baseline({n - 1})", show=False) for n in range(2, 10)),
                Binding("r", "report", "Report"), Binding("escape", "back", "Back")]

    def __init__(self, runs: list[RunRecord], baseline: int = 0) -> None:
        super().__init__()
        self.runs = runs
        self.baseline = baseline
        self.names = distinct_names(runs)
        self.run_style = run_styles(len(runs))  # not `styles`: that is the widget's CSS

    def compose(self) -> ComposeResult:
        """Tables over charts, all in one scrolling column so it fits 80x24."""
        yield Header()
        with VerticalScroll(id="compare-body"):
            yield Label("", id="metrics-title", classes="group-title", markup=False)  # holds a run name
            yield DataTable(id="metrics-table", cursor_type="none", show_cursor=False)
            yield Label("Config keys that differ", classes="group-title")
            yield DataTable(id="diff-table", cursor_type="none", show_cursor=False)
            with Horizontal(id="compare-charts"):
                yield LineChart(id="loss-overlay")
                yield ScatterChart(id="pareto-chart")
            yield Legend(id="run-legend")  # one legend for both charts: a run's colour is the same in each
            yield Label("", id="pareto-note", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        """Fill everything once; only a new baseline changes it."""
        self.sub_title = f"{len(self.runs)} runs"
        self.fill_metrics()
        diff = self.query_one("#diff-table", DataTable)
        # Text, not strings: the table reads strings as markup, and names and values are the user's.
        diff.add_columns("key", *(self.header(i) for i in range(len(self.runs))))
        rows = differing_keys(self.runs)
        for key, values in rows:
            diff.add_row(key, *(Text(str(value)) for value in values))
        if not rows:
            diff.add_row("(none: same config)", *("" for _ in self.runs))
        self.query_one("#metrics-table", DataTable).focus()
        self._read_curves()

    @work(thread=True, group="compare-curves")
    def _read_curves(self) -> None:
        # Each run's curves.json is a file read: never on the event loop.
        store = app_of(self).store
        curves = {self.curve_label(i): [tuple(p) for p in store.curves(r).get("train_loss", [])]
                  for i, r in enumerate(self.runs)}
        self.post_message(CurvesRead(curves))

    @on(CurvesRead)
    def _curves_read(self, message: CurvesRead) -> None:
        self.draw_charts(message.curves)

    def curve_label(self, index: int) -> str:
        """The index-th run's series name in the loss chart (its mark and name: unique, and short)."""
        return short_label(index, self.names[index], 10)

    def header(self, index: int, mark_baseline: bool = False) -> Text:
        """The index-th run's column header in its colour; the baseline's says so, underlined."""
        text = Text(short_label(index, self.names[index]), style=f"bold {self.run_style[index].hex}")
        if mark_baseline and index == self.baseline:
            text.stylize("underline")
            text.append(" (base)", style="bold")
        return text

    def fill_metrics(self) -> None:
        """Metric table against the current baseline (green is better, red worse), and the run legend."""
        base = self.runs[self.baseline]
        self.query_one("#metrics-title", Label).update(
            f"Metrics, change against baseline {run_marker(self.baseline)} ({base.name}) · b: next · 1–9: pick")
        table = self.query_one("#metrics-table", DataTable)
        table.clear(columns=True)
        table.add_columns("metric", *(self.header(i, mark_baseline=True) for i in range(len(self.runs))))
        for label, cells in metric_cells(self.runs, self.baseline):
            row = [Text(label)]
            for cell in cells:
                text = Text(cell.text)
                if cell.change_text:
                    style = "" if cell.better is None else "green" if cell.better else "red"
                    text.append(f" {cell.change_text}", style=style)
                row.append(text)
            table.add_row(*row)
        self.query_one("#run-legend", Legend).show("runs", [
            (short_label(i, name, 24) + (" (base)" if i == self.baseline else ""), self.run_style[i].colour)
            for i, name in enumerate(self.names)])

    def draw_charts(self, curves: dict[str, list[tuple]]) -> None:
        """Overlaid train-loss curves (read by _read_curves) and the energy/accuracy scatter."""
        styled = list(zip((self.curve_label(i) for i in range(len(self.runs))), self.run_style, strict=True))
        self.query_one("#loss-overlay", LineChart).show(
            "train loss by step", curves, colours={label: style.colour for label, style in styled},
            markers={label: style.marker for label, style in styled}, legend=False)  # the run legend is below
        points = []
        for run in self.runs:
            energy, accuracy = run.metric("energy_kwh"), run.metric("accuracy")
            points.append((energy, accuracy) if energy is not None and accuracy is not None else None)
        # A contended run's energy is not its own: it is drawn, but it cannot make the front.
        contended = [i for i, run in enumerate(self.runs) if is_contended(run.measurement)]
        front = pareto_front([None if i in contended else p for i, p in enumerate(points)])
        shown = [(self.run_style[i].marker, self.run_style[i].colour, p[0], p[1])
                 for i, p in enumerate(points) if p is not None]
        index_of = [i for i, p in enumerate(points) if p is not None]
        self.query_one("#pareto-chart", ScatterChart).show(
            "energy vs accuracy", shown, {index_of.index(i) for i in front})
        unbeaten = [short_label(i, self.names[i], 24) for i in sorted(front)]
        names = ", ".join(unbeaten) or "none (no run has both figures)"
        left_out = ", ".join(short_label(i, self.names[i], 24) for i in contended)
        self.query_one("#pareto-note", Label).update(
            "Each run is drawn as its mark in its colour; the line joins the runs that no other run beats on "
            f"both energy and accuracy (the Pareto front): {names}"
            + (f" · ⚠ contended, left out: {left_out}" if left_out else ""))

    def action_next_baseline(self) -> None:
        """Compare against the next run."""
        self.action_baseline((self.baseline + 1) % len(self.runs))

    def action_baseline(self, index: int) -> None:
        """Compare against the index-th run (keys 1–9: run N)."""
        if index >= len(self.runs):
            self.notify(f"there is no run {index + 1} here: {len(self.runs)} runs are compared", severity="warning")
            return
        self.baseline = index
        self.fill_metrics()

    def action_report(self) -> None:
        """Write these runs' report against the current baseline (LaTeX, Markdown, JSON or CSV, by the file name)."""
        from greentui.report.selection import runs_selection
        from greentui.tui.dialogs.prompt import ask_path_and_write
        from greentui.tui.models.report import DEFAULT_REPORT, QUESTION, write_report

        store, ids, baseline = app_of(self).store, [r.id for r in self.runs], self.runs[self.baseline].id
        ask_path_and_write(self, QUESTION, DEFAULT_REPORT,
                           lambda target: write_report(lambda: runs_selection(store, ids, baseline), target))

    def action_back(self) -> None:
        """Back to history."""
        self.app.pop_screen()
