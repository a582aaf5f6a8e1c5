"""Shared fixtures: a private run store per test and a way to call the real `greentui` command."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    """A run store in the test's own folder (never the repository's runs.json)."""
    return tmp_path / "runs.json"


@pytest.fixture(autouse=True)
def private_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep tests away from the user's config, store and the network."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("GREENTUI_STORE", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")


def greentui(*args: str, store: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, the way a user would."""
    return subprocess.run(
        [sys.executable, "-m", "greentui", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ},
        cwd=store.parent,
    )
