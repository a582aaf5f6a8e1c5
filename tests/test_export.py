"""CSV export: flattened rows, formula-looking text neutralised, numbers kept numeric."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from greentui.config import KEYS, RunConfig
from greentui.report.csv_export import write_csv
from greentui.store.record import RunRecord


def test_export_flattens_and_neutralises(tmp_path: Path) -> None:
    runs = [
        RunRecord(id="r1", name='=HYPERLINK("http://x","y")', status="completed", created_at="2026-01-01T00:00:00+00:00",
                  config=RunConfig().to_dict(), metrics={"accuracy": 0.9, "delta": -0.5},
                  hardware={"gpus": ["A", "B"]}, measurement={"method": "codecarbon-offline"}),
        RunRecord(id="r2", name="-plain", status="failed", created_at="2026-01-02T00:00:00+00:00",
                  config=RunConfig().with_values(lora=True).to_dict(), metrics={"accuracy": 0.5}),
    ]
    path = tmp_path / "out.csv"
    assert write_csv(runs, path) == 2
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["name"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert rows[1]["name"] == "'-plain"
    assert rows[0]["metrics.delta"] == "-0.5"  # a negative number stays a number
    assert rows[0]["hardware.gpus"] == "A; B"
    frame = pd.read_csv(path)
    assert len(frame) == 2
    assert all(f"config.{k}" in frame.columns for k in KEYS)
    assert frame["metrics.accuracy"].dtype.kind == "f"
    assert frame.loc[1, "techniques"] == "lora8"
    assert frame.loc[0, "techniques"] == "baseline"  # as the history and ls name a run without techniques


def test_inference_metrics_export_in_the_registry_order_as_numbers(tmp_path: Path) -> None:
    from greentui.metrics.registry import METRICS

    inference = {"pruning_sparsity": 0.5, "inference_kwh_per_1k": 2.5e-6, "flops_per_prediction": 1.1e9,
                 "inference_latency_ms_p95_b32": 40.0, "inference_accuracy": 0.84, "train_flops": 3.2e14,
                 "model_size_mb": 67.1, "inference_energy_kwh": 0.00012}
    runs = [RunRecord(id="r1", name="pruned", status="completed", created_at="", metrics={**inference, "energy_kwh": 0.01}),
            RunRecord(id="r2", name="old", status="completed", created_at="", metrics={"energy_kwh": 0.02})]
    path = tmp_path / "out.csv"
    write_csv(runs, path)
    frame = pd.read_csv(path)
    metric_columns = [c.removeprefix("metrics.") for c in frame.columns if c.startswith("metrics.")]
    assert metric_columns == [m.key for m in METRICS if m.key in {*inference, "energy_kwh"}]  # the registry's order
    assert metric_columns == ["energy_kwh", "model_size_mb", "train_flops", "inference_accuracy",
                              "inference_latency_ms_p95_b32", "inference_kwh_per_1k", "inference_energy_kwh",
                              "flops_per_prediction", "pruning_sparsity"]
    assert frame.loc[0, "metrics.inference_kwh_per_1k"] == 2.5e-6 and pd.isna(frame.loc[1, "metrics.inference_kwh_per_1k"])
