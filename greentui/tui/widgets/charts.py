"""plotext charts that draw data handed to them, downsampled to their own width, under a head row
(title and legend) drawn by Textual: plotext's own legend sits inside the plot, over the lines, and
is cut where the plot is narrow."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual_plotext.plot import Plot

from greentui.metrics.curves import downsample, steady_downsample
from greentui.tui.models.run_styles import PALETTE, RGB
from greentui.tui.widgets.chart_canvas import CanvasPlot, steady_limits
from greentui.tui.widgets.legend import Legend

Point = tuple[float, float]
# The Pareto front's line: the theme's own text colour, apart from every run's hue.
FRONT_COLOUR = "default"


class Chart(Vertical):
    """A plotext plot under its head row: the title, and the legend where the chart has one."""

    DEFAULT_CSS = """
    Chart { width: 1fr; height: 1fr; }
    Chart > CanvasPlot { height: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own keyword
        super().__init__(id=id)
        # Axis limits on screen while `steady`: (x limits, y limits), None until the first points.
        self._steady_axes: tuple[tuple[float, float], tuple[float, float]] | None = None

    def compose(self) -> ComposeResult:
        """Head, then plot."""
        yield Legend(classes="chart-head", centred=True)
        yield CanvasPlot()

    @property
    def head(self) -> Legend:
        """The title and legend row."""
        return self.query_one(Legend)

    @property
    def plot(self) -> CanvasPlot:
        """The plotext widget."""
        return self.query_one(CanvasPlot)

    def fresh_figure(self, settings_too: bool = True) -> Plot:
        """The plotext figure, cleared for a new drawing; with `settings_too=False` only of its data (the
        lines, texts and limits), for a chart that sets nothing else: clearing the figure rebuilds
        plotext's whole figure object, a tenth of a live chart's redraw."""
        plt = self.plot.plt
        plt.clear_data()
        if settings_too:
            plt.clear_figure()
        return plt


def marked_points(points: Sequence[Point], index: int, count: int) -> list[Point]:
    """Where the index-th of `count` curves carries its marker: its last point and one inside it, the
    inner ones staggered along the x axis so that overlaid curves' marks do not land on each other."""
    if not points:
        return []
    inner = points[round((index + 1) / (count + 1) * (len(points) - 1))]
    return [inner, points[-1]] if inner != points[-1] else [points[-1]]


class LineChart(Chart):
    """Several labelled line series on one chart; redraws only when `show` is called or it resizes."""

    def show(self, title: str, series: Mapping[str, Sequence[Point]], *,
             colours: Mapping[str, RGB] | None = None, markers: Mapping[str, str] | None = None,
             legend: bool = True, steady: bool = False,
             ends: tuple[float | None, float | None] = (None, None)) -> None:
        """Replace what the chart draws. Series without a colour take the palette's in turn; a series with a
        marker has it drawn on its curve; `legend=False` where the screen shows one legend for several charts.
        `steady` (a live run's growing curves): axis limits only grow, in steps, so that a new point redraws
        only the cells it touches rather than every row's labels and curve; `ends` are the x and y values
        the curves are expected to reach (see `steady_limits`), where known."""
        plt = self.fresh_figure(settings_too=False)  # a line chart sets only data, limits and text
        # Two points per cell are all a terminal can show; more only costs time on a slow link.
        width = max(self.size.width, 20) * 2
        drawn: dict[str, list[Point]] = {}
        colour_of: dict[str, RGB] = {}
        for index, (label, points) in enumerate(series.items()):
            colour_of[label] = (colours or {}).get(label, PALETTE[index % len(PALETTE)])
            # Steady: points that stay put as the run goes on, so that only the curve's end repaints.
            points = (steady_downsample if steady else downsample)(list(points), width)
            if points:
                plt.plot([p[0] for p in points], [p[1] for p in points], marker="braille", color=colour_of[label])
                drawn[label] = points
        # Markers after every line: a later line would draw over an earlier curve's marks.
        for index, (label, points) in enumerate(drawn.items()):
            if markers and label in markers:
                for x, y in marked_points(points, index, len(drawn)):
                    plt.scatter([x], [y], marker=markers[label], color=colour_of[label])
        if drawn:
            ys = [y for points in drawn.values() for _, y in points]
            low, high = min(ys), max(ys)
            if steady:
                xs = [x for points in drawn.values() for x, _ in points]
                shown = self._steady_axes
                x_limits = steady_limits(min(xs), max(xs), shown[0] if shown else None, floor_at_zero=True,
                                         end=ends[0])
                y_limits = steady_limits(low, high, shown[1] if shown else None, floor_at_zero=True, end=ends[1])
                self._steady_axes = (x_limits, y_limits)
                plt.xlim(*x_limits)
                plt.ylim(*y_limits)
            else:
                span = (high - low) or abs(high) or 1.0
                bottom = low - 0.05 * span  # a little room, so the lowest and highest curves clear the frame
                plt.ylim(max(bottom, 0.0) if low >= 0 else bottom, high + 0.05 * span)
        else:
            plt.text("waiting for data…", 0.5, 0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        self.head.show(title, [(label, colour_of[label]) for label in drawn] if legend else [])
        self.plot.redraw()


class ScatterChart(Chart):
    """Energy against accuracy, one marker per run, the unbeaten runs joined by a line (the Pareto front)."""

    def show(self, title: str, points: Sequence[tuple[str, RGB, float, float]], front: set[int]) -> None:
        """`points` are (run marker, run colour, energy kWh, accuracy); `front` holds the indexes of unbeaten runs."""
        plt = self.fresh_figure()
        plt.xlabel("energy (kWh)")
        plt.ylabel("accuracy")
        # The front as a line in the text colour, under the runs' marks: colour tells the runs apart. No
        # plotext legend: the screen's legend names each run's mark and colour.
        on_front = sorted((p[2], p[3]) for i, p in enumerate(points) if i in front)
        if len(on_front) > 1:
            # A staircase, as the front is: a straight line between two unbeaten runs would pass over
            # beaten runs drawn between them.
            stairs = [on_front[0]]
            for x, y in on_front[1:]:
                stairs += [(x, stairs[-1][1]), (x, y)]
            plt.plot([x for x, _ in stairs], [y for _, y in stairs], marker="braille", color=FRONT_COLOUR)
        for marker, colour, energy, accuracy in points:
            plt.scatter([energy], [accuracy], marker=marker, color=colour)
        if points:
            xs, ys = [p[2] for p in points], [p[3] for p in points]
            x_pad = (max(xs) - min(xs)) * 0.1 or max(xs) * 0.1 or 1.0
            y_pad = (max(ys) - min(ys)) * 0.1 or 0.01
            plt.xlim(min(xs) - x_pad, max(xs) + x_pad)
            plt.ylim(min(ys) - y_pad, max(ys) + y_pad)
        self.head.show(title, [])
        self.plot.redraw()


class DeltaBars(Widget):
    """Signed changes as text bars about a zero line, one row per label: crisp at any size, where
    plotext's horizontal bars blur once they outnumber the rows."""

    DEFAULT_CSS = "DeltaBars { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own keyword
        super().__init__(id=id)
        self._title = ""
        self._bars: tuple[tuple[str, float], ...] = ()

    def show(self, title: str, bars: Sequence[tuple[str, float]]) -> None:
        """Replace the bars (label, value in %); with none, say what the chart waits for."""
        self._title, self._bars = title, tuple(bars)
        self.refresh(layout=True)

    def get_content_height(self, container: Any, viewport: Any, width: int) -> int:
        """The title and a row per bar."""
        return 1 + max(1, len(self._bars))

    def render(self) -> Text:
        """Plain text, never markup: the labels are stored technique names."""
        text = Text(self._title + "\n", style="bold", no_wrap=True)
        if not self._bars:
            return text + Text("waiting for a technique's runs…", style="dim")
        values = [value for _, value in self._bars]
        label_width = min(24, max(len(label) for label, _ in self._bars))
        span = max(10, self.size.width - label_width - 12)  # the bars' columns, both sides of zero
        low, high = min(0.0, *values), max(0.0, *values)
        scale = span / (high - low) if high > low else 0.0
        zero = round(-low * scale)
        for index, (label, value) in enumerate(self._bars):
            cells = max(1, round(abs(value) * scale)) if value else 0
            left = " " * (zero - cells) + "█" * cells if value < 0 else " " * zero
            right = "█" * cells if value > 0 else ""
            shown = label if len(label) <= label_width else label[: label_width - 1] + "…"
            text.append(f"{shown:>{label_width}} ")
            text.append(left, style="green")
            text.append("│")
            text.append(right.ljust(span - zero), style="red")
            text.append(f" {value:+.1f} %" + ("\n" if index < len(self._bars) - 1 else ""))
        return text
