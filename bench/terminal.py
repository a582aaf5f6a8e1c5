"""The real `greentui` in a pseudo-terminal, driven by keystrokes and timed by what it writes.

Textual's pilot is no clock for how fast a screen appears: it runs headless, so the frames are
never turned into terminal output, and every key press waits for the app to look idle (20 ms
slices), which adds 60-90 ms a key. Here the app draws to a pseudo-terminal as it would over
SSH, and a key's time is from writing it to the last byte of the frames it caused.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

from common import greentui_command

QUIET_S = 0.15  # no output for this long after the awaited text: the screen is drawn
F3 = b"\x1bOR"  # what an xterm sends for F3


class Terminal:
    """`greentui --store STORE` in a COLUMNS×LINES pseudo-terminal."""

    def __init__(self, store: Path, columns: int = 120, lines: int = 40) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*greentui_command(), "--store", str(store)], stdin=slave, stdout=slave, stderr=slave,
            cwd=store.parent, start_new_session=True, env={**os.environ, "TERM": "xterm-256color"})
        os.close(slave)

    def press(self, keys: bytes, until: bytes, timeout_s: float = 60.0) -> float:
        """Send keys; seconds until the last byte of the output that shows `until`."""
        self._drain()
        sent = time.perf_counter()
        os.write(self.master, keys)
        return self.wait_for(until, timeout_s) - sent

    def wait_for(self, text: bytes, timeout_s: float = 60.0) -> float:
        """perf_counter time of the last byte written before the screen went quiet with `text` on it."""
        seen, last, tail = False, 0.0, b""
        deadline = time.perf_counter() + timeout_s
        while True:
            wait = QUIET_S if seen else deadline - time.perf_counter()
            if not seen and wait <= 0:
                raise TimeoutError(f"greentui never showed {text!r}")
            if not select.select([self.master], [], [], wait)[0]:
                if seen:
                    return last
                continue
            chunk = os.read(self.master, 65536)
            last = time.perf_counter()
            seen = seen or text in tail + chunk
            tail = (tail + chunk)[-len(text):]  # the text may be split between two reads

    def _drain(self) -> None:
        while select.select([self.master], [], [], 0)[0]:
            try:
                os.read(self.master, 65536)
            except OSError:  # EIO: greentui exited and closed its side of the terminal; nothing is left
                return

    def close(self) -> None:
        """Quit greentui (SIGTERM: it exits cleanly) and free the terminal."""
        self.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        try:
            while self.process.poll() is None and time.monotonic() < deadline:
                self._drain()  # a full terminal buffer would block its goodbye output
                time.sleep(0.02)
        finally:
            os.close(self.master)
        self.process.wait(timeout=1)
