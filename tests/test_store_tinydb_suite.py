"""TinyDB's own test suite, run with greentui's storage in place of JSONStorage.

runs.json must stay a TinyDB file that TinyDB (and any tool built on it) reads and writes as
its own, so the storage greentui writes it through is held to TinyDB's tests: the suite of the
installed TinyDB, taken at test time from its source distribution (never copied in here), run
once as RunStore reads and once as its writes do (`hold_reads`). The differences left are
listed below, each with why; an unlisted failure, or a listed test that starts passing, fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ElementTree
from importlib.metadata import version
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # pip fetching the source distribution takes most of a minute here

TESTS = Path(__file__).resolve().parent
# What pip says when it cannot reach an index at all (no network, no registry configured): then
# the suite cannot be had and the test is skipped, saying so. Any other failure fails it.
UNREACHABLE = ("Failed to establish a new connection", "Temporary failure in name resolution",
               "Max retries exceeded", "Network is unreachable", "Could not fetch URL", "connection refused")

NO_FILE_MODES = "greentui opens no file handle to keep: the file is read whole and replaced whole"
EXPECTED = {
    "test_middlewares.py::test_caching_json_write": "reads JSONStorage's private `_handle`; " + NO_FILE_MODES,
    "test_storages.py::test_json": "writes a flat document, not a database of tables: greentui's write refuses "
                                   "what its read would refuse (runs.json that does not hold tables is never read)",
    "test_storages.py::test_encoding": "the same flat document, in other encodings: runs.json is always ASCII JSON",
    "test_storages.py::test_json_kwargs": "json.dumps options (indent, sort_keys): runs.json has its own layout, "
                                          "one run per line, which the fast writes splice",
    "test_storages.py::test_json_read": "access_mode='r' (raise on a missing file): " + NO_FILE_MODES,
    "test_storages.py::test_json_invalid_mode_warning": "warns on access modes, which greentui does not take",
    "test_storages.py::test_create_dirs": "JSONStorage creates the file (and raises) when opened; greentui "
                                          "creates runs.json at its first write, so a mistyped --store leaves nothing",
    "test_storages.py::test_json_invalid_directory": "the same: nothing is created or checked before a write",
    "test_tables.py::test_table_repr[json]": "the repr names the storage class, here greentui's",
}


def fetch_suite(folder: Path) -> Path:
    """TinyDB's tests/ folder from the source distribution of the installed version, unpacked under `folder`."""
    wanted = version("tinydb")
    result = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                             "--disable-pip-version-check", f"tinydb=={wanted}", "-d", str(folder)],
                            capture_output=True, text=True, timeout=600)
    said = result.stdout + result.stderr
    if result.returncode != 0 and any(marker.lower() in said.lower() for marker in UNREACHABLE):
        pytest.skip(f"pip could not reach a package index to fetch tinydb=={wanted}'s source: {said.strip()[-300:]}")
    archives = list(folder.glob("tinydb-*.tar.gz"))
    assert result.returncode == 0 and archives, f"pip download of tinydb=={wanted}'s source failed:\n{said[-2000:]}"
    suite = folder / "suite"
    with tarfile.open(archives[0]) as archive:
        for member in archive.getmembers():
            parts = Path(member.name).parts
            if member.isfile() and len(parts) > 2 and parts[1] == "tests" and ".." not in parts:
                target = suite.joinpath(*parts[1:])
                target.parent.mkdir(parents=True, exist_ok=True)
                extracted = archive.extractfile(member)
                assert extracted is not None
                target.write_bytes(extracted.read())
    (suite / "pytest.ini").write_text("[pytest]\n")  # its own root: none of greentui's pytest settings
    return suite


def failures(suite: Path, hold_reads: bool) -> tuple[set[str], int]:
    """(the ids of the tests that failed, how many ran) with greentui's storage as JSONStorage."""
    report = suite / f"report-{int(hold_reads)}.xml"
    env = {"PYTHONPATH": str(TESTS), "GREENTUI_HOLD_READS": "1" if hold_reads else "0"}
    result = subprocess.run([sys.executable, "-m", "pytest", "-p", "tinydb_suite_plugin", "-p", "no:cacheprovider",
                             "-q", f"--junitxml={report}", "tests"], cwd=suite, capture_output=True, text=True,
                            timeout=300, env={**os.environ, **env})
    assert report.exists(), result.stdout[-3000:] + result.stderr[-3000:]
    failed, ran = set(), 0
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        ran += 1
        if case.find("failure") is not None or case.find("error") is not None:
            failed.add(f"{case.get('classname', '').split('.')[-1]}.py::{case.get('name')}")
    return failed, ran


def test_tinydb_suite_passes_with_greentui_storage_but_the_listed_differences(tmp_path: Path) -> None:
    suite = fetch_suite(tmp_path)
    for hold_reads in (False, True):
        failed, ran = failures(suite, hold_reads)
        assert ran > 150, f"only {ran} of TinyDB's tests ran"
        unexpected = sorted(failed - EXPECTED.keys())
        now_passing = sorted(EXPECTED.keys() - failed)
        assert unexpected == [], f"hold_reads={hold_reads}: TinyDB tests that fail with greentui's storage"
        assert now_passing == [], f"hold_reads={hold_reads}: listed as expected failures but pass now: drop them"
