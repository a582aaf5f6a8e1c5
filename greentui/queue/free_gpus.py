"""The GPUs of this box a new run may have now: asked of NVML and of the machine-wide device leases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from greentui.queue.executor_spec import ExecutorError
from greentui.runs.lease import gpu_device, held_keys


@dataclass(frozen=True)
class Gpu:
    """One GPU as NVML numbers and names it."""

    index: int
    uuid: str
    name: str


def box_gpus() -> list[tuple[Gpu, bool]]:
    """Every GPU NVML sees, and whether a compute process is on it (another user's job, say), in one NVML
    session; ExecutorError when there is no NVML."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as err:  # noqa: BLE001 - no library, no driver: the gpus executor has nothing to run on
        raise ExecutorError(f"executor 'gpus': needs NVIDIA GPUs and NVML ({type(err).__name__}: {err})") from None
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            gpu = Gpu(index, _text(pynvml.nvmlDeviceGetUUID(handle)), _text(pynvml.nvmlDeviceGetName(handle)))
            gpus.append((gpu, _has_processes(pynvml, handle)))
        return gpus
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutting down is best effort
            pass


def _has_processes(pynvml: Any, handle: Any) -> bool:
    try:
        return bool(pynvml.nvmlDeviceGetComputeRunningProcesses(handle))
    except Exception:  # noqa: BLE001 - an old driver without the call: a GPU NVML cannot say of counts as free
        return False


def _chosen(gpus: list[tuple[Gpu, bool]], chosen: tuple[int, ...]) -> list[tuple[Gpu, bool]]:
    if not gpus:
        raise ExecutorError("executor 'gpus': NVML sees no GPU on this machine")
    missing = [i for i in chosen if i >= len(gpus)]
    if missing:
        raise ExecutorError(f"--gpus {','.join(map(str, chosen))}: this machine has GPUs 0-{len(gpus) - 1}, "
                            f"not {missing[0]}")
    return [gpus[i] for i in chosen] if chosen else gpus


def check_gpus(chosen: tuple[int, ...]) -> list[Gpu]:
    """The GPUs a gpus executor uses (`chosen` indices, or all); ExecutorError naming an index the box lacks."""
    return [gpu for gpu, _busy in _chosen(box_gpus(), chosen)]


def free_gpus(chosen: tuple[int, ...]) -> list[Gpu]:
    """Those of the chosen GPUs that nobody's run holds (device lease) and NVML lists no process on."""
    held = held_keys()
    return [gpu for gpu, busy in _chosen(box_gpus(), chosen)
            if not busy and gpu_device(gpu.index, gpu.uuid).key not in held]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
