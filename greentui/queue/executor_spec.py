"""Where a queue's runs go: here one at a time (`local`), one per GPU of the box (`gpus`), or Slurm jobs (`slurm`).

Not part of a run's config: where a run ran does not change what it computes, so a sweep's report is
the same whichever executor ran it. The spec is kept in the sweep's file and each record says where
its run went (`executor`). It comes from `--executor`, `--gpus` and `--slurm-*`, or from an
`[executor]` table in a config TOML file; every value is checked here, and an error names the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

KINDS = ("local", "gpus", "slurm")
SLURM_KEYS = ("partition", "time", "gres", "cpus", "args")
# Slurm's own names: letters, digits and a few marks; nothing a shell or sbatch would read as more.
_SLURM_WORD = re.compile(r"[A-Za-z0-9_.:,=/+-]{1,200}\Z")
_SLURM_TIME = re.compile(r"(\d+-)?\d{1,4}(:\d{2}){0,2}\Z")


class ExecutorError(ValueError):
    """An executor setting that cannot be used; the message names the key and the value."""


@dataclass(frozen=True)
class ExecutorSpec:
    """The executor of a sweep or a queued run, checked."""

    kind: str = "local"
    gpus: tuple[int, ...] = ()  # `gpus`: the GPU indices to use; () = every GPU of the box
    slurm: Mapping[str, Any] = field(default_factory=dict)  # partition, time, gres, cpus, args (list of text)

    def to_doc(self) -> dict[str, Any]:
        """The spec as the sweep file keeps it."""
        return {"kind": self.kind, "gpus": list(self.gpus), "slurm": dict(self.slurm)}

    def describe(self) -> str:
        """`local`, `gpus 0,2`, `slurm partition=debug time=10` for listings."""
        if self.kind == "gpus":
            return "gpus " + (",".join(map(str, self.gpus)) or "all")
        if self.kind == "slurm":
            return " ".join(["slurm", *(f"{k}={v if k != 'args' else ' '.join(v)}" for k, v in self.slurm.items())])
        return self.kind


def parse_executor(doc: object, where: str = "executor") -> ExecutorSpec:
    """An ExecutorSpec from a mapping (`[executor]` in TOML, or a sweep file's `executor`); ExecutorError names the key."""
    if doc is None:
        return ExecutorSpec()
    if not isinstance(doc, Mapping):
        raise ExecutorError(f"{where}: not a table of executor settings")
    unknown = sorted(set(doc) - {"kind", "gpus", "slurm", *(f"slurm_{k}" for k in SLURM_KEYS)})
    if unknown:
        raise ExecutorError(f"{where}.{unknown[0]}: not an executor setting (kind, gpus, slurm_partition, "
                            "slurm_time, slurm_gres, slurm_cpus, slurm_args)")
    kind = doc.get("kind", "local")
    if kind not in KINDS:
        raise ExecutorError(f"{where}.kind = {kind!r}: one of {', '.join(KINDS)}")
    gpus = parse_gpus(doc.get("gpus", ()), f"{where}.gpus")
    slurm_doc = dict(doc.get("slurm") or {}) if isinstance(doc.get("slurm", {}), Mapping) else None
    if slurm_doc is None:
        raise ExecutorError(f"{where}.slurm: not a table of sbatch settings")
    slurm_doc.update({k[len("slurm_"):]: v for k, v in doc.items() if k.startswith("slurm_")})
    slurm = parse_slurm(slurm_doc, where)
    if gpus and kind != "gpus":
        raise ExecutorError(f"{where}.gpus: only the gpus executor takes a GPU list (kind is {kind})")
    if slurm and kind != "slurm":
        raise ExecutorError(f"{where}.slurm_{next(iter(slurm))}: only the slurm executor takes sbatch settings "
                            f"(kind is {kind})")
    return ExecutorSpec(kind, gpus, slurm)


def parse_gpus(value: object, key: str = "--gpus") -> tuple[int, ...]:
    """`0,2,3` (or a list of indices) as GPU indices, each once, in the order given."""
    if value in ((), [], "", None, "all"):
        return ()
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, (list, tuple)):
        raise ExecutorError(f"{key} = {value!r}: GPU indices such as 0,2,3")
    chosen: list[int] = []
    for item in items:
        text = str(item).strip()
        if isinstance(item, bool) or not (text.isascii() and text.isdigit()) or int(text) > 1023:
            raise ExecutorError(f"{key} = {value!r}: {text!r} is not a GPU index (0, 1, 2…)")
        if int(text) not in chosen:
            chosen.append(int(text))
    return tuple(chosen)


def parse_slurm(doc: Mapping[str, Any], where: str = "executor") -> dict[str, Any]:
    """The sbatch settings, each checked: partition and gres are Slurm names, time is Slurm's time format,
    cpus a count, args a list of `--option[=value]` words."""
    settings: dict[str, Any] = {}
    for key, value in doc.items():
        name = f"{where}.slurm_{key}"
        if key not in SLURM_KEYS:
            raise ExecutorError(f"{name}: not an sbatch setting ({', '.join(SLURM_KEYS)})")
        if value in (None, ""):
            continue
        if key in ("partition", "gres"):
            if not isinstance(value, str) or not _SLURM_WORD.match(value):
                raise ExecutorError(f"{name} = {value!r}: a Slurm name (letters, digits, _ . : , = / + -)")
            settings[key] = value
        elif key == "time":
            text = str(value).strip()
            if isinstance(value, bool) or not _SLURM_TIME.match(text):
                raise ExecutorError(f"{name} = {value!r}: minutes, MM:SS, HH:MM:SS or D-HH:MM:SS")
            settings[key] = text
        elif key == "cpus":
            text = str(value).strip()
            if isinstance(value, bool) or not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 4096:
                raise ExecutorError(f"{name} = {value!r}: a whole number of CPUs from 1")
            settings[key] = int(text)
        else:
            words = value.split() if isinstance(value, str) else value
            if not isinstance(words, (list, tuple)) or not all(
                    isinstance(w, str) and w.startswith("--") and _SLURM_WORD.match(w[2:]) for w in words):
                raise ExecutorError(f"{name} = {value!r}: sbatch options such as --qos=debug --account=lab")
            settings[key] = list(words)
    return settings
