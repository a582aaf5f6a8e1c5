"""The facts greentui.runs.capabilities needs, asked of torch in this process.

Run as `python -m greentui.worker.capabilities` it prints them as one line of JSON: that is how the
TUI and the CLI learn them without importing torch themselves.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache

from greentui.runs.capabilities import MachineFacts

DTYPES = {"fp16": "float16", "bf16": "bfloat16"}  # quantization mode: torch dtype name


@lru_cache(maxsize=1)
def facts_here() -> MachineFacts:
    """What torch in this process can run."""
    import torch

    cuda = torch.cuda.is_available()
    return MachineFacts(
        cuda=cuda,
        cuda_bf16=cuda and torch.cuda.is_bf16_supported(),
        cpu_fp16_linear=_linear_runs_on_cpu("fp16"),
        cpu_bf16_linear=_linear_runs_on_cpu("bf16"),
        int8_engine=any(engine != "none" for engine in torch.backends.quantized.supported_engines),
    )


def _linear_runs_on_cpu(mode: str) -> bool:
    # Support depends on the build and the processor: a small Linear forward asks torch itself.
    import torch

    dtype = getattr(torch, DTYPES[mode])
    try:
        with torch.no_grad():
            out = torch.nn.Linear(8, 8).to(dtype)(torch.ones(2, 8, dtype=dtype))
        return bool(torch.isfinite(out).all())
    except (RuntimeError, NotImplementedError):  # "... not implemented for 'Half'"
        return False


if __name__ == "__main__":
    print(json.dumps(asdict(facts_here())))
