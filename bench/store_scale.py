"""Store scale: open a 10,000-run runs.json and sort it in the history screen (< 0.5 s); append one run (< 0.1 s).

The store is filled with records shaped like the worker's (config, hardware, versions,
measurement, metrics; curves live in run folders, not in runs.json), written in one go, and
opened once by a RunStore so it has its index, as any store greentui has used does. Then the
real `greentui` starts on it in a 120×40 pseudo-terminal (see terminal.py): F3 opens the
history, `s` sorts it by the next column, each timed from the key to the last byte drawn.
Start-up on that store and the first open of a store without its index (one copied from
elsewhere) are timed too, for the record.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from common import Row, interleaved, main, median, spread
from terminal import F3, Terminal

OPEN_TARGET_S = 0.5
APPEND_TARGET_S = 0.1
LS_TARGET_S = 2.0  # `greentui ls` piped, on the same store (it took 18.7 s on 50,000 runs, 121 MB, before the index served it)
TECHNIQUES = ({}, {"mixed_precision": "bf16"}, {"lora": True}, {"optimizer": "sgd"},
              {"lr_scheduler": "cosine", "label_smoothing": 0.1}, {"gradient_checkpointing": True},
              {"train_samples": 2500}, {"grad_accum_steps": 2, "batch_size": 8})


def realistic_record(index: int, rng: random.Random):
    """One completed run as the worker stores it."""
    from greentui.config import RunConfig
    from greentui.store.record import RunRecord

    config = RunConfig().with_values(**TECHNIQUES[index % len(TECHNIQUES)])
    minute = index % 60
    run_id = f"2026{1 + index // 50000:02d}{1 + index // 1440 % 28:02d}-{index // 60 % 24:02d}{minute:02d}00-{index:04x}"
    accuracy, duration, energy = 0.8 + rng.random() / 10, 40 + rng.random() * 30, 4e-4 + rng.random() * 2e-4
    return RunRecord(
        id=run_id, name=f"tiny-distilbert {' '.join(config.techniques())} #{index}", status="completed",
        created_at=f"2026-11-{1 + index % 28:02d}T{index // 60 % 24:02d}:{minute:02d}:00+00:00",
        started_at=f"2026-11-{1 + index % 28:02d}T{index // 60 % 24:02d}:{minute:02d}:01+00:00",
        finished_at=f"2026-11-{1 + index % 28:02d}T{index // 60 % 24:02d}:{minute:02d}:59+00:00",
        config=config.to_dict(),
        hardware={"cpu_model": "Intel(R) Xeon(R) Processor", "cpu_count": 2, "torch_threads": 2,
                  "platform": "Linux-6.18.44-x86_64-with-glibc2.36", "device": "cpu", "gpus": [], "ram_gb": 23.5},
        measurement={"method": "codecarbon-offline", "interval_s": 1.0, "country": None,
                     "carbon_intensity_g_per_kwh": 475.0,
                     "carbon_intensity_source": "world average (assumed: no country set)",
                     "gpu": "not measured: no NVIDIA GPU or NVML", "cpu": "cpu_load",
                     "ram": "RAM power model (watts per GB of RAM, CodeCarbon estimate)",
                     "codecarbon_gpu": "not measured", "tracking_mode": "machine"},
        metrics={"accuracy": accuracy, "f1": accuracy - 0.01, "eval_loss": 0.35 + rng.random() / 10,
                 "train_loss": 0.4 + rng.random() / 10, "duration_s": duration, "steps": 1250,
                 "total_steps": 1250, "samples_trained": 20000, "train_samples": 5000, "eval_samples": 1000,
                 "trainable_params": 174722, "total_params": 174722, "trainable_fraction": 1.0,
                 "energy_kwh": energy, "cpu_energy_kwh": energy * 0.2, "gpu_energy_kwh": 0.0,
                 "ram_energy_kwh": energy * 0.8, "emissions_kg": energy * 0.475, "avg_cpu_power_w": 22.1,
                 "peak_cpu_power_w": 25.0, "avg_ram_power_w": 20.0, "peak_ram_power_w": 20.0,
                 "samples_per_s": 20000 / duration, "joules_per_sample": energy * 3.6e6 / 20000,
                 "ear_kwh": energy / accuracy},
        run_dir=f"runs/{run_id}", pid=10000 + index,
        versions={"python": "3.11.7", "greentui": "0.1.0", "torch": "2.13.0+cpu", "transformers": "5.23.0",
                  "datasets": "5.2.0", "codecarbon": "3.3.2", "peft": "0.21.2", "accelerate": "1.15.0"},
    )


def fill_store(path: Path, count: int) -> None:
    """Write `count` records through the store's own writer, in one write."""
    from greentui.store.run_store import TABLE, AtomicJSONStorage

    rng = random.Random(0)
    AtomicJSONStorage(path).write({TABLE: {str(i + 1): realistic_record(i, rng).to_doc() for i in range(count)}})


def open_and_sort(path: Path) -> tuple[float, float, float]:
    """Seconds from launch to the setup screen, for F3 to show the history, and for `S` to sort it again."""
    terminal = Terminal(path)
    try:
        started = terminal.wait_for(b"ready to run") - terminal.started
        opened = terminal.press(F3, b"sorted by date")
        # S re-sorts every run the other way: the same work as a new column, whichever columns the
        # terminal's width shows (s steps to the next *shown* column, which depends on it).
        sorted_ = terminal.press(b"S", "sorted by date ▼".encode())
    finally:
        terminal.close()
    return started, opened, sorted_


def time_ls(path: Path) -> float:
    """Seconds for `greentui ls` on a store, its output piped (as a script reads it)."""
    import subprocess
    import sys

    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "greentui", "--store", str(path), "ls"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    from greentui.store.index import index_path
    from greentui.store.run_store import RunStore

    count = 500 if quick else 10_000
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        path = Path(folder) / "runs.json"
        fill_store(path, count)
        size_mb = path.stat().st_size / 1e6
        cold = open_and_sort(path)[0]  # no index yet: start-up builds it from runs.json
        empty = Path(folder) / "empty.json"
        fill_store(empty, 0)
        opens, empties = [], []
        for _ in range(3 if quick else 5):  # interleaved with the same on an empty store: Textual's own share
            opens.append(open_and_sort(path))
            empties.append(sum(open_and_sort(empty)[1:]))
        totals = [o + s for _, o, s in opens]
        listed, listed_empty = interleaved(lambda: time_ls(path), lambda: time_ls(empty), 3)
        store, rng = RunStore(path), random.Random(1)
        appends, updates = [], []
        for i in range(3 if quick else 9):
            record = realistic_record(count + i, rng)
            started = time.perf_counter()
            store.insert(record)
            appends.append(time.perf_counter() - started)
            started = time.perf_counter()
            store.update(record.id, status="completed", metrics={"accuracy": 0.9})
            updates.append(time.perf_counter() - started)
        assert index_path(path).exists()
    return [
        Row(f"store scale: open + sort {count:,} runs in history", f"{median(totals):.2f} s", f"< {OPEN_TARGET_S} s",
            median(totals) < OPEN_TARGET_S,
            f"median of {len(totals)} in a terminal, {spread(totals)} s: open {median([o for _, o, _ in opens]):.2f} s "
            f"+ sort {median([s for _, _, s in opens]):.2f} s; the same on an empty store {median(empties):.2f} s; "
            f"launch to the setup screen {median([launch for launch, _, _ in opens]):.2f} s ({cold:.2f} s the first "
            f"time, building the index); runs.json {size_mb:.0f} MB"),
        Row(f"store scale: greentui ls of {count:,} runs", f"{median(listed):.2f} s", f"< {LS_TARGET_S} s",
            median(listed) < LS_TARGET_S,
            f"median of {len(listed)}, piped; the same on an empty store {median(listed_empty):.2f} s "
            f"(x{median(listed) / median(listed_empty):.1f})"),
        Row(f"store scale: append one run to {count:,}", f"{median(appends) * 1000:.0f} ms",
            f"< {APPEND_TARGET_S * 1000:.0f} ms", median(appends) < APPEND_TARGET_S,
            f"median of {len(appends)} inserts, {spread([a * 1000 for a in appends])} ms; "
            f"a run's final update {median(updates) * 1000:.0f} ms"),
    ]


if __name__ == "__main__":
    main("store scale", __doc__, run)
