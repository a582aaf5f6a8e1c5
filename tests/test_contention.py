"""Contention (greentui.worker.contention): other work on the run's CPU and GPUs, seen from /proc and NVML.

The other work is a real busy process outside the test's process tree; only NVML's list of GPU
processes is simulated (there is no NVIDIA GPU here). Waits are on the sampler's own figures.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

from greentui.metrics.quality import CONTENDED_SHARE
from greentui.metrics.quality import is_contended as measurement_contended
from greentui.worker.contention import CORES_ENV, OTHERS_CPU_CORES, ContentionSampler, cores_threshold, nvml_compute_pids
from tests.support import HANG_S, wait_until


def is_contended(contention: Any) -> bool:
    """What a record with this `measurement.contention` is judged (greentui.metrics.quality)."""
    return measurement_contended({"contention": contention})


@pytest.fixture(autouse=True)
def default_cpu_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the CPU bar itself: the default one (conftest sets it out of reach)."""
    monkeypatch.delenv(CORES_ENV, raising=False)

BUSY_LOOP = "while True: pass"
NO_SUCH_PID = 999_999_999  # above any pid_max: never a process


# Starts the busy loop and exits: the loop is handed to init, outside this process's tree.
ORPHAN_LAUNCHER = ("import subprocess, sys; print(subprocess.Popen([sys.executable, '-c', " + repr(BUSY_LOOP) + "], "
                   "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True).pid)")


def _kill_busy(pid: int) -> None:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            ours = BUSY_LOOP.encode() in handle.read()
    except OSError:
        return
    if ours:
        os.kill(pid, signal.SIGKILL)


@pytest.fixture
def stranger() -> Iterator[int]:
    """A busy loop that is not in this process's tree: its launcher exits, so it is handed to init."""
    launcher = subprocess.run([sys.executable, "-c", ORPHAN_LAUNCHER], capture_output=True, text=True,
                              timeout=HANG_S, check=True)
    pid = int(launcher.stdout)
    yield pid
    _kill_busy(pid)


@pytest.fixture
def own_child() -> Iterator[int]:
    """A busy loop that is this process's child: part of "the run", never somebody else."""
    child = subprocess.Popen([sys.executable, "-c", BUSY_LOOP])
    yield child.pid
    child.kill()
    child.wait()


def _sampled(sampler: ContentionSampler, seconds: float = 3.0) -> None:
    wait_until(lambda: sampler.snapshot()["seconds_sampled"] >= seconds, f"{seconds} s of samples")


def _pids(result: dict[str, Any]) -> list[int]:
    return [other["pid"] for other in result["others"]]


def test_a_busy_process_of_somebody_else_is_contention_and_is_named(stranger: int) -> None:
    sampler = ContentionSampler(interval_s=0.5)
    sampler.start()
    wait_until(lambda: stranger in _pids(sampler.snapshot()), "the busy process to be named")
    result = sampler.stop()
    assert is_contended(result) and result["cpu_share"] > 0
    assert result["gpu_share"] is None  # no GPU lister: GPU sharing is not known, not "none"
    named = next(other for other in result["others"] if other["pid"] == stranger)
    assert named["comm"].startswith("python") and named["cpu_s"] > 0 and named["user"]
    assert result["threshold"] == {"cpu_cores": OTHERS_CPU_CORES, "window_s": 5.0, "share": CONTENDED_SHARE}


def test_the_run_and_its_children_are_never_others(own_child: int) -> None:
    # Rooted at pid 1, "the run" is every process here: as idle as a test can make the rest of the
    # machine, whoever else shares it. Rooted at this process, the busy child is still the run's own.
    whole_machine, this_process = ContentionSampler(interval_s=0.5, pid=1), ContentionSampler(interval_s=0.5)
    whole_machine.start()
    this_process.start()
    _sampled(whole_machine)
    _sampled(this_process)
    idle, own = whole_machine.stop(), this_process.stop()
    assert not is_contended(idle) and idle["cpu_share"] < CONTENDED_SHARE, idle
    for result in (idle, own):
        assert own_child not in _pids(result) and os.getpid() not in _pids(result), result


def test_another_pid_on_the_run_s_gpus_is_gpu_contention() -> None:
    parent = os.getppid()
    listers = {
        "another pid": lambda: [os.getpid(), parent],
        "only ours": lambda: [os.getpid()],
        "NVML fails": lambda: (_ for _ in ()).throw(RuntimeError("NVML_ERROR_UNKNOWN")),
        # Inside a container NVML's pids are the host's: two unseen ones mean somebody besides us.
        "two unseen": lambda: [NO_SUCH_PID, NO_SUCH_PID - 1],
        "one unseen": lambda: [NO_SUCH_PID],
        "ours and an ended one": lambda: [os.getpid(), NO_SUCH_PID],
    }
    samplers = {name: ContentionSampler(gpu_pids=lister, interval_s=0.5) for name, lister in listers.items()}
    for sampler in samplers.values():
        sampler.start()
    for sampler in samplers.values():
        _sampled(sampler, 1.0)
    results = {name: sampler.stop() for name, sampler in samplers.items()}
    assert results["another pid"]["gpu_share"] == 1.0 and is_contended(results["another pid"])
    named = next(other for other in results["another pid"]["others"] if other["pid"] == parent)
    assert named["gpu_s"] > 0 and isinstance(named["comm"], str)
    assert results["only ours"]["gpu_share"] == 0.0
    assert results["NVML fails"]["gpu_share"] is None
    assert results["two unseen"]["gpu_share"] == 1.0 and {NO_SUCH_PID, NO_SUCH_PID - 1} <= set(_pids(results["two unseen"]))
    assert results["one unseen"]["gpu_share"] == 0.0
    assert results["ours and an ended one"]["gpu_share"] == 0.0


def test_the_nvml_lister_reads_every_gpu_and_survives_nvml_errors() -> None:
    class NVMLError(Exception):
        pass

    def processes(handle: str) -> list[Any]:
        if handle == "broken":
            raise NVMLError("NVML_ERROR_GPU_IS_LOST")
        return [SimpleNamespace(pid=41, usedGpuMemory=1), SimpleNamespace(pid="junk"), SimpleNamespace()]

    fake_nvml = SimpleNamespace(nvmlDeviceGetComputeRunningProcesses=processes, NVMLError=NVMLError)
    assert nvml_compute_pids(fake_nvml, ["gpu0", "broken", "gpu1"])() == [41, 41]
    with pytest.raises(LookupError):
        nvml_compute_pids(fake_nvml, ["broken"])()
    assert nvml_compute_pids(fake_nvml, [])() == []


@pytest.mark.parametrize("junk", [None, [], "0.9", 1e400, {"share": "0.9"}, {"share": True}, {"share": float("nan")},
                                  {"share": float("inf")}, {"share": None}, {"share": [1]}, {"cpu_share": 1.0},
                                  {"share": 0.05}])
def test_is_contended_reads_junk_as_not_contended(junk: Any) -> None:
    assert is_contended(junk) is False


def test_is_contended_from_the_share() -> None:
    assert is_contended({"share": CONTENDED_SHARE}) and is_contended({"share": 1}) and is_contended({"share": 0.5})


@pytest.mark.parametrize(("value", "expected"), [("3", 3.0), ("0.25", 0.25), ("junk", OTHERS_CPU_CORES),
                                                 ("-1", OTHERS_CPU_CORES), ("nan", OTHERS_CPU_CORES), ("", OTHERS_CPU_CORES)])
def test_the_cpu_bar_can_be_set_for_a_busy_box(monkeypatch: pytest.MonkeyPatch, value: str, expected: float) -> None:
    monkeypatch.setenv(CORES_ENV, value)
    assert cores_threshold() == expected
    assert ContentionSampler(interval_s=0.05).stop()["threshold"]["cpu_cores"] == expected
