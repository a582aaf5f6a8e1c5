"""Facts about the machine and the libraries a run used, for its record."""

from __future__ import annotations

import os
import platform
from importlib import metadata
from typing import Any

LIBRARIES = ("greentui", "torch", "transformers", "datasets", "codecarbon", "peft", "accelerate", "nvidia-ml-py")


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo, else what platform says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def hardware_facts() -> dict[str, Any]:
    """CPU, RAM, GPUs and the torch device, as seen from the worker."""
    import torch

    facts: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "device": "cuda" if torch.cuda.is_available() else "cpu",
        "gpus": [],
    }
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        facts["ram_gb"] = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError):
        pass
    if torch.cuda.is_available():
        facts["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        facts["cuda"] = torch.version.cuda
    return facts


def library_versions() -> dict[str, str]:
    """Installed versions of the libraries that shape a run's results."""
    versions = {"python": platform.python_version()}
    for name in LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions
