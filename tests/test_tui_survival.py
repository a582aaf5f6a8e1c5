"""Killing the TUI, or hanging up its terminal, mid-run must not touch the run it started."""

from __future__ import annotations

import os
import pty
import signal
import sys
import threading
import time
from pathlib import Path

import pytest

from greentui.config import save_toml
from greentui.presets import preset
from greentui.store.run_store import RunStore
from tests.support import wait_until

pytestmark = pytest.mark.slow  # trains the bundled model in real worker processes


def open_tui_in_a_terminal(store_path: Path, xdg: Path) -> tuple[int, int]:
    """Start the real `greentui` TUI on a pseudo-terminal; returns (pid, terminal master fd)."""
    # The form opens on the last used config: make it a short run.
    (xdg / "greentui").mkdir(parents=True, exist_ok=True)
    save_toml(preset("tiny").with_values(train_samples=320, eval_samples=200, epochs=2.0),
              xdg / "greentui" / "last-config.toml")
    pid, master = pty.fork()
    if pid == 0:  # the child: becomes greentui, in its own session with this terminal
        os.environ.update({"TERM": "xterm-256color", "XDG_CONFIG_HOME": str(xdg), "COLUMNS": "100", "LINES": "30"})
        os.chdir(store_path.parent)
        os.execv(sys.executable, [sys.executable, "-m", "greentui", "--store", str(store_path)])
    drain = threading.Thread(target=_drain, args=(master,), daemon=True)  # a full terminal would block the app
    drain.start()
    return pid, master


def _drain(master: int) -> None:
    try:
        while os.read(master, 65536):
            pass
    except OSError:
        pass


@pytest.mark.parametrize("how", ["kill -9 the TUI", "hang up its terminal"])
def test_run_outlives_the_tui(store_path: Path, tmp_path: Path, how: str) -> None:
    pid, master = open_tui_in_a_terminal(store_path, tmp_path / "xdg")
    store = RunStore(store_path)
    try:
        time.sleep(3)  # let the first frame draw
        deadline = time.monotonic() + 60
        while not store_path.exists() or not store.all():
            os.write(master, b"\x12")  # ctrl+r: Run
            assert time.monotonic() < deadline, "the TUI did not start a run"
            time.sleep(2)
        run = store.all()[0]
        wait_until(lambda: store.get(run.id).pid is not None, "the worker to start")
        if how == "kill -9 the TUI":
            os.kill(pid, signal.SIGKILL)
        else:
            os.close(master)  # the terminal goes away: the kernel sends SIGHUP
            master = -1
        os.waitpid(pid, 0)
    finally:
        if master >= 0:
            os.close(master)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_until(lambda: store.get(run.id).status != "running", "the run to finish")
    assert store.get(run.id).status == "completed"
