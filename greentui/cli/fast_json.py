"""`json.dumps(docs, indent=2)` for a list of run records, byte for byte, several times faster.

Python's indenting encoder is pure Python (only the compact one is in C): on 10,000 runs it
took a second, four times what parsing the store takes. Runs share most of their nested
values (the same hardware, versions, measurement notes and configs run after run), so each
record's fields are encoded compactly in C, and a field seen before reuses its indented text.
Indented text is a function of the compact text alone (only whitespace is added, and no string
holds a raw newline since every string is escaped to ASCII), so reuse cannot change a byte.
A field that holds no containers (a config, the metrics) is indented by the C encoder itself:
its separators can carry the newline and the indent of the one level inside. Such a field
seen before (the configs of a sweep, the measurement notes) is found by its repr, which is
cheaper to make than its text.
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
    memo = _Memo()
    return "[\n  " + ",\n  ".join(_record(doc, memo) for doc in docs) + "\n]"


class _Memo:
    """Indented text of the fields seen: by the compact JSON of a value with containers inside,
    and by the repr of a flat value.

    A flat field is looked up by its repr, cheaper to make than its text (and exact: its types
    are checked first, and repr tells 0.0 from -0.0 and 1 from 1.0 and True). A field whose
    values do not repeat (the metrics) is soon no longer looked up: see `worth`.
    """

    def __init__(self) -> None:
        self.by_compact: dict[str, str] = {}
        self.by_repr: dict[str, str] = {}
        self.tally: dict[str, list[int]] = {}  # field: [values found, values not found]

    def worth(self, field: str) -> bool:
        found, missed = self.tally.setdefault(field, [0, 0])
        return missed < _TRIAL or found * 4 > missed

    def count(self, field: str, found: bool) -> None:
        self.tally[field][0 if found else 1] += 1

    def keep(self, texts: dict[str, str], key: str, text: str) -> None:
        if len(self.by_compact) + len(self.by_repr) < _MEMO_LIMIT:
            texts[key] = text


_TRIAL = 16  # values of a field looked up before its hits are weighed


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


def _record(doc: Mapping[str, Any], memo: _Memo) -> str:
    if not isinstance(doc, dict) or not doc or not all(type(key) is str for key in doc):
        return _indented(doc).replace("\n", "\n  ")  # anything unusual: the plain encoder, indented one level
    parts = []
    for key, value in doc.items():
        scalar = _SCALAR_TEXT.get(type(value))
        if scalar is not None:
            text = scalar(value)
        elif type(value) in _CONTAINERS and value:
            text = _field(key, value, memo)
        else:
            text = _compact(value)  # an empty container, or a type only the encoder knows (or refuses)
        parts.append(encode_basestring_ascii(key) + ": " + text)
    return "{\n    " + ",\n    ".join(parts) + "\n  }"


def _field(name: str, value: dict[str, Any] | list[Any] | tuple[Any, ...], memo: _Memo) -> str:
    """A record's field indented as json.dumps indents it two levels deep."""
    items = value.values() if isinstance(value, dict) else value
    if _SCALAR_TEXT.keys() >= set(map(type, items)):  # no containers inside (a C-speed look at the types)
        if not memo.worth(name):
            return _flat(value)
        key = repr(value)
        found = memo.by_repr.get(key)
        memo.count(name, found is not None)
        if found is None:
            found = _flat(value)
            memo.keep(memo.by_repr, key, found)
        return found
    # Containers inside: the pure-Python indenting encoder, once per distinct value (runs share
    # their hardware, versions and phases).
    compact = _compact(value)
    found = memo.by_compact.get(compact)
    if found is None:
        found = _indented(value).replace("\n", "\n    ")
        memo.keep(memo.by_compact, compact, found)
    return found


def _flat(value: dict[str, Any] | list[Any] | tuple[Any, ...]) -> str:
    inner = _flat_field(value)  # the separators carry the newlines and the indent
    return inner[0] + _FIELD_ITEM + inner[1:-1] + "\n    " + inner[-1]
