"""The sweep screen's table: cells from a sweep's attribution rows (pure data, no Textual)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from greentui.report.printable import printable
from greentui.report.selection import sweep_selection
from greentui.sweep.model import Sweep

if TYPE_CHECKING:
    from greentui.store.run_store import RunStore


@dataclass(frozen=True)
class SweepProgress:
    """What the sweep screen shows of the newest sweep (None: no sweep yet), and the sweep files skipped."""

    sweep: Sweep | None
    rows: tuple[tuple[str, ...], ...] = ()
    finished: int = 0
    running: str | None = None
    skipped: tuple[str, ...] = ()
    energy_changes: tuple[tuple[str, float], ...] = ()  # (technique row, Δ energy % against the baseline): the chart
    pruned: int = 0  # runs the sweep stopped early (`--prune dominated`)

    def status_text(self, runner_busy: bool) -> str:
        """The status line above the table."""
        sweep = self.sweep
        if sweep is None:
            return "no sweep yet: fill in the techniques and press ctrl+r"
        return (f"sweep {sweep.id} · {sweep.plan} of {sweep.techniques_text()} × {sweep.repeats} · "
                f"{self.finished} of {len(sweep.entries)} runs finished"
                + (f" ({self.pruned} pruned)" if self.pruned else "")
                + (f" · running: {self.running}" if self.running else "")
                + self._queue_text(runner_busy))

    def _queue_text(self, runner_busy: bool) -> str:
        """What the queue does with the sweep: paused, cancelled, stopped (and why), or waiting for a runner."""
        sweep = self.sweep
        if sweep is None:
            return ""
        if sweep.control == "stopped":
            return f" · stopped: {printable(sweep.reason)}"  # from the sweep file: untrusted text
        if sweep.control in ("paused", "cancelled"):
            return f" · {sweep.control}" + (" (ctrl+o resumes)" if sweep.control == "paused" else "")
        if runner_busy or self.finished == len(sweep.entries):
            return ""
        return " · queue runner not at work: it starts with the next greentui"


def sweep_rows(store: RunStore, sweep: Sweep) -> SweepProgress:
    """The TUI's table cells, the energy changes charted, how many runs have finished, and which one is running."""
    from greentui.report.attribution import MEASURES
    from greentui.report.tables import PARETO_MARK, short_change, stat_text

    selection = sweep_selection(store, sweep)
    rows, records = selection.rows, selection.records
    energy, accuracy = MEASURES["energy"].spec, MEASURES["accuracy"].spec
    cells: list[tuple[str, ...]] = [(f"{PARETO_MARK if r.pareto else ' '} {printable(r.role)}", str(r.runs),
              stat_text(r.stats["energy"], energy),
              short_change(r, "energy"), short_change(r, "time"), short_change(r, "co2"),
              stat_text(r.stats["accuracy"], accuracy), short_change(r, "accuracy")) for r in rows]
    changes = tuple((printable(r.role), pct) for r in rows[1:] if (pct := r.change_pct["energy"]) is not None)
    running = next((f"{r.sweep.get('role')} #{r.sweep.get('repeat', 0) + 1}" for r in records
                    if r.status == "running"), None)
    return SweepProgress(sweep, tuple(cells), sum(1 for r in records if r.finished), running, energy_changes=changes,
                         pruned=sum(1 for r in records if r.status == "pruned"))


def newest_sweep_progress(store: RunStore) -> SweepProgress:
    """Read the sweep files and the store for the newest sweep's progress (blocking: call it off the event loop)."""
    from greentui.sweep.queue import scan_sweeps

    sweeps, skipped = scan_sweeps(store)
    if not sweeps:
        return SweepProgress(None, skipped=tuple(skipped))
    return replace(sweep_rows(store, sweeps[-1]), skipped=tuple(skipped))
