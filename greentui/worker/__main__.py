"""Entry point: `python -m greentui.worker RUN_DIR` (started by greentui's launcher)."""

import sys
from pathlib import Path

from greentui.worker.run import execute

if len(sys.argv) != 2:
    sys.exit("usage: python -m greentui.worker RUN_DIR")
sys.exit(execute(Path(sys.argv[1])))
