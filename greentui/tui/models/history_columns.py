"""The history table's columns (pure data, no Textual): which there are and which the user chose
(how many fit a terminal's width: report/columns.py, which `greentui ls` shares).

Every column is declared once here: its title, its cell (from the shared `list_row`, so `greentui
ls` and the table say the same), how it sorts, and how important it is when the terminal is too
narrow for all of them. The user's choice of columns and their order is a list of column keys,
stored in the config folder (tui/settings.py); what is read back is untrusted, so `chosen_columns`
keeps only the keys it knows.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from greentui.metrics.registry import TABLE_METRICS
from greentui.report.columns import Column, fit_columns, listed_cell, natural_widths
from greentui.report.text import LIST_HEADER, list_row
from greentui.store.summary import RunRow

__all__ = ["ALL_COLUMNS", "BY_KEY", "DEFAULT_COLUMNS", "DEFAULT_KEYS", "Column", "chosen_columns", "column_cells",
           "fit_columns", "natural_widths", "stored_choice"]

COLUMNS_FILE_VERSION = 1


def _metric_sort(key: str) -> Callable[[RunRow], Any]:
    return lambda r: r.metric(key)


# The metric columns after the five the index holds are not offered: a summary (the index
# row) has only those, and the table never reads whole records.
_METRIC_RANKS = {"accuracy": 1, "energy_kwh": 2, "emissions_kg": 3, "duration_s": 4, "joules_per_sample": 10}
ALL_COLUMNS: tuple[Column, ...] = (
    Column("name", "name", "the run's name", lambda r: r.name.lower(), listed_cell("name"), rank=0, min_width=18,
           max_width=32),
    Column("id", "id", "the run's id (its folder under runs/)", lambda r: r.id, listed_cell("id"), rank=8),
    Column("status", "status", "completed, stopped, failed… (⚠ contended)",
           lambda r: r.status, listed_cell("status"), rank=5),
    Column("date", "date", "when the run was created (month-day time)", lambda r: r.created_at,
           lambda _run, listed: listed[LIST_HEADER.index("created")][5:], rank=7),  # the year costs 5 columns
    Column("techniques", "techniques", "the efficiency techniques of its config",
           lambda r: " ".join(r.techniques()), listed_cell("techniques"), rank=6, min_width=10, max_width=30),
    Column("tags", "tags", "your tags (t)", lambda r: " ".join(r.labels), lambda run, _listed: " ".join(run.labels),
           rank=9, min_width=6, max_width=24),
    *(Column(m.key, m.short, m.title, _metric_sort(m.key), listed_cell(m.short), rank=_METRIC_RANKS[m.key])
      for m in TABLE_METRICS),
)
BY_KEY: dict[str, Column] = {c.key: c for c in ALL_COLUMNS}
# Today's columns: the id is in the detail pane's first line, and costs 20 columns in the table.
DEFAULT_KEYS: tuple[str, ...] = ("name", "status", "date", "techniques", *(m.key for m in TABLE_METRICS))
DEFAULT_COLUMNS: tuple[Column, ...] = tuple(BY_KEY[k] for k in DEFAULT_KEYS)


def chosen_columns(stored: Any) -> tuple[Column, ...]:
    """The columns a stored choice names, in its order: unknown, repeated or odd entries are skipped,
    and a choice that names none (or is not a choice at all) gives the defaults."""
    keys = stored.get("columns") if isinstance(stored, Mapping) else None
    if not isinstance(keys, list):
        return DEFAULT_COLUMNS
    known = [BY_KEY[k] for k in dict.fromkeys(k for k in keys if isinstance(k, str) and k in BY_KEY)]
    return tuple(known) or DEFAULT_COLUMNS


def stored_choice(columns: Sequence[Column]) -> dict[str, Any]:
    """What the columns file holds for a choice (read back by `chosen_columns`)."""
    return {"version": COLUMNS_FILE_VERSION, "columns": [c.key for c in columns]}


def column_cells(run: RunRow, columns: Sequence[Column]) -> list[str]:
    """The text of one run's cells under `columns` (stored text as it is: the caller makes it printable)."""
    listed = list_row(run)
    return [column.cell(run, listed) for column in columns]
