"""Terminal traffic: bytes/s greentui writes while it shows a live run (target ≤ 800 at 100×30).

Over SSH every byte crosses the link: a screen that repaints whole charts each tick stutters on
a slow one. A real tiny run trains detached (as in idle_cpu.py), the real `greentui` shows its
live view in a pseudo-terminal, and after a settling time everything it writes is counted over a
window, with its CPU time. `htop` and `wandb leet` are measured the same way where installed,
as the figures to compare with.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import Row, greentui_command, main
from idle_cpu import cpu_seconds, start_run
from terminal import Terminal

TARGET_BYTES_S = 800
TARGET_CPU = 0.02


def count_bytes(master: int, window_s: float) -> int:
    """Bytes read from a terminal's master side over `window_s` seconds."""
    total, deadline = 0, time.monotonic() + window_s
    while (left := deadline - time.monotonic()) > 0:
        if select.select([master], [], [], left)[0]:
            try:
                total += len(os.read(master, 65536))
            except OSError:  # the program exited
                break
    return total


def drain_for(master: int, seconds: float) -> None:
    """Read and drop output for `seconds` (start-up and the first full frame)."""
    count_bytes(master, seconds)


def greentui_traffic(columns: int, lines: int, settle_s: float, window_s: float) -> tuple[float, float]:
    """(bytes/s, CPU s ÷ wall s) of greentui's live view of a training run at COLUMNS×LINES."""
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        store = Path(folder) / "runs.json"
        run_id = start_run(store)
        term = Terminal(store, columns, lines)
        try:
            term.wait_for(b"measured by", timeout_s=120)  # the live view's strip is drawn
            drain_for(term.master, settle_s)  # the first full read of the events file, charts filling
            assert term.process.poll() is None, "the TUI exited early"
            cpu0, wall0 = cpu_seconds(term.process.pid), time.monotonic()
            written = count_bytes(term.master, window_s)
            cpu1, wall1 = cpu_seconds(term.process.pid), time.monotonic()
        finally:
            term.close()
            subprocess.run([*greentui_command(), "--store", str(store), "stop", run_id],
                           capture_output=True, cwd=store.parent)
    return written / (wall1 - wall0), (cpu1 - cpu0) / (wall1 - wall0)


def peer_traffic(command: list[str], settle_s: float, window_s: float) -> float:
    """bytes/s another terminal UI writes at 100×30 (it runs as-is, on nothing of ours)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                               env={**os.environ, "TERM": "xterm-256color"})
    os.close(slave)
    try:
        drain_for(master, settle_s)
        started = time.monotonic()
        written = count_bytes(master, window_s)
        return written / (time.monotonic() - started)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
        os.close(master)


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    settle, window = (3.0, 4.0) if quick else (8.0, 40.0)
    wide, cpu = greentui_traffic(100, 30, settle, window)
    small, _ = greentui_traffic(80, 24, settle, window)
    rows = [Row("terminal traffic: bytes/s, live view at 100×30", f"{wide:,.0f}", f"≤ {TARGET_BYTES_S}",
                wide <= TARGET_BYTES_S, f"over {window:.0f} s while a tiny run trains"),
            Row("terminal traffic: bytes/s, live view at 80×24", f"{small:,.0f}"),
            Row("terminal traffic: TUI CPU s ÷ wall s (100×30)", f"{cpu:.3f}", f"≤ {TARGET_CPU}",
                cpu <= TARGET_CPU)]
    for name, command in (("htop", ["htop"]), ("wandb leet", ["wandb", "leet"])):
        if shutil.which(command[0]) is None:
            rows.append(Row(f"terminal traffic: {name} bytes/s at 100×30", "not installed"))
        else:
            rows.append(Row(f"terminal traffic: {name} bytes/s at 100×30",
                            f"{peer_traffic(command, settle, window):,.0f}"))
    return rows


if __name__ == "__main__":
    main("terminal traffic", __doc__, run)
