"""What the run page shows of one finished run (pure data, no Textual): figures with units, energy by
phase, how it was measured in words, the config, and the error with its traceback.

Everything comes from the stored record and the run folder, both untrusted: every text passes
through `printable` before it is shown, and a missing or odd field is shown as missing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from greentui.config import KEYS, RunConfig
from greentui.metrics.quality import contention_text
from greentui.metrics.registry import METRICS, as_number, fmt, fmt_duration
from greentui.metrics.uncertainty import relative_of
from greentui.report.printable import printable
from greentui.store.record import RunRecord

LOG_TAIL_BYTES = 64_000  # the end of the worker's log is where a failure says what happened


@dataclass(frozen=True)
class RunPage:
    """The run page's sections, as rows of text."""

    figures: list[tuple[str, str]]
    phases: list[tuple[str, str, str, str]]
    measurement: list[str]
    config: list[tuple[str, str, str]]  # key, value, "changed" where it differs from the default
    error: str


def figure_rows(record: RunRecord) -> list[tuple[str, str]]:
    """Every metric the run has, in the registry's order; the unit is in the title (`energy (kWh)`)."""
    return [(m.title, m.cell(value)) for m in METRICS if (value := record.metric(m.key)) is not None]


def phase_rows(record: RunRecord) -> list[tuple[str, str, str, str]]:
    """(phase, time, kWh, share of the run's energy) for each measured phase."""
    phases = [(name, p) for name, p in record.phases.items() if isinstance(p, Mapping)]
    total = sum(as_number(p.get("energy_kwh")) or 0.0 for _, p in phases)
    rows = []
    for name, phase in phases:
        kwh = as_number(phase.get("energy_kwh"))
        share = f"{100 * kwh / total:.0f} %" if kwh is not None and total else "–"
        rows.append((printable(name), fmt_duration(phase.get("duration_s")), fmt(kwh, ".3g"), share))
    return rows or [("–", "not measured by phase (a run from before phases were)", "", "")]


def measurement_lines(record: RunRecord) -> list[str]:
    """How the figures were made, a line per fact, in words rather than the stored JSON."""
    how = record.measurement
    lines = [f"method: {how.get('method', '?')}, sampled every {how.get('interval_s', '?')} s"]
    for part in ("cpu", "ram", "gpu"):
        if how.get(part):
            lines.append(f"{part.upper()}: {how[part]}")
    bound = relative_of(how)
    if bound is not None:
        lines.append(f"stated uncertainty of the energy: ±{bound:.0%}")
    lines.append(f"carbon intensity: {how.get('carbon_intensity_g_per_kwh', '?')} g/kWh "
                 f"({how.get('carbon_intensity_source', 'source not recorded')}); PUE {how.get('pue', 1.0)}")
    contention = contention_text(how)
    if contention:
        lines.append(contention)
    dataset = how.get("dataset")
    if isinstance(dataset, Mapping):
        lines.append(f"data: {dataset.get('id', '?')}, {dataset.get('train_rows', '?')} train / "
                     f"{dataset.get('eval_rows', '?')} eval rows ({dataset.get('eval_split', '?')}), "
                     f"fingerprint {dataset.get('fingerprint', '?')}")
    if how.get("simulated") is True:
        lines.append("⚠ a simulated GPU: its GPU figures are not measurements")
    hw = record.hardware
    if hw:
        gpus = hw.get("gpus")
        lines.append(f"hardware: {hw.get('cpu_model', '?')} ×{hw.get('cpu_count', '?')}, "
                     f"{', '.join(map(str, gpus)) if isinstance(gpus, list) and gpus else 'no GPU'}, "
                     f"trained on {hw.get('device', '?')}")
    return [printable(line) for line in lines]


def config_rows(record: RunRecord) -> list[tuple[str, str, str]]:
    """Every config key as stored, marked where it differs from the default (the tiny preset)."""
    defaults = RunConfig().to_dict()
    return [(printable(k), printable(repr(v) if isinstance(v, str) else v),
             "changed" if k in KEYS and v != defaults[k] else "" if k in KEYS else "unknown key")
            for k, v in record.config.items()]


def error_text(record: RunRecord, run_dir: Path | None) -> str:
    """The run's error and, where its events kept one, the traceback; empty for a run that ended well."""
    if not record.error and record.status == "completed":
        return ""
    parts = [f"{record.status}: {record.error or 'no reason stored'}"]
    if run_dir is not None:
        from greentui.events.log import EVENTS_FILE, read_all
        from greentui.events.schema import ErrorEvent

        try:
            traces = [e.traceback for e in read_all(run_dir / EVENTS_FILE) if isinstance(e, ErrorEvent) and e.traceback]
        except OSError:
            traces = []
        if traces:
            parts.append(traces[-1])
    return printable("\n".join(parts), keep_newlines=True)


def log_tail(run_dir: Path | None, name: str) -> str:
    """The end of the worker's log, shown as text (no control codes)."""
    if run_dir is None:
        return "no run folder"
    try:
        with open(run_dir / name, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - LOG_TAIL_BYTES))
            data = handle.read()
    except OSError as err:
        return f"no worker log ({err.strerror})"
    text = data.decode("utf-8", "replace")
    return printable(("…\n" if size > LOG_TAIL_BYTES else "") + text, keep_newlines=True) or "(empty)"


def run_page(record: RunRecord, run_dir: Path | None) -> RunPage:
    """All the page's sections of one run."""
    return RunPage(figure_rows(record), phase_rows(record), measurement_lines(record), config_rows(record),
                   error_text(record, run_dir))
