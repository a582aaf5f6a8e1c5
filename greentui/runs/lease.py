"""One run per device at a time, machine-wide: the device lease a worker holds for its whole run.

A figure measured while another job shares the GPU or the CPU is not the run's figure. So each
device (`gpu-<UUID>` per GPU, `cpu` for a run trained on the CPU) has a lock file in one folder
for the whole machine (runs.lease_files), whatever store or user a run belongs to, and a run
holds a flock on it from start to end; the kernel drops the flock when the process dies, however
it dies. flock wakes its waiters in no particular order, so waiters queue with tickets: each
makes and flocks a ticket file named by the time it asked, and takes the device only when no
older live ticket is left. Several devices are taken one by one in the order of their keys, so
two runs never wait for each other.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from greentui.runs.lease_files import LeaseDir, LeaseError, lease_dir_path, lock_holders

POLL_S = 0.25  # how often a waiter looks again: a run waits minutes, a quarter second is lost in that
_KEY = re.compile(r"[A-Za-z0-9_-]{1,120}\Z")

__all__ = ["CPU", "Device", "Lease", "LeaseError", "LeaseStopped", "doctor_lines", "gpu_device", "held_keys"]


class LeaseStopped(Exception):
    """A stop was asked for while waiting for a device; nothing is held."""


@dataclass(frozen=True)
class Device:
    """A device runs queue for: its lock file's key and the name a user reads."""

    key: str
    label: str

    def __post_init__(self) -> None:
        if not _KEY.match(self.key):
            raise ValueError(f"device key {self.key!r}: letters, digits, '-' and '_' only")


CPU = Device("cpu", "the CPU")


def gpu_device(index: int, uuid: str) -> Device:
    """The lease of one GPU, keyed by its NVML UUID (the index changes with CUDA_VISIBLE_DEVICES, the UUID does not)."""
    return Device("gpu-" + re.sub(r"[^A-Za-z0-9_-]", "_", uuid)[:100], f"GPU {index}")


def _ticket_key_stamp(name: str) -> tuple[str, int, int] | None:
    parts = name.split(".")
    if len(parts) == 4 and parts[3] == "ticket" and parts[1].isdigit() and parts[2].isdigit():
        return parts[0], int(parts[1]), int(parts[2])
    return None


def _queue_ahead(folder: LeaseDir, key: str, mine: str | None) -> int:
    """How many live tickets for `key` are older than `mine` (every live one when `mine` is None)."""
    parsed_mine = _ticket_key_stamp(mine) if mine else None
    ahead = 0
    for name in folder.names():
        ticket = _ticket_key_stamp(name)
        if ticket is None or ticket[0] != key or name == mine:
            continue
        if parsed_mine is not None and ticket[1:] > parsed_mine[1:]:
            continue
        ahead += folder.is_live(name)
    return ahead


def _held_by(fd: int, ahead: int = 0) -> str:
    """Who holds the device (from /proc/locks) and how many runs queue before us, in words."""
    pids = lock_holders(fd)
    held = "held by pid " + ", ".join(str(pid) for pid in pids) if pids else ""
    if not pids and not ahead:
        held = "held by a process not visible from here"
    queued = f"{ahead} run{'s' if ahead > 1 else ''} queued ahead" if ahead else ""
    return "; ".join(part for part in (held, queued) if part)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@dataclass
class Lease:
    """Devices held for one run; `release()` (or leaving the `with` block) gives them back."""

    lease_dir: str
    devices: tuple[Device, ...] = ()
    overlapped: dict[str, str] = field(default_factory=dict)  # device key -> who held it when the run went ahead
    waited_s: float = 0.0
    _fds: list[int] = field(default_factory=list, repr=False)

    @classmethod
    def acquire(cls, devices: Iterable[Device], on_wait: Callable[[str], None] | None = None,
                stop: threading.Event | None = None, allow_overlap: bool = False) -> Lease:
        """Take every device, in the order of their keys, waiting in turn behind earlier runs.

        `on_wait` hears what is waited for whenever that changes ("waiting for GPU 0 (held by pid
        1234)"). `allow_overlap` never waits: a busy device is noted in `overlapped` and not held.
        Raises LeaseStopped when `stop` is set while waiting, LeaseError when the folder or a lock
        file cannot be used; nothing stays held after either.
        """
        wanted = sorted({device.key: device for device in devices}.values(), key=lambda device: device.key)
        folder = LeaseDir(lease_dir_path())
        lease = cls(str(folder.path))
        started = time.monotonic()
        try:
            for device in wanted:
                fd = _take(folder, device, on_wait or (lambda _: None), stop or threading.Event(), allow_overlap, lease)
                if fd is not None:
                    lease._fds.append(fd)
                    lease.devices += (device,)
        except BaseException:
            lease.release()
            raise
        finally:
            folder.close()
        lease.waited_s = time.monotonic() - started
        return lease

    def release(self) -> None:
        """Give every device back (closing the lock file drops its flock); safe to call twice."""
        fds, self._fds = self._fds, []
        for fd in fds:
            os.close(fd)

    def __enter__(self) -> Lease:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()

    def as_doc(self) -> dict[str, Any]:
        """What the run record keeps of its lease."""
        return {"dir": self.lease_dir, "devices": [device.key for device in self.devices],
                "overlapped": dict(self.overlapped), "waited_s": round(self.waited_s, 1)}


def _take(folder: LeaseDir, device: Device, on_wait: Callable[[str], None], stop: threading.Event,
          allow_overlap: bool, lease: Lease) -> int | None:
    lock_name = f"{device.key}.lock"
    fd = folder.open_file(lock_name, create=True)
    assert fd is not None
    if allow_overlap:
        queued = _queue_ahead(folder, device.key, None)
        if not queued and _try_lock(fd):
            return fd
        lease.overlapped[device.key] = _held_by(fd, queued)
        os.close(fd)
        return None
    try:
        ticket, ticket_fd = folder.new_ticket(device.key)
    except BaseException:
        os.close(fd)
        raise
    said = ""
    try:
        while True:
            ahead = _queue_ahead(folder, device.key, ticket)
            if not ahead and _try_lock(fd):
                if folder.still_named(lock_name, fd):
                    return fd
                stale, fd = fd, -1
                os.close(stale)  # the lock file was removed and made again: the lock is the new file's
                fd = folder.open_file(lock_name, create=True) or -1
                continue
            message = f"waiting for {device.label} ({_held_by(fd, ahead)})"
            if message != said:
                on_wait(message)
                said = message
            if stop.wait(POLL_S):
                raise LeaseStopped(f"stopped while waiting for {device.label}")
    except BaseException:
        if fd >= 0:
            os.close(fd)
        raise
    finally:
        folder.remove(ticket)
        os.close(ticket_fd)


def doctor_lines(devices: Iterable[Device] = ()) -> list[str]:
    """`greentui doctor`'s lines: the lease folder, and whether each device (and any other lock there) is free."""
    path = lease_dir_path()
    if not os.path.lexists(path):
        return [f"device leases: {path} (not made yet: every device is free)"]
    try:
        folder = LeaseDir(path, create=False)
    except LeaseError as err:
        return [f"device leases: {err}"]
    with folder:
        labels = {device.key: device.label for device in devices}
        try:
            names = folder.names()
        except LeaseError as err:
            return [f"device leases: {err}"]
        for name in names:
            key = name[: -len(".lock")] if name.endswith(".lock") else ""
            if _KEY.match(key):
                labels.setdefault(key, key)
        lines = [f"device leases: {path} (one run per device at a time, for every user of this machine)"]
        for key in sorted(labels):
            name = labels[key] if labels[key] == key else f"{labels[key]} [{key}]"
            lines.append(f"  {name}: {_device_state(folder, key)}")
        return lines


def _device_state(folder: LeaseDir, key: str) -> str:
    try:
        fd = folder.open_file(f"{key}.lock", create=False)
    except LeaseError as err:
        return str(err)
    if fd is None:
        return "free"
    try:
        waiting = _queue_ahead(folder, key, None)
        queue = f", {waiting} waiting" if waiting else ""
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return "free" + queue
        except BlockingIOError:
            return _held_by(fd) + queue
    finally:
        os.close(fd)


def held_keys() -> set[str]:
    """The keys of the devices whose lease some run holds right now, on this machine (for every user)."""
    path = lease_dir_path()
    if not os.path.lexists(path):
        return set()
    try:
        folder = LeaseDir(path, create=False)
    except LeaseError:
        return set()
    held = set()
    with folder:
        try:
            names = folder.names()
        except LeaseError:
            return set()
        for name in names:
            key = name[: -len(".lock")] if name.endswith(".lock") else ""
            if _KEY.match(key) and _is_held(folder, key):
                held.add(key)
    return held


def _is_held(folder: LeaseDir, key: str) -> bool:
    try:
        fd = folder.open_file(f"{key}.lock", create=False)
    except LeaseError:
        return False
    if fd is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)  # taken only while nobody holds it: dropped with the fd
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
