"""A Selection as text in one of the report's formats, with the compute appendix where asked."""

from __future__ import annotations

from pathlib import Path

from greentui.report.errors import ReportError
from greentui.report.selection import Selection

FORMATS = ("md", "csv", "tex", "json")
SUFFIXES = {".md": "md", ".markdown": "md", ".csv": "csv", ".tex": "tex", ".json": "json"}


def format_of(fmt: str | None, output: Path | None) -> str:
    """The format asked for, else the output file's extension's, else Markdown."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise ReportError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
        return fmt
    if output is None:
        return "md"
    suffix = output.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReportError(f"{output}: cannot tell the format from {suffix or 'no extension'!r}; "
                          f"name it .md, .csv, .tex or .json, or give --format")
    return SUFFIXES[suffix]


def render(selection: Selection, fmt: str, appendix: bool = False) -> str:
    """The report's text; CSV is the table alone (a spreadsheet has no place for an appendix)."""
    from greentui.report.tables import csv_text, markdown

    if not selection.rows:
        raise ReportError(f"{selection.title}: no completed run to report on "
                          f"({len(selection.records)} run(s) selected, none completed and uncontended)")
    if fmt == "csv":
        if appendix:
            raise ReportError("--appendix with --format csv: the appendix is prose; use md, tex or json")
        return csv_text(selection.rows)
    if fmt == "json":
        from greentui.report.json_report import json_text

        return json_text(selection)
    if fmt == "tex":
        from greentui.report.latex import latex_appendix, latex_tables

        return latex_tables(selection) + (latex_appendix(selection) if appendix else "")
    from greentui.report.printable import printable

    text = markdown(selection.rows, selection.title, selection.notes)
    if appendix:
        from greentui.report.appendix import markdown_appendix

        text += "\n" + markdown_appendix(selection)
    return printable(text, keep_newlines=True)  # stored names and tags: no control codes reach a terminal
