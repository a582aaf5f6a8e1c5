"""What a report is about: a sweep, chosen runs, or the runs a filter matches, grouped against a baseline.

Every format (Markdown, CSV, LaTeX, JSON), the compute appendix and the figures render one
Selection, so they always agree on which runs were compared and which were left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Sequence

from greentui.report.attribution import DEFAULT_LIFETIME_PREDICTIONS, Attribution
from greentui.report.power_caps import DEFAULT_TIME_BUDGET_PCT

if TYPE_CHECKING:
    from greentui.store.record import RunRecord
    from greentui.store.run_store import RunStore
    from greentui.sweep.model import Sweep

NO_TECHNIQUE = "(no technique)"


@dataclass(frozen=True)
class Selection:
    """The attribution rows of some runs, and every run selected whatever its ending."""

    title: str
    notes: list[str]
    rows: list[Attribution]
    records: list[RunRecord]  # all selected runs, failed, stopped and contended ones too (the appendix counts them)
    role_of: dict[str, str] = field(default_factory=dict)  # run id -> the row it belongs to (completed runs)
    plan: str = ""  # how the runs were chosen, for the appendix: "sweep X", "runs", "filter 'tech:lora'"


def _grouped(records: Sequence[RunRecord], role: Callable[[RunRecord], str], baseline: str,
             include_contended: bool, predictions: float) -> tuple[list[Attribution], dict[str, str]]:
    from greentui.report.attribution import attribute, completed_groups

    groups = completed_groups(records, role, include_contended)
    role_of = {r.id: name for name, runs in groups.items() for r in runs}
    return attribute(groups, baseline, lifetime_predictions=predictions), role_of


def sweep_selection(store: RunStore, sweep_or_id: Sweep | str, include_contended: bool = False,
                    predictions: float = DEFAULT_LIFETIME_PREDICTIONS,
                    time_budget_pct: float = DEFAULT_TIME_BUDGET_PCT) -> Selection:
    """A sweep's runs (the sweep, or its id or a unique prefix of it), one row per planned combination, in plan order.

    `time_budget_pct`: the slowdown against the baseline within which the power caps' note picks the
    lowest-energy cap (greentui.report.power_caps)."""
    from greentui.report.attribution import contended_note
    from greentui.report.power_caps import cap_notes
    from greentui.report.pruning import pruning_facts, pruning_notes
    from greentui.report.tables import measurement_note
    from greentui.sweep.plan import BASELINE
    from greentui.sweep.queue import load_sweep

    sweep = load_sweep(store, sweep_or_id) if isinstance(sweep_or_id, str) else sweep_or_id
    records = [r for r in store.all() if r.sweep.get("id") == sweep.id]
    rows, role_of = _grouped(records, lambda r: str(r.sweep.get("role", "?")), BASELINE, include_contended, predictions)
    order = list(dict.fromkeys(e.role for e in sweep.entries))
    rows.sort(key=lambda row: order.index(row.role) if row.role in order else len(order))
    completed = sum(1 for r in records if r.status == "completed")  # contended ones too: their note says they are out
    left_out = len(records) - completed
    pruned = sum(1 for r in records if r.status == "pruned")
    base = sweep.baseline
    notes = [f"Plan {sweep.plan}, {sweep.repeats} repeat(s), techniques {sweep.techniques_text()}; baseline "
             f"{base.model} on {base.dataset}, {base.epochs:g} epochs, batch {base.batch_size}, "
             f"lr {base.learning_rate:g}.",
             f"{completed} completed run(s) of {len(sweep.entries)} planned"
             + (f"; {left_out} not completed (left out{f', {pruned} of them pruned' if pruned else ''})"
                if left_out else "") + "."]
    notes += filter(None, [contended_note(records, include_contended), measurement_note(records)])
    notes += pruning_notes(pruning_facts(records))
    notes += cap_notes(rows, time_budget_pct)
    return Selection(f"Sweep {sweep.id}", notes, rows, records, role_of, f"sweep {sweep.id}")


def runs_selection(store: RunStore, run_ids: Sequence[str], baseline_id: str, include_contended: bool = False,
                   predictions: float = DEFAULT_LIFETIME_PREDICTIONS) -> Selection:
    """Any runs, grouped by technique tags, the baseline run's group first."""
    from greentui.sweep.plan import SweepError

    records = []
    for run_id in dict.fromkeys([baseline_id, *run_ids]):
        record = store.get(run_id)
        if record is None:
            raise SweepError(f"no run {run_id!r} in {store.path}")
        records.append(record)
    return _against(records, records[0], f"{len(records)} runs against {records[0].id}", "runs", include_contended,
                    predictions)


def where_selection(store: RunStore, query: str, baseline_id: str | None = None, include_contended: bool = False,
                    predictions: float = DEFAULT_LIFETIME_PREDICTIONS) -> Selection:
    """The runs the history's filter `query` matches (`tech:lora status:completed`), against `baseline_id`
    or else the oldest completed run without techniques among them."""
    from greentui.store.query import QueryError, compile_query
    from greentui.sweep.plan import SweepError

    try:
        test = compile_query(query)
    except QueryError as err:
        raise SweepError(f"--where: {err}") from None
    records = [r for r in store.all() if test(r)]
    if not records:
        raise SweepError(f"--where {query!r}: no run of {store.path} matches")
    if baseline_id is not None:
        baseline = store.get(baseline_id)
        if baseline is None:
            raise SweepError(f"--baseline {baseline_id!r}: no such run in {store.path}")
        records = [baseline, *(r for r in records if r.id != baseline.id)]
    else:
        plain = sorted((r for r in records if r.status == "completed" and not r.techniques()), key=lambda r: r.created_at)
        if not plain:
            raise SweepError(f"--where {query!r}: none of the {len(records)} matching runs is a completed run "
                             "without techniques; name the baseline with --baseline RUN_ID")
        baseline = plain[0]
    return _against(records, baseline, f"{len(records)} runs matching '{query}'", f"filter '{query}'",
                    include_contended, predictions)


def _against(records: list[RunRecord], baseline: RunRecord, title: str, plan: str, include_contended: bool,
             predictions: float) -> Selection:
    """Runs grouped by technique tags (and model, where they differ from the baseline's) against one run."""
    from greentui.report.attribution import contended_note
    from greentui.report.tables import measurement_note
    from greentui.sweep.plan import BASELINE

    base_tags, base_model = baseline.techniques(), baseline.config.get("model")

    def role(record: RunRecord) -> str:
        # Runs with the baseline's techniques and model are its repeats; the others are named by their tags.
        tags, model = record.techniques(), record.config.get("model")
        if tags == base_tags and model == base_model:
            return BASELINE
        name = " ".join(tags) or NO_TECHNIQUE
        return name if model == base_model else f"{model}: {name}"

    rows, role_of = _grouped(records, role, BASELINE, include_contended, predictions)
    notes = [f"Grouped by technique tags; baseline: {baseline.name} ({' '.join(base_tags) or 'no technique'})."]
    notes += filter(None, [contended_note(records, include_contended), measurement_note(records)])
    return Selection(title, notes, rows, records, role_of, plan)
