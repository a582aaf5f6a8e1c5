"""The history table's columns (pure data, no Textual): which there are, which the user chose, and how
many fit a terminal's width.

Every column is declared once here: its title, its cell (from the shared `list_row`, so `greentui
ls` and the table say the same), how it sorts, and how important it is when the terminal is too
narrow for all of them. The user's choice of columns and their order is a list of column keys,
stored in the config folder (tui/settings.py); what is read back is untrusted, so `chosen_columns`
keeps only the keys it knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from rich.cells import cell_len

from greentui.metrics.registry import TABLE_METRICS
from greentui.report.text import LIST_HEADER, list_row
from greentui.store.summary import RunRow

CELL_PADDING = 2  # the table draws a space either side of each cell
SORT_MARK_ROOM = 2  # the sorted column's header: " ▲"
COLUMNS_FILE_VERSION = 1


@dataclass(frozen=True)
class Column:
    """One column of the history table.

    `rank` orders the columns by importance for a narrow terminal: the highest rank is dropped
    first, and rank 0 (the name) last. A flexible column can be narrowed down to `min_width`
    (its cells then end in "…"); the others always get their natural width, so a figure is
    either shown whole or not at all.
    """

    key: str  # as the columns file stores it
    title: str
    description: str  # in the columns chooser
    sort_key: Callable[[RunRow], Any]
    cell: Callable[[RunRow, tuple[str, ...]], str]  # from the run and its list_row
    rank: int
    min_width: int = 0  # 0: not flexible
    max_width: int = 40  # a flexible column grows to its longest cell up to here before the name takes the rest

    @property
    def flexible(self) -> bool:
        """Whether the column may be narrower than its cells."""
        return self.min_width > 0


def _listed(title: str) -> Callable[[RunRow, tuple[str, ...]], str]:
    index = LIST_HEADER.index(title)
    return lambda _run, listed: listed[index]


def _metric_sort(key: str) -> Callable[[RunRow], Any]:
    return lambda r: r.metric(key)


# The metric columns after the five the index holds are not offered: a summary (the index
# row) has only those, and the table never reads whole records.
_METRIC_RANKS = {"accuracy": 1, "energy_kwh": 2, "emissions_kg": 3, "duration_s": 4, "joules_per_sample": 10}
ALL_COLUMNS: tuple[Column, ...] = (
    Column("name", "name", "the run's name", lambda r: r.name.lower(), _listed("name"), rank=0, min_width=18,
           max_width=32),
    Column("id", "id", "the run's id (its folder under runs/)", lambda r: r.id, _listed("id"), rank=8),
    Column("status", "status", "completed, stopped, failed… (⚠ contended)",
           lambda r: r.status, _listed("status"), rank=5),
    Column("date", "date", "when the run was created (month-day time)", lambda r: r.created_at,
           lambda _run, listed: listed[LIST_HEADER.index("created")][5:], rank=7),  # the year costs 5 columns
    Column("techniques", "techniques", "the efficiency techniques of its config",
           lambda r: " ".join(r.techniques()), _listed("techniques"), rank=6, min_width=10, max_width=30),
    Column("tags", "tags", "your tags (t)", lambda r: " ".join(r.labels), lambda run, _listed: " ".join(run.labels),
           rank=9, min_width=6, max_width=24),
    *(Column(m.key, m.short, m.title, _metric_sort(m.key), _listed(m.short), rank=_METRIC_RANKS[m.key])
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


def natural_widths(columns: Sequence[Column], rows: Sequence[Sequence[str]], sort_key: str = "") -> dict[str, int]:
    """Each column's width for its title (the sorted one's with its ▲) and the widest of `rows`' cells."""
    widths = {}
    for index, column in enumerate(columns):
        widest = max((cell_len(row[index]) for row in rows), default=0)  # a CJK letter takes two
        title = cell_len(column.title) + (SORT_MARK_ROOM if column.key == sort_key else 0)
        widths[column.key] = max(title, widest)
    return widths


def fit_columns(columns: Sequence[Column], natural: Mapping[str, int], width: int) -> list[tuple[Column, int]]:
    """The columns that fit `width` terminal cells, in their order, each with its width.

    The least important columns go until the rest fit at their narrowest; then the flexible ones
    grow back, most important first, to their longest cell (up to their `max_width`), and whatever
    width is left goes to the name (else the first flexible column), so the table spans the terminal.
    """
    def narrowest(column: Column) -> int:
        return min(column.min_width, natural[column.key]) if column.flexible else natural[column.key]

    kept = list(columns)
    while len(kept) > 1 and sum(narrowest(c) + CELL_PADDING for c in kept) > width:
        kept.remove(max(kept, key=lambda c: c.rank))
    widths = {c.key: narrowest(c) for c in kept}
    spare = width - sum(w + CELL_PADDING for w in widths.values())
    flexible = sorted((c for c in kept if c.flexible), key=lambda c: c.rank)
    for column in flexible:
        grow = max(0, min(spare, min(natural[column.key], column.max_width) - widths[column.key]))
        widths[column.key] += grow
        spare -= grow
    if flexible and spare > 0:
        widths[flexible[0].key] += spare
    return [(c, widths[c.key]) for c in kept]


def column_cells(run: RunRow, columns: Sequence[Column]) -> list[str]:
    """The text of one run's cells under `columns` (stored text as it is: the caller makes it printable)."""
    listed = list_row(run)
    return [column.cell(run, listed) for column in columns]
