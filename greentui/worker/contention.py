"""Contention: how much of a run's time other work shared its devices, and whose work it was.

The device lease (runs.lease) keeps greentui's runs apart; anything else on the machine is only
seen. About once a second this sampler takes the CPU time the whole machine spent (/proc/stat)
minus the worker's own and its descendants', and asks a lister (built on NVML, see
`nvml_compute_pids`) which processes have a compute context on the run's GPUs. Only while other
work is seen does it scan /proc for who it is. `stop()` gives the record's
`measurement.contention`.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections import deque
from typing import Any, Callable, Iterable, Sequence

from greentui.metrics.quality import CONTENDED_SHARE  # one definition, read by every judge of a record
from greentui.worker import procfs

SAMPLE_INTERVAL_S = 1.0
# Other processes' CPU use, in cores, averaged over CPU_WINDOW_S, from which a moment counts as
# contended. Daemons, a shell and greentui's own live view stay well under a tenth of a core;
# any real job (another training, a compile, a data pipeline) takes a core or more. Half a core
# sits between, and the window keeps a one-second burst (a cron job, a `git status`) out.
OTHERS_CPU_CORES = 0.5
# On a box with known background load the bar can be set higher (or lower), and is recorded.
CORES_ENV = "GREENTUI_CONTENTION_CORES"
CPU_WINDOW_S = 5.0
TOP_OTHERS = 5  # the other processes named in the record


def cores_threshold() -> float:
    """OTHERS_CPU_CORES, or $GREENTUI_CONTENTION_CORES where it holds a positive number."""
    try:
        value = float(os.environ.get(CORES_ENV, ""))
    except ValueError:
        return OTHERS_CPU_CORES
    return value if math.isfinite(value) and value > 0 else OTHERS_CPU_CORES

GpuLister = Callable[[], Iterable[int]]


def nvml_compute_pids(pynvml: Any, handles: Sequence[Any]) -> GpuLister:
    """A lister of the pids with a compute context on `handles`' GPUs; it raises when no GPU answers."""

    def list_pids() -> list[int]:
        pids: list[int] = []
        answered = False
        for handle in handles:
            try:
                processes = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
            except Exception:  # noqa: BLE001 - NVMLError, a driver too old for the call: this GPU says nothing
                continue
            answered = True
            pids += [pid for pid in (getattr(p, "pid", None) for p in processes or ()) if type(pid) is int and pid > 0]
        if handles and not answered:
            raise LookupError("NVML listed the processes of none of the run's GPUs")
        return pids

    return list_pids


class ContentionSampler:
    """Samples in its own thread from `start()` to `stop()`; `snapshot()` may be read at any time."""

    def __init__(self, gpu_pids: GpuLister | None = None, interval_s: float = SAMPLE_INTERVAL_S, pid: int | None = None) -> None:
        self._gpu_pids, self._interval_s, self._pid = gpu_pids, interval_s, pid or os.getpid()
        self._cores = cores_threshold()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last: tuple[float, int | None, dict[int, int]] | None = None  # time, busy ticks, own tree's ticks
        self._window: deque[tuple[float, float, float]] = deque()  # (time, seconds, other cores x seconds)
        self._seconds = {"all": 0.0, "contended": 0.0, "cpu": 0.0, "cpu_contended": 0.0, "gpu": 0.0, "gpu_contended": 0.0}
        self._scan: dict[tuple[int, int], int] | None = None  # the previous /proc scan: (pid, start) -> ticks
        self._others: dict[tuple[int, int], dict[str, Any]] = {}

    def start(self) -> None:
        self._sample()  # the baseline the first interval is measured from
        self._thread = threading.Thread(target=self._loop, name="greentui-contention", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._sample()
            except Exception:  # noqa: BLE001 - a missed sample is not worth stopping a run for
                continue

    def stop(self) -> dict[str, Any]:
        """Stop sampling (one last sample closes the last interval) and return `measurement.contention`."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        try:
            self._sample()
        except Exception:  # noqa: BLE001
            pass
        return self.snapshot()

    def snapshot(self) -> dict[str, Any]:
        """The figures so far, as plain data."""
        with self._lock:
            seconds = dict(self._seconds)
            # GPU sharers first: they cost the run's GPU figures most; then by CPU used, a tick or more.
            seen = [other for other in self._others.values() if other["gpu_s"] > 0 or other["cpu_s"] >= 0.05]
            others = sorted(seen, key=lambda o: (-o["gpu_s"], -o["cpu_s"]))[:TOP_OTHERS]
            others = [{**other, "cpu_s": round(other["cpu_s"], 1), "gpu_s": round(other["gpu_s"], 1)} for other in others]

        def share(part: str, whole: str) -> float | None:
            return round(seconds[part] / seconds[whole], 3) if seconds[whole] > 0 else None

        return {"share": share("contended", "all") or 0.0, "cpu_share": share("cpu_contended", "cpu"),
                "gpu_share": share("gpu_contended", "gpu"), "seconds_sampled": round(seconds["all"], 1),
                "others": others, "threshold": {"cpu_cores": self._cores, "window_s": CPU_WINDOW_S,
                                                "share": CONTENDED_SHARE}}

    def _sample(self) -> None:
        now, busy = time.monotonic(), procfs.cpu_busy_ticks()
        tree = procfs.process_tree(self._pid)
        own = {pid: times[0] for pid in tree if (times := procfs.process_times(pid)) is not None}
        last, self._last = self._last, (now, busy, own)
        if last is None:
            return
        seconds = now - last[0]
        if seconds <= 0:
            return
        cpu_contended = None
        if busy is not None and last[1] is not None:
            # A process first seen now counts whole: it is a new child, and more "own" only means less "other".
            own_ticks = sum(max(0, ticks - last[2].get(pid, 0)) for pid, ticks in own.items())
            cores = max(0, busy - last[1] - own_ticks) / procfs.CLOCK_TICKS / seconds
            cpu_contended = self._window_cores(now, seconds, cores) >= self._cores
            if cpu_contended or cores >= self._cores:
                self._scan_others(tree, seconds)
            else:
                self._scan = None
        gpu_others = self._gpu_others(tree)
        with self._lock:
            self._add("all", seconds, bool(cpu_contended) or bool(gpu_others))
            if cpu_contended is not None:
                self._add("cpu", seconds, cpu_contended)
            if gpu_others is not None:
                self._add("gpu", seconds, bool(gpu_others))
                for pid in gpu_others:
                    self._other(pid, (procfs.process_times(pid) or (0, 0))[1])["gpu_s"] += seconds

    def _add(self, what: str, seconds: float, contended: bool) -> None:
        self._seconds[what] += seconds
        if contended:
            self._seconds["contended" if what == "all" else f"{what}_contended"] += seconds

    def _window_cores(self, now: float, seconds: float, cores: float) -> float:
        self._window.append((now, seconds, cores * seconds))
        while self._window and self._window[0][0] <= now - CPU_WINDOW_S:
            self._window.popleft()
        return sum(w[2] for w in self._window) / max(sum(w[1] for w in self._window), 1e-9)

    def _scan_others(self, tree: set[int], seconds: float) -> None:
        """Who the other CPU work is: each other process's ticks since the last scan (taken a sample ago)."""
        scan = {}
        for pid in procfs.all_pids():
            if pid not in tree and (times := procfs.process_times(pid)) is not None:
                scan[(pid, times[1])] = times[0]
        previous, self._scan = self._scan, scan
        if previous is None:
            return
        with self._lock:
            for key, ticks in scan.items():
                used = ticks - previous.get(key, ticks)
                if used > 0:
                    self._other(*key)["cpu_s"] += used / procfs.CLOCK_TICKS

    def _gpu_others(self, tree: set[int]) -> list[int] | None:
        """Pids other than the run's on its GPUs; None when that cannot be known now."""
        if self._gpu_pids is None:
            return None
        try:
            listed = {pid for pid in self._gpu_pids() if type(pid) is int and pid > 0}
        except Exception:  # noqa: BLE001 - NVML errors: this second's GPU sharing is unknown
            return None
        visible = {pid for pid in listed if os.path.exists(f"/proc/{pid}")}
        hidden = sorted(listed - visible)
        if hidden and not listed & tree:
            # NVML names every process by the host's pids; inside a container none of them are ours to
            # see, and one of them is likely this run: only a second unseen one shows other work.
            hidden = hidden if len(hidden) > 1 else []
        else:
            hidden = []  # our pids are listed, so an unseen one has just ended
        return sorted(visible - tree) + hidden

    def _other(self, pid: int, start: int) -> dict[str, Any]:
        """The entry of another process, named once (under self._lock)."""
        key = (pid, start)
        if key not in self._others:
            self._others[key] = {"pid": pid, "comm": procfs.command_name(pid), "user": procfs.user_name(pid),
                                 "cpu_s": 0.0, "gpu_s": 0.0}
        return self._others[key]
