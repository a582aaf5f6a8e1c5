"""Trainer callback that turns training progress into events and honours a stop request."""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

from transformers import TrainerCallback

from greentui.events.log import EventWriter
from greentui.events.schema import EvalEvent, InfoEvent, StepEvent


class Diverged(RuntimeError):
    """The training loss became NaN or infinite."""

    def __init__(self, step: int, loss: float) -> None:
        super().__init__(f"loss became {loss} at step {step}")
        self.step = step


class EventCallback(TrainerCallback):
    """Emits step and eval events; stops training when `stop_requested` is set."""

    def __init__(self, events: EventWriter, stop_requested: threading.Event, samples_per_step: int,
                 eval_batch_done: Callable[[int], None] | None = None) -> None:
        self.events = events
        self.stop_requested = stop_requested
        self.samples_per_step = samples_per_step
        self.eval_batch_done = eval_batch_done  # told the batches of the current evaluation done so far
        self.stopped_at: int | None = None
        self.last_step = 0
        self.last_eval: dict[str, Any] | None = None  # the Trainer's metrics of the latest evaluation
        self.last_eval_step: int | None = None
        self.evals: dict[int, dict[str, Any]] = {}  # every evaluation's metrics, by step
        self.final_next = False  # the next evaluation is the run's final one (set by the worker)
        self.final_emitted = False
        self.final_step: int | None = None  # the step of the evaluation that is the run's result
        self._eval_batches = 0

    def on_train_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.events.emit(InfoEvent(message="training started", phase="training", total_steps=state.max_steps))

    def on_step_begin(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.last_step = state.global_step

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self.last_step = state.global_step
        if self.stop_requested.is_set() and self.stopped_at is None:
            self.stopped_at = state.global_step
            control.should_training_stop = True
            # Skip the save/eval that a stop request would otherwise trigger at this step.
            control.should_evaluate = False
            control.should_save = False

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kwargs: Any) -> None:
        logs = logs or {}
        if "loss" not in logs:
            return
        loss = float(logs["loss"])
        if not math.isfinite(loss):  # normally caught earlier, per batch, by watch_loss
            raise Diverged(state.global_step, loss)
        self.events.emit(StepEvent(
            step=state.global_step,
            total_steps=state.max_steps,
            epoch=round(float(state.epoch or 0.0), 4),
            loss=loss,
            lr=float(logs.get("learning_rate", 0.0)),
            samples=state.global_step * self.samples_per_step,
        ))

    def on_prediction_step(self, args: Any, state: Any, control: Any, **kwargs: Any) -> None:
        self._eval_batches += 1
        if self.eval_batch_done is not None:
            self.eval_batch_done(self._eval_batches)

    def on_evaluate(self, args: Any, state: Any, control: Any, metrics: dict[str, Any] | None = None, **kwargs: Any) -> None:
        metrics = metrics or {}
        self._eval_batches = 0
        self.last_eval, self.last_eval_step = metrics, state.global_step
        self.evals[state.global_step] = metrics
        # The last step's scheduled evaluation is the run's result, unless a best checkpoint is loaded back after it.
        final = self.final_next or (state.global_step >= state.max_steps and not args.load_best_model_at_end)
        self.emit_eval(state.global_step, state.epoch, metrics, final)

    def emit_eval(self, step: int, epoch: float | None, metrics: dict[str, Any], final: bool) -> None:
        """An eval event; `final` marks the one evaluation whose result is the run's."""
        final = final and not self.final_emitted
        self.final_emitted = self.final_emitted or final
        self.events.emit(EvalEvent(
            step=step,
            epoch=round(float(epoch or 0.0), 4),
            accuracy=_float_or_none(metrics.get("eval_accuracy")),
            f1=_float_or_none(metrics.get("eval_f1")),
            eval_loss=_float_or_none(metrics.get("eval_loss")),
            final=final,
        ))


def _float_or_none(value: Any) -> float | None:
    """The Trainer's metrics may be numpy numbers; an event field holds a plain float."""
    return None if value is None else float(value)


def watch_loss(model: Any, callback: EventCallback, nan_at_step: int | None = None) -> None:
    """Raise Diverged as soon as one batch's raw training loss is NaN or infinite.

    The Trainer only logs losses averaged over several steps, where a single bad step
    would surface late; a forward hook sees every batch. `nan_at_step` injects a NaN loss
    at that optimizer step (fault-injection tests, via GREENTUI_FAULT_NAN_STEP).
    """
    import torch

    def check(module: Any, _inputs: Any, output: Any) -> Any:
        loss = getattr(output, "loss", None)
        if not module.training or loss is None:
            return None
        step = callback.last_step + 1  # the optimizer step this batch belongs to
        if nan_at_step is not None and step == nan_at_step:
            output.loss = loss * float("nan")
        if not bool(torch.isfinite(output.loss)):
            raise Diverged(step, float(output.loss))
        return output

    model.register_forward_hook(check)
