"""What the live screen knows about a run, folded from its events (pure data, no Textual).

`LiveState` wraps the one reducer of events (greentui.events.reducer) that the worker, the CLI
and reconcile also use; widgets only ever see the frozen `LiveSnapshot`. Times are measured
from event timestamps, not the wall clock, so a finished run always shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from greentui.events.reducer import Point, RunReducer, RunSnapshot, Series
from greentui.events.schema import Event, StatusEvent
from greentui.metrics.derived import derived_metrics
from greentui.report.printable import printable


@dataclass(frozen=True)
class LiveSnapshot:
    """Everything the live panels draw, at one moment."""

    status: str = "running"
    activity: str = "loading…"  # what the run is doing: `tokenising 3,000/5,000 rows`, `evaluating 12/32 batches`
    reason: str | None = None
    step: int = 0
    total_steps: int | None = None
    epoch: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = None  # while training: training_end_s - elapsed_s
    training_end_s: float | None = None  # while training: when it is projected to end, on the elapsed clock
    training_s: float | None = None  # measured: how long training has taken (all of it, once it is over)
    samples_per_s: float | None = None
    accuracy: float | None = None
    energy_kwh: float | None = None
    emissions_kg: float | None = None
    avg_w: float | None = None
    peak_w: float | None = None
    joules_per_sample: float | None = None
    method: str = "waiting for the first power sample"
    power: Mapping[str, Series] = field(default_factory=dict)
    train_loss: Series = ()
    eval_loss: Series = ()
    emissions: Series = ()
    energy: Series = ()
    projected: tuple[float, float] | None = None  # kWh and kg CO2 at the end, from the rate so far, while running
    budget_note: str | None = None  # the worker's last budget warning or stop, while running


class LiveState:
    """Feeds on events (any number, in order) and hands out snapshots."""

    def __init__(self) -> None:
        self._reducer = RunReducer()
        self._grams: list[Point] = []  # the CO2 curve in grams, converted once per point
        self.version = 0  # bumped on every change, so a screen can skip redraws with nothing new

    def feed(self, events: Iterable[Event | Mapping[str, Any]]) -> None:
        """Take in newly read events."""
        before = self._reducer.version
        self._reducer.feed(events)
        self.version += self._reducer.version - before

    def mark_gone(self, reason: str) -> None:
        """The worker is gone without a final status: the run reads as crashed from here on."""
        # Stamped with the last event's time: the figures stay those of the events, not of the clock.
        self.feed([StatusEvent(t=self._reducer.last_t, status="crashed", reason=reason)])

    @property
    def status(self) -> str:
        """The run's status by its events (cheap: read on every tick)."""
        return self._reducer.status

    @property
    def reason(self) -> str | None:
        """Why the run ended as it did, where its events say."""
        return self._reducer.snapshot().reason

    @property
    def step(self) -> int:
        """The latest step."""
        return self._reducer.step

    @property
    def train_loss(self) -> Series:
        """Training loss by step."""
        return self._reducer.snapshot().curves["train_loss"]

    @property
    def eval_loss(self) -> Series:
        """Evaluation loss by step."""
        return self._reducer.snapshot().curves["eval_loss"]

    @property
    def power(self) -> Mapping[str, Series]:
        """Watts per GPU, or CodeCarbon's CPU and RAM estimates, by elapsed seconds."""
        return self._reducer.snapshot().power_series

    @property
    def energy(self) -> Series:
        """Cumulative kWh by elapsed seconds."""
        return self._reducer.snapshot().curves["energy_kwh"]

    @property
    def projected(self) -> tuple[float, float] | None:
        """The worker's latest projection, while running: kWh and kg CO2 at the end."""
        return self.snapshot().projected

    def snapshot(self) -> LiveSnapshot:
        """A frozen copy of what is known now."""
        run = self._reducer.snapshot()
        emissions = run.curves["emissions_kg"]
        self._grams.extend((x, kg * 1000.0) for x, kg in emissions[len(self._grams):])
        derived = derived_metrics(run.metrics())
        total = run.power.get("total")
        projection = run.projection
        running = run.status == "running"
        training = running and run.phase == "training"
        return LiveSnapshot(
            # Text from the events file is untrusted: shown escaped, never as control codes.
            status=printable(run.status), activity=printable(run.activity),
            reason=printable(run.reason) if run.reason else None, step=run.step, total_steps=run.total_steps,
            # The ETA is training's: while loading or evaluating it would read as the run's end.
            epoch=run.epoch, elapsed_s=run.elapsed_s, eta_s=run.eta_s if training else None,
            training_end_s=run.training_end_s if training else None, training_s=run.training_s,
            samples_per_s=derived.get("samples_per_s"), accuracy=run.accuracy, energy_kwh=run.energy_kwh,
            emissions_kg=run.emissions_kg,
            avg_w=total.average_w if total else None, peak_w=total.peak_w if total else None,
            joules_per_sample=derived.get("joules_per_sample"), method=_method(run),
            power=run.power_series, train_loss=run.curves["train_loss"], eval_loss=run.curves["eval_loss"],
            emissions=tuple(self._grams), energy=run.curves["energy_kwh"],
            # A finished run has its measured figures, and a budget stop is its status reason.
            projected=(projection.energy_kwh, projection.emissions_kg) if projection and running else None,
            budget_note=printable(run.budget_note) if running and run.budget_note else None,
        )


def _method(run: RunSnapshot) -> str:
    if run.gpu_measured:
        return "NVML (GPU power)"
    if run.power_series:
        return "CodeCarbon CPU+RAM estimate (no GPU)"
    return "waiting for the first power sample"
