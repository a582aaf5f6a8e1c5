"""Compare screen: metric changes against a baseline, only the differing keys, the Pareto front, and each
run's one colour and mark in its headers, both charts and the legend."""

from __future__ import annotations

import dataclasses
import json

from rich.style import Style
from rich.text import Text
from textual.widgets import DataTable, Label

from greentui.metrics.pareto import pareto_front
from greentui.tui.app import create_app
from greentui.tui.models.compare import differing_keys, metric_cells
from greentui.tui.models.run_styles import run_styles
from greentui.tui.screens.compare import CompareScreen, distinct_names
from greentui.tui.widgets.charts import LineChart, ScatterChart
from greentui.tui.widgets.legend import Legend
from tests.support import SIZE, fixture_record, isolated_env, make_store, six_run_store, wait_until_pilot  # noqa: F401


def test_pareto_front_keeps_runs_no_other_beats_on_both():
    points = [(0.5, 0.84), (0.4, 0.85), (0.3, 0.80), (0.26, 0.61), (0.27, 0.82), None]
    assert pareto_front(points) == {1, 3, 4}  # (0.27, 0.82) beats (0.3, 0.80) on both
    assert pareto_front([(1.0, 0.9), (1.0, 0.9)]) == {0, 1}  # equals do not beat each other


def test_metric_cells_say_which_way_is_better(tmp_path):
    store = make_store(tmp_path, count=3)
    runs = store.all()
    table = dict(metric_cells(runs, baseline=0))
    energy = table["energy (kWh)"]
    assert energy[0].change_pct is None
    assert round(energy[2].change_pct, 1) == -41.2 and energy[2].better is True
    accuracy = table["accuracy"]
    assert accuracy[1].better is True and accuracy[2].better is False


async def test_compare_shows_only_differing_keys_and_changes(tmp_path):
    store = make_store(tmp_path)
    runs = [r for r in store.all() if r.name in ("baseline", "bf16 cosine", "half data")]
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CompareScreen(runs))
        await pilot.pause()
        diff = app.screen.query_one("#diff-table", DataTable)
        keys = [str(diff.get_row_at(i)[0]) for i in range(diff.row_count)]
        assert keys == ["train_samples", "mixed_precision", "lr_scheduler"]
        assert [str(c) for c in diff.get_row_at(0)[1:]] == ["2000", "2000", "1000"]
        metrics = app.screen.query_one("#metrics-table", DataTable)
        accuracy = [str(c) for c in metrics.get_row_at(0)]
        assert accuracy == ["accuracy", "0.842", "0.851 +0.9 pt", "0.822 -2.0 pt"]  # points, as the sweep report
        assert metrics.get_row_at(0)[2].spans[0].style == "green"
        assert metrics.get_row_at(0)[3].spans[0].style == "red"
        note = str(app.screen.query_one("#pareto-note", Label).render())
        assert "2 bf16 cosine" in note and "3 half data" in note and "1 baseline" not in note
        await pilot.press("b")
        await pilot.pause()
        assert app.screen.baseline == 1
        assert [str(c) for c in metrics.get_row_at(0)][1] == "0.842 -0.9 pt"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, CompareScreen)


def test_identical_configs_have_no_differing_keys(tmp_path):
    store = make_store(tmp_path, count=1)
    record = store.all()[0]
    assert differing_keys([record, record]) == []
    other = fixture_record(4, store)
    assert differing_keys([record, other]) == [("train_samples", ["2000", "1000"])]


def test_column_names_drop_the_words_all_runs_share(tmp_path):
    store = make_store(tmp_path, count=2)
    runs = [dataclasses.replace(r, name=f"tiny-distilbert {r.name}") for r in store.all()]
    assert distinct_names(runs) == ["baseline", "bf16 cosine"]
    same = [dataclasses.replace(r, name="tiny-distilbert") for r in runs]
    assert distinct_names(same) == ["tiny-distilbert", "tiny-distilbert"]
    bf16 = dataclasses.replace(runs[1], name="tiny-distilbert bf16 cosine n2000")
    # A default name (model + techniques) loses the model word; a bare model name stays whole.
    assert distinct_names([same[0], bf16, runs[0]]) == ["tiny-distilbert", "bf16 cosine n2000", "baseline"]


def test_inference_rows_appear_where_a_compared_run_has_them(tmp_path):
    runs = make_store(tmp_path, count=3).all()
    assert not {"kWh per 1k predictions", "model size (MB)"} & set(dict(metric_cells(runs, baseline=0)))  # old runs
    inference = [{"inference_kwh_per_1k": 0.0005, "inference_latency_ms_p50_b1": 4.0, "model_size_mb": 268.0,
                  "inference_accuracy": 0.84, "flops_per_prediction": 1.1e9},
                 {"inference_kwh_per_1k": 0.0002, "inference_latency_ms_p50_b1": 5.0, "model_size_mb": 67.0,
                  "inference_accuracy": 0.85, "flops_per_prediction": 1.1e9}, {}]
    runs = [dataclasses.replace(r, metrics={**r.metrics, **extra}) for r, extra in zip(runs, inference, strict=True)]
    table = dict(metric_cells(runs, baseline=0))
    per_1k = table["kWh per 1k predictions"]
    assert [c.text for c in per_1k] == ["0.000500", "0.000200", "–"]  # the third run had no inference phase
    assert round(per_1k[1].change_pct, 6) == -60.0 and per_1k[1].better is True
    latency = table["latency p50 batch 1 (ms)"]
    assert latency[1].text == "5.00" and round(latency[1].change_pct, 6) == 25.0 and latency[1].better is False
    assert table["inference accuracy"][1].better is True and table["model size (MB)"][1].better is True
    assert table["FLOPs per prediction"][1].text == "1.10e+09" and table["FLOPs per prediction"][1].better is None
    assert "pruning sparsity" not in table and "training FLOPs" not in table  # no compared run has them
    assert list(table)[:9] == ["accuracy", "F1", "eval loss", "time (s)", "samples/s", "energy (kWh)",
                               "energy ± (stated)", "other work on devices", "CO2 (g)"]


async def test_r_writes_the_report_of_the_compared_runs_against_the_baseline(tmp_path):
    from tests.support import wait_until_pilot
    from tests.test_report_formats import reference_store
    from tests.test_tui_history import answer_prompt

    store = reference_store(tmp_path)
    runs = [r for r in store.all() if "sweep 2033" in r.name and r.sweep["role"] in ("baseline", "quantization")]
    app = create_app(store.path, attach_running=False)
    target = tmp_path / "compare.json"
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(CompareScreen(runs))
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        await answer_prompt(pilot, str(tmp_path / "compare.docx"))  # a format it cannot tell: said, nothing written
        await wait_until_pilot(pilot, lambda: any("cannot tell the format" in n.message for n in app._notifications),
                               "the refusal")
        await pilot.press("r")
        await pilot.pause()
        await answer_prompt(pilot, str(target))
        await wait_until_pilot(pilot, target.exists, "the report")
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert [row["techniques"] for row in doc["rows"]] == ["baseline", "int8"] and doc["appendix"]["study"]["runs"] == 4
    assert not (tmp_path / "compare.docx").exists()


def contrast(rgb: tuple[int, int, int], against: float) -> float:
    """WCAG contrast ratio of a colour against a background of relative luminance `against` (0 black, 1 white)."""
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (v / 255 for v in rgb)]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return (max(luminance, against) + 0.05) / (min(luminance, against) + 0.05)


def test_run_colours_read_on_dark_and_light_and_differ_for_eight_runs():
    styles = run_styles(40)
    assert len({s.colour for s in styles[:8]}) == 8
    for style in styles[:8]:
        assert contrast(style.colour, 1.0) >= 3.0 and contrast(style.colour, 0.0) >= 5.0, style.hex  # light, dark
    assert [s.marker for s in styles[:10]] == [*"123456789", "A"]  # one character: a scatter point is drawn as it
    assert len({s.marker for s in styles[:35]}) == 35
    assert styles[8].colour == styles[0].colour and styles[8].marker != styles[0].marker


def colours_of(text: Text, char: str) -> set[str]:
    """The colours (`#rrggbb`, or "" for none) in which `char` is drawn in `text`."""
    found = set()
    for index, ch in enumerate(text.plain):
        if ch != char:
            continue
        colour = ""
        for span in text.spans:
            if span.start <= index < span.end:
                style = span.style if isinstance(span.style, Style) else Style.parse(span.style)
                colour = style.color.triplet.hex if style.color and style.color.triplet else colour
        found.add(colour)
    return found


def header_colour(label: Text) -> str:
    style = label.style if isinstance(label.style, Style) else Style.parse(label.style)
    return style.color.triplet.hex if style.color and style.color.triplet else ""


async def open_compare(pilot, runs) -> CompareScreen:
    """Push the compare screen of `runs` and wait for its charts (the curves are read on a thread)."""
    pilot.app.push_screen(CompareScreen(runs))
    await pilot.pause()
    screen = pilot.app.screen
    await wait_until_pilot(pilot, lambda: screen.query_one("#loss-overlay", LineChart).head.heading, "the charts")
    return screen


async def test_each_run_has_one_colour_and_mark_in_headers_charts_and_legend(tmp_path):
    store = six_run_store(tmp_path)
    runs = store.all()
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_compare(pilot, runs)
        loss = screen.query_one("#loss-overlay", LineChart).plot.render()
        scatter = screen.query_one("#pareto-chart", ScatterChart).plot.render()
        legend = screen.query_one("#run-legend", Legend).render()
        colours = {style.hex for style in screen.run_style}
        assert len(colours) == 6
        for table_id in ("#metrics-table", "#diff-table"):
            headers = [c.label for c in screen.query_one(table_id, DataTable).ordered_columns[1:]]
            assert [header_colour(h) for h in headers] == [s.hex for s in screen.run_style]
        for index, style in enumerate(screen.run_style):
            # The run's mark is drawn in its colour on both charts, and no other run's colour draws it.
            assert style.hex in colours_of(loss, style.marker) and style.hex in colours_of(scatter, style.marker)
            assert not (colours - {style.hex}) & (colours_of(loss, style.marker) | colours_of(scatter, style.marker))
            # The legend names every run, in its colour.
            name = screen.names[index]
            at = legend.plain.index(f"{style.marker} {name}")
            assert colours_of(legend[at:at + len(name) + 2], style.marker) == {style.hex}
        assert "1 baseline (base)" in legend.plain and legend.plain.count("(base)") == 1
        assert "━ 1" not in str(loss) and "baseline" not in str(loss)  # no plotext legend over the lines


async def test_number_keys_pick_the_baseline_and_the_changes_follow(tmp_path):
    store = make_store(tmp_path)
    runs = [r for r in store.all() if r.name in ("baseline", "bf16 cosine", "half data")]
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot, runs)
        metrics = screen.query_one("#metrics-table", DataTable)

        def headers() -> list[str]:
            return [str(c.label) for c in metrics.ordered_columns[1:]]

        assert headers() == ["1 baseline (base)", "2 bf16 cosine", "3 half data"]
        await pilot.press("3")
        await pilot.pause()
        assert screen.baseline == 2
        assert headers() == ["1 baseline", "2 bf16 cosine", "3 half data (base)"]
        assert [str(c) for c in metrics.get_row_at(0)] == ["accuracy", "0.842 +2.0 pt", "0.851 +2.9 pt", "0.822"]
        assert metrics.get_row_at(0)[1].spans[-1].style == "green"
        assert "baseline 3 (half data)" in str(screen.query_one("#metrics-title", Label).render())
        assert "3 half data (base)" in screen.query_one("#run-legend", Legend).render().plain
        await pilot.press("9")  # no ninth run: said, and the baseline stays
        await pilot.pause()
        assert screen.baseline == 2 and any("no run 9" in n.message for n in app._notifications)
        await pilot.press("b")  # `b` still moves on, from the picked one
        await pilot.pause()
        assert screen.baseline == 0 and headers()[0] == "1 baseline (base)"
        assert [str(c) for c in metrics.get_row_at(0)][1:] == ["0.842", "0.851 +0.9 pt", "0.822 -2.0 pt"]
