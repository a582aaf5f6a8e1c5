"""CSV export: one flattened row per run, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Iterable

from greentui.config import KEYS
from greentui.metrics.registry import declared_order
from greentui.store.atomic import replace_text
from greentui.store.collector import collector_paused
from greentui.store.record import RunRecord

TOP_LEVEL = ("id", "name", "status", "created_at", "started_at", "finished_at", "error")
# sweep.id/role/repeat for a sweep's runs; nested mappings go on with dots: phases.train.energy_kwh,
# measurement.uncertainty.energy_kwh.relative.
NESTED = ("metrics", "hardware", "measurement", "phases", "versions", "sweep")
MAX_DEPTH = 4  # deeper than any record greentui writes: a crafted one cannot make columns without end
# Spreadsheets run cells that start with these as formulas (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
CONFIG_COLUMNS = tuple(f"config.{key}" for key in KEYS)
_PLAIN = frozenset({str, int, float, bool, type(None)})  # cells as they are: no nesting, no list to join
_TEXT = frozenset({str})
_NUMBERS = frozenset({int, float, bool, type(None)})  # cells neutralise leaves as they are
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\ufe66\ufe62\ufe63\uff20")  # ASCII and full-width / small forms


def flatten(record: RunRecord) -> dict[str, Any]:
    """One CSV row: top-level fields, config.<key>, then metrics./hardware./measurement./versions./sweep. columns."""
    row: dict[str, Any] = {key: getattr(record, key) for key in TOP_LEVEL}
    row["techniques"] = " ".join(record.techniques()) or "baseline"  # as the history and ls show it
    row["tags"] = "; ".join(record.tags)
    row["notes"] = record.notes
    row.update(zip(CONFIG_COLUMNS, map(record.config.get, KEYS), strict=True))
    for section in NESTED:
        _flatten_into(row, section, getattr(record, section), MAX_DEPTH)
    return row


def _flatten_into(row: dict[str, Any], prefix: str, value: Any, depth: int) -> None:
    if isinstance(value, dict) and depth > 0:
        if _PLAIN.issuperset(map(type, value.values())) and _TEXT.issuperset(map(type, value)):
            # A flat section (most are): all its columns in one update, without a loop in Python.
            row.update(zip(_column_names(prefix, tuple(value)), value.values(), strict=True))
            return
        for key, inner in value.items():
            if type(inner) in _PLAIN:  # most cells: no call to find that out (a million cells for 10,000 runs)
                row[f"{prefix}.{key}"] = inner
            else:
                _flatten_into(row, f"{prefix}.{key}", inner, depth - 1)
    elif isinstance(value, list):
        row[prefix] = "; ".join(map(str, value))
    else:
        row[prefix] = value


_NAMES: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}  # (section, its keys): their column names
_NAMES_LIMIT = 10_000


def _column_names(prefix: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """`prefix.key` for each key, made once per distinct section shape: runs repeat their sections' keys,
    and the same name objects (their hashes kept) make each row's dict cheaper to fill than new ones."""
    names = _NAMES.get((prefix, keys))
    if names is None:
        names = tuple(f"{prefix}.{key}" for key in keys)
        if len(_NAMES) < _NAMES_LIMIT:
            _NAMES[(prefix, keys)] = names
    return names


def neutralise(value: Any) -> Any:
    """Numbers stay numbers; text that a spreadsheet would run as a formula gets a leading quote.

    Spreadsheets skip leading whitespace (NBSP and newlines too) and read the full-width signs
    as the ASCII ones, so those count as formula starts as well.
    """
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = value if type(value) is str else str(value)
    first = text[:1]
    # The same test as `text.lstrip()[:1] in FORMULA_SIGNS or first in FORMULA_STARTS`, with the
    # strip (a copy of the text) only for text that starts with whitespace: this runs for every cell.
    if first in FORMULA_STARTS or first in FORMULA_SIGNS or (first.isspace() and text.lstrip()[:1] in FORMULA_SIGNS):
        return "'" + text
    return text


class _Neutralised(dict[str, str]):
    """neutralise(text) by text, each worked out once: runs repeat most of their text (model, dataset, hardware)."""

    def __missing__(self, text: str) -> str:
        found = self[text] = neutralise(text)
        return found


def csv_columns(rows: list[dict[str, Any]]) -> list[str]:
    """Every row's columns in first-seen order, the metrics.<key> columns together in the registry's order."""
    columns = list(dict.fromkeys(c for row in rows for c in row))
    metrics = [c for c in columns if c.startswith("metrics.")]
    if not metrics:
        return columns
    at = columns.index(metrics[0])
    rest = [c for c in columns if not c.startswith("metrics.")]
    ordered = ["metrics." + key for key in declared_order(c.removeprefix("metrics.") for c in metrics)]
    return rest[:at] + ordered + rest[at:]


def csv_text(runs: Iterable[RunRecord]) -> tuple[str, int]:
    """(the CSV of these runs, the number of rows)."""
    with collector_paused():  # 10,000 rows of a hundred cells, no cycles among them
        return _csv_text(runs)


def _csv_text(runs: Iterable[RunRecord]) -> tuple[str, int]:
    rows = [flatten(r) for r in runs]
    columns = csv_columns(rows)
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # what csv.DictWriter writes (a missing cell is None, written empty), less its per-cell cost
    writer.writerow(columns or list(TOP_LEVEL))
    texts = _Neutralised()
    writer.writerows([cell if type(cell) in _NUMBERS else texts[cell] if type(cell) is str else neutralise(cell)
                      for cell in map(row.get, columns)] for row in rows)
    return out.getvalue(), len(rows)


def write_csv(runs: Iterable[RunRecord], path: Path) -> int:
    """Write runs to `path`, whole or not at all (private, replaced atomically); returns the number of rows."""
    text, count = csv_text(runs)
    replace_text(path, text)  # a name that is not valid UTF-8 is written escaped, never a half-written file
    return count
