"""Side-by-side comparison of runs (pure data, no Textual): metric deltas, differing keys, the Pareto front."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from greentui.metrics.quality import contention_share, is_contended
from greentui.metrics.registry import MISSING, Metric, metric
from greentui.metrics.uncertainty import relative_of
from greentui.store.record import RunRecord

# The rows of the comparison, in order; labels, formats and which way is better are the registry's.
# The first nine are always shown; the rest only some runs have (an inference phase, a saved or
# deployed model, a newer worker): their row is left out where none of the compared runs has one.
ALWAYS_COMPARED = ("accuracy", "f1", "eval_loss", "duration_s", "samples_per_s", "energy_kwh", "emissions_kg",
                   "joules_per_sample", "ear_kwh")
COMPARED_METRICS: tuple[Metric, ...] = tuple(metric(k) for k in (
    *ALWAYS_COMPARED, "train_flops", "train_peak_mem_mb", "inference_accuracy", "inference_latency_ms_p50_b1",
    "inference_latency_ms_p95_b1", "inference_latency_ms_p50_b32", "inference_latency_ms_p95_b32",
    "inference_samples_per_s", "inference_kwh_per_1k", "inference_energy_kwh", "inference_peak_mem_mb",
    "flops_per_prediction", "model_size_mb", "pruning_sparsity"))


# Fractions whose change is told in percentage points, as the sweep report tells it: 0.842 → 0.851 is
# +0.9 points, where "+1.1 %" would read as a percentage of the accuracy.
IN_POINTS = frozenset({"accuracy", "f1", "inference_accuracy", "pruning_sparsity", "trainable_fraction"})


@dataclass(frozen=True)
class MetricCell:
    """One run's value of one metric, and its change against the baseline (in %, or in points for fractions)."""

    text: str
    change_pct: float | None = None
    better: bool | None = None  # None: no baseline value, same value, or a neutral metric
    change_points: float | None = None

    @property
    def change_text(self) -> str:
        """`+1.1%`, `+0.9 pt`, or nothing without a change."""
        if self.change_points is not None:
            return f"{self.change_points:+.1f} pt"
        return "" if self.change_pct is None else f"{self.change_pct:+.1f}%"


def metric_cells(runs: Sequence[RunRecord], baseline: int) -> list[tuple[str, list[MetricCell]]]:
    """For each compared metric (some run has): its title and one cell per run, with % change against runs[baseline]."""
    table = []
    for declared in COMPARED_METRICS:
        if declared.key not in ALWAYS_COMPARED and all(run.metric(declared.key) is None for run in runs):
            continue
        base = runs[baseline].metric(declared.key)
        cells = []
        for index, run in enumerate(runs):
            value = run.metric(declared.key)
            if value is None:
                cells.append(MetricCell(MISSING))
                continue
            text = declared.text(value)
            if index == baseline or base in (None, 0.0):
                cells.append(MetricCell(text))
                continue
            change = (value - base) / abs(base) * 100.0
            points = (value - base) * 100.0 if declared.key in IN_POINTS else None
            cells.append(MetricCell(text, change, declared.change_is_better(value, base), points))
        table.append((declared.title, cells))
        if declared.key == "energy_kwh":
            table.append(("energy ± (stated)", [MetricCell(_bound_text(run)) for run in runs]))
            table.append(("other work on devices", [MetricCell(_contention_cell(run)) for run in runs]))
    return table


def _contention_cell(run: RunRecord) -> str:
    share = contention_share(run.measurement)
    text = MISSING if share is None else f"{share:.0%}"
    return f"⚠ {text}" if is_contended(run.measurement) else text


def _bound_text(run: RunRecord) -> str:
    relative = relative_of(run.measurement)
    return MISSING if relative is None else f"±{relative:.0%}"


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


