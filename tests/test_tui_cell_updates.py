"""The live view repaints only the cells that changed: a clock's digits, a chart's newest cells, a title's figures."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rich.text import Text
from textual._compositor import ChopsUpdate
from textual.app import App, ComposeResult

from greentui.metrics.curves import steady_downsample
from greentui.tui.widgets.cell_diff import JOIN_GAP, changed_spans
from greentui.tui.widgets.chart_canvas import CanvasPlot
from greentui.tui.widgets.legend import Legend
from greentui.tui.widgets.status_strip import StripLine

STYLES = ["", "bold", "red", "bold red"]


@st.composite
def lines(draw: st.DrawFn) -> Text:
    line = Text()
    for piece, style in draw(st.lists(st.tuples(st.text("ab ·0", max_size=6), st.sampled_from(STYLES)), max_size=5)):
        line.append(piece, style=style)
    return line


def _looks(line: Text, column: int) -> tuple[str, tuple[str, ...]] | None:
    if column >= len(line.plain):
        return None
    return line.plain[column], tuple(str(s.style) for s in line.spans if s.start <= column < s.end)


@settings(max_examples=300, deadline=None)
@given(lines(), lines())
def test_changed_spans_hold_every_changed_cell_and_start_and_end_on_one(old: Text, new: Text) -> None:
    spans = changed_spans(old, new)
    width = max(len(old.plain), len(new.plain))
    inside = {x for start, end in spans for x in range(start, end)}
    for x in range(width):
        if _looks(old, x) != _looks(new, x):
            assert x in inside
    for start, end in spans:
        assert _looks(old, start) != _looks(new, start) and _looks(old, end - 1) != _looks(new, end - 1)
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start - end > JOIN_GAP  # runs nearer than that are sent as one


def test_a_line_with_wide_characters_or_another_style_is_repainted_whole() -> None:
    assert changed_spans(Text("能 step 1"), Text("能 step 2")) == [(0, 9)]  # offsets are not columns there
    assert changed_spans(Text("step 1"), Text("step 1", style="red")) == [(0, 6)]
    assert changed_spans(Text("elapsed 9 s"), Text("elapsed 10 s")) == [(8, 12)]  # the rest moved right
    assert changed_spans(Text("same"), Text("same")) == []


def test_a_growing_series_keeps_its_points_in_place_but_its_newest() -> None:
    series = [(float(x), float(x * x % 7)) for x in range(2000)]
    before = steady_downsample(series[:700], 100)
    moved = 0
    for count in range(701, 2000):
        after = steady_downsample(series[:count], 100)
        assert len(after) <= 100 and after[0] == series[0] and after[-1] == series[count - 1]
        if after[:-1] != before[:len(after) - 1]:
            moved += 1  # the stride doubled: the one redraw of the whole curve
        before = after
    assert moved == 2  # 700 → 2000 points, 100 kept: the stride went from 8 to 16 and to 32, nothing else moved
    assert steady_downsample(series[:50], 100) == series[:50]


class LiveParts(App[None]):
    def compose(self) -> ComposeResult:
        yield StripLine()
        yield Legend(id="head", centred=True)
        yield CanvasPlot(id="chart")


def _plot(chart: CanvasPlot, ys: list[float]) -> None:
    chart.plt.clear_data()
    chart.plt.clear_figure()
    chart.plt.plot(list(range(len(ys))), ys, marker="braille")
    chart.plt.xlim(0, 20)  # steady axes, as a live chart has them
    chart.plt.ylim(0, 4)


async def test_a_tick_repaints_the_clock_the_title_figure_and_the_curve_tip_only(monkeypatch) -> None:
    spans: list[tuple[int, int, int]] = []
    made = ChopsUpdate.__init__

    def record(update: ChopsUpdate, chops: object, update_spans: list[tuple[int, int, int]], *rest: object) -> None:
        made(update, chops, update_spans, *rest)  # type: ignore[arg-type]
        spans.extend(update_spans)

    monkeypatch.setattr(ChopsUpdate, "__init__", record)
    app = LiveParts()
    async with app.run_test(size=(60, 16)) as pilot:
        line, head, chart = app.query_one(StripLine), app.query_one(Legend), app.query_one(CanvasPlot)
        ys = [3.0, 2.4, 2.0, 1.8, 1.6]
        line.show(Text(" running  step 10 · elapsed 9 s"))
        head.show("loss · energy 0.000123 kWh", [])
        _plot(chart, ys)
        chart.redraw()
        await pilot.pause()
        spans.clear()
        line.show(Text(" running  step 11 · elapsed 10 s"))
        head.show("loss · energy 0.000131 kWh", [])
        _plot(chart, [*ys, 1.5])
        assert chart.redraw() and chart.repaints == 2
        await pilot.pause()
        sent = sum(x2 - x1 for _, x1, x2 in spans)
        assert spans and sent < 60  # of 16 rows × 60 columns: a whole repaint of the three would be ~900 cells
        assert min(x1 for _, x1, _ in spans) > 0  # nothing from a line's start: every change is mid-line
        spans.clear()
        line.show(Text(" running  step 11 · elapsed 10 s and longer than the terminal is wide, so it is cut"))
        await pilot.pause()
        assert line.size.height == 1  # a line that outgrows its row keeps it: no layout, no whole repaint
        assert line.render_line(0).text.endswith("…")
        assert spans and sum(x2 - x1 for _, x1, x2 in spans) < 60
        spans.clear()
        line.show(Text(" running  step 12 · elapsed 11 s and longer than the terminal is wide, so it is cut"))
        await pilot.pause()
        assert spans and sum(x2 - x1 for _, x1, x2 in spans) <= 4  # the step's digit (and the `…` cell)


async def test_a_chart_decodes_only_the_lines_of_its_picture_that_changed_and_the_same_as_decoded_whole() -> None:
    app = LiveParts()
    async with app.run_test(size=(60, 16)) as pilot:
        chart = app.query_one(CanvasPlot)
        ys = [3.0, 2.4, 2.0, 1.8, 1.6]
        _plot(chart, ys)
        chart.redraw()
        await pilot.pause()
        before = list(chart._lines or [])
        _plot(chart, [*ys, 1.5])
        chart.redraw()
        after = chart._lines or []
        whole = list(Text.from_ansi(chart._picture or "").split("\n", allow_blank=True))
        assert [(t.plain, t.spans) for t in after] == [(t.plain, t.spans) for t in whole]
        kept = sum(1 for old, new in zip(before, after, strict=True) if old is new)
        assert 0 < kept < len(after)  # the unchanged rows kept their Text; the tip's row was decoded again
