"""Energy and CO2 budgets: checked keys, a real run stopped by its budget, the projection shown live."""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from pathlib import Path

import pytest

from greentui.config import ConfigError, RunConfig
from greentui.events.log import EventWriter, read_all
from greentui.store.run_store import RunStore
from greentui.tui.app import create_app
from greentui.tui.models.live import LiveState
from greentui.tui.screens.live import LiveScreen
from greentui.tui.widgets.status_strip import StatusStrip, strip_text
from tests.support import (  # noqa: F401
    fixture_events,
    fixture_record,
    greentui,
    isolated_env,
    make_store,
)
from tests.test_tui_live import wait_for

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes


def test_budget_keys_are_checked_like_any_other() -> None:
    assert RunConfig().energy_budget_kwh == 0.0 and RunConfig().co2_budget_kg == 0.0  # no budget by default
    assert RunConfig().with_values(energy_budget_kwh="0.5").energy_budget_kwh == 0.5
    with pytest.raises(ConfigError, match="'co2_budget_kg'.*outside the allowed range"):
        RunConfig().with_values(co2_budget_kg=-1)
    with pytest.raises(ConfigError, match="'energy_budget_kwh'.*not a number"):
        RunConfig().with_values(energy_budget_kwh="lots")


def test_the_guard_warns_once_from_the_projection_and_stops_on_the_measured_figure(tmp_path: Path) -> None:
    """The real Trainer callback on the Trainer's own state objects, fed energy figures as the
    telemetry would hand them: 0.0001 kWh a second, against a budget of 0.001 kWh."""
    from transformers import TrainerControl, TrainerState

    from greentui.worker.budget import BudgetGuard

    latest: dict[str, float] = {}
    guard = BudgetGuard(EventWriter(tmp_path / "events.jsonl"), lambda: latest or None, 0.001, 0.0)
    state, control = TrainerState(max_steps=100), TrainerControl()
    guard.on_train_begin(None, state, control)
    start = time.perf_counter()
    for step in range(1, 13):  # 12 steps of 0.25 s: the projection comes at 2 s of energy figures
        time.sleep(0.25)
        now = time.perf_counter()
        latest.update(energy_kwh=0.0001 * (now - start), emissions_kg=0.0, measured_at=now)
        state.global_step = step
        guard.on_step_end(None, state, control)
    assert guard.projector.latest.energy_kwh == pytest.approx(0.0001 * 25, rel=0.2)  # 100 steps of 0.25 s
    latest.update(energy_kwh=0.00102, measured_at=time.perf_counter())
    state.global_step = 13
    guard.on_step_end(None, state, control)
    assert control.should_training_stop and not control.should_evaluate
    assert guard.exceeded == "energy budget 0.001 kWh exceeded: 0.00102 kWh at step 13/100"
    budgets = [e for e in read_all(tmp_path / "events.jsonl") if e.kind == "budget"]
    assert [e.state for e in budgets] == ["warning", "exceeded"]  # warned once, stopped once
    assert budgets[0].message.startswith("energy budget 0.001 kWh will be exceeded: 0.00")


def test_a_budget_that_cannot_be_measured_says_so(tmp_path: Path) -> None:
    from transformers import TrainerControl, TrainerState

    from greentui.worker.budget import BudgetGuard

    guard = BudgetGuard(EventWriter(tmp_path / "events.jsonl"), lambda: None, 0.0, 0.5, measuring=False)
    guard.on_train_begin(None, TrainerState(max_steps=10), TrainerControl())
    (event,) = read_all(tmp_path / "events.jsonl")
    assert event.state == "unmeasured" and event.message.startswith("CO2 budget not enforced")


def test_a_run_over_its_energy_budget_stops_with_the_reason(store_path: Path) -> None:
    # 2,500 steps (over a minute of training here) against a budget of about 15 s of this machine's
    # CPU+RAM power: the budget, not the end of training, stops the run, and a few seconds into
    # training, past 3 % of the steps, the projection has warned of it.
    budget = 0.00012
    result = greentui("run", "--preset", "tiny", "--set", "train_samples=2000", "--set", "epochs=20",
                      "--set", f"energy_budget_kwh={budget}", store=store_path)
    assert result.returncode == 1, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    assert record.status == "stopped"
    found = re.fullmatch(r"energy budget 0.00012 kWh exceeded: ([0-9.e-]+) kWh at step (\d+)/2500", record.error)
    assert found, record.error
    measured, step = float(found[1]), int(found[2])
    assert measured > budget and step == record.metrics["steps"] < 2500 / 2
    assert record.metrics["energy_kwh"] < 1.5 * measured  # it stopped there, with no final evaluation
    assert f"energy budget {budget:g} kWh exceeded" in result.stdout  # the progress output and the summary say so
    events = read_all(store_path.parent / record.run_dir / "events.jsonl")
    budgets = [e for e in events if e.kind == "budget"]
    assert [e.state for e in budgets][-1] == "exceeded" and len(budgets) <= 2
    exceeded_at = events.index(budgets[-1])
    # No evaluation after the budget stop: at most the final result restated, the last evaluation's.
    after = [e for e in events[exceeded_at:] if e.kind == "eval"]
    earlier = [e for e in events[:exceeded_at] if e.kind == "eval"]
    assert all(e.final and earlier and e.step == earlier[-1].step for e in after) and len(after) <= 1
    assert record.metrics.get("evaluated_at_step") == (earlier[-1].step if earlier else None)
    if any(e.kind == "projection" for e in events[:exceeded_at]):  # training ran long enough to project
        warning = budgets[0]
        assert warning.state == "warning" and warning.projected > budget, budgets


def projection_events(t: float) -> list[dict]:
    """What the worker writes 10 % into a 100-step run with a small energy budget."""
    return [{"type": "projection", "t": t, "step": 10, "total_steps": 100, "duration_s": 52.0,
             "energy_kwh": 0.0004, "emissions_kg": 0.00019},
            {"type": "budget", "t": t, "state": "warning", "budget": "energy", "limit": 0.0003,
             "message": "energy budget 0.0003 kWh will be exceeded: 0.0004 kWh projected"}]


async def test_the_live_screen_shows_the_projection_and_the_budget_warning(tmp_path: Path) -> None:
    store = make_store(tmp_path, count=0)
    record = dataclasses.replace(fixture_record(0, store), status="running", pid=os.getpid(), metrics={},
                                 finished_at=None)  # this test process stands in for a live worker
    events = fixture_events(steps=30, status="running")
    path = store.runs_root / record.id / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in [*events, *projection_events(events[-1]["t"])]))
    store.insert(record)
    app = create_app(store.path)  # a running run opens its live view at start
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen.state.projected)
        screen = app.screen
        await wait_for(pilot, lambda: screen._drawn_version == screen.state.version)
        strip = screen.query_one("#strip", StatusStrip)
        lines = strip.plain.splitlines()
        # 52 s of training projected from its start at 5.2 s: on the elapsed clock of the first line.
        assert lines[4] == " projected at the end: 0.000400 kWh · CO2 190.0 mg · training ends at 57 s"
        assert lines[5] == " energy budget 0.0003 kWh will be exceeded: 0.0004 kWh projected"
        assert strip.size.height == 6  # every line shows, none is cut off by the strip's height
        with path.open("a") as handle:  # the run ends: its real figures replace the projection
            handle.write(json.dumps({"type": "status", "t": events[-1]["t"] + 1, "status": "completed"}) + "\n")
        await wait_for(pilot, lambda: "completed" in strip.plain)
        assert "projected" not in strip.plain


def test_a_budget_stop_is_said_once_on_the_strip() -> None:
    state = LiveState()
    reason = "energy budget 4e-05 kWh exceeded: 4.1e-05 kWh at step 30/500"
    state.feed([*projection_events(5.0), {"type": "budget", "t": 6.0, "state": "exceeded", "message": reason},
                {"type": "status", "t": 7.0, "status": "stopped", "reason": reason}])
    assert str(strip_text(state.snapshot())).count("budget 4e-05 kWh exceeded") == 1
