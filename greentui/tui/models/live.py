"""What the live screen knows about a run, accumulated from its events (pure data, no Textual).

`LiveState` is the screen's mutable buffer; widgets only ever see the frozen `LiveSnapshot`.
Times are measured from event timestamps, not the wall clock, so a finished run always
shows the same figures.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

Point = tuple[float, float]
Series = tuple[Point, ...]


@dataclass(frozen=True)
class LiveSnapshot:
    """Everything the live panels draw, at one moment."""

    status: str = "running"
    reason: str | None = None
    step: int = 0
    total_steps: int | None = None
    epoch: float | None = None
    elapsed_s: float = 0.0
    eta_s: float | None = None
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
    projected: tuple[float, float, float] | None = None  # training s, kWh, kg CO2 at the end, from the rate so far
    budget_note: str | None = None  # the worker's last budget warning or stop, while running


class LiveState:
    """Feeds on events (any number, in order) and hands out snapshots."""

    def __init__(self) -> None:
        self.status = "running"
        self.reason: str | None = None
        self._t0: float | None = None
        self._t_last = 0.0
        self._train_t0: float | None = None
        self._step_t: float | None = None
        self.step = 0
        self.total_steps: int | None = None
        self.epoch: float | None = None
        self.samples = 0
        self.accuracy: float | None = None
        self.energy_kwh: float | None = None
        self.emissions_kg: float | None = None
        self._watts: list[float] = []
        self._gpu = False
        self.power: dict[str, list[Point]] = {}
        self.train_loss: list[Point] = []
        self.eval_loss: list[Point] = []
        self.energy: list[Point] = []
        self.emissions: list[Point] = []
        self.projected: tuple[float, float, float] | None = None
        self.budget_note: str | None = None
        self.version = 0  # bumped on every change, so a screen can skip redraws with nothing new

    def feed(self, events: Iterable[dict[str, Any]]) -> None:
        """Take in newly read events."""
        for event in events:
            self.version += 1
            t = float(event.get("t", 0.0))
            self._t0 = t if self._t0 is None else self._t0
            self._t_last = max(self._t_last, t)
            handler = getattr(self, f"_on_{event.get('type')}", None)
            if handler is not None:
                handler(event, round(t - self._t0, 2))

    def _on_status(self, event: dict[str, Any], _elapsed: float) -> None:
        self.status = str(event.get("status") or self.status)
        self.reason = event.get("reason")

    def _on_info(self, event: dict[str, Any], _elapsed: float) -> None:
        if event.get("total_steps"):
            self.total_steps = int(event["total_steps"])
        if event.get("message") == "training started":
            self._train_t0 = float(event["t"])

    def _on_step(self, event: dict[str, Any], _elapsed: float) -> None:
        self.step = int(event.get("step", self.step))
        self.total_steps = event.get("total_steps") or self.total_steps
        self.epoch = event.get("epoch", self.epoch)
        self.samples = int(event.get("samples") or self.samples)
        self._step_t = float(event["t"])
        if event.get("loss") is not None:
            self.train_loss.append((self.step, float(event["loss"])))

    def _on_eval(self, event: dict[str, Any], _elapsed: float) -> None:
        if event.get("accuracy") is not None:
            self.accuracy = float(event["accuracy"])
        if event.get("eval_loss") is not None:
            self.eval_loss.append((float(event.get("step", self.step)), float(event["eval_loss"])))

    def _on_power(self, event: dict[str, Any], elapsed: float) -> None:
        gpus = event.get("gpu_w") or []
        if gpus:
            self._gpu = True
            for index, watts in enumerate(gpus):
                self.power.setdefault(f"GPU {index}", []).append((elapsed, float(watts)))
            self._watts.append(float(sum(gpus)))
            return
        parts = {"CPU (CodeCarbon)": event.get("cpu_w"), "RAM (CodeCarbon)": event.get("ram_w")}
        for label, watts in parts.items():
            if watts is not None:
                self.power.setdefault(label, []).append((elapsed, float(watts)))
        known = [w for w in parts.values() if w is not None]
        if known:
            self._watts.append(float(sum(known)))

    def _on_energy(self, event: dict[str, Any], elapsed: float) -> None:
        self.energy_kwh = float(event.get("energy_kwh") or 0.0)
        self.emissions_kg = float(event.get("emissions_kg") or 0.0)
        self.energy.append((elapsed, self.energy_kwh))
        self.emissions.append((elapsed, self.emissions_kg * 1000.0))

    def _on_projection(self, event: dict[str, Any], _elapsed: float) -> None:
        self.projected = (float(event["duration_s"]), float(event["energy_kwh"]), float(event["emissions_kg"]))

    def _on_budget(self, event: dict[str, Any], _elapsed: float) -> None:
        self.budget_note = str(event.get("message") or "")

    def _on_summary(self, event: dict[str, Any], _elapsed: float) -> None:
        metrics = event.get("metrics") or {}
        self.accuracy = metrics.get("accuracy", self.accuracy)
        self.energy_kwh = metrics.get("energy_kwh", self.energy_kwh)
        self.emissions_kg = metrics.get("emissions_kg", self.emissions_kg)
        # Step events come every few steps (the Trainer's logging interval); the summary has the last one.
        self.step = int(metrics.get("steps") or self.step)

    def snapshot(self) -> LiveSnapshot:
        """A frozen copy of what is known now."""
        rate = eta = None
        if self._train_t0 is not None and self._step_t is not None and self._step_t > self._train_t0:
            busy = self._step_t - self._train_t0
            rate = self.samples / busy if self.samples else None
            if self.total_steps and self.step and self.status == "running":
                eta = busy / self.step * (self.total_steps - self.step)
        joules = self.energy_kwh * 3.6e6 / self.samples if self.energy_kwh is not None and self.samples else None
        return LiveSnapshot(
            status=self.status, reason=self.reason, step=self.step, total_steps=self.total_steps,
            epoch=self.epoch, elapsed_s=self._t_last - self._t0 if self._t0 is not None else 0.0,
            eta_s=eta, samples_per_s=rate, accuracy=self.accuracy, energy_kwh=self.energy_kwh,
            emissions_kg=self.emissions_kg,
            avg_w=sum(self._watts) / len(self._watts) if self._watts else None,
            peak_w=max(self._watts) if self._watts else None,
            joules_per_sample=joules, method=self._method(),
            power={label: tuple(points) for label, points in self.power.items()},
            train_loss=tuple(self.train_loss), eval_loss=tuple(self.eval_loss),
            emissions=tuple(self.emissions), energy=tuple(self.energy),
            # A finished run has its measured figures, and a budget stop is its status reason.
            projected=self.projected if self.status == "running" else None,
            budget_note=self.budget_note if self.status == "running" else None,
        )

    def _method(self) -> str:
        if self._gpu:
            return "NVML (GPU power)"
        if self.power:
            return "CodeCarbon CPU+RAM estimate (no GPU)"
        return "waiting for the first power sample"
