"""One training run from start to stored record, inside the worker process."""

from __future__ import annotations

import json
import os
import signal
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from greentui.config import RunConfig
from greentui.events.log import EVENTS_FILE, EventWriter, read_all
from greentui.events.reducer import RunSnapshot, fold
from greentui.events.schema import (
    EVAL,
    INFER,
    LOAD,
    SAVE,
    TRAIN,
    ErrorEvent,
    HeartbeatEvent,
    InfoEvent,
    StatusEvent,
    SummaryEvent,
)
from greentui.metrics.curves import stored_curves
from greentui.metrics.derived import derived_metrics
from greentui.metrics.uncertainty import uncertainties
from greentui.runs.identity import identify
from greentui.store.curves import CURVES_FILE, save_curves
from greentui.store.record import utc_now
from greentui.store.run_dirs import MODEL_FOLDER
from greentui.store.run_store import RunStore, StoreError
from greentui.worker.idle import IdleBaseline, measure_idle
from greentui.worker.phases import PhaseClock
from greentui.worker.system import hardware_facts, library_versions

HEARTBEAT_S = 5.0
LAUNCH_FILE = "launch.json"


def execute(run_dir: Path, stop_requested: threading.Event | None = None) -> int:
    """Train, measure and store the run described by RUN_DIR/launch.json; exit code 0 when completed.

    `stop_requested` may already be set: the entry point's early handler caught a stop while starting.
    """
    os.umask(0o077)  # everything the run writes (CodeCarbon's CSV, checkpoints) stays private
    launch = json.loads((run_dir / LAUNCH_FILE).read_text(encoding="utf-8"))
    run_id: str = launch["run_id"]
    config = RunConfig.from_mapping(launch["config"])
    store = RunStore(Path(launch["store"]))
    events = EventWriter(run_dir / EVENTS_FILE)
    stop_requested = stop_requested or threading.Event()
    _install_signal_handlers(stop_requested)

    events.emit(StatusEvent(status="running"))
    # Its own identity too: a worker a batch system started (greentui.queue.slurm) has no launcher to note it.
    identity = identify(os.getpid())
    _store_update(store, events, run_id, status="running", started_at=utc_now(), pid=os.getpid(),
                  process=identity.to_doc() if identity else {}, hardware=hardware_facts(), versions=library_versions())
    heartbeat = _start_heartbeat(events)

    from greentui.worker.telemetry import Telemetry

    # One of several runs the gpus executor placed on this box at once: the CPU and RAM are theirs together.
    shared = dict(launch.get("executor") or {}).get("kind") == "gpus"
    telemetry = Telemetry(run_dir, config.country, events, config.pue, shared_host=shared)
    clock = PhaseClock(events, telemetry.reading)
    status, error = "failed", None
    metrics: dict[str, Any] = {}
    progress = TrainingProgress()
    baseline: IdleBaseline | None = None
    lease_doc: dict[str, Any] = {}
    carbon: dict[str, Any] = {}  # launch.json's carbon timing, and how the wait went
    noted: dict[str, Any] = {}  # what training adds to the record's measurement (the teacher, when distilling)
    try:
        from greentui.worker.devices import pinned_devices, run_devices, take_lease

        # Never released here: the kernel frees the lease when this process is gone, so its own exit
        # (tearing torch and CodeCarbon down takes a core for a second or two) is not counted as
        # contention by the run waiting for the device. Its file descriptors keep it until then.
        carbon = dict(launch.get("carbon") or {})
        if carbon.get("start_when") == "low-carbon":  # before the lease: a run waiting for clean power holds no GPU
            from greentui.runs.lease import LeaseStopped
            from greentui.worker.carbon_timing import wait_for_window

            carbon.update(wait_for_window(carbon, run_dir, events, stop_requested))
            if stop_requested.is_set():
                raise LeaseStopped("stopped while waiting for a low-carbon window")
        pinned = dict(launch.get("executor") or {}).get("kind") == "gpus"
        devices = pinned_devices(devices=run_devices()) if pinned else run_devices()
        if config.power_limit_w:  # a cap is the GPUs' for everyone: the run holds them, even training on the CPU
            from greentui.worker.power_limits import capped_devices

            devices = list(dict.fromkeys(devices + capped_devices()))  # a pinned run's GPU once
        _lease, lease_doc = take_lease(devices, events, stop_requested, launch.get("allow_overlap") is True)
        if config.power_limit_w:
            noted["power_limit"] = _cap_power(config.power_limit_w, run_dir, events)
        telemetry.start()
        baseline = measure_idle(config.idle_baseline_s, telemetry, clock, stop_requested)
        clock.enter(LOAD)
        if isinstance(launch.get("parent_id"), str):  # greentui infer: deploy a saved model, no training
            from greentui.worker.deployment import deploy_saved

            model_dir = _parent_model(Path(launch["store"]), launch["parent_id"])
            metrics = deploy_saved(config, str(model_dir), clock, telemetry.reading, stop_requested, noted)
            status = "stopped" if stop_requested.is_set() else "completed"
        else:
            status, metrics, error = _train(config, run_dir, events, stop_requested, telemetry, progress, clock,
                                            Path(launch["store"]), noted)
    except BaseException as err:  # noqa: BLE001 - every failure must end in a stored record
        status, error = _classify_failure(err)
        metrics.update(progress.metrics())  # how far training got, so the derived metrics exist too
        if hasattr(err, "step"):
            metrics["diverged_at_step"] = err.step
        events.emit(ErrorEvent(message=error, traceback=traceback.format_exc()[-4000:]))
    finally:
        heartbeat.set()
        if "power_limit" in noted:
            noted["power_limit"] = _restore_power(run_dir, events)
        measurement, phases, folded = _stop_measuring(run_dir, telemetry, clock, baseline, metrics)
        measurement["lease"] = lease_doc
        measurement.update(noted)
        from greentui.worker.carbon_timing import time_varying_co2

        time_varying_co2(run_dir, config.country, carbon, metrics, measurement)
        _save_curves(run_dir, events, stored_curves(folded))
        events.emit(SummaryEvent(status=status, metrics=metrics, measurement=measurement, phases=phases))
        _store_update(store, events, run_id, status=status, finished_at=utc_now(), metrics=metrics,
                      measurement=measurement, phases=phases, error=error)
        events.emit(StatusEvent(status=status, reason=error))
        events.close()
    return 0 if status == "completed" else 1


def _cap_power(watts: int, run_dir: Path, events: EventWriter) -> dict[str, Any]:
    """Cap the run's GPUs (greentui.worker.power_limits); what the record keeps of it, said as an event too."""
    from greentui.worker.power_limits import apply

    doc = apply(watts, run_dir)
    enforced = ", ".join(f"GPU {g['index']} {g['enforced_w']:g} W (was {g['original_w']:g} W)" for g in doc["gpus"])
    events.emit(InfoEvent(message=f"power limit set: {enforced}"))
    return doc


def _restore_power(run_dir: Path, events: EventWriter) -> dict[str, Any]:
    """Put the GPUs' limits back, whatever ended the run; the record's power_limit, now with `restored`."""
    from greentui.worker.power_limits import STATE_FILE, record_doc, restore

    try:
        for line in restore(run_dir):
            events.emit(InfoEvent(message=line))
    except Exception as err:  # noqa: BLE001 - the next greentui ls tries again (the pending marker stays)
        events.emit(InfoEvent(message=f"power limits not put back yet ({type(err).__name__}: {err}); "
                                      "the next greentui ls or start tries again"))
    state = json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8"))
    return record_doc(state)


def _parent_model(store_path: Path, parent_id: str) -> Path:
    """The saved model of the run this one deploys, checked again: the store may have changed since launch."""
    from greentui.store.run_dirs import saved_model_folder

    return saved_model_folder(RunStore(store_path), parent_id)[1]


def _stop_measuring(run_dir: Path, telemetry: Any, clock: PhaseClock, baseline: IdleBaseline | None,
                    metrics: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], RunSnapshot]:
    """Stop the telemetry and add its figures to `metrics`; (measurement, phases, the folded events)."""
    measured = telemetry.stop()
    measurement: dict[str, Any] = measured["measurement"]
    metrics.update(measured["metrics"])
    phases = clock.close(_final_reading(measured["metrics"]))
    metrics["measured_s"] = round(sum(p["duration_s"] for p in phases.values()), 3)
    if INFER in phases:  # the run's energy less this is what training cost (a model's life: greentui report)
        metrics["inference_energy_kwh"] = phases[INFER]["energy_kwh"]
    if baseline is not None:
        metrics.update(baseline.metrics(metrics))
        measurement["idle_baseline"] = baseline.describe()
    folded = fold(read_all(run_dir / EVENTS_FILE))
    # Average and peak power as every reader of the events defines them (the reducer's).
    metrics.update({k: v for k, v in folded.metrics().items() if k.endswith("_power_w")})
    metrics.update(derived_metrics(metrics))
    gpu_power = folded.power.get("gpu")
    measurement["uncertainty"] = uncertainties(metrics, measurement, gpu_power.relative_error if gpu_power else None)
    return measurement, phases, folded


class TrainingProgress:
    """How far training got: time, steps and samples, also for a run that ends in an exception."""

    def __init__(self) -> None:
        self.started: float | None = None
        self.ended: float | None = None
        self.steps: int | None = None  # the Trainer's count once training is over
        self.callback: Any = None  # the EventCallback, which counts the steps done
        self.samples_per_step = 0
        self.samples_cap = 0  # the samples of every epoch: the last batch of an epoch may be short

    def start(self, callback: Any, samples_per_step: int, samples_cap: int) -> None:
        """Training begins now."""
        self.callback, self.samples_per_step, self.samples_cap = callback, samples_per_step, samples_cap
        self.started = time.monotonic()

    def end(self, steps: int) -> None:
        """Training is over after `steps` (what follows, the final evaluation, is not training time)."""
        self.ended, self.steps = time.monotonic(), steps

    def metrics(self) -> dict[str, Any]:
        """duration_s, steps and samples_trained so far; nothing before training started."""
        if self.started is None or self.callback is None:
            return {}
        steps = self.callback.last_step if self.steps is None else self.steps
        return {"duration_s": (self.ended or time.monotonic()) - self.started, "steps": steps,
                "samples_trained": min(steps * self.samples_per_step, self.samples_cap)}


def _train(config: RunConfig, run_dir: Path, events: EventWriter, stop_requested: threading.Event,
           telemetry: Any, progress: TrainingProgress, clock: PhaseClock, store_path: Path,
           noted: dict[str, Any]) -> tuple[str, dict[str, Any], str | None]:
    """Load, train and evaluate once at the end, then save the model if asked; (status, metrics, why it
    stopped early or None). `noted` gets the record's measurement additions as soon as they are known."""
    from greentui.worker.budget import BudgetGuard
    from greentui.worker.callbacks import EventCallback, watch_loss
    from greentui.worker.training import build_plan

    samples_per_step = config.batch_size * config.grad_accum_steps
    eval_batches = [0]  # one evaluation's batches, known once the data is loaded
    callback = EventCallback(events, stop_requested, samples_per_step,
                             eval_batch_done=lambda done: clock.progress(done, eval_batches[0], "batches", "evaluating"))
    guard = BudgetGuard(events, lambda: telemetry.latest, config.energy_budget_kwh, config.co2_budget_kg,
                        measuring=telemetry.tracker is not None)
    plan = build_plan(config, run_dir / "checkpoints", callbacks=[callback, guard],
                      tokenising=lambda done, total: clock.progress(done, total, "rows", "tokenising"),
                      store_path=store_path)
    eval_batches[0] = plan.eval_batches
    noted["dataset"] = plan.dataset
    if plan.distillation:
        noted["distillation"] = plan.distillation
        events.emit(InfoEvent(message=f"distilling from {plan.distillation['teacher']} "
                                      f"({plan.distillation['teacher_params']:,} parameters)"))
    trainer = plan.trainer
    _mark_phases(trainer, clock)
    fault = os.environ.get("GREENTUI_FAULT_NAN_STEP")
    watch_loss(trainer.model, callback, nan_at_step=int(fault) if fault else None)
    events.emit(InfoEvent(
        message="setup done",
        device=plan.device,
        train_samples=plan.train_samples,
        eval_samples=plan.eval_samples,
        total_steps=plan.total_steps,
        trainable_params=plan.trainable_params,
        total_params=plan.total_params,
    ))
    clock.enter(TRAIN)
    progress.start(callback, samples_per_step, int(plan.train_samples * config.epochs))
    from greentui.worker.memory import PeakMemory

    with PeakMemory(plan.device) as train_memory:
        output = trainer.train()
    progress.end(trainer.state.global_step)
    noted["train_peak_memory_method"] = train_memory.method
    final_eval = _final_evaluation(trainer, callback, budget_spent=bool(guard.exceeded))
    metrics = {
        "accuracy": final_eval.get("eval_accuracy"),
        "f1": final_eval.get("eval_f1"),
        "eval_loss": final_eval.get("eval_loss"),
        "train_loss": output.training_loss,
        **progress.metrics(),
        "total_steps": plan.total_steps,
        "train_samples": plan.train_samples,
        "eval_samples": plan.eval_samples,
        "trainable_params": plan.trainable_params,
        "total_params": plan.total_params,
        "trainable_fraction": plan.trainable_params / max(1, plan.total_params),
        "evaluated_at_step": callback.final_step,
        "train_flops": float(trainer.state.total_flos),  # the Trainer's estimate: 6 × parameters × tokens
        "train_peak_mem_mb": train_memory.mb,
    }
    with clock.within(SAVE, "removing checkpoints"):
        _remove_checkpoints(run_dir / "checkpoints")
    if config.save_model and not guard.exceeded:  # a spent budget allows no more work
        from greentui.worker.saving import save_model

        with clock.within(SAVE, "saving the model"):
            metrics["saved_model_mb"] = save_model(trainer, run_dir / MODEL_FOLDER)
    status = "stopped" if callback.stopped_at is not None or guard.exceeded else "completed"
    if status == "completed":  # a stopped run is asked for no more work
        _compress_and_measure(trainer, config, plan, clock, telemetry, stop_requested, metrics, noted)
    return status, metrics, guard.exceeded


def _compress_and_measure(trainer: Any, config: RunConfig, plan: Any, clock: PhaseClock, telemetry: Any,
                          stop_requested: threading.Event, metrics: dict[str, Any], noted: dict[str, Any]) -> None:
    """Prune (with its recovery steps, as training) and run the inference phase, as the config asks."""
    from greentui.worker.deployment import measure_deployed, prune_trained
    from greentui.worker.inference import deployable

    model = deployable(trainer.model)
    if config.pruning > 0:
        clock.enter(TRAIN, f"pruning {config.pruning:.0%} ({config.pruning_method})")
        noted["pruning"] = prune_trained(model, config, trainer.get_train_dataloader)
        metrics["pruning_sparsity"] = noted["pruning"]["sparsity"]
    if config.inference_samples > 0 and not stop_requested.is_set():
        clock.enter(INFER, "measuring the deployed model")
        figures, noted["inference"] = measure_deployed(
            model, config, trainer.eval_dataset, trainer.data_collator, plan.device, telemetry.reading,
            stop_requested, lambda done, total, unit, detail: clock.progress(done, total, unit, detail))
        metrics.update(figures)


def _mark_phases(trainer: Any, clock: PhaseClock) -> None:
    """Time every evaluation as `eval` and checkpoint saves and loads as `save`, wherever the Trainer makes them.

    The Trainer calls these through `self`, so wrapping them on the instance catches its own calls too."""
    trainer.evaluate = clock.wrap(EVAL, trainer.evaluate)
    for name in ("_save_checkpoint", "_load_best_model"):  # private, hence checked: a rename only loses the split
        if callable(getattr(trainer, name, None)):
            setattr(trainer, name, clock.wrap(SAVE, getattr(trainer, name)))


def _final_evaluation(trainer: Any, callback: Any, budget_spent: bool) -> dict[str, Any]:
    """The run's result: one evaluation of the final weights, made now only where none exists yet.

    The weights the run ends with were already evaluated when the Trainer's last scheduled evaluation
    fell on the last step, or when early stopping loaded back its best checkpoint (evaluated at
    its step); a spent budget allows no more work, so the last evaluation during training stands.
    Either way exactly one eval event is marked final.
    """
    state = trainer.state
    best = state.best_global_step if trainer.args.load_best_model_at_end else None
    if budget_spent:
        step = callback.last_eval_step
    elif best is not None and best in callback.evals:
        step = best
    elif callback.last_eval_step == state.global_step and not trainer.args.load_best_model_at_end:
        step = state.global_step
    else:
        callback.final_next = True
        trainer.evaluate()  # its on_evaluate emits the final eval event
        callback.final_step = state.global_step
        return callback.last_eval or {}
    callback.final_step = step
    if step is None:
        return {}
    if not callback.final_emitted:  # say which evaluation the result is (its curve point exists already)
        callback.emit_eval(step, state.epoch, callback.evals[step], final=True)
    return callback.evals[step]


def _final_reading(figures: dict[str, Any]) -> tuple[float, float] | None:
    """CodeCarbon's final (kWh, kg), where it gave them: the end of the last phase."""
    energy, emissions = figures.get("energy_kwh"), figures.get("emissions_kg")
    return (energy, emissions) if isinstance(energy, float) and isinstance(emissions, float) else None


def _classify_failure(err: BaseException) -> tuple[str, str]:
    from greentui.runs.lease import LeaseStopped
    from greentui.worker.callbacks import Diverged

    if isinstance(err, LeaseStopped):
        # Before anything was measured: while waiting for a device, or for a low-carbon window.
        return "stopped", "stopped while waiting for a low-carbon window" if "low-carbon" in str(err) else \
            "stopped while waiting for its devices"
    if isinstance(err, Diverged):
        return "diverged", str(err)
    if isinstance(err, KeyboardInterrupt):
        return "stopped", "interrupted"
    message = f"{type(err).__name__}: {err}".splitlines()[0][:500]
    if "out of memory" in message.lower():
        message += (" — to cut memory: smaller batch_size with grad_accum_steps, gradient_checkpointing, "
                    "mixed_precision, or lora")
    return "failed", message


def _install_signal_handlers(stop_requested: threading.Event) -> None:
    # SIGTERM (greentui stop) ends training at the next step with results kept;
    # SIGHUP (a closed terminal) must not end the run at all.
    signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
    signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
    signal.signal(signal.SIGHUP, signal.SIG_IGN)


def _start_heartbeat(events: EventWriter) -> threading.Event:
    done = threading.Event()

    def beat() -> None:
        while not done.wait(HEARTBEAT_S):
            events.emit(HeartbeatEvent())

    threading.Thread(target=beat, name="greentui-heartbeat", daemon=True).start()
    return done


def _save_curves(run_dir: Path, events: EventWriter, curves: dict[str, Any]) -> None:
    """Curves go to the run folder (not runs.json, which stays small); failing that, the events keep them."""
    try:
        save_curves(run_dir, curves)
    except OSError as err:
        events.emit(ErrorEvent(message=f"could not write {CURVES_FILE}: {err.strerror}"))


def _store_update(store: RunStore, events: EventWriter, run_id: str, **changes: Any) -> None:
    """Write to the store; if it cannot be written, the events file still holds everything."""
    try:
        store.update(run_id, **changes)
    except StoreError as err:
        events.emit(ErrorEvent(message=f"could not write the run store: {err}"))


def _remove_checkpoints(folder: Path) -> None:
    """Early-stopping checkpoints are only needed until the best model is loaded back."""
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
