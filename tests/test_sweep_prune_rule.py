"""The pruning rule on its own (greentui.sweep.prune_rule): which run a config dominates with margin, and when.

Pure: a run's progress is folded from the same typed events a worker writes, so these cases are the
rule's arithmetic, checked by hand; tests/test_sweep_prune.py runs it on a real sweep.
"""

from __future__ import annotations

import pytest

from greentui.events.schema import EvalEvent, InfoEvent, ProjectionEvent, StepEvent
from greentui.sweep.prune_rule import RunProgress, judge


def progress(total: int, evals: list[tuple[int, float]], projections: list[tuple[int, float]],
             eval_samples: int = 200) -> RunProgress:
    """A run's progress from its events: setup, evaluations and projections, in the order a worker writes them."""
    events = [InfoEvent(t=1.0, message="setup done", total_steps=total, eval_samples=eval_samples)]
    for step, kwh in projections:
        events.append(ProjectionEvent(t=2.0, step=step, total_steps=total, duration_s=10.0, energy_kwh=kwh,
                                      emissions_kg=kwh / 2))
    events += [EvalEvent(t=3.0, step=step, accuracy=acc) for step, acc in evals]
    events.sort(key=lambda e: (getattr(e, "step", 0), isinstance(e, ProjectionEvent)))
    return RunProgress().with_events(events)


BASELINE = progress(20, [(5, 0.67), (10, 0.755), (15, 0.75), (20, 0.76)], [(6, 0.0004), (19, 0.0004)])


def test_a_run_that_learns_nothing_at_the_same_energy_is_dominated_at_its_first_rung() -> None:
    stuck = progress(20, [(5, 0.565)], [(6, 0.00041)])
    verdict = judge(stuck, 0.25, [], {"baseline": [BASELINE]})
    assert verdict is not None and verdict.by == "baseline" and (verdict.step, verdict.total_steps) == (5, 20)
    assert verdict.projected_kwh == pytest.approx(0.00041)
    # 2 × √(0.67·0.33/200 + 0.565·0.435/200) = 0.097: the 0.105 gap is clear; +2 % energy is within 25 %.
    assert verdict.reason == ("at step 5/20 (the 25 % rung), dominated by baseline (1 run(s)): accuracy 0.565 vs "
                              "0.670 by 25 % of the steps (-0.105, margin 0.097); projected energy 0.000410 vs "
                              "0.000400 kWh (+2 %, margin 25 %)")


def test_a_clearly_cheaper_run_is_kept_however_much_less_accurate() -> None:
    cheap = progress(20, [(5, 0.5)], [(6, 0.00029)])  # 28 % less energy: a trade-off the table must show
    assert judge(cheap, 0.25, [], {"baseline": [BASELINE]}) is None


def test_a_run_that_costs_far_more_for_no_clear_gain_is_dominated_at_the_same_fraction_of_its_steps() -> None:
    longer = progress(80, [(10, 0.6), (20, 0.7)], [(21, 0.0011)])  # 4x the steps: 25 % is step 20, not 5
    verdict = judge(longer, 0.25, [], {"baseline": [BASELINE]})
    assert verdict is not None and verdict.step == 20 and "accuracy 0.700 vs 0.670" in verdict.reason
    assert "(+175 %, margin 25 %)" in verdict.reason
    better = progress(80, [(20, 0.8)], [(21, 0.0011)])  # clearly more accurate: worth its energy
    assert judge(better, 0.25, [], {"baseline": [BASELINE]}) is None


def test_nothing_is_judged_before_the_rung_or_without_steps_left_to_save() -> None:
    early = progress(20, [(4, 0.5)], [(5, 0.0004)])
    assert judge(early, 0.25, [], {"baseline": [BASELINE]}) is None  # no evaluation at 25 % yet
    no_projection_after = progress(20, [(5, 0.5)], [(5, 0.0004)])
    assert judge(no_projection_after, 0.25, [], {"baseline": [BASELINE]}) is None
    at_the_end = progress(5, [(2, 0.5), (4, 0.5)], [(5, 0.0004)])  # its only projection is at its last step
    assert judge(at_the_end, 0.25, [], {"baseline": [BASELINE]}) is None
    at_half = progress(20, [(10, 0.7)], [(11, 0.0004)])  # its first evaluation past 25 % is at 50 %
    assert judge(at_half, 0.25, [], {"late": [progress(20, [(15, 0.9)], [(19, 0.0004)])]}) is None  # none by 50 %


def test_the_spread_of_repeats_widens_the_margin() -> None:
    stuck = progress(20, [(5, 0.6)], [(6, 0.0004)])
    assert judge(stuck, 0.25, [], {"baseline": [BASELINE]}) is None  # 0.07 < the 0.097 of two evaluations
    steady = [progress(20, [(5, acc)], [(19, 0.0004)]) for acc in (0.74, 0.75, 0.76)]
    assert judge(stuck, 0.25, [], {"baseline": steady}) is not None  # three repeats: a smaller standard error
    scattered = [progress(20, [(5, acc)], [(19, 0.0004)]) for acc in (0.55, 0.75, 0.95)]
    assert judge(stuck, 0.25, [], {"baseline": scattered}) is None  # 2 × sd = 0.4


def test_the_run_s_best_evaluation_so_far_is_what_counts() -> None:
    dipped = progress(40, [(5, 0.7), (10, 0.56)], [(11, 0.0004)])
    assert judge(dipped, 0.25, [], {"baseline": [BASELINE]}) is None  # 0.7 at step 5 still stands for it


def test_progress_reads_total_steps_from_any_event_and_ignores_evaluations_without_accuracy() -> None:
    folded = RunProgress().with_events([StepEvent(t=1.0, step=1, total_steps=30), EvalEvent(t=2.0, step=3)])
    assert (folded.total_steps, folded.evals, folded.final_energy) == (30, (), None)
    assert folded.best_accuracy(1.0) is None and folded.rung_point(0.25) is None
