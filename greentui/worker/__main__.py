"""Entry point: `python -m greentui.worker RUN_DIR` (started by greentui's launcher)."""

import signal
import sys
import threading
from pathlib import Path

# First, before the imports that take a second or more: a stop asked for while the worker is
# still starting (greentui stop right after a launch) must end the run as stopped, not kill it
# by SIGTERM's default action and leave it to be found crashed. The launcher starts this process
# with SIGTERM blocked, so one sent before these lines waits here for the handler.
stop_requested = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop_requested.set())
signal.signal(signal.SIGINT, lambda *_: stop_requested.set())
signal.signal(signal.SIGHUP, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})  # the launcher spawned us with it blocked

from greentui.worker.run import execute  # noqa: E402 - after the handlers, on purpose

if len(sys.argv) != 2:
    sys.exit("usage: python -m greentui.worker RUN_DIR")
sys.exit(execute(Path(sys.argv[1]), stop_requested))
