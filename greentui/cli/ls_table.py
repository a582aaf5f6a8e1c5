"""`greentui ls` in a terminal: the runs as an aligned table that fits the terminal's width.

Rich's Table measured and wrapped every cell of every row: 7.7 s for 10,000 runs, 16× the time
a Python takes just to parse the store. Here the cells are already printable text (no markup,
no control codes), so fitting is one pass for the widths and one for the lines; the columns
fit as the history table's do (report/columns.py): the least important go first when the
terminal is narrow, a long name or technique list ends in "…", and the id is never cut.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from rich.cells import cell_len, set_cell_size

from greentui.metrics.registry import TABLE_METRICS
from greentui.report.columns import CELL_PADDING, Column, fit_columns, listed_cell, natural_widths

_METRIC_RANKS = {"accuracy": 1, "energy_kwh": 2, "emissions_kg": 3, "duration_s": 5, "joules_per_sample": 6}


def _column(title: str, rank: int, min_width: int = 0, max_width: int = 40) -> Column:
    # `ls` lists in the store's order: its columns never sort, so they sort by nothing.
    return Column(title, title, "", lambda _run: 0, listed_cell(title), rank, min_width, max_width)


# In LIST_HEADER's order; the id goes last of all (it is what `show` and `stop` take).
LS_COLUMNS: tuple[Column, ...] = (
    _column("id", -1), _column("name", 0, min_width=12), _column("status", 4), _column("created", 8),
    _column("techniques", 7, min_width=10),
    *(replace(_column(m.short, _METRIC_RANKS[m.key]), key=m.key) for m in TABLE_METRICS),
)
_RIGHT_ALIGNED = {m.key for m in TABLE_METRICS}  # figures line up on their last digit
RULE = "─"


def fit_cell(text: str, width: int, right: bool = False) -> str:
    """`text` in exactly `width` cells: padded, or cut to end in "…"."""
    size = cell_len(text)
    if size > width:
        return set_cell_size(text, width - 1) + "…" if width > 0 else ""
    pad = " " * (width - size)
    return pad + text if right else text + pad


def ls_table(rows: Sequence[Sequence[str]], width: int) -> str:
    """The table of `rows` (cells in LIST_HEADER's order, already printable) for a `width`-cell terminal."""
    natural = natural_widths(LS_COLUMNS, rows)
    # No wider than the cells need (fit_columns gives a wider terminal's spare cells to the name),
    # and one cell short of the terminal, so a full last cell does not wrap onto the next line.
    needed = sum(min(natural[c.key], c.max_width) if c.flexible else natural[c.key] for c in LS_COLUMNS)
    fitted = fit_columns(LS_COLUMNS, natural, max(min(width - 1, needed + CELL_PADDING * len(LS_COLUMNS)), 1))
    picked = [(LS_COLUMNS.index(column), column.key in _RIGHT_ALIGNED, size) for column, size in fitted]
    gap = " " * CELL_PADDING

    def line(cells: Sequence[str]) -> str:
        return gap.join(fit_cell(cells[i], size, right) for i, right, size in picked).rstrip()

    head = line([c.title for c in LS_COLUMNS])
    rule = gap.join(RULE * size for _, _, size in picked)
    hidden = len(LS_COLUMNS) - len(picked)
    lines = [head, rule, *(line(row) for row in rows)]
    if hidden:
        lines.append(f"({hidden} column(s) left out: a wider terminal shows them)")
    return "\n".join(lines)
