"""Where a run's downsampled curves live: RUN_DIR/curves.json, beside the events they come from.

They used to sit inside each run's record in runs.json, where they were four fifths of the
file: with thousands of runs every write and every open of the history paid for them. Records
written that way (and the reference runs shipped in the repo) still carry them, and are read
as they are.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from greentui.store.atomic import replace_text

CURVES_FILE = "curves.json"


def save_curves(run_dir: Path, curves: Mapping[str, Any], durable: bool = True) -> None:
    """Write the curves into the run folder, replacing any earlier ones whole.

    `durable=False` skips the fsyncs: for a caller that writes thousands and syncs once (curve_migration)."""
    replace_text(run_dir / CURVES_FILE, json.dumps(curves, separators=(",", ":")), durable=durable)


def load_curves(run_dir: Path | None, inline: Mapping[str, Any]) -> dict[str, Any]:
    """A run's curves: those inline in its record, else its folder's curves.json, else none."""
    if inline:
        return dict(inline)
    if run_dir is None:
        return {}
    try:
        curves = json.loads((run_dir / CURVES_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a run whose folder is gone (or never finished) has no curves to show
    return curves if isinstance(curves, dict) else {}
