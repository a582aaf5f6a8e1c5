"""One fold of a run's typed events into what is known about the run; every reader of events uses it.

`RunReducer` folds events onto what it already holds (the live screen feeds it a few events every
half second; a run's curves may hold 10,000 points, so nothing already folded is looked at again)
and hands out frozen `RunSnapshot`s. The fold is pure: its result depends on the events alone, in
order, never on the clock or the disk, so a finished run always reads the same. `fold(events)`
is the one-shot form.

The definitions every reader shares: times are seconds since the run's first event; power is a
power event's `PowerEvent.total_w`, and its average and peak are over the power events (about 1 Hz,
each the mean of the NVML samples of that second): the one definition of peak power; the duration
of training is from the `training` phase to the last step event; the ETA is the worker's
projection where one was written, and the same rate model (greentui.projection.training_end)
over the step events otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping

from greentui.events.schema import (
    BudgetEvent,
    EnergyEvent,
    EvalEvent,
    Event,
    InfoEvent,
    PhaseEvent,
    PowerEvent,
    ProjectionEvent,
    StatusEvent,
    StepEvent,
    SummaryEvent,
    as_event,
)
from greentui.projection import training_end

Point = tuple[float, float]
Series = tuple[Point, ...]

LOADING, TRAINING, EVALUATING, SAVING, FINISHED = "loading", "training", "evaluating", "saving", "finished"
INFERRING = "measuring inference"
# A phase event's phase (greentui.events.schema) as the snapshot's `phase` word.
PHASE_WORDS = {"waiting": "waiting", "idle": "measuring idle power", "load": LOADING, "train": TRAINING,
               "eval": EVALUATING, "save": SAVING, "inference": INFERRING}
CURVE_NAMES = ("train_loss", "eval_loss", "eval_accuracy", "power_w", "energy_kwh", "emissions_kg")
POWER_SOURCES = ("gpu", "cpu", "ram")  # the record's avg_<source>_power_w / peak_<source>_power_w
ENERGY_PARTS = ("cpu_energy_kwh", "gpu_energy_kwh", "ram_energy_kwh")


@dataclass(frozen=True)
class PowerFigures:
    """Average and peak watts of one source over the power events."""

    average_w: float
    peak_w: float
    count: int = 0  # power events
    spread_w: float = 0.0  # their standard deviation

    @property
    def relative_error(self) -> float | None:
        """The mean's relative standard error (None below two events): what sampling adds to an integral."""
        if self.count < 2 or self.average_w <= 0:
            return None
        return self.spread_w / self.average_w / self.count ** 0.5


@dataclass(frozen=True)
class RunSnapshot:
    """What a run's events say about it, at one moment."""

    status: str = "running"  # the last status event's
    reason: str | None = None
    phase: str = LOADING
    activity: str = "loading…"  # what the run is doing, in words, with its progress where it has one
    step: int = 0
    total_steps: int | None = None
    epoch: float | None = None
    samples: int | None = None  # trained so far, by the last step event
    accuracy: float | None = None  # the last evaluation's (or the summary's)
    f1: float | None = None
    eval_loss: float | None = None
    energy_kwh: float | None = None  # cumulative, the last energy event's (or the summary's)
    emissions_kg: float | None = None
    energy_parts: Mapping[str, float] = field(default_factory=dict)  # cpu/gpu/ram_energy_kwh
    elapsed_s: float = 0.0
    training_s: float | None = None
    # When training is projected to end, in seconds since the run's first event (the clock of
    # elapsed_s): the one time model. eta_s is training_end_s - elapsed_s, so the two always agree.
    training_end_s: float | None = None
    eta_s: float | None = None
    power: Mapping[str, PowerFigures] = field(default_factory=dict)  # "total" and each of POWER_SOURCES seen
    gpu_measured: bool = False
    power_series: Mapping[str, Series] = field(default_factory=dict)  # watts per GPU, or CPU and RAM
    curves: Mapping[str, Series] = field(default_factory=dict)  # CURVE_NAMES
    projection: ProjectionEvent | None = None
    budget_note: str | None = None  # the last budget event's message
    summary: SummaryEvent | None = None

    @property
    def final_status(self) -> str | None:
        """The status the run ended with, if its events say: a final status event, else the summary's."""
        if self.status != "running":
            return self.status
        return self.summary.status if self.summary else None

    def metrics(self) -> dict[str, Any]:
        """The run record's metrics as measured by the events (the summary's own are in `summary`)."""
        out: dict[str, Any] = {
            "energy_kwh": self.energy_kwh, "emissions_kg": self.emissions_kg, **self.energy_parts,
            "steps": self.step or None, "total_steps": self.total_steps, "samples_trained": self.samples,
            "duration_s": self.training_s, "accuracy": self.accuracy, "f1": self.f1, "eval_loss": self.eval_loss,
        }
        for source in POWER_SOURCES:
            if source in self.power:
                out[f"avg_{source}_power_w"] = self.power[source].average_w
                out[f"peak_{source}_power_w"] = self.power[source].peak_w
        return {key: value for key, value in out.items() if value is not None}


class _PowerStats:
    def __init__(self) -> None:
        self.sum, self.squares, self.count, self.peak = 0.0, 0.0, 0, 0.0

    def add(self, watts: float) -> None:
        self.sum, self.count, self.peak = self.sum + watts, self.count + 1, max(self.peak, watts)
        self.squares += watts * watts

    def figures(self) -> PowerFigures:
        mean = self.sum / self.count
        variance = (self.squares - self.count * mean * mean) / (self.count - 1) if self.count > 1 else 0.0
        return PowerFigures(mean, self.peak, self.count, max(0.0, variance) ** 0.5)


class RunReducer:
    """Folds events (typed, or decoded lines, which are parsed) onto what it holds."""

    def __init__(self) -> None:
        self.version = 0  # bumped by every event taken in
        self.skipped = 0  # items fed that were not valid events
        self.status = "running"
        self.step = 0
        self._state: dict[str, Any] = {}  # RunSnapshot's plain fields, as they stand
        self._t0: float | None = None
        self._t_last = 0.0
        self._train_t0: float | None = None
        self._first_step: tuple[int, float] | None = None
        self._last_step_t: float | None = None
        self._power: dict[str, _PowerStats] = {}
        self._power_series: dict[str, list[Point]] = {}
        self._curves: dict[str, list[Point]] = {name: [] for name in CURVE_NAMES}
        self._cached: RunSnapshot | None = None
        self._handlers: dict[type, Callable[[Any, float], None]] = {
            StatusEvent: self._on_status, InfoEvent: self._on_info, PhaseEvent: self._on_phase, StepEvent: self._on_step,
            EvalEvent: self._on_eval, PowerEvent: self._on_power, EnergyEvent: self._on_energy,
            ProjectionEvent: self._on_projection, BudgetEvent: self._on_budget, SummaryEvent: self._on_summary,
        }

    @property
    def last_t(self) -> float:
        """The time of the latest event (0.0 before any)."""
        return self._t_last

    def feed(self, items: Iterable[Event | Mapping[str, Any]]) -> None:
        """Fold newly read events, in order, onto the state."""
        for item in items:
            event = as_event(item)
            if event is None:
                self.skipped += 1
                continue
            self.version += 1
            self._cached = None
            self._t0 = event.t if self._t0 is None else self._t0
            self._t_last = max(self._t_last, event.t)
            handler = self._handlers.get(type(event))
            if handler is not None:
                handler(event, round(event.t - self._t0, 2))

    def _on_status(self, event: StatusEvent, _elapsed: float) -> None:
        self.status = event.status
        self._state["reason"] = event.reason
        if event.status != "running":
            self._state["phase"] = FINISHED
            self._state["activity"] = event.status

    def _on_info(self, event: InfoEvent, _elapsed: float) -> None:
        if event.total_steps:
            self._state["total_steps"] = event.total_steps
        # Version 1 lines have no phase: their "training started" message marks it.
        phase = event.phase or (TRAINING if event.message == "training started" else None)
        if phase == TRAINING:
            self._train_t0 = event.t
        if phase in (TRAINING, EVALUATING) and self._state.get("phase") != FINISHED:
            self._state["phase"] = self._state["activity"] = phase

    def _on_phase(self, event: PhaseEvent, _elapsed: float) -> None:
        if self._state.get("phase") == FINISHED:
            return
        word = PHASE_WORDS.get(event.phase, "loading")
        if word == TRAINING and self._train_t0 is None:
            self._train_t0 = event.t
        self._state["phase"] = word
        self._state["activity"] = activity_text(word, event)

    def _on_step(self, event: StepEvent, _elapsed: float) -> None:
        self.step = event.step
        self._first_step = self._first_step or (event.step, event.t)
        self._last_step_t = event.t
        self._state["total_steps"] = event.total_steps or self._state.get("total_steps")
        self._state["epoch"] = event.epoch if event.epoch is not None else self._state.get("epoch")
        if event.samples is not None:
            self._state["samples"] = event.samples
        if event.loss is not None:
            self._curves["train_loss"].append((event.step, event.loss))

    def _on_eval(self, event: EvalEvent, _elapsed: float) -> None:
        self._state.update(accuracy=event.accuracy, f1=event.f1, eval_loss=event.eval_loss)
        accuracy_points = self._curves["eval_accuracy"]
        if event.final and accuracy_points and accuracy_points[-1][0] == event.step:
            return  # the final result restated: that evaluation's point is on the curves already
        if event.eval_loss is not None:
            self._curves["eval_loss"].append((event.step, event.eval_loss))
        if event.accuracy is not None:
            self._curves["eval_accuracy"].append((event.step, event.accuracy))

    def _on_power(self, event: PowerEvent, elapsed: float) -> None:
        if event.gpu_w:
            self._state["gpu_measured"] = True
            for index, watts in enumerate(event.gpu_w):
                self._power_series.setdefault(f"GPU {index}", []).append((elapsed, watts))
            self._power.setdefault("gpu", _PowerStats()).add(float(sum(event.gpu_w)))
        estimates: tuple[tuple[str, float | None], ...] = (("cpu", event.cpu_w), ("ram", event.ram_w))
        for source, estimate in estimates:
            if estimate is not None:
                self._power.setdefault(source, _PowerStats()).add(estimate)
                if not event.gpu_w:
                    self._power_series.setdefault(f"{source.upper()} (CodeCarbon)", []).append((elapsed, estimate))
        total = event.total_w()
        if total is not None:
            self._power.setdefault("total", _PowerStats()).add(total)
            self._curves["power_w"].append((elapsed, total))

    def _on_energy(self, event: EnergyEvent, elapsed: float) -> None:
        parts = {name: getattr(event, name) for name in ENERGY_PARTS if getattr(event, name) is not None}
        self._state.update(energy_kwh=event.energy_kwh, emissions_kg=event.emissions_kg, energy_parts=parts)
        self._curves["energy_kwh"].append((elapsed, event.energy_kwh))
        self._curves["emissions_kg"].append((elapsed, event.emissions_kg))

    def _on_projection(self, event: ProjectionEvent, _elapsed: float) -> None:
        self._state["projection"] = event

    def _on_budget(self, event: BudgetEvent, _elapsed: float) -> None:
        self._state["budget_note"] = event.message

    def _on_summary(self, event: SummaryEvent, _elapsed: float) -> None:
        self._state["summary"] = event
        self._state["phase"] = FINISHED
        self._state["activity"] = event.status
        # Step events come every few steps (the Trainer's logging interval); the summary has the last one.
        for key in ("accuracy", "energy_kwh", "emissions_kg"):
            value = event.metrics.get(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value == value:
                self._state[key] = float(value)
        steps = event.metrics.get("steps")
        if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0:
            self.step = steps

    def snapshot(self) -> RunSnapshot:
        """A frozen copy of what is known now (the same object until another event is fed)."""
        if self._cached is None:
            ends, eta = self._times()
            self._cached = RunSnapshot(
                **self._state, status=self.status, step=self.step,
                elapsed_s=self._t_last - self._t0 if self._t0 is not None else 0.0,
                training_s=self._training_s(), training_end_s=ends, eta_s=eta,
                power={source: stats.figures() for source, stats in self._power.items()},
                power_series={label: tuple(points) for label, points in self._power_series.items()},
                curves={name: tuple(points) for name, points in self._curves.items()},
            )
        return self._cached

    def _training_s(self) -> float | None:
        if self._train_t0 is None or self._last_step_t is None or self._last_step_t <= self._train_t0:
            return None
        return self._last_step_t - self._train_t0

    def _times(self) -> tuple[float | None, float | None]:
        """(training_end_s, eta_s), from the worker's projection where it wrote one, else the same rate
        model over the step events; None before there is enough to go on, and once the run is over."""
        total = self._state.get("total_steps")
        if (self.status != "running" or not total or self._first_step is None or self._last_step_t is None
                or self._t0 is None):
            return None, None
        projection: ProjectionEvent | None = self._state.get("projection")
        if projection is not None and self._train_t0 is not None:
            # The worker's projection counts from the start of training, on its own clock.
            end: float | None = self._train_t0 + projection.duration_s
        else:
            end = training_end(*self._first_step, self.step, self._last_step_t, total)
        if end is None:
            return None, None
        elapsed = self._t_last - self._t0
        return end - self._t0, max(0.0, end - self._t0 - elapsed)


def activity_text(word: str, event: PhaseEvent) -> str:
    """`tokenising 3,000/5,000 rows`, `evaluating 12/32 batches`, `waiting for GPU 0 (…)`, `loading…`."""
    text = event.detail or (word + "…" if word == LOADING else word)
    if event.done is not None and event.total:
        text += f" {event.done:,}/{event.total:,}" + (f" {event.unit}" if event.unit else "")
    return text


def fold(items: Iterable[Event | Mapping[str, Any]]) -> RunSnapshot:
    """The snapshot of a whole event stream."""
    reducer = RunReducer()
    reducer.feed(items)
    return reducer.snapshot()
