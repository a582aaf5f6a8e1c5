"""RunSummary: the short row of one run that the history table and the index hold."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence

from greentui.metrics.registry import TABLE_METRICS
from greentui.store.record import FINISHED, RunRecord

# The run table's metrics, in the order index lines hold them.
ROW_METRICS = tuple(m.key for m in TABLE_METRICS)


class RunRow(Protocol):
    """What a table row needs of a run: a whole RunRecord and its short RunSummary both have it."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def created_at(self) -> str: ...
    @property
    def finished(self) -> bool: ...
    def metric(self, key: str) -> float | None: ...
    def techniques(self) -> list[str]: ...
    @property
    def flags(self) -> tuple[str, ...]: ...
    @property
    def labels(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class RunSummary:
    """What the history table needs of one run; `RunStore.get(id)` gives the whole record."""

    id: str
    name: str
    status: str
    created_at: str
    tags: tuple[str, ...] = ()
    metrics: Mapping[str, float] = field(default_factory=dict)
    run_dir: str = ""
    pid: int | None = None
    flags: tuple[str, ...] = ()  # greentui.metrics.quality: contended, simulated
    labels: tuple[str, ...] = ()  # the user's tags (`tags` above are the techniques', for the table)

    @classmethod
    def of(cls, record: RunRecord) -> RunSummary:
        """The summary of a full record."""
        metrics = {k: v for k in ROW_METRICS if (v := record.metric(k)) is not None}
        return cls(record.id, record.name, record.status, record.created_at, tuple(record.techniques()),
                   metrics, record.run_dir, record.pid, record.flags, record.labels)

    @property
    def finished(self) -> bool:
        """True once the run has reached a final status."""
        return self.status in FINISHED

    def metric(self, key: str) -> float | None:
        """One of the table's metrics, or None."""
        return self.metrics.get(key)

    def techniques(self) -> list[str]:
        """Short technique tags, as `RunRecord.techniques` gives them."""
        return list(self.tags)

    def line(self) -> list[Any]:
        """This summary as an index line."""
        return ["run", self.id, self.name, self.status, self.created_at, list(self.tags), self.run_dir, self.pid,
                list(self.flags), list(self.labels), *(self.metrics.get(k) for k in ROW_METRICS)]

    @classmethod
    def from_line(cls, line: Sequence[Any]) -> RunSummary:
        """The summary an index line holds."""
        # The index is a file anyone who can write the store can write: anything off-type makes
        # the caller rebuild it from runs.json (ValueError), never reaches a widget.
        texts, tags, pid, flags, labels = line[1:5], line[5], line[7], line[8], line[9]
        if not (all(isinstance(v, str) for v in (*texts, line[6])) and isinstance(tags, list) and isinstance(flags, list)
                and isinstance(labels, list) and all(isinstance(tag, str) for tag in (*tags, *flags, *labels))
                and (pid is None or type(pid) is int)):
            raise ValueError("an index row of the wrong shape")
        metrics = {k: float(v) for k, v in zip(ROW_METRICS, line[10:], strict=False)
                   if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return cls(line[1], line[2], line[3], line[4], tuple(tags), metrics, line[6], pid, tuple(flags), tuple(labels))

