"""The attribution table as Markdown (for a paper or a terminal) and as CSV (for a spreadsheet)."""

from __future__ import annotations

import csv
import io
from typing import Any, Sequence

from greentui.metrics.registry import metric
from greentui.metrics.uncertainty import relative_of
from greentui.report.attribution import FIGURES, Attribution, Stat
from greentui.report.csv_export import neutralise
from greentui.store.record import RunRecord

NOISE_MARK = "≈"  # a change smaller than the spread: not distinguishable from running twice
UNJUDGED_MARK = "?"  # no spread on one side (fewer than two completed repeats)
PARETO_MARK = "★"
SETUP_MARK = "†"  # measured on another machine or by another method than the baseline
# The figures of the first table, which every completed run has, and of the second, the deployed model's.
TRAINING = ("energy", "time", "co2", "accuracy")
DEPLOYED = ("inference_per_1k", "latency_p50_b1", "model_size", "inference_accuracy", "lifetime")


def measurement_note(records: Sequence[RunRecord]) -> str | None:
    """Where and how the completed runs were measured, in one line; None when no run says.

    Rows measured on different machines or by different methods are not comparable, so every
    distinct setup is named and the line says how many there are.
    """
    setups: list[str] = []
    for record in records:
        if record.status != "completed" or not record.hardware:
            continue
        hw, how = record.hardware, record.measurement
        gpus = ", ".join(hw.get("gpus") or []) or "no GPU"
        gpu_method = str(how.get("gpu", "?")).split(":")[0]  # the reason after the colon is long
        stated = relative_of(how)
        bound = f", stated uncertainty ±{stated:.0%}" if stated is not None else ""
        text = (f"{hw.get('cpu_model', '?')} ×{hw.get('cpu_count', '?')}, {gpus}, trained on {hw.get('device', '?')}; "
                f"energy by {how.get('method', '?')} (CPU: {how.get('cpu', '?')}; GPU: {gpu_method}{bound}); "
                f"CO₂ at {how.get('carbon_intensity_g_per_kwh', '?')} g/kWh, {how.get('carbon_intensity_source', '?')}")
        if text not in setups:
            setups.append(text)
    if not setups:
        return None
    head = "Measured on " if len(setups) == 1 else f"Measured on {len(setups)} different setups (compare with care): "
    return head + " | ".join(setups) + "."


def stat_text(stat: Stat | None, spec: str, scale: float = 1.0) -> str:
    """`mean ± sd` of a statistic, `–` for none."""
    if stat is None:
        return "–"
    spread = f" ± {format(stat.spread * scale, spec)}" if stat.spread is not None else ""
    return format(stat.mean * scale, spec) + spread


def change_text(row: Attribution, name: str, spec: str, scale: float = 1.0, pct: bool = True) -> str:
    """A change against the baseline with its percentage and noise mark."""
    value = row.change[name]
    if value is None or row.role == "baseline":
        return "–" if value is None else "baseline"
    text = format(value * scale, "+" + spec)
    if pct and row.change_pct[name] is not None:
        text += f" ({row.change_pct[name]:+.1f} %)"
    mark = {True: f" {NOISE_MARK}", None: f" {UNJUDGED_MARK}", False: ""}[row.noise[name]]
    return text + mark


def in_points(name: str) -> bool:
    """True for a measure without a unit (accuracy, a fraction): its change is told in percentage points."""
    return not FIGURES[name].unit


def short_change(row: Attribution, name: str) -> str:
    """A change as a percentage (accuracy: points) with its noise mark, for narrow tables."""
    if row.role == "baseline":
        return "baseline"
    value = row.change[name] if in_points(name) else row.change_pct[name]
    if value is None:
        return "–"
    text = f"{value * 100:+.1f} pt" if in_points(name) else f"{value:+.1f} %"
    return text + {True: f" {NOISE_MARK}", None: f" {UNJUDGED_MARK}", False: ""}[row.noise[name]]


def count_text(value: float) -> str:
    """A count with thousands separators: `1,000,000`."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _heads(name: str) -> list[str]:
    """A measure's two column titles: `energy kWh`, `Δ energy kWh`; `accuracy`, `Δ acc (points)`."""
    measure = FIGURES[name]
    label = measure.document_label
    shown = label if not measure.unit or measure.unit in label.split() else f"{label} {measure.unit}"
    return [shown, f"Δ {measure.short} (points)" if in_points(name) else f"Δ {shown}"]


def _cells(row: Attribution, name: str) -> list[str]:
    measure = FIGURES[name]
    return [stat_text(row.stats[name], measure.spec),
            change_text(row, name, ".1f", scale=100, pct=False) if in_points(name) else change_text(row, name, measure.spec)]


def _role(row: Attribution) -> str:
    return row.role + (f" {SETUP_MARK}" if row.other_setup else "")


def _table(head: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head), *("| " + " | ".join(c) + " |" for c in body)]


def markdown(rows: Sequence[Attribution], title: str, notes: Sequence[str] = ()) -> str:
    """Markdown: one row per technique combination, training figures first.

    A second table, of the deployed model's inference figures and lifetime energy, follows where
    any row has them, with only the columns some row has (older runs have no inference phase).
    """
    ratio = metric("ear_kwh")
    head = ["techniques", "runs", *(h for name in TRAINING for h in _heads(name)), ratio.label, "front"]
    body = [[_role(row), str(row.runs), *(c for name in TRAINING for c in _cells(row, name)),
             ratio.text(row.kwh_per_accuracy), PARETO_MARK if row.pareto else ""] for row in rows]
    lines = [f"# {title}", "", *notes, "" if notes else "", *_table(head, body)]
    deployed = [name for name in DEPLOYED if any(row.stats[name] for row in rows)]
    if deployed:
        lines += ["", "The model as deployed (after any quantization or pruning)"
                  + (f"; lifetime energy = training energy (the run's energy less its inference phase's) + "
                     f"N × kWh per 1k predictions / 1000, for N = {count_text(rows[0].lifetime_predictions)} "
                     "predictions over the model's life" if "lifetime" in deployed else "") + ":", ""]
        lines += _table(["techniques", "runs", *(h for name in deployed for h in _heads(name))],
                        [[_role(row), str(row.runs), *(c for name in deployed for c in _cells(row, name))] for row in rows])
    lines += ["", f"± is the standard deviation over repeats; {NOISE_MARK}: the change is smaller than the "
              f"combined spread (not distinguishable from noise); {UNJUDGED_MARK}: fewer than two completed "
              f"repeats on a side, so no spread to judge by; {PARETO_MARK}: on the energy–accuracy front "
              "(no other row uses less energy for more accuracy)."
              + (f" {SETUP_MARK}: measured on another machine or by another method than the baseline "
                 "(compare with care)." if any(row.other_setup for row in rows) else "")]
    return "\n".join(lines) + "\n"


def csv_text(rows: Sequence[Attribution]) -> str:
    """The same figures with plain numbers, one column per figure; the same columns whatever the rows hold."""
    out = io.StringIO()
    writer = csv.writer(out)
    # energy_kwh, time_s, co2_g, accuracy, ...: the measure and its unit as shown
    names = {name: f"{name}_{m.unit.lower()}" if m.unit else name for name, m in FIGURES.items()}
    header: list[str] = ["techniques", "runs"]
    for name in TRAINING:
        header += _csv_heads(names[name])
    header += ["kwh_per_accuracy", "pareto"]  # where they always were; the inference columns come after
    for name in DEPLOYED:
        header += _csv_heads(names[name])
    writer.writerow(header + ["lifetime_predictions"])
    for row in rows:
        # A row is named by stored text (a tag, a model id under --where): never a spreadsheet formula.
        cells: list[Any] = [neutralise(row.role), row.runs]
        for name in TRAINING:
            cells += _csv_cells(row, name)
        cells += [_blank(row.kwh_per_accuracy), row.pareto]
        for name in DEPLOYED:
            cells += _csv_cells(row, name)
        writer.writerow(cells + [row.lifetime_predictions])
    return out.getvalue()


def _csv_heads(label: str) -> list[str]:
    return [f"{label}_mean", f"{label}_sd", f"{label}_change", f"{label}_change_pct", f"{label}_within_noise"]


def _csv_cells(row: Attribution, name: str) -> list[Any]:
    stat = row.stats[name]
    return [stat.mean if stat else "", "" if not stat or stat.spread is None else stat.spread,
            _blank(row.change[name]), _blank(row.change_pct[name]), _blank(row.noise[name])]


def _blank(value: Any) -> Any:
    return "" if value is None else value
