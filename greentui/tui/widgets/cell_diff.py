"""Which cells of a line changed: repainting only those is what keeps a live view cheap over SSH.

Textual repaints a whole widget when it is refreshed without regions, and sends every cell of it
with the cell's colour codes. A chart whose newest point moved three cells, or a status line whose
clock went from 9 s to 10 s, needs only those cells sent: `changed_spans` finds them, and the
widget refreshes just those regions.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.geometry import Region

Cells = list[tuple[str, tuple[Any, ...]]]


def _cells(line: Text) -> Cells | None:
    """Each character with the styles on it; None when a character is not one cell wide (CJK, emoji)."""
    plain = line.plain
    if cell_len(plain) != len(plain):
        return None  # character offsets are not screen columns: compare the line whole
    styles: list[tuple[Any, ...]] = [()] * len(plain)
    for span in line.spans:
        for index in range(max(span.start, 0), min(span.end, len(plain))):
            styles[index] += (span.style,)
    return list(zip(plain, styles, strict=True))


# Unchanged cells between two changes on one row that are sent again rather than skipped: a jump of
# the cursor costs about 8 bytes, a braille cell 3 and its colour codes another 20 where they change.
JOIN_GAP = 3


def changed_spans(old: Text, new: Text) -> list[tuple[int, int]]:
    """(first, end) screen columns of each run of cells where `new` looks different from `old` at the same
    place; none if they look alike. Runs at most JOIN_GAP unchanged cells apart are sent as one.

    A cell past the end of one line and inside the other counts as changed: the shorter line's
    blank must be painted over the longer one's text.
    """
    if old is new:  # a line a chart kept from its last picture
        return []
    whole = [(0, max(cell_len(old.plain), cell_len(new.plain)))]
    if old.style != new.style:
        return whole
    before, after = _cells(old), _cells(new)
    if before is None or after is None:
        return whole
    if before == after:
        return []
    spans: list[tuple[int, int]] = []
    for i in range(max(len(before), len(after))):
        if i < len(before) and i < len(after) and before[i] == after[i]:
            continue
        if spans and i - spans[-1][1] <= JOIN_GAP:
            spans[-1] = (spans[-1][0], i + 1)
        else:
            spans.append((i, i + 1))
    return spans


def changed_regions(old: list[Text], new: list[Text]) -> list[Region] | None:
    """The regions (each run of changed cells of each row) that turn lines `old` into `new`; None when the
    row count differs (repaint everything)."""
    if len(old) != len(new):
        return None
    return [Region(start, y, end - start, 1)
            for y, (before, after) in enumerate(zip(old, new, strict=True))
            for start, end in changed_spans(before, after)]
