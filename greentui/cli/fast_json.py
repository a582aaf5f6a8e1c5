"""`json.dumps(docs, indent=2)` for a list of run records, byte for byte, several times faster.

Python's indenting encoder is pure Python (only the compact one is in C): on 10,000 runs it
took a second, four times what parsing the store takes. Runs share most of their nested
values (the same hardware, versions, measurement notes and configs run after run), so each
record's fields are encoded compactly in C, and a field seen before reuses its indented text.
Indented text is a function of the compact text alone (only whitespace is added, and no string
holds a raw newline since every string is escaped to ASCII), so reuse cannot change a byte.
A field that holds no containers (the metrics, different in every run) is indented by the C
encoder itself: its separators can carry the newline and the indent of the one level inside.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring_ascii
from typing import Any, Callable, Mapping, Sequence

_MEMO_LIMIT = 20_000  # distinct nested values kept (the metrics of each run are all distinct)
_indented = json.JSONEncoder(indent=2).encode
_FIELD_ITEM = "\n      "  # a field's items sit three levels deep; the field itself two


def _refuse(value: Any) -> Any:
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _c_encoder(item_separator: str, key_separator: str) -> Callable[[Any], str]:
    """json.dumps with these separators, built once (JSONEncoder.encode builds its C encoder on every call)."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # an interpreter without the C accelerator
        return json.JSONEncoder(separators=(item_separator, key_separator)).encode
    encoder = make(None, _refuse, encode_basestring_ascii, None, key_separator, item_separator, False, False, True)
    return lambda value: "".join(encoder(value, 0))


_compact = _c_encoder(",", ":")
_flat_field = _c_encoder("," + _FIELD_ITEM, ": ")


def dumps_records(docs: Sequence[Mapping[str, Any]]) -> str:
    """The same text as `json.dumps(list(docs), indent=2)` for a list of JSON-ready dicts."""
    if not docs:
        return "[]"
    memo: dict[str, str] = {}
    return "[\n  " + ",\n  ".join(_record(doc, memo) for doc in docs) + "\n]"


def _float_text(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (_INFINITY, -_INFINITY):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


_INFINITY = float("inf")
# A scalar's text as the C encoder writes it, without a call into the encoder (most fields are scalars).
_SCALAR_TEXT: dict[type, Callable[[Any], str]] = {
    str: encode_basestring_ascii, int: int.__repr__, float: _float_text,
    bool: lambda value: "true" if value else "false", type(None): lambda _value: "null"}
_CONTAINERS = (dict, list, tuple)


def _record(doc: Mapping[str, Any], memo: dict[str, str]) -> str:
    if not isinstance(doc, dict) or not doc or not all(type(key) is str for key in doc):
        return _indented(doc).replace("\n", "\n  ")  # anything unusual: the plain encoder, indented one level
    parts = []
    for key, value in doc.items():
        scalar = _SCALAR_TEXT.get(type(value))
        if scalar is not None:
            text = scalar(value)
        elif type(value) in _CONTAINERS and value:
            text = _field(value, memo)
        else:
            text = _compact(value)  # an empty container, or a type only the encoder knows (or refuses)
        parts.append(encode_basestring_ascii(key) + ": " + text)
    return "{\n    " + ",\n    ".join(parts) + "\n  }"


def _field(value: dict[str, Any] | list[Any] | tuple[Any, ...], memo: dict[str, str]) -> str:
    """A record's field indented as json.dumps indents it two levels deep."""
    items = value.values() if isinstance(value, dict) else value
    if _SCALAR_TEXT.keys() >= set(map(type, items)):  # no containers inside (a C-speed look at the types)
        inner = _flat_field(value)  # the separators carry the newlines and the indent
        return inner[0] + _FIELD_ITEM + inner[1:-1] + "\n    " + inner[-1]
    # Containers inside: the pure-Python indenting encoder, once per distinct value (runs share
    # their hardware, versions and phases).
    compact = _compact(value)
    found = memo.get(compact)
    if found is None:
        found = _indented(value).replace("\n", "\n    ")
        if len(memo) < _MEMO_LIMIT:
            memo[compact] = found
    return found
