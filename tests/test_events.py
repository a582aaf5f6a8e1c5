"""The events file: lines appear as written; a reader picks up only complete new lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from greentui.events.log import EventTail, EventWriter, read_all
from greentui.events.schema import (
    EVENT_CLASSES,
    SCHEMA_VERSION,
    BudgetEvent,
    EnergyEvent,
    ErrorEvent,
    EvalEvent,
    HeartbeatEvent,
    InfoEvent,
    PhaseEvent,
    PowerEvent,
    ProjectionEvent,
    StatusEvent,
    StepEvent,
    SummaryEvent,
    encode,
    parse,
)
from greentui.metrics.curves import curves_from_events, downsample
from greentui.metrics.derived import derived_metrics


def test_tail_reads_incrementally_and_waits_for_whole_lines(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    tail = EventTail(path)
    assert tail.read_new() == []  # no file yet
    writer = EventWriter(path)
    writer.emit(StatusEvent(status="running"))
    assert [e.status for e in tail.read_new()] == ["running"]
    with open(path, "a") as handle:
        handle.write('{"type": "step", "t": 1.0, "step": 1, "lo')  # a line still being written
    assert tail.read_new() == []
    with open(path, "a") as handle:
        handle.write('ss": 0.7}\n')
    assert tail.read_new()[0].loss == 0.7
    writer.emit(StepEvent(step=2, loss=0.6))
    assert [e.step for e in tail.read_new()] == [2]
    writer.close()


def test_downsample_keeps_ends_and_bounds_size() -> None:
    points = [(float(i), float(i * i)) for i in range(10_000)]
    small = downsample(points, 300)
    assert len(small) == 300 and small[0] == points[0] and small[-1] == points[-1]
    assert downsample(points[:5], 300) == points[:5]


def test_curves_and_derived_metrics() -> None:
    events = [
        {"type": "step", "t": 100.0, "step": 1, "loss": 0.7},
        {"type": "power", "t": 101.0, "cpu_w": 10.0, "ram_w": 5.0},
        {"type": "energy", "t": 102.0, "energy_kwh": 0.001, "emissions_kg": 0.0005},
        {"type": "eval", "t": 103.0, "step": 1, "accuracy": 0.8, "eval_loss": 0.5},
    ]
    curves = curves_from_events(events)
    assert curves["train_loss"] == [(1, 0.7)]
    assert curves["power_w"] == [(1.0, 15.0)]
    assert curves["emissions_kg"] == [(2.0, 0.0005)]
    assert curves["eval_accuracy"] == [(1, 0.8)]
    derived = derived_metrics({"energy_kwh": 0.001, "samples_trained": 360, "duration_s": 10.0, "accuracy": 0.8})
    assert derived["joules_per_sample"] == 10.0  # 3600 J over 360 samples
    assert derived["samples_per_s"] == 36.0
    assert derived["ear_kwh"] == 0.001 / 0.8


def test_stored_curves_keep_four_significant_digits() -> None:
    events = [{"type": "step", "t": 0.0, "step": 1, "loss": 0.6984502474466959},
              {"type": "energy", "t": 1.0, "energy_kwh": 1.2492398985848993e-05, "emissions_kg": 5.933889518278272e-06}]
    curves = curves_from_events(events)
    assert curves["train_loss"] == [(1, 0.6985)]
    assert curves["energy_kwh"] == [(1.0, 1.249e-05)] and curves["emissions_kg"] == [(1.0, 5.934e-06)]


# One of each kind, every field set, as the worker would write them.
EVERY_KIND = (
    StatusEvent(t=1.0, status="crashed", reason="gone"),
    InfoEvent(t=1.5, message="setup done", phase="training", total_steps=40, device="cpu", train_samples=640,
              eval_samples=200, trainable_params=10, total_params=20),
    StepEvent(t=2.0, step=3, total_steps=40, epoch=0.15, loss=0.69, lr=1e-3, samples=48),
    EvalEvent(t=2.5, step=3, epoch=0.15, accuracy=0.8, f1=0.79, eval_loss=0.5, final=True),
    PhaseEvent(t=2.7, phase="eval", detail="evaluating", done=12, total=32, unit="batches"),
    PowerEvent(t=3.0, gpu_w=(120.5, 99.0), gpu_util=(97.0, 95.0), gpu_mem_mb=(1024.0, 1000.0),
               gpu_temp_c=(61.0, 58.0), cpu_w=12.5, ram_w=4.0),
    EnergyEvent(t=3.5, energy_kwh=1e-4, emissions_kg=4.75e-5, cpu_energy_kwh=2e-5, gpu_energy_kwh=7e-5,
                ram_energy_kwh=1e-5),
    ProjectionEvent(t=4.0, step=5, total_steps=40, duration_s=52.0, energy_kwh=4e-4, emissions_kg=1.9e-4),
    BudgetEvent(t=4.5, state="warning", message="energy budget will be exceeded", budget="energy", limit=3e-4,
                measured=1e-4, projected=4e-4, step=5),
    HeartbeatEvent(t=5.0, step=5),
    SummaryEvent(t=5.5, status="completed", metrics={"accuracy": 0.8, "steps": 40},
                 phases={"train": {"duration_s": 4.0, "energy_kwh": 1e-4, "emissions_kg": 4.75e-5}}),
    ErrorEvent(t=6.0, message="could not write curves.json", traceback="Traceback ..."),
)


def test_every_kind_round_trips_through_encode_and_parse() -> None:
    assert {type(e) for e in EVERY_KIND} == set(EVENT_CLASSES)
    for event in EVERY_KIND:
        line = encode(event)
        decoded = json.loads(line)
        assert decoded["type"] == event.kind and decoded["v"] == SCHEMA_VERSION
        assert parse(decoded) == event
    minimal = StatusEvent(t=1.0, status="running")
    assert parse(json.loads(encode(minimal))) == minimal


def test_lines_without_a_version_are_version_1_and_read_the_same() -> None:
    old = {"type": "step", "t": 2.0, "step": 3, "total_steps": 40, "epoch": 0.15, "loss": 0.69, "lr": 0.001,
           "samples": 48}
    event = parse(old)
    assert isinstance(event, StepEvent) and event.v == 1 and event.loss == 0.69
    assert parse({"type": "info", "t": 1.0, "message": "training started", "total_steps": 8}) is not None


@pytest.mark.parametrize("line", [
    [1, 2], "step", None,  # not an object
    {"type": "step", "step": 3},  # no time
    {"type": "warp", "t": 1.0},  # an unknown kind
    {"type": ["step"], "t": 1.0, "step": 3},  # a kind that is not a name
    {"type": "step", "t": 1.0},  # a required field missing
    {"type": "step", "t": 1.0, "step": "3"},  # a number as text
    {"type": "step", "t": 1.0, "step": 3.0},  # a step that is not a whole number
    {"type": "step", "t": 1.0, "step": True},  # a bool is not a number
    {"type": "energy", "t": 1.0, "energy_kwh": float("nan"), "emissions_kg": 0.0},  # NaN where a figure is required
    {"type": "step", "t": float("inf"), "step": 3},
    {"type": "power", "t": 1.0, "gpu_w": [100.0, "x"]},
    {"type": "power", "t": 1.0, "gpu_w": 100.0},
    {"type": "summary", "t": 1.0, "status": "completed", "metrics": [1]},
    {"type": "status", "t": 1.0, "status": "running", "v": "2"},
])
def test_a_malformed_line_parses_to_none(line: object) -> None:
    assert parse(line) is None


def test_nan_in_an_optional_field_reads_as_unknown() -> None:
    event = parse({"type": "eval", "t": 1.0, "step": 4, "accuracy": 0.8, "eval_loss": float("nan")})
    assert isinstance(event, EvalEvent) and event.eval_loss is None and event.accuracy == 0.8


def test_bad_lines_are_skipped_and_counted_never_raised(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    writer = EventWriter(path)
    writer.emit(StatusEvent(status="running"))
    with open(path, "a") as handle:
        handle.write('{"type": "step", "t": 1.0, "st\n')  # torn by a crash
        handle.write("[1, 2]\n")  # not an object
        handle.write('{"type": "warp", "t": 1.0}\n')  # unknown kind
        handle.write('{"type": "eval", "t": 1.0, "step": "four"}\n')  # wrong shape
        handle.write("\n")  # blank lines are not counted
        handle.write("[" * 100_000 + "\n")  # nested too deep to decode
    with open(path, "ab") as binary:
        binary.write(b'\xff\xfe{"type"\n')  # not UTF-8 at all
    writer.emit(StepEvent(step=1, loss=0.7))
    writer.close()
    events = read_all(path)
    assert [e.kind for e in events] == ["status", "step"]
    assert events.skipped == 6
    tail = EventTail(path)
    assert len(tail.read_new()) == 2 and tail.skipped == 6
