"""CSV export: one flattened row per run, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Iterable

from greentui.config import KEYS
from greentui.store.record import RunRecord

TOP_LEVEL = ("id", "name", "status", "created_at", "started_at", "finished_at", "error")
NESTED = ("metrics", "hardware", "measurement", "versions", "sweep")  # sweep.id/role/repeat for a sweep's runs
# Spreadsheets run cells that start with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def flatten(record: RunRecord) -> dict[str, Any]:
    """One CSV row: top-level fields, config.<key>, then metrics./hardware./measurement./versions./sweep. columns."""
    row: dict[str, Any] = {key: getattr(record, key) for key in TOP_LEVEL}
    row["techniques"] = " ".join(record.techniques())
    for key in KEYS:
        row[f"config.{key}"] = record.config.get(key)
    for section in NESTED:
        for key, value in getattr(record, section).items():
            row[f"{section}.{key}"] = "; ".join(map(str, value)) if isinstance(value, list) else value
    return row


def neutralise(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would run as a formula gets a leading quote."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(runs: Iterable[RunRecord], path: Path) -> int:
    """Write runs to `path` (created private to the user); returns the number of rows."""
    rows = [flatten(r) for r in runs]
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns or list(TOP_LEVEL))
        writer.writeheader()
        for row in rows:
            writer.writerow({c: neutralise(row.get(c)) for c in columns})
    return len(rows)
