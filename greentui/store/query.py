"""The history's filter language, shared by the TUI's filter box and `greentui report --where`."""

from __future__ import annotations

from greentui.store.summary import RunRow


def matches(record: RunRow, query: str) -> bool:
    """True when the run passes every word of `query`: `status:X`, `tech:X` (prefixes) or plain text."""
    tags = record.techniques() or ["baseline"]
    haystack = " ".join([record.id, record.name, record.status, *tags]).lower()
    for word in query.lower().split():
        kind, sep, value = word.partition(":")
        if sep and kind == "status":
            if not record.status.startswith(value):
                return False
        elif sep and kind in ("tech", "technique"):
            if not any(tag.lower().startswith(value) for tag in tags):
                return False
        elif word not in haystack:
            return False
    return True
