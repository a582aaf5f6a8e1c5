"""The one reducer of events: a fixed stream folded, incrementally and at once; the power, ETA and
J/sample definitions every reader shares; reconcile building a dead run's record from it."""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import signal
import subprocess

import pytest
from textual.widgets import DataTable

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.reducer import EVALUATING, FINISHED, LOADING, TRAINING, RunReducer, fold
from greentui.events.schema import InfoEvent, PowerEvent, ProjectionEvent, StatusEvent, StepEvent, SummaryEvent
from greentui.metrics.curves import curves_from_events
from greentui.metrics.derived import derived_metrics
from greentui.metrics.registry import metric
from greentui.projection import training_end
from greentui.runs.process import pid_alive
from greentui.runs.reconcile import reconcile
from greentui.store.run_store import RunStore
from greentui.tui.app import create_app
from greentui.tui.models.live import LiveState
from greentui.tui.screens.history import HistoryScreen
from tests.support import (  # noqa: F401 - isolated_env: autouse fixture
    SIZE,
    T0,
    fixture_events,
    fixture_record,
    greentui,
    isolated_env,
    make_store,
    press_to,
    wait_until,
    wait_until_pilot,
)


def test_a_fixed_stream_folds_to_its_figures() -> None:
    events = fixture_events(steps=40, seconds=60)
    run = fold(events)
    last_energy = [e for e in events if e["type"] == "energy"][-1]
    assert (run.status, run.phase, run.final_status) == ("completed", FINISHED, "completed")
    assert (run.step, run.total_steps, run.samples, run.accuracy) == (40, 40, 40 * 32, 0.842)
    assert run.energy_kwh == last_energy["energy_kwh"] and run.emissions_kg == last_energy["emissions_kg"]
    assert run.energy_parts["ram_energy_kwh"] == last_energy["ram_energy_kwh"]
    assert run.elapsed_s == 61.0
    assert run.training_s == pytest.approx(50.0)  # "training started" at T0 + 5.2 to the last step
    assert run.eta_s is None  # finished
    assert [len(run.curves[name]) for name in ("train_loss", "eval_loss", "eval_accuracy", "power_w", "energy_kwh")] \
        == [40, 2, 2, 60, 30]
    assert run.curves["eval_accuracy"] == ((20, 0.78), (40, 0.842))
    first_power = next(e for e in events if e["type"] == "power")
    assert run.curves["power_w"][0] == (1.0, pytest.approx(first_power["cpu_w"] + 20.0))
    assert set(run.power_series) == {"CPU (CodeCarbon)", "RAM (CodeCarbon)"} and not run.gpu_measured
    metrics = run.metrics()
    assert metrics["steps"] == 40 and metrics["samples_trained"] == 1280 and metrics["duration_s"] == run.training_s
    assert metrics["avg_ram_power_w"] == metrics["peak_ram_power_w"] == 20.0


def test_folding_in_pieces_gives_what_folding_at_once_does() -> None:
    events = fixture_events(steps=30, seconds=50)
    reducer = RunReducer()
    earlier = []
    for start in range(0, len(events), 7):
        reducer.feed(events[start:start + 7])
        earlier.append(reducer.snapshot())
    assert reducer.snapshot() == fold(events)
    assert reducer.snapshot() is reducer.snapshot()  # nothing new: the same frozen snapshot
    assert len(earlier[0].curves["power_w"]) < len(earlier[-1].curves["power_w"])  # old snapshots stay as they were
    with pytest.raises(dataclasses.FrozenInstanceError):
        earlier[0].step = 3  # type: ignore[misc]


def test_phases_follow_the_status_and_info_events() -> None:
    reducer = RunReducer()
    assert reducer.snapshot().phase == LOADING
    stream = [StatusEvent(t=0.0, status="running"), InfoEvent(t=1.0, message="setup done", total_steps=8),
              InfoEvent(t=2.0, message="training started", phase="training", total_steps=8),
              StepEvent(t=3.0, step=8, total_steps=8, loss=0.4, samples=128),
              InfoEvent(t=4.0, message="final evaluation", phase="evaluating"),
              StatusEvent(t=5.0, status="stopped", reason="asked to")]
    phases = []
    for event in stream:
        reducer.feed([event])
        phases.append(reducer.snapshot().phase)
    assert phases == [LOADING, LOADING, TRAINING, TRAINING, EVALUATING, FINISHED]
    assert reducer.snapshot().reason == "asked to"
    # Version 1 lines had no phase: the "training started" message marks it.
    assert fold([{"type": "info", "t": 1.0, "message": "training started"}]).phase == TRAINING


def test_peak_power_has_one_definition_over_the_power_events() -> None:
    events = [PowerEvent(t=float(i), gpu_w=(100.0 + i, 50.0 + 2 * i), cpu_w=10.0, ram_w=5.0) for i in range(10)]
    events.insert(5, PowerEvent(t=4.5, cpu_w=11.0, ram_w=5.0))  # a second NVML had no sample for
    run = fold(events)
    totals = [e.total_w() for e in events]
    assert totals[5] == 16.0 and totals[0] == 150.0  # GPUs where measured, else CPU + RAM
    assert run.power["total"].peak_w == max(totals) == 100.0 + 9 + 50.0 + 18
    assert run.power["total"].average_w == pytest.approx(sum(totals) / len(totals))
    assert run.metrics()["peak_gpu_power_w"] == max(sum(e.gpu_w) for e in events if e.gpu_w)
    state = LiveState()
    state.feed(events)
    assert state.snapshot().peak_w == run.power["total"].peak_w and state.snapshot().method == "NVML (GPU power)"
    assert len(state.snapshot().power["GPU 0"]) == 10 and len(state.snapshot().power["CPU (CodeCarbon)"]) == 1
    assert curves_from_events(events)["power_w"][-1] == (9.0, 177.0)  # stored as the live view shows it


def test_live_figures_come_from_the_derived_metrics() -> None:
    state = LiveState()
    state.feed(fixture_events(steps=40, seconds=60))
    snap = state.snapshot()
    derived = derived_metrics(fold(fixture_events(steps=40, seconds=60)).metrics())
    assert snap.joules_per_sample == derived["joules_per_sample"]
    assert snap.samples_per_s == derived["samples_per_s"] == pytest.approx(1280 / 50.0)


def test_the_eta_is_the_projection_where_there_is_one_and_the_same_rate_otherwise() -> None:
    start = [StatusEvent(t=T0, status="running"), InfoEvent(t=T0 + 4, message="training started", phase="training")]
    steps = [StepEvent(t=T0 + 4 + 2 * s, step=s, total_steps=100, loss=0.5, samples=16 * s) for s in range(1, 11)]
    run = fold([*start, *steps])
    # Seconds per step since the first step seen (2 s), for the 90 steps left.
    assert run.eta_s == pytest.approx(training_end(1, T0 + 6, 10, T0 + 24, 100) - (T0 + 24)) == pytest.approx(180.0)
    projection = ProjectionEvent(t=T0 + 24.5, step=10, total_steps=100, duration_s=230.0, energy_kwh=1e-3,
                                 emissions_kg=5e-4)
    with_projection = fold([*start, *steps, projection])
    assert with_projection.eta_s == pytest.approx(T0 + 4 + 230.0 - (T0 + 24.5))
    state = LiveState()
    state.feed([*start, *steps, projection])
    assert state.snapshot().eta_s == with_projection.eta_s
    assert fold([*start, *steps[:3]]).eta_s is None  # under MIN_STEPS: too early for either


def test_one_time_model_the_eta_and_the_projected_end_agree_with_the_elapsed_time() -> None:
    """Elapsed, ETA and the projected end are on one clock: elapsed + ETA is the projected end, at every
    moment (a power event after the last step moves elapsed on and the ETA down), and the end counts the
    loading before training, as elapsed does."""
    start = [StatusEvent(t=T0, status="running"), InfoEvent(t=T0 + 4, message="training started", phase="training")]
    steps = [StepEvent(t=T0 + 4 + 2 * s, step=s, total_steps=100, loss=0.5, samples=16 * s) for s in range(1, 11)]
    projection = ProjectionEvent(t=T0 + 24.5, step=10, total_steps=100, duration_s=230.0, energy_kwh=1e-3,
                                 emissions_kg=5e-4)
    later = PowerEvent(t=T0 + 27, cpu_w=5.0, ram_w=2.0)
    for events in ([*start, *steps], [*start, *steps, projection], [*start, *steps, projection, later]):
        run = fold(events)
        assert run.training_end_s is not None and run.eta_s is not None
        assert run.elapsed_s + run.eta_s == pytest.approx(run.training_end_s)
    assert fold([*start, *steps, projection, later]).training_end_s == pytest.approx(4 + 230.0)
    assert fold([*start, *steps, projection, later]).eta_s == pytest.approx(4 + 230.0 - 27)
    over = fold([*start, *steps, projection, StatusEvent(t=T0 + 30, status="completed")])
    assert over.training_end_s is None and over.eta_s is None  # a finished run has measured times only


def test_the_summary_gives_final_figures_and_a_status_when_no_final_status_follows() -> None:
    events = fixture_events(steps=40, seconds=60, status="running")
    run = fold([*events, SummaryEvent(t=T0 + 62, status="completed", metrics={"steps": 41, "accuracy": 0.9,
                                                                              "energy_kwh": "lots"})])
    assert (run.status, run.final_status, run.phase) == ("running", "completed", FINISHED)
    assert run.step == 41 and run.accuracy == 0.9
    assert run.energy_kwh == [e for e in events if e["type"] == "energy"][-1]["energy_kwh"]  # text is no figure


def dead_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def test_reconcile_gives_a_crashed_run_the_reducers_metrics_and_their_derived_metrics(tmp_path) -> None:
    store = make_store(tmp_path, count=0)
    record = dataclasses.replace(fixture_record(0, store), status="running", pid=dead_pid(), metrics={},
                                 finished_at=None)
    events = fixture_events(steps=30, status="running")
    path = store.runs_root / record.id / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + '{"type": "step", "t": "torn\n')
    store.insert(record)
    assert reconcile(store) == [record.id]
    stored = store.get(record.id)
    run = fold(events)
    expected = {**run.metrics(), **derived_metrics(run.metrics())}
    assert stored.status == "crashed" and stored.metrics == expected
    assert stored.error.startswith("the worker process vanished") and "1 unreadable event lines" in stored.error
    for key in ("samples_per_s", "joules_per_sample", "ear_kwh", "samples_trained", "duration_s", "accuracy"):
        assert stored.metrics[key] is not None, key
    assert stored.metrics["accuracy"] == 0.842  # the last evaluation's (the fixture's second, at step 30)
    assert len(store.curves(stored)["train_loss"]) == 30


def test_reconcile_takes_a_final_status_and_summary_from_the_events(tmp_path) -> None:
    store = make_store(tmp_path, count=0)
    record = dataclasses.replace(fixture_record(1, store), status="running", pid=dead_pid(), metrics={},
                                 finished_at=None)
    events = fixture_events(steps=30, status="running")
    summary = {"type": "summary", "t": T0 + 61, "status": "stopped",
               "metrics": {"accuracy": 0.81, "duration_s": 40.0, "samples_trained": 960, "note": "text"},
               "measurement": {"method": "codecarbon-offline", "cpu": "RAPL"}}
    final = {"type": "status", "t": T0 + 62, "status": "stopped", "reason": "asked to"}
    (store.runs_root / record.id / "events.jsonl").write_text(
        "".join(json.dumps(e) + "\n" for e in [*events, summary, final]))
    store.insert(record)
    assert reconcile(store) == []  # not a crash: the worker finished and only the store write was lost
    stored = store.get(record.id)
    assert (stored.status, stored.error) == ("stopped", "asked to")
    assert stored.metrics["accuracy"] == 0.81 and stored.metrics["samples_per_s"] == 960 / 40.0
    assert "note" not in stored.metrics
    assert stored.measurement["method"] == "codecarbon-offline"  # not lost with the store write


DERIVED = ("samples_per_s", "joules_per_sample", "ear_kwh")


@pytest.mark.slow
async def test_a_killed_run_shows_the_same_derived_metrics_everywhere(store_path) -> None:
    """A real tiny run, SIGKILLed after its first evaluation: ls, show, the CSV export and the TUI's
    history all give it the same samples/s, J/sample and kWh per accuracy, none of them missing."""
    started = greentui("run", "--preset", "tiny", "--detach", "--set", "train_samples=320", "--set",
                       "eval_samples=100", "--set", "batch_size=32", "--set", "epochs=50", "--set",
                       "evals_per_epoch=2", store=store_path)
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split()[1]
    events_path = store_path.parent / "runs" / run_id / EVENTS_FILE

    def kinds() -> set[str]:
        return {e.kind for e in read_all(events_path)}

    wait_until(lambda: {"eval", "energy", "step"} <= kinds(), "an evaluation and an energy figure")
    pid = RunStore(store_path).get(run_id).pid
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), "the worker to die")

    listed = json.loads(greentui("ls", "--json", store=store_path).stdout)
    (ls_record,) = [r for r in listed if r["id"] == run_id]
    assert ls_record["status"] == "crashed"
    figures = {key: ls_record["metrics"].get(key) for key in DERIVED}
    assert None not in figures.values(), ls_record["metrics"]
    assert figures == derived_metrics(ls_record["metrics"])  # from the record's own energy, samples, time, accuracy

    shown = json.loads(greentui("show", run_id, "--json", store=store_path).stdout)
    assert {key: shown["metrics"][key] for key in DERIVED} == figures
    csv_path = store_path.parent / "crashed.csv"
    assert greentui("export", run_id, "-o", str(csv_path), store=store_path).returncode == 0
    with csv_path.open(newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert {key: float(row[f"metrics.{key}"]) for key in DERIVED} == figures

    app = create_app(store_path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        await press_to(pilot, "f3", HistoryScreen)
        await wait_until_pilot(pilot, lambda: "figures:" in str(app.screen.query_one("#detail").render()),
                               "the detail pane", timeout=120)
        detail = str(app.screen.query_one("#detail").render())
        for key, value in figures.items():
            assert metric(key).phrase(value) in detail, (key, detail)
        table = app.screen.query_one(DataTable)
        cells = dict(zip((str(c.label).rstrip(" ▲▼") for c in table.ordered_columns),
                         (str(cell) for cell in table.get_row_at(0)), strict=True))
        assert cells["status"] == "crashed" and cells["kWh"] == f"{ls_record['metrics']['energy_kwh']:.6f}", cells


def test_once_training_is_over_the_measured_time_replaces_the_projected_one() -> None:
    from greentui.tui.widgets.status_strip import strip_text

    start = [StatusEvent(t=T0, status="running"), InfoEvent(t=T0 + 4, message="training started", phase="training")]
    steps = [StepEvent(t=T0 + 4 + 2 * s, step=s, total_steps=10, loss=0.5, samples=16 * s) for s in range(1, 11)]
    projection = ProjectionEvent(t=T0 + 20.5, step=10, total_steps=10, duration_s=20.0, energy_kwh=1e-3,
                                 emissions_kg=5e-4)
    state = LiveState()
    state.feed([*start, *steps[:9], projection])
    assert "training ends at 24 s" in str(strip_text(state.snapshot()))
    state.feed([steps[9], InfoEvent(t=T0 + 25, message="final evaluation", phase="evaluating")])
    snap = state.snapshot()
    assert snap.eta_s is None and snap.training_end_s is None and snap.training_s == pytest.approx(20.0)
    text = str(strip_text(snap))
    assert "training took 20 s" in text and "ETA –" in text and "training ends" not in text
