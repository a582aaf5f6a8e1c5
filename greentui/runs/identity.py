"""Which process is a run's worker: the identity kept at launch, and the check made before believing it.

A pid in runs.json proves nothing: after a reboot, or once enough processes have come and gone,
it names somebody else's process, and a crafted store can name any pid at all. So the launch
records the worker's pid with its start time (from /proc), the boot id and the host, and a run
is alive only while a process with that very pid, start time and boot is running here. A run
launched on another host (a store on a shared file system) can be neither confirmed nor
signalled from this one.
"""

from __future__ import annotations

import os
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping

WORKER_MODULE = "greentui.worker"


@dataclass(frozen=True)
class ProcessIdentity:
    """A process as the kernel knows it: pid, start time in clock ticks since boot, boot id, host."""

    pid: int
    start_ticks: int
    boot_id: str
    host: str

    def to_doc(self) -> dict[str, Any]:
        """The record's `process` field."""
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> ProcessIdentity | None:
        """The identity a record keeps; None when the field is missing or of the wrong shape."""
        pid, ticks, boot, host = (doc.get(k) for k in ("pid", "start_ticks", "boot_id", "host"))
        if type(pid) is int and pid > 1 and type(ticks) is int and isinstance(boot, str) and isinstance(host, str):
            return cls(pid, ticks, boot, host)
        return None

    @property
    def here(self) -> bool:
        """True when the process ran on this host, so /proc can say whether it still runs."""
        return self.host == socket.gethostname()


def identify(pid: int) -> ProcessIdentity | None:
    """The identity of the live, non-zombie process `pid` on this host, or None."""
    if pid <= 1:
        return None
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name, in brackets, may hold spaces
    if len(fields) < 20 or fields[0] == "Z" or not fields[19].isdigit():
        return None
    return ProcessIdentity(pid, int(fields[19]), boot_id(), socket.gethostname())


def boot_id() -> str:
    """This boot's random id (changes on every reboot)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text(encoding="ascii").strip()
    except OSError:
        return ""


def is_running(identity: ProcessIdentity) -> bool:
    """True while the process with this identity runs here (same pid, start time and boot)."""
    return identity.here and identify(identity.pid) == identity


def runs_worker(pid: int, run_dir: Path) -> bool:
    """True when `pid`'s command line is greentui's worker for this run folder (for records without an identity)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return WORKER_MODULE.encode() in argv and os.fsencode(str(run_dir)) in argv
