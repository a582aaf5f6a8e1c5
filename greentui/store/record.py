"""The run record: what the store keeps of one run, as an immutable value."""

from __future__ import annotations

import secrets
from copy import deepcopy
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from functools import cached_property
from operator import attrgetter
from typing import Any, Mapping

STATUSES = ("running", "completed", "failed", "stopped", "crashed", "diverged", "pruned")
# `pruned`: a sweep run stopped early because another config beat it clearly (greentui.sweep.prune_rule);
# like `stopped` it keeps its figures so far, and a sweep never runs it again.
FINISHED = frozenset(STATUSES) - {"running"}


class RecordError(ValueError):
    """A stored document is not a run (no id, or an id that is not text)."""


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, readable run id such as 20261122-031502-a3f9."""
    now = now or datetime.now()
    return f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"


def utc_now() -> str:
    """Current time as an ISO-8601 string in UTC, the format every timestamp in a record uses."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class RunRecord:
    """One run as stored in runs.json (see DESIGN.md, "Run record").

    Nested mappings are copies of the stored document: changing them changes nothing
    on disk. Write through `RunStore.update` instead.
    """

    id: str
    name: str
    status: str
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    hardware: Mapping[str, Any] = field(default_factory=dict)
    measurement: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    curves: Mapping[str, Any] = field(default_factory=dict)
    run_dir: str = ""
    pid: int | None = None
    error: str | None = None
    versions: Mapping[str, Any] = field(default_factory=dict)
    sweep: Mapping[str, Any] = field(default_factory=dict)  # {id, role, repeat} for a sweep's runs
    process: Mapping[str, Any] = field(default_factory=dict)  # the worker's identity (greentui.runs.identity)
    phases: Mapping[str, Any] = field(default_factory=dict)  # load/train/eval/save/infer: duration_s, energy_kwh, emissions_kg
    parent_id: str | None = None  # `greentui infer`: the run whose saved model this one deployed
    tags: tuple[str, ...] = ()  # the user's labels (`greentui tag`, `t` in the history): `paper`, `final`
    notes: str = ""  # the user's free text (`greentui note`, `N` in the history)
    executor: Mapping[str, Any] = field(default_factory=dict)  # where it ran: {kind: local|gpus|slurm, gpu, job_id, state}

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], copy: bool = True) -> RunRecord:
        """Build from a stored document; unknown keys (from newer versions) are ignored.

        `copy=False` hands the document to the record as it is (its dict may become the
        record's, its nested values are shared): only for a document nobody else holds (one just
        parsed from the file), where copying thousands of records would only cost time.
        """
        run_id = doc.get("id")
        if not isinstance(run_id, str) or not run_id:
            raise RecordError("no run id" if run_id is None else f"its id {run_id!r} is not text")
        if copy:
            values = {k: deepcopy(v) for k, v in doc.items() if k in _FIELD_SET}
        else:
            plain = type(doc) is dict and doc.keys() <= _FIELD_SET
            values = doc if plain else {k: v for k, v in doc.items() if k in _FIELD_SET}  # type: ignore[assignment]
        values = _typed(values)
        if len(values) < len(_FIELD_NAMES):
            return cls(**values)  # fields left out: the dataclass fills in their defaults
        # Every field is there (as in every record greentui writes): set them without the frozen
        # dataclass's __init__, which sets each through object.__setattr__ and took half of
        # reading 10,000 records. Nothing else happens in that __init__ (no __post_init__).
        record = object.__new__(cls)
        object.__setattr__(record, "__dict__", values)  # the dict itself, not a copy of it
        return record

    def to_doc(self, copy: bool = True) -> dict[str, Any]:
        """A plain JSON-ready dict for the store.

        `copy=False` shares the record's nested values: only for a dict that is encoded at once
        and dropped (`greentui ls --json`), where copying 10,000 records cost most of a second.
        """
        if not copy:
            return dict(zip(_FIELD_NAMES, _FIELDS_OF(self), strict=True))
        return {name: deepcopy(getattr(self, name)) for name in _FIELD_NAMES}

    @property
    def finished(self) -> bool:
        """True once the run has reached a final status."""
        return self.status in FINISHED

    def metric(self, key: str) -> float | None:
        """A metric as a float, or None where the run has none."""
        value = self.metrics.get(key)
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None

    def techniques(self) -> list[str]:
        """Short technique tags of this run's config (unknown or old keys are tolerated)."""
        return list(self._techniques)

    @property
    def labels(self) -> tuple[str, ...]:
        """The user's tags (the techniques are `techniques()`)."""
        return self.tags

    @property
    def flags(self) -> tuple[str, ...]:
        """What makes this run's figures unfit to compare (greentui.metrics.quality): contended, simulated."""
        from greentui.metrics.quality import flags_of

        return flags_of(self.measurement)

    @cached_property
    def _techniques(self) -> tuple[str, ...]:
        # Cached: the history table filters, sorts and draws by these for every run on every
        # rebuild, and validating a config is far dearer than the lookup. The record is frozen,
        # so the tags cannot go stale.
        from greentui.store.techniques import techniques_of

        return techniques_of(self.config)


_FIELD_NAMES = tuple(f.name for f in fields(RunRecord))
_FIELD_SET = frozenset(_FIELD_NAMES)
_FIELDS_OF = attrgetter(*_FIELD_NAMES)
_MAPPINGS = ("config", "hardware", "measurement", "metrics", "curves", "versions", "sweep", "process", "phases",
             "executor")
_OPTIONAL_TEXTS = ("started_at", "finished_at", "error")


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    """A stored document's fields with the types the record declares: what cannot be read is dropped.

    runs.json is untrusted (another user, a hand edit, another version): a wrong-typed field must
    cost that field, never a crash in whatever formats it later.
    """
    values["name"] = values["name"] if isinstance(values.get("name"), str) else values["id"]
    values["status"] = values["status"] if isinstance(values.get("status"), str) else "failed"
    values["created_at"] = values["created_at"] if isinstance(values.get("created_at"), str) else ""
    values["run_dir"] = values["run_dir"] if isinstance(values.get("run_dir"), str) else ""
    for key in _OPTIONAL_TEXTS:
        if not isinstance(values.get(key), str):
            values[key] = None if values.get(key) is None else str(values[key])
    for key in _MAPPINGS:
        if key in values and not isinstance(values[key], dict):
            values[key] = {}
    if not isinstance(values.get("parent_id"), str):
        values["parent_id"] = None
    tags = values.get("tags")
    values["tags"] = tuple(t for t in tags if isinstance(t, str) and t) if isinstance(tags, list | tuple) else ()
    if not isinstance(values.get("notes"), str):
        values["notes"] = ""
    pid = values.get("pid")
    # pid 1 is init and -1 is "every process": no worker is ever either (see greentui.runs.process).
    values["pid"] = pid if type(pid) is int and pid > 1 else None
    return values
