"""A stored config's technique tags, the same as RunConfig.from_mapping(config).techniques() gives, faster.

Every listing (the history, `ls`, `export`) tags every run, and building a validated RunConfig
costs about 50 µs a run: half a second on 10,000. A config is checked key by key (no key's
check depends on another's), and the runs of a store repeat the same values over and over, so
each (key, value) is coerced and checked once per process; the tags are then read from a
config assembled from those checked values. A config met before whole (a sweep's repeats, a
store of reruns) is answered from memory: -0.0 and 0.0 may share that answer, and no check or
tag tells them apart (each is "not above zero").
"""

from __future__ import annotations

from typing import Any, Mapping

_INVALID = object()
_checked: dict[tuple[str, type, Any], Any] = {}  # (key, type of the stored value, the value): coerced, or _INVALID
_LIMIT = 100_000  # distinct values remembered (seeds differ run to run); past it, checked every time


_Whole = tuple[tuple[str, ...], tuple[Any, ...], tuple[type, ...]]
_whole: dict[_Whole, tuple[str, ...]] = {}  # (keys, values, the values' types): tags


def techniques_of(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The technique tags of a stored config; () when any of its keys is invalid, as from_mapping would refuse it."""
    try:
        values = tuple(config.values())  # keys and values apart: cheaper to hash than (key, value) pairs
        whole: _Whole | None = (tuple(config), values, tuple(map(type, values)))
        found = _whole.get(whole)  # type: ignore[arg-type]
    except TypeError:  # a list or a dict among the values: never remembered whole
        whole = found = None
    if found is not None:
        return found
    tags = _checked_techniques(config)
    if whole is not None and len(_whole) < _LIMIT:
        _whole[whole] = tags
    return tags


def _checked_techniques(config: Mapping[str, Any]) -> tuple[str, ...]:
    from greentui.config import KEYS, RunConfig, _check_value, _default_values, coerce

    values = dict(_default_values())
    for key, raw in config.items():
        if key not in KEYS:
            continue
        memo_key = (key, type(raw), raw)
        try:
            value = _checked.get(memo_key, None)
        except TypeError:  # a list or a dict where a scalar belongs: never valid, never remembered
            return ()
        if value is None:
            try:
                value = coerce(key, raw)
                _check_value(key, value)
            except ValueError:
                value = _INVALID
            if len(_checked) < _LIMIT and not _same_as_other_zero(raw):
                _checked[memo_key] = value
        if value is _INVALID:
            return ()
        values[key] = value
    # Every value is checked (the defaults are valid): build without checking them all again.
    built = object.__new__(RunConfig)
    for name, value in values.items():
        object.__setattr__(built, name, value)
    return tuple(built.techniques())


def _same_as_other_zero(raw: Any) -> bool:
    # -0.0 == 0.0 with one hash, and NaN equals nothing: remembering them could hand one's result to the other.
    return type(raw) is float and (raw == 0.0 or raw != raw)

