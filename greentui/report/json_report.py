"""The report as JSON, for scripts and as a study file: every row's figures with their spreads and marks, every
run's config, hardware, versions, method and figures, and the appendix's facts (`greentui reproduce` reads it)."""

from __future__ import annotations

import json
from typing import Any

from greentui.report.attribution import FIGURES, Attribution
from greentui.report.selection import Selection
from greentui.store.record import RunRecord

SCHEMA = "greentui-report/1"
# What a study file keeps of each run: enough to run it again and to judge the new figures. Not the
# process identity, the run folder or the lease folder: they describe this machine, not the study.
RUN_FIELDS = ("id", "name", "status", "created_at", "started_at", "finished_at", "config", "hardware", "versions",
              "metrics", "phases", "sweep", "parent_id", "error")


def _row(row: Attribution) -> dict[str, Any]:
    figures = {}
    for name, measure in FIGURES.items():
        stat = row.stats[name]
        figures[name] = {"metric": measure.key, "unit": measure.unit or None,
                         "mean": stat.mean if stat else None, "sd": stat.spread if stat else None,
                         "n": stat.n if stat else 0, "change": row.change[name], "change_pct": row.change_pct[name],
                         "within_noise": row.noise[name]}
    return {"techniques": row.role, "runs": row.runs, "pareto": row.pareto, "other_setup": row.other_setup,
            "kwh_per_accuracy": row.kwh_per_accuracy, "figures": figures}


def _run(record: RunRecord, row: str | None) -> dict[str, Any]:
    doc = record.to_doc()
    measurement = {k: v for k, v in record.measurement.items() if k != "lease"}
    return {**{k: doc.get(k) for k in RUN_FIELDS}, "row": row, "measurement": measurement}


def json_text(selection: Selection) -> str:
    """Everything the other formats show, with plain numbers (None where a side has none)."""
    from greentui.report.appendix import appendix_facts
    from greentui.report.pruning import pruning_facts

    doc = {"schema": SCHEMA, "title": selection.title, "notes": selection.notes,
           "lifetime_predictions": selection.rows[0].lifetime_predictions if selection.rows else None,
           "noise_rule": "within_noise: |change| < sqrt(sd_baseline^2 + sd_row^2), plus each side's stated "
                         "measurement uncertainty where the two were measured differently; null: a side has "
                         "fewer than two completed runs",
           "rows": [_row(row) for row in selection.rows],
           "runs": [_run(r, selection.role_of.get(r.id)) for r in selection.records],
           "appendix": appendix_facts(selection),
           "pruning": pruning_facts(selection.records)}  # null where no run was pruned
    # Stored text is kept exact; json escapes control characters, so the file is safe to print.
    return json.dumps(doc, indent=2, default=str) + "\n"
