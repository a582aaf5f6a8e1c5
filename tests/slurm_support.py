"""The tests' Slurm cluster: started once per session where Slurm is installed and can start.

Where it cannot, the fixture says exactly why and the tests that need a real cluster skip with that
reason (tests/test_slurm_executor.py then runs the same flow on submitit's local executor). Under
GREENTUI_REQUIRE_SLURM=1 (set by .ci/run where it installed Slurm as root) a cluster that does not
start fails the tests instead of skipping them; GREENTUI_TEST_NO_SLURM=1 leaves it unstarted (to run the
fallback on a machine where Slurm would start).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests import slurm_cluster


@dataclass(frozen=True)
class Cluster:
    """A started cluster (`env` set for the session), or why there is none (`reason`)."""

    env: dict[str, str]
    reason: str = ""
    start_s: float = 0.0

    @property
    def up(self) -> bool:
        return not self.reason


def _start(folder: Path) -> Cluster:
    if os.environ.get("GREENTUI_TEST_NO_SLURM") == "1":  # to run the fallback where Slurm would start
        return Cluster({}, "GREENTUI_TEST_NO_SLURM=1: the real cluster was not started")
    missing = slurm_cluster.missing_programs()
    if missing:
        return Cluster({}, f"Slurm is not installed here ({', '.join(missing)} missing; Debian: slurm-wlm munge)")
    began = time.monotonic()
    try:
        env = slurm_cluster.start(folder)
    except (slurm_cluster.ClusterUnavailable, OSError) as err:
        return Cluster({}, f"Slurm is installed but could not start here: {err}")
    return Cluster(env, start_s=time.monotonic() - began)


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The session's cluster; SLURM_CONF is set for the test process and everything it starts."""
    folder = tmp_path_factory.mktemp("slurm-cluster")
    cluster = _start(folder)
    if not cluster.up and os.environ.get("GREENTUI_REQUIRE_SLURM") == "1":
        pytest.fail(f"GREENTUI_REQUIRE_SLURM=1 but {cluster.reason}")
    with pytest.MonkeyPatch.context() as patch:
        for key, value in cluster.env.items():
            patch.setenv(key, value)
        try:
            yield cluster
        finally:
            slurm_cluster.stop(folder)
