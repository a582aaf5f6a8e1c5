"""A sweep as it is kept in `sweeps/ID.json`: frozen dataclasses, parsed from and encoded to the file only here.

The file is untrusted input (a hand edit, another version, a torn write): `parse_sweep` checks every
field and raises SweepFileError naming the file and the field, so a broken file is skipped, never run
and never the cause of a crash. Progress is recorded by building a new Sweep (`with_run`), not by
changing one in place: a Sweep handed to another thread is never changed under it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from greentui.config import ConfigError, RunConfig
from greentui.sweep.plan import FILE_PLANS, PLANS, PRUNE_MODES, PlannedRun, SweepError

# A config value as JSON holds it; a change is (key, value) in the order it was planned.
Value = str | int | float | bool
Change = tuple[str, Value]
CONTROLS = ("active", "paused", "cancelled", "stopped")
OUTCOMES = ("cancelled", "failed-to-start")
LOCAL = {"kind": "local", "gpus": [], "slurm": {}}  # ExecutorSpec().to_doc(): today's one run at a time
# Sweep ids name files (ID.json, ID.lock, ID.log): no separators, no leading dot.
_SAFE_ID = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


class SweepFileError(SweepError):
    """A sweep file that cannot be read or does not hold a sweep; the message names the file."""


# Builds the error for (field, why), naming the file.
Complaint = Callable[[str, str], SweepFileError]


@dataclass(frozen=True)
class SweepEntry:
    """One planned run of a sweep and, once launched, the id of the run it made."""

    role: str
    changes: tuple[Change, ...]
    repeat: int
    run_id: str | None = None
    outcome: str | None = None  # set when it never ran: `cancelled` or `failed-to-start` (greentui.queue.state)
    reason: str = ""  # why it failed to start

    @property
    def label(self) -> str:
        """`role #n`, counting repeats from 1 as people do."""
        return f"{self.role} #{self.repeat + 1}"

    def tag(self, sweep_id: str) -> dict[str, Any]:
        """The `sweep` field of the run record this entry makes."""
        return {"id": sweep_id, "role": self.role, "repeat": self.repeat}


@dataclass(frozen=True)
class Sweep:
    """A baseline, the techniques studied against it, and the planned runs in order."""

    id: str
    created_at: str
    plan: str
    repeats: int
    techniques: tuple[Change, ...]
    baseline: RunConfig
    entries: tuple[SweepEntry, ...]
    prune: str = "off"  # `dominated`: stop runs another config clearly beats (greentui.sweep.prune_rule)
    executor: Mapping[str, Any] = field(default_factory=lambda: dict(LOCAL))  # greentui.queue.executor_spec
    control: str = "active"  # the queue's say (greentui.queue.state): active, paused, cancelled or stopped
    reason: str = ""  # why it stopped (a run that can never start, say)
    position: int = 0  # its place in the store's queue (lower first; ties by id, which sorts by creation)

    @classmethod
    def planned(cls, sweep_id: str, created_at: str, baseline: RunConfig, techniques: list[tuple[str, Any]],
                plan: str, repeats: int, runs: list[PlannedRun], prune: str = "off",
                executor: Mapping[str, Any] | None = None, position: int = 0) -> Sweep:
        """A new sweep from its plan, no run launched yet."""
        return cls(sweep_id, created_at, plan, repeats, tuple((k, v) for k, v in techniques), baseline,
                   tuple(SweepEntry(r.role, tuple(r.changes.items()), r.repeat) for r in runs), prune,
                   dict(executor or LOCAL), position=position)

    def with_entry(self, index: int, **changes: Any) -> Sweep:
        """This sweep with entry `index` changed (its run, or its outcome and reason: cancelled, failed to start)."""
        entries = list(self.entries)
        entries[index] = replace(entries[index], **changes)
        return replace(self, entries=tuple(entries))

    def with_run(self, index: int, run_id: str) -> Sweep:
        """This sweep with entry `index` noted as having made run `run_id`."""
        return self.with_entry(index, run_id=run_id)

    def config_of(self, entry: SweepEntry) -> RunConfig:
        """The config an entry runs: the baseline with the entry's changes."""
        return RunConfig.from_mapping(dict(entry.changes), base=self.baseline)

    def techniques_text(self) -> str:
        """`key=value, key=value` for status lines and reports."""
        return ", ".join(f"{k}={v}" for k, v in self.techniques)


def sweep_to_doc(sweep: Sweep) -> dict[str, Any]:
    """The sweep as the JSON document of its file."""
    return {"id": sweep.id, "created_at": sweep.created_at, "plan": sweep.plan, "repeats": sweep.repeats,
            "techniques": [[k, v] for k, v in sweep.techniques], "baseline": sweep.baseline.to_dict(),
            "entries": [{"role": e.role, "changes": dict(e.changes), "repeat": e.repeat, "run_id": e.run_id,
                         "outcome": e.outcome, "reason": e.reason} for e in sweep.entries],
            "prune": sweep.prune, "executor": dict(sweep.executor), "control": sweep.control, "reason": sweep.reason,
            "position": sweep.position}


def read_sweep_file(path: Path) -> Sweep:
    """The sweep in `path`, which must be named after its id; SweepFileError (naming the file) if it is not one."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SweepFileError(f"cannot read sweep file {path}: {err.strerror}") from None
    except ValueError as err:  # not JSON, or not UTF-8
        raise SweepFileError(f"sweep file {path} is not valid JSON: {err}") from None
    sweep = parse_sweep(doc, str(path))
    if sweep.id != path.stem:
        raise SweepFileError(f"sweep file {path} holds sweep {sweep.id!r}, not {path.stem!r}")
    return sweep


def parse_sweep(doc: object, source: str) -> Sweep:
    """Check a sweep file's document field by field; SweepFileError names `source` and the field at fault."""
    def bad(field: str, why: str) -> SweepFileError:
        return SweepFileError(f"sweep file {source}: {field} {why}")

    if not isinstance(doc, dict):
        raise bad("the document", "is not a JSON object")
    sweep_id = _text(doc, "id", bad)
    if not _SAFE_ID.fullmatch(sweep_id):
        raise bad("id", f"{sweep_id!r} is not a sweep id")
    plan = _text(doc, "plan", bad)
    if plan not in FILE_PLANS:
        raise bad("plan", f"{plan!r} is not one of {', '.join(FILE_PLANS)}")
    repeats = _whole(doc, "repeats", bad, low=1)
    techniques = doc.get("techniques")
    if not isinstance(techniques, list) or not all(
            isinstance(t, list) and len(t) == 2 and isinstance(t[0], str) and _is_value(t[1]) for t in techniques):
        raise bad("techniques", "is not a list of [key, value] pairs")
    baseline_doc = doc.get("baseline")
    if not isinstance(baseline_doc, dict):
        raise bad("baseline", "is not an object of config keys")
    try:
        baseline = RunConfig.from_mapping(baseline_doc)
    except ConfigError as err:
        raise bad("baseline", f"is not a valid config: {err}") from None
    entries = doc.get("entries")
    if not isinstance(entries, list):
        raise bad("entries", "is not a list")
    prune = doc.get("prune", "off")  # files from before pruning have none: they never prune
    if prune not in PRUNE_MODES:
        raise bad("prune", f"{prune!r} is not one of {', '.join(PRUNE_MODES)}")
    if prune != "off" and plan not in PLANS:
        raise bad("prune", f"{prune!r}: only {' and '.join(PLANS)} sweeps prune")
    # Files from before the store's queue have none of these: an active sweep on the local executor.
    from greentui.queue.executor_spec import ExecutorError, parse_executor

    try:
        executor = parse_executor(doc.get("executor"), "executor").to_doc()
    except ExecutorError as err:
        raise bad("executor", f"is not an executor: {err}") from None
    control = doc.get("control", "active")
    if control not in CONTROLS:
        raise bad("control", f"{control!r} is not one of {', '.join(CONTROLS)}")
    position = doc.get("position", 0)
    if isinstance(position, bool) or not isinstance(position, int):
        raise bad("position", "is not a whole number")
    sweep = Sweep(sweep_id, _text(doc, "created_at", bad), plan, repeats,
                  tuple((k, v) for k, v in techniques), baseline,
                  tuple(_entry(e, f"entries[{i}]", bad) for i, e in enumerate(entries)), prune,
                  executor, control, _optional_text(doc, "reason", bad), position)
    for index, entry in enumerate(sweep.entries):
        try:
            sweep.config_of(entry)
        except ConfigError as err:
            raise bad(f"entries[{index}].changes", f"do not make a valid config: {err}") from None
    return sweep


def _entry(doc: object, where: str, bad: Complaint) -> SweepEntry:
    if not isinstance(doc, dict):
        raise bad(where, "is not an object")
    changes = doc.get("changes")
    if not isinstance(changes, dict) or not all(_is_value(v) for v in changes.values()):
        raise bad(f"{where}.changes", "is not an object of config values")
    run_id = doc.get("run_id")
    if run_id is not None and not (isinstance(run_id, str) and run_id):
        raise bad(f"{where}.run_id", "is not a run id")
    outcome = doc.get("outcome")
    if outcome is not None and outcome not in OUTCOMES:
        raise bad(f"{where}.outcome", f"{outcome!r} is not one of {', '.join(OUTCOMES)}")
    return SweepEntry(_text(doc, "role", bad, where), tuple(changes.items()), _whole(doc, "repeat", bad, 0, where),
                      run_id, outcome, _optional_text(doc, "reason", bad, where))


def _text(doc: dict[str, Any], key: str, bad: Complaint, where: str = "") -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value:
        raise bad(f"{where}.{key}" if where else key, "is missing or not text")
    return value


def _optional_text(doc: dict[str, Any], key: str, bad: Complaint, where: str = "") -> str:
    value = doc.get(key, "")
    if value is None:
        return ""
    if not isinstance(value, str):
        raise bad(f"{where}.{key}" if where else key, "is not text")
    return value[:2000]  # a reason, shown on one line: a crafted file cannot make it a wall of text


def _whole(doc: dict[str, Any], key: str, bad: Complaint, low: int, where: str = "") -> int:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise bad(f"{where}.{key}" if where else key, f"is not a whole number of at least {low}")
    return value


def _is_value(value: object) -> bool:
    return isinstance(value, (str, int, float, bool))
