"""CSV export: one flattened row per run, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from itertools import chain
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

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
_TEXT_OR_NONE = frozenset({str, type(None)})
_NUMBERS = frozenset({int, float, bool, type(None)})  # cells neutralise leaves as they are
FORMULA_SIGNS = frozenset("=+-@\uff1d\uff0b\uff0d\ufe66\ufe62\ufe63\uff20")  # ASCII and full-width / small forms
WHITESPACE = frozenset(chr(code) for code in range(0x3001) if chr(code).isspace())  # U+3000 is the last
_QUOTE_STARTS = frozenset(FORMULA_STARTS) | FORMULA_SIGNS | WHITESPACE  # text starting otherwise is left as it is


def flatten(record: RunRecord) -> tuple[tuple[tuple[str, ...], ...], list[Any]]:
    """One CSV row, neutralised: (the sections' column names, every cell in order).

    The cells are the top-level fields, config.<key> (the BASE_COLUMNS), then each nested
    section's. Runs share their sections' names (the same tuple objects), so rows are kept
    as lists and matched to the columns once per shape, not as a dict of a hundred cells each.
    Cells are made safe a section at a time: see `_safe`.
    """
    labels = (" ".join(record.techniques()) or "baseline", "; ".join(record.tags), record.notes)
    cells = list(_safe(_TOP_LEVEL_OF(record) + labels))
    cells += _config_cells(record.config)
    names = []
    for section in NESTED:
        value = getattr(record, section)
        if not value:
            continue
        values = tuple(value.values())
        kinds = set(map(type, values))
        if kinds <= _PLAIN and _TEXT.issuperset(map(type, value)):  # a flat section (most are)
            names.append(_column_names(section, tuple(value)))
            cells += _safe(values, kinds)
        else:
            row: dict[str, Any] = {}
            _flatten_into(row, section, value, MAX_DEPTH)
            names.append(tuple(row))
            cells += row.values()
    return tuple(names), cells


_TOP_LEVEL_OF = attrgetter(*TOP_LEVEL)
BASE_COLUMNS = (*TOP_LEVEL, "techniques", "tags", "notes", *CONFIG_COLUMNS)  # every row's first cells


def _config_cells(config: Mapping[str, Any]) -> tuple[Any, ...] | list[Any]:
    values = tuple(map(config.get, KEYS))
    # Only the text-typed keys can need a quote when every other key holds a number (as in any
    # config greentui wrote); most often none does, and the values are the cells as they are.
    if not _NUMBERS.issuperset(map(type, _CONFIG_OTHERS_OF(values))):
        return _safe(values)
    stored = _CONFIG_TEXTS_OF(values)
    safe = _safe(stored)
    if safe is stored:
        return values
    cells = list(values)
    for position, cell in zip(_CONFIG_TEXT_POSITIONS, safe, strict=True):
        cells[position] = cell
    return cells


def _config_text_positions() -> tuple[int, ...]:
    from greentui.config import _default_values

    defaults = _default_values()
    return tuple(i for i, key in enumerate(KEYS) if type(defaults[key]) is str)


_CONFIG_TEXT_POSITIONS = _config_text_positions()
_CONFIG_TEXTS_OF = itemgetter(*_CONFIG_TEXT_POSITIONS)  # several of each: itemgetter gives a tuple
_CONFIG_OTHERS_OF = itemgetter(*(i for i in range(len(KEYS)) if i not in _CONFIG_TEXT_POSITIONS))


def _safe(values: tuple[Any, ...], kinds: set[type] | None = None) -> tuple[Any, ...] | list[Any]:
    """neutralise() of each value (of these `kinds`, if known); `values` itself when that changes none.

    It changes no number, nor any text that starts with neither a formula sign nor whitespace
    (most text): both are seen with a few calls in C, without a Python step per value.
    """
    kinds = set(map(type, values)) if kinds is None else kinds
    if kinds <= _NUMBERS:
        return values
    if kinds <= _TEXT_OR_NONE and _QUOTE_STARTS.isdisjoint(map(_FIRST_CHARACTER, filter(None, values))):
        return values
    return [value if type(value) in _NUMBERS else neutralise(value) for value in values]


_FIRST_CHARACTER = itemgetter(slice(0, 1))


def _flatten_into(row: dict[str, Any], prefix: str, value: Any, depth: int) -> None:
    """A section with something nested, cell by cell: `prefix.key.inner` columns, MAX_DEPTH deep at most."""
    if isinstance(value, dict) and depth > 0:
        for key, inner in value.items():
            if type(inner) in _PLAIN:
                row[f"{prefix}.{key}"] = neutralise(inner)
            else:
                _flatten_into(row, f"{prefix}.{key}", inner, depth - 1)
    elif isinstance(value, list):
        row[prefix] = neutralise("; ".join(map(str, value)))
    else:
        row[prefix] = neutralise(value)


_NAMES: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}  # (section, its keys): their column names
_NAMES_LIMIT = 10_000


def _column_names(prefix: str, keys: tuple[str, ...]) -> tuple[str, ...]:
    """`prefix.key` for each key, made once per distinct section shape: runs repeat their sections' keys,
    and the same tuple for each keeps a row's shape (the tuple of its sections' names) cheap to compare."""
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


def csv_columns(shapes: Iterable[Iterable[str]]) -> list[str]:
    """Every shape's columns in first-seen order, the metrics.<key> columns together in the registry's order."""
    columns = list(dict.fromkeys(chain.from_iterable(shapes)))
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
    # A shape's columns: the base ones, then its sections'. Distinct shapes are few (runs of one
    # version repeat theirs), and first-seen order over them is first-seen order over the rows.
    shapes = {names: [*BASE_COLUMNS, *chain.from_iterable(names)] for names, _cells in rows}
    columns = csv_columns(shapes.values()) if rows else []
    out = io.StringIO(newline="")
    writer = csv.writer(out)  # what csv.DictWriter writes (a missing cell is None, written empty), less its per-cell cost
    writer.writerow(columns or list(TOP_LEVEL))
    placed = {names: _placing(shape, columns) for names, shape in shapes.items()}
    writer.writerows(placed[names](cells) for names, cells in rows)
    return out.getvalue(), len(rows)


def _placing(shape: list[str], columns: list[str]) -> Callable[[list[Any]], Sequence[Any]]:
    """What puts the cells of a row of this shape in the columns' places (None where it has no cell)."""
    if shape == columns:
        return _as_they_are
    at = {column: i for i, column in enumerate(shape)}
    missing = len(shape)  # the position of the None appended to each such row
    getter = itemgetter(*(at.get(column, missing) for column in columns))
    return lambda cells: getter([*cells, None])


def _as_they_are(cells: list[Any]) -> list[Any]:
    return cells


def write_csv(runs: Iterable[RunRecord], path: Path) -> int:
    """Write runs to `path`, whole or not at all (private, replaced atomically); returns the number of rows."""
    text, count = csv_text(runs)
    replace_text(path, text)  # a name that is not valid UTF-8 is written escaped, never a half-written file
    return count
