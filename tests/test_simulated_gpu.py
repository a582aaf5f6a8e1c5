"""GPU measurement against simulated NVIDIA GPUs (tests/fake_gpu): only the run's GPUs, counter against
integrated power against CodeCarbon, a GPU lost mid-run, no energy counter, NVML errors, and the
record and live view saying what was measured and that it was simulated."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

import pytest

from greentui.events.log import EVENTS_FILE, read_all
from greentui.events.schema import PowerEvent, StatusEvent, encode
from greentui.runs.gpu_select import select_gpus
from greentui.store.record import FINISHED
from greentui.store.run_store import RunStore
from greentui.worker.nvml import NvmlSampler
from tests.support import (  # noqa: F401 - isolated_env is an autouse fixture
    FAKE_GPU_DIR,
    SIZE,
    fixture_record,
    greentui,
    isolated_env,
    make_store,
    simulated_gpu_env,
    wait_until,
    wait_until_pilot,
    write_gpu_spec,
)

UUID_A = "GPU-aaaaaaaa-1111-4000-8000-000000000000"
UUID_B = "GPU-bbbbbbbb-2222-4000-8000-000000000001"
TWO_GPUS = [{"name": "Simulated A100", "uuid": UUID_A, "power_w": 100.0, "power_limit_w": 400},
            {"name": "Simulated H100", "uuid": UUID_B, "power_w": 250.0, "power_limit_w": 700}]
SHORT = ["--set", "train_samples=320", "--set", "eval_samples=200", "--set", "batch_size=32"]


def within(value: float, expected: float, fraction: float) -> bool:
    return abs(value - expected) <= fraction * abs(expected)


@pytest.fixture
def fake_nvml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., ModuleType]:
    """Load a fresh simulated NVML as this process's `pynvml` (its clock starts now) for the given GPUs."""
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)

    def load(gpus: list[dict[str, Any]], **spec: Any) -> ModuleType:
        monkeypatch.setenv("GREENTUI_FAKE_GPU_SPEC", simulated_gpu_env(tmp_path, gpus, **spec)["GREENTUI_FAKE_GPU_SPEC"])
        found = importlib.util.spec_from_file_location("pynvml", FAKE_GPU_DIR / "pynvml.py")
        assert found is not None and found.loader is not None
        module = importlib.util.module_from_spec(found)
        found.loader.exec_module(module)
        monkeypatch.setitem(sys.modules, "pynvml", module)
        return module

    return load


def sampled(sampler: NvmlSampler, drains: int = 3) -> tuple[list[tuple[float, ...]], dict[str, float]]:
    """Start the sampler, take `drains` non-empty drains (power per GPU), stop it: (powers, its figures)."""
    sampler.start()
    assert sampler.available, sampler.reason
    powers = [wait_until(sampler.drain, "a GPU sample").power_w for _ in range(drains)]
    return powers, sampler.stop()


@pytest.mark.parametrize(("visible", "expected"), [
    (None, (0, 1, 2)), ("1", (1,)), ("2,0", (2, 0)), (" 1 , 1 ", (1,)), ("GPU-bbbb", (1,)), ("gpu-CCCC", (2,)),
    ("0,7,1", (0,)), ("-1", ()), ("", ()), ("GPU-", ()), ("GPU-d", ()), ("MIG-aaaa", ()), ("\u00b2", ()),
])
def test_cuda_visible_devices_is_read_as_cuda_reads_it(visible: str | None, expected: tuple[int, ...]) -> None:
    uuids = ["GPU-aaaa-1", "GPU-bbbb-2", "GPU-cccc-3"]
    selection = select_gpus(visible, uuids, ["Simulated H100"] * 3)
    assert selection.indices == expected
    assert ("names no GPU" in selection.note) == (visible in ("0,7,1", "-1", "GPU-", "GPU-d", "MIG-aaaa", "\u00b2"))


def test_indices_on_a_mixed_machine_are_flagged_unless_the_order_is_pci() -> None:
    names = ["Simulated A100", "Simulated H100"]
    assert "PCI bus" in select_gpus("1", ["GPU-a", "GPU-b"], names).note
    assert select_gpus("1", ["GPU-a", "GPU-b"], names, device_order="PCI_BUS_ID").note == ""
    assert select_gpus("GPU-b", ["GPU-a", "GPU-b"], names).note == ""  # a UUID is never ambiguous


def test_sampler_measures_only_the_visible_gpu(fake_nvml, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_nvml(TWO_GPUS, driver_version="555.42.06")
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-bbbbbbbb")
    sampler = NvmlSampler()
    powers, metrics = sampled(sampler)
    assert all(power == (250.0,) for power in powers)
    assert sampler.selected == [1] and sampler.simulated
    [gpu] = sampler.devices()
    assert (gpu["index"], gpu["uuid"], gpu["name"], gpu["power_limit_w"], gpu["driver_version"]) == \
        (1, UUID_B, "Simulated H100", 700.0, "555.42.06")
    assert within(metrics["gpu_nvml_energy_kwh"], 250.0 * gpu["measured_s"] / 3.6e6, 0.02)
    assert within(metrics["gpu_power_integrated_kwh"], metrics["gpu_nvml_energy_kwh"], 0.02)
    assert gpu["energy_kwh"] == metrics["gpu_nvml_energy_kwh"] and not gpu["partial"]
    description = sampler.describe()
    assert description.startswith("simulated GPU") and "Simulated H100" in description and "A100" not in description


def test_no_gpu_is_measured_when_cuda_hides_them_all(fake_nvml, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_nvml(TWO_GPUS)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "-1")
    sampler = NvmlSampler()
    sampler.start()
    assert not sampler.available and sampler.selected == []  # CodeCarbon is then given no GPU either
    assert "leaves the run no GPU" in sampler.describe() and sampler.stop() == {}


def test_without_an_energy_counter_and_with_nvml_errors_power_is_integrated(fake_nvml) -> None:
    fake_nvml([{"power_w": 120.0, "energy_counter": False,
                "errors": [{"call": "nvmlDeviceGetPowerUsage", "every": 3, "error": "Timeout"}]}])
    sampler = NvmlSampler()
    _powers, metrics = sampled(sampler, drains=4)
    [gpu] = sampler.devices()
    assert "gpu_nvml_energy_kwh" not in metrics and gpu["energy_source"] == "integrated power"
    assert within(metrics["gpu_power_integrated_kwh"], 120.0 * gpu["measured_s"] / 3.6e6, 0.02)
    assert "power samples integrated" in sampler.describe() and gpu["name"] == "Simulated GPU 0"


def test_a_lost_gpu_leaves_a_gap_and_the_other_measured(fake_nvml, tmp_path: Path) -> None:
    flag = tmp_path / "lose-gpu-0"
    fake_nvml([{**TWO_GPUS[0], "lost_once_exists": str(flag)}, TWO_GPUS[1]])
    sampler = NvmlSampler()
    sampler.start()
    assert wait_until(sampler.drain, "a sample").power_w == (100.0, 250.0)
    flag.touch()
    [gap] = wait_until(sampler.new_gaps, "the lost GPU's gap")
    assert (gap["index"], gap["uuid"], gap["from_s"] >= 0) == (0, UUID_A, True) and "GpuIsLost" in gap["error"]
    sampler.drain()  # what came before the loss was noticed
    assert wait_until(sampler.drain, "a sample after the loss").power_w == (0.0, 250.0)
    metrics = sampler.stop()
    lost, kept = sampler.devices()
    assert lost["partial"] and not kept["partial"] and lost["measured_s"] < kept["measured_s"]
    assert within(metrics["gpu_nvml_energy_kwh"], (lost["energy_kwh"] + kept["energy_kwh"]), 1e-9)
    assert sampler.new_gaps() == [] and sampler.gaps() == [gap]
    assert "GPU energy is partial: GPU 0 (Simulated A100) lost after" in sampler.describe()


def test_the_fake_counter_is_the_exact_integral_of_its_power_trace(fake_nvml) -> None:
    nvml = fake_nvml([{"power_trace": [[0, 80.0], [0.05, 300.0], [0.1, 40.0]], "energy_at_start_mj": 5000}])
    nvml.nvmlInit()
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    for _ in range(30):
        before = nvml._now()
        counter_mj = nvml.nvmlDeviceGetTotalEnergyConsumption(handle)
        after = nvml._now()
        low, high = (5000 + int(handle.joules(t) * 1000) for t in (before, after))
        assert low <= counter_mj <= high  # read between two instants of the trace: no tolerance needed
    assert handle.joules(0.2) == pytest.approx(80 * 0.05 + 300 * 0.05 + 40 * 0.1)
    nvml.nvmlShutdown()
    with pytest.raises(nvml.NVMLError_Uninitialized):
        nvml.nvmlDeviceGetCount()


def test_the_fake_lists_a_process_added_mid_run(fake_nvml, tmp_path: Path) -> None:
    nvml = fake_nvml([{"memory_used_mb": 100}])
    nvml.nvmlInit()
    handle = nvml.nvmlDeviceGetHandleByIndex(0)
    assert nvml.nvmlDeviceGetComputeRunningProcesses(handle) == []
    spec_path = tmp_path / "simulated-gpus.json"
    write_gpu_spec(spec_path, {"gpus": [{"memory_used_mb": 100, "processes": [[4242, 512]]}]})
    [process] = nvml.nvmlDeviceGetComputeRunningProcesses(handle)
    assert (process.pid, process.usedGpuMemory) == (4242, 512 * 2**20)
    assert nvml.nvmlDeviceGetMemoryInfo(handle).used == 612 * 2**20
    assert isinstance(nvml.NVMLError(15), nvml.NVMLError_GpuIsLost) and nvml.SIMULATED


async def test_live_power_panel_draws_one_line_per_measured_gpu(fake_nvml, tmp_path: Path) -> None:
    """The sampler's own power events for two simulated GPUs, as the worker writes them, in the live view."""
    from greentui.tui.app import create_app
    from greentui.tui.screens.live import LiveScreen
    from greentui.tui.widgets.charts import LineChart

    fake_nvml(TWO_GPUS)
    sampler = NvmlSampler()
    sampler.start()
    events = [PowerEvent(**wait_until(sampler.drain, "a sample").as_event()) for _ in range(4)]
    sampler.stop()
    store = make_store(tmp_path, count=1)
    record = store.all()[0]
    lines = [StatusEvent(t=events[0].t - 1, status="running"), *events, StatusEvent(t=events[-1].t + 1, status="completed")]
    (store.runs_root / record.id / EVENTS_FILE).write_text("".join(encode(e) + "\n" for e in lines))
    app = create_app(store.path, attach_running=False)
    async with app.run_test(size=SIZE) as pilot:
        app.open_live(record)
        screen = await wait_until_pilot(pilot, lambda: isinstance(app.screen, LiveScreen) and app.screen, "the live view")
        await wait_until_pilot(pilot, lambda: screen.state.status == "completed" and
                               screen._drawn_version == screen.state.version, "the drawn events")
        power = screen.state.snapshot().power
        assert {label: {w for _, w in points} for label, points in power.items()} == {"GPU 0": {100.0}, "GPU 1": {250.0}}
        chart = screen.query_one("#power-chart", LineChart)
        head = str(chart.head.render())  # the title and the legend, drawn outside the plot
        assert "power W per GPU (NVML)" in head and "GPU 0" in head and "GPU 1" in head


def finished(store_path: Path) -> Any:
    records = RunStore(store_path).all() if store_path.exists() else []
    return records[0] if records and records[0].status in FINISHED else None


@pytest.mark.slow
def test_a_run_records_only_its_gpu_its_energy_and_that_it_was_simulated(store_path: Path, tmp_path: Path) -> None:
    env = simulated_gpu_env(tmp_path, TWO_GPUS) | {"CUDA_VISIBLE_DEVICES": UUID_B[:12]}  # a UUID prefix, as CUDA takes
    result = greentui("run", *SHORT, "--set", "epochs=2", store=store_path, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    record = RunStore(store_path).all()[0]
    measurement, metrics = record.measurement, record.metrics
    assert measurement["simulated"] is True and "simulated" in measurement["gpu"]
    assert "simulated" in measurement["codecarbon_gpu"]
    [gpu] = measurement["gpus"]
    assert (gpu["index"], gpu["uuid"], gpu["name"], gpu["power_limit_w"]) == (1, UUID_B, "Simulated H100", 700.0)
    events = read_all(store_path.parent / record.run_dir / EVENTS_FILE)
    stored = json.dumps(record.to_doc()) + "".join(encode(e) for e in events)
    assert UUID_A not in stored and "A100" not in stored  # the other GPU is nowhere in the record or events
    # The NVML counter is the selected GPU's power over the time sampled; integrated power agrees.
    assert within(metrics["gpu_nvml_energy_kwh"], 250.0 * gpu["measured_s"] / 3.6e6, 0.02)
    assert within(metrics["gpu_power_integrated_kwh"], metrics["gpu_nvml_energy_kwh"], 0.02)
    assert metrics["avg_gpu_power_w"] == pytest.approx(250.0)
    # CodeCarbon measured the same GPU alone: over the time it tracked (it starts a moment after
    # the sampler, its hardware set up), its GPU energy is the counter's within 5 %.
    tracked_s = float(next(iter(_csv_rows(store_path.parent / record.run_dir / "emissions.csv")))["duration"])
    assert within(metrics["gpu_energy_kwh"], metrics["gpu_nvml_energy_kwh"] * tracked_s / gpu["measured_s"], 0.05)
    assert metrics["gpu_energy_kwh"] <= metrics["gpu_nvml_energy_kwh"] * 1.01


@pytest.mark.slow
def test_a_gpu_lost_mid_run_leaves_the_run_completed_and_the_gap_recorded(store_path: Path, tmp_path: Path) -> None:
    flag = tmp_path / "lose-gpu-1"
    gpus = [{"name": "Simulated V100", "power_w": 120.0, "energy_counter": False,
             "errors": [{"call": "nvmlDeviceGetPowerUsage", "every": 5}]},
            {**TWO_GPUS[1], "lost_once_exists": str(flag)}]
    env = simulated_gpu_env(tmp_path, gpus) | {"CUDA_VISIBLE_DEVICES": "0,1"}
    started = greentui("run", "--detach", *SHORT, "--set", "epochs=2", store=store_path, env=env)
    assert started.returncode == 0, started.stderr
    record = RunStore(store_path).all()[0]
    events_path = store_path.parent / record.run_dir / EVENTS_FILE
    wait_until(lambda: any(e.kind == "step" for e in read_all(events_path)), "the first training step")
    flag.touch()
    record = wait_until(lambda: finished(store_path), "the run to finish")
    assert record.status == "completed", record.error
    [gap] = record.measurement["gpu_gaps"]
    assert (gap["index"], gap["uuid"], gap["from_s"] > 0) == (1, UUID_B, True)
    kept, lost = record.measurement["gpus"]
    assert lost["partial"] and not kept["partial"] and "GPU energy is partial" in record.measurement["gpu"]
    # GPU 0 has no energy counter: its power, read through NVML errors, is integrated.
    assert "gpu_nvml_energy_kwh" not in record.metrics and kept["energy_source"] == "integrated power"
    assert within(kept["energy_kwh"], 120.0 * kept["measured_s"] / 3.6e6, 0.02)
    events = read_all(events_path)
    assert any(e.kind == "info" and "GPU 1 (Simulated H100) lost" in e.message for e in events)
    powers = [e.gpu_w for e in events if e.kind == "power" and e.gpu_w]
    assert all(len(p) == 2 for p in powers) and powers[0] == (120.0, 250.0) and powers[-1] == (120.0, 0.0)


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_doctor_names_the_gpus_it_would_measure_and_how(tmp_path: Path) -> None:
    env = simulated_gpu_env(tmp_path, TWO_GPUS)
    result = greentui("doctor", store=tmp_path / "runs.json", env={**env, "CUDA_VISIBLE_DEVICES": UUID_B[:12]})
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    first = next(line for line in lines if line.startswith("GPU 0"))
    second = next(line for line in lines if line.startswith("GPU 1"))
    assert "NOT measured" in first and "SIMULATED" in first
    assert "measured by its energy counter" in second and f"lease 'gpu-{UUID_B}'" in second
    assert any(line.startswith("device leases:") for line in lines)
