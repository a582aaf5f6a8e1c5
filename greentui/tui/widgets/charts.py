"""plotext charts that draw data handed to them, downsampled to their own width."""

from __future__ import annotations

from typing import Mapping, Sequence

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
        # Each run is drawn as its own number: green when no other run beats it on both axes.
        legend_done: set[bool] = set()
        for index, (label, energy, accuracy) in enumerate(points):
            unbeaten = index in front
            legend = None if unbeaten in legend_done else ("unbeaten" if unbeaten else "beaten")
            legend_done.add(unbeaten)
            plt.scatter([energy], [accuracy], marker=label[:1], color="green" if unbeaten else "red",
                        label=legend)
        if points:
            xs, ys = [p[1] for p in points], [p[2] for p in points]
            x_pad = (max(xs) - min(xs)) * 0.1 or max(xs) * 0.1 or 1.0
            y_pad = (max(ys) - min(ys)) or 0.05
            plt.xlim(min(xs) - x_pad, max(xs) + x_pad)
            plt.ylim(min(ys) - 0.1 * y_pad, max(ys) + 0.5 * y_pad)
        self.refresh()


class BarChart(PlotextPlot):
    """Horizontal bars, one per label: the change of a figure per technique."""

    def show(self, title: str, bars: Sequence[tuple[str, float]], xlabel: str = "") -> None:
        """Replace the bars; with none, say what the chart is waiting for."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title)
        plt.xlabel(xlabel)
        if bars:
            # Cut labels so the bars keep most of the width at 80 columns.
            labels = [label if len(label) <= 16 else label[:15] + "…" for label, _ in bars]
            values = [value for _, value in bars]
            plt.bar(labels, values, orientation="horizontal", width=0.4, color="cyan", minimum=0)
            # Zero always in view, with room on both sides: a lone bar would otherwise fill the chart.
            low, high = min(0.0, *values), max(0.0, *values)
            pad = 0.15 * (high - low) or 1.0
            plt.xlim(low - pad, high + pad)
        else:
            plt.text("waiting for a technique's runs…", 0.5, 0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
        self.refresh()
