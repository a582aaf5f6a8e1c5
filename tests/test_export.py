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
