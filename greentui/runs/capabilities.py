"""What this machine's torch can run, and which configs it must therefore refuse, before a run starts.

The facts come from torch, which the core and the TUI never import (start-up time, and a TUI on a
login node): `machine_facts` asks a short subprocess (greentui.worker.capabilities) once per process,
and only for a config that needs them. The worker checks the same rules again on the facts of its
own process, so a run refused here would have failed there, seconds later and as a failed run.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass, fields
from functools import lru_cache

from greentui.config import ConfigError, RunConfig

PROBE_TIMEOUT_S = 120.0  # importing torch on a busy, cold machine


@dataclass(frozen=True)
class MachineFacts:
    """What torch here can do (the worker's view: its environment, CUDA_VISIBLE_DEVICES included)."""

    cuda: bool = False
    cuda_bf16: bool = False
    cpu_fp16_linear: bool = False  # a float16 Linear forward works on the CPU (depends on build and processor)
    cpu_bf16_linear: bool = False
    int8_engine: bool = False  # a quantized CPU engine for dynamic int8

    @classmethod
    def from_json(cls, text: str) -> MachineFacts:
        """From the probe's one line of JSON; unknown keys are ignored, missing ones are False."""
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("the probe's answer is not an object")
        return cls(**{f.name: data.get(f.name) is True for f in fields(cls)})


def needs_facts(config: RunConfig) -> bool:
    """Whether any rule below depends on the machine for this config (else no probe is run)."""
    return config.mixed_precision != "no" or config.quantization != "none"


def refusal(config: RunConfig, facts: MachineFacts) -> tuple[str, str] | None:
    """(config key, why) for the first thing this machine cannot run, or None; the why says what to use instead."""
    if config.mixed_precision == "fp16" and not facts.cuda:
        return "mixed_precision", "fp16 needs a CUDA GPU and this machine has none (use bf16, which autocasts on the CPU, or no)"
    if config.mixed_precision == "bf16" and facts.cuda and not facts.cuda_bf16:
        return "mixed_precision", "this GPU does not support bf16 (use fp16 or no)"
    reason = quantization_refusal(config.quantization, facts.cuda, facts)
    return ("quantization", reason) if reason else None


def quantization_refusal(mode: str, on_gpu: bool, facts: MachineFacts) -> str | None:
    """Why the model cannot be deployed in `mode` on the GPU (`on_gpu`) or the CPU, or None."""
    if mode == "dynamic-int8" and on_gpu:
        return "dynamic-int8 runs on the CPU only (torch has no CUDA kernels for it); on a GPU use fp16 or bf16"
    if mode == "dynamic-int8" and not facts.int8_engine:
        return "this torch build has no quantized CPU engine for dynamic-int8 (use bf16, or none)"
    if mode in ("fp16", "bf16") and not on_gpu and not getattr(facts, f"cpu_{mode}_linear"):
        other = "bf16 or dynamic-int8" if mode == "fp16" else "dynamic-int8"
        return f"this torch cannot run {mode} Linear layers on the CPU (use {other})"
    if mode == "bf16" and on_gpu and not facts.cuda_bf16:
        return "this GPU does not support bf16 (use fp16)"
    return None


@lru_cache(maxsize=1)
def machine_facts() -> MachineFacts | None:
    """This machine's facts from a probe subprocess, once per process; None when the probe fails.

    None refuses nothing: the worker still checks, and a broken torch is reported by the run itself."""
    try:
        done = subprocess.run([sys.executable, "-m", "greentui.worker.capabilities"], capture_output=True,
                              text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            return None
        return MachineFacts.from_json(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError):
        return None


def power_cap_refusal(watts: int) -> str | None:
    """Why the run's GPUs cannot be capped at `watts` here, asked of NVML in a subprocess; None: they can."""
    try:
        done = subprocess.run([sys.executable, "-m", "greentui.worker.power_limits", "check", str(int(watts))],
                              capture_output=True, text=True, timeout=PROBE_TIMEOUT_S, stdin=subprocess.DEVNULL,
                              check=False)
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as err:
        return f"the GPU power limit could not be checked ({type(err).__name__})"
    refusal_text = answer.get("refusal") if isinstance(answer, dict) else "the check gave no answer"
    return None if refusal_text is None else str(refusal_text).split(": ", 1)[-1]


def check_runnable(config: RunConfig) -> None:
    """Raise ConfigError, naming the key, when this machine cannot run `config` (see refusal), or
    cannot set its GPU power cap (no GPU, out of range, not root: power_cap_refusal)."""
    if config.power_limit_w:
        why = power_cap_refusal(config.power_limit_w)
        if why:
            raise ConfigError("power_limit_w", why)
    if not needs_facts(config):
        return
    facts = machine_facts()
    found = refusal(config, facts) if facts is not None else None
    if found:
        key, why = found
        raise ConfigError(key, why)
