"""Idle TUI cost: CPU seconds of the TUI process ÷ wall seconds while it shows a live run (target ≤ 0.05).

A real tiny run is started detached (its worker is another process and is not counted), then
the real `greentui` opens in a pseudo-terminal, re-attaches to the run and shows its live
view. After a settling time its CPU time (user + system, all threads, from /proc) is read
over a window while training goes on.
"""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time
from pathlib import Path

from common import Row, greentui_command, main

from greentui.store.run_store import RunStore

TARGET = 0.05
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, all its threads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def start_run(store: Path) -> str:
    """A detached tiny run that lasts longer than the measurement; returns its id."""
    out = subprocess.run([*greentui_command(), "--store", str(store), "run", "--preset", "tiny", "--detach",
                          "--set", "epochs=50", "--set", "eval_samples=100", "--name", "idle-bench"],
                         check=True, capture_output=True, text=True, cwd=store.parent)
    return out.stdout.split()[1]  # "run ID started: NAME"


def open_tui(store: Path) -> tuple[subprocess.Popen, int]:
    """greentui in a 100×30 pseudo-terminal; its screen output is read and dropped."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    tui = subprocess.Popen([*greentui_command(), "--store", str(store)], stdin=slave, stdout=slave, stderr=slave,
                           cwd=store.parent, start_new_session=True, env={**os.environ, "TERM": "xterm-256color"})
    os.close(slave)

    def drain() -> None:
        try:
            while os.read(master, 65536):
                pass
        except OSError:
            pass

    threading.Thread(target=drain, daemon=True).start()
    return tui, master


def measure(settle_s: float, window_s: float) -> tuple[float, float]:
    """(CPU seconds ÷ wall seconds of the TUI, wall seconds measured)."""
    with tempfile.TemporaryDirectory(prefix="greentui-bench-") as folder:
        store = Path(folder) / "runs.json"
        run_id = start_run(store)
        tui, master = open_tui(store)
        try:
            time.sleep(settle_s)  # start-up and the first full read of the events file
            assert tui.poll() is None, "the TUI exited early"
            cpu0, wall0 = cpu_seconds(tui.pid), time.monotonic()
            time.sleep(window_s)
            cpu1, wall1 = cpu_seconds(tui.pid), time.monotonic()
            record = RunStore(store).get(run_id)
            assert record is not None and record.status == "running", f"the run ended during the measurement: {record}"
        finally:
            tui.send_signal(signal.SIGTERM)  # greentui exits cleanly on SIGTERM
            tui.wait(timeout=10)
            os.close(master)
            subprocess.run([*greentui_command(), "--store", str(store), "stop", run_id],
                           capture_output=True, cwd=store.parent)
    return (cpu1 - cpu0) / (wall1 - wall0), wall1 - wall0


def run(quick: bool) -> list[Row]:
    """Measure and return the table rows."""
    ratio, wall = measure(settle_s=4 if quick else 10, window_s=3 if quick else 30)
    return [Row("idle TUI cost (CPU s ÷ wall s, live view of a running run)", f"{ratio:.3f}", f"≤ {TARGET}",
                ratio <= TARGET, f"over {wall:.0f} s while the run trains")]


if __name__ == "__main__":
    main("idle TUI cost", __doc__, run)
