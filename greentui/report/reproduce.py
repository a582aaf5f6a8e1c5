"""The command that runs a stored run's config again: `greentui run --set KEY=VALUE ...`.

Only the keys that differ from `RunConfig()` (the `tiny` preset, what `greentui run` starts from
without `--preset`) are set, each `KEY=VALUE` pair shell-quoted, so the command pastes into a
shell as it is and `--set` parses every value back to the stored one. The model card and the
report's compute appendix both print it.
"""

from __future__ import annotations

import shlex
from typing import Any

from greentui.config import KEYS, ConfigError, RunConfig
from greentui.report.errors import ReportError
from greentui.store.record import RunRecord


def stored_config(record: RunRecord) -> RunConfig:
    """The run's config as greentui reads it (keys of other versions left out); ReportError if it cannot be read."""
    try:
        return RunConfig.from_mapping({k: v for k, v in record.config.items() if k in KEYS})
    except ConfigError as err:
        raise ReportError(f"run {record.id}'s stored config cannot be read: {err}") from None


def set_value(value: Any) -> str:
    """A config value as `--set` takes it: true/false, repr of a float (exact), text as it is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def changed_keys(config: RunConfig) -> dict[str, Any]:
    """The keys of `config` that differ from the defaults, in the config's key order."""
    defaults = RunConfig().to_dict()
    return {key: value for key, value in config.to_dict().items() if value != defaults[key]}


def reproduce_command(record: RunRecord) -> str:
    """`greentui run --set KEY=VALUE ...` for the run's config (`greentui run` alone for the defaults)."""
    changes = changed_keys(stored_config(record))
    return " ".join(["greentui run", *(f"--set {shlex.quote(f'{key}={set_value(value)}')}"
                                       for key, value in changes.items())])
