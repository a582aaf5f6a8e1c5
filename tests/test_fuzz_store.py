"""Property-based: whatever a store's files hold, greentui neither crashes, nor writes outside, nor signals.

Hypothesis writes random run documents (wrong types, missing keys, huge numbers, control
characters, lone surrogates), index files, events files, curves files and sweep files, then runs
the real `ls`, `show`, `export`, `report`, `sweep --list` and reconcile in-process (the TUI's
history on such a store: tests/test_hardening_output.py). Signals are observed, not faked: a
spy records any call to os.kill / os.killpg and lets none through.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from greentui.cli.main import main

TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=12) | st.sampled_from(
    ["\x1b]0;x\x07", "a[/b]", "[bold]", "caf\udce9", "", "\u202e", "../victim", "/etc", "runs/../.."])
SCALAR = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | TEXT
JSON = st.recursive(SCALAR, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
RUN_DIRS = st.sampled_from(["runs/r1", "runs/r1", "runs/r1", "../victim", "VICTIM", "runs/../../victim", "",
                            "runs/link"]) | JSON
STATUS = st.sampled_from(["running", "running", "running", "completed", "crashed"]) | JSON
PID = st.sampled_from([None, 1, -1, 0, 2**40, "12"]) | st.integers(-5, 5)


@st.composite
def run_docs(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = draw(st.dictionaries(TEXT, JSON, max_size=3))
    # Mostly the run whose folder holds the events, still "running": the case reconcile reads.
    doc.update({"id": draw(st.sampled_from(["r1", "r1", "r1", "r2"]) | JSON), "status": draw(STATUS),
                "run_dir": draw(RUN_DIRS), "pid": draw(PID)})
    for key in ("name", "metrics", "config", "error", "created_at", "process", "sweep", "curves"):
        if draw(st.booleans()):
            doc[key] = draw(JSON)
    return doc


KINDS = ["step", "eval", "power", "energy", "status", "summary", "info", "projection", "budget", "heartbeat"]
FIELDS = ["t", "step", "total_steps", "loss", "samples", "accuracy", "eval_loss", "gpu_w", "cpu_w", "energy_kwh",
          "emissions_kg", "status", "reason", "metrics", "message", "duration_s", "state", "v"]
EVENT = st.fixed_dictionaries({"type": st.sampled_from(KINDS) | JSON},
                              optional={key: JSON for key in FIELDS})
EVENT_LINES = st.lists(EVENT.map(json.dumps) | st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
                       max_size=8)


class SignalSpy:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> None:
        self.calls.append(args)
        if args[-1] != 0:  # a liveness probe (signal 0) is not a signal; anything else is refused here
            raise AssertionError(f"greentui tried to signal {args}")
        raise ProcessLookupError


@pytest.fixture
def signal_spy(monkeypatch: pytest.MonkeyPatch) -> SignalSpy:
    spy = SignalSpy()
    monkeypatch.setattr(os, "kill", spy)
    monkeypatch.setattr(os, "killpg", spy)
    return spy


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


SWEEP = st.fixed_dictionaries({}, optional={key: JSON for key in (
    "id", "created_at", "plan", "repeats", "baseline", "techniques", "entries", "version")})


# 40 examples in CI (a few seconds); GREENTUI_FUZZ_EXAMPLES=1000 for a longer hunt.
EXAMPLES = int(os.environ.get("GREENTUI_FUZZ_EXAMPLES", "40"))


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(docs=st.lists(run_docs(), max_size=4), events=EVENT_LINES, curves=JSON, index=st.lists(JSON, max_size=4),
       sweep=SWEEP | JSON)
def test_nothing_in_a_store_crashes_writes_outside_or_signals(signal_spy: SignalSpy, docs: list[dict[str, Any]],
                                                              events: list[str], curves: Any, index: list[Any],
                                                              sweep: Any) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store_dir, victim = root / "store", root / "victim"
        (store_dir / "runs" / "r1").mkdir(parents=True)
        victim.mkdir()
        (victim / "keep").write_text("untouched")
        (store_dir / "runs" / "link").symlink_to(victim)
        for doc in docs:
            if doc.get("run_dir") == "VICTIM":
                doc["run_dir"] = str(victim)
        store = store_dir / "runs.json"
        store.write_text(json.dumps({"runs": {str(i + 1): d for i, d in enumerate(docs)}}), errors="surrogatepass")
        (store_dir / "runs" / "r1" / "events.jsonl").write_text("\n".join(events) + "\n", errors="surrogatepass")
        (store_dir / "runs" / "r1" / "curves.json").write_text(json.dumps(curves), errors="surrogatepass")
        (store_dir / "runs.json.index").write_text(
            "\n".join(json.dumps(line) for line in [["greentui-run-index", 1], *index]) + "\n", errors="surrogatepass")
        (store_dir / "sweeps").mkdir()
        (store_dir / "sweeps" / "s1.json").write_text(json.dumps(sweep), errors="surrogatepass")
        before = snapshot(victim)

        for argv in (["ls"], ["ls", "--json"], ["show", "r1"], ["show", "r1", "--json"],
                     ["export", "--all", "-o", str(store_dir / "all.csv")],
                     ["report", "--runs", "r1", "r2", "--baseline", "r1"], ["sweep", "--list"], ["report", "s1"],
                     ["report", "--where", "r", "--baseline", "r1", "--appendix", "--format", "tex"],
                     ["report", "--runs", "r1", "r2", "--baseline", "r1", "--format", "json"],
                     ["card", "r1"]):
            code = main(["--store", str(store), *argv])
            assert code in (0, 1, 2), (argv, code)

        assert snapshot(victim) == before
        assert {p.name for p in root.iterdir()} == {"store", "victim"}  # nothing new beside the store's folder
        assert all(call[-1] == 0 for call in signal_spy.calls)
