"""The attribution report of a sweep, or of any runs against a baseline, as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from greentui.report.attribution import DEFAULT_LIFETIME_PREDICTIONS

if TYPE_CHECKING:
    from greentui.store.record import RunRecord
    from greentui.store.run_store import RunStore
    from greentui.sweep.model import Sweep


def sweep_attribution(store: RunStore, sweep: Sweep, include_contended: bool = False,
                      lifetime_predictions: float = DEFAULT_LIFETIME_PREDICTIONS) -> tuple[list, list]:
    """(attribution rows in plan order, every run of the sweep) for a sweep; lifetime energy for N predictions."""
    from greentui.report.attribution import attribute, completed_groups

    records = [r for r in store.all() if r.sweep.get("id") == sweep.id]
    groups = completed_groups(records, lambda r: r.sweep.get("role", "?"), include_contended)
    order = list(dict.fromkeys(e.role for e in sweep.entries))
    rows = sorted(attribute(groups, lifetime_predictions=lifetime_predictions),
                  key=lambda row: order.index(row.role) if row.role in order else len(order))
    return rows, records


def sweep_report(store: RunStore, sweep_id: str, fmt: str = "md", include_contended: bool = False,
                 lifetime_predictions: float = DEFAULT_LIFETIME_PREDICTIONS) -> str:
    """The attribution table of a sweep, as Markdown or CSV text."""
    from greentui.report.attribution import contended_note
    from greentui.report.tables import csv_text, markdown, measurement_note
    from greentui.sweep.queue import load_sweep

    sweep = load_sweep(store, sweep_id)
    rows, records = sweep_attribution(store, sweep, include_contended, lifetime_predictions)
    if fmt == "csv":
        return csv_text(rows)
    completed = sum(r.runs for r in rows)
    left_out = len(records) - completed
    base = sweep.baseline
    notes = [f"Plan {sweep.plan}, {sweep.repeats} repeat(s), techniques {sweep.techniques_text()}; baseline "
             f"{base.model} on {base.dataset}, {base.epochs:g} epochs, batch {base.batch_size}, "
             f"lr {base.learning_rate:g}.",
             f"{completed} completed run(s) of {len(sweep.entries)} planned"
             + (f"; {left_out} not completed (left out)" if left_out else "") + "."]
    notes += filter(None, [contended_note(records, include_contended), measurement_note(records)])
    return markdown(rows, f"Sweep {sweep.id}", notes)


def runs_report(store: RunStore, run_ids: list[str], baseline_id: str, fmt: str = "md",
                include_contended: bool = False, lifetime_predictions: float = DEFAULT_LIFETIME_PREDICTIONS) -> str:
    """The attribution table of any runs: grouped by technique tags, the baseline run's group first."""
    from greentui.report.attribution import attribute, completed_groups, contended_note
    from greentui.report.tables import csv_text, markdown
    from greentui.sweep.plan import BASELINE, SweepError

    records = []
    for run_id in dict.fromkeys([baseline_id, *run_ids]):
        record = store.get(run_id)
        if record is None:
            raise SweepError(f"no run {run_id!r} in {store.path}")
        records.append(record)
    base_tags = records[0].techniques()

    def role_of(record: RunRecord) -> str:
        # Runs with the baseline's techniques are its repeats; the others are named by their tags.
        tags = record.techniques()
        return BASELINE if tags == base_tags else " ".join(tags) or "(no technique)"

    rows = attribute(completed_groups(records, role_of, include_contended), lifetime_predictions=lifetime_predictions)
    if fmt == "csv":
        return csv_text(rows)
    notes = [f"Grouped by technique tags; baseline: {records[0].name} ({' '.join(base_tags) or 'no technique'})."]
    return markdown(rows, f"{len(records)} runs against {records[0].id}",
                    [*notes, *filter(None, [contended_note(records, include_contended)])])

