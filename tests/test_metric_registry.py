"""The metric registry: every key a consumer uses is declared, values format one way, better means one thing."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from greentui.events.reducer import ENERGY_PARTS
from greentui.metrics.derived import derived_metrics, metrics_from_events
from greentui.metrics.registry import (
    BY_KEY,
    EVALUATED,
    INFERRED,
    METRICS,
    MISSING,
    TABLE_METRICS,
    change_is_better,
    declared_order,
    find,
    format_value,
    metric,
)
from greentui.report.attribution import MEASURES
from greentui.report.csv_export import write_csv
from greentui.report.text import LIST_HEADER, list_row, one_line_summary
from greentui.store.record import FINISHED, RunRecord
from greentui.store.summary import ROW_METRICS, RunSummary
from greentui.tui.models.compare import COMPARED_METRICS
from greentui.tui.models.history_columns import ALL_COLUMNS
from greentui.tui.models.live import LiveSnapshot
from greentui.tui.widgets.status_strip import FIGURES, strip_text
from tests.support import fixture_events


def every_metric_record() -> RunRecord:
    """A run holding every declared metric, each with its own value (its position, plus one)."""
    return RunRecord(id="r1", name="all", status="completed", created_at="2026-11-21T10:00:00+00:00",
                     metrics={m.key: float(i + 1) for i, m in enumerate(METRICS)})


def test_every_metric_key_a_consumer_uses_is_declared() -> None:
    used = {*ROW_METRICS, *(m.key for m in TABLE_METRICS), *(m.key for m in COMPARED_METRICS),
            *(m.key for m in MEASURES.values()), *FIGURES, "energy_kwh", "emissions_kg", *ENERGY_PARTS, "joules_per_sample"}
    assert used - set(BY_KEY) == set()
    assert all(BY_KEY[m.key] is m for m in (*TABLE_METRICS, *COMPARED_METRICS, *MEASURES.values()))
    assert all(hasattr(LiveSnapshot, key) for key in FIGURES)  # the strip reads the snapshot by metric key
    with pytest.raises(KeyError, match="'nope' is not declared"):
        metric("nope")


def test_history_metric_columns_sort_by_a_declared_metric_the_index_holds() -> None:
    # A history column on a metric that is undeclared, or that the index does not hold, sorts every run as missing.
    record = every_metric_record()
    summary = RunSummary.from_line(RunSummary.of(record).line())  # through an index line, as the history reads it
    metric_columns = [c for c in ALL_COLUMNS if c.key in {m.key for m in TABLE_METRICS}]
    assert [c.title for c in metric_columns] == list(LIST_HEADER[5:])
    for column in metric_columns:
        value = column.sort_key(summary)
        assert value is not None, f"history column {column.title!r} reads a metric the index does not hold"
        assert METRICS[int(value) - 1].short == column.title
    assert len(list_row(record)) == len(LIST_HEADER)


def test_derived_metrics_are_exactly_the_declared_derived_ones_and_exist_where_their_inputs_do() -> None:
    full = {"energy_kwh": 0.001, "samples_trained": 360, "duration_s": 10.0, "accuracy": 0.8}
    assert set(derived_metrics(full)) == {m.key for m in METRICS if m.derived}
    inputs = {"samples_per_s": ("samples_trained", "duration_s"),
              "joules_per_sample": ("energy_kwh", "samples_trained"), "ear_kwh": ("energy_kwh", "accuracy")}
    for key, needs in inputs.items():  # a status can have a derived metric only where it can have its inputs
        assert metric(key).statuses <= frozenset.intersection(*(metric(k).statuses for k in needs)), key


def test_derived_metrics_treat_malformed_values_as_missing() -> None:
    assert derived_metrics({"energy_kwh": "0.1", "samples_trained": 10, "duration_s": 2.0, "accuracy": True}) == {
        "samples_per_s": 5.0}
    assert derived_metrics({"energy_kwh": None, "samples_trained": 0, "duration_s": 0}) == {}


def test_statuses_say_where_a_metric_can_exist() -> None:
    assert metric("energy_kwh").statuses == FINISHED and "crashed" in metric("emissions_kg").statuses
    assert metric("accuracy").statuses == EVALUATED == frozenset({"completed", "stopped", "pruned"})
    assert {"stopped", "failed", "diverged"} <= metric("duration_s").statuses
    assert "crashed" not in metric("samples_per_s").statuses and metric("samples_per_s").derived
    assert not metric("energy_kwh").derived


def test_values_format_in_the_shown_unit_with_a_dash_for_missing_or_malformed() -> None:
    assert format_value("emissions_kg", 0.000194) == "0.194"  # kg stored, g shown
    assert format_value("energy_kwh", 0.000408) == "0.000408"
    assert format_value("accuracy", 0.8812) == "0.881"
    assert format_value("duration_s", 185.2) == "185.2" and format_value("duration_s", 185.2, cell=True) == "3 m 05 s"
    assert format_value("duration_s", 7500, cell=True) == "2 h 05 m"
    for bad in (None, "0.5", True, [1]):
        assert format_value("accuracy", bad) == MISSING and format_value("duration_s", bad, cell=True) == MISSING
    assert format_value("duration_s", float("nan"), cell=True) == MISSING


def test_labels_titles_and_phrases() -> None:
    assert [m.title for m in COMPARED_METRICS] == [
        "accuracy", "F1", "eval loss", "time (s)", "samples/s", "energy (kWh)", "CO2 (g)", "J/sample", "kWh per accuracy",
        "training FLOPs", "training peak memory (MB)", "inference accuracy", "latency p50 batch 1 (ms)",
        "latency p95 batch 1 (ms)", "latency p50 batch 32 (ms)", "latency p95 batch 32 (ms)", "inference samples/s",
        "kWh per 1k predictions", "inference energy (kWh)", "inference peak memory (MB)", "FLOPs per prediction",
        "model size (MB)", "pruning sparsity"]
    assert [m.short for m in TABLE_METRICS] == ["acc", "time", "kWh", "CO2 g", "J/sample"]
    assert metric("accuracy").phrase(0.8812) == "accuracy 0.881"
    assert metric("energy_kwh").phrase(None) == "energy – kWh"
    assert metric("samples_per_s").phrase(22.14) == "22.1 samples/s"
    assert metric("emissions_kg").document_label == "CO₂" and metric("energy_kwh").document_label == "energy"


INFERENCE_KEYS = ("inference_accuracy", "inference_latency_ms_p50_b1", "inference_latency_ms_p95_b1",
                  "inference_latency_ms_p50_b32", "inference_latency_ms_p95_b32", "inference_samples_per_s",
                  "inference_kwh_per_1k", "inference_energy_kwh", "inference_peak_mem_mb", "flops_per_prediction",
                  "pruning_sparsity")


def test_the_inference_phase_and_compute_metrics_are_declared_with_units_formats_and_directions() -> None:
    for key in INFERENCE_KEYS:  # only a completed run goes on to the inference phase
        assert metric(key).statuses == INFERRED == frozenset({"completed"}), key
    assert metric("train_flops").statuses == EVALUATED and "failed" in metric("train_peak_mem_mb").statuses
    higher = {"inference_accuracy", "inference_samples_per_s"}
    for key in (*INFERENCE_KEYS, "train_flops", "train_peak_mem_mb", "model_size_mb"):
        assert metric(key).better == ("none" if key == "pruning_sparsity" else "higher" if key in higher else "lower"), key
    assert {metric(k).unit for k in INFERENCE_KEYS if "latency" in k} == {"ms"}
    assert metric("inference_kwh_per_1k").unit == "kWh" and metric("inference_peak_mem_mb").unit == "MB"
    assert metric("pruning_sparsity").unit == "" and metric("flops_per_prediction").unit == ""
    # kWh per 1k predictions spans 1e-6..1e-3 and FLOPs 1e6..1e15: three digits whatever the magnitude.
    assert format_value("inference_kwh_per_1k", 2.5e-6) == "2.50e-06"
    assert format_value("inference_kwh_per_1k", 0.000412) == "0.000412"
    assert format_value("flops_per_prediction", 1.234e9) == "1.23e+09" and format_value("train_flops", 4e15) == "4.00e+15"
    assert format_value("inference_latency_ms_p50_b1", 3.456) == "3.46" and format_value("pruning_sparsity", 0.5) == "0.500"
    assert metric("inference_kwh_per_1k").title == "kWh per 1k predictions"
    assert metric("inference_latency_ms_p95_b32").short == "p95 b32 ms"
    assert not any(metric(k).derived for k in INFERENCE_KEYS)  # the worker measures them; nothing derives them


def test_change_against_a_baseline_is_better_or_worse_by_the_declared_direction() -> None:
    assert change_is_better("accuracy", 0.9, 0.8) is True and change_is_better("accuracy", 0.7, 0.8) is False
    assert change_is_better("energy_kwh", 0.1, 0.2) is True and change_is_better("energy_kwh", 0.3, 0.2) is False
    assert change_is_better("energy_kwh", 0.2, 0.2) is None  # the same value is neither
    assert change_is_better("steps", 10, 5) is None  # no direction
    assert change_is_better("accuracy", None, 0.8) is None and change_is_better("accuracy", 0.9, "x") is None
    assert metric("accuracy").better == "higher" and metric("joules_per_sample").better == "lower"


def test_csv_metric_columns_follow_the_registry_then_undeclared_ones(tmp_path: Path) -> None:
    runs = [RunRecord(id="r1", name="a", status="completed", created_at="",
                      metrics={"zeta_custom": 1, "energy_kwh": 0.1, "accuracy": 0.9}, hardware={"cpu_count": 2}),
            RunRecord(id="r2", name="b", status="crashed", created_at="", metrics={"steps": 4, "alpha_custom": 2})]
    path = tmp_path / "out.csv"
    write_csv(runs, path)
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    metric_columns = [c for c in header if c.startswith("metrics.")]
    assert metric_columns == ["metrics.accuracy", "metrics.energy_kwh", "metrics.steps", "metrics.zeta_custom",
                              "metrics.alpha_custom"]
    assert header.index("metrics.alpha_custom") < header.index("hardware.cpu_count")  # metrics stay together
    assert declared_order(["x", "energy_kwh", "accuracy"]) == ["accuracy", "energy_kwh", "x"]
    assert find("x") is None and find("f1") is metric("f1")


def test_metrics_from_events_of_a_worker_that_stored_none() -> None:
    events = fixture_events(steps=40, seconds=60, status="running")
    got = metrics_from_events(events)
    last_energy = [e for e in events if e["type"] == "energy"][-1]
    last_step = [e for e in events if e["type"] == "step"][-1]
    started = next(e["t"] for e in events if e.get("message") == "training started")
    assert got["energy_kwh"] == last_energy["energy_kwh"] and got["emissions_kg"] == last_energy["emissions_kg"]
    assert got["steps"] == 40 and got["samples_trained"] == 40 * 32
    assert got["duration_s"] == pytest.approx(last_step["t"] - started)
    assert got["samples_per_s"] == pytest.approx(40 * 32 / got["duration_s"])
    assert got["joules_per_sample"] == pytest.approx(last_energy["energy_kwh"] * 3.6e6 / (40 * 32))
    assert set(got) <= set(BY_KEY)
    malformed = [{"type": "info", "message": "training started", "t": "soon"}, {"type": "step", "step": "3", "t": None},
                 {"type": "energy", "energy_kwh": "lots"}]
    assert metrics_from_events(malformed) == {}


def test_text_of_a_run_reads_the_registry() -> None:
    record = RunRecord(id="r1", name="x", status="completed", created_at="2026-11-21T10:01:00+00:00",
                       metrics={"accuracy": 0.912, "duration_s": 48.2, "energy_kwh": 0.00031, "emissions_kg": 0.000147,
                                "joules_per_sample": 0.5581})
    assert one_line_summary(record) == "r1 completed: accuracy 0.912, 48 s, 0.000310 kWh, 0.147 g CO2"
    assert list_row(record)[5:] == ("0.912", "48 s", "0.000310", "0.147", "0.56")
    snap = LiveSnapshot(status="running", samples_per_s=22.14, accuracy=None, energy_kwh=0.000408,
                        emissions_kg=0.000194, joules_per_sample=1.264)
    assert " 22.1 samples/s · accuracy – · energy 0.000408 kWh · CO2 194.0 mg\n" in strip_text(snap).plain
    assert "1.26 J/sample" in strip_text(snap).plain
