"""Energy and CO2 budgets: checked keys, a real run stopped by its budget, the projection shown live."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentui.config import ConfigError, RunConfig
from greentui.events import read_all
from greentui.store import RunStore
from greentui.tui.live_state import LiveState
from greentui.tui.widgets.status_strip import strip_text
from tests.conftest import greentui


def test_budget_keys_are_checked_like_any_other() -> None:
    assert RunConfig().with_values(energy_budget_kwh="0.5").energy_budget_kwh == 0.5
    with pytest.raises(ConfigError, match="'co2_budget_kg'"):
        RunConfig().with_values(co2_budget_kg=-1)
    with pytest.raises(ConfigError, match="'energy_budget_kwh'"):
        RunConfig().with_values(energy_budget_kwh="lots")


def test_a_run_over_its_energy_budget_stops_with_the_reason(store_path: Path) -> None:
    result = greentui("run", "--preset", "tiny", "--set", "train_samples=2000", "--set", "energy_budget_kwh=0.00004",
                      store=store_path)
    assert result.returncode == 1, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    assert record.status == "stopped"
    assert record.error.startswith("energy budget 4e-05 kWh exceeded: ")
    assert record.metrics["steps"] < record.metrics["total_steps"] / 2
    stopped_at = int(record.error.rsplit("at step ", 1)[1].split("/")[0])
    assert record.metrics["steps"] == stopped_at  # training ended at the step the budget was found spent
    assert "energy budget 4e-05 kWh exceeded" in result.stdout  # the progress output and the summary say so
    events = read_all(store_path.parent / record.run_dir / "events.jsonl")
    budget = [e["state"] for e in events if e["type"] == "budget"]
    assert budget[-1] == "exceeded" and budget.count("exceeded") == 1


def test_the_live_strip_shows_the_projection_while_running_and_the_budget_note() -> None:
    state = LiveState()
    state.feed([{"type": "info", "t": 0.0, "message": "training started", "total_steps": 100},
                {"type": "projection", "t": 5.0, "step": 10, "total_steps": 100, "duration_s": 52.0,
                 "energy_kwh": 0.0004, "emissions_kg": 0.00019},
                {"type": "budget", "t": 5.0, "state": "warning",
                 "message": "energy budget 0.0003 kWh will be exceeded: projected 0.0004 kWh at the rate so far"}])
    text = strip_text(state.snapshot()).plain
    assert "projected at the end: 0.000400 kWh · CO2 0.190 g · 52 s of training" in text
    assert "will be exceeded" in text
    state.feed([{"type": "status", "t": 9.0, "status": "completed"}])
    assert "projected at the end" not in strip_text(state.snapshot()).plain  # a finished run has its real figures
