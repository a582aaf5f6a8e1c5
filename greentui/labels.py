"""The user's tags and notes on runs: what they may hold, checked once for the CLI and the TUI.

A tag is a short word (`paper`, `final-v2`, `gpu.a100`) so it can be typed in a filter
(`tag:paper`) and shown in a column; a note is free text of bounded length. Both are stored in
the run's record (`tags`, `notes`) and shown through `printable` like every stored text.
"""

from __future__ import annotations

import re
from typing import Sequence

TAG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,39}")
MAX_NOTE = 2000


class LabelError(ValueError):
    """A tag or note that cannot be stored; the message names it."""


def checked_tags(words: list[str]) -> list[str]:
    """The tags as given, each checked, duplicates dropped (first spelling kept)."""
    for word in words:
        if not TAG.fullmatch(word):
            raise LabelError(f"tag {word!r}: letters, digits, '.', '_' or '-', starting with a letter or digit, "
                             "at most 40 characters")
    return list(dict.fromkeys(words))


def with_tags(current: tuple[str, ...], add: Sequence[str] = (), remove: Sequence[str] = ()) -> list[str]:
    """`current` with `add` appended (if new) and `remove` taken out."""
    gone = set(checked_tags(list(remove)))
    return [t for t in dict.fromkeys([*current, *checked_tags(list(add))]) if t not in gone]


def checked_note(text: str) -> str:
    """A note as it is stored: stripped, at most MAX_NOTE characters."""
    note = text.strip()
    if len(note) > MAX_NOTE:
        raise LabelError(f"note of {len(note):,} characters: at most {MAX_NOTE:,}")
    return note
