"""The live view sends a terminal only what changed: a chart with the same picture and a strip line with the
same text are not repainted, and axes grow in steps rather than with every point."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from greentui.tui.widgets.chart_canvas import REACH, STEP_FRACTION, CanvasPlot, steady_limits, within_reach
from greentui.tui.widgets.status_strip import StripLine


class ChartAndLine(App[None]):
    def compose(self) -> ComposeResult:
        yield CanvasPlot(id="chart")
        yield StripLine()


def test_axes_hold_while_the_data_fits_and_grow_by_a_step_past_it() -> None:
    first = steady_limits(0.0, 10.0, None, floor_at_zero=True)
    assert first == (0.0, 10.0 + STEP_FRACTION * 10.0)  # room above; a loss never goes below zero
    assert steady_limits(1.0, 11.0, first, floor_at_zero=True) == first  # a new point inside: no label moves
    grown = steady_limits(1.0, 20.0, first, floor_at_zero=True)
    assert grown[0] == first[0] and grown[1] > 20.0
    assert steady_limits(-5.0, 5.0, None, floor_at_zero=False)[0] < -5.0


def test_an_axis_with_a_known_end_holds_the_whole_run_and_a_projection_is_trusted_only_near() -> None:
    steps = [steady_limits(0.0, 1.0, None, floor_at_zero=True, end=1250.0)]
    for step in range(2, 1251, 7):  # a run's steps coming in: the axis never changes
        steps.append(steady_limits(0.0, float(step), steps[-1], floor_at_zero=True, end=1250.0))
    assert set(steps) == {steps[0]} and 1250.0 < steps[0][1] < 1300.0
    assert steady_limits(0.0, 1400.0, steps[0], floor_at_zero=True, end=1250.0)[1] > 1400.0  # past its end: grows
    assert within_reach(60.0, 30.0) == 60.0
    assert within_reach(60.0 * REACH, 30.0) is None  # a first seconds' projection, far out: not trusted
    assert within_reach(20.0, 30.0) is None and within_reach(None, 30.0) is None and within_reach(5.0, 0.0) is None


async def test_a_chart_repaints_only_a_changed_picture() -> None:
    app = ChartAndLine()
    async with app.run_test(size=(60, 20)) as pilot:
        chart = app.query_one("#chart", CanvasPlot)
        await pilot.pause()
        for points in ([3.0, 2.0, 1.0], [3.0, 2.0, 1.0]):  # the figure built as the live charts build it
            chart.plt.clear_data()
            chart.plt.clear_figure()
            chart.plt.plot(list(range(len(points))), points)
            chart.redraw()
        count = chart.repaints
        chart.plt.clear_data()
        chart.plt.clear_figure()
        chart.plt.plot([0, 1, 2], [3.0, 2.0, 1.0])  # the same figure again
        assert chart.redraw() is False and chart.repaints == count
        chart.plt.clear_data()
        chart.plt.clear_figure()
        chart.plt.plot([0, 1, 2, 3], [3.0, 2.0, 1.0, 0.2])  # a new point
        assert chart.redraw() is True and chart.repaints == count + 1


async def test_a_strip_line_repaints_only_changed_text() -> None:
    app = ChartAndLine()
    async with app.run_test(size=(60, 20)) as pilot:
        line = app.query_one(StripLine)
        line.show(Text("step 10 · 12.0 W"))
        line.show(Text("step 10 · 12.0 W"))
        assert line.repaints == 1
        line.show(Text("step 10 · 12.0 W", style="bold"))  # same letters, another style: shown
        line.show(Text("step 11 · 12.0 W"))
        assert line.repaints == 3
        await pilot.pause()
        assert line.display
        line.show(Text(""))
        assert not line.display  # an empty line takes no row
