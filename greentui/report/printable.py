"""Stored text made safe to show: no terminal control codes, no markup, nothing unencodable.

Run names, errors, model ids and tags come from runs.json, which anyone sharing the store can
write. Shown raw, an ESC sequence could retitle the terminal, move the cursor or hide text, and
a lone surrogate (a name typed in a Latin-1 terminal) makes the print itself raise. Every
human-readable output passes stored text through `printable`; `--json` keeps exact strings.
Markup is a separate matter: greentui never hands stored text to a markup parser (Rich `Text`
objects, `markup=False`), so `[wip]` stays `[wip]`.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional overrides that reorder what a reader sees.
_ANY_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(value: object, keep_newlines: bool = False) -> str:
    """`value` as text a terminal shows literally: control characters as visible escapes (\\x1b, \\u202e)."""
    text = value if isinstance(value, str) else str(value)
    text = text.encode("utf-8", "backslashreplace").decode("utf-8")  # lone surrogates become \\udcXX
    pattern = _UNSAFE_BUT_NEWLINE if keep_newlines else _ANY_UNSAFE
    return pattern.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def from_command_line(text: str) -> str:
    """A name typed on the command line as UTF-8 text: bytes that were not UTF-8 kept visible as \\xNN."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
