"""The inference phase: the trained model, compressed as asked, measured as it will be deployed.

On held-out rows (the evaluation split, the first `inference_samples` of it): accuracy; energy
per 1,000 predictions and throughput at the largest batch size, over whole passes repeated until
the window spans at least ENERGY_WINDOW_S (several of the meter's readings: a single pass of a
small model is shorter than one); latency per batch of each size, each batch timed alone after
a warm-up; peak memory; the size on disk of the deployed weights; FLOPs per prediction.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Iterator

from greentui.config import RunConfig

ENERGY_WINDOW_S = 5.0  # CodeCarbon measures each second: five readings at least
LATENCY_BATCHES = 100  # timed batches per batch size, at most …
LATENCY_BUDGET_S = 5.0  # … or fewer once this long has passed (and MIN_LATENCY_BATCHES are timed)
MIN_LATENCY_BATCHES = 20
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids", "labels")  # not the sampler's `length`
FLOP_SAMPLES = 16  # predictions whose FLOPs are counted one by one (lengths vary with dynamic padding)

Reading = Callable[[], "tuple[float, float] | None"]
Progress = Callable[[int, int, str, str], None]


def deployable(model: Any) -> Any:
    """The plain model behind a LoRA-wrapped one (adapters merged: the run's training is over)."""
    return model.merge_and_unload() if hasattr(model, "merge_and_unload") else model


def held_out(config: RunConfig, eval_data: Any) -> Any:
    """The rows the phase predicts: the first `inference_samples` of the evaluation split."""
    return eval_data.select(range(min(config.inference_samples, len(eval_data))))


class InferencePhase:
    """Measures one model on `rows`; `measure()` gives (metrics, the record's measurement.inference)."""

    def __init__(self, rows: Any, collator: Callable[[list[dict[str, Any]]], dict[str, Any]],
                 device: str, batch_sizes: tuple[int, ...], reading: Reading,
                 stop_requested: threading.Event, progress: Progress | None = None) -> None:
        self.model: Any = None
        self.collator, self.device = collator, device
        self.batch_sizes, self.reading, self.stop_requested = batch_sizes, reading, stop_requested
        self.progress = progress or (lambda *_: None)
        self._features = [{k: v for k, v in row.items() if k in MODEL_INPUTS} for row in rows]

    def measure(self, model: Any, size_mb: float | None, flops: float | None) -> tuple[dict[str, Any], dict[str, Any]]:
        """Every figure of the phase for the deployed `model`; `flops`: counted_flops of its float form."""
        from greentui.worker.memory import PeakMemory

        self.model = model
        metrics: dict[str, Any] = {"model_size_mb": size_mb, "flops_per_prediction": flops}
        doc: dict[str, Any] = {"samples": len(self._features), "batch_sizes": list(self.batch_sizes)}
        if not self._features:  # an empty evaluation split: nothing to predict
            return {}, doc
        with PeakMemory(self.device) as peak:
            largest = max(self.batch_sizes)
            accuracy, window, window_times = self._energy_window(largest)
            metrics["inference_accuracy"] = accuracy
            latency = {size: self._latency(size) if size != largest else _percentiles(window_times)
                       for size in self.batch_sizes}
        metrics["inference_peak_mem_mb"] = peak.mb
        predictions, seconds, kwh = window["predictions"], window["seconds"], window["energy_kwh"]
        metrics["inference_samples_per_s"] = predictions / seconds if seconds > 0 else None
        metrics["inference_kwh_per_1k"] = kwh / predictions * 1000 if kwh is not None and predictions else None
        for size, figures in latency.items():
            if size in (1, 32) and figures["batches"]:
                metrics[f"inference_latency_ms_p50_b{size}"] = figures["p50_ms"]
                metrics[f"inference_latency_ms_p95_b{size}"] = figures["p95_ms"]
        doc.update(energy_window=window, latency_ms={str(size): f for size, f in latency.items()},
                   peak_memory_method=peak.method,
                   flops_method=f"torch.utils.flop_counter over {FLOP_SAMPLES} predictions at batch 1, "
                                "of the float model (quantization changes precision, not the operations)")
        return {k: v for k, v in metrics.items() if v is not None}, doc

    def _batches(self, size: int) -> Iterator[tuple[dict[str, Any], Any]]:
        """(model inputs on the device, labels) of one pass in batches of `size`."""
        for start in range(0, len(self._features), size):
            batch = self.collator(self._features[start:start + size])
            labels = batch.pop("labels", None)
            yield {k: v.to(self.device) for k, v in batch.items()}, labels

    def _predict(self, inputs: dict[str, Any]) -> Any:
        import torch

        with torch.inference_mode():
            logits = self.model(**inputs).logits
        if self.device == "cuda":
            torch.cuda.synchronize()  # the time and energy of a batch end when the GPU is done with it
        return logits

    def _energy_window(self, size: int) -> tuple[float | None, dict[str, Any], list[float]]:
        """Passes at `size` until ENERGY_WINDOW_S is spanned: (accuracy of the first pass, the window,
        the milliseconds of each full batch but the first, which pays for warming up)."""
        start_reading, start = self.reading(), time.perf_counter()
        passes, correct, total = 0, 0, 0
        times: list[float] = []
        while not self.stop_requested.is_set():
            for inputs, labels in self._batches(size):
                begin = time.perf_counter()
                predicted = self._predict(inputs).argmax(dim=-1).cpu()
                if len(predicted) == size:
                    times.append((time.perf_counter() - begin) * 1000)
                if passes == 0 and labels is not None:
                    correct += int((predicted == labels).sum())
                    total += len(labels)
            passes += 1
            elapsed = time.perf_counter() - start
            self.progress(min(int(elapsed), int(ENERGY_WINDOW_S)), int(ENERGY_WINDOW_S), "s", "measuring energy per prediction")
            if elapsed >= ENERGY_WINDOW_S:
                break
        seconds, end_reading = time.perf_counter() - start, self.reading()
        kwh = end_reading[0] - start_reading[0] if start_reading and end_reading else None
        window = {"passes": passes, "predictions": passes * len(self._features), "batch_size": size,
                  "seconds": round(seconds, 3), "energy_kwh": kwh}
        return (correct / total if total else None), window, times[1:]

    def _latency(self, size: int) -> dict[str, Any]:
        """Each batch of `size` timed alone, passes repeated as needed; p50 and p95 in ms. (The
        largest size's batches are timed within the energy window instead.)"""
        times: list[float] = []
        batches = self._cycle(size)
        self._predict(next(batches)[0])  # warm-up: the first call pays for allocation and kernel choice
        started = time.perf_counter()
        while len(times) < LATENCY_BATCHES and not self.stop_requested.is_set():
            if len(times) >= MIN_LATENCY_BATCHES and time.perf_counter() - started > LATENCY_BUDGET_S:
                break
            inputs, _ = next(batches)
            begin = time.perf_counter()
            self._predict(inputs)
            times.append((time.perf_counter() - begin) * 1000)
            self.progress(len(times), LATENCY_BATCHES, "batches", f"timing batches of {size}")
        return _percentiles(times)

    def _cycle(self, size: int) -> Iterator[tuple[dict[str, Any], Any]]:
        while True:
            yield from self._batches(size)

    def counted_flops(self, model: Any) -> float | None:
        """FLOPs per prediction of the float `model`: counted before quantization, whose kernels
        torch's counter does not see (a dynamic-INT8 model does the same multiply-adds in int8)."""
        import torch
        from torch.utils.flop_counter import FlopCounterMode

        counted = 0
        counter = FlopCounterMode(display=False)
        with counter, torch.inference_mode():
            for inputs, _ in list(self._batches(1))[:FLOP_SAMPLES]:
                model(**inputs)
                counted += 1
        return counter.get_total_flops() / counted if counted else None


def _percentiles(times: list[float]) -> dict[str, Any]:
    import numpy as np

    if not times:
        return {"batches": 0}
    return {"batches": len(times), "p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}
