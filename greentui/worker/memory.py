"""Peak memory over a stretch of a run (training, the inference phase), with the method said.

On a GPU the allocator's own peak (torch.cuda.max_memory_allocated, reset at the start) is
exact for tensors. On a CPU the figure is the process's resident set, so it includes Python, the
libraries and the data. Linux keeps that set's peak itself (VmHWM in /proc/self/status) and
resets it on request (writing 5 to /proc/self/clear_refs), which is exact and costs nothing while
training; where that reset is refused, the resident set is sampled every SAMPLE_S instead (a
thread waking 50 times a second took about 1 % of a core from training on a 2-core machine),
and a peak shorter than the interval can be missed.
"""

from __future__ import annotations

import os
import re
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


def _reset_peak_rss() -> bool:
    """Reset the kernel's peak resident set to the current one; False where it is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as handle:
            handle.write("5")
    except OSError:
        return False
    return _peak_rss_bytes() is not None


def _peak_rss_bytes() -> int | None:
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            found = re.search(r"^VmHWM:\s+(\d+) kB$", handle.read(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) * 1024 if found else None


class PeakMemory:
    """`with PeakMemory(device) as peak:` … then `peak.mb` (None where nothing could be read)."""

    def __init__(self, device: str) -> None:
        self.device = device
        self.mb: float | None = None
        self._peak = 0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._kernel_peak = False  # the kernel keeps the peak (VmHWM, reset at the start)

    @property
    def method(self) -> str:
        """How the figure was measured, for the record."""
        if self.device == "cuda":
            return "torch.cuda.max_memory_allocated (tensors on the GPU)"
        if self._kernel_peak:
            return "process peak resident set (the kernel's VmHWM, reset at the start; includes Python and the data)"
        return f"process resident set, sampled every {SAMPLE_S * 1000:.0f} ms (includes Python and the data)"

    def __enter__(self) -> PeakMemory:
        if self.device == "cuda":
            import torch

            torch.cuda.reset_peak_memory_stats()
        elif _reset_peak_rss():
            self._kernel_peak = True
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
        if self._kernel_peak:
            peak = _peak_rss_bytes()
            self.mb = peak / BYTES_PER_MB if peak else None
            return
        self._done.set()
        if self._thread is not None:
            self._thread.join()
        self._peak = max(self._peak, _rss_bytes() or 0)
        self.mb = self._peak / BYTES_PER_MB if self._peak else None

    def _sample(self) -> None:
        while not self._done.wait(SAMPLE_S):
            self._peak = max(self._peak, _rss_bytes() or 0)
