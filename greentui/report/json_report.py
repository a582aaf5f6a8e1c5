"""The report as JSON, for scripts: every row's figures with their spreads and marks, and the appendix's facts."""

from __future__ import annotations

import json
from typing import Any

from greentui.report.attribution import FIGURES, Attribution
from greentui.report.selection import Selection

SCHEMA = "greentui-report/1"


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


def json_text(selection: Selection) -> str:
    """Everything the other formats show, with plain numbers (None where a side has none)."""
    from greentui.report.appendix import appendix_facts

    doc = {"schema": SCHEMA, "title": selection.title, "notes": selection.notes,
           "lifetime_predictions": selection.rows[0].lifetime_predictions if selection.rows else None,
           "noise_rule": "within_noise: |change| < sqrt(sd_baseline^2 + sd_row^2), plus each side's stated "
                         "measurement uncertainty where the two were measured differently; null: a side has "
                         "fewer than two completed runs",
           "rows": [_row(row) for row in selection.rows], "appendix": appendix_facts(selection)}
    # Stored text is kept exact; json escapes control characters, so the file is safe to print.
    return json.dumps(doc, indent=2, default=str) + "\n"
