"""Which devices a run trains on, and the machine-wide lease on them (greentui.runs.lease).

A run on GPUs leases each of its GPUs by NVML UUID (the same GPU whichever index CUDA gives it);
a run on the CPU leases the CPU. The lease is taken before anything is measured, so the time spent
waiting for another run to finish is in no figure.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from greentui.events.log import EventWriter
from greentui.events.schema import WAITING, InfoEvent, PhaseEvent
from greentui.runs.gpu_select import select_gpus
from greentui.runs.lease import CPU, Device, Lease, LeaseError, gpu_device


def run_devices() -> list[Device]:
    """The run's GPUs (those CUDA_VISIBLE_DEVICES leaves it) when torch sees CUDA, else the CPU."""
    import torch

    if not torch.cuda.is_available():
        return [CPU]
    try:
        import pynvml

        pynvml.nvmlInit()
        try:
            handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
            uuids = [_text(pynvml.nvmlDeviceGetUUID(h)) for h in handles]
            names = [_text(pynvml.nvmlDeviceGetName(h)) for h in handles]
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # noqa: BLE001 - CUDA without NVML: lease by CUDA's own numbering
        return [Device(f"cuda-{i}", f"GPU {i}") for i in range(torch.cuda.device_count())]
    selection = select_gpus(os.environ.get("CUDA_VISIBLE_DEVICES"), uuids, names, os.environ.get("CUDA_DEVICE_ORDER"))
    return [gpu_device(i, uuids[i]) for i in selection.indices] or [CPU]


def pinned_devices(devices: list[Device]) -> list[Device]:
    """A run the gpus executor pinned to a GPU holds that GPU's lease, not the CPU's, even where torch
    trains on the CPU (the simulated GPU): the CPU is shared by the box's runs, and measured as shared."""
    if devices != [CPU]:
        return devices
    from greentui.worker.power_limits import capped_devices

    try:
        return capped_devices() or devices
    except Exception:  # noqa: BLE001 - no NVML: the CPU's lease, as any CPU run
        return devices


def take_lease(devices: list[Device], events: EventWriter, stop: threading.Event,
               allow_overlap: bool) -> tuple[Lease | None, dict[str, Any]]:
    """Wait for the devices (saying so as `waiting` phase events); the lease and what the record keeps of it.

    Raises LeaseStopped when a stop comes while waiting. A lease folder that cannot be used is no
    reason to lose the run: it goes on unprotected, and the record and an event say why."""
    def waiting(message: str) -> None:
        events.emit(PhaseEvent(phase=WAITING, detail=message))

    try:
        lease = Lease.acquire(devices, on_wait=waiting, stop=stop, allow_overlap=allow_overlap)
    except LeaseError as err:
        events.emit(InfoEvent(message=f"no device lease ({err}): another run may share this run's devices"))
        return None, {"devices": [d.key for d in devices], "error": str(err)}
    return lease, {**lease.as_doc(), "allow_overlap": allow_overlap}


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
