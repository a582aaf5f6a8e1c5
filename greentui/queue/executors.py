"""The executors a queue's runs start on: where each may start now, and how it is placed there.

- `local`: one run at a time, here (the device lease would make a second one wait anyway).
- `gpus`: one run per GPU of the box at once, each pinned to its GPU with CUDA_VISIBLE_DEVICES (by
  UUID, which CUDA and NVML read alike) and measured on it alone; its CPU and RAM energy is the
  box's split between the runs (greentui.worker.shared_host). A GPU is free when no run of this
  queue is on it, nobody holds its device lease and NVML lists no process on it.
- `slurm`: one Slurm job per run through submitit (greentui.queue.slurm, an optional extra).

The runner (greentui.queue.runner) asks `capacity`, starts one run per slot with `launch(...,
placement=executor.placement(store, slot))`, and asks `refresh` of each active run on every poll.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol

from greentui.queue.batch import batch_module
from greentui.queue.executor_spec import ExecutorSpec
from greentui.runs.launch import Placement
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore


@dataclass(frozen=True)
class Slot:
    """Room for one more run: what its worker's environment gets and what its record says of where it went."""

    label: str
    env: Mapping[str, str] = field(default_factory=dict)
    executor: Mapping[str, Any] = field(default_factory=dict)


class Executor(Protocol):
    """What the runner needs of an executor."""

    spec: ExecutorSpec

    def capacity(self, store: RunStore, active: list[RunRecord]) -> list[Slot]:
        """Where runs may start now, one slot per run; `active`: this executor's runs not finished."""

    def placement(self, store: RunStore, slot: Slot) -> Placement:
        """How launch places a run in `slot`."""

    def refresh(self, store: RunStore, record: RunRecord) -> RunRecord:
        """The run as its executor knows it now (a batch job's state); the others have nothing to add."""

    def cancel(self, store: RunStore, record: RunRecord) -> None:
        """Stop the run, wherever it is."""


class LocalExecutor:
    """One run at a time, on this machine."""

    def __init__(self, spec: ExecutorSpec) -> None:
        self.spec = spec

    def capacity(self, store: RunStore, active: list[RunRecord]) -> list[Slot]:
        return [] if active else [Slot("here", executor={"kind": "local"})]

    def placement(self, store: RunStore, slot: Slot) -> Placement:
        return Placement(env=dict(slot.env), executor=dict(slot.executor))

    def refresh(self, store: RunStore, record: RunRecord) -> RunRecord:
        return record

    def cancel(self, store: RunStore, record: RunRecord) -> None:
        from greentui.runs.process import StopRefused, stop

        try:
            stop(store, record, grace_s=30.0)
        except StopRefused:
            pass  # not this host's, or not a process greentui can identify: never signalled


class GpusExecutor(LocalExecutor):
    """One run per GPU of the box at once."""

    def capacity(self, store: RunStore, active: list[RunRecord]) -> list[Slot]:
        from greentui.queue.free_gpus import free_gpus

        taken = {str(r.executor.get("uuid")) for r in active}
        return [Slot(f"GPU {gpu.index}", env={"CUDA_VISIBLE_DEVICES": gpu.uuid},
                     executor={"kind": "gpus", "gpu": gpu.index, "uuid": gpu.uuid, "name": gpu.name})
                for gpu in free_gpus(self.spec.gpus) if gpu.uuid not in taken]


def executor_for(spec: ExecutorSpec) -> Executor:
    """The executor a spec names; ExecutorError when its extra is not installed."""
    if spec.kind == "local":
        return LocalExecutor(spec)
    if spec.kind == "gpus":
        return GpusExecutor(spec)
    executor: Executor = batch_module("slurm").SlurmExecutor(spec)
    return executor
