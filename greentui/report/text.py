"""Human-readable text for runs: one-line summaries, table rows and details (CLI and TUI share these)."""

from __future__ import annotations

import json

from greentui.metrics.quality import badge_text, contention_text, is_simulated
from greentui.metrics.registry import TABLE_METRICS, as_number, fmt, fmt_duration, metric
from greentui.report.printable import printable
from greentui.store.record import RunRecord
from greentui.store.summary import RunRow

# fmt and fmt_duration moved to the registry; still importable from here for code written against it.
__all__ = ["LIST_HEADER", "carbon_note", "detail_text", "fmt", "fmt_duration", "list_row", "one_line_summary"]

LIST_HEADER = ("id", "name", "status", "created", "techniques", *(m.short for m in TABLE_METRICS))


def carbon_note(record: RunRecord) -> str:
    """Which carbon intensity the CO2 figure assumes."""
    source = record.measurement.get("carbon_intensity_source")
    intensity = as_number(record.measurement.get("carbon_intensity_g_per_kwh"))  # stored: any type may be there
    if not source:
        return ""
    span = record.measurement.get("carbon_intensity_range_g_per_kwh")  # a time-varying source's, over the run
    if isinstance(span, list) and len(span) == 2 and all(as_number(v) is not None for v in span):
        low, high = (as_number(v) for v in span)
        met = f"{low:.0f}" if low == high else f"{low:.0f}–{high:.0f}"
        return f"{met} g/kWh over the run, {source}"
    return f"{intensity:.0f} g/kWh, {source}" if intensity is not None else str(source)


def one_line_summary(record: RunRecord) -> str:
    """`<id> completed: accuracy 0.912, 48 s, 0.000310 kWh, 0.147 g CO2 (…)`, or the error."""
    if record.status in ("failed", "crashed", "diverged") and record.error:
        return f"{record.id} {record.status}: {record.error}"
    accuracy, duration, energy, co2 = (metric(k) for k in ("accuracy", "duration_s", "energy_kwh", "emissions_kg"))
    parts = [
        accuracy.phrase(record.metric("accuracy")),
        duration.cell(record.metric("duration_s")),
        energy.with_unit(record.metric("energy_kwh")),
        f"{co2.with_unit(record.metric('emissions_kg'))} {co2.label}",
    ]
    deployed = deployment_text(record)
    if deployed:
        parts.append(deployed)
    note = carbon_note(record)
    why = f"; {record.error}" if record.status in ("stopped", "pruned") and record.error else ""
    contended = contention_text(record.measurement)
    warning = f"; ⚠ contended: {contended}" if contended else ""
    simulated = "; simulated GPU (a test, not a measurement)" if is_simulated(record.measurement) else ""
    return f"{record.id} {record.status}: " + ", ".join(parts) + (f" ({note})" if note else "") + why + warning + simulated


def deployment_text(record: RunRecord) -> str:
    """`deployed int8: acc 0.944, 2.1e-05 kWh/1k predictions, 3.36 ms at batch 1`; "" without an inference phase."""
    kwh = record.metric("inference_kwh_per_1k")
    if kwh is None:
        return ""
    quantization = record.config.get("quantization")
    how = f" {printable(str(quantization))}" if isinstance(quantization, str) and quantization != "none" else ""
    latency = record.metric("inference_latency_ms_p50_b1")
    return (f"deployed{how}: acc {metric('inference_accuracy').text(record.metric('inference_accuracy'))}, "
            f"{metric('inference_kwh_per_1k').text(kwh)} kWh/1k predictions"
            + (f", {metric('inference_latency_ms_p50_b1').text(latency)} ms at batch 1" if latency is not None else ""))


def list_row(record: RunRow) -> tuple[str, ...]:
    """Cells for `greentui ls` and the history table, under LIST_HEADER."""
    return (
        record.id,
        record.name,
        badge_text(record.status, record.flags),
        record.created_at[:16].replace("T", " "),
        " ".join(record.techniques()) or "baseline",
        *(m.cell(record.metric(m.key)) for m in TABLE_METRICS),
    )


def detail_text(record: RunRecord) -> str:
    """Multi-line description of one run for `greentui show` and the detail pane."""
    lines = [one_line_summary(record), f"name: {record.name}"]
    if record.tags:
        lines.append(f"tags: {', '.join(record.tags)}")
    if record.notes:
        lines.append(f"note: {record.notes}")
    lines.append(f"created {record.created_at}, started {record.started_at or '–'}, finished {record.finished_at or '–'}")
    if record.measurement:
        lines.append(f"measurement: {json.dumps(dict(record.measurement))}")
    if record.parent_id:
        lines.append(f"deploys the saved model of run {record.parent_id} (greentui infer: no training)")
    if record.phases:
        lines.append("phases: " + ", ".join(
            f"{name} {fmt_duration(p.get('duration_s'))} {fmt(p.get('energy_kwh'), '.3g')} kWh"
            for name, p in record.phases.items() if isinstance(p, dict)))
    if record.hardware:
        gpus = ", ".join(record.hardware.get("gpus") or []) or "no GPU"
        lines.append(f"hardware: {record.hardware.get('cpu_model', '?')} ×{record.hardware.get('cpu_count', '?')}, {gpus}")
    lines.append("metrics:")
    lines += [f"  {k} = {v:.6g}" if isinstance(v, float) else f"  {k} = {v}" for k, v in sorted(record.metrics.items())]
    lines.append("config:")
    lines += [f"  {k} = {v!r}" for k, v in record.config.items()]
    return "\n".join(lines)
