"""Side-by-side comparison of runs (pure data, no Textual): metric deltas, differing keys, the Pareto front."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from greentui.store.record import RunRecord

# (metric key, label, format, scale, True when higher is better / False lower / None neutral)
COMPARED_METRICS: tuple[tuple[str, str, str, float, bool | None], ...] = (
    ("accuracy", "accuracy", ".3f", 1.0, True),
    ("f1", "F1", ".3f", 1.0, True),
    ("eval_loss", "eval loss", ".4f", 1.0, False),
    ("duration_s", "time (s)", ".1f", 1.0, False),
    ("samples_per_s", "samples/s", ".1f", 1.0, True),
    ("energy_kwh", "energy (kWh)", ".6f", 1.0, False),
    ("emissions_kg", "CO2 (g)", ".3f", 1000.0, False),
    ("joules_per_sample", "J/sample", ".2f", 1.0, False),
    ("ear_kwh", "kWh per accuracy", ".6f", 1.0, False),
)


@dataclass(frozen=True)
class MetricCell:
    """One run's value of one metric, and its change against the baseline."""

    text: str
    change_pct: float | None = None
    better: bool | None = None  # None: no baseline value, same value, or a neutral metric


def metric_cells(runs: Sequence[RunRecord], baseline: int) -> list[tuple[str, list[MetricCell]]]:
    """For each compared metric: its label and one cell per run, with % change against runs[baseline]."""
    table = []
    for key, label, spec, scale, higher_better in COMPARED_METRICS:
        base = runs[baseline].metric(key)
        cells = []
        for index, run in enumerate(runs):
            value = run.metric(key)
            if value is None:
                cells.append(MetricCell("–"))
                continue
            text = format(value * scale, spec)
            if index == baseline or base in (None, 0.0):
                cells.append(MetricCell(text))
                continue
            change = (value - base) / abs(base) * 100.0
            better = None if higher_better is None or value == base else (value > base) == higher_better
            cells.append(MetricCell(text, change, better))
        table.append((label, cells))
    return table


def differing_keys(runs: Sequence[RunRecord]) -> list[tuple[str, list[str]]]:
    """Config keys whose values are not the same in every run (and only those), with each run's value."""
    keys: list[str] = []
    for run in runs:
        keys += [k for k in run.config if k not in keys]
    rows = []
    for key in keys:
        values = [run.config.get(key) for run in runs]
        if any(v != values[0] for v in values[1:]):
            rows.append((key, ["–" if v is None else str(v) for v in values]))
    return rows


