"""plotext charts that draw data handed to them, downsampled to their own width."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

from rich.text import Text
from textual.widget import Widget
from textual_plotext import PlotextPlot

from greentui.metrics.curves import downsample

Point = tuple[float, float]


class LineChart(PlotextPlot):
    """Several labelled line series on one chart; redraws only when `show` is called or it resizes."""

    def show(self, title: str, series: Mapping[str, Sequence[Point]], xlabel: str = "", ylabel: str = "") -> None:
        """Replace what the chart draws."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        plt.xlabel(xlabel)
        plt.ylabel(ylabel)
        # Two points per cell are all a terminal can show; more only costs time on a slow link.
        width = max(self.size.width, 20) * 2
        drawn = False
        low, high = float("inf"), float("-inf")
        for label, points in series.items():
            points = downsample(list(points), width)
            if points:
                ys = [p[1] for p in points]
                plt.plot([p[0] for p in points], ys, label=label, marker="braille")
                low, high = min(low, *ys), max(high, *ys)
                drawn = True
        if drawn:
            # Head room above the data keeps the legend (top left) from hiding the curves.
            span = (high - low) or abs(high) or 1.0
            bottom = low - 0.05 * span
            plt.ylim(max(bottom, 0.0) if low >= 0 else bottom, high + 0.45 * span)
        else:
            plt.text("waiting for data…", 0.5, 0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        self.refresh()


class ScatterChart(PlotextPlot):
    """Energy against accuracy, one marker per run; runs that no other run beats on both get their own series."""

    def show(self, title: str, points: Sequence[tuple[str, float, float]], front: set[int]) -> None:
        """`points` are (run label, energy kWh, accuracy); `front` holds the indexes of unbeaten runs."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        plt.xlabel("energy (kWh)")
        plt.ylabel("accuracy")
        # Each run is drawn as its own number: green when no other run beats it on both axes. No plotext
        # legend: it shows each series' marker, a run's number, so "1 beaten" read as "11 beaten"; the
        # screen's note below the chart says what the colours mean.
        for index, (label, energy, accuracy) in enumerate(points):
            plt.scatter([energy], [accuracy], marker=label[:1], color="green" if index in front else "red")
        if points:
            xs, ys = [p[1] for p in points], [p[2] for p in points]
            x_pad = (max(xs) - min(xs)) * 0.1 or max(xs) * 0.1 or 1.0
            y_pad = (max(ys) - min(ys)) or 0.05
            plt.xlim(min(xs) - x_pad, max(xs) + x_pad)
            plt.ylim(min(ys) - 0.1 * y_pad, max(ys) + 0.5 * y_pad)
        self.refresh()


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
