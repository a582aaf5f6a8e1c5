"""plotext charts that draw data handed to them, downsampled to their own width."""

from __future__ import annotations

from typing import Mapping, Sequence

from textual_plotext import PlotextPlot

from greentui.metrics import downsample

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
        for label, points in series.items():
            points = downsample(list(points), width)
            if points:
                plt.plot([p[0] for p in points], [p[1] for p in points], label=label, marker="braille")
                drawn = True
        if not drawn:
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
        groups = {"unbeaten (Pareto)": [p for i, p in enumerate(points) if i in front],
                  "beaten": [p for i, p in enumerate(points) if i not in front]}
        for label, group in groups.items():
            if group:
                plt.scatter([g[1] for g in group], [g[2] for g in group], label=label,
                            marker="◆" if label.startswith("unbeaten") else "●",
                            color="green" if label.startswith("unbeaten") else "red")
        for label, energy, accuracy in points:
            plt.text(label, energy, accuracy, alignment="left")
        self.refresh()
