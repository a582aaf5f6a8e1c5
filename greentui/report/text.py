"""Human-readable text for runs: one-line summaries, table rows and details (CLI and TUI share these)."""

from __future__ import annotations

import json

from greentui.store.record import RunRecord


def fmt(value: float | None, spec: str, scale: float = 1.0, none: str = "–") -> str:
    """Format a possibly missing number."""
    return none if value is None else format(value * scale, spec)


def fmt_duration(seconds: float | None) -> str:
    """Seconds as `42 s`, `3 m 05 s` or `2 h 03 m`."""
    if seconds is None:
        return "–"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} m {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} m"


def carbon_note(record: RunRecord) -> str:
    """Which carbon intensity the CO2 figure assumes."""
    source = record.measurement.get("carbon_intensity_source")
    intensity = record.measurement.get("carbon_intensity_g_per_kwh")
    if not source:
        return ""
    return f"{intensity:.0f} g/kWh, {source}" if intensity is not None else str(source)


def one_line_summary(record: RunRecord) -> str:
    """`<id> completed: accuracy 0.912, 48 s, 0.000310 kWh, 0.147 g CO2 (…)`, or the error."""
    if record.status in ("failed", "crashed", "diverged") and record.error:
        return f"{record.id} {record.status}: {record.error}"
    acc = record.metric("accuracy")
    parts = [
        f"accuracy {fmt(acc, '.3f')}",
        fmt_duration(record.metric("duration_s")),
        f"{fmt(record.metric('energy_kwh'), '.6f')} kWh",
        f"{fmt(record.metric('emissions_kg'), '.3f', 1000)} g CO2",
    ]
    note = carbon_note(record)
    why = f"; {record.error}" if record.status == "stopped" and record.error else ""
    return f"{record.id} {record.status}: " + ", ".join(parts) + (f" ({note})" if note else "") + why


def list_row(record: RunRecord) -> tuple[str, ...]:
    """Cells for `greentui ls` and the history table."""
    return (
        record.id,
        record.name,
        record.status,
        record.created_at[:16].replace("T", " "),
        " ".join(record.techniques()) or "baseline",
        fmt(record.metric("accuracy"), ".3f"),
        fmt_duration(record.metric("duration_s")),
        fmt(record.metric("energy_kwh"), ".6f"),
        fmt(record.metric("emissions_kg"), ".3f", 1000),
        fmt(record.metric("joules_per_sample"), ".2f"),
    )


def detail_text(record: RunRecord) -> str:
    """Multi-line description of one run for `greentui show` and the detail pane."""
    lines = [one_line_summary(record), f"name: {record.name}"]
    lines.append(f"created {record.created_at}, started {record.started_at or '–'}, finished {record.finished_at or '–'}")
    if record.measurement:
        lines.append(f"measurement: {json.dumps(dict(record.measurement))}")
    if record.hardware:
        gpus = ", ".join(record.hardware.get("gpus") or []) or "no GPU"
        lines.append(f"hardware: {record.hardware.get('cpu_model', '?')} ×{record.hardware.get('cpu_count', '?')}, {gpus}")
    lines.append("metrics:")
    lines += [f"  {k} = {v:.6g}" if isinstance(v, float) else f"  {k} = {v}" for k, v in sorted(record.metrics.items())]
    lines.append("config:")
    lines += [f"  {k} = {v!r}" for k, v in record.config.items()]
    return "\n".join(lines)
