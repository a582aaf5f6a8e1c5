"""Compare screen: metric changes against a baseline, only the differing keys, the Pareto front."""

from __future__ import annotations

import dataclasses
import json

from textual.widgets import DataTable, Label

from greentui.metrics.pareto import pareto_front
from greentui.tui.app import create_app
from greentui.tui.models.compare import differing_keys, metric_cells
from greentui.tui.screens.compare import CompareScreen, distinct_names
from tests.support import SIZE, fixture_record, isolated_env, make_store  # noqa: F401


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
