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


def box_gpus() -> list[Gpu]:
    """Every GPU NVML sees; ExecutorError when there is no NVML or no GPU."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as err:  # noqa: BLE001 - no library, no driver: the gpus executor has nothing to run on
        raise ExecutorError(f"executor 'gpus': needs NVIDIA GPUs and NVML ({type(err).__name__}: {err})") from None
    try:
        gpus = []
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            gpus.append(Gpu(index, _text(pynvml.nvmlDeviceGetUUID(handle)), _text(pynvml.nvmlDeviceGetName(handle))))
        return gpus
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutting down is best effort
            pass


def check_gpus(chosen: tuple[int, ...]) -> list[Gpu]:
    """The GPUs a gpus executor uses (`chosen` indices, or all); ExecutorError naming an index the box lacks."""
    gpus = box_gpus()
    if not gpus:
        raise ExecutorError("executor 'gpus': NVML sees no GPU on this machine")
    missing = [i for i in chosen if i >= len(gpus)]
    if missing:
        raise ExecutorError(f"--gpus {','.join(map(str, chosen))}: this machine has GPUs 0-{len(gpus) - 1}, "
                            f"not {missing[0]}")
    return [gpus[i] for i in chosen] if chosen else gpus


def free_gpus(chosen: tuple[int, ...]) -> list[Gpu]:
    """Those of the chosen GPUs that nobody's run holds (device lease) and NVML lists no process on."""
    gpus = check_gpus(chosen)
    held = held_keys()
    busy = _busy_uuids()
    return [gpu for gpu in gpus if gpu_device(gpu.index, gpu.uuid).key not in held and gpu.uuid not in busy]


def _busy_uuids() -> set[str]:
    """GPUs with a compute process on them (another user's job, say); a GPU NVML cannot say of counts as free."""
    import pynvml

    busy = set()
    pynvml.nvmlInit()
    try:
        for index in range(pynvml.nvmlDeviceGetCount()):
            handle = pynvml.nvmlDeviceGetHandleByIndex(index)
            try:
                if pynvml.nvmlDeviceGetComputeRunningProcesses(handle):
                    busy.add(_text(pynvml.nvmlDeviceGetUUID(handle)))
            except Exception:  # noqa: BLE001 - an old driver without the call
                continue
    finally:
        pynvml.nvmlShutdown()
    return busy


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
