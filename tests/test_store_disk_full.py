"""A full disk (or a file-size quota) while writing the store: a clear error, nothing lost.

The file-size limit (RLIMIT_FSIZE) makes the kernel refuse writes past a size with
EFBIG, exactly where a full disk would refuse them with ENOSPC, without filling a disk.
"""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
from pathlib import Path

from greentui.store.record import RunRecord, utc_now
from greentui.store.run_store import RunStore


def _limit_file_size(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_run_that_cannot_be_stored_fails_clearly_and_keeps_the_store(store_path: Path) -> None:
    store = RunStore(store_path)
    for i in range(5):
        store.insert(RunRecord(id=f"kept-{i}", name="kept", status="completed", created_at=utc_now()))
    before = store_path.read_bytes()

    result = subprocess.run(
        [sys.executable, "-m", "greentui", "--store", str(store_path), "run", "--preset", "tiny"],
        capture_output=True, text=True, timeout=120, cwd=store_path.parent,
        preexec_fn=lambda: _limit_file_size(len(before) + 100),
    )

    assert result.returncode != 0
    assert f"cannot write run store {store_path}" in result.stderr + result.stdout
    assert store_path.read_bytes() == before
    assert [p.name for p in store_path.parent.iterdir() if p.name.endswith(".tmp")] == []
    assert not any((store_path.parent / "runs").glob("*")), "no run folder for a run that was never stored"
