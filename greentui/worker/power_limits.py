"""GPU power caps (config key power_limit_w): set through NVML on each of the run's GPUs, and put back.

Setting a limit needs root (NVML refuses anyone else), and it holds for everyone on that GPU, so a
capped run leases its GPUs (greentui.runs.lease) and puts every limit back however it ends. The run
folder's power_limits.json is written before any limit changes, and an empty file named by the run
in the store's runs/power-limits-pending/ says a restore is owed: a worker killed before it could
put the limits back is restored from those by the next `greentui ls` or TUI start
(greentui.runs.power_restore), which finds the owed restores by listing that folder, not by
reading every run.

Run as `python -m greentui.worker.power_limits check WATTS` it prints, as one line of JSON, why a
cap cannot be set here (or null); `restore RUN_DIR` puts a dead run's limits back and prints what
it did. The launcher and reconcile use these, so neither imports pynvml.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Iterator

from greentui.runs.gpu_select import select_gpus
from greentui.runs.lease import Device, Lease, gpu_device
from greentui.store.atomic import replace_text

STATE_FILE = "power_limits.json"
PENDING_FOLDER = "power-limits-pending"
KEY = "power_limit_w"


class PowerLimitError(RuntimeError):
    """A cap cannot be set (or checked); the message names the key and what is missing."""


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class _Nvml:
    """NVML, initialised for a `with` block."""

    def __enter__(self) -> Any:
        try:
            import pynvml

            pynvml.nvmlInit()
        except Exception as err:  # noqa: BLE001 - no library, no driver, no GPU: all mean "cannot cap"
            raise PowerLimitError(f"config key '{KEY}': needs an NVIDIA GPU and NVML ({type(err).__name__}: {err})") from None
        self.nvml = pynvml
        return pynvml

    def __exit__(self, *_: object) -> None:
        try:
            self.nvml.nvmlShutdown()
        except Exception:  # noqa: BLE001 - shutting down is best effort
            pass


def _run_gpus(pynvml: Any) -> Iterator[tuple[int, str, Any]]:
    """(index, uuid, handle) of the GPUs the run is measured on: those CUDA_VISIBLE_DEVICES leaves it."""
    handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
    uuids = [_text(pynvml.nvmlDeviceGetUUID(h)) for h in handles]
    names = [_text(pynvml.nvmlDeviceGetName(h)) for h in handles]
    selection = select_gpus(os.environ.get("CUDA_VISIBLE_DEVICES"), uuids, names, os.environ.get("CUDA_DEVICE_ORDER"))
    for index in selection.indices:
        yield index, uuids[index], handles[index]


def check(watts: int) -> str | None:
    """Why `watts` cannot be set on the run's GPUs here (no GPU, out of range, not root), or None.

    Permission is asked of NVML itself by setting each GPU's limit to what it is already: a
    change of nothing, which NVML refuses exactly when it would refuse the cap."""
    try:
        with _Nvml() as pynvml:
            gpus = list(_run_gpus(pynvml))
            if not gpus:
                return f"config key '{KEY}': needs an NVIDIA GPU and NVML sees none for this run"
            for index, _uuid, handle in gpus:
                low, high = (int(v) for v in pynvml.nvmlDeviceGetPowerManagementLimitConstraints(handle))
                if not low <= watts * 1000 <= high:
                    return f"config key '{KEY}': {watts} W is outside GPU {index}'s range [{low // 1000}, {high // 1000}] W"
                try:
                    pynvml.nvmlDeviceSetPowerManagementLimit(handle, int(pynvml.nvmlDeviceGetPowerManagementLimit(handle)))
                except Exception as err:  # noqa: BLE001 - NVMLError_NoPermission, most often
                    return (f"config key '{KEY}': setting GPU {index}'s power limit needs root "
                            f"(NVML said: {err}); run as root, or leave {KEY} at 0")
    except PowerLimitError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - any other NVML failure: cannot cap, say why
        return f"config key '{KEY}': NVML failed ({type(err).__name__}: {err})"
    return None


def capped_devices() -> list[Device]:
    """The leases a capped run must hold: its GPUs, even where it trains on the CPU (the cap is theirs)."""
    with _Nvml() as pynvml:
        return [gpu_device(index, uuid) for index, uuid, _handle in _run_gpus(pynvml)]


def pending_marker(run_dir: Path) -> Path:
    """The empty file that says `run_dir` owes a restore (beside the run folders, in the store's runs/)."""
    return run_dir.parent / PENDING_FOLDER / run_dir.name


def apply(watts: int, run_dir: Path) -> dict[str, Any]:
    """Cap each of the run's GPUs at `watts`; what the record keeps: asked, enforced and original, per GPU.

    The state file and the pending marker are written first, so a kill at any point after is
    restored later. PowerLimitError when a cap is refused; what was already set is put back."""
    state: dict[str, Any] = {"asked_w": watts, "gpus": [], "restored": False}
    with _Nvml() as pynvml:
        gpus = list(_run_gpus(pynvml))
        if not gpus:
            raise PowerLimitError(f"config key '{KEY}': needs an NVIDIA GPU and NVML sees none for this run")
        state["gpus"] = [{"index": index, "uuid": uuid, "original_mw": int(pynvml.nvmlDeviceGetPowerManagementLimit(h)),
                          "asked_mw": watts * 1000, "enforced_mw": None} for index, uuid, h in gpus]
        _save(run_dir, state)
        marker = pending_marker(run_dir)
        marker.parent.mkdir(mode=0o700, exist_ok=True)
        marker.touch(mode=0o600)
        try:
            for gpu, (_index, _uuid, handle) in zip(state["gpus"], gpus, strict=True):
                pynvml.nvmlDeviceSetPowerManagementLimit(handle, watts * 1000)
                gpu["enforced_mw"] = int(pynvml.nvmlDeviceGetEnforcedPowerLimit(handle))  # what NVML holds to
                _save(run_dir, state)
        except Exception as err:  # noqa: BLE001 - refused midway: nothing stays capped
            restore(run_dir)
            raise PowerLimitError(f"config key '{KEY}': NVML refused {watts} W ({type(err).__name__}: {err})") from None
    return record_doc(state)


def record_doc(state: dict[str, Any]) -> dict[str, Any]:
    """The record's measurement.power_limit: in watts, per GPU, and whether the limits were put back."""
    def watts(mw: Any) -> float | None:
        return round(mw / 1000, 1) if isinstance(mw, int) else None

    return {"asked_w": state.get("asked_w"), "restored": state.get("restored") is True,
            "gpus": [{"index": g.get("index"), "uuid": g.get("uuid"), "original_w": watts(g.get("original_mw")),
                      "enforced_w": watts(g.get("enforced_mw"))} for g in state.get("gpus", [])]}


def restore(run_dir: Path, lease_free: bool = False) -> list[str]:
    """Put back the limits `run_dir`'s state file recorded; lines saying what was done.

    A GPU whose limit is no longer the run's cap was changed since by someone else: it is left as it
    is, and said. `lease_free`: called for a dead run, not by the run itself: the GPUs are restored
    only while no run holds them (a new run may be going under a limit it has measured)."""
    state = _load(run_dir)
    if state is None or state.get("restored") is True:
        pending_marker(run_dir).unlink(missing_ok=True)
        return []
    said: list[str] = []
    lease = None
    if lease_free:
        devices = [gpu_device(int(g["index"]), str(g["uuid"])) for g in state["gpus"]]
        lease = Lease.acquire(devices, allow_overlap=True)
        if lease.overlapped:
            lease.release()
            return [f"run {run_dir.name}: its GPUs are in use by another run; their power limits are put back later"]
    try:
        with _Nvml() as pynvml:
            by_uuid = {uuid: handle for _index, uuid, handle in _all_gpus(pynvml)}
            for gpu in state["gpus"]:
                handle = by_uuid.get(gpu["uuid"])
                if handle is None:
                    said.append(f"GPU {gpu['uuid']} is gone: its power limit cannot be put back")
                    continue
                now = int(pynvml.nvmlDeviceGetPowerManagementLimit(handle))
                if gpu.get("enforced_mw") is not None and now not in (gpu["enforced_mw"], gpu["asked_mw"], gpu["original_mw"]):
                    said.append(f"GPU {gpu['index']}: limit changed since to {now / 1000:g} W by someone else; left as it is")
                    continue
                if now != gpu["original_mw"]:
                    pynvml.nvmlDeviceSetPowerManagementLimit(handle, int(gpu["original_mw"]))
                    said.append(f"GPU {gpu['index']}: power limit put back to {gpu['original_mw'] / 1000:g} W")
        state["restored"] = True
        _save(run_dir, state)
        pending_marker(run_dir).unlink(missing_ok=True)
    finally:
        if lease is not None:
            lease.release()
    return said


def _all_gpus(pynvml: Any) -> Iterator[tuple[int, str, Any]]:
    # Restoring goes by UUID over every GPU: the index may differ in another process's environment.
    for index in range(pynvml.nvmlDeviceGetCount()):
        handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        yield index, _text(pynvml.nvmlDeviceGetUUID(handle)), handle


def _save(run_dir: Path, state: dict[str, Any]) -> None:
    replace_text(run_dir / STATE_FILE, json.dumps(state, indent=2))


def _load(run_dir: Path) -> dict[str, Any] | None:
    """The state file, checked field by field (it is read back from disk: untrusted); None if absent or bad."""
    try:
        state = json.loads((run_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    gpus = state.get("gpus") if isinstance(state, dict) else None
    if not isinstance(gpus, list):
        return None
    for gpu in gpus:
        if not (isinstance(gpu, dict) and isinstance(gpu.get("uuid"), str) and isinstance(gpu.get("index"), int)
                and all(isinstance(gpu.get(k), int) and 0 < gpu[k] < 10**8 for k in ("original_mw", "asked_mw"))
                and (gpu.get("enforced_mw") is None or isinstance(gpu.get("enforced_mw"), int))):
            return None
    return state


def main(argv: list[str]) -> int:
    """`check WATTS` or `restore RUN_DIR`, answered as one line of JSON."""
    if len(argv) == 2 and argv[0] == "check" and argv[1].isdigit():
        print(json.dumps({"refusal": check(int(argv[1]))}))
        return 0
    if len(argv) == 2 and argv[0] == "restore":
        try:
            print(json.dumps({"said": restore(Path(argv[1]), lease_free=True)}))
        except Exception as err:  # noqa: BLE001 - said, and tried again next time
            print(json.dumps({"said": [f"run {Path(argv[1]).name}: power limits not put back ({type(err).__name__}: {err})"]}))
            return 1
        return 0
    print("usage: python -m greentui.worker.power_limits check WATTS | restore RUN_DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
