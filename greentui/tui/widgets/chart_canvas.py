"""A plotext plot that repaints only the cells its picture changed, and axis limits that only grow in steps.

Over SSH every repainted cell is bytes on the link: a chart refreshed with the same picture, or one
whose axis labels shift with each new point, resends all its rows (each braille cell with its
colour codes). Building the canvas text first and comparing it with the last one costs the same
build a repaint would have made anyway; only the cells that differ are then repainted.
"""

from __future__ import annotations

from rich.text import Text
from textual.geometry import Size
from textual_plotext import PlotextPlot

from greentui.tui.widgets.cell_diff import changed_regions

# How far past the data an axis limit goes when the data outgrows it: a quarter of the span, so that
# a growing curve moves its axis (and every row's labels) only now and then.
STEP_FRACTION = 0.25


class CanvasPlot(PlotextPlot):
    """PlotextPlot whose `redraw` repaints only a changed picture, and of it only the changed cells;
    `repaints` counts the redraws that sent anything."""

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002 - Textual's own keyword
        super().__init__(id=id)
        self.repaints = 0
        self._picture: str | None = None
        self._lines: list[Text] | None = None  # the picture decoded into styled lines, as render shows it
        self._raw_lines: list[str] = []  # the picture's lines as plotext wrote them
        self._built_for: tuple[Size, str] | None = None  # the size and theme the picture was built for

    def _build(self) -> str:
        # As PlotextPlot.render does, sizes set twice: see textual-plotext issue 5.
        self._plot.plotsize(self.size.width, self.size.height)
        self._plot._set_size(self.size.width, self.size.height)
        self._plot.theme(self._get_plotext_theme_name(self.app.theme))
        self._built_for = (self.size, self.app.theme)
        picture: str = self._plot.build()
        return picture

    def _show(self, picture: str) -> list[Text]:
        # Line by line, and only the lines that changed: plotext ends each line with a reset, so a line
        # decodes alone as it does inside the whole picture, and most lines of a new picture are the
        # last one's (the curve's end moved); an unchanged line keeps its Text, which the diff then skips.
        raw, shown = picture.split("\n"), self._lines
        before = {}
        if shown is not None and len(shown) == len(raw) == len(self._raw_lines):
            before = dict(zip(self._raw_lines, shown, strict=True))
        self._picture, self._raw_lines = picture, raw
        self._lines = lines = [before.get(line) or Text.from_ansi(line) for line in raw]
        return lines

    def redraw(self) -> bool:
        """Build the figure's picture; repaint the cells where it differs from the one on screen. True if any."""
        if not self.size.area:  # not laid out yet: the first render builds it
            self._picture = self._lines = None
            self.refresh()
            return True
        shown, built_for = self._lines, self._built_for
        picture = self._build()
        if picture == self._picture:
            return False
        lines = self._show(picture)
        regions = changed_regions(shown, lines) if shown is not None and built_for == self._built_for else None
        if regions == []:
            return False  # other codes, the same look
        self.repaints += 1
        self.refresh(*regions or ())  # no regions: the whole plot (a new size or theme)
        return True

    def render(self) -> Text:
        """The picture last built, rebuilt when the size or theme changed since (a resize, a new theme)."""
        if self._lines is None or self._built_for != (self.size, self.app.theme):
            return Text("\n").join(self._show(self._build()))
        return Text("\n").join(self._lines)


def steady_limits(low: float, high: float, shown: tuple[float, float] | None, floor_at_zero: bool,
                  end: float | None = None) -> tuple[float, float]:
    """Axis limits that hold `low..high`: `shown` where it still holds them, else widened past the data by
    a step, so that the axis and its labels change a few times in a run rather than with each point.

    `end`, where the data is known or projected to end (the run's last step, its projected finish),
    is the top instead whenever that is further: the axis then holds the whole run from the start.
    """
    if shown is not None and shown[0] <= low and high <= shown[1]:
        return shown
    span = (high - low) or abs(high) or 1.0
    bottom, top = shown if shown is not None else (low, high)
    if low < bottom or shown is None:
        bottom = low - STEP_FRACTION * span
        if floor_at_zero and low >= 0:
            bottom = max(bottom, 0.0)
    if high > top or shown is None:
        top = high + STEP_FRACTION * span
        if end is not None and end > high:
            top = max(top, end + END_MARGIN * (end - bottom))
    return bottom, top


def within_reach(end: float | None, now: float) -> float | None:
    """A projected end, where it is near enough to trust: past `now`, and at most REACH times as far.

    A projection from a run's first seconds can be far out (start-up counted as training): an axis
    sized to it would squash the curves into a corner for the whole run, since limits never shrink.
    """
    return end if end is not None and 0 < now < end <= REACH * now else None


END_MARGIN = 0.03  # room past a projected end: a projection a little short does not grow the axis at once
REACH = 3.0
