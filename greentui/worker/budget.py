"""Trainer callback that projects a run's totals as it goes and enforces its energy and CO2 budgets."""

from __future__ import annotations

import time
from typing import Any, Callable

from transformers import TrainerCallback

from greentui.events import EventWriter
from greentui.projection import Projector, Reading

EMIT_EVERY_S = 2.0  # projection events: about as often as energy readings arrive


class BudgetGuard(TrainerCallback):
    """Each step: project time, energy and CO2 from the rate so far; warn once when a budget will be
    exceeded, stop training when it is (the run ends `stopped`, `exceeded` says why)."""

    def __init__(self, events: EventWriter, latest_energy: Callable[[], dict[str, float] | None],
                 energy_budget_kwh: float, co2_budget_kg: float) -> None:
        self.events = events
        self.latest_energy = latest_energy
        self.budgets = (("energy", "energy_kwh", energy_budget_kwh, "kWh"), ("CO2", "emissions_kg", co2_budget_kg, "kg"))
        self.projector = Projector()
        self.warned: set[str] = set()
        self.exceeded: str | None = None
        self._started = time.monotonic()
        self._last_emit = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started = time.monotonic()

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        figures = self.latest_energy()
        if not figures or self.exceeded:
            return
        now = time.monotonic()
        step, total = state.global_step, state.max_steps
        reading = Reading(step, now - self._started, figures["energy_kwh"], figures["emissions_kg"])
        projection = self.projector.update(reading, total)
        if projection and now - self._last_emit >= EMIT_EVERY_S:
            self._last_emit = now
            self.events.emit("projection", step=step, total_steps=total, duration_s=projection.duration_s,
                             energy_kwh=projection.energy_kwh, emissions_kg=projection.emissions_kg)
        for name, key, budget, unit in self.budgets:
            if budget <= 0:
                continue
            if figures[key] > budget:
                self.exceeded = (f"{name} budget {budget:g} {unit} exceeded: {figures[key]:.6g} {unit} "
                                 f"at step {step}/{total}")
                self.events.emit("budget", state="exceeded", message=self.exceeded)
                control.should_training_stop = True
                control.should_evaluate = False  # the budget is spent: no more work, not even an eval
                control.should_save = False
                return
            projected = getattr(projection, key) if projection else None
            if projected is not None and projected > budget and name not in self.warned:
                self.warned.add(name)
                self.events.emit("budget", state="warning",
                                 message=f"{name} budget {budget:g} {unit} will be exceeded: "
                                         f"projected {projected:.6g} {unit} at the rate so far")
