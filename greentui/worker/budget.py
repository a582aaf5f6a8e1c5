"""Trainer callback that projects a run's totals as it goes and enforces its energy and CO2 budgets."""

from __future__ import annotations

import time
from typing import Any, Callable

from transformers import TrainerCallback

from greentui.events.log import EventWriter
from greentui.events.schema import BudgetEvent, ProjectionEvent
from greentui.projection import Projection, Projector, Reading

EMIT_EVERY_S = 2.0  # projection events: about as often as energy events


class BudgetGuard(TrainerCallback):
    """Each step: project time, energy and CO2 from the rate so far; warn once per budget when the
    projection goes over it, stop training once the measured figure does (the run then ends
    `stopped` and `exceeded` says why).

    `latest_energy` returns the telemetry's last cumulative figures, with `measured_at` on
    time.perf_counter's clock, or None before the first measurement; `measuring` is False when
    there is no energy measurement at all (CodeCarbon could not start).
    """

    def __init__(self, events: EventWriter, latest_energy: Callable[[], dict[str, float] | None],
                 energy_budget_kwh: float, co2_budget_kg: float, measuring: bool = True) -> None:
        self.events = events
        self.measuring = measuring
        self.latest_energy = latest_energy
        self.budgets = (("energy", "energy_kwh", energy_budget_kwh, "kWh"), ("CO2", "emissions_kg", co2_budget_kg, "kg"))
        self.projector = Projector()
        self.warned: set[str] = set()
        self.exceeded: str | None = None
        self._started = time.perf_counter()
        self._step_ended = self._started
        self._last_emit = 0.0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._started = time.perf_counter()
        set_budgets = [f"{name} budget" for name, _key, budget, _unit in self.budgets if budget > 0]
        if set_budgets and not self.measuring:  # say so rather than let the run go on unchecked
            self.events.emit(BudgetEvent(state="unmeasured", message=f"{' and '.join(set_budgets)} not enforced: "
                                         "no energy measurement (see the run's measurement)"))

    def on_evaluate(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        # The Trainer evaluates right after on_step_end; once training is over (the final
        # evaluation) there is nothing left to project.
        if not self.exceeded and state.global_step < state.max_steps:
            self.projector.note_eval(time.perf_counter() - self._step_ended)

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._step_ended = now = time.perf_counter()
        figures = self.latest_energy()
        if not figures or self.exceeded:
            return
        step, total = state.global_step, state.max_steps
        reading = Reading(step, now - self._started, figures["energy_kwh"], figures["emissions_kg"],
                          figures["measured_at"] - self._started)
        projection = self.projector.update(reading, total)
        if projection and now - self._last_emit >= EMIT_EVERY_S:
            self._last_emit = now
            self.events.emit(ProjectionEvent(step=step, total_steps=total, duration_s=projection.duration_s,
                                             energy_kwh=projection.energy_kwh, emissions_kg=projection.emissions_kg))
        self._check(figures, projection, step, total, control)

    def _check(self, figures: dict[str, float], projection: Projection | None, step: int, total: int,
               control: Any) -> None:
        for name, key, budget, unit in self.budgets:
            if budget <= 0:
                continue
            if figures[key] > budget:
                self.exceeded = (f"{name} budget {budget:g} {unit} exceeded: {figures[key]:.6g} {unit} "
                                 f"at step {step}/{total}")
                self.events.emit(BudgetEvent(state="exceeded", budget=name, limit=budget, measured=figures[key],
                                             step=step, message=self.exceeded))
                control.should_training_stop = True
                control.should_evaluate = False  # the budget is spent: no more work, not even an eval
                control.should_save = False
                return
            projected = getattr(projection, key) if projection else None
            if projected is not None and projected > budget and name not in self.warned:
                self.warned.add(name)
                self.events.emit(BudgetEvent(state="warning", budget=name, limit=budget, projected=projected,
                                             step=step, message=f"{name} budget {budget:g} {unit} will be "
                                                                f"exceeded: {projected:.6g} {unit} projected"))
