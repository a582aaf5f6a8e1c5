"""The events file: lines appear as written; a reader picks up only complete new lines."""

from __future__ import annotations

from pathlib import Path

from greentui.events.log import EventTail, EventWriter
from greentui.events.schema import StatusEvent, StepEvent
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
