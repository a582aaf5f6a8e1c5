"""The device lease (greentui.runs.lease): one run per device, machine-wide, in the order runs asked.

Holders and waiters are real processes (multiprocessing, spawned); the lease folder is the
test's own through GREENTUI_LEASE_DIR. Waits are on state: a ticket appearing, an event set.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest

from greentui.runs.lease import Device, Lease, LeaseError, LeaseStopped, doctor_lines, gpu_device
from greentui.runs.lease_files import LEASE_DIR_ENV
from tests.support import HANG_S, wait_until

SPAWN = multiprocessing.get_context("spawn")
DEV = Device("gpu-test", "GPU 0")
ORDER = ("first", "second", "third", "fourth", "fifth")


@pytest.fixture
def lease_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A lease folder of the test's own, beside where the real one would be (so another user could reach it)."""
    parent = Path(tempfile.mkdtemp(prefix="greentui-lease-test-"))
    os.chmod(parent, 0o755)
    monkeypatch.setenv(LEASE_DIR_ENV, str(parent / "leases"))
    yield parent / "leases"
    shutil.rmtree(parent, ignore_errors=True)


def _append(log: str, line: str) -> None:
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    os.write(fd, (line + "\n").encode())
    os.close(fd)


def _take_turns(folder: str, keys: list[str], log: str, name: str, turns: int) -> None:
    os.environ[LEASE_DIR_ENV] = folder
    for _ in range(turns):
        with Lease.acquire([Device(key, key) for key in keys]):
            _append(log, f"in {name}")
            time.sleep(0.02)  # room for a second holder to slip in, were the lease broken
            _append(log, f"out {name}")


def _hold(folder: str, ready: Any, release: Any) -> None:
    os.environ[LEASE_DIR_ENV] = folder
    with Lease.acquire([DEV]):
        ready.set()
        release.wait(HANG_S)


def _take_once(folder: str, log: str, name: str) -> None:
    os.environ[LEASE_DIR_ENV] = folder
    with Lease.acquire([DEV]):
        _append(log, name)


def _tickets(folder: Path) -> list[str]:
    return [name for name in os.listdir(folder) if name.endswith(".ticket")] if folder.is_dir() else []


def _start(target: Any, *args: Any) -> Any:
    process = SPAWN.Process(target=target, args=args, daemon=True)
    process.start()
    return process


def _holder(lease_dir: Path) -> tuple[Any, Any]:
    ready, release = SPAWN.Event(), SPAWN.Event()
    process = _start(_hold, str(lease_dir), ready, release)
    assert ready.wait(HANG_S), "the holder never got the device"
    return process, release


def _finish(*processes: Any) -> None:
    for process in processes:
        process.join(HANG_S)
        assert process.exitcode == 0, f"{process.name} ended with {process.exitcode}"


def test_holders_never_overlap_and_several_devices_never_deadlock(lease_dir: Path, tmp_path: Path) -> None:
    log = str(tmp_path / "log")
    # Opposite orders of the same two devices would deadlock were they not taken in one order.
    turns = [_start(_take_turns, str(lease_dir), keys, log, name, 5)
             for keys, name in ((["a", "b"], "p1"), (["b", "a"], "p2"), (["a"], "p3"))]
    _finish(*turns)
    lines = Path(log).read_text().splitlines()
    assert len(lines) == 30
    for start, end in zip(lines[::2], lines[1::2], strict=True):
        assert start.startswith("in ") and end == "out " + start[3:], lines


def test_waiters_are_served_in_the_order_they_asked(lease_dir: Path, tmp_path: Path) -> None:
    log = str(tmp_path / "log")
    holder = Lease.acquire([DEV])
    waiters = []
    for count, name in enumerate(ORDER, start=1):
        waiters.append(_start(_take_once, str(lease_dir), log, name))
        wait_until(lambda count=count: len(_tickets(lease_dir)) == count, f"{name}'s ticket")  # type: ignore[misc]
    holder.release()
    _finish(*waiters)
    assert Path(log).read_text().splitlines() == list(ORDER)
    assert _tickets(lease_dir) == []


def test_a_killed_holder_or_waiter_frees_the_device(lease_dir: Path, tmp_path: Path) -> None:
    holder, _ = _holder(lease_dir)
    assert any(f"GPU 0 [gpu-test]: held by pid {holder.pid}" in line for line in doctor_lines([DEV]))
    waiter = _start(_take_once, str(lease_dir), str(tmp_path / "log"), "killed")
    wait_until(lambda: _tickets(lease_dir), "the waiter's ticket")
    waiter.kill()
    holder.kill()
    _finish_killed(waiter, holder)
    stop = threading.Event()
    timer = threading.Timer(HANG_S, stop.set)
    timer.start()
    try:
        with Lease.acquire([DEV], stop=stop) as lease:
            assert lease.devices == (DEV,)
    finally:
        timer.cancel()
    assert _tickets(lease_dir) == [], "the dead waiter's ticket was left behind"
    assert "GPU 0 [gpu-test]: free" in doctor_lines([DEV])[1]


def _finish_killed(*processes: Any) -> None:
    for process in processes:
        process.join(HANG_S)
        assert process.exitcode is not None


def test_stop_while_waiting_returns_and_names_the_holder(lease_dir: Path) -> None:
    holder, release = _holder(lease_dir)
    heard: list[str] = []
    outcome: list[BaseException] = []
    stop = threading.Event()

    def wait_for_device() -> None:
        try:
            Lease.acquire([DEV], on_wait=heard.append, stop=stop)
        except BaseException as err:  # noqa: BLE001 - the test reads it
            outcome.append(err)

    waiter = threading.Thread(target=wait_for_device)
    waiter.start()
    wait_until(lambda: heard, "the waiter to say what it waits for")
    stop.set()
    waiter.join(HANG_S)
    assert not waiter.is_alive()
    assert heard == [f"waiting for GPU 0 (held by pid {holder.pid})"]
    assert len(outcome) == 1 and isinstance(outcome[0], LeaseStopped), outcome
    assert _tickets(lease_dir) == []
    release.set()
    _finish(holder)


def test_allow_overlap_goes_ahead_at_once_and_says_the_device_was_busy(lease_dir: Path) -> None:
    holder, release = _holder(lease_dir)
    heard: list[str] = []
    with Lease.acquire([DEV, Device("free", "free one")], on_wait=heard.append, allow_overlap=True) as lease:
        assert heard == []
        assert lease.devices == (Device("free", "free one"),)
        assert lease.as_doc()["overlapped"] == {"gpu-test": f"held by pid {holder.pid}"}
    release.set()
    _finish(holder)
    with Lease.acquire([DEV], allow_overlap=True) as lease:
        assert lease.devices == (DEV,) and lease.overlapped == {}


def test_a_symlink_or_a_file_in_place_of_the_folder_is_refused(lease_dir: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    lease_dir.symlink_to(victim)
    with pytest.raises(LeaseError, match=f"{lease_dir} is a symlink"):
        Lease.acquire([DEV])
    assert list(victim.iterdir()) == []
    assert f"{lease_dir} is a symlink" in doctor_lines()[0]
    lease_dir.unlink()
    lease_dir.write_text("not a folder")
    with pytest.raises(LeaseError, match=f"{lease_dir} is not a folder"):
        Lease.acquire([DEV])
    assert lease_dir.read_text() == "not a folder"


def test_a_symlink_or_a_fifo_in_place_of_a_lock_file_is_refused(lease_dir: Path, tmp_path: Path) -> None:
    Lease.acquire([]).release()  # makes the folder
    assert stat.S_IMODE(lease_dir.lstat().st_mode) == 0o1777
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    victim.chmod(0o600)
    for target in (victim, tmp_path / "not-there"):
        (lease_dir / "gpu-test.lock").symlink_to(target)
        with pytest.raises(LeaseError, match=f"{lease_dir / 'gpu-test.lock'} is a symlink"):
            Lease.acquire([DEV])
        (lease_dir / "gpu-test.lock").unlink()
    assert victim.read_text() == "keep me" and stat.S_IMODE(victim.stat().st_mode) == 0o600
    assert not (tmp_path / "not-there").exists()
    os.mkfifo(lease_dir / "gpu-test.lock")
    with pytest.raises(LeaseError, match="is not a plain file"):
        Lease.acquire([DEV])
    assert _tickets(lease_dir) == []


def test_a_folder_others_may_write_unless_sticky_is_refused(lease_dir: Path) -> None:
    lease_dir.mkdir()
    lease_dir.chmod(0o777)
    with pytest.raises(LeaseError, match=f"{lease_dir} is writable by others but not sticky"):
        Lease.acquire([DEV])
    if os.getuid() == 0:
        lease_dir.chmod(0o755)
        os.chown(lease_dir, 65534, 65534)
        with pytest.raises(LeaseError, match=f"{lease_dir} belongs to uid 65534"):
            Lease.acquire([DEV])


class OtherUser:
    """A forked child acting as uid 65534: it runs `action(say, wait)` and says what came of it."""

    def __init__(self, action: Any) -> None:
        reader, writer = os.pipe()
        go_reader, self._go = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # the child: no pytest code runs past here
            os.close(reader)
            os.close(self._go)

            def say(text: str) -> None:
                os.write(writer, (text + "\n").encode())

            try:
                os.setgid(65534)
                os.setuid(65534)
                said = str(action(say, lambda: os.read(go_reader, 1)))
            except BaseException as err:  # noqa: BLE001
                said = f"{type(err).__name__}: {err}"
            try:
                say(said)
            finally:
                os._exit(0)
        os.close(writer)
        os.close(go_reader)
        self._said = os.fdopen(reader, "r")

    def hears(self) -> str:
        return self._said.readline().rstrip("\n")

    def finish(self) -> None:
        os.close(self._go)  # ends the child's wait
        self._said.read()
        self._said.close()
        os.waitpid(self.pid, 0)


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to act as a second user")
def test_another_user_shares_the_lease_and_an_unwritable_folder_is_named(lease_dir: Path) -> None:
    Lease.acquire([DEV]).release()  # root makes the folder and the lock file
    assert stat.S_IMODE((lease_dir / "gpu-test.lock").stat().st_mode) == 0o644

    def hold(say: Any, wait: Any) -> str:
        with Lease.acquire([DEV]):  # root's lock file, opened read-only
            say("held")
            wait()
        return "released"

    other = OtherUser(hold)
    try:
        assert other.hears() == "held"
        with Lease.acquire([DEV], allow_overlap=True) as lease:
            assert lease.overlapped == {"gpu-test": f"held by pid {other.pid}"}
    finally:
        other.finish()
    private = lease_dir.parent / "private"
    private.mkdir(mode=0o755)
    os.environ[LEASE_DIR_ENV] = str(private)
    try:
        other = OtherUser(lambda say, wait: Lease.acquire([DEV]))
        said = other.hears()
        other.finish()
    finally:
        os.environ[LEASE_DIR_ENV] = str(lease_dir)
    assert said.startswith(f"LeaseError: the lease file {private / 'gpu-test.lock'} cannot be created"), said


def test_device_keys_are_file_names_and_gpus_are_keyed_by_uuid() -> None:
    assert gpu_device(3, "GPU-1b2c/../x").key == "gpu-GPU-1b2c____x"
    assert gpu_device(3, "GPU-1b2c").label == "GPU 3"
    for bad in ("", "../etc", "a.lock", "x" * 200):
        with pytest.raises(ValueError):
            Device(bad, "bad")


def test_doctor_before_any_run(lease_dir: Path) -> None:
    assert doctor_lines([DEV]) == [f"device leases: {lease_dir} (not made yet: every device is free)"]
