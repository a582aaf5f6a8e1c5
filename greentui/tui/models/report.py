"""Writing the paper report from the compare and sweep screens (pure: no widgets, run off the event loop)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from greentui.report.selection import Selection

FORMAT_NAMES = {"md": "Markdown", "csv": "CSV", "tex": "LaTeX", "json": "JSON"}
DEFAULT_REPORT = "greentui-report.tex"
QUESTION = "Write the report (.tex, .md, .json or .csv; all but CSV with the compute appendix) to:"


def write_report(select: Callable[[], Selection], target: Path) -> str:
    """Render the selection in the format the file name asks for and write it whole; what was written.

    A bad extension or an empty selection raises ReportError before anything is written.
    """
    from greentui.report.render import format_of, render
    from greentui.store.atomic import replace_text

    fmt = format_of(None, target)
    selection = select()
    appendix = fmt != "csv"
    replace_text(target, render(selection, fmt, appendix))
    rows = len(selection.rows)
    return (f"wrote the {FORMAT_NAMES[fmt]} report ({rows} row{'s' if rows != 1 else ''}"
            f"{', with the compute appendix' if appendix else ''}) to {target}")
