"""The sweep screen's table: cells from a sweep's attribution rows (pure data, no Textual)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from greentui.report.sweep_report import sweep_attribution

if TYPE_CHECKING:
    from greentui.store.run_store import RunStore


def sweep_rows(store: RunStore, sweep: dict) -> tuple[list[tuple[str, ...]], int, str | None]:
    """The TUI's table cells, how many runs have finished, and which one is running (if any)."""
    from greentui.report.attribution import MEASURES
    from greentui.report.tables import PARETO_MARK, short_change, stat_text

    rows, records = sweep_attribution(store, sweep)
    energy, accuracy = MEASURES["energy"].spec, MEASURES["accuracy"].spec
    cells: list[tuple[str, ...]] = [(f"{PARETO_MARK if r.pareto else ' '} {r.role}", str(r.runs), stat_text(r.stats["energy"], energy),
              short_change(r, "energy"), short_change(r, "time"), short_change(r, "co2"),
              stat_text(r.stats["accuracy"], accuracy), short_change(r, "accuracy")) for r in rows]
    running = next((f"{r.sweep.get('role')} #{r.sweep.get('repeat', 0) + 1}" for r in records
                    if r.status == "running"), None)
    return cells, sum(1 for r in records if r.finished), running

