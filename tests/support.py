"""What the tests share: the real `greentui` command, waiting on state, a store of fixed runs and
simulated NVIDIA GPUs (tests/fake_gpu).

It holds no tests itself (hence not test_*). Waits poll for a state or an event with a
generous safety limit: they never assert how fast something happened, so a busy machine
makes a test slower, never red. The fixture runs are fixed (timestamps, metrics, events)
so SVG snapshots are identical from run to run.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from greentui.config import RunConfig
from greentui.metrics.curves import curves_from_events
from greentui.store.curves import save_curves
from greentui.store.record import RunRecord
from greentui.store.run_store import RunStore

# A limit that only a hang reaches: tests wait on state, never on the clock.
HANG_S = 600.0


def greentui(*args: str, store: Path, timeout: float = HANG_S,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, the way a user would (`env`: variables to add)."""
    return subprocess.run(
        [sys.executable, "-m", "greentui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=store.parent,
        check=False,
    )


def wait_until(condition: Callable[[], Any], what: str, timeout: float = HANG_S, every: float = 0.3) -> Any:
    """Poll until `condition()` is truthy and return its value; fail naming `what` if it never is."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        time.sleep(every)
    return value


async def wait_until_pilot(pilot: Any, condition: Callable[[], Any], what: str, timeout: float = HANG_S,
                           every: float = 0.25) -> Any:
    """`wait_until` for a Textual pilot: the app keeps running (and drawing) while the test waits."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out after {timeout:.0f} s waiting for {what}"
        await pilot.pause(every)
    return value


FAKE_GPU_DIR = Path(__file__).parent / "fake_gpu"  # a pynvml stand-in and an nvidia-smi for it


def simulated_gpu_env(tmp_path: Path, gpus: list[dict[str, Any]], **spec: Any) -> dict[str, str]:
    """Variables under which a process (the worker, CodeCarbon) sees simulated NVIDIA GPUs, not real ones.

    `gpus` are the GPU entries of the fake's spec, faults included, and `spec` its other keys
    (both described in tests/fake_gpu/pynvml.py). The spec file is GREENTUI_FAKE_GPU_SPEC; a test
    rewrites it with write_gpu_spec to change the processes listed mid-run.
    """
    path = tmp_path / "simulated-gpus.json"
    write_gpu_spec(path, {"gpus": gpus, **spec})
    inherited = [os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []
    return {"PYTHONPATH": os.pathsep.join([str(FAKE_GPU_DIR), *inherited]),
            "PATH": os.pathsep.join([str(FAKE_GPU_DIR), os.environ.get("PATH", os.defpath)]),
            "GREENTUI_FAKE_GPU_SPEC": str(path)}


def write_gpu_spec(path: Path, spec: dict[str, Any]) -> None:
    """Write the fake GPUs' spec whole (a rename): the fake re-reads it for the processes at any time."""
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(spec), encoding="utf-8")
    partial.replace(path)


T0 = 1795317000.0  # fixed epoch seconds for fixture events
SIZE = (100, 30)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """Keep the last-used config and any stray files in the test's own temporary folder."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GREENTUI_STORE", raising=False)
    monkeypatch.chdir(tmp_path)


def fixture_events(steps: int = 40, seconds: int = 60, status: str = "completed") -> list[dict]:
    """A plausible CPU-only run's events: power each second, energy every 2 s, loss each step, two evals."""
    events: list[dict] = [{"type": "status", "t": T0, "status": "running"},
                          {"type": "info", "t": T0 + 5, "message": "setup done", "total_steps": steps},
                          {"type": "info", "t": T0 + 5.2, "message": "training started", "total_steps": steps}]
    energy = 0.0
    for s in range(1, seconds + 1):
        cpu = 6.5 + 1.5 * math.sin(s / 7)
        events.append({"type": "power", "t": T0 + s, "cpu_w": round(cpu, 3), "ram_w": 20.0})
        energy += (cpu + 20.0) / 3.6e6
        if s % 2 == 0:
            events.append({"type": "energy", "t": T0 + s, "energy_kwh": energy, "cpu_energy_kwh": energy * 0.25,
                           "gpu_energy_kwh": 0.0, "ram_energy_kwh": energy * 0.75, "emissions_kg": energy * 0.475})
    for step in range(1, steps + 1):
        t = T0 + 5.2 + step * (seconds - 10) / steps
        loss = 0.69 * math.exp(-step / 25) + 0.25 + 0.02 * math.sin(step)
        events.append({"type": "step", "t": t, "step": step, "total_steps": steps, "epoch": step / (steps / 2),
                       "loss": round(loss, 4), "lr": 0.001, "samples": step * 32})
        if step in (steps // 2, steps):
            events.append({"type": "eval", "t": t + 0.1, "step": step, "epoch": step / (steps / 2),
                           "accuracy": 0.78 if step < steps else 0.842, "f1": 0.8, "eval_loss": 0.52 - step / 400})
    if status != "running":
        events.append({"type": "status", "t": T0 + seconds + 1, "status": status, "reason": None})
    return sorted(events, key=lambda e: e["t"])


# name, config changes, status, accuracy, duration s, energy kWh, created minute
FIXTURE_RUNS = (
    ("baseline", {"train_samples": 2000}, "completed", 0.842, 48.2, 0.000512, 1),
    ("bf16 cosine", {"train_samples": 2000, "mixed_precision": "bf16", "lr_scheduler": "cosine"},
     "completed", 0.851, 36.0, 0.000398, 5),
    ("lora r8", {"train_samples": 2000, "lora": True, "lora_r": 8}, "completed", 0.803, 30.4, 0.000301, 9),
    ("sgd ckpt", {"train_samples": 2000, "optimizer": "sgd", "momentum": 0.8, "gradient_checkpointing": True},
     "stopped", 0.611, 22.5, 0.000260, 14),
    ("half data", {"train_samples": 1000}, "completed", 0.822, 25.1, 0.000270, 20),
)


def fixture_record(index: int, store: RunStore) -> RunRecord:
    """The index-th fixture run, with a run folder holding its events."""
    name, changes, status, accuracy, duration, energy, minute = FIXTURE_RUNS[index]
    run_id = f"20261121-10{minute:02d}00-a{index:03d}"
    run_dir = store.runs_root / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    events = fixture_events(steps=30 + 10 * index, status=status)
    (run_dir / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    save_curves(run_dir, curves_from_events(events))  # where the worker keeps them
    samples = 2000 if index != 4 else 1000
    metrics = {"accuracy": accuracy, "f1": accuracy - 0.01, "eval_loss": 0.62 - accuracy / 3,
               "train_loss": 0.4 + index / 50, "duration_s": duration, "samples_per_s": samples / duration,
               "samples_trained": samples, "energy_kwh": energy, "emissions_kg": energy * 0.475,
               "joules_per_sample": energy * 3.6e6 / samples, "ear_kwh": energy / accuracy}
    return RunRecord(
        id=run_id, name=name, status=status,
        created_at=f"2026-11-21T10:{minute:02d}:00+00:00", started_at=f"2026-11-21T10:{minute:02d}:01+00:00",
        finished_at=f"2026-11-21T10:{minute + 1:02d}:00+00:00",
        config=RunConfig().with_values(**changes).to_dict(), hardware={"cpu_model": "Test CPU", "cpu_count": 2},
        measurement={"method": "codecarbon-offline", "carbon_intensity_g_per_kwh": 475.0,
                     "carbon_intensity_source": "world average (assumed: no country set)",
                     "uncertainty": {"energy_kwh": {"method": "TDP model + RAM model", "relative": 0.41,
                                                    "basis": "parts combined in quadrature"}}},
        metrics=metrics, run_dir=f"runs/{run_id}",
    )


def make_store(tmp_path: Path, count: int = len(FIXTURE_RUNS)) -> RunStore:
    """A store in tmp_path holding the first `count` fixture runs."""
    store = RunStore(tmp_path / "runs.json")
    for index in range(count):
        store.insert(fixture_record(index, store))
    return store


async def press_to(pilot, key: str, screen_type: type) -> None:
    """Press a key, let the app settle, and check which screen is now on top."""
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(pilot.app.screen, screen_type), f"{key} led to {type(pilot.app.screen).__name__}"


def six_run_store(tmp_path: Path) -> RunStore:
    """make_store's five runs and a sixth, each with a loss curve of its own shape (the fixture events all
    follow one), for the compare screen at its busiest: six curves to tell apart."""
    import dataclasses

    store = make_store(tmp_path)
    sixth = fixture_record(4, store)
    run_id = "20261121-102500-a005"
    (store.runs_root / run_id).mkdir(parents=True, exist_ok=True)
    store.insert(dataclasses.replace(
        sixth, id=run_id, name="half data bf16", run_dir=f"runs/{run_id}",
        created_at="2026-11-21T10:25:00+00:00", started_at="2026-11-21T10:25:01+00:00",
        finished_at="2026-11-21T10:26:00+00:00",
        config={**sixth.config, "mixed_precision": "bf16"},
        metrics={**sixth.metrics, "accuracy": 0.815, "f1": 0.805, "energy_kwh": 0.000233, "emissions_kg": 0.000233 * 0.475}))
    for index, record in enumerate(store.all()):
        steps = 30 + 10 * index
        loss = [(step, round(0.7 * math.exp(-step / (8 + 7 * index)) + 0.18 + 0.035 * index + 0.015 * math.sin(step), 4))
                for step in range(1, steps + 1)]
        save_curves(store.runs_root / record.id, {"train_loss": loss})
    return store
