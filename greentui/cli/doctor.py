"""`greentui doctor`: what can be measured on this machine, and how."""

from __future__ import annotations

import os
from pathlib import Path

from greentui.carbon import carbon_intensity
from greentui.intensity import describe_source
from greentui.report.printable import printable
from greentui.runs.gpu_select import select_gpus
from greentui.runs.lease import CPU, Device, doctor_lines, gpu_device
from greentui.store.run_store import RunStore, StoreError

RAPL_FILE = Path("/sys/class/powercap/intel-rapl:0/energy_uj")


def _gpu_lines(devices: list[Device]) -> list[str]:
    """A line per GPU NVML sees: measured or not (CUDA_VISIBLE_DEVICES), and how; `devices` gets their leases."""
    try:
        import pynvml

        pynvml.nvmlInit()
    except Exception as err:  # noqa: BLE001
        return [f"GPU: none seen by NVML ({type(err).__name__}); GPU energy will not be measured"]
    lines = []
    try:
        simulated = " (SIMULATED: a test stand-in, not a GPU)" if getattr(pynvml, "SIMULATED", False) is True else ""
        handles = [pynvml.nvmlDeviceGetHandleByIndex(i) for i in range(pynvml.nvmlDeviceGetCount())]
        uuids = [_text(pynvml.nvmlDeviceGetUUID(h)) for h in handles]
        names = [_text(pynvml.nvmlDeviceGetName(h)) for h in handles]
        visible = os.environ.get("CUDA_VISIBLE_DEVICES")
        selection = select_gpus(visible, uuids, names, os.environ.get("CUDA_DEVICE_ORDER"))
        for index, handle in enumerate(handles):
            try:
                pynvml.nvmlDeviceGetTotalEnergyConsumption(handle)
                energy = "by its energy counter (±5 %)"
            except Exception:  # noqa: BLE001
                energy = "by integrating 4 Hz power samples (no energy counter)"
            watts = pynvml.nvmlDeviceGetPowerUsage(handle) / 1000
            measured = f"measured {energy}" if index in selection.indices else "NOT measured (not in CUDA_VISIBLE_DEVICES)"
            if index in selection.indices:
                devices.append(gpu_device(index, uuids[index]))
            lines.append(printable(f"GPU {index}: {names[index]} {uuids[index]}{simulated}, drawing {watts:.0f} W now; "
                                   f"{measured}; lease 'gpu-{uuids[index]}'"))
        which = "unset: every GPU" if visible is None else f"{visible!r}"
        lines.append(printable(f"CUDA_VISIBLE_DEVICES {which}" + (f" ({selection.note})" if selection.note else "")))
    finally:
        pynvml.nvmlShutdown()
    return lines or ["GPU: NVML works but finds no GPU"]


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _rapl_line() -> str:
    if not RAPL_FILE.exists():
        return "CPU energy (RAPL): not available; CodeCarbon will estimate CPU power from load and TDP"
    if not os.access(RAPL_FILE, os.R_OK):
        return f"CPU energy (RAPL): {RAPL_FILE} exists but is not readable (needs root or a udev rule); CodeCarbon will estimate"
    return "CPU energy (RAPL): readable; CodeCarbon will measure CPU energy"


def report(store_path: Path) -> str:
    """The doctor's report as text."""
    lines = ["greentui doctor", ""]
    devices: list[Device] = [CPU]
    lines += _gpu_lines(devices)
    lines.append(_rapl_line())
    lines += [printable(line) for line in doctor_lines(devices)]
    intensity, source = carbon_intensity("")
    lines.append(f"CodeCarbon: offline tracker; default carbon intensity {intensity:.0f} g CO2/kWh ({source}); "
                 "set the config key 'country' (e.g. --set country=FRA) for your grid")
    lines.append(printable(describe_source("")))  # a provider's or a file's errors quote their text
    hf_home = os.environ.get("HF_HOME") or str(Path.home() / ".cache" / "huggingface")
    offline = "on" if os.environ.get("HF_HUB_OFFLINE") == "1" else "off"
    lines.append(f"Hugging Face cache: {hf_home} (HF_HUB_OFFLINE {offline})")
    try:
        RunStore(store_path).check()
        lines.append(f"run store: {store_path} (readable, folder writable)")
    except StoreError as err:
        lines.append(f"run store: PROBLEM: {err}")
    return "\n".join(lines)
