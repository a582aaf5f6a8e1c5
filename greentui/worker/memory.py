"""Peak memory over a stretch of a run (training, the inference phase), with the method said.

On a GPU the allocator's own peak (torch.cuda.max_memory_allocated, reset at the start) is
exact for tensors. A CPU has no such counter for one stretch: the process's resident set is
sampled instead, so the figure includes Python, the libraries and the data, and a peak shorter
than the sampling interval can be missed.
"""

from __future__ import annotations

import os
import threading
from typing import Any

SAMPLE_S = 0.02
BYTES_PER_MB = 1_000_000


def _rss_bytes() -> int | None:
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


class PeakMemory:
    """`with PeakMemory(device) as peak:` … then `peak.mb` (None where nothing could be read)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.mb: float | None = None
        self._peak = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def method(self) -> str:
        """How the figure was measured, for the record."""
        if self.device == "cuda":
            return "torch.cuda.max_memory_allocated (tensors on the GPU)"
        return f"process resident set, sampled every {SAMPLE_S * 1000:.0f} ms (includes Python and the data)"

    def __enter__(self) -> PeakMemory:
        if self.device == "cuda":
            import torch

            torch.cuda.reset_peak_memory_stats()
        else:
            self._peak = _rss_bytes() or 0
            self._thread = threading.Thread(target=self._sample, name="greentui-peak-memory", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.device == "cuda":
            import torch

            self.mb = torch.cuda.max_memory_allocated() / BYTES_PER_MB
            return
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._peak = max(self._peak, _rss_bytes() or 0)
        self.mb = self._peak / BYTES_PER_MB if self._peak else None

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_S):
            self._peak = max(self._peak, _rss_bytes() or 0)
