"""A study file (`greentui report --format json`) read back: its rows' figures and its runs' configs.

The file is untrusted input (shared, hand-edited, from another version): every field is checked
here, and a problem is a ReportError naming the file and the field. A run whose config this
greentui cannot read does not spoil the study: it is kept, with the reason, for the verdict.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from math import isfinite
from pathlib import Path
from typing import Any

from greentui.config import ConfigError, RunConfig
from greentui.metrics.registry import as_number
from greentui.report.errors import ReportError
from greentui.report.json_report import SCHEMA

JUDGED = ("energy", "time", "accuracy")  # the figures a reproduction compares, as changes against the baseline


@dataclass(frozen=True)
class Figure:
    """One figure of a study row: mean and spread over its runs, and its change against the baseline."""

    mean: float | None
    sd: float | None
    n: int
    change_pct: float | None
    change: float | None


@dataclass(frozen=True)
class StudyRun:
    """One run of the study: its row, its config (None when this greentui cannot read it, and why)."""

    id: str
    row: str | None
    status: str
    config: RunConfig | None
    problem: str | None
    hardware: dict[str, Any] = field(default_factory=dict)
    measurement: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Study:
    """A study file's rows (baseline first) with their figures, and its runs."""

    path: Path
    title: str
    rows: dict[str, dict[str, Figure]]
    runs: list[StudyRun]

    def runs_of(self, row: str) -> list[StudyRun]:
        """The compared runs of a row, in the file's order."""
        return [r for r in self.runs if r.row == row]


def load_study(path: Path) -> Study:
    """The study in `path`; ReportError naming the file and the field when it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ReportError(f"cannot read study file {path}: {err.strerror}") from None
    except ValueError as err:
        raise ReportError(f"study file {path} is not valid JSON: {err}") from None
    if not isinstance(doc, dict):
        raise ReportError(f"study file {path}: not a JSON object")
    if doc.get("schema") != SCHEMA:
        raise ReportError(f"study file {path}: schema {doc.get('schema')!r} is not {SCHEMA!r} "
                          "(made by another greentui version, or not by greentui report --format json)")
    rows, runs = doc.get("rows"), doc.get("runs")
    if not isinstance(rows, list) or not rows or not isinstance(runs, list):
        raise ReportError(f"study file {path}: it needs a list of rows (the baseline first) and a list of runs")
    parsed = {_text(row, "techniques", path, f"rows[{i}]"): _figures(row, path, i) for i, row in enumerate(rows)}
    return Study(path, str(doc.get("title", path.name)), parsed, [_run(run, path, i) for i, run in enumerate(runs)])


def _number(value: Any) -> float | None:
    number = as_number(value)
    return number if number is not None and isfinite(number) else None  # JSON allows NaN and Infinity


def _text(doc: Any, key: str, path: Path, where: str) -> str:
    value = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(value, str) or not value:
        raise ReportError(f"study file {path}: {where}.{key} is not text")
    return value


def _figures(row: dict[str, Any], path: Path, index: int) -> dict[str, Figure]:
    figures = row.get("figures")
    if not isinstance(figures, dict):
        raise ReportError(f"study file {path}: rows[{index}].figures is not an object")
    out = {}
    for name in JUDGED:
        entry = figures.get(name)
        entry = entry if isinstance(entry, dict) else {}
        n = _number(entry.get("n"))
        out[name] = Figure(_number(entry.get("mean")), _number(entry.get("sd")), int(n) if n and n > 0 else 0,
                           _number(entry.get("change_pct")), _number(entry.get("change")))
    return out


def _run(doc: Any, path: Path, index: int) -> StudyRun:
    run_id = _text(doc, "id", path, f"runs[{index}]")
    row = doc.get("row")
    config_doc = doc.get("config")
    config, problem = None, None
    if not isinstance(config_doc, dict):
        problem = "its config is missing"
    else:
        try:
            config = RunConfig.from_mapping(config_doc)
        except ConfigError as err:
            problem = f"its config cannot be run here: {err}"
    hardware, measurement = doc.get("hardware"), doc.get("measurement")
    return StudyRun(run_id, row if isinstance(row, str) else None, str(doc.get("status", "?")), config, problem,
                    hardware if isinstance(hardware, dict) else {}, measurement if isinstance(measurement, dict) else {})
