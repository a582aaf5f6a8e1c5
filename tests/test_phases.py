"""A run's phases: each one's time and energy, adding up to the run's; one final evaluation; the idle baseline."""

from __future__ import annotations

from pathlib import Path

import pytest

from greentui.events.log import EVENTS_FILE, EventWriter, read_all
from greentui.events.reducer import fold
from greentui.events.schema import EvalEvent, PhaseEvent, StatusEvent
from greentui.store.run_store import RunStore
from greentui.tui.models.live import LiveState
from greentui.tui.widgets.status_strip import strip_text
from greentui.worker.phases import PhaseClock
from tests.support import greentui


def test_phases_add_up_to_the_final_reading_and_nested_phases_return(tmp_path: Path) -> None:
    readings = iter([None, (1.0, 0.5), (3.0, 1.5), (2.9, 1.4), (6.0, 3.0)])  # one reading runs back: clamped
    events = EventWriter(tmp_path / EVENTS_FILE)
    clock = PhaseClock(events, lambda: next(readings))
    clock.enter("load")                 # None: measurement starts at zero
    clock.enter("train")                # load: 1.0 kWh
    with clock.within("eval"):          # train: 2.0
        pass                            # eval: 0 (the reading ran back to 2.9, read as 3.0)
    phases = clock.close((10.0, 5.0))   # train again: 7.0, up to the final totals
    events.close()
    assert phases["load"]["energy_kwh"] == pytest.approx(1.0)
    assert phases["eval"]["energy_kwh"] == pytest.approx(0.0)
    assert phases["train"]["energy_kwh"] == pytest.approx(9.0)
    assert sum(p["energy_kwh"] for p in phases.values()) == pytest.approx(10.0)
    assert sum(p["emissions_kg"] for p in phases.values()) == pytest.approx(5.0)
    marks = [e.phase for e in read_all(tmp_path / EVENTS_FILE) if isinstance(e, PhaseEvent)]
    assert marks == ["load", "train", "eval", "train"]


def test_phase_progress_reads_as_words(tmp_path: Path) -> None:
    events = [PhaseEvent(t=1.0, phase="load"), PhaseEvent(t=2.0, phase="load", detail="tokenising", done=3000,
                                                                total=5000, unit="rows")]
    assert fold([PhaseEvent(t=1.0, phase="load")]).activity == "loading…"
    assert fold(events).activity == "tokenising 3,000/5,000 rows"
    waiting = PhaseEvent(t=1.0, phase="waiting", detail="waiting for GPU 0 (held by pid 812)")
    assert fold([waiting]).activity == "waiting for GPU 0 (held by pid 812)"
    evaluating = [*events, PhaseEvent(t=3.0, phase="eval", detail="evaluating", done=12, total=32, unit="batches")]
    assert fold(evaluating).phase == "evaluating" and fold(evaluating).activity == "evaluating 12/32 batches"


def test_the_live_strip_says_what_a_waiting_run_waits_for() -> None:
    state = LiveState()
    state.feed([StatusEvent(t=1.0, status="running"),
                PhaseEvent(t=2.0, phase="waiting", detail="waiting for GPU 0 (held by pid 812)\x1b[2J")])
    text = strip_text(state.snapshot()).plain
    assert "waiting for GPU 0 (held by pid 812)\\x1b[2J" in text  # shown, its control code escaped
    assert "ETA –" in text  # no training ETA while waiting


@pytest.mark.slow
def test_a_run_records_its_phases_one_final_evaluation_and_its_idle_baseline(store_path: Path) -> None:
    # Early stopping keeps checkpoints (a save phase) and loads the best back: its evaluation is the
    # result, so nothing is evaluated again at the end.
    result = greentui("run", "--preset", "tiny", "--set", "train_samples=800", "--set", "epochs=2",
                      "--set", "evals_per_epoch=2", "--set", "early_stopping_patience=3",
                      "--set", "idle_baseline_s=2", store=store_path)
    assert result.returncode == 0, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    metrics, phases = record.metrics, record.phases
    assert set(phases) == {"load", "train", "eval", "save", "inference"}  # inference_samples defaults to 1000
    assert sum(p["energy_kwh"] for p in phases.values()) == pytest.approx(metrics["energy_kwh"], rel=0.01)
    assert sum(p["emissions_kg"] for p in phases.values()) == pytest.approx(metrics["emissions_kg"], rel=0.01)
    assert sum(p["duration_s"] for p in phases.values()) == pytest.approx(metrics["measured_s"], rel=0.01)
    assert all(p["duration_s"] > 0 and p["energy_kwh"] >= 0 for p in phases.values())

    events = read_all(store_path.parent / record.run_dir / EVENTS_FILE)
    evals = [e for e in events if isinstance(e, EvalEvent)]
    finals = [e for e in evals if e.final]
    assert len(finals) == 1 and finals[0].accuracy == pytest.approx(metrics["accuracy"])
    assert len({e.step for e in evals}) == 4  # two per epoch for two epochs: no evaluation after training
    assert metrics["evaluated_at_step"] == finals[0].step
    order = [e.phase for e in events if isinstance(e, PhaseEvent) and e.done is None]
    assert order[:3] == ["idle", "load", "train"] and "eval" in order and "save" in order
    assert any(e.detail == "tokenising" and e.done for e in events if isinstance(e, PhaseEvent))
    assert any(e.unit == "batches" for e in events if isinstance(e, PhaseEvent))

    baseline = record.measurement["idle_baseline"]
    assert baseline["seconds"] >= 2 and baseline["power_w"] == pytest.approx(metrics["idle_power_w"], rel=0.01)
    expected = metrics["energy_kwh"] - metrics["idle_power_w"] * metrics["measured_s"] / 3.6e6
    assert metrics["energy_above_idle_kwh"] == pytest.approx(expected, rel=0.02)
    assert metrics["energy_above_idle_kwh"] < metrics["energy_kwh"]
