"""A simulated NVIDIA GPU for greentui's tests: a stand-in for the `pynvml` module of nvidia-ml-py.

Tests put this folder first on PYTHONPATH, so the worker's sampler and CodeCarbon both import
it as `pynvml` (tests.support.simulated_gpu_env). It marks itself simulated: `SIMULATED = True`
and every GPU's name starts "Simulated", so nothing it reports can pass for a real measurement.

The GPUs come from a JSON file named by GREENTUI_FAKE_GPU_SPEC, read at the first nvmlInit:

    {"driver_version": "550.54.15",
     "gpus": [{"name": "Simulated H100", "uuid": "GPU-…", "power_w": 250,
               "power_trace": [[0, 80], [3.5, 300]],  # instead of power_w: [second, watts from then on]…
               "power_limit_w": 700, "util_pct": 90, "memory_total_mb": 81920, "memory_used_mb": 2048,
               "temperature_c": 60, "energy_counter": true, "energy_at_start_mj": 0,
               "lost_after_s": 12, "lost_once_exists": "/path/flag",  # then every call on it: GPU is lost
               "errors": [{"call": "nvmlDeviceGetPowerUsage", "every": 4, "error": "Timeout"},
                          {"call": "*", "from_s": 2, "to_s": 3}],
               "processes": [[4242, 512]],                 # pid, used MiB
               "power_limit_range_w": [100, 700],          # what nvmlDeviceSetPowerManagementLimit accepts
               "allow_set": true}],                        # else setting a limit is NO_PERMISSION, as for non-root
     "power_limit_log": "/path/limits.jsonl"}             # every set call, one JSON line each

Every set call is logged (uuid, milliwatts, pid) whether it succeeds or not, and the log is the
limit's state across processes: a GPU's limit is the last successful set in it, else the spec's
power_limit_w, so a worker's cap is still there for the process that restores it after a kill.

Seconds count from this module's import (its initialisation in the process). The energy counter
is the exact integral of the power trace. `processes` alone is re-read from the file at each
query, so a test can add a process mid-run by rewriting the file.
"""

from __future__ import annotations

import json
import os
import string
import threading
import time
from types import SimpleNamespace
from typing import Any

SIMULATED = True
SPEC_ENV = "GREENTUI_FAKE_GPU_SPEC"
_T0 = time.monotonic()

NVML_SUCCESS = 0
NVML_TEMPERATURE_GPU = 0
NVML_COMPUTEMODE_DEFAULT = 0
_ERROR_CODES = {"UNINITIALIZED": 1, "INVALID_ARGUMENT": 2, "NOT_SUPPORTED": 3, "NO_PERMISSION": 4,
                "ALREADY_INITIALIZED": 5, "NOT_FOUND": 6, "DRIVER_NOT_LOADED": 9, "TIMEOUT": 10,
                "LIBRARY_NOT_FOUND": 12, "FUNCTION_NOT_FOUND": 13, "GPU_IS_LOST": 15, "UNKNOWN": 999}


class NVMLError(Exception):
    """As in nvidia-ml-py: NVMLError(code) is an instance of that code's subclass (NVMLError_GpuIsLost…)."""

    _by_code: dict[int, type[NVMLError]] = {}
    value: int

    def __new__(cls, value: int = 999) -> NVMLError:
        error = Exception.__new__(NVMLError._by_code.get(value, cls) if cls is NVMLError else cls)
        error.value = value
        return error

    def __str__(self) -> str:
        return nvmlErrorString(self.value)


_ERRORS: dict[str, type[NVMLError]] = {}
for _name, _code in _ERROR_CODES.items():
    globals()[f"NVML_ERROR_{_name}"] = _code
    _title = string.capwords(_name, "_").replace("_", "")  # GPU_IS_LOST -> GpuIsLost, as nvidia-ml-py names it
    _cls = type(f"NVMLError_{_title}", (NVMLError,),
                {"__new__": lambda c, *_, _v=_code: NVMLError.__new__(c, _v),
                 "__init__": lambda self, *_, _v=_code: Exception.__init__(self, _v)})
    NVMLError._by_code[_code] = _ERRORS[_title] = globals()[_cls.__name__] = _cls


def _error(title: str) -> NVMLError:
    return _ERRORS.get(title, _ERRORS["Unknown"])()


class c_nvmlMemory_t(SimpleNamespace):  # noqa: N801 - nvidia-ml-py's name; CodeCarbon builds one
    def __init__(self, total: int, free: int, used: int) -> None:
        super().__init__(total=total, free=free, used=used)


class c_nvmlUtilization_t(SimpleNamespace):  # noqa: N801 - nvidia-ml-py's name
    def __init__(self, gpu: int, memory: int) -> None:
        super().__init__(gpu=gpu, memory=memory)


class _Gpu:
    """One simulated GPU as the spec describes it; it is also its own NVML handle."""

    def __init__(self, index: int, spec: dict[str, Any]) -> None:
        self.index, self.spec = index, spec
        name = str(spec.get("name", f"Simulated GPU {index}"))
        self.name = name if name.startswith("Simulated") else f"Simulated {name}"
        self.uuid = str(spec.get("uuid", f"GPU-00000000-5151-4000-8000-{index:012d}"))
        trace = spec.get("power_trace") or [[0.0, spec.get("power_w", 100.0)]]
        self.trace = sorted((float(t), float(w)) for t, w in trace)
        self.calls: dict[str, int] = {}

    def watts(self, at: float) -> float:
        """The trace's value at `at` s: each point's watts hold until the next (the first's, from 0)."""
        return next((w for t, w in reversed(self.trace) if t <= at), self.trace[0][1])

    def joules(self, until: float) -> float:
        """The exact integral of the trace from 0 to `until` seconds."""
        total = 0.0
        for k, (start, watts) in enumerate(self.trace):
            begin = 0.0 if k == 0 else max(start, 0.0)
            end = self.trace[k + 1][0] if k + 1 < len(self.trace) else float("inf")
            total += watts * max(min(end, until) - begin, 0.0)
        return total

    def check(self, call: str) -> None:
        """Raise what the spec's faults say for this call now."""
        now = _now()
        lost_after, flag = self.spec.get("lost_after_s"), self.spec.get("lost_once_exists")
        if (lost_after is not None and now >= float(lost_after)) or (flag and os.path.exists(flag)):
            raise _error("GpuIsLost")
        with _LOCK:
            self.calls[call] = count = self.calls.get(call, 0) + 1
        for fault in self.spec.get("errors", []):
            if fault.get("call", "*") not in ("*", call):
                continue
            every = fault.get("every")
            timed = "from_s" in fault and float(fault["from_s"]) <= now < float(fault.get("to_s", "inf"))
            if timed or (every and count % int(every) == 0):
                raise _error(str(fault.get("error", "Unknown")))


_LOCK = threading.Lock()
_state: dict[str, Any] = {"inits": 0, "gpus": None, "driver": "", "path": ""}


def _now() -> float:
    return time.monotonic() - _T0


def _read_spec(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        spec = json.load(handle)
    if not isinstance(spec, dict) or not isinstance(spec.get("gpus"), list):
        raise ValueError(f"{SPEC_ENV}: expected an object with a 'gpus' list")
    return spec


def _gpu(handle: Any, call: str) -> _Gpu:
    if not _state["inits"]:
        raise _error("Uninitialized")
    if not isinstance(handle, _Gpu):
        raise _error("InvalidArgument")
    handle.check(call)
    return handle


def _gpus() -> list[_Gpu]:
    if not _state["inits"]:
        raise _error("Uninitialized")
    return _state["gpus"]


def nvmlInit() -> None:
    with _LOCK:
        if _state["gpus"] is None:
            path = os.environ.get(SPEC_ENV)
            if not path:
                raise _error("LibraryNotFound")
            spec = _read_spec(path)
            _state.update(gpus=[_Gpu(i, g) for i, g in enumerate(spec["gpus"])], path=path,
                          driver=str(spec.get("driver_version", "550.54.15")))
        _state["inits"] += 1  # counted, as the real library does: each nvmlInit needs its nvmlShutdown


def nvmlShutdown() -> None:
    with _LOCK:
        if not _state["inits"]:
            raise _error("Uninitialized")
        _state["inits"] -= 1


def nvmlErrorString(result: int) -> str:
    title = next((t for t, cls in _ERRORS.items() if NVMLError._by_code.get(result) is cls), "Unknown")
    return f"{title} (simulated NVML error {result})"


def nvmlSystemGetDriverVersion() -> str:
    _gpus()
    return str(_state["driver"])


def nvmlDeviceGetCount() -> int:
    return len(_gpus())


def nvmlDeviceGetHandleByIndex(index: int) -> _Gpu:
    gpus = _gpus()
    if not isinstance(index, int) or not 0 <= index < len(gpus):
        raise _error("InvalidArgument")
    return _gpu(gpus[index], "nvmlDeviceGetHandleByIndex")


def nvmlDeviceGetName(handle: Any) -> str:
    return _gpu(handle, "nvmlDeviceGetName").name


def nvmlDeviceGetUUID(handle: Any) -> str:
    return _gpu(handle, "nvmlDeviceGetUUID").uuid


def nvmlDeviceGetPowerUsage(handle: Any) -> int:
    """Milliwatts now."""
    return int(round(_gpu(handle, "nvmlDeviceGetPowerUsage").watts(_now()) * 1000))


def nvmlDeviceGetTotalEnergyConsumption(handle: Any) -> int:
    """Millijoules since the (simulated) driver loaded: the power trace's integral."""
    gpu = _gpu(handle, "nvmlDeviceGetTotalEnergyConsumption")
    if not gpu.spec.get("energy_counter", True):
        raise _error("NotSupported")  # as on GPUs before Volta
    return int(gpu.spec.get("energy_at_start_mj", 0)) + int(gpu.joules(_now()) * 1000)


def nvmlDeviceGetEnforcedPowerLimit(handle: Any) -> int:
    return _limit_mw(_gpu(handle, "nvmlDeviceGetEnforcedPowerLimit"))


def nvmlDeviceGetPowerManagementLimit(handle: Any) -> int:
    return _limit_mw(_gpu(handle, "nvmlDeviceGetPowerManagementLimit"))


def nvmlDeviceGetPowerManagementLimitConstraints(handle: Any) -> tuple[int, int]:
    gpu = _gpu(handle, "nvmlDeviceGetPowerManagementLimitConstraints")
    low, high = gpu.spec.get("power_limit_range_w", [100, gpu.spec.get("power_limit_w", 300)])
    return int(float(low) * 1000), int(float(high) * 1000)


def nvmlDeviceSetPowerManagementLimit(handle: Any, limit_mw: int) -> None:
    gpu = _gpu(handle, "nvmlDeviceSetPowerManagementLimit")
    low, high = nvmlDeviceGetPowerManagementLimitConstraints(gpu)
    ok = bool(gpu.spec.get("allow_set", False)) and isinstance(limit_mw, int) and low <= limit_mw <= high
    _log_set(gpu, limit_mw, ok)
    if not gpu.spec.get("allow_set", False):
        raise _error("NoPermission")
    if not ok:
        raise _error("InvalidArgument")


def _limit_log() -> str | None:
    try:
        return _read_spec(_state["path"]).get("power_limit_log")
    except (OSError, ValueError):
        return None


def _log_set(gpu: _Gpu, limit_mw: Any, ok: bool) -> None:
    path = _limit_log()
    if path:
        with _LOCK, open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"uuid": gpu.uuid, "mw": limit_mw, "ok": ok, "pid": os.getpid()}) + "\n")


def _limit_mw(gpu: _Gpu) -> int:
    """The last successful set in the log (any process's), else the spec's limit."""
    limit = int(float(gpu.spec.get("power_limit_w", 300)) * 1000)
    path = _limit_log()
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                entry = json.loads(line)
                if entry["uuid"] == gpu.uuid and entry["ok"]:
                    limit = int(entry["mw"])
    return limit


def nvmlDeviceGetUtilizationRates(handle: Any) -> c_nvmlUtilization_t:
    util = int(_gpu(handle, "nvmlDeviceGetUtilizationRates").spec.get("util_pct", 0))
    return c_nvmlUtilization_t(gpu=util, memory=util)


def nvmlDeviceGetMemoryInfo(handle: Any) -> c_nvmlMemory_t:
    """Bytes; the used figure includes the memory of the processes listed now."""
    gpu = _gpu(handle, "nvmlDeviceGetMemoryInfo")
    total = int(float(gpu.spec.get("memory_total_mb", 16384)) * 2**20)
    used = int(float(gpu.spec.get("memory_used_mb", 0)) * 2**20) + sum(p.usedGpuMemory for p in _processes(gpu))
    return c_nvmlMemory_t(total=total, free=max(total - used, 0), used=min(used, total))


def nvmlDeviceGetTemperature(handle: Any, sensor: int) -> int:
    if sensor != NVML_TEMPERATURE_GPU:
        raise _error("NotSupported")
    return int(_gpu(handle, "nvmlDeviceGetTemperature").spec.get("temperature_c", 40))


def nvmlDeviceGetComputeMode(handle: Any) -> int:
    _gpu(handle, "nvmlDeviceGetComputeMode")
    return NVML_COMPUTEMODE_DEFAULT


def nvmlDeviceGetComputeRunningProcesses(handle: Any) -> list[SimpleNamespace]:
    return _processes(_gpu(handle, "nvmlDeviceGetComputeRunningProcesses"))


def nvmlDeviceGetGraphicsRunningProcesses(handle: Any) -> list[SimpleNamespace]:
    _gpu(handle, "nvmlDeviceGetGraphicsRunningProcesses")
    return []


def _processes(gpu: _Gpu) -> list[SimpleNamespace]:
    """The GPU's `processes` as the spec file says now (re-read: a test may add one mid-run)."""
    try:
        listed = _read_spec(_state["path"])["gpus"][gpu.index].get("processes", [])
    except (OSError, ValueError, IndexError, AttributeError):
        listed = gpu.spec.get("processes", [])
    return [SimpleNamespace(pid=int(pid), usedGpuMemory=int(float(mib) * 2**20),
                            gpuInstanceId=0xFFFFFFFF, computeInstanceId=0xFFFFFFFF) for pid, mib in listed]
