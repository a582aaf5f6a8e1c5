"""The history's filter language, shared by the TUI's filter box and `greentui report --where`.

Every word must hold: `status:X`, `tech:X` and `tag:X` (the user's tags) match prefixes, a comparison (`acc>0.85`,
`kwh<0.001`, `co2<=0.2`, `time<60s`, `f1>=0.9`) compares a figure in the unit the tables show it
in (CO₂ in g, time in s, `s`/`m`/`h` accepted), and any other word is text found in the id,
name, status, technique tags or the user's tags. A run without the figure does not match a comparison. A
comparison that cannot be read raises QueryError, naming the word: it never silently matches
nothing.
"""

from __future__ import annotations

import operator
import re
from math import isfinite
from typing import Callable

from greentui.metrics.registry import METRICS, Metric
from greentui.store.summary import RunRow

Test = Callable[[RunRow], bool]

# Short names for the figures people filter by most; any metric key (energy_kwh, samples_per_s) works too.
ALIASES = {"acc": "accuracy", "accuracy": "accuracy", "f1": "f1", "kwh": "energy_kwh", "energy": "energy_kwh",
           "co2": "emissions_kg", "time": "duration_s", "loss": "eval_loss"}
_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le, ">=": operator.ge, "!=": operator.ne, "<": operator.lt, ">": operator.gt, "=": operator.eq}
_COMPARISON = re.compile(r"([a-z][a-z0-9_/]*)(<=|>=|!=|<|>|=)(.*)")
_SECONDS = {"s": 1.0, "m": 60.0, "min": 60.0, "h": 3600.0}


class QueryError(ValueError):
    """A filter word that looks like a comparison but cannot be read; the message names it."""


def _figure(name: str) -> Metric | None:
    key = ALIASES.get(name, name)
    return next((m for m in METRICS if m.key == key), None)


def _number(word: str, text: str, figure: Metric) -> float:
    """The value of a comparison, in the figure's shown unit; seconds accept s, m (or min) and h."""
    match = re.fullmatch(r"([-+]?[0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)([a-z]*)", text)
    unit = match.group(2) if match else ""
    if match is None or (unit and not (figure.unit == "s" and unit in _SECONDS)):
        hint = " (seconds: 90, 90s, 1.5m, 2h)" if figure.unit == "s" else ""
        raise QueryError(f"filter {word!r}: {text!r} is not a number{hint}")
    value = float(match.group(1)) * (_SECONDS[unit] if unit else 1.0)
    if not isfinite(value):
        raise QueryError(f"filter {word!r}: {text!r} is not a finite number")
    return value


def _word_test(word: str) -> Test:
    kind, sep, value = word.partition(":")
    if sep and kind == "status":
        return lambda r: r.status.startswith(value)
    if sep and kind in ("tech", "technique"):
        return lambda r: any(tag.lower().startswith(value) for tag in (r.techniques() or ["baseline"]))
    if sep and kind == "tag":
        return lambda r: any(label.lower().startswith(value) for label in r.labels)
    comparison = _COMPARISON.fullmatch(word)
    if comparison is not None:
        name, symbol, text = comparison.groups()
        figure = _figure(name)
        if figure is None:
            raise QueryError(f"filter {word!r}: no figure {name!r} (try acc, f1, kwh, co2, time, loss or a metric key)")
        bound, compare, key, scale = _number(word, text, figure), _OPERATORS[symbol], figure.key, figure.scale

        def test(r: RunRow) -> bool:
            stored = r.metric(key)
            return stored is not None and compare(stored * scale, bound)
        return test
    return lambda r: word in " ".join([r.id, r.name, r.status, *(r.techniques() or ["baseline"]), *r.labels]).lower()


def compile_query(query: str) -> Test:
    """The test a run must pass for `query` (every word holds); QueryError names a word it cannot read."""
    tests = [_word_test(word) for word in query.lower().split()]
    return lambda record: all(test(record) for test in tests)
