"""Reproducing a study: which runs to make again, and whether the new changes agree with the study's.

What is compared is each row's *change against its baseline* (energy and time in %, accuracy in
points), never absolute energy: another machine, or the same one on another day, runs everything
faster or slower, and the ratios are what a study claims. A row agrees when, for each figure,

    |new change − study change| ≤ max(2 · √(spread_study² + spread_new²), floor)

where a change's spread is √(sd_baseline² + sd_row²) (as a % of the baseline's mean for energy and
time), and the floor is 10 percentage points for energy and time and 1 point of accuracy. The floor
is the drift between identical trainings minutes apart on a shared 2-core VM, which repeats run
back to back cannot see: repeating a run moves its time by about 10 %, and pruning, whose training
is the baseline's, came out −6.9 % in the issue-17 sweep (README, "Reference runs"). Drift larger
than that is reported as a difference, as it should be: the figures did not hold. Without a spread
on a side (one run), the floor alone judges, and the verdict says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import sqrt
from pathlib import Path
from typing import Callable, Sequence

from greentui.config import RunConfig
from greentui.report.attribution import Attribution, Stat
from greentui.report.errors import ReportError
from greentui.report.study import JUDGED, Figure, Study, StudyRun
from greentui.store.record import RunRecord
from greentui.sweep.plan import PlannedRun

FLOORS = {"energy": 10.0, "time": 10.0, "accuracy": 1.0}
AGREES, DIFFERS, NOT_COMPARABLE = "agrees", "differs", "not comparable"


@dataclass(frozen=True)
class ReproductionPlan:
    """The baseline config, the runs to make (rows as roles), and the rows left out with the reason."""

    baseline: RunConfig
    runs: list[PlannedRun]
    skipped: dict[str, str]
    rows: list[str]  # the rows reproduced or skipped, baseline first, in the study's order


def plan_reproduction(study: Study, repeats: int | None = None, only: Sequence[str] = (),
                      loadable: Callable[[RunConfig], object] | None = None) -> ReproductionPlan:
    """The runs that reproduce `study`: each compared run's own config and seed, or with `repeats` the row's
    first config on seeds seed, seed+1, …; `only` keeps those rows (and the baseline). `loadable(config)`
    raises where a config's model or data cannot be loaded here (greentui.preflight.check_loadable)."""
    names = list(study.rows)
    unknown = [row for row in only if row not in study.rows]
    if unknown:
        raise ReportError(f"--only {unknown[0]!r}: the study {study.path} has rows {', '.join(map(repr, names))}")
    rows = [names[0], *(row for row in names[1:] if not only or row in only)]
    runnable: dict[str, list[RunConfig]] = {}
    skipped: dict[str, str] = {}
    for row in rows:
        runs = study.runs_of(row)
        configs = [r.config for r in runs if r.config is not None]
        why = _unrunnable(runs, configs, loadable)
        if why:
            skipped[row] = why
        else:
            runnable[row] = configs
    if names[0] in skipped:
        raise ReportError(f"study file {study.path}: its baseline cannot be reproduced: {skipped[names[0]]}")
    baseline = runnable[names[0]][0]
    planned = []
    for row, configs in runnable.items():
        chosen = configs if repeats is None else [configs[0].with_values(seed=configs[0].seed + k) for k in range(repeats)]
        for repeat, config in enumerate(chosen):
            planned.append(PlannedRun(row, _changes(baseline, config), repeat))
    return ReproductionPlan(baseline, planned, skipped, rows)


def _unrunnable(runs: list[StudyRun], configs: list[RunConfig], loadable: Callable[[RunConfig], object] | None) -> str | None:
    if not runs:
        return "the study compared no run in this row"
    if not configs:
        return next((r.problem for r in runs if r.problem), "no run of this row has a config")
    if loadable is not None:
        try:
            loadable(configs[0])
        except Exception as err:  # noqa: BLE001 - PreflightError and whatever a loader says: the reason is shown
            return f"cannot be loaded here: {err}"
    return None


def _changes(baseline: RunConfig, config: RunConfig) -> dict[str, object]:
    """The keys where `config` differs from the baseline's (the seed among them)."""
    base = baseline.to_dict()
    return {k: v for k, v in config.to_dict().items() if v != base[k]}


@dataclass(frozen=True)
class Judged:
    """One figure of one row: the study's change, the new one, the tolerance and whether they agree."""

    study: float | None
    new: float | None
    tolerance: float | None
    agrees: bool | None  # None: a side has no change to compare
    floor_only: bool = False


@dataclass(frozen=True)
class Verdict:
    """A row's verdict and why, with each judged figure."""

    row: str
    verdict: str
    reason: str
    figures: dict[str, Judged]


def _spread_of_change(base: Stat | None, row: Stat | None, percent: bool) -> float | None:
    """The spread of a change, √(sd_b² + sd_r²): as a % of the baseline's mean for energy and time, in points for accuracy."""
    if base is None or row is None or base.spread is None or row.spread is None or not base.mean:
        return None
    combined = sqrt(base.spread ** 2 + row.spread ** 2)
    return 100 * combined / abs(base.mean) if percent else 100 * combined


def _stat(figure: Figure) -> Stat | None:
    return None if figure.mean is None else Stat(figure.mean, figure.sd, figure.n)


def _judge(name: str, study_base: Figure, study_row: Figure, new_base: Stat | None, new_row: Attribution) -> Judged:
    percent = name != "accuracy"
    points = new_row.change[name]
    study_change = study_row.change_pct if percent else (None if study_row.change is None else 100 * study_row.change)
    new_change = new_row.change_pct[name] if percent else (None if points is None else 100 * points)
    if study_change is None or new_change is None:
        return Judged(study_change, new_change, None, None)
    old_spread = _spread_of_change(_stat(study_base), _stat(study_row), percent)
    new_spread = _spread_of_change(new_base, new_row.stats[name], percent)
    if old_spread is None or new_spread is None:
        tolerance, floor_only = FLOORS[name], True
    else:
        tolerance, floor_only = max(2 * sqrt(old_spread ** 2 + new_spread ** 2), FLOORS[name]), False
    return Judged(study_change, new_change, tolerance, abs(new_change - study_change) <= tolerance, floor_only)


def _setup(hardware: dict, measurement: dict) -> tuple[str, str]:
    gpus = hardware.get("gpus")
    machine = f"{hardware.get('cpu_model', '?')} ×{hardware.get('cpu_count', '?')}, " + (
        ", ".join(map(str, gpus)) if isinstance(gpus, list) and gpus else "no GPU")
    method = f"{measurement.get('method', '?')} (CPU: {measurement.get('cpu', '?')})"
    return machine, method


def verdicts(study: Study, plan: ReproductionPlan, rows: Sequence[Attribution], records: Sequence[RunRecord]) -> list[Verdict]:
    """Each row of the study against the reproduction's rows (`rows`, from its runs `records`)."""
    new = {row.role: row for row in rows}
    base_name = plan.rows[0]
    study_base = study.rows[base_name]
    new_base = new.get(base_name)
    old_setups = {_setup(r.hardware, r.measurement) for r in study.runs if r.row is not None}
    new_setups = {_setup(dict(r.hardware), dict(r.measurement)) for r in records if r.status == "completed"}
    notes = []
    if {m for m, _ in old_setups} != {m for m, _ in new_setups}:
        notes.append(f"other hardware ({'; '.join(sorted(m for m, _ in old_setups))} → "
                     f"{'; '.join(sorted(m for m, _ in new_setups))}): changes compared, not absolute figures")
    if {m for _, m in old_setups} != {m for _, m in new_setups}:
        notes.append("another measurement method: ratios only")
    out = []
    for row in plan.rows[1:]:
        if row in plan.skipped:
            out.append(Verdict(row, NOT_COMPARABLE, plan.skipped[row], {}))
            continue
        if new_base is None or row not in new:
            missing = base_name if new_base is None else row
            out.append(Verdict(row, NOT_COMPARABLE, f"no completed, uncontended run of {missing} in the reproduction", {}))
            continue
        judged = {name: _judge(name, study_base[name], study.rows[row][name], new_base.stats[name], new[row])
                  for name in JUDGED}
        off = [name for name, j in judged.items() if j.agrees is False]
        unjudged = [name for name, j in judged.items() if j.agrees is None]
        reasons = list(notes)
        if any(j.floor_only for j in judged.values()):
            reasons.append("one run on a side: judged by the floor alone")
        if unjudged:
            reasons.append(f"no change to compare for {', '.join(unjudged)}")
        verdict = DIFFERS if off else AGREES if not unjudged else NOT_COMPARABLE
        if off:
            reasons.insert(0, f"{', '.join(off)} outside the tolerance")
        out.append(Verdict(row, verdict, "; ".join(reasons), judged))
    return out


def _cell(judged: Judged | None, unit: str) -> str:
    if judged is None or judged.study is None or judged.new is None:
        return "–"
    return f"{judged.study:+.1f} → {judged.new:+.1f} {unit} (±{judged.tolerance:.1f})"


def verdict_table(study_path: Path, verdicts_: Sequence[Verdict], sweep_id: str) -> str:
    """The verdict table in Markdown, with what it compares and how it judges."""
    lines = [f"# Reproduction of {study_path.name} (sweep {sweep_id})", "",
             "Each row's change against the baseline, study → here (tolerance); ratios, not absolute energy.", "",
             "| techniques | Δ energy | Δ time | Δ accuracy | verdict | why |", "|---|---|---|---|---|---|"]
    for v in verdicts_:
        lines.append(f"| {v.row} | {_cell(v.figures.get('energy'), '%')} | {_cell(v.figures.get('time'), '%')} | "
                     f"{_cell(v.figures.get('accuracy'), 'pt')} | {v.verdict} | {v.reason or '–'} |")
    lines += ["", "Tolerance: max(2 × the combined spread of the two changes, 10 points for energy and time "
              "(the drift between identical runs on a shared machine), 1 point of accuracy)."]
    return "\n".join(lines) + "\n"
