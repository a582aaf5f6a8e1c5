"""Shared fixtures: a private run store per test and an environment kept away from the user's (helpers: support.py)."""

from __future__ import annotations

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
    # Device leases are machine-wide: each test has its own, so tests beside each other (or beside a
    # user's runs) never wait on one another, while the runs within one test share theirs.
    monkeypatch.setenv("GREENTUI_LEASE_DIR", str(tmp_path / "leases"))
    # Tests run commands (ls, report, a TUI) beside the runs they train: that is not the other work
    # contention is about, so its CPU bar is set out of reach; tests of contention set their own
    # (tests/test_contention.py uses the default). Other processes on a run's GPU still count.
    monkeypatch.setenv("GREENTUI_CONTENTION_CORES", "64")


# The session's single-node Slurm cluster (tests/slurm_support.py), started only by the tests that ask for it.
from tests.slurm_support import slurm  # noqa: E402,F401
