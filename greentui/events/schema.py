"""The one definition of a run's events: each kind a frozen dataclass, read by `parse`, written by `encode`.

A line of RUN_DIR/events.jsonl is a JSON object: `type` (the kind), `v` (the schema version; a
line without it was written before versions existed and reads as version 1, which had the same
field names), `t` (seconds since the epoch) and the kind's fields below. Events file lines are
untrusted: `parse` returns None for anything that is not a whole, well-typed event of a known
kind, and never raises.

Typing rules `parse` applies, from each field's annotation: a float field takes any JSON number
(not a bool) and must be finite, except that NaN or infinity in an optional field reads as
"not known" (None); an int field takes JSON integers only; a bool field, true or false; tuple fields take lists of finite
numbers; fields without a default are required; `t` is always required; unknown keys are
ignored (a newer worker may add fields).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
import typing
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping

SCHEMA_VERSION = 3  # 2: `v` on every line, `phase` on info events; 3: phase events, `final` on eval events

# The phases of a run, in the order they come (greentui.worker.phases times and measures them):
# waiting for a device lease and the idle baseline come before measurement proper starts.
WAITING, IDLE, LOAD, TRAIN, EVAL, SAVE = "waiting", "idle", "load", "train", "eval", "save"
INFER = "inference"  # compressing the trained model and measuring it as deployed (greentui.worker.inference)
MEASURED_PHASES = (LOAD, TRAIN, EVAL, SAVE, INFER)


def _now() -> float:
    return round(time.time(), 3)


@dataclass(frozen=True, kw_only=True)
class _EventBase:
    kind: ClassVar[str]
    t: float = field(default_factory=_now)
    v: int = SCHEMA_VERSION


@dataclass(frozen=True, kw_only=True)
class StatusEvent(_EventBase):
    """The run's status changed: running first, then a final one (see store.record.FINISHED)."""

    kind: ClassVar[str] = "status"
    status: str
    reason: str | None = None


@dataclass(frozen=True, kw_only=True)
class InfoEvent(_EventBase):
    """A setup fact or notice; `phase` (training, evaluating) marks where the run has got to."""

    kind: ClassVar[str] = "info"
    message: str
    phase: str | None = None
    total_steps: int | None = None
    device: str | None = None
    train_samples: int | None = None
    eval_samples: int | None = None
    trainable_params: int | None = None
    total_params: int | None = None


@dataclass(frozen=True, kw_only=True)
class StepEvent(_EventBase):
    """Training progress at a logging step; `samples` is the samples trained so far."""

    kind: ClassVar[str] = "step"
    step: int
    total_steps: int | None = None
    epoch: float | None = None
    loss: float | None = None
    lr: float | None = None
    samples: int | None = None


@dataclass(frozen=True, kw_only=True)
class EvalEvent(_EventBase):
    """An evaluation finished at `step`."""

    kind: ClassVar[str] = "eval"
    step: int
    epoch: float | None = None
    accuracy: float | None = None
    f1: float | None = None
    eval_loss: float | None = None
    final: bool = False  # the evaluation whose result is the run's (there is at most one)


@dataclass(frozen=True, kw_only=True)
class PhaseEvent(_EventBase):
    """The run entered `phase` (one of WAITING … SAVE), or got further in it: `done` of `total` `unit`s.

    `detail` says what is happening in words ("tokenising", "waiting for GPU 0 (held by pid 812)")."""

    kind: ClassVar[str] = "phase"
    phase: str
    detail: str | None = None
    done: int | None = None
    total: int | None = None
    unit: str | None = None


@dataclass(frozen=True, kw_only=True)
class PowerEvent(_EventBase):
    """About a second of power: NVML per GPU where there is one, CodeCarbon's CPU and RAM figures."""

    kind: ClassVar[str] = "power"
    gpu_w: tuple[float, ...] | None = None
    gpu_util: tuple[float, ...] | None = None
    gpu_mem_mb: tuple[float, ...] | None = None
    gpu_temp_c: tuple[float, ...] | None = None
    cpu_w: float | None = None
    ram_w: float | None = None

    def total_w(self) -> float | None:
        """Watts drawn: all GPUs where measured, else CodeCarbon's CPU + RAM estimate (the only definition)."""
        if self.gpu_w:
            return float(sum(self.gpu_w))
        if self.cpu_w is None and self.ram_w is None:
            return None
        return (self.cpu_w or 0.0) + (self.ram_w or 0.0)


@dataclass(frozen=True, kw_only=True)
class EnergyEvent(_EventBase):
    """CodeCarbon's cumulative figures so far."""

    kind: ClassVar[str] = "energy"
    energy_kwh: float
    emissions_kg: float
    cpu_energy_kwh: float | None = None
    gpu_energy_kwh: float | None = None
    ram_energy_kwh: float | None = None


@dataclass(frozen=True, kw_only=True)
class ProjectionEvent(_EventBase):
    """Totals at the end of training at the rate so far (greentui.projection); `duration_s` counts
    from the start of training."""

    kind: ClassVar[str] = "projection"
    step: int
    total_steps: int
    duration_s: float
    energy_kwh: float
    emissions_kg: float


@dataclass(frozen=True, kw_only=True)
class BudgetEvent(_EventBase):
    """A budget will be exceeded (`warning`), has been (`exceeded`) or cannot be checked (`unmeasured`)."""

    kind: ClassVar[str] = "budget"
    state: str
    message: str
    budget: str | None = None
    limit: float | None = None
    measured: float | None = None
    projected: float | None = None
    step: int | None = None


@dataclass(frozen=True, kw_only=True)
class HeartbeatEvent(_EventBase):
    """The worker is alive (every few seconds)."""

    kind: ClassVar[str] = "heartbeat"
    step: int | None = None


@dataclass(frozen=True, kw_only=True)
class SummaryEvent(_EventBase):
    """The run's final metrics, written just before its final status."""

    kind: ClassVar[str] = "summary"
    status: str
    metrics: Mapping[str, Any]
    # How the figures were measured: the record's `measurement`, kept here too so that a run
    # whose final store write failed (a lock held too long, a full disk) is recovered whole.
    measurement: Mapping[str, Any] | None = None
    phases: Mapping[str, Any] | None = None  # the record's `phases`: each phase's time, energy and CO₂


@dataclass(frozen=True, kw_only=True)
class ErrorEvent(_EventBase):
    """Something went wrong; the run may still go on (a curves or store write that failed)."""

    kind: ClassVar[str] = "error"
    message: str
    traceback: str | None = None


Event = (StatusEvent | InfoEvent | PhaseEvent | StepEvent | EvalEvent | PowerEvent | EnergyEvent | ProjectionEvent
         | BudgetEvent | HeartbeatEvent | SummaryEvent | ErrorEvent)
EVENT_CLASSES: tuple[type[Event], ...] = typing.get_args(Event)
_BY_KIND: dict[str, type[Event]] = {cls.kind: cls for cls in EVENT_CLASSES}

_BAD = object()  # a value of the wrong shape


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _read_float(value: object, optional: bool) -> object:
    number = _number(value)
    if number is None:
        return _BAD
    if not math.isfinite(number):
        return None if optional else _BAD
    return number


def _read_floats(value: object, _optional: bool) -> object:
    if not isinstance(value, list):
        return _BAD
    numbers = tuple(_number(item) for item in value)
    return numbers if all(n is not None and math.isfinite(n) for n in numbers) else _BAD


def _read_bool(value: object, _optional: bool) -> object:
    return value if isinstance(value, bool) else _BAD


def _read_int(value: object, _optional: bool) -> object:
    return value if isinstance(value, int) and not isinstance(value, bool) else _BAD


def _read_str(value: object, _optional: bool) -> object:
    return value if isinstance(value, str) else _BAD


def _read_mapping(value: object, _optional: bool) -> object:
    return value if isinstance(value, dict) else _BAD


_READERS: dict[object, Callable[[object, bool], object]] = {
    float: _read_float, int: _read_int, str: _read_str, bool: _read_bool,
    tuple[float, ...]: _read_floats, Mapping[str, Any]: _read_mapping,
}


@dataclass(frozen=True)
class _FieldSpec:
    name: str
    read: Callable[[object, bool], object]
    optional: bool  # None is a valid value
    required: bool  # the key must be present


def _specs(cls: type[Event]) -> tuple[_FieldSpec, ...]:
    hints = typing.get_type_hints(cls)
    specs = []
    for spec in dataclasses.fields(cls):
        if spec.name in ("t", "v"):
            continue  # read by parse itself
        args = typing.get_args(hints[spec.name])
        optional = type(None) in args
        base = next(a for a in args if a is not type(None)) if optional else hints[spec.name]
        required = spec.default is dataclasses.MISSING and spec.default_factory is dataclasses.MISSING
        specs.append(_FieldSpec(spec.name, _READERS[base], optional, required))
    return tuple(specs)


_SPECS: dict[type[Event], tuple[_FieldSpec, ...]] = {cls: _specs(cls) for cls in EVENT_CLASSES}


def parse(obj: object) -> Event | None:
    """The typed event one decoded events-file line holds, or None when it is not a valid one."""
    if not isinstance(obj, dict):
        return None
    kind = obj.get("type")
    cls = _BY_KIND.get(kind) if isinstance(kind, str) else None
    t = _read_float(obj.get("t"), False)
    version = obj.get("v", 1)
    if cls is None or t is _BAD or _read_int(version, False) is _BAD or version < 1:
        return None
    values: dict[str, Any] = {"t": t, "v": version}
    for spec in _SPECS[cls]:
        if spec.name not in obj:
            if spec.required:
                return None
            continue
        raw = obj[spec.name]
        value = None if raw is None and spec.optional else spec.read(raw, spec.optional)
        if value is _BAD:
            return None
        values[spec.name] = value
    return cls(**values)


def as_event(item: Event | Mapping[str, Any]) -> Event | None:
    """An event as it is, or a decoded line parsed (tests and benchmarks build events as dicts)."""
    return item if isinstance(item, EVENT_CLASSES) else parse(item)


def to_dict(event: Event) -> dict[str, Any]:
    """The JSON object of one event: `type`, `v`, `t`, then its fields under their JSON names."""
    out: dict[str, Any] = {"type": event.kind, "v": event.v, "t": event.t}
    for spec in _SPECS[type(event)]:
        value = getattr(event, spec.name)
        out[spec.name] = dict(value) if isinstance(value, Mapping) else value
    return out


def encode(event: Event) -> str:
    """One events-file line (without its newline): the only way an event is written."""
    return json.dumps(to_dict(event), separators=(",", ":"), default=_jsonable)


def _jsonable(value: Any) -> Any:
    """Numbers from numpy/torch become plain floats; anything else becomes its text."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)
