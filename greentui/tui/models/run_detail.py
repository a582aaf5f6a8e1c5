"""The history's detail pane for one run (pure data, no Textual): what it is, its hyper-parameters and
how it was measured, in readable lines.

`greentui show` prints report.text.detail_text, the whole record with the measurement as JSON, for
a reader who wants every field; the pane is a few lines under the table, so it says what a user
scans for: the key hyper-parameters, what differs from the defaults, and the measurement in words
(the run page's `measurement_lines`, so both say it the same way).
"""

from __future__ import annotations

from typing import Any, Mapping

from greentui.config import KEYS, RunConfig
from greentui.metrics.registry import fmt, fmt_duration, metric
from greentui.report.printable import printable
from greentui.report.text import one_line_summary
from greentui.store.record import RunRecord
from greentui.tui.models.run_page import measurement_lines

# The figures the pane names, each as the registry phrases it (`41.5 samples/s`, `energy 0.000512 kWh`): the
# table's columns may be hidden or cut, and the derived ones are worth seeing beside their inputs.
DETAIL_METRICS = ("accuracy", "f1", "duration_s", "samples_per_s", "energy_kwh", "emissions_kg",
                  "joules_per_sample", "ear_kwh", "inference_kwh_per_1k")

# The hyper-parameters a reader looks for first, in the words of the line that shows them.
KEY_SETTINGS: tuple[tuple[str, str], ...] = (("model", "model"), ("dataset", "dataset"),
                                             ("learning_rate", "learning rate"), ("batch_size", "batch size"),
                                             ("epochs", "epochs"))


def setting_text(value: Any) -> str:
    """A config value as a person writes it: `0.001`, `bf16`, `true`, `4` (not `4.0`, not `'bf16'`)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return printable(value)


def hyperparameter_lines(config: Mapping[str, Any], techniques: list[str]) -> list[str]:
    """The key hyper-parameters, the techniques, and every other key that differs from the defaults."""
    key_line = ", ".join(f"{words} {setting_text(config[key])}" for key, words in KEY_SETTINGS if key in config)
    lines = [f"hyper-parameters: {key_line or 'not recorded'}",
             f"techniques: {', '.join(printable(t) for t in techniques) or 'none (baseline)'}"]
    defaults = RunConfig().to_dict()
    shown = {key for key, _words in KEY_SETTINGS}
    changed = [f"{key} {setting_text(value)}" for key, value in config.items()
               if key in KEYS and key not in shown and value != defaults[key]]
    unknown = [f"{printable(key)} {setting_text(value)}" for key, value in config.items() if key not in KEYS]
    if changed:
        lines.append(f"changed from the defaults: {', '.join(changed)}")
    if unknown:
        lines.append(f"keys this version does not know: {', '.join(unknown)}")
    return lines


def _when(stamp: str | None) -> str:
    return stamp[:19].replace("T", " ") if isinstance(stamp, str) and stamp else "–"


def detail_pane_text(record: RunRecord) -> str:
    """The pane's lines for one run, stored text made printable."""
    labels = [f"name: {printable(record.name)}"]
    if record.tags:
        labels.append(f"tags: {', '.join(printable(t) for t in record.tags)}")
    lines = [printable(one_line_summary(record)), " · ".join(labels)]
    if record.notes:
        lines.append(f"note: {printable(record.notes, keep_newlines=True)}")
    lines.append(f"created {_when(record.created_at)}, started {_when(record.started_at)}, "
                 f"finished {_when(record.finished_at)}")
    if record.parent_id:
        lines.append(f"deploys the saved model of run {printable(record.parent_id)} (greentui infer: no training)")
    figures = [metric(key).phrase(value) for key in DETAIL_METRICS if (value := record.metric(key)) is not None]
    if figures:
        lines.append("figures: " + " · ".join(figures))
    lines += hyperparameter_lines(record.config, record.techniques())
    if record.measurement or record.hardware:
        lines += measurement_lines(record)
    phases = [f"{printable(name)} {fmt_duration(p.get('duration_s'))} {fmt(p.get('energy_kwh'), '.3g')} kWh"
              for name, p in record.phases.items() if isinstance(p, Mapping)]
    if phases:
        lines.append("phases: " + ", ".join(phases))
    return "\n".join(lines)
