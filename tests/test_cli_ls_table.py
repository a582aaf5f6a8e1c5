"""`greentui ls` in a terminal: an aligned table that fits the width, never cuts an id, and shows stored text literally."""

from __future__ import annotations

import json
import re
from pathlib import Path

from rich.cells import cell_len

from greentui.cli.ls_table import LS_COLUMNS, fit_cell, ls_table
from greentui.report.text import LIST_HEADER
from tests.test_hardening_output import in_a_terminal


def row(name: str, run_id: str = "20261201-120000-abcd", techniques: str = "baseline") -> list[str]:
    return [run_id, name, "completed", "2026-12-01 12:00", techniques, "0.912", "44 s", "0.000385", "0.183", "0.07"]


def test_columns_follow_the_list_header() -> None:
    assert tuple(c.title for c in LS_COLUMNS) == LIST_HEADER


def test_a_wide_terminal_shows_every_column_aligned_under_its_title() -> None:
    lines = ls_table([row("short"), row("a much longer run name")], width=200).splitlines()
    assert re.split(r" {2,}", lines[0].strip()) == list(LIST_HEADER)
    assert set(lines[1]) == {"─", " "}
    # every row's cells start where their title does; figures end where theirs does
    assert lines[2].index("completed") == lines[0].index("status") == lines[3].index("completed")
    assert lines[2].rindex("0.07") + 4 == lines[0].rindex("J/sample") + len("J/sample")
    assert max(len(line) for line in lines) < 200  # no padding out to the terminal's edge


def test_a_narrow_terminal_drops_the_least_important_columns_and_says_so() -> None:
    table = ls_table([row("tiny-distilbert " * 4)], width=60)
    lines = table.splitlines()
    assert all(cell_len(line) < 60 for line in lines)
    assert "20261201-120000-abcd" in lines[2]  # the id whole
    assert "…" in lines[2] and "acc" in lines[0] and "created" not in lines[0]
    assert lines[-1] == "(6 column(s) left out: a wider terminal shows them)"


def test_wide_and_combining_letters_are_measured_in_cells() -> None:
    lines = ls_table([row("数据集 run"), row("cafe\u0301 run"), row("plain run")], width=200).splitlines()
    status_at = [cell_len(line[:line.index("completed")]) for line in lines[2:]]
    assert len(set(status_at)) == 1, lines


def test_fit_cell_pads_or_cuts_to_exactly_the_width() -> None:
    assert fit_cell("abc", 5) == "abc  " and fit_cell("abc", 5, right=True) == "  abc"
    assert fit_cell("abcdef", 4) == "abc…"
    assert cell_len(fit_cell("数据集数据集", 5)) == 5


def test_ls_in_a_terminal_lists_the_store(store_path: Path) -> None:
    docs = {str(i): {"id": f"run-{i}", "name": f"[b]name {i}[/b]", "status": "completed",
                     "created_at": "2026-11-30T10:00:00+00:00", "config": {"lora": True},
                     "metrics": {"accuracy": 0.5 + i / 100, "energy_kwh": 0.001}} for i in range(3)}
    store_path.write_text(json.dumps({"runs": docs}))
    shown = in_a_terminal("ls", store=store_path).decode()
    lines = [line for line in shown.replace("\r", "").splitlines() if line.strip()]
    assert lines[0].split()[:2] == ["id", "name"]
    assert [line.split()[0] for line in lines[2:5]] == ["run-0", "run-1", "run-2"]
    assert "[b]name 1[/b]" in shown and "lora" in shown and "0.510" in shown
